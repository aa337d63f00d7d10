using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Xunit;

namespace ActorHttp.Tests.EndToEnd;

/// <summary>The standalone node (ActorHttp.Host) as a process: startup, serving, SIGTERM, and its exit codes.</summary>
[Trait("Category", "Host")]
public sealed class HostProcessTests : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);
    private readonly List<string> _tempFiles = [];

    private static ChildProcess StartNode(params string[] args) =>
        ChildProcess.Start(RepoPaths.DotnetHost, [RepoPaths.HostDll, .. args], RepoPaths.Root);

    private static async Task<(int Code, ChildProcess Node)> RunNodeToExit(params string[] args)
    {
        var node = StartNode(args);
        try
        {
            return (await node.WaitForExitAsync(ExitTimeout), node);
        }
        catch
        {
            node.Dispose();
            throw;
        }
    }

    private string TempConfig(string text)
    {
        var path = Path.Combine(Path.GetTempPath(), $"actorhttp-e2e-{Guid.NewGuid():N}.conf");
        File.WriteAllText(path, text);
        _tempFiles.Add(path);
        return path;
    }

    private static HttpClient Client(int port) => HttpClients.Create(new Uri($"http://127.0.0.1:{port}"));

    private static void AssertOneLineError(ChildProcess node, string mustContain)
    {
        var lines = node.StderrLines.Where(l => !string.IsNullOrWhiteSpace(l)).ToList();
        Assert.True(lines.Count(l => l.Contains(mustContain, StringComparison.Ordinal)) == 1,
            $"expected one stderr line containing '{mustContain}'.\nstderr:\n{node.Stderr}\nstdout:\n{node.Stdout}");
        Assert.False(lines.Any(l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal)),
            $"stderr holds a stack trace instead of a readable message:\n{node.Stderr}");
        Assert.DoesNotContain("listening on", node.Stdout);
    }

    [Fact]
    public async Task Trace_all_samples_every_span_and_the_node_serves_as_usual()
    {
        using var node = StartNode("--config", RepoPaths.StandaloneConf, "--port", "0", "--set", "actor-http.diagnostics.trace-all=on");
        var port = await node.WaitForListeningAsync(StartTimeout);
        Assert.Contains("tracing: every span of the ActorHttp source is sampled", node.Stdout);
        using (var client = Client(port))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/counters/traced");
            request.Headers.Add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
            using var response = await client.SendAsync(request); // a sharded route: the entity host starts its span too
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("{\"id\":\"traced\",\"value\":0}", await response.Content.ReadAsStringAsync());
        }
        node.Signal("TERM");
        Assert.Equal(0, await node.WaitForExitAsync(ExitTimeout));
    }

    [Fact]
    public async Task Node_serves_plaintext_and_exits_0_on_sigterm()
    {
        using var node = StartNode("--config", RepoPaths.StandaloneConf, "--port", "0");
        var port = await node.WaitForListeningAsync(StartTimeout);
        Assert.NotEqual(0, port);
        Assert.DoesNotContain("tracing:", node.Stdout); // actor-http.diagnostics.trace-all is off by default

        using (var client = Client(port))
        {
            using var response = await client.GetAsync("/plaintext");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("Hello, World!", await response.Content.ReadAsStringAsync());
            Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);

            using var health = await client.GetAsync("/health");
            Assert.Equal("{\"status\":\"ok\"}", await health.Content.ReadAsStringAsync());
            using var live = await client.GetAsync("/health/live");
            Assert.Equal("{\"status\":\"ok\"}", await live.Content.ReadAsStringAsync());

            using var echo = await client.PostAsync("/echo", new StringContent("ping"));
            Assert.Equal("ping", await echo.Content.ReadAsStringAsync());

            // The demo routes of filters and CORS.
            using var noKey = await client.GetAsync("/admin/hello");
            Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);
            using var withKey = new HttpRequestMessage(HttpMethod.Get, "/admin/hello") { Headers = { { "Authorization", "Bearer demo-key-not-a-secret-0001" } } };
            using var admitted = await client.SendAsync(withKey);
            Assert.Equal("Hello, holder of an API key!", await admitted.Content.ReadAsStringAsync());

            using var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/quote")
                { Headers = { { "Origin", "http://localhost:5173" }, { "Access-Control-Request-Method", "GET" } } };
            using var preflighted = await client.SendAsync(preflight);
            Assert.Equal(HttpStatusCode.NoContent, preflighted.StatusCode);
            Assert.Equal("http://localhost:5173", preflighted.Headers.GetValues("Access-Control-Allow-Origin").Single());

            // Five at once, then one a second: a quick burst meets a 429 (each request would have to take 200 ms to miss it).
            HttpResponseMessage? limited = null;
            for (var i = 0; i < 100 && limited == null; i++)
            {
                var attempt = await client.GetAsync("/limited");
                if (attempt.StatusCode == HttpStatusCode.TooManyRequests) limited = attempt;
                else attempt.Dispose();
            }
            Assert.NotNull(limited);
            Assert.NotNull(limited.Headers.RetryAfter?.Delta);
            limited.Dispose();
        }

        // The WebSocket echo of hocon/standalone.conf.
        using (var socket = new System.Net.WebSockets.ClientWebSocket())
        {
            using var cts = new CancellationTokenSource(StartTimeout);
            await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/ws/echo"), cts.Token);
            await socket.SendAsync("ws ping"u8.ToArray(), System.Net.WebSockets.WebSocketMessageType.Text, true, cts.Token);
            var buffer = new byte[64];
            var received = await socket.ReceiveAsync(buffer, cts.Token);
            Assert.Equal("ws ping", System.Text.Encoding.UTF8.GetString(buffer, 0, received.Count));
            await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "", cts.Token);
        }

        node.Signal("TERM");
        var code = await node.WaitForExitAsync(ExitTimeout);
        Assert.True(code == 0, $"exit code {code}\nstdout:\n{node.Stdout}\nstderr:\n{node.Stderr}");
    }

    [Fact]
    public async Task Sigterm_closes_an_idle_keep_alive_connection_cleanly()
    {
        using var node = StartNode("--config", RepoPaths.StandaloneConf, "--port", "0");
        var port = await node.WaitForListeningAsync(StartTimeout);
        using var idle = await RawHttpConnection.OpenAsync(port);
        var first = await idle.RoundTripAsync(RawHttpConnection.Request("/plaintext"));
        Assert.Equal(200, first.Status);

        node.Signal("TERM");
        // reference.conf: on SIGTERM "close idle connections at once" — a FIN, not a reset.
        Assert.True(await idle.WaitForServerCloseAsync(ExitTimeout), "the idle connection was not closed by the shutdown");
        Assert.Equal(0, await node.WaitForExitAsync(ExitTimeout));
    }

    private static readonly string MetricsRequest = RawHttpConnection.Request("/metrics");

    /// <summary>The node's count of bytes received from clients (<c>actorhttp_bytes_received_bytes_total</c> on /metrics), read over <paramref name="scrape"/>.</summary>
    private static async Task<long> BytesReceivedAsync(RawHttpConnection scrape)
    {
        var response = await scrape.RoundTripAsync(MetricsRequest);
        Assert.True(response.Status == 200, response.ToString());
        var match = Regex.Match(response.BodyText, @"^actorhttp_bytes_received_bytes_total (\d+)$", RegexOptions.Multiline);
        return match.Success ? long.Parse(match.Groups[1].Value) : 0;
    }

    /// <summary>
    /// Waits until the node has received <paramref name="bytes"/> more from clients than <paramref name="before"/>, not
    /// counting the /metrics requests this makes: when this test is the node's only client, until the node has read a
    /// request of that length. The connection counts the bytes as it reads them and parses them in the same step, so the
    /// request has been parsed and handed to its handler before the connection handles anything sent after this returns.
    /// </summary>
    private static async Task WaitUntilReceivedAsync(RawHttpConnection scrape, long before, long bytes)
    {
        var metricsBytes = Encoding.Latin1.GetByteCount(MetricsRequest);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        long received = 0;
        for (var scrapes = 1; !deadline.IsCancellationRequested; scrapes++)
        {
            received = await BytesReceivedAsync(scrape) - before - scrapes * metricsBytes;
            if (received >= bytes) return;
            await Task.Delay(20); // a poll interval
        }
        Assert.Fail($"the node received {received} of the {bytes} bytes sent within 30 s");
    }

    [Fact]
    public async Task Sigterm_lets_an_in_flight_blocking_request_finish()
    {
        using var node = StartNode("--config", RepoPaths.StandaloneConf, "--port", "0");
        var port = await node.WaitForListeningAsync(StartTimeout);
        using var busy = await RawHttpConnection.OpenAsync(port);
        Assert.Equal(200, (await busy.RoundTripAsync(RawHttpConnection.Request("/plaintext"))).Status);
        using var scrape = await RawHttpConnection.OpenAsync(port);
        var before = await BytesReceivedAsync(scrape);
        // Long enough that, even on a loaded machine, the shutdown starts draining while the handler still sleeps:
        // a response finished before the drain rightly keeps the connection open, and would prove nothing here.
        var blocking = RawHttpConnection.Request("/blocking?ms=4000");
        await busy.SendAsync(blocking);
        await WaitUntilReceivedAsync(scrape, before, Encoding.Latin1.GetByteCount(blocking));

        node.Signal("TERM");
        var response = await busy.ReadResponseAsync();
        Assert.True(response.Status == 200, response.ToString());
        Assert.Equal("slept 4000 ms\n", response.BodyText);
        Assert.True(response.ConnectionClose);
        Assert.Equal(0, await node.WaitForExitAsync(ExitTimeout));
    }

    [Fact]
    public async Task Set_override_changes_the_plaintext_body()
    {
        using var node = StartNode("--config", RepoPaths.StandaloneConf, "--port", "0", "--set", "actor-http.routes.plaintext.text=\"Hi\"");
        var port = await node.WaitForListeningAsync(StartTimeout);
        using (var client = Client(port))
        {
            Assert.Equal("Hi", await client.GetStringAsync("/plaintext"));
        }
        node.Signal("TERM");
        Assert.Equal(0, await node.WaitForExitAsync(ExitTimeout));
    }

    [Fact]
    public async Task Port_in_use_exits_3_with_the_address_on_stderr()
    {
        using var occupier = new TcpListener(IPAddress.Loopback, 0);
        occupier.Start();
        try
        {
            var port = ((IPEndPoint)occupier.LocalEndpoint).Port;
            var (code, node) = await RunNodeToExit("--config", RepoPaths.StandaloneConf, "--port", port.ToString());
            using (node)
            {
                Assert.True(code == 3, $"exit code {code}\nstdout:\n{node.Stdout}\nstderr:\n{node.Stderr}");
                AssertOneLineError(node, $"127.0.0.1:{port}");
            }
        }
        finally
        {
            occupier.Stop();
        }
    }

    [Fact]
    public async Task Missing_config_file_exits_2_naming_the_file()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-config-{Guid.NewGuid():N}.conf");
        var (code, node) = await RunNodeToExit("--config", missing, "--port", "0");
        using (node)
        {
            Assert.True(code == 2, $"exit code {code}\nstderr:\n{node.Stderr}");
            AssertOneLineError(node, Path.GetFileName(missing));
        }
    }

    [Fact]
    public async Task Non_numeric_port_override_exits_2_with_a_readable_message()
    {
        var (code, node) = await RunNodeToExit("--config", RepoPaths.StandaloneConf, "--set", "actor-http.server.port=abc");
        using (node)
        {
            Assert.True(code == 2, $"exit code {code}\nstdout:\n{node.Stdout}\nstderr:\n{node.Stderr}");
            AssertOneLineError(node, "port");
        }
    }

    [Fact]
    public async Task Port_out_of_range_exits_non_zero()
    {
        var (code, node) = await RunNodeToExit("--config", RepoPaths.StandaloneConf, "--port", "70000");
        using (node)
        {
            Assert.True(code != 0, $"exit code {code}\nstdout:\n{node.Stdout}\nstderr:\n{node.Stderr}");
            Assert.Equal(2, code);
            AssertOneLineError(node, "70000");
        }
    }

    [Fact]
    public async Task Invalid_hocon_file_exits_2()
    {
        var path = TempConfig("actor-http { server { port = }");
        var (code, node) = await RunNodeToExit("--config", path);
        using (node)
        {
            Assert.True(code == 2, $"exit code {code}\nstdout:\n{node.Stdout}\nstderr:\n{node.Stderr}");
            AssertOneLineError(node, "error:");
        }
    }

    [Theory]
    [InlineData("akka { loglevel = INFO")]              // unbalanced brace
    [InlineData("akka { loglevel = INFO }\na = [1, 2")] // unterminated list
    [InlineData("akka { loglevel = INFO }\n= 5")]       // no key
    public async Task Syntactically_invalid_hocon_file_exits_2_even_when_every_needed_key_has_a_value(string text)
    {
        var path = TempConfig(text);
        using var node = StartNode("--config", path, "--port", "0");
        var outcome = await node.WaitForExitOrListeningAsync(ExitTimeout);
        Assert.True(outcome.ExitCode == 2,
            outcome.Listening
                ? $"the node started with a config file that is not valid HOCON:\n{text}"
                : $"exit code {outcome.ExitCode}\nstdout:\n{node.Stdout}\nstderr:\n{node.Stderr}");
        AssertOneLineError(node, Path.GetFileName(path));
    }

    [Fact]
    public async Task Route_with_unknown_handler_type_exits_2_naming_the_route()
    {
        var path = TempConfig("""
            actor-http {
              server { hostname = "127.0.0.1", port = 0 }
              routes {
                mystery-route {
                  path = "/mystery"
                  method = GET
                  handler = "No.Such.Handler, No.Such.Assembly"
                }
              }
            }
            """);
        var (code, node) = await RunNodeToExit("--config", path);
        using (node)
        {
            Assert.True(code == 2, $"exit code {code}\nstdout:\n{node.Stdout}\nstderr:\n{node.Stderr}");
            AssertOneLineError(node, "mystery-route");
        }
    }

    public void Dispose()
    {
        foreach (var file in _tempFiles)
        {
            try { File.Delete(file); } catch (IOException) { }
        }
    }
}
