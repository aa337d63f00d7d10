using System.Net;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Akka.Event;
using ActorHttp.Cluster.Demo;
using ActorHttp.Protocol;
using ActorHttp.Testing;
using ActorHttp.Tests.EndToEnd;
using Xunit;
using Xunit.Abstractions;
using TestKit = Akka.TestKit.Xunit2.TestKit;

namespace ActorHttp.Cluster.Tests.Demo;

/// <summary>
/// The counter's subscription protocol, actor by actor: the entity pushes to its subscribers and drops those that
/// leave; the events handler subscribes through the region it is given, follows the entity and unsubscribes when its
/// client goes away (no cluster: a probe plays the region, the test kit the connection).
/// </summary>
[Trait("Category", "Cluster")]
public sealed class CounterSubscriptionTests(ITestOutputHelper output)
    : TestKit(ConfigurationFactory.ParseString("akka.loglevel = INFO").WithFallback(DurableStoreFile.InMemory), output: output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    private static HttpRequest Counter(string method, string id) =>
        HttpRequests.Create(method, $"/counters/{id}", Akka.IO.ByteString.Empty) with { RouteValues = new Dictionary<string, string> { ["id"] = id } };

    [Fact]
    public void The_entity_sends_its_value_at_once_then_every_change_and_forgets_who_leaves()
    {
        var entity = Sys.ActorOf(CounterEntity.Props());
        this.Send(entity, Counter(HttpMethods.Post, "a")).ShouldHaveBody("{\"id\":\"a\",\"value\":1}");
        var subscriber = CreateTestProbe();
        entity.Tell(new CounterSubscription.Subscribe(subscriber.Ref));
        subscriber.ExpectMsg(new CounterSubscription.Changed("a", 1), Wait);
        Assert.Equal(entity, subscriber.LastSender); // the entity is the sender: subscribers watch it

        this.Send(entity, Counter(HttpMethods.Get, "a"));
        this.Send(entity, Counter(HttpMethods.Post, "a"));
        subscriber.ExpectMsg(new CounterSubscription.Changed("a", 2), Wait); // not for the GET
        this.Send(entity, Counter(HttpMethods.Delete, "a"));
        this.Send(entity, Counter(HttpMethods.Delete, "a")); // 0 already: no change
        this.Send(entity, Counter(HttpMethods.Post, "a"));
        subscriber.ExpectMsg(new CounterSubscription.Changed("a", 0), Wait);
        subscriber.ExpectMsg(new CounterSubscription.Changed("a", 1), Wait);

        entity.Tell(new CounterSubscription.Unsubscribe(subscriber.Ref));
        this.Send(entity, Counter(HttpMethods.Post, "a"));
        subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        // A subscriber that stops without unsubscribing is dropped (the entity watches it): nothing goes to dead letters.
        var leaving = CreateTestProbe();
        entity.Tell(new CounterSubscription.Subscribe(leaving.Ref));
        leaving.ExpectMsg<CounterSubscription.Changed>(Wait);
        Watch(leaving.Ref);
        Sys.Stop(leaving.Ref);
        ExpectTerminated(leaving.Ref, Wait);
        this.Send(entity, Counter(HttpMethods.Get, "a"));
        var deadLetters = CreateTestProbe();
        Sys.EventStream.Subscribe(deadLetters.Ref, typeof(DeadLetter));
        this.Send(entity, Counter(HttpMethods.Post, "a"));
        deadLetters.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void The_events_handler_subscribes_follows_the_entity_and_unsubscribes_when_its_client_leaves()
    {
        var region = CreateTestProbe();
        var entity = CreateTestProbe();
        var stream = this.OpenEventStream(Sys.ActorOf(CounterEventsHandler.Props(region.Ref)), Counter(HttpMethods.Get, "a"));
        Assert.Equal("text/event-stream", stream.Head.ContentType);

        var envelope = region.ExpectMsg<ShardingEnvelope>(Wait);
        Assert.Equal("a", envelope.EntityId);
        var subscriber = Assert.IsType<CounterSubscription.Subscribe>(envelope.Message).Subscriber;
        subscriber.Tell(new CounterSubscription.Changed("a", 7), entity.Ref);
        Assert.Equal(new ServerSentEvent("{\"id\":\"a\",\"value\":7}", Id: "7"), stream.ExpectEvent());
        subscriber.Tell(new CounterSubscription.Changed("a", 8), entity.Ref);
        Assert.Equal("8", stream.ExpectEvent().Id);

        // The entity stops (passivated, its shard moved): the handler subscribes again; the new one answers.
        Sys.Stop(entity.Ref);
        var again = region.ExpectMsg<ShardingEnvelope>(Wait);
        Assert.Equal(new CounterSubscription.Subscribe(subscriber), again.Message);
        subscriber.Tell(new CounterSubscription.Changed("a", 0), CreateTestProbe().Ref);
        Assert.Equal("0", stream.ExpectEvent().Id);

        // The client leaves: the stream ends, the handler unsubscribes and stops.
        Watch(subscriber);
        stream.Disconnect();
        stream.ExpectEnd();
        var bye = region.ExpectMsg<ShardingEnvelope>(Wait);
        Assert.Equal("a", bye.EntityId);
        Assert.Equal(new CounterSubscription.Unsubscribe(subscriber), bye.Message);
        ExpectTerminated(subscriber, Wait);
    }
}

/// <summary><c>GET /counters/{id}/events</c> over a real socket on 127.0.0.1, on a cluster of one (as the standalone node).</summary>
[Trait("Category", "Cluster")]
public sealed class CounterEventsTests
{
    internal static string Json(string id, long value) => $"{{\"id\":\"{id}\",\"value\":{value}}}";

    internal static async Task ChangeAsync(TestNode via, HttpMethod method, string id, long expected)
    {
        using var response = await via.Client.SendAsync(new HttpRequestMessage(method, $"/counters/{id}"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Json(id, expected), await response.Content.ReadAsStringAsync());
    }

    internal static async Task ExpectValueAsync(EventStreamClient client, string id, long value) =>
        Assert.Equal(new ServerSentEvent(Json(id, value), Id: value.ToString()), await client.NextEventAsync());

    [Fact]
    public async Task A_counters_events_stream_its_value_at_once_then_each_change()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = cluster[0];
        await ChangeAsync(node, HttpMethod.Post, "e2e", 1);

        using var events = await EventStreamClient.OpenAsync(node.Port, "/counters/e2e/events");
        Assert.Equal(200, events.Status);
        Assert.Equal("text/event-stream", events.Headers["Content-Type"]);
        await ExpectValueAsync(events, "e2e", 1); // the current value at once
        await ChangeAsync(node, HttpMethod.Post, "e2e", 2);
        await ExpectValueAsync(events, "e2e", 2);
        await ChangeAsync(node, HttpMethod.Post, "e2e", 3);
        await ChangeAsync(node, HttpMethod.Delete, "e2e", 0);
        await ExpectValueAsync(events, "e2e", 3);
        await ExpectValueAsync(events, "e2e", 0);
        Assert.Equal("0", events.LastEventId);
        events.Close();

        // The node goes on serving the counter (and new streams of it) after the client left.
        await ChangeAsync(node, HttpMethod.Post, "e2e", 1);
        using var again = await EventStreamClient.OpenAsync(node.Port, "/counters/e2e/events", lastEventId: "0");
        await ExpectValueAsync(again, "e2e", 1);
    }
}
