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
    public async Task Metrics_route_reports_requests_durations_connections_bytes_and_parse_errors()
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

            using var scrape = await RawHttpConnection.OpenAsync(server.Port);
            var response = await scrape.RoundTripAsync(RawHttpConnection.Request("/metrics"));
            Assert.Equal(200, response.Status);
            Assert.StartsWith("text/plain; version=0.0.4", response.Header("Content-Type"));
            var text = response.BodyText;
            Assert.Contains("# TYPE actorhttp_requests_total counter", text);
            Assert.Contains("actorhttp_requests_total{route=\"/plaintext\",method=\"GET\",status=\"200\"}", text);
            Assert.Contains("actorhttp_requests_total{route=\"none\",method=\"GET\",status=\"404\"}", text);
            Assert.Contains("# TYPE actorhttp_request_duration_seconds histogram", text);
            Assert.Contains("actorhttp_request_duration_seconds_bucket{route=\"/plaintext\",le=\"+Inf\"}", text);
            Assert.Contains("actorhttp_parse_errors_total{reason=\"invalid Content-Length\"}", text);
            Assert.Contains("# TYPE actorhttp_connections_active gauge", text);
            Assert.Contains("actorhttp_connections_total", text);
            Assert.Contains("actorhttp_bytes_received_bytes_total", text);
            Assert.Contains("actorhttp_bytes_sent_bytes_total", text);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
