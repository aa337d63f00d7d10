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
