using System.Net;
using System.Net.Sockets;
using ActorHttp.Tests.EndToEnd;
using Xunit;

namespace ActorHttp.Cluster.Tests.Configuration;

/// <summary>The node process (ActorHttp.Host) with cluster configurations: the standalone cluster of one, and its errors.</summary>
[Trait("Category", "Host")]
public sealed class ClusterHostTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(40);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(40);
    private static string ClusterNodeConf => Path.Combine(RepoPaths.Root, "hocon", "cluster-node.conf");

    private static ChildProcess StartNode(params string[] args) =>
        ChildProcess.Start(RepoPaths.DotnetHost, [RepoPaths.HostDll, .. args], RepoPaths.Root);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void AssertOneLineError(ChildProcess node, string mustContain)
    {
        var lines = node.StderrLines.Where(l => !string.IsNullOrWhiteSpace(l)).ToList();
        Assert.True(lines.Count == 1 && lines[0].StartsWith("error: ", StringComparison.Ordinal) && lines[0].Contains(mustContain, StringComparison.Ordinal),
            $"expected one stderr line containing '{mustContain}'.\nstderr:\n{node.Stderr}\nstdout:\n{node.Stdout}");
        Assert.DoesNotContain("listening on", node.Stdout);
    }

    [Fact]
    public async Task The_standalone_node_serves_counters_as_a_cluster_of_one()
    {
        using var node = StartNode("--config", RepoPaths.StandaloneConf, "--port", "0");
        var port = await node.WaitForListeningAsync(StartTimeout);
        using (var client = HttpClients.Create(new Uri($"http://127.0.0.1:{port}")))
        {
            // Sharding answers as soon as the node has joined itself; until then requests may time out with 503.
            var first = await Eventually.SucceedsAsync(async () =>
            {
                using var response = await client.PostAsync("/counters/a", null);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                return await response.Content.ReadAsStringAsync();
            }, TimeSpan.FromSeconds(20));
            Assert.Equal("{\"id\":\"a\",\"value\":1}", first);
            Assert.Equal("{\"id\":\"a\",\"value\":2}", await (await client.PostAsync("/counters/a", null)).Content.ReadAsStringAsync());
            Assert.Equal("{\"id\":\"a\",\"value\":0}", await (await client.DeleteAsync("/counters/a")).Content.ReadAsStringAsync());
            Assert.Equal("Hello, World!", await client.GetStringAsync("/plaintext"));
        }

        // The counter's event stream, read by curl as a user would: the value at once, then each change.
        using var curl = ChildProcess.Start(RepoPaths.FindOnPath("curl") ?? throw new InvalidOperationException("curl is not on PATH"),
            ["-N", "-s", "--max-time", "60", $"http://127.0.0.1:{port}/counters/a/events"]);
        await Eventually.TrueAsync(() => curl.Stdout.Contains("data: {\"id\":\"a\",\"value\":0}"), TimeSpan.FromSeconds(20), "the counter's value from curl");
        using (var client = HttpClients.Create(new Uri($"http://127.0.0.1:{port}")))
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/counters/a", null)).StatusCode);
        await Eventually.TrueAsync(() => curl.Stdout.Contains("id: 1\ndata: {\"id\":\"a\",\"value\":1}"), TimeSpan.FromSeconds(20), "the change from curl");

        // SIGTERM with the stream open: the drain ends it cleanly at once (curl sees a complete body and exits 0)
        // instead of holding the shutdown until its deadline.
        node.Signal("TERM");
        Assert.Equal(0, await curl.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(0, await node.WaitForExitAsync(ExitTimeout));
        Assert.False(Directory.Exists(Path.Combine(RepoPaths.Root, "snapshots")), "sharding used Akka.Persistence's file snapshot store");
    }

    [Fact]
    public async Task A_node_whose_seeds_do_not_answer_says_so_and_keeps_trying()
    {
        var deadSeed = $"akka.tcp://actor-http@127.0.0.1:{FreePort()}";
        using var node = StartNode("--config", ClusterNodeConf, "--port", "0",
            "--set", "akka.remote.dot-netty.tcp.port = 0",
            "--set", $"actor-http.cluster.seed-nodes = \"{deadSeed}\"",
            "--set", "actor-http.cluster.join-warning-interval = 1s");
        var port = await node.WaitForListeningAsync(StartTimeout);
        await Eventually.TrueAsync(() => node.Stdout.Contains("has not joined the cluster", StringComparison.Ordinal), TimeSpan.FromSeconds(20),
            "the join warning");
        Assert.Contains(deadSeed, node.Stdout);
        Assert.Contains("[WARNING]", node.Stdout.Split('\n').First(l => l.Contains("has not joined the cluster")));

        using (var client = HttpClients.Create(new Uri($"http://127.0.0.1:{port}")))
        {
            using var health = await client.GetAsync("/health");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
            Assert.Equal("{\"status\":\"unavailable\",\"member\":\"NotJoined\"}", await health.Content.ReadAsStringAsync());
            using var counter = await client.GetAsync("/counters/a"); // no cluster, no shard: 503 after entity-timeout, not a hang
            Assert.Equal(HttpStatusCode.ServiceUnavailable, counter.StatusCode);
            Assert.NotNull(counter.Headers.RetryAfter);
        }
        Assert.False(node.HasExited);
        node.Signal("TERM");
        Assert.Equal(0, await node.WaitForExitAsync(ExitTimeout));
    }

    [Theory]
    [InlineData("akka.actor.provider = local", "akka.actor.provider must be cluster: route actor-http.routes.health uses handler = cluster-health")]
    [InlineData("actor-http.cluster.seed-nodes = \"127.0.0.1:19080\"", "actor-http.cluster.seed-nodes: '127.0.0.1:19080' is not a node address")]
    [InlineData("actor-http.routes.counters.entity-handler = \"Nope, Nowhere\"", "actor-http.routes.counters.entity-handler: type 'Nope, Nowhere' not found")]
    [InlineData("actor-http.cluster.persistence.store = mongo", "actor-http.cluster.persistence.store must be sqlite, postgresql or plugins")]
    [InlineData("actor-http.cluster.persistence.sqlite-file = \"/proc/actorhttp/counters.db\"", "actor-http.cluster.persistence.sqlite-file: cannot open SQLite database '/proc/actorhttp/counters.db'")]
    public async Task Bad_cluster_configuration_exits_2_naming_the_key(string setting, string expected)
    {
        using var node = StartNode("--config", ClusterNodeConf, "--port", "0", "--set", setting);
        Assert.Equal(2, await node.WaitForExitAsync(ExitTimeout));
        AssertOneLineError(node, expected);
    }

    [Fact]
    public async Task A_remoting_port_in_use_exits_3_naming_the_address()
    {
        using var occupier = new TcpListener(IPAddress.Loopback, 0);
        occupier.Start();
        var port = ((IPEndPoint)occupier.LocalEndpoint).Port;
        using var node = StartNode("--config", ClusterNodeConf, "--port", "0", "--set", $"akka.remote.dot-netty.tcp.port = {port}");
        Assert.Equal(3, await node.WaitForExitAsync(ExitTimeout));
        AssertOneLineError(node, $"cannot start remoting on 127.0.0.1:{port}");
    }
}
