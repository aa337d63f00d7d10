using System.Net.Sockets;
using System.Text;
using Akka.Actor;
using Akka.IO;
using ActorHttp.Handlers;
using ActorHttp.Protocol;
using ActorHttp.Server;
using ActorHttp.Routing;
using ActorHttp.Server.Connection;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace ActorHttp.Tests.EndToEnd;

/// <summary>Counters a streaming test handler shares with its test (one instance per test).</summary>
public sealed class StreamProbe
{
    public long Produced;
    public long Uploaded;
    public int Parts;
    public int Stopped;
    /// <summary>Released once per stopped <see cref="ChunkStreamHandler"/>.</summary>
    public readonly SemaphoreSlim StoppedSignal = new(0);
    public readonly TaskCompletionSource Cancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    /// <summary>Set by <see cref="UploadHandler"/> when it has a <c>?wait=1</c> request and starts waiting for <see cref="Go"/>.</summary>
    public readonly TaskCompletionSource Waiting = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public readonly TaskCompletionSource Go = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public readonly TaskCompletionSource<string> UploadOutcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>
/// <c>/stream?chunks=N&amp;size=S[&amp;length=1][&amp;fail=K]</c>: N chunks of S bytes ('a'..'z' repeating), with a
/// Content-Length when <c>length=1</c>, throwing after K chunks when <c>fail</c> is given. Counts what it produced.
/// </summary>
public sealed class ChunkStreamHandler(StreamProbe probe) : HttpHandlerActor
{
    public static byte Pattern(long i) => (byte)('a' + i % 26);

    protected override void OnRequest(HttpRequest request)
    {
        var query = request.Query.Split('&').Select(p => p.Split('=')).Where(p => p.Length == 2).ToDictionary(p => p[0], p => long.Parse(p[1]));
        var chunks = query.GetValueOrDefault("chunks", 3);
        var size = (int)query.GetValueOrDefault("size", 10);
        long? failAfter = query.TryGetValue("fail", out var f) ? f : null;
        var head = HttpResponse.StreamedHead(contentType: "application/octet-stream",
            contentLength: query.GetValueOrDefault("length") == 1 ? chunks * size : null);
        RespondWithStream(head, Produce(chunks, size, failAfter));
    }

    private async IAsyncEnumerable<ByteString> Produce(long chunks, int size, long? failAfter)
    {
        try
        {
            long offset = 0;
            for (var c = 0; c < chunks; c++)
            {
                if (c == failAfter) throw new InvalidOperationException("the source failed (expected by the test)");
                var bytes = new byte[size];
                for (var i = 0; i < size; i++) bytes[i] = Pattern(offset + i);
                offset += size;
                Interlocked.Add(ref probe.Produced, size);
                yield return ByteString.FromBytes(bytes);
                await Task.Yield();
            }
        }
        finally
        {
            probe.Cancelled.TrySetResult(); // the enumerator is disposed: ended, failed or cancelled
        }
    }

    protected override void PostStop()
    {
        Interlocked.Increment(ref probe.Stopped);
        probe.StoppedSignal.Release();
    }
}

/// <summary><c>/stall</c>: a streamed head and one chunk, then nothing: the producer stalls.</summary>
public sealed class StallingStreamHandler : HttpHandlerActor
{
    protected override void OnRequest(HttpRequest request)
    {
        Respond(HttpResponse.StreamedHead());
        Sender.Tell(new ResponseStream.Chunk(ByteString.FromString("first")), Self);
    }
}

/// <summary>
/// <c>/upload</c>: waits for the probe's Go (when <c>?wait=1</c>), then reads the streamed body part by part and
/// answers with its length and part count. <c>/upload?reject=1</c> answers 413 at once without reading.
/// </summary>
public sealed class UploadHandler(StreamProbe probe) : AsyncHttpHandlerActor
{
    protected override async Task<HttpResponse> OnRequestAsync(HttpRequest request)
    {
        if (request.Query.Contains("reject=1")) return HttpResponse.Error(StatusCodes.PayloadTooLarge, "not here");
        if (!request.BodyStreamed) return HttpResponse.Text($"buffered {request.Body.Count}");
        var client = Sender;
        if (request.Query.Contains("wait=1"))
        {
            probe.Waiting.TrySetResult();
            await probe.Go.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        try
        {
            await foreach (var part in RequestBodyReader.ReadAsync(client, TimeSpan.FromSeconds(10)))
            {
                Interlocked.Add(ref probe.Uploaded, part.Count);
                probe.Parts++;
            }
        }
        catch (IOException e)
        {
            probe.UploadOutcome.TrySetResult(e.Message);
            throw;
        }
        probe.UploadOutcome.TrySetResult("completed");
        return HttpResponse.Text($"streamed {probe.Uploaded} in {probe.Parts} parts");
    }
}

/// <summary><c>/async-throw</c>: throws after an await; <c>/async-ok</c> answers after one.</summary>
public sealed class AsyncThrowingHandler : AsyncHttpHandlerActor
{
    protected override async Task<HttpResponse> OnRequestAsync(HttpRequest request)
    {
        await Task.Delay(10);
        if (request.Path.EndsWith("throw")) throw new InvalidOperationException("async failure (expected by the test)");
        return HttpResponse.Text("async fine");
    }
}

/// <summary>Streamed responses and streamed request bodies over real sockets on 127.0.0.1.</summary>
[Trait("Category", "EndToEnd")]
public sealed class StreamingTests
{
    private static Task<TestServer> StartAsync(StreamProbe probe, TimeSpan? responseTimeout = null, FakeTimeProvider? clock = null) =>
        TestServer.StartAsync(s => s with
        {
            ResponseTimeout = responseTimeout ?? s.ResponseTimeout,
            Parsing = s.Parsing with { StreamBodyThreshold = 64 * 1024, MaxBodySize = 64 * 1024 * 1024 },
        }, TestServer.DefaultRoutes()
            .Get("/stream", Props.Create(() => new ChunkStreamHandler(probe)))
            .Get("/per-request-stream", HandlerProps.PerRequest(Props.Create(() => new ChunkStreamHandler(probe))))
            .Get("/stall", Props.Create<StallingStreamHandler>())
            .Map([HttpMethods.Post], "/upload", Props.Create(() => new UploadHandler(probe)))
            .Get("/async-throw", Props.Create<AsyncThrowingHandler>())
            .Get("/async-ok", Props.Create<AsyncThrowingHandler>()), clock: clock);

    private static byte[] Expected(long length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++) bytes[i] = ChunkStreamHandler.Pattern(i);
        return bytes;
    }

    [Fact]
    public async Task A_streamed_response_is_chunked_and_the_connection_stays_usable()
    {
        var probe = new StreamProbe();
        await using var server = await StartAsync(probe);
        using var conn = await RawHttpConnection.OpenAsync(server.Port);
        var response = await conn.RoundTripAsync(RawHttpConnection.Request("/stream?chunks=5&size=1000"));
        Assert.Equal(200, response.Status);
        Assert.Equal("chunked", response.Header("Transfer-Encoding"));
        Assert.Null(response.Header("Content-Length"));
        Assert.Equal(Expected(5000), response.Body);
        Assert.False(response.ConnectionClose);
        Assert.Equal(TestServer.PlainText, (await conn.RoundTripAsync(RawHttpConnection.Request("/plaintext"))).BodyText);
    }

    [Fact]
    public async Task A_streamed_response_of_known_length_is_sent_with_content_length()
    {
        await using var server = await StartAsync(new StreamProbe());
        using var conn = await RawHttpConnection.OpenAsync(server.Port);
        var response = await conn.RoundTripAsync(RawHttpConnection.Request("/stream?chunks=4&size=3000&length=1"));
        Assert.Equal("12000", response.Header("Content-Length"));
        Assert.Null(response.Header("Transfer-Encoding"));
        Assert.Equal(Expected(12000), response.Body);
        Assert.Equal(200, (await conn.RoundTripAsync(RawHttpConnection.Request("/plaintext"))).Status);
    }

    [Fact]
    public async Task An_http10_client_gets_a_close_delimited_stream()
    {
        await using var server = await StartAsync(new StreamProbe());
        using var conn = await RawHttpConnection.OpenAsync(server.Port);
        var response = await conn.RoundTripAsync("GET /stream?chunks=3&size=500 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        Assert.True(response.ConnectionClose);
        Assert.Null(response.Header("Content-Length"));
        Assert.Null(response.Header("Transfer-Encoding"));
        Assert.Equal(Expected(1500), response.Body);
    }

    [Fact]
    public async Task Head_of_a_streamed_route_sends_the_head_only_and_cancels_the_producer()
    {
        var probe = new StreamProbe();
        await using var server = await StartAsync(probe);
        using var conn = await RawHttpConnection.OpenAsync(server.Port);
        var head = await conn.RoundTripAsync(RawHttpConnection.Request("/stream?chunks=1000000&size=1000", "HEAD"), isHead: true);
        Assert.Equal(200, head.Status);
        Assert.Equal("chunked", head.Header("Transfer-Encoding"));
        await probe.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(TestServer.PlainText, (await conn.RoundTripAsync(RawHttpConnection.Request("/plaintext"))).BodyText);
    }

    [Fact]
    public async Task Pipelined_requests_around_a_stream_are_answered_in_order()
    {
        await using var server = await StartAsync(new StreamProbe());
        using var conn = await RawHttpConnection.OpenAsync(server.Port);
        await conn.SendAsync(RawHttpConnection.Request("/plaintext") + RawHttpConnection.Request("/stream?chunks=20&size=4000")
                             + RawHttpConnection.Request("/health"));
        Assert.Equal(TestServer.PlainText, (await conn.ReadResponseAsync()).BodyText);
        Assert.Equal(Expected(80000), (await conn.ReadResponseAsync()).Body);
        Assert.Contains("ok", (await conn.ReadResponseAsync()).BodyText);
    }

    [Fact]
    public async Task A_per_request_streaming_handler_is_stopped_when_its_stream_ends()
    {
        var probe = new StreamProbe();
        await using var server = await StartAsync(probe);
        using var conn = await RawHttpConnection.OpenAsync(server.Port);
        for (var i = 0; i < 3; i++)
            Assert.Equal(Expected(2000), (await conn.RoundTripAsync(RawHttpConnection.Request("/per-request-stream?chunks=2&size=1000"))).Body);
        for (var i = 0; i < 3; i++)
            Assert.True(await probe.StoppedSignal.WaitAsync(TimeSpan.FromSeconds(30)), $"{Volatile.Read(ref probe.Stopped)} of 3 handlers stopped");
        Assert.Equal(3, Volatile.Read(ref probe.Stopped));
    }

    /// <summary>
    /// The memory bound of a stream: a 1 GB body for a client that reads slowly. However long the client takes, the
    /// producer can only be a few chunks and the sockets' buffers ahead of what the client has read.
    /// </summary>
    [Fact]
    public async Task A_slow_reader_paces_a_1_GB_stream_and_memory_stays_bounded()
    {
        var probe = new StreamProbe();
        await using var server = await StartAsync(probe);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 64 * 1024 };
        await socket.ConnectAsync("127.0.0.1", server.Port);
        await socket.SendAsync(Encoding.ASCII.GetBytes(RawHttpConnection.Request($"/stream?chunks={16 * 1024}&size={64 * 1024}&length=1")));

        const long bound = 16 * 1024 * 1024; // two 64 KB chunks held by the connection, plus both sockets' kernel buffers
        var buffer = new byte[64 * 1024];
        long received = 0, maxAhead = 0;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (received < 8 * 1024 * 1024)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            Assert.True(n > 0, "the server closed the stream early");
            received += n;
            maxAhead = Math.Max(maxAhead, Interlocked.Read(ref probe.Produced) - received);
            await Task.Delay(15); // a slow reader: about 4 MB/s at most
        }
        Assert.True(maxAhead < bound, $"the producer ran {maxAhead} bytes ahead of the reader (bound {bound})");
        Assert.True(Interlocked.Read(ref probe.Produced) < 64 * 1024 * 1024, $"produced {probe.Produced} bytes for a reader that took {received}");

        socket.Close(); // the client goes away mid-stream: the producer is told and stops
        await probe.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(20));
        // Cancelled is set in the source's finally: the enumerator is disposed and can produce nothing more (no wait
        // would show more here, so none is made).
        var produced = Interlocked.Read(ref probe.Produced);
        Assert.Equal(produced, Interlocked.Read(ref probe.Produced));
    }

    [Fact]
    public async Task A_failing_producer_aborts_only_its_connection()
    {
        await using var server = await StartAsync(new StreamProbe());
        using var other = await RawHttpConnection.OpenAsync(server.Port);
        using var conn = await RawHttpConnection.OpenAsync(server.Port);
        await conn.SendAsync(RawHttpConnection.Request("/stream?chunks=10&size=100&fail=3"));
        var error = await Assert.ThrowsAnyAsync<Exception>(() => conn.ReadResponseAsync());
        Assert.True(error is EndOfStreamException or IOException or SocketException, error.ToString());
        Assert.Equal(TestServer.PlainText, (await other.RoundTripAsync(RawHttpConnection.Request("/plaintext"))).BodyText);
    }

    [Fact]
    public async Task A_stalled_producer_is_cut_off_after_the_response_timeout()
    {
        var clock = new FakeTimeProvider();
        await using var server = await StartAsync(new StreamProbe(), responseTimeout: TimeSpan.FromSeconds(1), clock);
        using var received = server.CountReceivedBytes();
        using var conn = await RawHttpConnection.OpenAsync(server.Port);
        var stall = RawHttpConnection.Request("/stall");
        await conn.SendAsync(stall);
        // The head and the first chunk are out (the connection set the stream's deadline when it wrote them, from its
        // clock, which stands still until the test moves it): the producer owes its next chunk within the response timeout.
        await conn.WaitForTextAsync("first");
        await received.SettleAsync();
        clock.Advance(TimeSpan.FromMilliseconds(999));
        // 1 ms before the deadline the stream is not cut off: the connection still reads (a pipelined request; its
        // answer would wait behind the stream).
        var next = RawHttpConnection.Request("/plaintext");
        await conn.SendAsync(next);
        await received.WaitUntilProcessedAsync(stall.Length + next.Length);
        clock.Advance(TimeSpan.FromMilliseconds(1)); // the response timeout: the stream is truncated, the connection closed
        var error = await Assert.ThrowsAnyAsync<Exception>(() => conn.ReadResponseAsync(timeout: TimeSpan.FromSeconds(15)));
        Assert.True(error is EndOfStreamException or IOException or SocketException, error.ToString());
    }

    [Fact]
    public async Task A_large_upload_is_streamed_to_the_handler_and_echoed_back()
    {
        await using var server = await StartAsync(new StreamProbe());
        using var conn = await RawHttpConnection.OpenAsync(server.Port);
        var body = Expected(3 * 1024 * 1024 + 17);
        var head = $"POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-test\r\nContent-Length: {body.Length}\r\n\r\n";
        var send = Task.Run(async () =>
        {
            await conn.SendAsync(Encoding.ASCII.GetBytes(head), TimeSpan.FromSeconds(30));
            await conn.SendAsync(body, TimeSpan.FromSeconds(30));
        });
        var response = await conn.ReadResponseAsync(timeout: TimeSpan.FromSeconds(30));
        await send;
        Assert.Equal(200, response.Status);
        Assert.Equal("application/x-test", response.Header("Content-Type"));
        Assert.Equal(body.Length.ToString(), response.Header("Content-Length"));
        Assert.True(body.AsSpan().SequenceEqual(response.Body), "the echoed body differs");
        Assert.Equal(TestServer.PlainText, (await conn.RoundTripAsync(RawHttpConnection.Request("/plaintext"))).BodyText);
    }

    [Fact]
    public async Task A_chunked_upload_outgrowing_the_threshold_is_streamed()
    {
        var probe = new StreamProbe();
        await using var server = await StartAsync(probe);
        using var conn = await RawHttpConnection.OpenAsync(server.Port);
        var chunk = new string('x', 50_000);
        var chunked = string.Concat(Enumerable.Repeat($"{chunk.Length:X}\r\n{chunk}\r\n", 4)) + "0\r\n\r\n";
        var response = await conn.RoundTripAsync($"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n{chunked}");
        Assert.StartsWith("streamed 200000 in ", response.BodyText);
        Assert.True(probe.Parts > 1);
        var small = await conn.RoundTripAsync("POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
        Assert.Equal("buffered 5", small.BodyText);
    }

    /// <summary>While the handler does not read, the server stops reading the socket: the client cannot push the body.</summary>
    [Fact]
    public async Task An_upload_is_read_only_as_fast_as_its_handler_reads()
    {
        var probe = new StreamProbe();
        // The server's clock stands still: however long the machine takes, the request its handler holds unread cannot
        // time out (response timeout) before the handler reads.
        await using var server = await StartAsync(probe, clock: new FakeTimeProvider());
        using var received = server.CountReceivedBytes();
        using var conn = await RawHttpConnection.OpenAsync(server.Port);
        const int total = 48 * 1024 * 1024;
        long sent = 0;
        var head = $"POST /upload?wait=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {total}\r\n\r\n";
        await conn.SendAsync(head);
        var sender = Task.Run(async () =>
        {
            var piece = new byte[64 * 1024];
            while (Interlocked.Read(ref sent) < total)
            {
                await conn.SendAsync(piece, TimeSpan.FromSeconds(60));
                Interlocked.Add(ref sent, piece.Length);
            }
        });
        await probe.Waiting.Task.WaitAsync(TimeSpan.FromSeconds(30)); // the handler has the request and is not reading
        // The server's side: it parses a streamed body ahead of its handler up to the window, and asks the transport to
        // stop reading the socket in the step that finds the window full.
        await received.WaitUntilProcessedAsync(head.Length + RequestBodyPump.Window);
        // The client's side: wait until it cannot push any more, i.e. the sockets' kernel buffers are full, which only
        // the client sees: its sends have made no progress for a second, or it has sent everything (which the
        // assertions below reject). The wait follows the sender's progress, however slow the machine, instead of a
        // fixed time it may or may not have used; the server's clock does not move meanwhile.
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            long last = -1;
            for (var still = 0; still < 10 && !sender.IsCompleted && !deadline.IsCancellationRequested;)
            {
                var now = Interlocked.Read(ref sent);
                still = now == last ? still + 1 : 0;
                last = now;
                await Task.Delay(100); // a poll interval
            }
        }
        var sentWhilePaused = Interlocked.Read(ref sent);
        await received.SettleAsync();
        var readWhilePaused = received.Total - head.Length;
        // What the server took in meanwhile (parsed or not, it is held in memory): the window, the read that filled it,
        // and a read under way when it stopped asking for more; nothing more, however long the client pushes
        // (README: "at most 64 KB are held for it"; unparsed input is "at most ... one read").
        var frame = ActorHttp.Server.HttpServer.Get(server.System).Settings.IoFrameSize;
        Assert.True(readWhilePaused <= RequestBodyPump.Window + 2 * frame,
            $"the server read {readWhilePaused} bytes of the body while its handler read nothing (window {RequestBodyPump.Window}, " +
            $"reads of up to {frame}; the client had pushed {sentWhilePaused})");
        Assert.True(sentWhilePaused < 24 * 1024 * 1024,
            $"the client pushed {sentWhilePaused} bytes while the handler read nothing (the server read {readWhilePaused})");
        Assert.False(sender.IsCompleted);

        probe.Go.SetResult();
        await sender.WaitAsync(TimeSpan.FromSeconds(60));
        var response = await conn.ReadResponseAsync(timeout: TimeSpan.FromSeconds(30));
        Assert.StartsWith($"streamed {total} in ", response.BodyText);
    }

    [Fact]
    public async Task A_response_before_the_body_was_read_closes_the_connection()
    {
        await using var server = await StartAsync(new StreamProbe());
        using var conn = await RawHttpConnection.OpenAsync(server.Port);
        await conn.SendAsync($"POST /upload?reject=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {10 * 1024 * 1024}\r\n\r\n" + new string('x', 1000));
        var response = await conn.ReadResponseAsync();
        Assert.Equal(413, response.Status);
        Assert.True(response.ConnectionClose);
    }

    [Fact]
    public async Task A_malformed_chunk_in_a_streamed_upload_fails_the_read_and_answers_400()
    {
        var probe = new StreamProbe();
        await using var server = await StartAsync(probe);
        using var conn = await RawHttpConnection.OpenAsync(server.Port);
        var chunk = new string('x', 70_000);
        var response = await conn.RoundTripAsync($"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n{chunk.Length:X}\r\n{chunk}\r\nZZ\r\n");
        Assert.Equal(400, response.Status);
        Assert.True(response.ConnectionClose);
        Assert.Contains("chunk", await probe.UploadOutcome.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task An_exception_after_an_await_answers_500_and_the_handler_goes_on()
    {
        await using var server = await StartAsync(new StreamProbe());
        using var conn = await RawHttpConnection.OpenAsync(server.Port);
        Assert.Equal(500, (await conn.RoundTripAsync(RawHttpConnection.Request("/async-throw"))).Status);
        Assert.Equal("async fine", (await conn.RoundTripAsync(RawHttpConnection.Request("/async-ok"))).BodyText);
    }
}
