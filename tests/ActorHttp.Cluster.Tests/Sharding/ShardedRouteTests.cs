using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Akka.Configuration;
using ActorHttp.Cluster.Demo;
using ActorHttp.Cluster.Sharding;
using ActorHttp.Protocol;
using ActorHttp.Routing;
using ActorHttp.Tests.EndToEnd;
using Xunit;

namespace ActorHttp.Cluster.Tests.Sharding;

/// <summary>A cluster of one serving sharded routes over real sockets: the demo counters, limits, failures, passivation.</summary>
[Trait("Category", "Cluster")]
public sealed class ShardedRouteTests : IAsyncLifetime
{
    private TestCluster _cluster = null!;
    private TestNode Node => _cluster[0];
    private HttpClient Client => Node.Client;

    /// <summary>Bodies over 4 KB are streamed to handlers, so the sharded route has to read them itself.</summary>
    private static readonly Config NodeConfig = ConfigurationFactory.ParseString("actor-http.server.parsing.stream-body-threshold = 4k");

    private static Routes Routes() => TestRoutes.With(
            TestRoutes.Counters(),
            TestRoutes.Probe() with { EntityTimeout = TimeSpan.FromSeconds(1), MaxBodySize = 32 * 1024 })
        .MapSharded([HttpMethods.Get, HttpMethods.Post], "/idle/{key}",
            new ShardedEntity("idle", ProbeEntity.Props()) { IdParameter = "key", PassivateIdleAfter = TimeSpan.FromSeconds(1) })
        .MapSharded([HttpMethods.Get, HttpMethods.Post], "/brief/{id}",
            new ShardedEntity("brief", CounterEntity.Props()) { EntityTimeout = TimeSpan.FromMilliseconds(250), ResendAfter = TimeSpan.FromMilliseconds(100) })
        .MapSharded([HttpMethods.Get, HttpMethods.Post], "/unsent/{id}",
            new ShardedEntity("unsent", CounterEntity.Props()) { ResendAfter = null });

    public async Task InitializeAsync() => _cluster = await TestCluster.StartAsync(1, Routes, NodeConfig);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, string path, HttpContent? content = null)
    {
        var response = await Client.SendAsync(new HttpRequestMessage(method, path) { Content = content });
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    [Fact]
    public async Task Counters_get_post_and_delete()
    {
        Assert.Equal("{\"id\":\"a\",\"value\":0}", (await SendAsync(HttpMethod.Get, "/counters/a")).Body);
        Assert.Equal("{\"id\":\"a\",\"value\":1}", (await SendAsync(HttpMethod.Post, "/counters/a")).Body);
        Assert.Equal("{\"id\":\"a\",\"value\":2}", (await SendAsync(HttpMethod.Post, "/counters/a")).Body);
        Assert.Equal("{\"id\":\"b\",\"value\":0}", (await SendAsync(HttpMethod.Get, "/counters/b")).Body);
        var (status, body, response) = await SendAsync(HttpMethod.Delete, "/counters/a");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("{\"id\":\"a\",\"value\":0}", body);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await SendAsync(HttpMethod.Put, "/counters/a")).Status);
        Assert.Equal("{\"id\":\"café \\\"q\\\"\",\"value\":1}", (await SendAsync(HttpMethod.Post, "/counters/caf%C3%A9%20%22q%22")).Body);
    }

    [Fact]
    public async Task Head_is_answered_by_the_entity_without_a_body()
    {
        using var connection = await RawHttpConnection.OpenAsync(Node.Port);
        var response = await connection.RoundTripAsync(RawHttpConnection.Request("/counters/h", "HEAD"), isHead: true);
        Assert.Equal(200, response.Status);
        Assert.Equal("20", response.Header("Content-Length"));
        Assert.Empty(response.Body);
    }

    [Fact]
    public async Task Concurrent_increments_of_many_counters_are_all_counted()
    {
        var ids = Enumerable.Range(0, 40).Select(i => $"n{i}").ToList();
        var posts = ids.SelectMany(id => Enumerable.Repeat(id, 5)).Select(id => SendAsync(HttpMethod.Post, $"/counters/{id}"));
        Assert.All(await Task.WhenAll(posts), r => Assert.Equal(HttpStatusCode.OK, r.Status));
        foreach (var id in ids) Assert.Equal($"{{\"id\":\"{id}\",\"value\":5}}", (await SendAsync(HttpMethod.Get, $"/counters/{id}")).Body);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_refused_with_413()
    {
        var (status, body, _) = await SendAsync(HttpMethod.Post, "/probe/big", new ByteArrayContent(new byte[40 * 1024]));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("32768 bytes", body);
    }

    [Fact]
    public async Task A_streamed_body_under_the_limit_reaches_the_entity_whole()
    {
        var bytes = RandomNumberGenerator.GetBytes(20 * 1024); // over the 4 KB stream threshold, under the 32 KB limit
        var (status, body, _) = await SendAsync(HttpMethod.Post, "/probe/upload", new ByteArrayContent(bytes));
        Assert.Equal(HttpStatusCode.OK, status);
        var answer = ProbeAnswer.Parse(body);
        Assert.Equal(bytes.Length, answer.BodyLength);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(bytes)), answer.BodySha256);
    }

    [Fact]
    public async Task A_chunked_body_growing_over_the_limit_is_refused_with_413()
    {
        using var connection = await RawHttpConnection.OpenAsync(Node.Port);
        var chunk = new string('x', 8 * 1024);
        var request = "POST /probe/chunked HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                      + string.Concat(Enumerable.Repeat($"{chunk.Length:x}\r\n{chunk}\r\n", 6)) + "0\r\n\r\n";
        var response = await connection.RoundTripAsync(request);
        Assert.Equal(413, response.Status);
    }

    [Fact]
    public async Task An_entity_that_does_not_answer_gets_503_with_retry_after_at_the_entity_timeout()
    {
        var (status, body, response) = await SendAsync(HttpMethod.Get, "/probe/quiet?do=silent");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal(TimeSpan.FromSeconds(2), response.Headers.RetryAfter?.Delta);
        Assert.Contains("did not answer within 1s", body); // the entity timeout answered, not the server's 30 s response-timeout
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, "/probe/quiet")).Status); // the entity itself is fine
    }

    [Theory]
    [InlineData("stream", "cannot stream")]
    [InlineData("throw", "Internal Server Error")]
    [InlineData("fail", "Internal Server Error")]
    [InlineData("big", "too large")]
    public async Task An_entity_answer_that_cannot_cross_nodes_or_a_failure_becomes_500(string behaviour, string detail)
    {
        var (status, body, _) = await SendAsync(HttpMethod.Get, $"/probe/bad-{behaviour}?do={behaviour}");
        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Contains(detail, body);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, $"/probe/bad-{behaviour}")).Status);
    }

    [Fact]
    public async Task An_idle_entity_passivates_and_the_next_request_starts_it_again()
    {
        var first = ProbeAnswer.Parse((await SendAsync(HttpMethod.Get, "/idle/p")).Body);
        var second = ProbeAnswer.Parse((await SendAsync(HttpMethod.Get, "/idle/p")).Body);
        Assert.Equal(first.Instance, second.Instance);
        Assert.Equal(2, second.Count);

        // passivate-idle-after = 1s; sharding checks idleness at a fraction of it.
        var restarted = await Eventually.SucceedsAsync(async () =>
        {
            await Task.Delay(1500);
            var answer = ProbeAnswer.Parse((await SendAsync(HttpMethod.Get, "/idle/p")).Body);
            Assert.NotEqual(first.Instance, answer.Instance);
            return answer;
        }, TimeSpan.FromSeconds(15));
        Assert.Equal(1, restarted.Count);
    }

    [Fact]
    public async Task The_health_and_cluster_endpoints_describe_the_node()
    {
        var (status, body, _) = await SendAsync(HttpMethod.Get, "/health");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("{\"status\":\"ok\",\"member\":\"Up\"}", body);

        using var members = JsonDocument.Parse((await SendAsync(HttpMethod.Get, "/cluster/members")).Body);
        var member = Assert.Single(members.RootElement.GetProperty("members").EnumerateArray());
        Assert.Equal(Node.Address.ToString(), member.GetProperty("address").GetString());
        Assert.Equal("Up", member.GetProperty("status").GetString());
        Assert.True(member.GetProperty("reachable").GetBoolean());
        Assert.Equal(Node.Address.ToString(), members.RootElement.GetProperty("leader").GetString());

        await SendAsync(HttpMethod.Post, "/counters/s1");
        await SendAsync(HttpMethod.Post, "/counters/s2");
        using var shards = JsonDocument.Parse((await SendAsync(HttpMethod.Get, "/cluster/shards")).Body);
        var counters = shards.RootElement.GetProperty("types").EnumerateArray().Single(t => t.GetProperty("type").GetString() == "counters");
        var node = Assert.Single(counters.GetProperty("nodes").EnumerateArray());
        Assert.Equal(Node.Address.ToString(), node.GetProperty("address").GetString());
        Assert.True(node.GetProperty("entities").GetInt32() >= 2);
        Assert.Equal(node.GetProperty("entities").GetInt32(), node.GetProperty("shards").EnumerateObject().Sum(s => s.Value.GetInt32()));
    }

    /// <summary>
    /// Sends <paramref name="correlationIds"/> straight to the region of <paramref name="typeName"/> as POSTs for entity
    /// <paramref name="id"/>, as the route handler does (copies carry the same sender and correlation id), and returns
    /// the (correlation id, body) of every answer: <paramref name="expected"/> of them, and any more within 300 ms.
    /// </summary>
    private async Task<List<(long, string)>> PostThroughRegionAsync(string typeName, string id, int expected, params long[] correlationIds)
    {
        var clusterHttp = ClusterHttp.Get(Node.System);
        var region = await clusterHttp.ShardRegionAsync(clusterHttp.Entities.Single(e => e.TypeName == typeName));
        var inbox = Akka.Actor.Inbox.Create(Node.System);
        var post = new HttpRequest
        {
            Method = HttpMethods.Post, Target = $"/{typeName}/{id}", Path = $"/{typeName}/{id}",
            RouteValues = new Dictionary<string, string> { ["id"] = id },
        };
        foreach (var correlationId in correlationIds) inbox.Send(region, new EntityRequest(id, correlationId, post));
        var answers = new List<(long, string)>();
        while (true)
        {
            try
            {
                var answer = Assert.IsType<EntityResponse>(await inbox.ReceiveAsync(TimeSpan.FromMilliseconds(answers.Count < expected ? 5000 : 300)));
                answers.Add((answer.CorrelationId, answer.Response.BodyAsString()));
            }
            catch (TimeoutException)
            {
                return answers;
            }
        }
    }

    [Fact]
    public async Task A_copy_of_a_request_the_entity_has_received_is_dropped()
    {
        // What the route handler sends again when an answer is late (resend-after): same sender, same correlation id.
        Assert.Equal([(1L, "{\"id\":\"once\",\"value\":1}"), (2L, "{\"id\":\"once\",\"value\":2}")],
            await PostThroughRegionAsync("counters", "once", 2, 1, 1, 2));
        Assert.Equal("{\"id\":\"once\",\"value\":2}", (await SendAsync(HttpMethod.Get, "/counters/once")).Body);
    }

    [Fact]
    public async Task The_entity_forgets_a_request_once_no_copy_of_it_can_come()
    {
        // Copies are sent only until entity-timeout (250 ms here); the host remembers a request for twice that, so
        // its memory stays a few entries per entity instead of a growing history.
        Assert.Equal([(1L, "{\"id\":\"b\",\"value\":1}")], await PostThroughRegionAsync("brief", "b", 1, 1, 1));
        await Task.Delay(TimeSpan.FromMilliseconds(800));
        Assert.Equal([(1L, "{\"id\":\"b\",\"value\":2}")], await PostThroughRegionAsync("brief", "b", 1, 1));
    }

    [Fact]
    public async Task With_resend_after_off_the_entity_remembers_nothing()
    {
        // No copies are ever sent, so the same correlation id twice is two requests (e.g. from two route handlers
        // that were restarted); nothing is kept per request.
        Assert.Equal([(1L, "{\"id\":\"u\",\"value\":1}"), (1L, "{\"id\":\"u\",\"value\":2}")],
            await PostThroughRegionAsync("unsent", "u", 2, 1, 1));
    }

    [Fact]
    public void A_template_without_the_id_parameter_is_refused_in_code()
    {
        var e = Assert.Throws<ArgumentException>(() => new Routes().MapSharded([HttpMethods.Get], "/counters/{name}", new ShardedEntity("c", CounterEntity.Props())));
        Assert.Contains("{id}", e.Message);
    }
}
