using Akka.Actor;
using Akka.IO;
using ActorHttp.Protocol;
using ActorHttp.Protocol.WebSockets;

namespace ActorHttp.Server.WebSockets;

// The messages of a WebSocket, between the socket (the connection actor, once upgraded), the actor handling its
// messages and anyone who pushes to it. The socket's IActorRef is location-transparent: an actor on another node of
// the cluster may send to it (these messages are covered by ActorHttp.Cluster's serializer).
//
//   handler ← HttpRequest (request.WebSocket set)        the upgrade request, through its route
//   handler → WebSocketAccept (or an HttpResponse)        to its Sender: accept, or refuse with a status
//   handler ← WebSocketOpened(socket, request, protocol)  once the 101 is on its way
//   handler ← WebSocketMessage (Sender: the socket)       each whole message the client sends
//   handler ← WebSocketMessageStream.Started              instead, a message past the stream threshold: the handler
//   reader  → WebSocketMessageStream.Read                   pulls it from the socket, Part by Part, to Completed
//   reader  ← .Part / .Completed / .Failed
//   anyone  → WebSocketSend / WebSocketClose              to the socket
//   handler ← WebSocketClosed(socket, code, reason)       once, when the socket is closed for whatever reason

/// <summary>
/// Handler → the upgrade request's <c>Sender</c>: accept the WebSocket. The connection answers 101 Switching Protocols
/// and then tells <see cref="Handler"/> (by default, the actor that sent this) <see cref="WebSocketOpened"/>, each
/// message and <see cref="WebSocketClosed"/>. Any <see cref="HttpResponse"/> instead refuses the upgrade (e.g. 403);
/// the connection closes after it.
/// </summary>
/// <param name="Subprotocol">
/// The subprotocol chosen, one of the request's <see cref="WebSocketHandshakeResult.Accepted.Subprotocols"/> (the
/// client's offer, in <see cref="HttpRequest.WebSocket"/>), or null for none.
/// One the client did not offer is a handler bug: the client gets 500.
/// </param>
/// <param name="Handler">The actor that gets the socket's messages, e.g. one created for this socket; null: the sender.</param>
public sealed record WebSocketAccept(string? Subprotocol = null, IActorRef? Handler = null);

/// <summary>Connection → handler: the socket is open. Tell <paramref name="Socket"/> what to send.</summary>
/// <param name="Socket">The socket (the connection actor): <see cref="WebSocketSend"/>, <see cref="WebSocketClose"/>.</param>
/// <param name="Request">The upgrade request (path, route values, headers, trace context).</param>
/// <param name="Subprotocol">The subprotocol agreed, or null.</param>
public sealed record WebSocketOpened(IActorRef Socket, HttpRequest Request, string? Subprotocol);

/// <summary>
/// Connection → handler: the socket is closed and sends nothing more; told once per socket, whoever closed it.
/// </summary>
/// <param name="Socket">The socket that closed.</param>
/// <param name="Code">
/// The status code of the Close frame the client sent (or the server, when the client never answered it); 1005 when a
/// Close frame carried none; 1006 when the connection ended without one.
/// </param>
/// <param name="Reason">The Close frame's reason, or why the server closed.</param>
public sealed record WebSocketClosed(IActorRef Socket, int Code, string Reason)
{
    /// <summary>1005: a Close frame without a status code (never sent on the wire).</summary>
    public const int NoStatusReceived = 1005;

    /// <summary>1006: the connection ended without a Close frame (never sent on the wire).</summary>
    public const int AbnormalClosure = 1006;
}

/// <summary>
/// Anyone → socket: send <paramref name="Message"/> to the client. With an <paramref name="Ack"/>, the sender is told
/// it once the frame is with the socket: send, wait for the ack, send the next, and a client that reads slowly slows
/// the producer down. Without, frames queue up to <c>websocket.max-pending-bytes</c>, past which the client (too slow
/// to read them) is closed with 1008. Sends after the socket began closing are dropped.
/// </summary>
public sealed record WebSocketSend(WebSocketMessage Message, object? Ack = null)
{
    /// <summary>A text message.</summary>
    public static WebSocketSend Text(string text, object? ack = null) => new(new WebSocketMessage.Text(text), ack);

    /// <summary>A binary message.</summary>
    public static WebSocketSend Binary(ByteString data, object? ack = null) => new(new WebSocketMessage.Binary(data), ack);

    /// <summary>A binary message of <paramref name="data"/> (referenced, not copied).</summary>
    public static WebSocketSend Binary(byte[] data, object? ack = null) => new(new WebSocketMessage.Binary(data), ack);
}

/// <summary>
/// Anyone → socket: close it with <paramref name="Code"/> (1000 normal, 1001 going away, 1008 policy, 1011 error, or
/// an application code 3000–4999) and a short <paramref name="Reason"/> (at most 123 bytes of UTF-8). The client has
/// <c>websocket.close-timeout</c> to answer with its own Close frame; then the connection closes.
/// </summary>
public sealed record WebSocketClose(int Code = WebSocketCloseCodes.NormalClosure, string Reason = "");

/// <summary>
/// Messages of a WebSocket message streamed to its handler (see <see cref="WebSocketStreaming"/>): a message larger than
/// the stream threshold reaches the handler as <see cref="Started"/> instead of a whole <c>WebSocketMessage</c>; the
/// handler (or any actor it hands the socket to) pulls the message by telling the socket <see cref="Read"/>, and gets
/// one <see cref="Part"/> for each Read, then <see cref="Completed"/>; all with the socket as <c>Sender</c>. The socket
/// reads from the client only as far as a bounded window (64 KB) ahead of the Reads, so a message of any size costs
/// bounded memory and a slow reader slows the client down (TCP flow control), as <c>RequestBodyStream</c> does for HTTP.
/// <para>
/// The client's next message is delivered only after <see cref="Completed"/>; pings and pongs between the message's
/// fragments are answered as they are read. If the socket closes before the message ends (the client's Close frame or
/// a protocol error such as invalid UTF-8, 1007, or a message past <c>max-streamed-message-size</c>, 1009; the
/// server's close; the connection lost), the reader gets <see cref="Failed"/> at once, whether or not a Read is
/// waiting, and the handler <see cref="WebSocketClosed"/> as usual. A handler that does not want the message closes
/// the socket (<see cref="WebSocketClose"/>), e.g. with 1009.
/// </para>
/// <para>
/// While reading is held back for the reader, the client cannot be heard, so the socket's keep-alive pings and idle
/// timeout pause, and start afresh once it reads again: a slow handler never makes the client look idle. A handler that
/// never reads keeps the socket, and its window, until it reads, closes the socket or stops.
/// </para>
/// </summary>
public static class WebSocketMessageStream
{
    /// <summary>Socket → handler: a message too large to deliver whole begins; tell <paramref name="Socket"/> <see cref="Read"/> for its parts.</summary>
    /// <param name="Socket">The socket the message arrives on (also the <c>Sender</c>).</param>
    /// <param name="IsText">A text message (its parts are UTF-8, validated, each ending on a whole code point), else binary.</param>
    public sealed record Started(IActorRef Socket, bool IsText);

    /// <summary>
    /// Reader → socket: send me the next part of the message. Told when no message is being streamed (a handler bug), it
    /// is answered <see cref="Failed"/> with 1011; the socket stays open.
    /// </summary>
    public sealed class Read
    {
        /// <summary>The one instance.</summary>
        public static readonly Read Instance = new();
        private Read() { }
    }

    /// <summary>
    /// Socket → reader: the next bytes of the message, never empty: what the socket has received of it since the last
    /// Read, up to the window (64 KB; more only if one read of the transport was larger). A text message's parts are each
    /// whole UTF-8 (no code point is split between two), so each may be decoded alone.
    /// </summary>
    public sealed record Part(ByteString Bytes)
    {
        /// <summary>Its length (the bytes are not printed).</summary>
        public override string ToString() => $"Part({Bytes.Count} bytes)";
    }

    /// <summary>Socket → reader: the message is complete; nothing more follows. The client's next message comes after it.</summary>
    public sealed class Completed
    {
        /// <summary>The one instance.</summary>
        public static readonly Completed Instance = new();
        private Completed() { }
    }

    /// <summary>
    /// Socket → reader: the message will not complete, because the socket closed with <paramref name="Code"/> and
    /// <paramref name="Reason"/> (as <see cref="WebSocketClosed"/> says: the client's Close frame, the server's, 1006 when
    /// the connection was lost). Parts not yet read are dropped. (Told without waiting for a Read, it may reach a reader
    /// that has stopped, e.g. the handler whose end closed the socket: not worth a dead-letter log line.)
    /// </summary>
    public sealed record Failed(int Code, string Reason) : Akka.Event.IDeadLetterSuppression;
}
