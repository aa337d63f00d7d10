using System.Text;
using Akka.Actor;
using Akka.IO;
using Microsoft.Extensions.Time.Testing;
using ActorHttp.Handlers;
using ActorHttp.Protocol;
using ActorHttp.Routing;
using Xunit;

namespace ActorHttp.Tests.EndToEnd;

/// <summary>
/// Waits for the test to open the gate of its <see cref="HandlerSignals"/> (once the whole body has reached the server),
/// then reads one part of the streamed body and answers without reading the rest.
/// </summary>
public sealed class PeekHandler(HandlerSignals signals) : AsyncHttpHandlerActor
{
    protected override async Task<HttpResponse> OnRequestAsync(HttpRequest request)
    {
        var client = Sender;
        await signals.Gate.WaitAsync(TimeSpan.FromSeconds(60));
        long n = 0;
        await foreach (var part in RequestBodyReader.ReadAsync(client, TimeSpan.FromSeconds(10)))
        {
            n += part.Count;
            break;
        }
        return HttpResponse.Text($"peeked {n}");
    }
}

/// <summary>Counts the bytes of a body, and how many are 'A' and 'B'.</summary>
public sealed class CountingHandler : AsyncHttpHandlerActor
{
    protected override async Task<HttpResponse> OnRequestAsync(HttpRequest request)
    {
        var client = Sender;
        if (!request.BodyStreamed) return HttpResponse.Text($"buffered {request.Body.Count}");
        long n = 0, a = 0, b = 0;
        await foreach (var part in RequestBodyReader.ReadAsync(client, TimeSpan.FromSeconds(20)))
        {
            n += part.Count;
            foreach (var x in part.ToArray())
                if (x == (byte)'A') a++;
                else if (x == (byte)'B') b++;
        }
        return HttpResponse.Text($"count {n} A={a} B={b}");
    }
}

/// <summary>Answers 202 at once, without reading the body; then records the request (its answer is on its way).</summary>
public sealed class AcceptAtOnceHandler(HandlerSignals signals) : HttpHandlerActor
{
    protected override void OnRequest(HttpRequest request)
    {
        Respond(HttpResponse.Text("accepted", 202));
        signals.Record(request.Path);
    }
}

/// <summary>
/// <c>/s/stream</c> streams ticks 100 ms apart, at least 40 and on until the test opens the gate of its
/// <see cref="HandlerSignals"/>; <c>/s/boom</c> throws (restarting the actor); <c>/s/fail-first</c> streams a source
/// that fails at once. A stream is recorded (by path) once it has started, its end as <c>PATH stopped</c>, a restart as
/// <c>restarted</c>.
/// </summary>
public sealed class TickOrThrowHandler(HandlerSignals signals) : HttpHandlerActor
{
    protected override void OnRequest(HttpRequest request)
    {
        if (request.Path.EndsWith("boom")) throw new InvalidOperationException("boom (expected by the test)");
        // What RespondWithStream does, keeping the producer to watch: it tells the connection how its stream ended
        // before it stops, so once it has stopped (recorded as "PATH stopped"), the connection has been told.
        var producer = ResponseStreams.Start(Context.System, Sender, HttpResponse.StreamedHead(), request.Path.EndsWith("fail-first") ? FailAtOnce() : Ticks());
        var path = request.Path;
        producer.WatchAsync().ContinueWith(_ => signals.Record($"{path} stopped"), TaskScheduler.Default);
        signals.Record(path);
    }

    protected override void PostRestart(Exception reason)
    {
        base.PostRestart(reason);
        signals.Record("restarted");
    }

    private async IAsyncEnumerable<ByteString> Ticks()
    {
        for (var i = 0; i < 40 || !signals.Gate.IsCompleted; i++)
        {
            await Task.Delay(100);
            yield return ByteString.FromString($"tick {i}\n");
        }
    }

    private static async IAsyncEnumerable<ByteString> FailAtOnce()
    {
        await Task.Yield();
        throw new IOException("the source could not be opened (expected by the test)");
#pragma warning disable CS0162
        yield break;
#pragma warning restore CS0162
    }
}

/// <summary>Regressions found in review of the streaming work, each once a real failure.</summary>
[Trait("Category", "EndToEnd")]
public sealed class StreamingRegressionTests
{
    private static Routes Routes(HandlerSignals signals) => TestServer.DefaultRoutes(signals)
        .Map([HttpMethods.Post], "/peek", Props.Create(() => new PeekHandler(signals)))
        .Map([HttpMethods.Post], "/count", Props.Create<CountingHandler>())
        .Map([HttpMethods.Post], "/accept", Props.Create(() => new AcceptAtOnceHandler(signals)))
        .Get("/s/{x}", Props.Create(() => new TickOrThrowHandler(signals)));

    private static Task<TestServer> StartAsync(Func<ActorHttp.Server.ServerSettings, ActorHttp.Server.ServerSettings>? configure = null,
        FakeTimeProvider? clock = null)
    {
        var signals = new HandlerSignals();
        return TestServer.StartAsync(s =>
        {
            s = s with { Parsing = s.Parsing with { StreamBodyThreshold = 16 * 1024, MaxBodySize = 64 * 1024 * 1024 } };
            return configure?.Invoke(s) ?? s;
        }, Routes(signals), signals, clock);
    }

    private static TimeSpan Ms(int milliseconds) => TimeSpan.FromMilliseconds(milliseconds);

    [Fact]
    public async Task Unread_parts_of_one_body_never_reach_the_next_request()
    {
        await using var server = await StartAsync();
        using var received = server.CountReceivedBytes();
        using var conn = await RawHttpConnection.OpenAsync(server.Port);
        var peek = $"POST /peek HTTP/1.1\r\nHost: x\r\nContent-Length: {66 * 1024}\r\n\r\n" + new string('A', 66 * 1024);
        await conn.SendAsync(peek);
        // The whole body is in the connection before the handler reads (the connection parses what it holds as the handler
        // reads), so when the handler answers, the parts it left are parsed and unread: the case this test is about. (With
        // part of the body still to come, the connection would rightly close after the answer.)
        await received.WaitForAsync(peek.Length);
        server.Signals.OpenGate();
        var first = await conn.ReadResponseAsync();
        Assert.StartsWith("peeked ", first.BodyText);
        var second = await conn.RoundTripAsync($"POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: {70 * 1024}\r\n\r\n" + new string('B', 70 * 1024));
        Assert.Equal($"count {70 * 1024} A=0 B={70 * 1024}", second.BodyText);
    }

    [Fact]
    public async Task An_upload_completes_with_a_pipelining_limit_of_one()
    {
        await using var server = await StartAsync(s => s with { PipeliningLimit = 1, RequestBodyTimeout = TimeSpan.FromSeconds(10) });
        using var conn = await RawHttpConnection.OpenAsync(server.Port);
        const int length = 1024 * 1024;
        await conn.SendAsync($"POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n");
        var send = conn.SendAsync(Encoding.ASCII.GetBytes(new string('B', length)), TimeSpan.FromSeconds(30));
        var response = await conn.ReadResponseAsync(timeout: TimeSpan.FromSeconds(30));
        await send;
        Assert.Equal($"count {length} A=0 B={length}", response.BodyText);
    }

    [Fact]
    public async Task A_body_failing_after_its_answer_closes_the_connection_after_it()
    {
        await using var server = await StartAsync();
        using var received = server.CountReceivedBytes();
        using var conn = await RawHttpConnection.OpenAsync(server.Port);
        var chunk = new string('x', 20_000);
        // The first request is answered only when the gate opens: until then the 202 waits behind it, not yet sent.
        var requests = RawHttpConnection.Request("/gated?id=first") +
                       $"POST /accept HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{chunk.Length:X}\r\n{chunk}\r\n";
        await conn.SendAsync(requests);
        // The handler's answer was sent to the connection before it was recorded, so the connection takes it in before
        // the bytes sent next.
        await server.Signals.WaitForAsync("/accept");
        await conn.SendAsync("ZZ\r\n"); // a malformed chunk line after the handler has answered
        await received.WaitForAsync(requests.Length + 4); // the connection has read (and parsed) the malformed line
        server.Signals.OpenGate();
        Assert.Equal(200, (await conn.ReadResponseAsync()).Status);
        var accepted = await conn.ReadResponseAsync();
        Assert.Equal(202, accepted.Status);
        Assert.True(accepted.ConnectionClose, "the answer is the last on this connection and must say so");
        Assert.True(await conn.WaitForServerCloseAsync());
    }

    [Fact]
    public async Task A_failing_request_does_not_kill_other_streams_of_its_handler()
    {
        // The server's clock stands still: however long the machine takes between two ticks (or to restart the
        // handler), the stream's response timeout cannot cut it off. Only the handler's failure could end it early.
        await using var server = await StartAsync(clock: new FakeTimeProvider());
        using var streaming = await RawHttpConnection.OpenAsync(server.Port);
        using var other = await RawHttpConnection.OpenAsync(server.Port);
        await streaming.SendAsync(RawHttpConnection.Request("/s/stream"));
        await server.Signals.WaitForAsync("/s/stream"); // the stream is running
        Assert.Equal(500, (await other.RoundTripAsync(RawHttpConnection.Request("/s/boom"))).Status);
        await server.Signals.WaitForAsync("restarted"); // the failure has restarted the handler
        server.Signals.OpenGate(); // the stream ran on through the failure and the restart: now it may end
        var response = await streaming.ReadResponseAsync(timeout: TimeSpan.FromSeconds(20));
        Assert.Contains("tick 39\n", response.BodyText);
    }

    [Fact]
    public async Task The_request_after_a_long_streamed_body_gets_its_own_header_clock()
    {
        var clock = new FakeTimeProvider();
        await using var server = await StartAsync(s => s with { RequestHeaderTimeout = TimeSpan.FromSeconds(2) }, clock);
        using var received = server.CountReceivedBytes();
        using var conn = await RawHttpConnection.OpenAsync(server.Port);
        long sent = 0;
        async Task SendAsync(string text) // and wait until the connection has read and handled it (it still reads)
        {
            await conn.SendAsync(text);
            sent += text.Length;
            await received.WaitUntilProcessedAsync(sent);
        }

        const int length = 100 * 1024;
        await SendAsync($"POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n");
        for (var i = 0; i < 3; i++)
        {
            await SendAsync(new string('B', 1024));
            clock.Advance(TimeSpan.FromSeconds(1)); // the upload outlasts the header timeout: 3 s of the server's clock
        }
        await SendAsync(new string('B', length - 3 * 1024) + "GET /plaintext HTTP/1.1\r\nHo");
        // The connection parses the next head once the body's handler has read the body to its end, which it has when it
        // answers: from then on the head is in progress, its clock started at the server's "now" (3 s), and nothing
        // moves that clock but this test.
        Assert.Equal($"count {length} A=0 B={length}", (await conn.ReadResponseAsync()).BodyText);
        await received.SettleAsync();
        clock.Advance(Ms(1999)); // 1 ms short of the header timeout, counted from the head's first byte
        await SendAsync("st: x\r\n"); // still read: no 408 (had the clock started with the body's request, it would have run out)
        await SendAsync("\r\n");
        Assert.Equal(200, (await conn.ReadResponseAsync()).Status);

        // And the head clock of the next request starts at its own first byte and runs out exactly at the timeout.
        await SendAsync("GET /plaintext HTTP/1.1\r\nHo");
        clock.Advance(Ms(1999));
        await SendAsync("st"); // still read at timeout - 1 ms
        clock.Advance(Ms(1));
        var timedOut = await conn.ReadResponseAsync();
        Assert.Equal(408, timedOut.Status);
        Assert.True(timedOut.ConnectionClose);
    }

    [Fact]
    public async Task A_stream_failing_before_its_head_went_out_answers_500_and_keeps_the_connection()
    {
        await using var server = await StartAsync();
        using var conn = await RawHttpConnection.OpenAsync(server.Port);
        // The first request is answered only when the gate opens: the stream must fail while its head waits behind it.
        await conn.SendAsync(RawHttpConnection.Request("/gated?id=first") + RawHttpConnection.Request("/s/fail-first"));
        await server.Signals.WaitForAsync("/s/fail-first stopped"); // its failure is with the connection
        server.Signals.OpenGate();
        Assert.Equal(200, (await conn.ReadResponseAsync()).Status);
        Assert.Equal(500, (await conn.ReadResponseAsync()).Status);
        Assert.Equal(TestServer.PlainText, (await conn.RoundTripAsync(RawHttpConnection.Request("/plaintext"))).BodyText);
    }

    [Fact]
    public async Task A_client_trickling_a_streamed_body_is_cut_off()
    {
        var clock = new FakeTimeProvider();
        await using var server = await StartAsync(s => s with { RequestBodyTimeout = TimeSpan.FromSeconds(1), MinRequestBodyRate = 100_000 }, clock);
        using var received = server.CountReceivedBytes();
        using var conn = await RawHttpConnection.OpenAsync(server.Port);
        var head = $"POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: {200 * 1024}\r\n\r\n";
        await conn.SendAsync(head);
        await received.WaitUntilProcessedAsync(head.Length); // the body's clock started at the server's "now"
        // A byte every 250 ms of the server's clock: 4 B/s earn no time against 100,000 B/s, so the body is due 1 s after
        // it began. Each byte is read and handled before the clock moves on (a timed-out connection reads no more).
        long sent = head.Length;
        for (var elapsed = 0; elapsed < 1000; elapsed += 250)
        {
            await conn.SendAsync("B");
            await received.WaitUntilProcessedAsync(++sent);
            clock.Advance(Ms(elapsed == 750 ? 249 : 250));
        }
        await conn.SendAsync("B"); // at 1 s - 1 ms: still read, no 408 yet
        await received.WaitUntilProcessedAsync(++sent);
        Assert.Equal(0, received.Sent); // nothing written before the deadline
        clock.Advance(Ms(1)); // the body timeout
        var response = await conn.ReadResponseAsync(timeout: TimeSpan.FromSeconds(15));
        Assert.Equal(408, response.Status);
        Assert.True(response.ConnectionClose);
        Assert.True(await conn.WaitForServerCloseAsync());
    }

    [Fact]
    public async Task A_streamed_body_that_keeps_moving_may_outlast_the_body_timeout()
    {
        var clock = new FakeTimeProvider();
        await using var server = await StartAsync(s => s with { RequestBodyTimeout = TimeSpan.FromSeconds(1), MinRequestBodyRate = 64 * 1024 }, clock);
        using var received = server.CountReceivedBytes();
        using var conn = await RawHttpConnection.OpenAsync(server.Port);
        const int piece = 32 * 1024, pieces = 10;
        var head = $"POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: {piece * pieces}\r\n\r\n";
        await conn.SendAsync(head);
        long sent = head.Length;
        await received.WaitUntilProcessedAsync(sent); // the body's clock started at the server's "now"
        // The slowest client that keeps moving: each 32 KB piece comes 1 ms before the body would time out. The body is
        // due 1 s after it began, plus 0.5 s for every 32 KB received (the minimum rate, 64 KB/s); the handler reads as
        // the pieces come, and any time it held the socket unread would only add to that. In all 5.5 s of the server's
        // clock for a 1 s body timeout.
        clock.Advance(Ms(999));
        for (var i = 0; i < pieces; i++)
        {
            await conn.SendAsync(new string('B', piece));
            await received.WaitUntilProcessedAsync(sent += piece); // still read: not timed out
            if (i < pieces - 1) clock.Advance(Ms(500));
        }
        Assert.Equal($"count {piece * pieces} A=0 B={piece * pieces}", (await conn.ReadResponseAsync()).BodyText);
    }
}
