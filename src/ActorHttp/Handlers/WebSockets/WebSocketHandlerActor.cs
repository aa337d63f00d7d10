using Akka.Actor;
using Akka.IO;
using ActorHttp.Protocol;
using ActorHttp.Protocol.WebSockets;
using ActorHttp.Server.WebSockets;

namespace ActorHttp.Handlers.WebSockets;

/// <summary>
/// Base class for the handler of a WebSocket route: one actor for all its sockets (keep per-socket state by the socket
/// <see cref="IActorRef"/>, or accept with a per-socket actor as <see cref="WebSocketAccept.Handler"/>). Override
/// <see cref="OnMessage"/>, and as needed <see cref="OnOpened"/>, <see cref="OnClosed"/>, <see cref="OnUpgrade"/>
/// (to choose a subprotocol or refuse) and <see cref="OnPlainRequest"/>. Send with <c>socket.Tell(WebSocketSend.Text(…))</c>
/// from here or from any actor holding the socket, on any node.
/// <para>
/// On a route that streams large messages (<see cref="WebSocketStreaming"/>), such a message arrives as
/// <see cref="OnMessageStarted"/>, which by default refuses it (close 1009: this handler takes whole messages only). A
/// handler that takes them overrides it and pulls the message: tell the socket <see cref="WebSocketMessageStream.Read"/>,
/// get <see cref="OnMessagePart"/> for each Read, then <see cref="OnMessageCompleted"/>, or <see cref="OnMessageFailed"/>
/// if the socket closes first. Reading only when ready for the next part is what bounds the memory a message costs.
/// </para>
/// </summary>
public abstract class WebSocketHandlerActor : UntypedActor
{
    private static readonly HttpResponse UpgradeRequired = WebSocketHandshake.UpgradeRequired("this resource is a WebSocket");

    /// <summary>The subprotocols this handler speaks, most preferred first; the first the client offers is chosen.</summary>
    protected virtual IReadOnlyList<string> Subprotocols => [];

    protected sealed override void OnReceive(object message)
    {
        switch (message)
        {
            case HttpRequest { WebSocket: { } handshake } request:
                OnUpgrade(request, handshake);
                break;
            case HttpRequest request:
                OnPlainRequest(request);
                break;
            case WebSocketMessage received:
                OnMessage(Sender, received);
                break;
            case WebSocketMessageStream.Started started:
                OnMessageStarted(started);
                break;
            case WebSocketMessageStream.Part part:
                OnMessagePart(Sender, part.Bytes);
                break;
            case WebSocketMessageStream.Completed:
                OnMessageCompleted(Sender);
                break;
            case WebSocketMessageStream.Failed failed:
                OnMessageFailed(Sender, failed);
                break;
            case WebSocketOpened opened:
                OnOpened(opened);
                break;
            case WebSocketClosed closed:
                OnClosed(closed);
                break;
            default:
                OnOtherMessage(message);
                break;
        }
    }

    /// <summary>
    /// A valid upgrade request: accept it (the default, with the first of <see cref="Subprotocols"/> the client offers)
    /// by telling <c>Sender</c> a <see cref="WebSocketAccept"/>, or refuse it with a response (e.g. 403).
    /// </summary>
    protected virtual void OnUpgrade(HttpRequest request, WebSocketHandshakeResult.Accepted handshake)
    {
        var chosen = Subprotocols.FirstOrDefault(p => handshake.Subprotocols.Contains(p, StringComparer.Ordinal));
        Sender.Tell(new WebSocketAccept(chosen), Self);
    }

    /// <summary>A request without an upgrade: 426 Upgrade Required by default (the resource speaks WebSocket only).</summary>
    protected virtual void OnPlainRequest(HttpRequest request) => Sender.Tell(UpgradeRequired, Self);

    /// <summary>A socket is open.</summary>
    protected virtual void OnOpened(WebSocketOpened opened) { }

    /// <summary>A whole message from the client of <paramref name="socket"/>.</summary>
    protected abstract void OnMessage(IActorRef socket, WebSocketMessage message);

    /// <summary>
    /// A message too large to deliver whole begins on <see cref="WebSocketMessageStream.Started.Socket"/>. By default it is
    /// refused: the socket is closed with 1009 (Message Too Big), as it would be without streaming. Override it (with
    /// <see cref="OnMessagePart"/>, <see cref="OnMessageCompleted"/> and <see cref="OnMessageFailed"/>) to take such
    /// messages: tell the socket <see cref="WebSocketMessageStream.Read"/> for the first part.
    /// </summary>
    protected virtual void OnMessageStarted(WebSocketMessageStream.Started started) =>
        started.Socket.Tell(new WebSocketClose(WebSocketCloseCodes.MessageTooBig, "message too big"), Self);

    /// <summary>The next part of the message streamed on <paramref name="socket"/>; tell it Read for the one after. Unhandled by default.</summary>
    protected virtual void OnMessagePart(IActorRef socket, ByteString bytes) => OnOtherMessage(new WebSocketMessageStream.Part(bytes));

    /// <summary>The message streamed on <paramref name="socket"/> is complete. Unhandled by default.</summary>
    protected virtual void OnMessageCompleted(IActorRef socket) => OnOtherMessage(WebSocketMessageStream.Completed.Instance);

    /// <summary>
    /// The message streamed on <paramref name="socket"/> will not complete: the socket closed (<see cref="OnClosed"/>
    /// follows). Nothing by default: a refused message ends so.
    /// </summary>
    protected virtual void OnMessageFailed(IActorRef socket, WebSocketMessageStream.Failed failed) { }

    /// <summary>A socket closed (told once per socket).</summary>
    protected virtual void OnClosed(WebSocketClosed closed) { }

    /// <summary>Anything else; unhandled by default.</summary>
    protected virtual void OnOtherMessage(object message) => Unhandled(message);
}

/// <summary>Echoes every text and binary message back to the socket it came from (route handler <c>websocket-echo</c>).</summary>
public sealed class WebSocketEchoHandler : WebSocketHandlerActor
{
    /// <summary>Props of the handler.</summary>
    public static Props Props() => Akka.Actor.Props.Create<WebSocketEchoHandler>();

    /// <inheritdoc />
    protected override void OnMessage(IActorRef socket, WebSocketMessage message) => socket.Tell(new WebSocketSend(message), Self);
}
