using System.Globalization;
using System.Text.Json;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Akka.Event;
using ActorHttp.Cluster.Endpoints;
using ActorHttp.Handlers;
using ActorHttp.Protocol;

namespace ActorHttp.Cluster.Demo;

/// <summary>
/// <c>GET /counters/{id}/events</c>: a server-sent event stream of counter <c>id</c>, whichever node it lives on. One
/// actor per request (route <c>kind = per-request</c>, or <see cref="Props(string)"/>) on the node that accepted it: it
/// subscribes to the <see cref="CounterEntity"/> through the shard region of the route's <c>entity-type</c> (with its own
/// ref, <see cref="CounterSubscription"/>), and turns each <see cref="CounterSubscription.Changed"/> into an event
/// <c>{"id":"a","value":3}</c> with the value as its id, the current value first. It watches the entity and subscribes
/// again when the entity stops (passivated, moved to another node, its node gone: the new incarnation answers with
/// its value), and again while no answer comes (a subscription lost in a shard's hand-off). When the client goes away
/// its event stream ends, this actor stops and unsubscribes (the entity would drop it anyway, watching it).
/// </summary>
public sealed class CounterEventsHandler : HttpHandlerActor, IWithTimers
{
    /// <summary>A subscription not confirmed by a value within this long is sent again.</summary>
    internal static readonly TimeSpan ResubscribeAfter = TimeSpan.FromSeconds(2);

    /// <summary>How long the region of the entity type may take to be started by its sharded route.</summary>
    private static readonly TimeSpan RegionWait = TimeSpan.FromSeconds(10);

    private sealed record RegionFound(IActorRef Region);

    private sealed record RegionMissing(Exception Cause);

    private sealed class Resubscribe
    {
        public static readonly Resubscribe Instance = new();
    }

    private readonly string _entityType;
    private readonly IActorRef? _givenRegion;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IActorRef? _client, _region, _events, _entity;
    private string _id = "";

    /// <summary>For a HOCON route: <c>entity-type</c> names the counters' sharded entity type (default <c>counters</c>).</summary>
    public CounterEventsHandler(Config route) : this(route.GetString("entity-type", "counters") is { Length: > 0 } type ? type : "counters") { }

    /// <summary>For the counters of entity type <paramref name="entityType"/>, served by a sharded route on this node.</summary>
    public CounterEventsHandler(string entityType) => _entityType = entityType;

    /// <summary>For the counters behind <paramref name="region"/> (a shard region, or anything that takes <c>ShardingEnvelope</c>s).</summary>
    public CounterEventsHandler(IActorRef region)
    {
        _entityType = "(given region)";
        _givenRegion = region;
    }

    /// <summary>Props of the route's handler for the counters of entity type <paramref name="entityType"/>: one of these per request.</summary>
    public static Props Props(string entityType = "counters") =>
        HandlerProps.PerRequest(Akka.Actor.Props.Create(() => new CounterEventsHandler(entityType)));

    /// <summary>Props of the route's handler for the counters behind <paramref name="region"/>: one of these per request.</summary>
    public static Props Props(IActorRef region) =>
        HandlerProps.PerRequest(Akka.Actor.Props.Create(() => new CounterEventsHandler(region)));

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    protected override void OnRequest(HttpRequest request)
    {
        if (_client is not null)
        {
            Respond(HttpResponse.Error(StatusCodes.InternalServerError, "counter events are served by one actor per request (kind = per-request)"));
            return;
        }
        _client = Sender;
        _id = request.RouteValues.TryGetValue("id", out var id) ? id : "";
        if (_givenRegion is not null)
        {
            Self.Tell(new RegionFound(_givenRegion));
            return;
        }
        ClusterHttp.Get(Context.System).ShardRegionAsync(_entityType).WaitAsync(RegionWait)
            .PipeTo(Self, success: region => new RegionFound(region), failure: e => new RegionMissing(e));
    }

    /// <inheritdoc />
    protected override void OnOtherMessage(object message)
    {
        switch (message)
        {
            case RegionFound found:
                _region = found.Region;
                _events = EventStreams.Start(Context, _client!); // a child: the stream ends if this actor stops
                Context.Watch(_events);
                Subscribe();
                break;
            case RegionMissing missing:
                _log.Error(missing.Cause, "no sharded route serves entity type '{0}' on this node: /counters/{{id}}/events cannot subscribe", _entityType);
                _client!.Tell(HttpResponse.Error(StatusCodes.ServiceUnavailable, $"entity type '{_entityType}' is not served here"), Self);
                break;
            case CounterSubscription.Changed changed when changed.Id == _id && _events is not null:
                Timers.Cancel(nameof(Resubscribe));
                if (!Sender.Equals(_entity))
                {
                    if (_entity is not null) Context.Unwatch(_entity);
                    _entity = Sender;
                    Context.Watch(_entity);
                }
                var data = JsonSerializer.Serialize(new CounterValue(changed.Id, changed.Value), ClusterJson.Info<CounterValue>());
                _events.Tell(new ServerSentEvent(data, Id: changed.Value.ToString(CultureInfo.InvariantCulture)));
                break;
            case Resubscribe:
                Subscribe();
                break;
            case Terminated terminated when terminated.ActorRef.Equals(_events):
                _events = null;
                Context.Stop(Self); // the client went away (or the stream overflowed)
                break;
            case Terminated terminated when terminated.ActorRef.Equals(_entity):
                _entity = null;
                Subscribe(); // starts the entity again, wherever its shard now lives; it answers with its value
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        _region?.Tell(new ShardingEnvelope(_id, new CounterSubscription.Unsubscribe(Self)));
        base.PostStop();
    }

    private void Subscribe()
    {
        _region!.Tell(new ShardingEnvelope(_id, new CounterSubscription.Subscribe(Self)));
        Timers.StartSingleTimer(nameof(Resubscribe), Resubscribe.Instance, ResubscribeAfter);
    }
}
