using System.Text;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using ActorHttp.Protocol;
using ActorHttp.Protocol.WebSockets;
using ActorHttp.Server.WebSockets;

namespace ActorHttp.Testing;

/// <summary>
/// A WebSocket opened on a handler actor without a socket: the connection's side is played by a probe, as
/// <see cref="HttpTestKitExtensions.Send(TestKitBase, IActorRef, HttpRequest, TimeSpan?)"/> does for HTTP. Send the
/// client's messages with <see cref="SendText"/> / <see cref="SendBinary"/>, expect what the handler sends with
/// <see cref="ExpectText"/> / <see cref="ExpectBinary"/> / <see cref="ExpectClose"/>, close with <see cref="Close"/>.
/// Sends that ask for an ack are acknowledged when expected, as the socket would once the frame is written. A message
/// too large to deliver whole is sent streamed with <see cref="SendStreamedText"/> / <see cref="SendStreamedBinary"/> /
/// <see cref="SendStreamed"/>: the kit answers the handler's Reads as the socket would.
/// </summary>
public sealed class TestWebSocket
{
    private readonly TimeSpan _timeout;

    /// <summary>What the handler sent to the socket while a streamed message was being read, for the Expect methods, in order.</summary>
    private readonly Queue<(object Message, IActorRef Sender)> _sent = new();

    internal TestWebSocket(TestProbe socket, IActorRef handler, HttpRequest request, string? subprotocol, TimeSpan timeout)
    {
        Socket = socket;
        Handler = handler;
        Request = request;
        Subprotocol = subprotocol;
        _timeout = timeout;
    }

    /// <summary>The probe standing for the socket: what the handler (or anyone) sends to the socket arrives here.</summary>
    public TestProbe Socket { get; }

    /// <summary>The actor that gets the socket's messages (the route's handler, or the one it accepted with).</summary>
    public IActorRef Handler { get; }

    /// <summary>The upgrade request, with its handshake.</summary>
    public HttpRequest Request { get; }

    /// <summary>The subprotocol the handler chose, or null.</summary>
    public string? Subprotocol { get; }

    /// <summary>The client sends a text message.</summary>
    public TestWebSocket SendText(string text)
    {
        Handler.Tell(new WebSocketMessage.Text(text), Socket.Ref);
        return this;
    }

    /// <summary>The client sends a binary message.</summary>
    public TestWebSocket SendBinary(byte[] data)
    {
        Handler.Tell(new WebSocketMessage.Binary(data), Socket.Ref);
        return this;
    }

    /// <summary>
    /// The client sends <paramref name="text"/> as a message streamed in parts of at most <paramref name="partSize"/>
    /// bytes, each ending on a whole character (see <see cref="SendStreamed"/>).
    /// </summary>
    public TestWebSocket SendStreamedText(string text, int partSize = 4096) => SendStreamed(isText: true, Utf8Parts(text, partSize));

    /// <summary>The client sends <paramref name="data"/> as a message streamed in parts of <paramref name="partSize"/> bytes (see <see cref="SendStreamed"/>).</summary>
    public TestWebSocket SendStreamedBinary(byte[] data, int partSize = 4096) =>
        SendStreamed(isText: false, data.Chunk(Math.Max(1, partSize)));

    /// <summary>
    /// The client sends a message streamed, as a socket delivers one past its stream threshold: the handler is told
    /// <see cref="WebSocketMessageStream.Started"/>, each <see cref="WebSocketMessageStream.Read"/> it tells the socket is
    /// answered with the next of <paramref name="parts"/>, then <see cref="WebSocketMessageStream.Completed"/>; or, with
    /// <paramref name="failWith"/>, that instead of Completed, followed by <see cref="WebSocketClosed"/> with its code (the
    /// socket closed mid-message). Returns once the handler has read to the end, or closed the socket (the socket then
    /// tells it Failed, as a real one would). What it sends meanwhile is there for the Expect methods, in order.
    /// </summary>
    /// <exception cref="Xunit.Sdk.XunitException">The handler stopped reading (no Read within the timeout).</exception>
    public TestWebSocket SendStreamed(bool isText, IEnumerable<byte[]> parts, WebSocketMessageStream.Failed? failWith = null)
    {
        Handler.Tell(new WebSocketMessageStream.Started(Socket.Ref, isText), Socket.Ref);
        using var next = parts.Where(part => part.Length > 0).GetEnumerator(); // a socket never sends an empty part
        var reader = Handler; // answers go to whoever reads (the handler may hand the socket on)
        while (true)
        {
            var message = Socket.ExpectMsg<object>(_timeout, "a Read of the streamed message (or the socket's close)");
            if (message is not WebSocketMessageStream.Read)
            {
                _sent.Enqueue((message, Socket.LastSender));
                if (message is not WebSocketClose close) continue;
                reader.Tell(new WebSocketMessageStream.Failed(close.Code, close.Reason), Socket.Ref);
                return this;
            }
            reader = Socket.LastSender;
            if (next.MoveNext())
            {
                reader.Tell(new WebSocketMessageStream.Part(ByteString.CopyFrom(next.Current)), Socket.Ref);
                continue;
            }
            reader.Tell(failWith ?? (object)WebSocketMessageStream.Completed.Instance, Socket.Ref);
            if (failWith != null) Close(failWith.Code, failWith.Reason);
            return this;
        }
    }

    /// <summary>The UTF-8 of <paramref name="text"/> in pieces of at most <paramref name="size"/> bytes (more for a longer character), each whole characters.</summary>
    private static IEnumerable<byte[]> Utf8Parts(string text, int size)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        for (var at = 0; at < bytes.Length;)
        {
            var end = Math.Min(bytes.Length, at + Math.Max(1, size));
            while (end > at + 1 && end < bytes.Length && IsContinuation(bytes[end])) end--; // back to the start of a character
            while (end < bytes.Length && IsContinuation(bytes[end])) end++;                 // a character longer than a part: whole
            yield return bytes[at..end];
            at = end;
        }

        static bool IsContinuation(byte b) => (b & 0xC0) == 0x80;
    }

    /// <summary>The next thing sent to the socket must be a text message (equal to <paramref name="expected"/> when given); returns its text.</summary>
    public string ExpectText(string? expected = null)
    {
        var send = ExpectSend();
        if (send.Message is not WebSocketMessage.Text text)
            throw new Xunit.Sdk.XunitException($"expected a text message, the handler sent {send.Message}");
        if (expected != null && text.Value != expected)
            throw new Xunit.Sdk.XunitException($"expected the text \"{expected}\", the handler sent \"{text.Value}\"");
        return text.Value;
    }

    /// <summary>The next thing sent to the socket must be a binary message; returns its bytes.</summary>
    public byte[] ExpectBinary()
    {
        var send = ExpectSend();
        return send.Message is WebSocketMessage.Binary binary
            ? binary.Data.ToArray()
            : throw new Xunit.Sdk.XunitException($"expected a binary message, the handler sent {send.Message}");
    }

    /// <summary>The next thing sent to the socket must be a <see cref="WebSocketClose"/> (with <paramref name="code"/> when given).</summary>
    public WebSocketClose ExpectClose(int? code = null)
    {
        var (message, _) = NextSent();
        if (message is not WebSocketClose close)
            throw new Xunit.Sdk.XunitException($"expected the socket to be closed, the handler sent {message}");
        if (code != null && close.Code != code)
            throw new Xunit.Sdk.XunitException($"expected close code {code}, the handler closed with {close.Code} \"{close.Reason}\"");
        return close;
    }

    /// <summary>Nothing is sent to the socket within <paramref name="duration"/> (default 100 ms).</summary>
    public void ExpectNothing(TimeSpan? duration = null)
    {
        if (_sent.TryPeek(out var sent)) throw new Xunit.Sdk.XunitException($"expected nothing, the handler sent {sent.Message}");
        Socket.ExpectNoMsg(duration ?? TimeSpan.FromMilliseconds(100));
    }

    /// <summary>The socket closes (the client's Close frame, or the connection lost with 1006): the handler is told.</summary>
    public void Close(int code = WebSocketCloseCodes.NormalClosure, string reason = "") =>
        Handler.Tell(new WebSocketClosed(Socket.Ref, code, reason), Socket.Ref);

    /// <summary>The next thing the handler sent to the socket, and who sent it: kept while a streamed message was read, or from the probe.</summary>
    private (object Message, IActorRef Sender) NextSent() =>
        _sent.TryDequeue(out var sent) ? sent : (Socket.ExpectMsg<object>(_timeout), Socket.LastSender);

    private WebSocketSend ExpectSend()
    {
        var (message, sender) = NextSent();
        if (message is not WebSocketSend send)
            throw new Xunit.Sdk.XunitException($"expected a message to the client, the socket got {message}");
        if (send.Ack != null) sender.Tell(send.Ack, Socket.Ref); // written, as far as the producer knows
        return send;
    }
}

/// <summary>Opens WebSockets on handler actors in tests (see <see cref="TestWebSocket"/>).</summary>
public static class WebSocketTestKitExtensions
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Sends <paramref name="handler"/> a valid upgrade request for <paramref name="target"/> (offering
    /// <paramref name="subprotocols"/>), expects it to accept, and tells the accepting actor the socket is open.
    /// </summary>
    /// <exception cref="Xunit.Sdk.XunitException">The handler refused (answered a response) or did not answer in time.</exception>
    public static TestWebSocket OpenWebSocket(this TestKitBase kit, IActorRef handler, string target = "/", IReadOnlyList<string>? subprotocols = null,
        TimeSpan? timeout = null)
    {
        var wait = timeout ?? DefaultTimeout;
        var offered = subprotocols ?? [];
        var request = UpgradeRequest(target, offered);
        var connection = kit.CreateTestProbe();
        handler.Tell(request, connection.Ref);
        var reply = connection.ExpectMsg<object>(wait);
        var accept = reply switch
        {
            WebSocketAccept accepted => accepted,
            HttpResponse refused => throw new Xunit.Sdk.XunitException($"the handler refused the upgrade: {refused.Status} {refused.Body.ToString()}"),
            _ => throw new Xunit.Sdk.XunitException($"the handler answered the upgrade with {reply}"),
        };
        if (accept.Subprotocol != null && !offered.Contains(accept.Subprotocol))
            throw new Xunit.Sdk.XunitException($"the handler chose the subprotocol '{accept.Subprotocol}', which was not offered");
        var receiver = accept.Handler ?? connection.LastSender;
        var socket = kit.CreateTestProbe();
        receiver.Tell(new WebSocketOpened(socket.Ref, request, accept.Subprotocol), socket.Ref);
        return new TestWebSocket(socket, receiver, request, accept.Subprotocol, wait);
    }

    /// <summary>A GET with a valid opening handshake, as the connection hands it to a WebSocket route's handler.</summary>
    public static HttpRequest UpgradeRequest(string target, IReadOnlyList<string> subprotocols)
    {
        (string, string)[] headers =
        [
            ("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ("Sec-WebSocket-Version", WebSocketHandshake.SupportedVersion),
            .. subprotocols.Count > 0 ? [("Sec-WebSocket-Protocol", string.Join(", ", subprotocols))] : Array.Empty<(string, string)>(),
        ];
        var request = HttpRequests.Get(target, headers);
        return WebSocketHandshake.Evaluate(request) is WebSocketHandshakeResult.Accepted handshake
            ? request with { WebSocket = handshake }
            : throw new InvalidOperationException("the test handshake is not valid");
    }
}
