using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Akka.Actor;
using ActorHttp.Handlers;
using ActorHttp.Handlers.WebSockets;
using ActorHttp.Protocol;
using ActorHttp.Protocol.WebSockets;
using ActorHttp.Routing;
using ActorHttp.Server.WebSockets;
using ActorHttp.Tests.Handlers;
using ActorHttp.Tests.Protocol.WebSockets;
using Xunit;

namespace ActorHttp.Tests.EndToEnd;

/// <summary>
/// WebSockets over real sockets on 127.0.0.1: .NET's own <see cref="ClientWebSocket"/> as the client (an independent
/// implementation of RFC 6455), and raw bytes where a test must break the protocol.
/// </summary>
[Trait("Category", "WebSocket")]
public sealed class WebSocketTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>
    /// /ws/echo echoes; /ws/chat speaks chat.v2 or chat.v1, closes with 4000 on "bye", and reports each socket it opens
    /// (so a test can push to it from outside); /ws/refuse refuses every upgrade with 403; /ws/hash streams messages past
    /// 64 KB to a handler that answers their SHA-256.
    /// </summary>
    private static Routes WebSocketRoutes(SocketRegistry registry) => TestServer.DefaultRoutes()
        .WebSocket("/ws/echo", WebSocketEchoHandler.Props())
        .WebSocket("/ws/chat", Props.Create(() => new ChatHandler(registry)))
        .WebSocket("/ws/refuse", Props.Create(() => new RefusingHandler()))
        .WebSocket("/ws/flood", Props.Create(() => new FloodHandler()))
        .WebSocket("/ws/hash", Props.Create<UploadHashHandler>(), streaming: WebSocketStreaming.Above(64 * 1024));

    /// <summary>On "flood N", sends N 1 KB binary messages at once, without waiting for acks (a careless producer).</summary>
    private sealed class FloodHandler : WebSocketHandlerActor
    {
        protected override void OnMessage(IActorRef socket, WebSocketMessage message)
        {
            if (message is not WebSocketMessage.Text { Value: var text } || !text.StartsWith("flood ", StringComparison.Ordinal)) return;
            var payload = new byte[1024];
            for (var i = int.Parse(text[6..]); i > 0; i--) socket.Tell(WebSocketSend.Binary(payload));
        }
    }

    private sealed class ChatHandler(SocketRegistry registry) : WebSocketHandlerActor
    {
        protected override IReadOnlyList<string> Subprotocols => ["chat.v2", "chat.v1"];

        protected override void OnOpened(WebSocketOpened opened) => registry.Opened(opened.Socket);

        protected override void OnMessage(IActorRef socket, WebSocketMessage message)
        {
            if (message is WebSocketMessage.Text { Value: "bye" }) socket.Tell(new WebSocketClose(4000, "bye to you"));
            else socket.Tell(WebSocketSend.Text($"chat: {FrameParserKit.Describe(message)}"));
        }

        protected override void OnClosed(WebSocketClosed closed) => registry.Closed(closed);
    }

    private sealed class RefusingHandler : WebSocketHandlerActor
    {
        protected override void OnUpgrade(HttpRequest request, WebSocketHandshakeResult.Accepted handshake) =>
            Sender.Tell(HttpResponse.Error(403, "not for you"));

        protected override void OnMessage(IActorRef socket, WebSocketMessage message) { }
    }

    /// <summary>The sockets the chat handler opened and the closes it was told, for the test to wait on.</summary>
    private sealed class SocketRegistry
    {
        private readonly TaskCompletionSource<IActorRef> _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<WebSocketClosed> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public void Opened(IActorRef socket) => _opened.TrySetResult(socket);
        public void Closed(WebSocketClosed closed) => _closed.TrySetResult(closed);
        public Task<IActorRef> FirstSocket => _opened.Task.WaitAsync(Timeout);
        public Task<WebSocketClosed> FirstClosed => _closed.Task.WaitAsync(Timeout);
    }

    private static async Task<(TestServer Server, SocketRegistry Registry)> StartAsync(Func<ActorHttp.Server.ServerSettings, ActorHttp.Server.ServerSettings>? configure = null)
    {
        var registry = new SocketRegistry();
        return (await TestServer.StartAsync(configure, WebSocketRoutes(registry)), registry);
    }

    private static async Task<ClientWebSocket> ConnectAsync(TestServer server, string path, params string[] subprotocols)
    {
        var client = new ClientWebSocket();
        client.Options.KeepAliveInterval = TimeSpan.Zero; // the server's pings are what a test may look at
        foreach (var protocol in subprotocols) client.Options.AddSubProtocol(protocol);
        using var cts = new CancellationTokenSource(Timeout);
        await client.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Port}{path}"), cts.Token);
        return client;
    }

    private static async Task<(WebSocketMessageType Type, byte[] Data)> ReceiveAsync(ClientWebSocket client)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await client.ReceiveAsync(buffer, cts.Token);
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage) return (result.MessageType, message.ToArray());
        }
    }

    private static async Task<string> ReceiveTextAsync(ClientWebSocket client)
    {
        var (type, data) = await ReceiveAsync(client);
        Assert.Equal(WebSocketMessageType.Text, type);
        return Encoding.UTF8.GetString(data);
    }

    private static async Task SendTextAsync(ClientWebSocket client, string text)
    {
        using var cts = new CancellationTokenSource(Timeout);
        await client.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, cts.Token);
    }

    [Fact]
    public async Task Echo_returns_text_and_binary_messages_and_a_large_fragmented_one_whole()
    {
        var (server, _) = await StartAsync();
        await using var _ = server;
        using var client = await ConnectAsync(server, "/ws/echo");

        await SendTextAsync(client, "héllo, 🌍");
        Assert.Equal("héllo, 🌍", await ReceiveTextAsync(client));

        using var cts = new CancellationTokenSource(Timeout);
        await client.SendAsync(new byte[] { 0, 1, 2, 255 }, WebSocketMessageType.Binary, true, cts.Token);
        var (type, data) = await ReceiveAsync(client);
        Assert.Equal(WebSocketMessageType.Binary, type);
        Assert.Equal([0, 1, 2, 255], data);

        // 300 KB in 10 fragments: reassembled into one message, echoed as one.
        var large = new byte[300 * 1024];
        new Random(7).NextBytes(large);
        for (var i = 0; i < 10; i++)
            await client.SendAsync(large.AsMemory(i * large.Length / 10, large.Length / 10), WebSocketMessageType.Binary, i == 9, cts.Token);
        (type, data) = await ReceiveAsync(client);
        Assert.Equal(WebSocketMessageType.Binary, type);
        Assert.Equal(large, data);

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
        Assert.Equal((WebSocketState.Closed, WebSocketCloseStatus.NormalClosure), (client.State, client.CloseStatus));
    }

    [Fact]
    public async Task A_20_MB_message_to_a_streaming_route_reaches_its_handler_in_parts_that_it_hashes_as_they_come()
    {
        var (server, _) = await StartAsync();
        await using var _ = server;
        using var client = await ConnectAsync(server, "/ws/hash");
        using var cts = new CancellationTokenSource(Timeout);

        // One frame of 20 MB (20 times max-message-size): the server reads it as fast as the handler hashes.
        var data = new byte[20 << 20];
        new Random(20).NextBytes(data);
        await client.SendAsync(data, WebSocketMessageType.Binary, true, cts.Token);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(data)), await ReceiveTextAsync(client));

        // 20 MB of text in 1 MB fragments cut inside characters: the handler's parts are whole UTF-8 all the same.
        var text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("wörld € 😀 ", (20 << 20) / 16)));
        const int Fragment = 1 << 20;
        for (var at = 0; at < text.Length; at += Fragment)
            await client.SendAsync(text.AsMemory(at, Math.Min(Fragment, text.Length - at)), WebSocketMessageType.Text, at + Fragment >= text.Length, cts.Token);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(text)), await ReceiveTextAsync(client));

        await SendTextAsync(client, "small"); // under the threshold: whole, as ever
        Assert.Equal(Convert.ToHexString(SHA256.HashData("small"u8)), await ReceiveTextAsync(client));
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
    }

    [Fact]
    public async Task The_handler_picks_a_subprotocol_the_client_offered_and_closes_with_its_own_code()
    {
        var (server, registry) = await StartAsync();
        await using var _ = server;
        using var client = await ConnectAsync(server, "/ws/chat", "chat.v1", "other");
        Assert.Equal("chat.v1", client.SubProtocol);

        await SendTextAsync(client, "hi");
        Assert.Equal("chat: text:hi", await ReceiveTextAsync(client));

        await SendTextAsync(client, "bye");
        using var cts = new CancellationTokenSource(Timeout);
        var result = await client.ReceiveAsync(new byte[16], cts.Token);
        Assert.Equal((WebSocketMessageType.Close, (WebSocketCloseStatus)4000, "bye to you"), (result.MessageType, result.CloseStatus, result.CloseStatusDescription));
        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", cts.Token); // answers the close
        var closed = await registry.FirstClosed;
        Assert.Equal(1000, closed.Code); // the client's answer
    }

    [Fact]
    public async Task Any_actor_holding_the_socket_can_push_to_it_and_the_handler_learns_when_the_client_leaves()
    {
        var (server, registry) = await StartAsync();
        await using var _ = server;
        using var client = await ConnectAsync(server, "/ws/chat");
        Assert.Null(client.SubProtocol is "" ? null : client.SubProtocol); // none offered, none chosen
        var socket = await registry.FirstSocket;

        socket.Tell(WebSocketSend.Text("pushed from outside"), ActorRefs.NoSender);
        Assert.Equal("pushed from outside", await ReceiveTextAsync(client));

        client.Abort(); // no Close frame: the handler hears 1006
        var closed = await registry.FirstClosed;
        Assert.Equal(WebSocketClosed.AbnormalClosure, closed.Code);
        Assert.Equal(socket, closed.Socket);
    }

    [Fact]
    public async Task Upgraded_connections_are_counted_while_open()
    {
        var (server, registry) = await StartAsync();
        await using var _s = server;
        long upgraded = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ActorHttp.Observability.HttpMetrics.MeterName && instrument.Name == "actorhttp.upgraded_connections")
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            // The meter is the process's: only this server's listener port counts.
            foreach (var tag in tags)
                if (tag.Key == "server.port" && Equals(tag.Value, server.Port)) Interlocked.Add(ref upgraded, value);
        });
        listener.Start();

        using var client = await ConnectAsync(server, "/ws/chat");
        await registry.FirstSocket;
        Assert.Equal(1, Interlocked.Read(ref upgraded));
        client.Abort();
        await registry.FirstClosed;
        for (var i = 0; i < 200 && Interlocked.Read(ref upgraded) != 0; i++) await Task.Delay(25); // bounded: the actor's PostStop follows
        Assert.Equal(0, Interlocked.Read(ref upgraded));
    }

    [Fact]
    public async Task A_refused_upgrade_gets_the_handler_s_response_and_the_connection_closes()
    {
        var (server, _) = await StartAsync();
        await using var _s = server;
        using var raw = await RawHttpConnection.OpenAsync(server.Port);
        var response = await raw.RoundTripAsync(UpgradeRequest("/ws/refuse"));
        Assert.Equal(403, response.Status);
        Assert.True(response.ConnectionClose);
        Assert.True(await raw.WaitForServerCloseAsync());
    }

    [Theory]
    [InlineData("Sec-WebSocket-Version: 8\r\n", 426)]
    [InlineData("", 426)] // no version at all
    public async Task A_wrong_or_missing_version_gets_426_naming_version_13(string version, int status)
    {
        var (server, _) = await StartAsync();
        await using var _s = server;
        using var raw = await RawHttpConnection.OpenAsync(server.Port);
        var response = await raw.RoundTripAsync(UpgradeRequest("/ws/echo", version: version));
        Assert.Equal(status, response.Status);
        Assert.Equal("13", response.Header("Sec-WebSocket-Version"));
        Assert.Equal("websocket", response.Header("Upgrade"));
        // The connection stays usable: nothing was upgraded.
        Assert.Equal(200, (await raw.RoundTripAsync(RawHttpConnection.Request("/plaintext"))).Status);
    }

    [Fact]
    public async Task A_malformed_handshake_gets_400_with_a_reason()
    {
        var (server, _) = await StartAsync();
        await using var _s = server;
        using var raw = await RawHttpConnection.OpenAsync(server.Port);
        var response = await raw.RoundTripAsync(UpgradeRequest("/ws/echo", key: "c2hvcnQ=")); // 5 bytes, not 16
        Assert.Equal(400, response.Status);
        Assert.Contains("Sec-WebSocket-Key", response.BodyText);
    }

    [Fact]
    public async Task An_upgrade_request_to_an_ordinary_route_is_served_as_plain_HTTP_and_a_plain_GET_to_a_WebSocket_route_gets_426()
    {
        var (server, _) = await StartAsync();
        await using var _s = server;
        using var raw = await RawHttpConnection.OpenAsync(server.Port);
        var plain = await raw.RoundTripAsync(UpgradeRequest("/plaintext"));
        Assert.Equal((200, TestServer.PlainText), (plain.Status, plain.BodyText));

        var notUpgraded = await raw.RoundTripAsync(RawHttpConnection.Request("/ws/echo"));
        Assert.Equal(426, notUpgraded.Status);
        Assert.Equal("websocket", notUpgraded.Header("Upgrade"));
    }

    [Fact]
    public async Task Frames_sent_right_behind_the_handshake_are_not_lost_and_an_unmasked_frame_is_answered_1002_then_closed()
    {
        var (server, _) = await StartAsync();
        await using var _s = server;
        using var raw = await RawHttpConnection.OpenAsync(server.Port);
        // The handshake and a first frame in one write: the frame arrives before the upgrade is accepted.
        await raw.SendAsync(ClientFrames.Concat(Encoding.ASCII.GetBytes(UpgradeRequest("/ws/echo")), ClientFrames.TextFrame("early")));
        var response = await raw.ReadResponseAsync();
        Assert.Equal(101, response.Status);
        Assert.Equal(WebSocketHandshake.ComputeAccept("dGhlIHNhbXBsZSBub25jZQ=="), response.Header("Sec-WebSocket-Accept"));
        var echo = await ReadFrameAsync(raw);
        Assert.Equal((ClientFrames.Text, "early"), (echo.Opcode, Encoding.UTF8.GetString(echo.Payload)));

        await raw.SendAsync(ClientFrames.Frame(ClientFrames.Text, "x"u8, masked: false));
        var close = await ReadFrameAsync(raw);
        Assert.Equal((ClientFrames.Close, WebSocketCloseCodes.ProtocolError), (close.Opcode, (int)BinaryPrimitives.ReadUInt16BigEndian(close.Payload)));
        Assert.True(await raw.WaitForServerCloseAsync());
    }

    [Fact]
    public async Task A_message_over_max_message_size_is_refused_with_1009()
    {
        var (server, _) = await StartAsync(s => s with { WebSocket = s.WebSocket with { MaxMessageSize = 1024 } });
        await using var _s = server;
        using var client = await ConnectAsync(server, "/ws/echo");
        using var cts = new CancellationTokenSource(Timeout);
        await client.SendAsync(new byte[2048], WebSocketMessageType.Binary, true, cts.Token);
        var result = await client.ReceiveAsync(new byte[64], cts.Token);
        Assert.Equal((WebSocketMessageType.Close, WebSocketCloseStatus.MessageTooBig), (result.MessageType, result.CloseStatus));
    }

    [Fact]
    public async Task Shutting_the_server_down_closes_open_sockets_with_1001()
    {
        var (server, _) = await StartAsync();
        await using var _s = server;
        using var client = await ConnectAsync(server, "/ws/echo");
        var terminating = server.TerminateAsync(TimeSpan.FromSeconds(5));
        using var cts = new CancellationTokenSource(Timeout);
        var result = await client.ReceiveAsync(new byte[64], cts.Token);
        Assert.Equal((WebSocketMessageType.Close, WebSocketCloseStatus.EndpointUnavailable), (result.MessageType, result.CloseStatus));
        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", cts.Token);
        await terminating.WaitAsync(Timeout);
    }

    [Fact]
    public async Task An_independent_client_Python_websockets_gets_its_echo_pong_and_close()
    {
        var (server, _) = await StartAsync();
        await using var _s = server;
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3"; // Debian's, where python3-websockets lives
        using var client = ChildProcess.Start(python, [Path.Combine(RepoPaths.Root, "tests", "clients", "websocket_client.py"), $"ws://127.0.0.1:{server.Port}/ws/echo"]);
        var code = await client.WaitForExitAsync(Timeout);
        Assert.True(code == 0, $"exit {code}\nstdout:\n{client.Stdout}\nstderr:\n{client.Stderr}");
        Assert.Equal(["text ok", "binary ok", "ping ok", "close ok", "done"], client.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>Each rule of RFC 6455 a client can break, sent over a raw socket after a valid handshake.</summary>
    public static TheoryData<string, byte[], int> BrokenFrames() => new()
    {
        { "unmasked", ClientFrames.Frame(ClientFrames.Text, "x"u8, masked: false), WebSocketCloseCodes.ProtocolError },
        { "reserved bit", ClientFrames.Frame(ClientFrames.Text, "x"u8, rsv: 4), WebSocketCloseCodes.ProtocolError },
        { "reserved opcode", ClientFrames.Frame(0x3, "x"u8), WebSocketCloseCodes.ProtocolError },
        { "reserved control opcode", ClientFrames.Frame(0xB, "x"u8), WebSocketCloseCodes.ProtocolError },
        { "control over 125 bytes", ClientFrames.Frame(ClientFrames.Ping, new byte[126]), WebSocketCloseCodes.ProtocolError },
        { "fragmented control", ClientFrames.Frame(ClientFrames.Ping, "x"u8, fin: false), WebSocketCloseCodes.ProtocolError },
        { "continuation without a message", ClientFrames.Frame(ClientFrames.Continuation, "x"u8), WebSocketCloseCodes.ProtocolError },
        { "new message inside a fragmented one", ClientFrames.Concat(ClientFrames.TextFrame("a", fin: false), ClientFrames.TextFrame("b")), WebSocketCloseCodes.ProtocolError },
        { "close with a 1-byte payload", ClientFrames.Frame(ClientFrames.Close, [3]), WebSocketCloseCodes.ProtocolError },
        { "close with code 1005", ClientFrames.CloseFrame(1005), WebSocketCloseCodes.ProtocolError },
        { "invalid UTF-8", ClientFrames.Frame(ClientFrames.Text, [0xC3, 0x28]), WebSocketCloseCodes.InvalidPayloadData },
        { "UTF-8 broken across fragments", ClientFrames.Concat(ClientFrames.Frame(ClientFrames.Text, [0xE2, 0x82], fin: false), ClientFrames.Frame(ClientFrames.Continuation, [0x28])), WebSocketCloseCodes.InvalidPayloadData },
        { "close reason not UTF-8", ClientFrames.Frame(ClientFrames.Close, [0x03, 0xE8, 0xFF]), WebSocketCloseCodes.InvalidPayloadData },
        { "message over max-message-size", ClientFrames.Frame(ClientFrames.Binary, [], rawLength: 2 * 1024 * 1024), WebSocketCloseCodes.MessageTooBig },
        { "normal close", ClientFrames.CloseFrame(1000, "bye"), WebSocketCloseCodes.NormalClosure },
    };

    [Theory]
    [MemberData(nameof(BrokenFrames))]
    public async Task Every_close_code_a_client_can_provoke_is_sent_before_the_server_closes(string what, byte[] frames, int expected)
    {
        var (server, _) = await StartAsync();
        await using var _s = server;
        using var raw = await OpenRawSocketAsync(server, "/ws/echo");
        await raw.SendAsync(frames);
        var close = await ReadFrameAsync(raw);
        Assert.True(close.Opcode == ClientFrames.Close, $"{what}: expected a Close frame, got opcode {close.Opcode}");
        Assert.Equal(expected, BinaryPrimitives.ReadUInt16BigEndian(close.Payload));
        Assert.True(await raw.WaitForServerCloseAsync(), $"{what}: the server did not close the connection");
    }

    [Fact]
    public async Task A_producer_that_outruns_its_client_past_max_pending_bytes_gets_the_client_closed_with_1008()
    {
        var (server, _) = await StartAsync(s => s with { WebSocket = s.WebSocket with { MaxPendingBytes = 16 * 1024 } });
        await using var _s = server;
        using var raw = await OpenRawSocketAsync(server, "/ws/flood");
        await raw.SendAsync(ClientFrames.TextFrame("flood 5000")); // 5 MB queued at once, 16 KB allowed

        // What was written before the bound was passed arrives, then the Close frame; the rest was dropped.
        var messages = 0;
        ServerFrame frame;
        while ((frame = await ReadFrameAsync(raw)).Opcode == ClientFrames.Binary) Assert.True(++messages < 5000, "every message arrived: the bound never held");
        Assert.Equal((ClientFrames.Close, WebSocketCloseCodes.PolicyViolation), (frame.Opcode, (int)BinaryPrimitives.ReadUInt16BigEndian(frame.Payload)));
        Assert.True(await raw.WaitForServerCloseAsync());
    }

    [Fact]
    public async Task Fuzzed_frame_streams_never_stop_the_server_nor_disturb_another_socket()
    {
        var (server, _) = await StartAsync(s => s with { WebSocket = s.WebSocket with { MaxMessageSize = 64 * 1024 } });
        await using var _s = server;
        using var healthy = await ConnectAsync(server, "/ws/echo");
        var random = new Random(20261203);
        for (var round = 0; round < 40; round++)
        {
            using var raw = await OpenRawSocketAsync(server, "/ws/echo");
            // Valid frames with random bytes flipped, or plain noise: whatever it is, the server answers or closes.
            var bytes = round % 2 == 0
                ? ClientFrames.Concat(ClientFrames.TextFrame("ok"), ClientFrames.BinaryFrame(new byte[random.Next(0, 300)]), ClientFrames.PingFrame())
                : new byte[random.Next(1, 400)];
            if (round % 2 == 0) for (var flips = 0; flips < 3; flips++) bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
            else random.NextBytes(bytes);
            await raw.SendAsync(bytes);
            raw.ShutdownSend();
            await raw.DrainForAsync(TimeSpan.FromSeconds(5)); // bounded: the server closes, or the window ends

            await SendTextAsync(healthy, $"still here {round}");
            Assert.Equal($"still here {round}", await ReceiveTextAsync(healthy));
        }
        using var http = new HttpClient { Timeout = Timeout };
        using var plain = await http.GetAsync($"http://127.0.0.1:{server.Port}/plaintext");
        Assert.Equal(System.Net.HttpStatusCode.OK, plain.StatusCode);
    }

    private static async Task<RawHttpConnection> OpenRawSocketAsync(TestServer server, string path)
    {
        var raw = await RawHttpConnection.OpenAsync(server.Port);
        var response = await raw.RoundTripAsync(UpgradeRequest(path));
        Assert.Equal(101, response.Status);
        return raw;
    }

    private static string UpgradeRequest(string path, string key = "dGhlIHNhbXBsZSBub25jZQ==", string version = "Sec-WebSocket-Version: 13\r\n") =>
        $"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n{version}\r\n";

    /// <summary>Reads one server frame (unmasked) off the raw connection.</summary>
    private static async Task<ServerFrame> ReadFrameAsync(RawHttpConnection raw)
    {
        var head = await raw.ReadExactlyAsync(2);
        var length = (long)(head[1] & 0x7F);
        var extended = length switch { 126 => await raw.ReadExactlyAsync(2), 127 => await raw.ReadExactlyAsync(8), _ => [] };
        if (length == 126) length = BinaryPrimitives.ReadUInt16BigEndian(extended);
        else if (length == 127) length = (long)BinaryPrimitives.ReadUInt64BigEndian(extended);
        var payload = await raw.ReadExactlyAsync((int)length);
        return ServerFrames.Single([.. head, .. extended, .. payload]);
    }
}
