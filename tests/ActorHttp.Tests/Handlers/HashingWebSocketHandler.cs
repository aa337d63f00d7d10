using System.Security.Cryptography;
using Akka.Actor;
using Akka.IO;
using ActorHttp.Handlers.WebSockets;
using ActorHttp.Protocol.WebSockets;
using ActorHttp.Server.WebSockets;

namespace ActorHttp.Tests.Handlers;

/// <summary>
/// Takes streamed messages: hashes each as its parts come, reading the next part once it has hashed one, and answers
/// the SHA-256 in hex; tells <paramref name="observer"/> of a message that failed. A text part that is not whole
/// UTF-8 by itself is answered with 1007 (the socket promises whole characters).
/// </summary>
internal sealed class HashingWebSocketHandler(IActorRef? observer = null) : WebSocketHandlerActor
{
    private readonly Dictionary<IActorRef, (IncrementalHash Hash, bool IsText)> _messages = [];

    protected override void OnMessage(IActorRef socket, WebSocketMessage message) => socket.Tell(WebSocketSend.Text("whole"));

    protected override void OnMessageStarted(WebSocketMessageStream.Started started)
    {
        _messages[started.Socket] = (IncrementalHash.CreateHash(HashAlgorithmName.SHA256), started.IsText);
        started.Socket.Tell(WebSocketMessageStream.Read.Instance);
    }

    protected override void OnMessagePart(IActorRef socket, ByteString bytes)
    {
        var (hash, isText) = _messages[socket];
        if (isText && !System.Text.Unicode.Utf8.IsValid(bytes.ToReadOnlySpan())) socket.Tell(new WebSocketClose(WebSocketCloseCodes.InvalidPayloadData));
        hash.AppendData(bytes.ToReadOnlySpan());
        socket.Tell(WebSocketMessageStream.Read.Instance);
    }

    protected override void OnMessageCompleted(IActorRef socket)
    {
        _messages.Remove(socket, out var message);
        socket.Tell(WebSocketSend.Text(Convert.ToHexString(message.Hash.GetHashAndReset())));
        message.Hash.Dispose();
    }

    protected override void OnMessageFailed(IActorRef socket, WebSocketMessageStream.Failed failed)
    {
        if (_messages.Remove(socket, out var message)) message.Hash.Dispose();
        observer?.Tell(failed);
    }
}
