using System.Net;
using System.Text;
using Xunit;

namespace ActorHttp.Tests.EndToEnd;

[Trait("Category", "EndToEnd")]
public sealed class EndToEndTests(EndToEndFixture fixture) : IClassFixture<EndToEndFixture>
{
    private TestServer Server => fixture.Server;
    private int Port => fixture.Server.Port;

    private static string Get(string target, string extraHeaders = "") => RawHttpConnection.Request(target, "GET", extraHeaders);

    private static void AssertPlaintext(RawResponse response)
    {
        Assert.True(response.Status == 200, $"expected 200, got {response}");
        Assert.Equal("HTTP/1.1", response.Version);
        Assert.Equal(TestServer.PlainText, response.BodyText);
        Assert.Equal("13", response.Header("Content-Length"));
        Assert.Equal("text/plain", response.Header("Content-Type"));
        Assert.Equal(1, response.HeaderCount("Content-Length"));
        Assert.Null(response.Header("Transfer-Encoding"));
        Assert.NotNull(response.Header("Date"));
        Assert.False(response.ConnectionClose, $"unexpected Connection: close in {response}");
    }

    // ------------------------------------------------------------------ keep-alive

    [Fact]
    public async Task KeepAlive_twenty_sequential_requests_share_one_raw_socket()
    {
        using var connection = await RawHttpConnection.OpenAsync(Port);
        for (var i = 0; i < 20; i++)
        {
            if (i % 2 == 0)
            {
                AssertPlaintext(await connection.RoundTripAsync(Get("/plaintext")));
            }
            else
            {
                var response = await connection.RoundTripAsync(Get($"/items/{i}"));
                Assert.True(response.Status == 200, $"request {i}: {response}");
                Assert.Equal(i.ToString(), response.BodyText);
                Assert.False(response.ConnectionClose);
            }
        }
        Assert.Equal(0, connection.Buffered);
    }

    [Fact]
    public async Task KeepAlive_HttpClient_reuses_one_pooled_connection_for_sequential_requests()
    {
        var connects = 0;
        using var client = HttpClients.Create(Server.BaseUri, () => Interlocked.Increment(ref connects));
        for (var i = 0; i < 50; i++)
        {
            using var response = await client.GetAsync("/plaintext");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(TestServer.PlainText, await response.Content.ReadAsStringAsync());
            Assert.Equal(new Version(1, 1), response.Version);
        }
        Assert.Equal(1, Volatile.Read(ref connects));

        // And many concurrent requests through the pool all succeed.
        var tasks = Enumerable.Range(0, 200).Select(async i =>
        {
            var path = i % 3 == 0 ? "/health" : i % 3 == 1 ? "/plaintext" : $"/items/n{i}";
            using var response = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.Content.ReadAsStringAsync();
            Assert.Equal(i % 3 == 0 ? "{\"status\":\"ok\"}" : i % 3 == 1 ? TestServer.PlainText : $"n{i}", body);
        });
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.InRange(Volatile.Read(ref connects), 1, 16);
    }

    // ------------------------------------------------------------------ HTTP/1.0

    [Fact]
    public async Task Http10_without_keep_alive_gets_connection_close_and_the_server_closes()
    {
        using var connection = await RawHttpConnection.OpenAsync(Port);
        var response = await connection.RoundTripAsync("GET /plaintext HTTP/1.0\r\n\r\n");
        Assert.True(response.Status == 200, response.ToString());
        Assert.Equal(TestServer.PlainText, response.BodyText);
        Assert.Equal("close", response.Header("Connection"));
        Assert.True(await connection.WaitForServerCloseAsync(), "the server did not close the HTTP/1.0 connection");
    }

    [Fact]
    public async Task Http10_with_keep_alive_keeps_the_connection()
    {
        using var connection = await RawHttpConnection.OpenAsync(Port);
        var first = await connection.RoundTripAsync("GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        Assert.True(first.Status == 200, first.ToString());
        Assert.Equal(TestServer.PlainText, first.BodyText);
        Assert.Equal("keep-alive", first.Header("Connection"), StringComparer.OrdinalIgnoreCase);

        var second = await connection.RoundTripAsync("GET /items/again HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: Keep-Alive\r\n\r\n");
        Assert.True(second.Status == 200, second.ToString());
        Assert.Equal("again", second.BodyText);
        Assert.Equal("keep-alive", second.Header("Connection"), StringComparer.OrdinalIgnoreCase);

        // A final HTTP/1.0 request without keep-alive ends it.
        var third = await connection.RoundTripAsync("GET /plaintext HTTP/1.0\r\n\r\n");
        Assert.Equal("close", third.Header("Connection"));
        Assert.True(await connection.WaitForServerCloseAsync());
    }

    // ------------------------------------------------------------------ request bodies

    [Fact]
    public async Task Chunked_request_body_over_raw_socket_is_echoed_concatenated()
    {
        using var connection = await RawHttpConnection.OpenAsync(Port);
        await connection.SendAsync("POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n");
        await connection.SendAsync("5;name=value\r\nHello\r\n");
        await connection.SendAsync("7\r\n, World\r\n");
        await connection.SendAsync("1;ext=\"quoted\"\r\n!\r\n0\r\n\r\n");
        var response = await connection.ReadResponseAsync();
        Assert.True(response.Status == 200, response.ToString());
        Assert.Equal("Hello, World!", response.BodyText);
        Assert.Equal("13", response.Header("Content-Length"));
        Assert.Equal("text/plain", response.Header("Content-Type"));

        // Same connection, whole chunked request in one write, with a trailer field.
        var again = await connection.RoundTripAsync(
            "PUT /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n3;a=b\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n");
        Assert.True(again.Status == 200, again.ToString());
        Assert.Equal("abc0123456789", again.BodyText);
        Assert.Equal("application/octet-stream", again.Header("Content-Type"));
    }

    [Fact]
    public async Task Chunked_request_body_from_HttpClient_stream_content_is_echoed()
    {
        var payload = string.Concat(Enumerable.Range(0, 2000).Select(i => $"line {i};"));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/echo")
        {
            Content = new StreamContent(new NonSeekableStream(Encoding.UTF8.GetBytes(payload)), 1024),
        };
        request.Content.Headers.ContentType = new("text/plain");
        request.Headers.TransferEncodingChunked = true;
        Assert.Null(request.Content.Headers.ContentLength);

        using var response = await fixture.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(payload, await response.Content.ReadAsStringAsync());
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Expect_100_continue_gets_interim_response_then_the_echo()
    {
        using var connection = await RawHttpConnection.OpenAsync(Port);
        const string body = "continued body";
        await connection.SendAsync($"POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nExpect: 100-continue\r\nContent-Length: {body.Length}\r\n\r\n");
        var interim = await connection.ReadResponseAsync();
        Assert.True(interim.Status == 100, $"expected 100 Continue, got {interim}");
        Assert.Equal("HTTP/1.1", interim.Version);
        Assert.Equal("Continue", interim.Reason);
        Assert.Equal(0, connection.Buffered);

        await connection.SendAsync(body);
        var final = await connection.ReadResponseAsync();
        Assert.True(final.Status == 200, final.ToString());
        Assert.Equal(body, final.BodyText);

        // The connection is still usable.
        AssertPlaintext(await connection.RoundTripAsync(Get("/plaintext")));
    }

    [Fact]
    public async Task HttpClient_post_and_put_with_content_length_are_echoed()
    {
        using (var response = await fixture.Client.PostAsync("/echo", new StringContent("posted", Encoding.UTF8, "text/plain")))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("posted", await response.Content.ReadAsStringAsync());
        }
        var big = new byte[300 * 1024];
        new Random(42).NextBytes(big);
        using (var response = await fixture.Client.PutAsync("/echo", new ByteArrayContent(big)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(big, await response.Content.ReadAsByteArrayAsync());
        }
    }

    // ------------------------------------------------------------------ HEAD and pipelining

    [Fact]
    public async Task Head_plaintext_has_content_length_13_and_no_body()
    {
        using var connection = await RawHttpConnection.OpenAsync(Port);
        var head = await connection.RoundTripAsync(RawHttpConnection.Request("/plaintext", "HEAD"), isHead: true);
        Assert.True(head.Status == 200, head.ToString());
        Assert.Equal("13", head.Header("Content-Length"));
        Assert.Empty(head.Body);
        Assert.False(head.ConnectionClose);

        // Had a body followed the head, the next response would not start where the parser expects it.
        AssertPlaintext(await connection.RoundTripAsync(Get("/plaintext")));
        var head2 = await connection.RoundTripAsync(RawHttpConnection.Request("/items/h", "HEAD"), isHead: true);
        Assert.Equal("1", head2.Header("Content-Length"));
        var items = await connection.RoundTripAsync(Get("/items/after-head"));
        Assert.Equal("after-head", items.BodyText);
        Assert.Equal(0, connection.Buffered);
    }

    [Fact]
    public async Task Pipelining_sixteen_requests_in_one_write_are_answered_in_order()
    {
        using var connection = await RawHttpConnection.OpenAsync(Port);
        var batch = new StringBuilder();
        for (var i = 0; i < 16; i++) batch.Append(i % 2 == 0 ? Get("/plaintext") : Get($"/items/{i}"));
        await connection.SendAsync(batch.ToString());
        for (var i = 0; i < 16; i++)
        {
            var response = await connection.ReadResponseAsync();
            Assert.True(response.Status == 200, $"response {i}: {response}");
            Assert.Equal(i % 2 == 0 ? TestServer.PlainText : i.ToString(), response.BodyText);
            Assert.False(response.ConnectionClose);
        }
        AssertPlaintext(await connection.RoundTripAsync(Get("/plaintext")));
    }

    [Fact]
    public async Task Pipelining_keeps_order_when_an_early_request_is_slow_and_past_the_pipelining_limit()
    {
        using var connection = await RawHttpConnection.OpenAsync(Port);
        var batch = new StringBuilder();
        batch.Append(Get("/slow?ms=300"));
        for (var i = 1; i < 40; i++) batch.Append(i == 20 ? Get("/slow?ms=100") : Get($"/items/{i}"));
        await connection.SendAsync(batch.ToString());
        for (var i = 0; i < 40; i++)
        {
            var response = await connection.ReadResponseAsync();
            Assert.True(response.Status == 200, $"response {i}: {response}");
            var expected = i == 0 ? "slow 300" : i == 20 ? "slow 100" : i.ToString();
            Assert.Equal(expected, response.BodyText);
        }
    }

    [Fact]
    public async Task Request_sent_in_tiny_fragments_is_parsed()
    {
        using var connection = await RawHttpConnection.OpenAsync(Port);
        var bytes = Encoding.ASCII.GetBytes("POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nfragments");
        for (var i = 0; i < bytes.Length; i += 3)
        {
            await connection.SendAsync(bytes.AsMemory(i, Math.Min(3, bytes.Length - i)));
            if (i % 15 == 0) await Task.Delay(1);
        }
        var response = await connection.ReadResponseAsync();
        Assert.True(response.Status == 200, response.ToString());
        Assert.Equal("fragments", response.BodyText);
    }

    // ------------------------------------------------------------------ malformed input

    public static TheoryData<string, string> MalformedRequests => new()
    {
        { "duplicate Content-Length", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n" },
        { "bare LF", "GET /plaintext HTTP/1.1\nHost: x\n\n" },
        { "obs-fold", "GET /plaintext HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n  b\r\n\r\n" },
        { "Content-Length and Transfer-Encoding", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" },
        { "missing Host", "GET /plaintext HTTP/1.1\r\n\r\n" },
        { "invalid chunk size", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n" },
        { "space before colon", "GET /plaintext HTTP/1.1\r\nHost : x\r\n\r\n" },
    };

    [Theory]
    [MemberData(nameof(MalformedRequests))]
    public async Task Malformed_request_gets_400_close_while_another_keep_alive_connection_keeps_working(string name, string request)
    {
        using var sentinel = await RawHttpConnection.OpenAsync(Port);
        AssertPlaintext(await sentinel.RoundTripAsync(Get("/plaintext")));

        using (var bad = await RawHttpConnection.OpenAsync(Port))
        {
            await bad.SendAsync(request);
            var response = await bad.ReadResponseAsync();
            Assert.True(response.Status == 400, $"{name}: expected 400, got {response} body '{response.BodyText}'");
            Assert.Equal("close", response.Header("Connection"));
            Assert.True(await bad.WaitForServerCloseAsync(), $"{name}: the server did not close the connection");
        }

        AssertPlaintext(await sentinel.RoundTripAsync(Get("/plaintext")));
        var items = await sentinel.RoundTripAsync(Get("/items/still-here"));
        Assert.Equal("still-here", items.BodyText);
    }

    [Fact]
    public async Task Malformed_request_after_good_pipelined_ones_answers_them_first_then_400()
    {
        using var connection = await RawHttpConnection.OpenAsync(Port);
        await connection.SendAsync(Get("/plaintext") + Get("/items/2") + "GET /plaintext HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n" + Get("/plaintext"));
        AssertPlaintext(await connection.ReadResponseAsync());
        Assert.Equal("2", (await connection.ReadResponseAsync()).BodyText);
        var error = await connection.ReadResponseAsync();
        Assert.True(error.Status == 400, error.ToString());
        Assert.Equal("close", error.Header("Connection"));
        Assert.True(await connection.WaitForServerCloseAsync());
    }

    // ------------------------------------------------------------------ routing outcomes

    [Fact]
    public async Task Unknown_path_is_404_and_the_connection_stays_open()
    {
        using var connection = await RawHttpConnection.OpenAsync(Port);
        var response = await connection.RoundTripAsync(Get("/no/such/path"));
        Assert.True(response.Status == 404, response.ToString());
        Assert.False(response.ConnectionClose);
        AssertPlaintext(await connection.RoundTripAsync(Get("/plaintext")));

        using var viaClient = await fixture.Client.GetAsync("/nope");
        Assert.Equal(HttpStatusCode.NotFound, viaClient.StatusCode);
    }

    [Fact]
    public async Task Wrong_method_is_405_with_allow_get_head()
    {
        using var connection = await RawHttpConnection.OpenAsync(Port);
        var response = await connection.RoundTripAsync("POST /plaintext HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\n\r\nabc");
        Assert.True(response.Status == 405, response.ToString());
        Assert.Equal("GET, HEAD", response.Header("Allow"));
        Assert.False(response.ConnectionClose);

        var delete = await connection.RoundTripAsync(RawHttpConnection.Request("/echo", "DELETE"));
        Assert.True(delete.Status == 405, delete.ToString());
        Assert.Equal("GET, HEAD, POST, PUT", delete.Header("Allow"));
        AssertPlaintext(await connection.RoundTripAsync(Get("/plaintext")));
    }

    [Fact]
    public async Task Unknown_method_is_501()
    {
        using var connection = await RawHttpConnection.OpenAsync(Port);
        var response = await connection.RoundTripAsync(RawHttpConnection.Request("/plaintext", "FOO"));
        Assert.True(response.Status == 501, response.ToString());
        AssertPlaintext(await connection.RoundTripAsync(Get("/plaintext")));
    }

    [Fact]
    public async Task Options_asterisk_is_answered_by_the_server_with_allow_then_get_asterisk_is_400_and_closes()
    {
        using var connection = await RawHttpConnection.OpenAsync(Port);
        var options = await connection.RoundTripAsync(RawHttpConnection.Request("*", "OPTIONS"));
        Assert.True(options.Status == 204, options.ToString());
        Assert.Equal("GET, HEAD, POST, PUT", options.Header("Allow")); // every method of every default route
        Assert.False(options.ConnectionClose);
        AssertPlaintext(await connection.RoundTripAsync(Get("/plaintext")));

        var get = await connection.RoundTripAsync(Get("*"));
        Assert.True(get.Status == 400, get.ToString());
        Assert.True(get.ConnectionClose);
        Assert.True(await connection.WaitForServerCloseAsync());
    }

    [Fact]
    public async Task Handler_that_throws_gives_500_and_the_same_connection_keeps_serving()
    {
        using var connection = await RawHttpConnection.OpenAsync(Port);
        var failed = await connection.RoundTripAsync(Get("/fragile/throw"));
        Assert.True(failed.Status == 500, failed.ToString());
        Assert.False(failed.ConnectionClose);

        AssertPlaintext(await connection.RoundTripAsync(Get("/plaintext")));
        // The restarted handler serves its route again.
        var fine = await connection.RoundTripAsync(Get("/fragile/ok"));
        Assert.True(fine.Status == 200, fine.ToString());
        Assert.Equal("fine", fine.BodyText);

        // Pipelined: a throw in the middle does not disturb the order.
        await connection.SendAsync(Get("/items/1") + Get("/fragile/throw") + Get("/items/3"));
        Assert.Equal("1", (await connection.ReadResponseAsync()).BodyText);
        Assert.Equal(500, (await connection.ReadResponseAsync()).Status);
        Assert.Equal("3", (await connection.ReadResponseAsync()).BodyText);
    }

    [Fact]
    public async Task Route_value_is_percent_decoded()
    {
        using var connection = await RawHttpConnection.OpenAsync(Port);
        var response = await connection.RoundTripAsync(Get("/items/a%20b"));
        Assert.True(response.Status == 200, response.ToString());
        Assert.Equal("a b", response.BodyText);

        var utf8 = await connection.RoundTripAsync(Get("/items/%C3%A9t%C3%A9"));
        Assert.Equal("été", utf8.BodyText);

        using var viaClient = await fixture.Client.GetAsync("/items/x%2Fy");
        Assert.Equal(HttpStatusCode.OK, viaClient.StatusCode);
        Assert.Equal("x/y", await viaClient.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Health_and_echo_get_over_HttpClient()
    {
        using (var health = await fixture.Client.GetAsync("/health"))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Equal("application/json", health.Content.Headers.ContentType?.MediaType);
            Assert.Equal("{\"status\":\"ok\"}", await health.Content.ReadAsStringAsync());
        }
        using var echo = await fixture.Client.GetAsync("/echo?x=1");
        Assert.Equal(HttpStatusCode.OK, echo.StatusCode);
        var text = await echo.Content.ReadAsStringAsync();
        Assert.StartsWith("GET /echo?x=1 HTTP/1.1\n", text);
        Assert.Contains($"Host: 127.0.0.1:{Port}\n", text);
    }

    // ------------------------------------------------------------------ max-connections

    [Fact]
    public async Task Max_connections_answers_503_with_retry_after_then_serves_again_after_a_close()
    {
        await using var limited = await TestServer.StartAsync(s => s with { MaxConnections = 2 });
        using var first = await RawHttpConnection.OpenAsync(limited.Port);
        using var second = await RawHttpConnection.OpenAsync(limited.Port);
        AssertPlaintext(await first.RoundTripAsync(Get("/plaintext")));
        AssertPlaintext(await second.RoundTripAsync(Get("/plaintext")));

        using (var third = await RawHttpConnection.OpenAsync(limited.Port))
        {
            // The server answers without waiting for a request; a request sent anyway must not cause a reset.
            var rejected = await third.ReadResponseAsync();
            Assert.True(rejected.Status == 503, rejected.ToString());
            Assert.NotNull(rejected.Header("Retry-After"));
            Assert.Equal("close", rejected.Header("Connection"));
            Assert.True(await third.WaitForServerCloseAsync(), "the rejected connection was not closed cleanly");
        }

        // The first two are unaffected.
        AssertPlaintext(await first.RoundTripAsync(Get("/plaintext")));

        first.Dispose();
        // Until the listener has seen the close, a new connection is still over the limit (503): wait for its count.
        var counts = await limited.Binding.GetConnectionCountsAsync();
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            while (counts.Open >= 2 && !deadline.IsCancellationRequested)
            {
                await Task.Delay(20); // a poll interval, bounded by the deadline
                counts = await limited.Binding.GetConnectionCountsAsync();
            }
        }
        Assert.True(counts.Open < 2, $"the listener still counts {counts} after a connection was closed");
        using var next = await RawHttpConnection.OpenAsync(limited.Port);
        await next.SendAsync(Get("/plaintext"));
        var served = await next.ReadResponseAsync();
        Assert.True(served.Status == 200, $"a connection opened after one was closed was answered {served}");
        AssertPlaintext(served);
        AssertPlaintext(await second.RoundTripAsync(Get("/plaintext")));
    }

    // ------------------------------------------------------------------ graceful termination

    [Fact]
    public async Task Unbind_stops_accepting_but_open_connections_go_on_being_served()
    {
        await using var server = await TestServer.StartAsync();
        using var open = await RawHttpConnection.OpenAsync(server.Port);
        AssertPlaintext(await open.RoundTripAsync(Get("/plaintext")));

        await server.Binding.UnbindAsync().WaitAsync(TimeSpan.FromSeconds(15));

        // ServerBinding.UnbindAsync: "Stops accepting new connections; open connections go on being served."
        AssertPlaintext(await open.RoundTripAsync(Get("/plaintext")));
        var items = await open.RoundTripAsync(Get("/items/after-unbind"));
        Assert.Equal("after-unbind", items.BodyText);
    }

    [Fact]
    public async Task Terminate_lets_an_in_flight_request_finish_with_connection_close()
    {
        var server = await TestServer.StartAsync();
        try
        {
            using var busy = await RawHttpConnection.OpenAsync(server.Port);
            using var idle = await RawHttpConnection.OpenAsync(server.Port);
            AssertPlaintext(await idle.RoundTripAsync(Get("/plaintext")));
            AssertPlaintext(await busy.RoundTripAsync(Get("/plaintext")));
            await busy.SendAsync(Get("/gated?id=busy"));
            await server.Signals.WaitForAsync("/gated"); // the request is with its handler

            var terminating = server.TerminateAsync(TimeSpan.FromSeconds(10));
            await server.WaitUntilTerminatingAsync(); // the busy connection has been told to drain
            server.Signals.OpenGate(); // only now does the handler answer: the request is in flight during the drain
            var response = await busy.ReadResponseAsync();
            Assert.True(response.Status == 200, response.ToString());
            Assert.Equal("gated busy", response.BodyText);
            Assert.Equal("close", response.Header("Connection"));
            Assert.True(await busy.WaitForServerCloseAsync());
            Assert.True(await idle.WaitForServerCloseAsync(), "the idle connection was not closed on termination");
            await terminating.WaitAsync(TimeSpan.FromSeconds(20));

            // No longer accepting.
            await Assert.ThrowsAnyAsync<System.Net.Sockets.SocketException>(async () =>
            {
                using var refused = await RawHttpConnection.OpenAsync(server.Port);
            });
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}

/// <summary>A read-only stream whose length is unknown, so HttpClient must send it chunked.</summary>
internal sealed class NonSeekableStream(byte[] data) : Stream
{
    private int _position;
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var n = Math.Min(Math.Min(count, 700), data.Length - _position);
        Array.Copy(data, _position, buffer, offset, n);
        _position += n;
        return n;
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
