using System.Security.Cryptography;
using System.Text;
using Akka.Actor;
using Akka.IO;
using ActorHttp.Handlers.WebSockets;
using ActorHttp.Protocol.WebSockets;
using ActorHttp.Server.WebSockets;

namespace ActorHttp.Tests.Handlers;

// The README's streaming WebSocket handler, as written there (kept compiling, and used by the tests of streamed messages).

// Answers each message with its SHA-256; one past the route's threshold is hashed as it arrives, never held whole.
public sealed class UploadHashHandler : WebSocketHandlerActor
{
    private readonly Dictionary<IActorRef, IncrementalHash> _uploads = [];

    protected override void OnMessage(IActorRef socket, WebSocketMessage message)
    {
        var bytes = message is WebSocketMessage.Text text ? Encoding.UTF8.GetBytes(text.Value) : ((WebSocketMessage.Binary)message).Data.ToArray();
        socket.Tell(WebSocketSend.Text(Convert.ToHexString(SHA256.HashData(bytes))));
    }

    protected override void OnMessageStarted(WebSocketMessageStream.Started started)
    {
        _uploads[started.Socket] = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        started.Socket.Tell(WebSocketMessageStream.Read.Instance); // the first part
    }

    protected override void OnMessagePart(IActorRef socket, ByteString bytes)
    {
        _uploads[socket].AppendData(bytes.ToReadOnlySpan());
        socket.Tell(WebSocketMessageStream.Read.Instance); // the next part, now that this one is done with
    }

    protected override void OnMessageCompleted(IActorRef socket)
    {
        _uploads.Remove(socket, out var hash);
        socket.Tell(WebSocketSend.Text(Convert.ToHexString(hash!.GetHashAndReset())));
        hash.Dispose();
    }

    protected override void OnMessageFailed(IActorRef socket, WebSocketMessageStream.Failed failed)
    {
        if (_uploads.Remove(socket, out var hash)) hash.Dispose(); // the socket closed mid-message
    }
}
