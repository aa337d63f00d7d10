using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using ActorHttp.Handlers;
using ActorHttp.Protocol;

namespace ActorHttp.Cluster.Sharding;

/// <summary>
/// The handler of a sharded route on the node that accepted the request. A request's sender (the connection's reply
/// slot) cannot cross nodes, so this actor stands in for it: it sends the request, in an <see cref="EntityRequest"/>
/// with a correlation id, to the shard region, keeps the slot until the <see cref="EntityResponse"/> comes back, and
/// forwards the response to it.
/// <para>
/// Failure semantics: no answer within <see cref="ShardedEntity.EntityTimeout"/> → 503 with Retry-After. While a shard
/// moves (e.g. its node leaves gracefully), the regions buffer its requests, but sharding drops the few that were in
/// flight to the old home at hand-off: a request still unanswered after <see cref="ShardedEntity.ResendAfter"/> is
/// therefore sent again, with the same correlation id (the entity's host ignores a copy of a request it has already
/// received). This actor learns from the answers which node hosts each shard; while that node is unreachable,
/// requests for its shards get the 503 at once instead of after the timeout, until the node is downed and removed
/// and its shards move. A body larger than <see cref="ShardedEntity.MaxBodySize"/> gets 413; a streamed body under it
/// is read first.
/// </para>
/// </summary>
internal sealed class ShardedRouteHandler : UntypedActor, IWithTimers
{
    private sealed record RegionStarted(IActorRef Region);

    private sealed record RegionFailed(Exception Cause);

    private sealed record BodyRead(HttpRequest Request, IActorRef Client, Akka.IO.ByteString Body);

    private sealed record BodyFailed(HttpRequest Request, IActorRef Client, Exception Cause);

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }

    private readonly record struct Pending(IActorRef Client, string ShardId, EntityRequest Envelope);

    /// <summary>Requests that arrive before the region has started wait here, up to this many.</summary>
    private const int MaxWaitingForRegion = 10_000;

    private readonly ShardedEntity _entity;
    private readonly EntityMessageExtractor _extractor;
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly HttpHeader _retryAfter;
    private readonly Dictionary<long, Pending> _pending = new();
    private readonly Queue<(long Id, long Due)> _deadlines = new(); // in send order, so in due order
    private readonly Queue<(long Id, long Due)> _resends = new(); // likewise
    private readonly Dictionary<string, Address> _shardHomes = new(StringComparer.Ordinal);
    private readonly HashSet<Address> _unreachable = new();
    private readonly List<(HttpRequest Request, IActorRef Client)> _waitingForRegion = new();
    private IActorRef? _region;
    private Exception? _regionFailure;
    private long _nextCorrelationId;

    public ShardedRouteHandler(ShardedEntity entity)
    {
        _entity = entity;
        _extractor = new EntityMessageExtractor(entity.NumberOfShards);
        _retryAfter = new HttpHeader("Retry-After", Math.Max(1, (int)Math.Ceiling(entity.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Props of the route handler for <paramref name="entity"/>.</summary>
    public static Props Props(ShardedEntity entity) => Akka.Actor.Props.Create(() => new ShardedRouteHandler(entity));

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        ClusterHttp.Get(Context.System).ShardRegionAsync(_entity)
            .PipeTo(Self, success: region => new RegionStarted(region), failure: e => new RegionFailed(e));
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.MemberRemoved));
        // Timeouts and resends are checked in ticks of a tenth of the shorter: one timer per route, not one per request.
        var shortest = _entity.ResendAfter is { } resend && resend < _entity.EntityTimeout ? resend : _entity.EntityTimeout;
        var tick = TimeSpan.FromTicks(Math.Max(shortest.Ticks / 10, TimeSpan.FromMilliseconds(20).Ticks));
        Timers.StartPeriodicTimer(nameof(Tick), Tick.Instance, tick);
    }

    protected override void PostStop()
    {
        _cluster.Unsubscribe(Self);
        foreach (var pending in _pending.Values) pending.Client.Tell(Unavailable($"the route handler of '{_entity.TypeName}' stopped"), Self);
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case HttpRequest request:
                Accept(request, Sender);
                break;
            case EntityResponse response:
                OnEntityResponse(response);
                break;
            case Tick:
                var now = Stopwatch.GetTimestamp();
                ExpireOverdue(now);
                ResendUnanswered(now);
                break;
            case BodyRead read:
                Send(read.Request with { Body = read.Body, BodyStreamed = false }, read.Client);
                break;
            case BodyFailed failed:
                // Over the limit, or failed (malformed, too slow, client gone). In the second case the connection has
                // answered already and drops this 413, so one answer fits both.
                _log.Debug("request body of {0} not read: {1}", failed.Request, failed.Cause.Message);
                failed.Client.Tell(TooLarge(), Self);
                break;
            case RegionStarted started:
                _region = started.Region;
                foreach (var (request, client) in _waitingForRegion) Send(request, client);
                _waitingForRegion.Clear();
                break;
            case RegionFailed failed:
                _log.Error(failed.Cause, "the shard region of '{0}' could not start; its route answers 503", _entity.TypeName);
                _regionFailure = failed.Cause;
                foreach (var (_, client) in _waitingForRegion) client.Tell(Unavailable("the entity type is not available on this node"), Self);
                _waitingForRegion.Clear();
                break;
            case ClusterEvent.UnreachableMember unreachable:
                _unreachable.Add(unreachable.Member.Address);
                break;
            case ClusterEvent.ReachableMember reachable:
                _unreachable.Remove(reachable.Member.Address);
                break;
            case ClusterEvent.MemberRemoved removed:
                // Its shards are being allocated elsewhere: send to the region again, which learns the new homes.
                _unreachable.Remove(removed.Member.Address);
                foreach (var shard in _shardHomes.Where(h => h.Value.Equals(removed.Member.Address)).Select(h => h.Key).ToList())
                    _shardHomes.Remove(shard);
                break;
            case ClusterEvent.CurrentClusterState or ClusterEvent.IClusterDomainEvent:
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>Checks the id and the body; reads a streamed body first (without blocking this actor).</summary>
    private void Accept(HttpRequest request, IActorRef client)
    {
        if (!request.RouteValues.TryGetValue(_entity.IdParameter, out var id) || id.Length == 0)
        {
            _log.Error("route of '{0}' has no {{{1}}} parameter in its template; answered 500", _entity.TypeName, _entity.IdParameter);
            client.Tell(HttpResponse.Error(StatusCodes.InternalServerError, $"the route has no {{{_entity.IdParameter}}} parameter"), Self);
            return;
        }
        if (!request.BodyStreamed)
        {
            if (request.Body.Count > _entity.MaxBodySize) client.Tell(TooLarge(), Self);
            else Send(request, client);
            return;
        }
        if (long.TryParse(request.Headers["Content-Length"], NumberStyles.None, CultureInfo.InvariantCulture, out var declared) && declared > _entity.MaxBodySize)
        {
            client.Tell(TooLarge(), Self); // refused before reading: the connection closes after the response
            return;
        }
        RequestBodyReader.ReadAllAsync(client, _entity.MaxBodySize).PipeTo(Self,
            success: body => new BodyRead(request, client, body),
            failure: e => new BodyFailed(request, client, e));
    }

    private void Send(HttpRequest request, IActorRef client)
    {
        var id = request.RouteValues[_entity.IdParameter];
        var shard = _extractor.ShardOf(id);
        if (_shardHomes.TryGetValue(shard, out var home) && _unreachable.Contains(home))
        {
            client.Tell(Unavailable($"the node hosting '{_entity.TypeName}/{id}' ({home}) is unreachable"), Self);
            return;
        }
        if (_region is null)
        {
            if (_regionFailure is not null || _waitingForRegion.Count >= MaxWaitingForRegion)
                client.Tell(Unavailable("the entity type is not available on this node"), Self);
            else
                _waitingForRegion.Add((request, client));
            return;
        }
        var correlationId = ++_nextCorrelationId;
        var envelope = new EntityRequest(id, correlationId, request);
        _pending[correlationId] = new Pending(client, shard, envelope);
        var now = Stopwatch.GetTimestamp();
        _deadlines.Enqueue((correlationId, now + Ticks(_entity.EntityTimeout)));
        if (_entity.ResendAfter is { } resend && resend < _entity.EntityTimeout) _resends.Enqueue((correlationId, now + Ticks(resend)));
        _region.Tell(envelope, Self);
    }

    private static long Ticks(TimeSpan duration) => (long)(duration.TotalSeconds * Stopwatch.Frequency);

    private void OnEntityResponse(EntityResponse response)
    {
        if (!_pending.Remove(response.CorrelationId, out var pending)) return; // answered 503 already
        var home = Sender.Path.Address;
        _shardHomes[pending.ShardId] = home.HasLocalScope ? _cluster.SelfAddress : home;
        pending.Client.Tell(response.Response, Self);
    }

    private void ExpireOverdue(long now)
    {
        while (_deadlines.TryPeek(out var next) && next.Due <= now)
        {
            _deadlines.Dequeue();
            if (_pending.Remove(next.Id, out var pending))
                pending.Client.Tell(Unavailable($"entity '{_entity.TypeName}/{pending.Envelope.EntityId}' did not answer within {_entity.EntityTimeout.TotalSeconds:0.###}s"), Self);
        }
    }

    /// <summary>Sends again what is still unanswered after resend-after (and again after each further interval).</summary>
    private void ResendUnanswered(long now)
    {
        while (_resends.TryPeek(out var next) && next.Due <= now)
        {
            _resends.Dequeue();
            if (!_pending.TryGetValue(next.Id, out var pending)) continue;
            _log.Debug("no answer yet from '{0}/{1}' to request {2}: sending it again", _entity.TypeName, pending.Envelope.EntityId, next.Id);
            _region!.Tell(pending.Envelope, Self);
            _resends.Enqueue((next.Id, now + Ticks(_entity.ResendAfter!.Value))); // expiry removes it from _pending
        }
    }

    private HttpResponse Unavailable(string reason) =>
        HttpResponse.Error(StatusCodes.ServiceUnavailable, reason) with { Headers = [_retryAfter] };

    private HttpResponse TooLarge() =>
        HttpResponse.Error(StatusCodes.PayloadTooLarge, $"sharded routes accept bodies up to {_entity.MaxBodySize} bytes");
}
