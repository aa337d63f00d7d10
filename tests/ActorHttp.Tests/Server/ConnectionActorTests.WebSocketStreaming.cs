using System.Text;
using Akka.IO;
using ActorHttp.Protocol.WebSockets;
using ActorHttp.Server;
using ActorHttp.Server.WebSockets;
using ActorHttp.Tests.Protocol.WebSockets;
using Xunit;

namespace ActorHttp.Tests.Server;

/// <summary>
/// The socket streaming a large message to its handler, with the transport played in pull mode (one read per
/// ResumeReading): what it takes in stays within a window of the handler's Reads, and the client's timers wait for it.
/// </summary>
public sealed partial class ConnectionActorTests
{
    private static readonly WebSocketStreaming StreamPast1K = WebSocketStreaming.Above(1024);

    /// <summary>The server streams past 1 KB (no route of its own says otherwise).</summary>
    private static readonly ServerSettings StreamingServer = WebSocketTimers with
    {
        WebSocket = WebSocketTimers.WebSocket with { StreamMessageThreshold = 1024 },
    };

    /// <summary>The most a socket holds of a message its handler has not read: the window, one read past it, a frame header.</summary>
    private static int ReadAheadBound(int readSize) => MessageStreamPump.Window + readSize + 14;

    /// <summary>
    /// Plays Akka.IO in pull mode (a read of <paramref name="readSize"/> bytes of <paramref name="input"/> per ResumeReading)
    /// and a handler that reads only when the connection stops asking for reads, then to Completed. Asserts at each stop
    /// that the connection took in at least a window and at most <see cref="ReadAheadBound"/> past what it delivered.
    /// Returns the parts' bytes.
    /// </summary>
    private static byte[] StreamThrough(Conn c, byte[] input, int readSize, bool isText)
    {
        var served = c.ReadsRequested - 1; // the read asked once the socket opened is outstanding
        var message = new MemoryStream();
        var (at, started) = (0, false);
        while (true)
        {
            if (at < input.Length && c.ReadsRequested > served)
            {
                var n = Math.Min(readSize, input.Length - at);
                c.Actor.Tell(new Tcp.Received(ByteString.FromBytes(input, at, n)), c.Tcp.Ref);
                (at, served) = (at + n, served + 1);
                continue;
            }
            if (!started)
            {
                Assert.Equal(isText, c.Handler.ExpectMsg<WebSocketMessageStream.Started>(Wait).IsText);
                started = true;
            }
            if (at < input.Length) Assert.InRange(at - message.Length, MessageStreamPump.Window, ReadAheadBound(readSize));
            c.Actor.Tell(WebSocketMessageStream.Read.Instance, c.Handler.Ref);
            switch (c.Handler.ExpectMsg<object>(Wait))
            {
                case WebSocketMessageStream.Part part:
                    Assert.Equal(c.Actor, c.Handler.LastSender);
                    message.Write(part.Bytes.ToArray());
                    break;
                case WebSocketMessageStream.Completed:
                    return message.ToArray();
                case var other:
                    Assert.Fail($"a Read was answered {other}");
                    break;
            }
        }
    }

    /// <summary>
    /// The handler hears its streamed message failed with <paramref name="code"/>, then the socket closed with it; the
    /// Close frame goes out with it and the connection closes. Returns the Failed.
    /// </summary>
    private static WebSocketMessageStream.Failed ExpectStreamFailedAndSocketClosed(Conn c, int code)
    {
        var failed = c.Handler.ExpectMsg<WebSocketMessageStream.Failed>(Wait);
        Assert.Equal(code, failed.Code);
        Assert.Equal(code, c.Handler.ExpectMsg<WebSocketClosed>(Wait).Code);
        c.ExpectWrite();
        Assert.Equal(code, CloseCode(Frame(c)));
        c.Expect<Tcp.ConfirmedClose>();
        return failed;
    }

    /// <summary>A socket on a route that streams past 1 KB, a binary message of 3000 bytes begun on it (not ended): its handler was told Started.</summary>
    private Conn OpenWithMessageBegun()
    {
        var c = OpenSocket(WebSocketTimers, streaming: StreamPast1K);
        c.Send(ClientFrames.Frame(ClientFrames.Binary, new byte[3000], fin: false));
        c.Handler.ExpectMsg<WebSocketMessageStream.Started>(Wait);
        return c;
    }

    [Theory]
    [InlineData(false, 4096)]
    [InlineData(true, 4093)] // reads cut characters: the parts still end on whole ones
    public void A_message_past_the_route_s_threshold_reaches_the_handler_in_parts_read_no_more_than_a_window_ahead(bool isText, int readSize)
    {
        var c = OpenSocket(WebSocketTimers, streaming: StreamPast1K);
        var payload = isText ? Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("héllo wörld € 😀 ", 40_000))) : new byte[1 << 20];
        if (!isText) new Random(5).NextBytes(payload);
        var bytes = StreamThrough(c, ClientFrames.Frame(isText ? ClientFrames.Text : ClientFrames.Binary, payload), readSize, isText);
        Assert.Equal(payload, bytes);

        // The socket goes on as before: the next message is whole (under the threshold), and reads are asked again.
        c.Send(ClientFrames.TextFrame("after"));
        Assert.Equal(new WebSocketMessage.Text("after"), c.Handler.ExpectMsg<WebSocketMessage>(Wait));
        c.ExpectNothingWrittenOrClosed();
    }

    [Fact]
    public void While_the_handler_reads_nothing_the_connection_asks_for_no_read_and_one_Read_resumes_reading()
    {
        var c = OpenSocket(StreamingServer); // the server's threshold: the route says nothing
        var input = ClientFrames.BinaryFrame(new byte[1 << 20]);
        var (at, served) = (0, c.ReadsRequested - 1);
        for (; c.ReadsRequested > served; served++, at += 4096) // a read for each read asked
            c.Actor.Tell(new Tcp.Received(ByteString.FromBytes(input, at, 4096)), c.Tcp.Ref);
        c.Handler.ExpectMsg<WebSocketMessageStream.Started>(Wait);
        Assert.InRange(at, MessageStreamPump.Window, ReadAheadBound(4096));
        var asked = c.ReadsRequested;
        c.Advance(TimeSpan.FromMinutes(10)); // however long the handler takes
        Assert.Equal(asked, c.ReadsRequested);
        c.ExpectNothingWrittenOrClosed(); // no ping, no idle close: the client cannot be heard, it is not quiet

        c.Actor.Tell(WebSocketMessageStream.Read.Instance, c.Handler.Ref);
        Assert.InRange(c.Handler.ExpectMsg<WebSocketMessageStream.Part>(Wait).Bytes.Count, MessageStreamPump.Window - 4096, MessageStreamPump.Window);
        Assert.Equal(asked + 1, c.ReadsRequested);

        // The client's quiet time starts when reading resumes: a ping one keep-alive interval later, not at once.
        c.Advance(TimeSpan.FromSeconds(30) - Ms(1));
        c.ExpectNothingWrittenOrClosed();
        c.Advance(Ms(1));
        c.ExpectWrite();
        Assert.Equal(ClientFrames.Ping, Frame(c).Opcode);
    }

    [Fact]
    public void A_ping_between_the_fragments_of_a_streamed_message_is_answered_while_it_streams()
    {
        var c = OpenWithMessageBegun();
        c.Send(ClientFrames.PingFrame([42]));
        c.ExpectWrite();
        Assert.Equal((ClientFrames.Pong, 42), (Frame(c).Opcode, (int)Frame(c).Payload[0]));
        c.Actor.Tell(WebSocketMessageStream.Read.Instance, c.Handler.Ref);
        Assert.Equal(3000, c.Handler.ExpectMsg<WebSocketMessageStream.Part>(Wait).Bytes.Count);
    }

    [Fact]
    public void The_client_closing_in_the_middle_of_a_streamed_message_tells_the_handler_Failed_then_WebSocketClosed()
    {
        var c = OpenWithMessageBegun();
        c.Actor.Tell(WebSocketMessageStream.Read.Instance, c.Handler.Ref);
        c.Handler.ExpectMsg<WebSocketMessageStream.Part>(Wait);
        c.Actor.Tell(WebSocketMessageStream.Read.Instance, c.Handler.Ref); // waiting for more when the client leaves

        c.Send(ClientFrames.CloseFrame(1001, "gone"));
        Assert.Equal("gone", ExpectStreamFailedAndSocketClosed(c, 1001).Reason);
    }

    [Theory]
    [InlineData(WebSocketCloseCodes.InvalidPayloadData)]
    [InlineData(WebSocketCloseCodes.MessageTooBig)]
    public void A_streamed_message_that_breaks_a_rule_midway_fails_its_handler_s_reading_and_the_socket_with_the_rule_s_code(int code)
    {
        var c = OpenSocket(WebSocketTimers, streaming: StreamPast1K with { MaxMessageSize = 10_000 });
        var start = ClientFrames.Frame(ClientFrames.Text, Encoding.UTF8.GetBytes(new string('x', 5000)), fin: false);
        var bad = code == WebSocketCloseCodes.InvalidPayloadData
            ? ClientFrames.Frame(ClientFrames.Continuation, [(byte)'y', 0xC0, 0x80]) // an overlong NUL
            : ClientFrames.Frame(ClientFrames.Continuation, [], rawLength: 5001);    // past max-streamed-message-size
        c.Send(start);
        c.Handler.ExpectMsg<WebSocketMessageStream.Started>(Wait);
        c.Send(bad);
        ExpectStreamFailedAndSocketClosed(c, code);
    }

    [Fact]
    public void The_connection_lost_in_the_middle_of_a_streamed_message_tells_the_handler_1006()
    {
        var c = OpenWithMessageBegun();
        c.Actor.Tell(Tcp.PeerClosed.Instance, c.Tcp.Ref);
        Assert.Equal(WebSocketClosed.AbnormalClosure, c.Handler.ExpectMsg<WebSocketMessageStream.Failed>(Wait).Code);
        Assert.Equal(WebSocketClosed.AbnormalClosure, c.Handler.ExpectMsg<WebSocketClosed>(Wait).Code);
    }

    [Fact]
    public void A_route_that_streams_nothing_gets_whole_messages_on_a_server_that_streams()
    {
        var c = OpenSocket(StreamingServer, streaming: WebSocketStreaming.Off);
        c.Send(ClientFrames.BinaryFrame(new byte[3000]));
        Assert.Equal(3000, Assert.IsType<WebSocketMessage.Binary>(c.Handler.ExpectMsg<WebSocketMessage>(Wait)).Data.Count);
    }
}
