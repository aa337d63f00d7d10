using System.Globalization;
using System.Text.Json;
using Akka.Actor;
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
/// <c>{"id":"a","value":3}</c> with the value as its id, the current value first. Following the entity wherever it
/// moves is <see cref="CounterFollower"/>'s. When the client goes away its event stream ends, this actor stops and
/// unsubscribes (the entity would drop it anyway, watching it).
/// </summary>
public sealed class CounterEventsHandler : HttpHandlerActor, IWithTimers
{
    private readonly string _entityType;
    private readonly IActorRef? _givenRegion;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private CounterFollower? _follower;
    private IActorRef? _client, _events;

    /// <summary>For a HOCON route: <c>entity-type</c> names the counters' sharded entity type (default <c>counters</c>).</summary>
    public CounterEventsHandler(Config route) : this(route.GetString("entity-type", "counters") is { Length: > 0 } type ? type : "counters") { }

    /// <summary>For the counters of entity type <paramref name="entityType"/>, served by a sharded route on this node.</summary>
    public CounterEventsHandler(string entityType) => _entityType = entityType;

    /// <summary>For the counters behind <paramref name="region"/> (a shard region, or anything that takes <c>ShardingEnvelope</c>s).</summary>
    public CounterEventsHandler(IActorRef region)
    {
        _entityType = "";
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

    /// <summary>Created on first use: Akka sets <see cref="Timers"/> after the constructor.</summary>
    private CounterFollower Follower => _follower ??= new CounterFollower(Context, Timers, _entityType, _givenRegion);

    /// <inheritdoc />
    protected override void OnRequest(HttpRequest request)
    {
        if (_client is not null)
        {
            Respond(HttpResponse.Error(StatusCodes.InternalServerError, "counter events are served by one actor per request (kind = per-request)"));
            return;
        }
        _client = Sender;
        Follower.Start(request.RouteValues.TryGetValue("id", out var id) ? id : "");
    }

    /// <inheritdoc />
    protected override void OnOtherMessage(object message)
    {
        switch (Follower.Handle(message, Sender))
        {
            case FollowStep.Subscribed:
                _events = EventStreams.Start(Context, _client!); // a child: the stream ends if this actor stops
                Context.Watch(_events);
                return;
            case FollowStep.RegionMissing:
                _log.Error(Follower.MissingCause, "no sharded route serves entity type '{0}' on this node: /counters/{{id}}/events cannot subscribe", Follower.EntityType);
                _client!.Tell(HttpResponse.Error(StatusCodes.ServiceUnavailable, $"entity type '{Follower.EntityType}' is not served here"), Self);
                return;
            case FollowStep.Value when _events is not null:
                var changed = Follower.Value!;
                var data = JsonSerializer.Serialize(new CounterValue(changed.Id, changed.Value), ClusterJson.Info<CounterValue>());
                _events.Tell(new ServerSentEvent(data, Id: changed.Value.ToString(CultureInfo.InvariantCulture)));
                return;
            case FollowStep.NotMine:
                break;
            default:
                return;
        }
        if (message is Terminated terminated && terminated.ActorRef.Equals(_events))
        {
            _events = null;
            Context.Stop(Self); // the client went away (or the stream overflowed)
        }
        else Unhandled(message);
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        _follower?.Stop();
        base.PostStop();
    }
}
