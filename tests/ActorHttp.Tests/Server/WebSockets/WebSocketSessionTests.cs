using Akka.IO;
using ActorHttp.Protocol.WebSockets;
using ActorHttp.Server.Connection;
using ActorHttp.Server.WebSockets;
using ActorHttp.Tests.Protocol.WebSockets;
using ActorHttp.Tests.Server.Connection;
using Xunit;

namespace ActorHttp.Tests.Server.WebSockets;

/// <summary>The WebSocket session part on its own: frames in, messages to the handler, frames out, deadlines as numbers.</summary>
[Trait("Category", "WebSocket")]
public sealed partial class WebSocketSessionTests
{
    private static readonly WebSocketSettings Settings = WebSocketSettings.Default with
    {
        MaxMessageSize = 1024, MaxPendingBytes = 4096,
        KeepAliveInterval = TimeSpan.FromSeconds(30), IdleTimeout = TimeSpan.FromSeconds(120), CloseTimeout = TimeSpan.FromSeconds(5),
    };

    private readonly RecordingActorRef _socket = new("socket");
    private readonly RecordingActorRef _handler = new("handler");
    private readonly ResponseWriter _writer = new();

    private WebSocketSession Session(WebSocketSettings? settings = null) => new(settings ?? Settings, _socket, _handler, _writer, now: 0);

    /// <summary>The frames rendered so far (taken out of the writer, as a write would).</summary>
    private List<ServerFrame> Written()
    {
        if (_writer.Pending.IsEmpty) return [];
        var bytes = _writer.TakeWrite(0, out _).ToArray();
        _writer.OnAck();
        return ServerFrames.Read(bytes);
    }

    private static int CloseCodeOf(ServerFrame frame) => frame.Payload[0] << 8 | frame.Payload[1];

    /// <summary>One read's bytes into the session, as the connection passes them.</summary>
    private static SessionStep Receive(WebSocketSession session, byte[] bytes, long now) => session.OnReceived(ByteString.FromBytes(bytes), now);

    [Fact]
    public void Each_message_goes_to_the_handler_with_the_socket_as_sender_and_nothing_is_written()
    {
        var session = Session();
        var bytes = ClientFrames.Concat(ClientFrames.TextFrame("hel", fin: false), ClientFrames.Frame(ClientFrames.Continuation, ClientFrames.Utf8("lo")),
            ClientFrames.BinaryFrame([1, 2, 3]));
        Assert.Equal(SessionStep.Continue, Receive(session, bytes, 10));
        Assert.Equal([new WebSocketMessage.Text("hello"), new WebSocketMessage.Binary([1, 2, 3])], _handler.Received);
        Assert.Empty(Written());
    }

    [Fact]
    public void A_ping_is_answered_with_a_pong_carrying_its_payload()
    {
        var session = Session();
        Receive(session, ClientFrames.PingFrame([7, 8]), 10);
        var pong = Assert.Single(Written());
        Assert.Equal((ClientFrames.Pong, false), (pong.Opcode, pong.Masked));
        Assert.Equal([7, 8], pong.Payload);
    }

    [Fact]
    public void The_client_s_close_is_echoed_with_its_code_the_handler_is_told_once_and_the_connection_closes()
    {
        var session = Session();
        Assert.Equal(SessionStep.Close, Receive(session, ClientFrames.CloseFrame(4001, "bye"), 10));
        var close = Assert.Single(Written());
        Assert.Equal((ClientFrames.Close, 4001), (close.Opcode, CloseCodeOf(close)));
        var closed = Assert.IsType<WebSocketClosed>(Assert.Single(_handler.Received));
        Assert.Equal((4001, "bye"), (closed.Code, closed.Reason));

        session.OnConnectionLost("later");
        Assert.Single(_handler.Received); // told once
    }

    [Fact]
    public void A_close_without_a_code_is_reported_as_1005_and_echoed_empty()
    {
        var session = Session();
        Receive(session, ClientFrames.Frame(ClientFrames.Close, []), 10);
        Assert.Empty(Assert.Single(Written()).Payload);
        Assert.Equal(WebSocketClosed.NoStatusReceived, Assert.IsType<WebSocketClosed>(Assert.Single(_handler.Received)).Code);
    }

    [Theory]
    [InlineData(WebSocketCloseCodes.ProtocolError)]
    [InlineData(WebSocketCloseCodes.InvalidPayloadData)]
    [InlineData(WebSocketCloseCodes.MessageTooBig)]
    public void A_protocol_failure_sends_its_close_code_and_closes(int code)
    {
        var session = Session();
        var bad = code switch
        {
            WebSocketCloseCodes.ProtocolError => ClientFrames.Frame(ClientFrames.Text, ClientFrames.Utf8("x"), masked: false),
            WebSocketCloseCodes.InvalidPayloadData => ClientFrames.Frame(ClientFrames.Text, [0xC3, 0x28]),
            _ => ClientFrames.BinaryFrame(new byte[2000]),
        };
        Assert.Equal(SessionStep.Close, Receive(session, bad, 10));
        Assert.Equal(code, CloseCodeOf(Assert.Single(Written())));
        Assert.Equal(code, Assert.IsType<WebSocketClosed>(Assert.Single(_handler.Received)).Code);
    }

    [Fact]
    public void A_send_is_rendered_and_its_ack_owed_until_the_write_takes_it()
    {
        var session = Session();
        var producer = new RecordingActorRef("producer");
        session.Send(WebSocketSend.Text("hi", ack: "sent-1"), producer);
        Assert.Empty(producer.Received);
        var frame = Assert.Single(Written()); // TakeWrite tells the acks
        Assert.Equal((ClientFrames.Text, "hi"), (frame.Opcode, System.Text.Encoding.UTF8.GetString(frame.Payload)));
        Assert.Equal(["sent-1"], producer.Received);
    }

    [Fact]
    public void Past_max_pending_bytes_the_unsent_frames_are_dropped_and_the_client_gets_1008()
    {
        var session = Session();
        var producer = new RecordingActorRef("producer");
        for (var i = 0; i < 3; i++) Assert.Equal(SessionStep.Continue, session.Send(WebSocketSend.Binary(new byte[1000]), producer));
        Assert.Equal(SessionStep.Close, session.Send(WebSocketSend.Binary(new byte[1500], ack: "never"), producer));
        var close = Assert.Single(Written());
        Assert.Equal((ClientFrames.Close, WebSocketCloseCodes.PolicyViolation), (close.Opcode, CloseCodeOf(close)));
        Assert.Empty(producer.Received);
        Assert.Equal(WebSocketCloseCodes.PolicyViolation, Assert.IsType<WebSocketClosed>(Assert.Single(_handler.Received)).Code);

        session.Send(WebSocketSend.Text("after"), producer);
        Assert.Empty(Written()); // closed: nothing more goes out
    }

    [Fact]
    public void A_server_close_waits_for_the_client_s_close_then_closes_and_tells_the_handler_the_client_s_code()
    {
        var session = Session();
        Assert.Equal(SessionStep.Continue, session.Close(WebSocketCloseCodes.NormalClosure, "done", 100));
        Assert.Equal(WebSocketCloseCodes.NormalClosure, CloseCodeOf(Assert.Single(Written())));
        Assert.Empty(_handler.Received);

        // Messages after our close are no longer delivered (the client may still send until it sees it).
        Receive(session, ClientFrames.TextFrame("late"), 200);
        Assert.Empty(_handler.Received);
        Assert.Equal(SessionStep.Close, Receive(session, ClientFrames.CloseFrame(1000), 300));
        Assert.Empty(Written()); // not echoed again
        Assert.Equal(1000, Assert.IsType<WebSocketClosed>(Assert.Single(_handler.Received)).Code);
    }

    [Fact]
    public void A_client_that_never_answers_our_close_is_dropped_at_close_timeout_not_before()
    {
        var session = Session();
        session.Close(WebSocketCloseCodes.GoingAway, "shutting down", 1000);
        Assert.Equal(6000, session.NextDeadline);
        Assert.Equal(SessionStep.Continue, session.OnDeadline(5999));
        Assert.Equal(SessionStep.Abort, session.OnDeadline(6000));
        Assert.Equal(WebSocketCloseCodes.GoingAway, Assert.IsType<WebSocketClosed>(Assert.Single(_handler.Received)).Code);
    }

    [Fact]
    public void A_quiet_client_is_pinged_each_keep_alive_interval_and_anything_it_sends_restarts_the_interval()
    {
        var session = Session();
        Assert.Equal(30_000, session.NextDeadline);
        session.OnDeadline(29_999);
        Assert.Empty(Written());
        session.OnDeadline(30_000);
        Assert.Equal(ClientFrames.Ping, Assert.Single(Written()).Opcode);
        Assert.Equal(60_000, session.NextDeadline); // the next ping, one interval after this one

        Receive(session, ClientFrames.PongFrame(), 45_000);
        Assert.Equal(75_000, session.NextDeadline);
    }

    [Fact]
    public void A_client_quiet_for_the_idle_timeout_is_closed_with_1001()
    {
        var session = Session(Settings with { KeepAliveInterval = null });
        Assert.Equal(120_000, session.NextDeadline);
        session.OnDeadline(119_999);
        Assert.Empty(Written());
        session.OnDeadline(120_000);
        Assert.Equal(WebSocketCloseCodes.GoingAway, CloseCodeOf(Assert.Single(Written())));
        Assert.Equal(125_000, session.NextDeadline); // now the close handshake's
    }

    [Fact]
    public void Without_keep_alive_and_idle_timeout_an_open_session_has_no_deadline()
    {
        var session = Session(Settings with { KeepAliveInterval = null, IdleTimeout = null });
        Assert.Equal(long.MaxValue, session.NextDeadline);
    }

    [Fact]
    public void A_lost_connection_tells_the_handler_1006()
    {
        var session = Session();
        session.OnConnectionLost("the client closed the connection");
        var closed = Assert.IsType<WebSocketClosed>(Assert.Single(_handler.Received));
        Assert.Equal((WebSocketClosed.AbnormalClosure, _socket), (closed.Code, (RecordingActorRef)closed.Socket));
    }

    [Fact]
    public void A_close_with_a_code_that_may_not_be_sent_goes_out_as_1011()
    {
        var session = Session();
        session.Close(1005, "bad code", 0);
        Assert.Equal(WebSocketCloseCodes.InternalError, CloseCodeOf(Assert.Single(Written())));
    }
}
