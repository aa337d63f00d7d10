using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;
using ActorHttp.Handlers;
using ActorHttp.Observability;
using ActorHttp.Routing;
using Xunit;

namespace ActorHttp.Tests.EndToEnd;

/// <summary>The ActorHttp meter and the /metrics route, over real sockets.</summary>
[Trait("Category", "EndToEnd")]
public sealed class MetricsTests
{
    [Fact]
    public async Task Metrics_route_reports_request_durations_active_requests_connections_bytes_and_parse_errors()
    {
        _ = PrometheusExporter.Shared; // listening from here on (other tests in the process add to the same figures)
        var server = await TestServer.StartAsync(routes: TestServer.DefaultRoutes().Get("/metrics", MetricsHandler.Props()));
        try
        {
            using (var connection = await RawHttpConnection.OpenAsync(server.Port))
            {
                for (var i = 0; i < 3; i++) Assert.Equal(200, (await connection.RoundTripAsync(RawHttpConnection.Request("/plaintext"))).Status);
                Assert.Equal(404, (await connection.RoundTripAsync(RawHttpConnection.Request("/nowhere"))).Status);
            }
            using (var bad = await RawHttpConnection.OpenAsync(server.Port))
            {
                await bad.SendAsync("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\n");
                Assert.Equal(400, (await bad.ReadResponseAsync()).Status);
            }

            // The two connections above close on their own time: scrape (a bounded number of times) until both are counted.
            var connections = $"{{server_address=\"127.0.0.1\",server_port=\"{server.Port}\"}}";
            using var scrape = await RawHttpConnection.OpenAsync(server.Port);
            RawResponse response = null!;
            for (var attempt = 0; attempt < 500; attempt++)
            {
                response = await scrape.RoundTripAsync(RawHttpConnection.Request("/metrics"));
                if (response.BodyText.Contains($"actorhttp_connection_duration_seconds_count{connections} 2\n")) break;
            }
            Assert.Equal(200, response.Status);
            Assert.StartsWith("text/plain; version=0.0.4", response.Header("Content-Type"));
            var text = response.BodyText;
            // The HTTP semantic conventions' instruments (unit suffix and _total as OpenTelemetry's Prometheus exporter names them).
            Assert.Contains("# TYPE http_server_request_duration_seconds histogram", text);
            Assert.Contains("http_server_request_duration_seconds_count{http_request_method=\"GET\",http_route=\"/plaintext\",http_response_status_code=\"200\",network_protocol_version=\"1.1\",url_scheme=\"http\"}", text);
            Assert.Contains("http_server_request_duration_seconds_bucket{http_request_method=\"GET\",http_route=\"/plaintext\",http_response_status_code=\"200\",network_protocol_version=\"1.1\",url_scheme=\"http\",le=\"0.005\"}", text);
            Assert.Contains("http_server_request_duration_seconds_bucket{http_request_method=\"GET\",http_route=\"/plaintext\",http_response_status_code=\"200\",network_protocol_version=\"1.1\",url_scheme=\"http\",le=\"10\"}", text);
            // No route matched: no http.route tag.
            Assert.Contains("http_server_request_duration_seconds_count{http_request_method=\"GET\",http_response_status_code=\"404\",network_protocol_version=\"1.1\",url_scheme=\"http\"}", text);
            Assert.Contains("# TYPE http_server_active_requests gauge", text);
            Assert.Matches(@"(?m)^http_server_active_requests\{http_request_method=""GET"",url_scheme=""http""\} \d+$", text);
            Assert.Contains("actorhttp_parse_errors_total{reason=\"invalid Content-Length\"}", text);
            // Kestrel-style connection instruments, by the listener's address.
            Assert.Contains("# TYPE actorhttp_active_connections gauge", text);
            Assert.Contains($"actorhttp_connection_duration_seconds_count{connections} 2\n", text);
            Assert.Contains($"actorhttp_active_connections{connections} 1\n", text); // the scrape's own
            Assert.Contains("actorhttp_bytes_received_bytes_total", text);
            Assert.Contains("actorhttp_bytes_sent_bytes_total", text);
            Assert.DoesNotContain("actorhttp_requests_total", text); // replaced by http.server.request.duration
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Ten_thousand_random_method_names_are_counted_as_OTHER_so_the_series_stay_few()
    {
        // Every method tag value the request counter is given, by any server in the process (a few standard ones at most).
        var methodTags = new ConcurrentDictionary<string, bool>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == HttpMetrics.MeterName && instrument.Name == "http.server.request.duration") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag.Key == "http.request.method") methodTags.TryAdd(tag.Value as string ?? "(not a string)", true);
        });
        listener.Start();
        _ = PrometheusExporter.Shared;

        var server = await TestServer.StartAsync(routes: TestServer.DefaultRoutes().Get("/metrics", MetricsHandler.Props()));
        try
        {
            const int total = 10_000, batch = 100; // pipelined in batches over one keep-alive connection
            var random = new Random(20261201);
            string RandomMethod(int i) => $"RND{i}{string.Concat(Enumerable.Range(0, 8).Select(_ => (char)('A' + random.Next(26))))}";
            using (var connection = await RawHttpConnection.OpenAsync(server.Port))
            {
                for (var sent = 0; sent < total; sent += batch)
                {
                    var requests = new StringBuilder();
                    for (var i = sent; i < sent + batch; i++) requests.Append(RawHttpConnection.Request("/plaintext", RandomMethod(i)));
                    await connection.SendAsync(requests.ToString());
                    for (var i = 0; i < batch; i++)
                    {
                        var response = await connection.ReadResponseAsync();
                        Assert.True(response.Status == 501, response.ToString()); // a valid token no route names
                    }
                }
            }

            Assert.Contains("_OTHER", methodTags.Keys);
            var unexpected = methodTags.Keys.Except([.. ActorHttp.Protocol.HttpMethods.Standard, "_OTHER", "none"]).ToList();
            Assert.True(unexpected.Count == 0, $"{unexpected.Count} method tag values besides the standard ones, e.g. {string.Join(", ", unexpected.Take(5))}");

            using var scrape = await RawHttpConnection.OpenAsync(server.Port);
            var text = (await scrape.RoundTripAsync(RawHttpConnection.Request("/metrics"))).BodyText;
            Assert.Contains("http_server_request_duration_seconds_count{http_request_method=\"_OTHER\",http_route=\"/plaintext\",http_response_status_code=\"501\",network_protocol_version=\"1.1\",url_scheme=\"http\"} ", text);
            Assert.DoesNotContain("RND", text);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public void Method_tag_is_the_interned_standard_method_or_OTHER()
    {
        foreach (var method in ActorHttp.Protocol.HttpMethods.Standard)
        {
            Assert.Same(method, HttpMetrics.MethodTag(method));
            Assert.Same(method, HttpMetrics.MethodTag(new string(method.AsSpan()))); // spelled alike, not the interned instance
        }
        Assert.Equal("_OTHER", HttpMetrics.MethodTag("FOO"));
        Assert.Equal("_OTHER", HttpMetrics.MethodTag("get")); // methods are case-sensitive
        Assert.Equal("_OTHER", HttpMetrics.MethodTag("GETX"));
        Assert.Equal("_OTHER", HttpMetrics.MethodTag(""));
        Assert.Equal("none", HttpMetrics.MethodTag(null));
    }

    [Fact]
    public void Method_tag_allocates_nothing()
    {
        string[] methods = [.. ActorHttp.Protocol.HttpMethods.Standard, "get", "FOO", new string("GET".AsSpan())];
        foreach (var method in methods) HttpMetrics.MethodTag(method); // first calls: static initialisation
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var round = 0; round < 1000; round++)
            foreach (var method in methods) HttpMetrics.MethodTag(method);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
