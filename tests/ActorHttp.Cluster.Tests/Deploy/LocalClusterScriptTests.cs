using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace ActorHttp.Cluster.Tests.Deploy;

/// <summary>
/// <c>deploy/local/cluster.sh</c> end to end: three real node processes on 127.0.0.1, requests through every node,
/// status, stop.
/// </summary>
[Trait("Category", "Host")]
public sealed class LocalClusterScriptTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Starts_three_nodes_that_serve_one_set_of_counters_then_stops_them_all()
    {
        await using var cluster = LocalCluster.OnFreePorts(output, 3);
        var started = await cluster.RunScriptAsync(TimeSpan.FromSeconds(150), "start", "3");
        Assert.True(started.Code == 0, $"start failed ({started.Code}):\n{started.Stdout}\n{started.Stderr}");
        cluster.ReadPids(3);
        var nodes = Enumerable.Range(1, 3).Select(cluster.Client).ToList();
        foreach (var i in Enumerable.Range(0, 3)) Assert.Contains($"http://127.0.0.1:{cluster.HttpBase + i}", started.Stdout);

        // Every node increments every counter once: each counter's one entity, wherever it lives, counts 3.
        var ids = Enumerable.Range(0, 12).Select(i => $"script-{i}").ToList();
        foreach (var id in ids)
        foreach (var node in nodes)
        {
            using var post = await node.PostAsync($"/counters/{id}", null);
            Assert.True(post.StatusCode == HttpStatusCode.OK, $"POST /counters/{id} via {node.BaseAddress}: {(int)post.StatusCode} {await post.Content.ReadAsStringAsync()}");
        }
        foreach (var id in ids)
        foreach (var node in nodes)
            Assert.Equal($"{{\"id\":\"{id}\",\"value\":3}}", await node.GetStringAsync($"/counters/{id}"));

        // The entities are spread over the nodes (the ids' shards are allocated to the least loaded region).
        using var shards = JsonDocument.Parse(await nodes[1].GetStringAsync("/cluster/shards"));
        var hosting = shards.RootElement.GetProperty("types")[0].GetProperty("nodes").EnumerateArray()
            .Count(n => n.GetProperty("entities").GetInt32() > 0);
        Assert.True(hosting >= 2, $"entities on {hosting} node(s): {shards.RootElement}");

        var status = await cluster.RunScriptAsync(TimeSpan.FromSeconds(30), "status");
        Assert.Equal(0, status.Code);
        Assert.Equal(3, status.Stdout.Split('\n').Count(l => l.Contains("\"status\":\"Up\"")));

        var stopped = await cluster.RunScriptAsync(TimeSpan.FromSeconds(150), "stop");
        Assert.Equal(0, stopped.Code);
        foreach (var pid in cluster.Pids) Assert.False(LocalCluster.IsRunning(pid), $"node process {pid} is still running after stop");
        Assert.Empty(Directory.GetFiles(cluster.StateDir, "*.pid"));
    }

    [Fact]
    public async Task Subscribers_on_node_1_get_every_update_posted_on_node_2_in_order()
    {
        await using var cluster = await LocalCluster.StartAsync(output, 2);
        var node2 = cluster.Client(2); // cluster.sh start returns once every node is Up
        const string id = "pushed";
        const int updates = 25;

        using var events = await ActorHttp.Tests.EndToEnd.EventStreamClient.OpenAsync(cluster.HttpBase, $"/counters/{id}/events", timeout: TimeSpan.FromSeconds(30));
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{cluster.HttpBase}/counters/{id}/ws"), cts.Token);
        Assert.Equal(Json(0), (await events.NextEventAsync(TimeSpan.FromSeconds(30))).Data); // each gets the value at once
        Assert.Equal(Json(0), await ReceiveTextAsync(socket));

        for (var value = 1; value <= updates; value++)
        {
            using var post = await node2.PostAsync($"/counters/{id}", null);
            Assert.Equal(Json(value), await post.Content.ReadAsStringAsync());
        }
        for (var value = 1; value <= updates; value++)
        {
            Assert.Equal(Json(value), (await events.NextEventAsync(TimeSpan.FromSeconds(30))).Data);
            Assert.Equal(Json(value), await ReceiveTextAsync(socket));
        }

        static string Json(int value) => $"{{\"id\":\"{id}\",\"value\":{value}}}";
    }

    private static async Task<string> ReceiveTextAsync(System.Net.WebSockets.ClientWebSocket socket)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buffer = new byte[4096];
        var result = await socket.ReceiveAsync(buffer, cts.Token);
        Assert.True(result.EndOfMessage, "a counter message fits one frame");
        return System.Text.Encoding.UTF8.GetString(buffer, 0, result.Count);
    }

    [Fact]
    public async Task Refuses_to_start_on_a_port_in_use()
    {
        using var occupier = new TcpListener(IPAddress.Loopback, 0);
        occupier.Start();
        await using var cluster = LocalCluster.OnFreePorts(output, 2);
        cluster.Environment["ACTORHTTP_HTTP_BASE"] = ((IPEndPoint)occupier.LocalEndpoint).Port.ToString();
        var result = await cluster.RunScriptAsync(TimeSpan.FromSeconds(30), "start", "2");
        Assert.Equal(1, result.Code);
        Assert.Contains("is in use", result.Stderr);
        Assert.Empty(Directory.Exists(cluster.StateDir) ? Directory.GetFiles(cluster.StateDir, "*.pid") : []);
    }

    [Fact]
    public async Task A_node_setting_that_is_not_key_equals_value_is_refused()
    {
        await using var cluster = LocalCluster.OnFreePorts(output, 1, "akka.loglevel=INFO; nonsense");
        var result = await cluster.RunScriptAsync(TimeSpan.FromSeconds(30), "start", "1");
        Assert.Equal(1, result.Code);
        Assert.Contains("'nonsense' is not key=value", result.Stderr);
    }
}
