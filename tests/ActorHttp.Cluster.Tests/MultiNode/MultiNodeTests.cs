using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Akka.Actor;
using Akka.Configuration;
using ActorHttp.Observability;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Xunit;
using Xunit.Abstractions;

namespace ActorHttp.Cluster.Tests.MultiNode;

/// <summary>
/// Two or three cluster nodes in this process, each with its own HTTP server: requests cross nodes, entity state is
/// one per id, a graceful leave loses no request, a crash fails fast and heals once the node is downed.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class MultiNodeTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ClusterWait = TimeSpan.FromSeconds(30);

    /// <summary>Asks node <paramref name="via"/> for probe entities until <paramref name="count"/> ids are hosted by <paramref name="owner"/>.</summary>
    private static async Task<List<string>> IdsHostedByAsync(TestNode via, TestNode owner, int count, string prefix = "id")
    {
        var ids = new List<string>();
        for (var i = 0; ids.Count < count; i++)
        {
            if (i > 500) throw new InvalidOperationException($"no {count} ids on {owner.Address} among 500");
            var answer = await ProbeAsync(via, $"{prefix}{i}");
            if (answer.Node == owner.Address.ToString()) ids.Add(answer.Id);
        }
        return ids;
    }

    private static async Task<ProbeAnswer> ProbeAsync(TestNode via, string id)
    {
        using var response = await via.Client.GetAsync($"/probe/{id}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /probe/{id} on {via.Address}: {(int)response.StatusCode} {body}");
        return ProbeAnswer.Parse(body);
    }

    private static async Task<long> CounterAsync(TestNode via, HttpMethod method, string id)
    {
        using var response = await via.Client.SendAsync(new HttpRequestMessage(method, $"/counters/{id}"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{method} /counters/{id} on {via.Address}: {(int)response.StatusCode} {body}");
        using var json = JsonDocument.Parse(body);
        Assert.Equal(id, json.RootElement.GetProperty("id").GetString());
        return json.RootElement.GetProperty("value").GetInt64();
    }

    [Fact]
    public async Task A_request_accepted_on_one_node_is_answered_by_the_entity_on_another()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var (a, b) = (cluster[0], cluster[1]);

        var onB = await IdsHostedByAsync(a, b, 3);
        foreach (var id in onB)
        {
            // Same entity incarnation whichever node accepts the request; body and headers cross intact.
            var viaA = await ProbeAsync(a, id);
            using var post = new HttpRequestMessage(HttpMethod.Post, $"/probe/{id}") { Content = new StringContent("héllo wörld") };
            post.Headers.Add("X-Test", "crossed");
            using var response = await b.Client.SendAsync(post);
            var viaB = ProbeAnswer.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(b.Address.ToString(), viaA.Node);
            Assert.Equal(viaA.Instance, viaB.Instance);
            Assert.Equal(System.Text.Encoding.UTF8.GetByteCount("héllo wörld"), viaB.BodyLength);
            Assert.Equal("crossed", viaB.Header);
        }
        var onA = await IdsHostedByAsync(b, a, 1);
        Assert.Equal(a.Address.ToString(), (await ProbeAsync(b, onA[0])).Node);
    }

    /// <summary>What the in-memory exporter was given, read while it goes on exporting.</summary>
    private sealed class ExportedSpans : System.Collections.ObjectModel.Collection<Activity>
    {
        protected override void InsertItem(int index, Activity item)
        {
            lock (this) base.InsertItem(index, item);
        }

        public List<Activity> Of(ActivityTraceId traceId)
        {
            lock (this) return this.Where(a => a.TraceId == traceId).ToList();
        }
    }

    [Fact]
    public async Task A_sharded_request_is_one_trace_across_both_nodes()
    {
        var exported = new ExportedSpans();
        using var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(HttpTracing.SourceName)
            .SetSampler(new AlwaysOnSampler())
            .AddInMemoryExporter(exported)
            .Build();
        await using var cluster = await TestCluster.StartAsync(2);
        var (a, b) = (cluster[0], cluster[1]);
        var id = (await IdsHostedByAsync(a, b, 1, prefix: "traced"))[0];

        // The client's trace: node A's server span continues it, the entity's span on node B is the server span's child.
        var traceId = ActivityTraceId.CreateRandom();
        var clientSpan = ActivitySpanId.CreateRandom();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/probe/{id}");
        request.Headers.Add("traceparent", $"00-{traceId.ToHexString()}-{clientSpan.ToHexString()}-01");
        using var response = await a.Client.SendAsync(request);
        var answer = ProbeAnswer.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(b.Address.ToString(), answer.Node);

        await Eventually.TrueAsync(() => exported.Of(traceId).Count >= 2, TimeSpan.FromSeconds(10), "the two spans of the trace");
        var spans = exported.Of(traceId);
        var server = Assert.Single(spans, s => s.DisplayName == "GET /probe/{id}");
        var entity = Assert.Single(spans, s => s.DisplayName == "entity probe");
        Assert.Equal(ActivityKind.Server, server.Kind);
        Assert.Equal(clientSpan, server.ParentSpanId);
        Assert.Equal(200, server.GetTagItem("http.response.status_code"));
        Assert.Equal(traceId, entity.TraceId);
        Assert.Equal(server.SpanId, entity.ParentSpanId);
        Assert.True(entity.HasRemoteParent); // the context arrived through HttpMessageSerializer
        Assert.Equal(b.Address.ToString(), entity.GetTagItem("actorhttp.node"));
        Assert.Equal(id, entity.GetTagItem("actorhttp.entity.id"));
        Assert.Equal(200, entity.GetTagItem("http.response.status_code"));
        // The entity's handler got the entity span's context.
        Assert.Equal($"{traceId.ToHexString()}-{entity.SpanId.ToHexString()}", answer.Trace);
    }

    [Fact]
    public async Task Entity_state_is_the_same_whichever_node_is_asked()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var (a, b) = (cluster[0], cluster[1]);
        var ids = Enumerable.Range(0, 12).Select(i => $"c{i}").ToList();

        // Increments through both nodes, concurrently: each id's single entity counts every one of them.
        await Task.WhenAll(ids.SelectMany(id => new[] { a, b, a, b, a }.Select(node => CounterAsync(node, HttpMethod.Post, id))));
        foreach (var id in ids)
        {
            Assert.Equal(5, await CounterAsync(a, HttpMethod.Get, id));
            Assert.Equal(5, await CounterAsync(b, HttpMethod.Get, id));
        }
        Assert.Equal(0, await CounterAsync(b, HttpMethod.Delete, ids[0]));
        Assert.Equal(0, await CounterAsync(a, HttpMethod.Get, ids[0]));
    }

    [Fact]
    public async Task A_graceful_leave_under_a_stream_of_requests_loses_none()
    {
        // An entity-timeout of 10 s: hand-off plus several resend-afters (1 s each) fit in it even when the whole test suite
        // loads the 2 cores. With 5 s, one request in about a thousand sent during the hand-off got its 503 in a full
        // CI run (never when this test ran alone, 6 runs of 6): the resends did not reach the shard's new home within it.
        // A request lost for good would still fail at 10 s.
        await using var cluster = await TestCluster.StartAsync(2,
            () => TestRoutes.With(TestRoutes.Counters(), TestRoutes.Probe() with { EntityTimeout = TimeSpan.FromSeconds(10) }));
        var (a, b) = (cluster[0], cluster[1]);
        var movingIds = await IdsHostedByAsync(a, b, 10, "m");
        var statuses = new ConcurrentBag<(int Status, string Body, long SentAtMs)>();
        using var stop = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();

        async Task Stream(int worker)
        {
            var random = new Random(worker);
            while (!stop.IsCancellationRequested)
            {
                var id = movingIds[random.Next(movingIds.Count)];
                var sentAt = clock.ElapsedMilliseconds;
                using var response = await a.Client.PostAsync($"/probe/{id}", null);
                statuses.Add(((int)response.StatusCode, await response.Content.ReadAsStringAsync(), sentAt));
            }
        }

        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(() => Stream(w))).ToList();
        await Task.Delay(500);
        var leftAt = clock.ElapsedMilliseconds;
        await b.LeaveAsync(TimeSpan.FromSeconds(40));
        output.WriteLine($"node B asked to leave at {leftAt} ms, gone at {clock.ElapsedMilliseconds} ms");
        await TestCluster.WaitForUpMembersAsync(a, 1, ClusterWait);
        await Task.Delay(1000); // requests after the hand-off, served on A
        stop.Cancel();
        await Task.WhenAll(workers);

        var failed = statuses.Where(s => s.Status != 200).ToList();
        output.WriteLine($"{statuses.Count} requests, {failed.Count} not 200");
        foreach (var (status, body, sentAt) in failed) output.WriteLine($"  sent at {sentAt} ms: {status} {body.Trim()}");
        Assert.True(failed.Count == 0, $"{failed.Count} of {statuses.Count} requests failed, e.g. {failed.FirstOrDefault()}");
        Assert.True(statuses.Count > 50, $"only {statuses.Count} requests went through");
        foreach (var id in movingIds) Assert.Equal(a.Address.ToString(), (await ProbeAsync(a, id)).Node);
    }

    [Fact]
    public async Task A_crashed_node_fails_its_requests_fast_until_it_is_downed_then_its_shards_move()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var (a, c) = (cluster[0], cluster[2]);
        var onC = await IdsHostedByAsync(a, c, 2, "k");

        await c.CrashAsync();
        var crashed = Stopwatch.StartNew();
        await Eventually.TrueAsync(() => a.Cluster.State.Unreachable.Any(m => m.Address.Equals(c.Address)), ClusterWait, "C to become unreachable");
        output.WriteLine($"C unreachable after {crashed.ElapsedMilliseconds} ms");

        // Known to live on an unreachable node: 503 at once, with Retry-After. "unreachable" in the reason says it took
        // the fail-fast path; the entity timeout's 503 says "did not answer within" instead. (Asserted by what, not how fast.)
        var sw = Stopwatch.StartNew();
        using (var response = await a.Client.GetAsync($"/probe/{onC[0]}"))
        {
            sw.Stop();
            output.WriteLine($"503 for an entity of the unreachable node after {sw.ElapsedMilliseconds} ms");
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.OK)
                Assert.Fail($"answered 200 while C is unreachable: {body}");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, "no Retry-After");
            Assert.Contains("unreachable", body);
            Assert.DoesNotContain("did not answer", body);
        }

        // The split-brain resolver downs C (A and B are the majority); its shards start on A or B.
        foreach (var id in onC)
        {
            var answer = await Eventually.SucceedsAsync(() => ProbeAsync(a, id), ClusterWait);
            Assert.NotEqual(c.Address.ToString(), answer.Node);
        }
        output.WriteLine($"C's shards served again {crashed.ElapsedMilliseconds} ms after the crash");
        Assert.DoesNotContain(a.Cluster.State.Members, m => m.Address.Equals(c.Address));
    }
}
