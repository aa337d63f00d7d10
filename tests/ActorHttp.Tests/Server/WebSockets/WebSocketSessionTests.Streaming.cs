using System.Text;
using Akka.IO;
using ActorHttp.Protocol.WebSockets;
using ActorHttp.Server.WebSockets;
using ActorHttp.Tests.Protocol.WebSockets;
using ActorHttp.Tests.Server.Connection;
using Xunit;

namespace ActorHttp.Tests.Server.WebSockets;

/// <summary>
/// The session with streaming on: a message past the threshold goes to its handler as Started, then one Part per Read,
/// then Completed; reading is held while the reader lags; closes and errors reach the reader.
/// </summary>
public sealed partial class WebSocketSessionTests
{
    private const int Threshold = 1024;

    private static readonly WebSocketSettings Streaming = Settings with { StreamMessageThreshold = Threshold, MaxStreamedMessageSize = 1 << 20 };

    /// <summary>Reads once, as the handler would; returns what the socket answered with (the first it told), or null when nothing yet.</summary>
    private object? Read(WebSocketSession session, long now = 0)
    {
        var before = _handler.Received.Count;
        session.OnRead(_handler, now);
        return _handler.Received.Count > before ? _handler.Received[before] : null;
    }

    /// <summary>
    /// Plays the connection and a reader that pulls as fast as it can: the client's bytes go in as reads of
    /// <paramref name="readSize"/>, the next one only while the session does not hold reading; while it does, the reader
    /// Reads. Then reads to Completed. Returns what the parts added up to, and how many there were.
    /// </summary>
    private (byte[] Bytes, int Parts) Pump(WebSocketSession session, byte[] input, int readSize, bool isText)
    {
        var message = new MemoryStream();
        var parts = 0;
        for (var at = 0; ;)
        {
            if (at < input.Length && !session.HoldsReading)
            {
                var n = Math.Min(readSize, input.Length - at);
                Receive(session, input[at..(at + n)], at);
                at += n;
                continue;
            }
            switch (Read(session))
            {
                case WebSocketMessageStream.Part part:
                    Assert.False(part.Bytes.IsEmpty);
                    if (isText) Assert.True(System.Text.Unicode.Utf8.IsValid(part.Bytes.ToArray()), "a text part that is not whole UTF-8");
                    message.Write(part.Bytes.ToArray());
                    parts++;
                    break;
                case WebSocketMessageStream.Completed:
                    return (message.ToArray(), parts);
                case var other:
                    Assert.Fail($"a Read with {(at < input.Length ? "reading held" : "every byte in")} was answered {other?.ToString() ?? "nothing"}");
                    break;
            }
        }
    }

    /// <summary>
    /// Feeds <paramref name="input"/> in reads of 4 KB while the reader reads nothing, until the session holds reading;
    /// returns how many bytes went in.
    /// </summary>
    private static int FillWindow(WebSocketSession session, byte[] input, long now)
    {
        var at = 0;
        for (; !session.HoldsReading; at += 4096) Receive(session, input[at..(at + 4096)], now);
        return at;
    }

    /// <summary>A message of <paramref name="payload"/> in frames of the given sizes, with a ping before each continuation.</summary>
    private static byte[] Fragmented(bool isText, byte[] payload, params int[] sizes)
    {
        var frames = new List<byte[]>();
        var at = 0;
        for (var i = 0; i < sizes.Length; i++)
        {
            if (i > 0) frames.Add(ClientFrames.PingFrame([(byte)i]));
            var last = i == sizes.Length - 1;
            var end = last ? payload.Length : at + sizes[i];
            frames.Add(ClientFrames.Frame(i == 0 ? (isText ? ClientFrames.Text : ClientFrames.Binary) : ClientFrames.Continuation, payload[at..end], fin: last));
            at = end;
        }
        return ClientFrames.Concat([.. frames]);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void A_message_over_the_threshold_is_Started_then_pulled_part_by_part_to_exactly_the_bytes_sent(bool isText, bool fragmented)
    {
        var text = string.Concat(Enumerable.Repeat("héllo wörld € 😀 ", 12_000)); // 288 KB of one- to four-byte characters
        var payload = isText ? Encoding.UTF8.GetBytes(text) : new byte[300_000];
        if (!isText) new Random(3).NextBytes(payload);
        var input = fragmented ? Fragmented(isText, payload, 700, 90_000, 1, 100_000) : ClientFrames.Frame(isText ? ClientFrames.Text : ClientFrames.Binary, payload);
        var session = Session(Streaming);

        // Reads of 4093 bytes: text parts are cut inside characters and must still come out whole.
        var (bytes, parts) = Pump(session, input, readSize: 4093, isText);
        Assert.Equal(payload, bytes);
        Assert.True(parts > 1, $"{parts} part");
        var started = Assert.IsType<WebSocketMessageStream.Started>(_handler.Received[0]);
        Assert.Equal((_socket, isText), ((RecordingActorRef)started.Socket, started.IsText));
        Assert.Equal(0, _handler.Count<WebSocketMessage>()); // streamed, never whole
        // The pings between the fragments were answered as they were read.
        Assert.Equal(fragmented ? 3 : 0, Written().Count(f => f.Opcode == ClientFrames.Pong));
        Assert.False(session.HoldsReading);
    }

    [Fact]
    public void A_message_up_to_the_threshold_stays_whole()
    {
        var session = Session(Streaming);
        Receive(session, ClientFrames.BinaryFrame(new byte[Threshold]), 0);
        Assert.Equal(Threshold, Assert.IsType<WebSocketMessage.Binary>(Assert.Single(_handler.Received)).Data.Count);
    }

    [Fact]
    public void Reading_is_held_once_a_window_is_unread_and_a_Read_takes_up_to_a_window_and_resumes_reading()
    {
        var session = Session(Streaming);
        var input = ClientFrames.BinaryFrame(new byte[1 << 20]);
        var at = FillWindow(session, input, 0);
        // The reader has read nothing: the session took in a window, and at most one read more.
        Assert.InRange(at, MessageStreamPump.Window, MessageStreamPump.Window + 4096);

        // The reads joined into one part, as far as a window goes (the frame's 14-byte header is not the message's).
        var first = Assert.IsType<WebSocketMessageStream.Part>(Read(session)).Bytes.Count;
        Assert.InRange(first, MessageStreamPump.Window - 4096, MessageStreamPump.Window);
        Assert.False(session.HoldsReading);
        Assert.Equal(at - 14 - first, Assert.IsType<WebSocketMessageStream.Part>(Read(session)).Bytes.Count); // the rest
        Assert.Null(Read(session)); // nothing more yet: answered when the next read comes
        Receive(session, input[at..(at + 100)], 0);
        Assert.Equal(100, Assert.IsType<WebSocketMessageStream.Part>(_handler.Received[^1]).Bytes.Count);
    }

    [Fact]
    public void The_next_message_waits_until_the_streamed_one_s_Completed_is_read_even_when_it_came_in_the_same_read()
    {
        var session = Session(Streaming);
        Receive(session, ClientFrames.Concat(ClientFrames.BinaryFrame(new byte[2000]), ClientFrames.TextFrame("next"), ClientFrames.PingFrame([1])), 0);
        Assert.True(session.HoldsReading); // all of the message parsed, not all read: what follows waits
        Assert.Empty(Written());           // the ping too
        Assert.IsType<WebSocketMessageStream.Part>(Read(session));
        Assert.True(session.HoldsReading);
        Assert.IsType<WebSocketMessageStream.Completed>(Read(session));
        Assert.False(session.HoldsReading);
        Assert.Equal(new WebSocketMessage.Text("next"), _handler.Received[^1]);
        Assert.Equal(ClientFrames.Pong, Assert.Single(Written()).Opcode);
    }

    [Fact]
    public void The_client_s_close_after_a_whole_streamed_message_is_heard_once_the_message_is_read()
    {
        var session = Session(Streaming);
        Receive(session, ClientFrames.Concat(ClientFrames.BinaryFrame(new byte[2000]), ClientFrames.CloseFrame(1000, "done")), 0);
        Assert.Empty(Written()); // the Close waits behind the message
        Assert.IsType<WebSocketMessageStream.Part>(Read(session));
        Assert.Equal(SessionStep.Close, session.OnRead(_handler, 0)); // Completed; then the Close is parsed
        Assert.Equal([typeof(WebSocketMessageStream.Started), typeof(WebSocketMessageStream.Part), typeof(WebSocketMessageStream.Completed), typeof(WebSocketClosed)],
            _handler.Received.Select(m => m.GetType()));
        Assert.Equal(1000, CloseCodeOf(Assert.Single(Written())));
    }

    [Fact]
    public void Invalid_UTF8_in_a_streamed_text_message_fails_its_reader_and_closes_with_1007()
    {
        var session = Session(Streaming);
        var payload = Encoding.UTF8.GetBytes(new string('x', 3000)).Concat(new byte[] { 0xC3, 0x28 }).ToArray();
        var input = ClientFrames.Frame(ClientFrames.Text, payload);
        Receive(session, input[..2000], 0);
        Assert.IsType<WebSocketMessageStream.Part>(Read(session)); // the valid start was delivered
        Assert.Equal(SessionStep.Close, Receive(session, input[2000..], 0));
        var failed = Assert.IsType<WebSocketMessageStream.Failed>(_handler.Received[^2]); // told without a Read waiting
        Assert.Equal(WebSocketCloseCodes.InvalidPayloadData, failed.Code);
        Assert.Equal(WebSocketCloseCodes.InvalidPayloadData, Assert.IsType<WebSocketClosed>(_handler.Received[^1]).Code);
        Assert.Equal(WebSocketCloseCodes.InvalidPayloadData, CloseCodeOf(Assert.Single(Written())));
        Assert.Same(failed, Read(session)); // and a later Read hears it again
    }

    [Fact]
    public void A_fragment_that_takes_a_streamed_message_past_its_limit_closes_with_1009_and_its_reader_is_told()
    {
        var session = Session(Streaming with { MaxStreamedMessageSize = 10_000 });
        Receive(session, ClientFrames.Frame(ClientFrames.Binary, new byte[6000], fin: false), 0);
        Assert.IsType<WebSocketMessageStream.Part>(Read(session));
        Assert.Null(Read(session)); // a Read waiting when the failure comes
        Assert.Equal(SessionStep.Close, Receive(session, ClientFrames.Frame(ClientFrames.Continuation, [], rawLength: 4001), 0));
        Assert.Equal(WebSocketCloseCodes.MessageTooBig, Assert.IsType<WebSocketMessageStream.Failed>(_handler.Received[^2]).Code);
        Assert.Equal(WebSocketCloseCodes.MessageTooBig, CloseCodeOf(Assert.Single(Written())));
    }

    [Fact]
    public void The_client_s_close_in_the_middle_of_a_streamed_message_tells_its_reader_Failed_before_the_handler_hears_WebSocketClosed()
    {
        var session = Session(Streaming);
        Receive(session, ClientFrames.Frame(ClientFrames.Binary, new byte[3000], fin: false), 0);
        Assert.Equal(SessionStep.Close, Receive(session, ClientFrames.CloseFrame(1001, "leaving"), 0));
        Assert.Equal(new WebSocketMessageStream.Failed(1001, "leaving"), _handler.Received[^2]);
        Assert.Equal(1001, Assert.IsType<WebSocketClosed>(_handler.Received[^1]).Code);
    }

    [Fact]
    public void The_connection_lost_mid_stream_tells_the_reader_1006()
    {
        var session = Session(Streaming);
        Receive(session, ClientFrames.Frame(ClientFrames.Binary, new byte[3000], fin: false), 0);
        session.OnConnectionLost("the client closed the connection");
        Assert.Equal(WebSocketClosed.AbnormalClosure, Assert.IsType<WebSocketMessageStream.Failed>(_handler.Received[^2]).Code);
    }

    [Fact]
    public void A_server_close_while_reading_is_held_fails_the_reader_and_reads_on_for_the_client_s_close_dropping_the_rest()
    {
        var session = Session(Streaming);
        var input = ClientFrames.BinaryFrame(new byte[200_000]);
        var at = FillWindow(session, input, 0);

        Assert.Equal(SessionStep.Continue, session.Close(WebSocketCloseCodes.NormalClosure, "enough", 100));
        Assert.Equal(new WebSocketMessageStream.Failed(WebSocketCloseCodes.NormalClosure, "enough"), _handler.Received[^1]);
        Assert.False(session.HoldsReading); // the client's Close is behind the rest of its message: read it all
        Assert.Equal(WebSocketCloseCodes.NormalClosure, CloseCodeOf(Assert.Single(Written())));
        var told = _handler.Received.Count;
        Receive(session, input[at..], 200);
        Assert.Equal(told, _handler.Received.Count); // the rest of the message is dropped
        Assert.Equal(SessionStep.Close, Receive(session, ClientFrames.CloseFrame(1000), 300));
        Assert.Equal(1000, Assert.IsType<WebSocketClosed>(_handler.Received[^1]).Code);
    }

    [Fact]
    public void Keep_alive_pings_and_the_idle_timeout_pause_while_reading_is_held_for_the_reader()
    {
        var session = Session(Streaming);
        FillWindow(session, ClientFrames.BinaryFrame(new byte[200_000]), 1000);
        Assert.Equal(long.MaxValue, session.NextDeadline); // the reader, not the client, is slow
        Assert.Equal(SessionStep.Continue, session.OnDeadline(500_000));
        Assert.Empty(Written());

        session.OnRead(_handler, 600_000); // the reader catches up 10 minutes later: the client's quiet time starts now
        Assert.False(session.HoldsReading);
        Assert.Equal(630_000, session.NextDeadline);
        session.OnDeadline(630_000);
        Assert.Equal(ClientFrames.Ping, Assert.Single(Written()).Opcode);
    }

    [Fact]
    public void A_Read_when_no_message_is_streamed_is_answered_Failed_1011_and_the_socket_stays_open()
    {
        var session = Session(Streaming);
        var failed = Assert.IsType<WebSocketMessageStream.Failed>(Read(session));
        Assert.Equal(WebSocketCloseCodes.InternalError, failed.Code);
        Assert.Empty(Written());
        Receive(session, ClientFrames.TextFrame("still open"), 0);
        Assert.Equal(new WebSocketMessage.Text("still open"), _handler.Received[^1]);
    }

    [Fact]
    public void After_our_close_a_message_past_the_threshold_is_neither_started_nor_delivered()
    {
        var session = Session(Streaming);
        session.Close(WebSocketCloseCodes.NormalClosure, "bye", 0);
        Receive(session, ClientFrames.BinaryFrame(new byte[5000]), 0);
        Assert.Empty(_handler.Received);
        Assert.False(session.HoldsReading);
    }
}
