using System.Text;
using Akka.Actor;
using Akka.TestKit;
using ActorHttp.Handlers;
using ActorHttp.Protocol;
using ActorHttp.Server;
using ActorHttp.Testing;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using Xunit.Abstractions;
using TestKit = Akka.TestKit.Xunit2.TestKit;

namespace ActorHttp.Tests.Handlers;

/// <summary>
/// The <see cref="EventStreams"/> actor against a probe playing the connection: the head, one chunk per Ack with the
/// queued events in it, the bound on what waits for a slow client, heartbeats on the fake clock, and every way it ends.
/// "Nothing was sent" is asserted after a barrier (<see cref="Settle"/>), never after a quiet period.
/// </summary>
[Trait("Category", "Handlers")]
public sealed class EventStreamTests(ITestOutputHelper output) : TestKit("akka.loglevel = DEBUG", output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    private readonly FakeTimeProvider _clock = new();

    private ServerSettings Settings(TimeSpan? heartbeat = null, long maxQueued = 1024 * 1024) =>
        ServerSettings.Default with { Clock = _clock, EventStream = new EventStreamSettings(heartbeat, maxQueued) };

    private (TestProbe Client, IActorRef Stream) Open(ServerSettings settings, HttpResponse? head = null)
    {
        var client = CreateTestProbe();
        var stream = Sys.ActorOf(EventStreams.Props(client.Ref, settings, head));
        Assert.True(client.ExpectMsg<HttpResponse>(Wait).IsEventStream);
        return (client, stream);
    }

    /// <summary>Returns once <paramref name="actor"/> has processed everything sent to it before: what it sent is at the probe.</summary>
    private void Settle(IActorRef actor) => actor.Ask<ActorIdentity>(new Identify(null), Wait).Wait(Wait);

    private static string Text(ResponseStream.Chunk chunk) => Encoding.UTF8.GetString(chunk.Bytes.ToArray());

    /// <summary>The next chunk, acknowledged unless told not to; returns once the stream has taken the Ack (and re-armed its heartbeat).</summary>
    private string ExpectChunk(TestProbe client, bool ack = true)
    {
        var chunk = client.ExpectMsg<ResponseStream.Chunk>(Wait);
        var stream = client.LastSender;
        if (ack) stream.Tell(ResponseStream.Ack.Instance, client.Ref);
        Settle(stream);
        return Text(chunk);
    }

    private void ExpectNothing(TestProbe client, IActorRef stream)
    {
        Settle(stream);
        if (client.HasMessages) Assert.Fail($"the client got {client.ReceiveOne(TimeSpan.Zero)}");
    }

    [Fact]
    public void The_head_is_the_event_stream_head_unless_another_is_given()
    {
        var client = CreateTestProbe();
        Sys.ActorOf(EventStreams.Props(client.Ref, Settings()));
        var head = client.ExpectMsg<HttpResponse>(Wait);
        Assert.Equal(HttpResponse.EventStream(), head);

        var custom = HttpResponse.EventStream() with { Headers = [new HttpHeader("X-Accel-Buffering", "no")] };
        Sys.ActorOf(EventStreams.Props(client.Ref, Settings(), custom));
        Assert.Equal("no", client.ExpectMsg<HttpResponse>(Wait).Header("X-Accel-Buffering"));

        Assert.Throws<ArgumentException>(() => EventStreams.Props(client.Ref, head: HttpResponse.StreamedHead(contentType: "text/plain")));
        Assert.Throws<ArgumentException>(() => EventStreams.Props(client.Ref, head: HttpResponse.Text("x", contentType: "text/event-stream")));
    }

    [Fact]
    public void One_chunk_per_ack_holding_every_event_that_queued_meanwhile()
    {
        var (client, stream) = Open(Settings());
        stream.Tell(new ServerSentEvent("1", Id: "1"));
        var first = client.ExpectMsg<ResponseStream.Chunk>(Wait); // the first goes without waiting
        Assert.Equal("id: 1\ndata: 1\n\n", Text(first));
        stream.Tell(new ServerSentEvent("2"));
        stream.Tell(new ServerSentEvent("3", Event: "e"));
        ExpectNothing(client, stream); // they wait for the Ack

        client.LastSender.Tell(ResponseStream.Ack.Instance, client.Ref);
        Assert.Equal("data: 2\n\nevent: e\ndata: 3\n\n", ExpectChunk(client));
        stream.Tell(new ServerSentEvent("4"));
        Assert.Equal("data: 4\n\n", ExpectChunk(client, ack: false));
    }

    [Fact]
    public void A_chunk_holds_at_most_64_KB_of_events_and_a_larger_event_goes_alone()
    {
        var (client, stream) = Open(Settings());
        var big = new string('x', 40_000);
        stream.Tell(new ServerSentEvent("first"));
        client.ExpectMsg<ResponseStream.Chunk>(Wait);
        foreach (var data in new[] { big, big, new string('y', 70_000), "small" }) stream.Tell(new ServerSentEvent(data));
        Settle(stream);
        client.LastSender.Tell(ResponseStream.Ack.Instance, client.Ref);
        Assert.Equal(40_008, ExpectChunk(client).Length); // "data: " + 40,000 + "\n\n": a second would pass 64 KB
        Assert.Equal(40_008, ExpectChunk(client).Length);
        Assert.Equal(70_008, ExpectChunk(client).Length);
        Assert.Equal("data: small\n\n", ExpectChunk(client));
    }

    [Fact]
    public void A_client_too_slow_for_the_queue_bound_gets_its_stream_ended()
    {
        var (client, stream) = Open(Settings(maxQueued: 1024));
        Watch(stream);
        stream.Tell(new ServerSentEvent("in flight"));
        client.ExpectMsg<ResponseStream.Chunk>(Wait); // never acknowledged: the client reads nothing
        var event100 = new string('z', 92); // 100 bytes rendered
        for (var i = 0; i < 10; i++) stream.Tell(new ServerSentEvent(event100)); // 1,000 bytes wait: within the bound
        ExpectNothing(client, stream);
        EventFilter.Warning(contains: "max-queued-bytes = 1024").ExpectOne(() => stream.Tell(new ServerSentEvent(event100)));
        client.ExpectMsg<ResponseStream.End>(Wait);
        ExpectTerminated(stream, Wait);
    }

    [Fact]
    public void Heartbeats_come_when_the_clock_passes_the_interval_after_the_last_chunk_and_not_before()
    {
        var (client, stream) = Open(Settings(heartbeat: Interval));
        _clock.Advance(Interval - TimeSpan.FromMilliseconds(1));
        ExpectNothing(client, stream);
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(":\n", ExpectChunk(client));

        // An event restarts the interval: the next heartbeat is due a whole interval after it.
        _clock.Advance(TimeSpan.FromSeconds(10));
        Settle(stream);
        stream.Tell(new ServerSentEvent("news"));
        Assert.Equal("data: news\n\n", ExpectChunk(client));
        _clock.Advance(TimeSpan.FromSeconds(10)); // 20 s after the heartbeat, 10 s after the event
        ExpectNothing(client, stream);
        _clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(":\n", ExpectChunk(client));
    }

    [Fact]
    public void No_heartbeat_while_a_chunk_is_unacknowledged_nor_when_they_are_off()
    {
        var (client, stream) = Open(Settings(heartbeat: Interval));
        stream.Tell(new ServerSentEvent("slowly read"));
        ExpectChunk(client, ack: false);
        _clock.Advance(Interval * 3);
        ExpectNothing(client, stream);

        var (quiet, quietStream) = Open(Settings(heartbeat: null));
        _clock.Advance(TimeSpan.FromHours(1));
        ExpectNothing(quiet, quietStream);
    }

    [Fact]
    public void Complete_ends_the_stream_once_the_queued_events_are_out()
    {
        var (client, stream) = Open(Settings());
        Watch(stream);
        stream.Tell(new ServerSentEvent("a"));
        client.ExpectMsg<ResponseStream.Chunk>(Wait);
        stream.Tell(new ServerSentEvent("b"));
        stream.Tell(EventStreams.Complete.Instance);
        stream.Tell(new ServerSentEvent("too late"));
        ExpectNothing(client, stream);
        client.LastSender.Tell(ResponseStream.Ack.Instance, client.Ref);
        Assert.Equal("data: b\n\n", ExpectChunk(client, ack: false));
        client.ExpectMsg<ResponseStream.End>(Wait); // End needs no Ack before it
        ExpectTerminated(stream, Wait);
    }

    [Fact]
    public void The_client_going_away_stops_the_stream_which_answers_End()
    {
        var (client, stream) = Open(Settings(heartbeat: Interval));
        Watch(stream);
        stream.Tell(ResponseStream.Cancelled.Instance);
        client.ExpectMsg<ResponseStream.End>(Wait);
        ExpectTerminated(stream, Wait);
        _clock.Advance(Interval * 2); // the heartbeat timer is gone with it
        Assert.False(client.HasMessages);
    }

    [Fact]
    public void Stopped_from_outside_it_still_ends_the_stream()
    {
        var (client, stream) = Open(Settings());
        Sys.Stop(stream);
        client.ExpectMsg<ResponseStream.End>(Wait);
    }

    [Fact]
    public void Without_settings_it_reads_the_actor_systems()
    {
        var client = CreateTestProbe();
        var stream = Sys.ActorOf(EventStreams.Props(client.Ref));
        client.ExpectMsg<HttpResponse>(Wait);
        stream.Tell(new ServerSentEvent("x"));
        Assert.Equal("data: x\n\n", ExpectChunk(client));
        Assert.Equal(TimeSpan.FromSeconds(15), HttpServer.Get(Sys).Settings.EventStream.HeartbeatInterval); // reference.conf
    }
}

/// <summary>An event stream handler tested the way users test theirs: with the test kit, no sockets.</summary>
[Trait("Category", "Handlers")]
public sealed class EventStreamTestKitTests : TestKit
{
    /// <summary>
    /// <c>/ticks?n=N</c>: resumes after <c>Last-Event-ID</c>, sends N numbered ticks and, with <c>&amp;end=1</c>, ends;
    /// a <c>Ping</c> told to it becomes one more tick. What a user's handler looks like.
    /// </summary>
    private sealed class TickHandler : HttpHandlerActor
    {
        public sealed record Ping;

        private IActorRef? _events;
        private int _next;

        protected override void OnRequest(HttpRequest request)
        {
            var query = request.Query.Split('&').Select(p => p.Split('=')).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "");
            _next = int.TryParse(request.LastEventId, out var last) ? last + 1 : 1;
            _events = EventStreams.Start(Context, Sender, ServerSettings.Default with { EventStream = new EventStreamSettings(null, 1 << 20) });
            for (var i = 0; i < int.Parse(query.GetValueOrDefault("n", "0")); i++) Tick();
            if (query.ContainsKey("end")) _events.Tell(EventStreams.Complete.Instance);
        }

        protected override void OnOtherMessage(object message)
        {
            if (message is Ping) Tick();
            else Unhandled(message);
        }

        private void Tick()
        {
            _events!.Tell(new ServerSentEvent($"tick {_next}", Event: "tick", Id: _next.ToString()));
            _next++;
        }
    }

    [Fact]
    public void Events_are_read_one_by_one_and_the_last_event_id_resumes_the_stream()
    {
        var handler = Sys.ActorOf(Props.Create<TickHandler>());
        var stream = this.OpenEventStream(handler, HttpRequests.Get("/ticks?n=2", ("Last-Event-ID", "40")));
        Assert.Equal("text/event-stream", stream.Head.ContentType);
        Assert.Equal(new ServerSentEvent("tick 41", "tick", "41"), stream.ExpectEvent());
        Assert.Equal("tick 42", stream.ExpectEvent().Data);
        stream.ExpectNoEvent();
        handler.Tell(new TickHandler.Ping());
        Assert.Equal("43", stream.ExpectEvent().Id);
        Assert.Equal("43", stream.LastEventId);
        Assert.Equal(3, stream.Events.Count);

        Watch(stream.Producer);
        stream.Disconnect(); // the client goes away: the stream actor ends and stops
        stream.ExpectEnd();
        ExpectTerminated(stream.Producer);
    }

    [Fact]
    public void A_completed_stream_ends_after_its_events_and_comments_are_seen_apart()
    {
        var stream = this.OpenEventStream(Sys.ActorOf(Props.Create<TickHandler>()), HttpRequests.Get("/ticks?n=3&end=1"));
        Assert.Equal(["1", "2", "3"], stream.ExpectEvents(3).Select(e => e.Id));
        stream.ExpectEnd();
        Assert.True(stream.Ended);
        Assert.Empty(stream.Comments);
    }

    [Fact]
    public void Send_refuses_an_event_stream_and_OpenEventStream_anything_else()
    {
        var ticks = Sys.ActorOf(Props.Create<TickHandler>());
        Assert.Contains("OpenEventStream", Assert.ThrowsAny<Exception>(() => this.Send(ticks, HttpRequests.Get("/ticks"))).Message);
        var text = Sys.ActorOf(TextHandler.Props("plain"));
        Assert.Contains("not an event stream", Assert.ThrowsAny<Exception>(() => this.OpenEventStream(text, HttpRequests.Get("/"))).Message);
    }
}
