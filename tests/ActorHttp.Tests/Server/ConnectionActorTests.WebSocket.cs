using System.Buffers.Binary;
using Akka.Actor;
using Akka.IO;
using ActorHttp.Protocol;
using ActorHttp.Protocol.WebSockets;
using ActorHttp.Server;
using ActorHttp.Server.WebSockets;
using ActorHttp.Tests.Protocol.WebSockets;
using Xunit;

namespace ActorHttp.Tests.Server;

/// <summary>The connection actor once upgraded: the socket's deadlines on the fake clock, and its handler's lifetime.</summary>
public sealed partial class ConnectionActorTests
{
    private static readonly ServerSettings WebSocketTimers = Slow with
    {
        WebSocket = Slow.WebSocket with
        {
            KeepAliveInterval = TimeSpan.FromSeconds(30), IdleTimeout = TimeSpan.FromSeconds(120), CloseTimeout = TimeSpan.FromSeconds(5),
        },
    };

    private const string Upgrade =
        "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

    /// <summary>Routes /ws as a WebSocket route to the handler probe, streaming as <paramref name="streaming"/> says (null: as the server's settings).</summary>
    private sealed class WebSocketRouter(IActorRef handler, WebSocketStreaming? streaming = null) : IRequestRouter
    {
        private readonly RouteSettings? _settings = streaming is null ? null : new RouteSettings(null, null, streaming);

        public RouteDecision Route(HttpRequest request) => RouteDecision.Dispatch(handler, request, "/ws", webSocket: true) with { Settings = _settings };
    }

    /// <summary>
    /// Opens a socket on a fresh connection: upgrade, accept (for <paramref name="receiver"/>, or the handler probe), 101.
    /// The route streams as <paramref name="streaming"/> says.
    /// </summary>
    private Conn OpenSocket(ServerSettings settings, IActorRef? receiver = null, WebSocketStreaming? streaming = null)
    {
        var c = Connect(settings, new WebSocketRouter(TestActor, streaming));
        c.Send(Upgrade);
        var request = ExpectMsg<HttpRequest>(Wait);
        Assert.NotNull(request.WebSocket);
        LastSender.Tell(new WebSocketAccept(Handler: receiver ?? c.Handler.Ref));
        Assert.StartsWith("HTTP/1.1 101 Switching Protocols\r\n", c.ExpectWrite());
        var opened = (receiver == null ? c.Handler : null)?.ExpectMsg<WebSocketOpened>(Wait);
        if (opened != null) Assert.Equal(c.Actor, opened.Socket);
        return c;
    }

    private static ServerFrame Frame(Conn c) => ServerFrames.Single(c.LastWriteBytes);

    private static int CloseCode(ServerFrame frame) => BinaryPrimitives.ReadUInt16BigEndian(frame.Payload);

    [Fact]
    public void An_upgraded_connection_delivers_frames_as_messages_from_the_socket_and_writes_what_is_sent()
    {
        var c = OpenSocket(WebSocketTimers);
        c.Actor.Tell(new Tcp.Received(ByteString.FromBytes(ClientFrames.TextFrame("hi"))), c.Tcp.Ref);
        Assert.Equal(new WebSocketMessage.Text("hi"), c.Handler.ExpectMsg<WebSocketMessage>(Wait));
        Assert.Equal(c.Actor, c.Handler.LastSender);

        c.Actor.Tell(WebSocketSend.Text("back", ack: "written"), TestActor);
        c.ExpectWrite();
        Assert.Equal("back", System.Text.Encoding.UTF8.GetString(Frame(c).Payload));
        ExpectMsg("written", Wait);
    }

    [Fact]
    public void A_quiet_client_is_pinged_at_the_keep_alive_interval_not_before()
    {
        var c = OpenSocket(WebSocketTimers);
        c.Advance(TimeSpan.FromSeconds(30) - Ms(1));
        c.ExpectNothingWrittenOrClosed();
        c.Advance(Ms(1));
        c.ExpectWrite();
        Assert.Equal(ClientFrames.Ping, Frame(c).Opcode);

        // The pong counts as activity: the next ping is one interval after it.
        c.Advance(TimeSpan.FromSeconds(10));
        c.Actor.Tell(new Tcp.Received(ByteString.FromBytes(ClientFrames.PongFrame())), c.Tcp.Ref);
        c.Advance(TimeSpan.FromSeconds(30) - Ms(1));
        c.ExpectNothingWrittenOrClosed();
        c.Advance(Ms(1));
        c.ExpectWrite();
        Assert.Equal(ClientFrames.Ping, Frame(c).Opcode);
    }

    [Fact]
    public void A_client_that_never_answers_is_closed_with_1001_at_the_idle_timeout_and_dropped_at_the_close_timeout()
    {
        var c = OpenSocket(WebSocketTimers with { WebSocket = WebSocketTimers.WebSocket with { KeepAliveInterval = null } });
        c.Advance(TimeSpan.FromSeconds(120) - Ms(1));
        c.ExpectNothingWrittenOrClosed();
        c.Advance(Ms(1));
        c.ExpectWrite();
        Assert.Equal((ClientFrames.Close, WebSocketCloseCodes.GoingAway), (Frame(c).Opcode, CloseCode(Frame(c))));

        c.Advance(TimeSpan.FromSeconds(5) - Ms(1));
        c.ExpectNothingWrittenOrClosed();
        c.Advance(Ms(1));
        c.Expect<Tcp.Abort>();
        var closed = c.Handler.ExpectMsg<WebSocketClosed>(Wait);
        Assert.Equal(WebSocketCloseCodes.GoingAway, closed.Code);
        c.WatchAndExpectStopped();
    }

    [Fact]
    public void The_client_s_close_is_echoed_and_the_server_closes_the_connection_first()
    {
        var c = OpenSocket(WebSocketTimers);
        c.Actor.Tell(new Tcp.Received(ByteString.FromBytes(ClientFrames.CloseFrame(1000, "bye"))), c.Tcp.Ref);
        c.ExpectWrite();
        Assert.Equal(1000, CloseCode(Frame(c)));
        c.Expect<Tcp.ConfirmedClose>();
        Assert.Equal(1000, c.Handler.ExpectMsg<WebSocketClosed>(Wait).Code);
    }

    [Fact]
    public void A_handler_that_stops_closes_its_socket_with_1001()
    {
        var receiver = CreateTestProbe();
        var c = OpenSocket(WebSocketTimers, receiver.Ref);
        receiver.ExpectMsg<WebSocketOpened>(Wait);
        Sys.Stop(receiver.Ref);
        c.ExpectWrite();
        Assert.Equal(WebSocketCloseCodes.GoingAway, CloseCode(Frame(c)));
    }

    [Fact]
    public void A_refused_upgrade_is_answered_and_closes_the_connection_since_nothing_after_the_request_is_HTTP()
    {
        var c = Connect(WebSocketTimers, new WebSocketRouter(TestActor));
        c.Send(Upgrade);
        ExpectMsg<HttpRequest>(Wait);
        LastSender.Tell(HttpResponse.Error(403, "no"));
        var written = c.ExpectWrite();
        Assert.StartsWith("HTTP/1.1 403", written);
        Assert.Contains("Connection: close", written);
        c.Expect<Tcp.ConfirmedClose>();
    }

    [Fact]
    public void A_subprotocol_the_client_did_not_offer_is_a_handler_bug_answered_500()
    {
        var c = Connect(WebSocketTimers, new WebSocketRouter(TestActor));
        c.Send(Upgrade);
        ExpectMsg<HttpRequest>(Wait);
        LastSender.Tell(new WebSocketAccept("never-offered"));
        Assert.StartsWith("HTTP/1.1 500", c.ExpectWrite());
    }
}
