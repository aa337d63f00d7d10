using Akka.Actor;
using Akka.Cluster.Sharding;
using ActorHttp.Tests.EndToEnd;
using Xunit;
using Xunit.Abstractions;
using static ActorHttp.Cluster.Tests.Demo.CounterEventsTests;

namespace ActorHttp.Cluster.Tests.MultiNode;

/// <summary>
/// <c>GET /counters/{id}/events</c> across two nodes: the subscriber (the event stream's handler, on the node the client
/// is connected to) and the counter entity on different nodes, the subscription, the value and every change crossing
/// between them through HttpMessageSerializer; and when the entity moves to the subscriber's node.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class CounterEventsAcrossNodesTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ClusterWait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_subscriber_on_one_node_follows_an_entity_on_the_other()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var (a, b) = (cluster[0], cluster[1]);
        var id = await IdHostedByAsync(a, b);
        output.WriteLine($"counter '{id}' lives on {b.Address}");

        using var viaA = await EventStreamClient.OpenAsync(a.Port, $"/counters/{id}/events");
        using var viaB = await EventStreamClient.OpenAsync(b.Port, $"/counters/{id}/events");
        await ExpectValueAsync(viaA, id, 1); // from B to A: subscribe, and the value, cross nodes
        await ExpectValueAsync(viaB, id, 1);

        await ChangeAsync(a, HttpMethod.Post, id, 2);
        await ChangeAsync(b, HttpMethod.Post, id, 3);
        foreach (var client in new[] { viaA, viaB })
        {
            await ExpectValueAsync(client, id, 2);
            await ExpectValueAsync(client, id, 3);
        }

        // B leaves gracefully: its own client's stream is ended cleanly (its connection drains), and the counter moves to
        // A. A's subscriber sees its entity stop, subscribes again, and gets the new incarnation's value (durable: the
        // same 3, recovered from the store), then its changes.
        await b.LeaveAsync(TimeSpan.FromSeconds(30));
        await viaB.WaitForEndAsync();
        await ExpectValueAsync(viaA, id, 3);
        await ChangeAsync(a, HttpMethod.Post, id, 4);
        await ExpectValueAsync(viaA, id, 4);
    }

    [Fact]
    public async Task WebSockets_on_both_nodes_get_every_change_of_an_entity_on_one_of_them_in_order()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var (a, b) = (cluster[0], cluster[1]);
        var id = await IdHostedByAsync(a, b);

        using var socketA = await ConnectAsync(a, $"/counters/{id}/ws");
        using var socketB = await ConnectAsync(b, $"/counters/{id}/ws");
        Assert.Equal(Json(id, 1), await ReceiveTextAsync(socketA)); // the value at once, from the entity on B
        Assert.Equal(Json(id, 1), await ReceiveTextAsync(socketB));
        for (var value = 2; value <= 11; value++) await ChangeAsync(value % 2 == 0 ? a : b, HttpMethod.Post, id, value);
        foreach (var socket in new[] { socketA, socketB })
            for (var value = 2; value <= 11; value++)
                Assert.Equal(Json(id, value), await ReceiveTextAsync(socket));

        using var cts = new CancellationTokenSource(ClusterWait);
        await socketA.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "", cts.Token);
        await ChangeAsync(b, HttpMethod.Post, id, 12); // A's subscriber is gone; B's still follows
        Assert.Equal(Json(id, 12), await ReceiveTextAsync(socketB));
    }

    private static async Task<System.Net.WebSockets.ClientWebSocket> ConnectAsync(TestNode node, string path)
    {
        var socket = new System.Net.WebSockets.ClientWebSocket();
        using var cts = new CancellationTokenSource(ClusterWait);
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{node.Port}{path}"), cts.Token);
        return socket;
    }

    private static async Task<string> ReceiveTextAsync(System.Net.WebSockets.ClientWebSocket socket)
    {
        using var cts = new CancellationTokenSource(ClusterWait);
        var buffer = new byte[4096];
        var result = await socket.ReceiveAsync(buffer, cts.Token);
        Assert.True(result.EndOfMessage && result.MessageType == System.Net.WebSockets.WebSocketMessageType.Text, $"{result.MessageType}");
        return System.Text.Encoding.UTF8.GetString(buffer, 0, result.Count);
    }

    /// <summary>Counts up counters through <paramref name="via"/> until one of them is hosted by <paramref name="owner"/>; returns its id (its value is 1).</summary>
    private static async Task<string> IdHostedByAsync(TestNode via, TestNode owner)
    {
        var region = await ClusterHttp.Get(owner.System).ShardRegionAsync("counters").WaitAsync(ClusterWait);
        for (var i = 0; i < 50; i++)
        {
            var id = $"x{i}";
            await ChangeAsync(via, HttpMethod.Post, id, 1);
            var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(5));
            if (state.Shards.Any(shard => shard.EntityIds.Contains(id))) return id;
        }
        throw new InvalidOperationException($"none of 50 counters lives on {owner.Address}");
    }
}
