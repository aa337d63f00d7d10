using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using ActorHttp.Cluster.Persistence;
using ActorHttp.Observability;
using ActorHttp.Protocol;
using ActorHttp.Server;

namespace ActorHttp.Cluster.Sharding;

/// <summary>
/// The sharded entity itself, on whichever node hosts its shard: runs the user's handler actor as its child and adapts
/// envelopes, so the handler sees an ordinary <see cref="HttpRequest"/> and replies to <c>Sender</c>. Each request
/// goes to the handler with a <see cref="ReplyRelay"/> as sender, which wraps the reply in an <see cref="EntityResponse"/>
/// for the route handler on the accepting node. Passivation is sharding's (<c>passivate-idle-after</c>): the shard stops
/// this actor, and with it the handler, when no request came for that long. A request the route handler sent again
/// (see <see cref="ShardedEntity.ResendAfter"/>) is recognised by its sender and correlation id, and dropped. Any other
/// message (the application's own, sent to the region in a <c>ShardingEnvelope</c>) goes to the handler as it is.
/// <para>
/// Tracing: when someone listens to the <c>ActorHttp</c> activity source on this node, each request gets a span
/// <c>entity {type}</c> (<see cref="ActivityKind.Server"/>), a child of the accepting node's server span whose context
/// came with the request (<see cref="HttpRequest.TraceContext"/>, carried by the serializer), ended when the handler
/// answers; the handler receives the request with this span's context, so its own spans are children of it.
/// </para>
/// </summary>
internal sealed class EntityHost : UntypedActor
{
    /// <summary>
    /// At most this many requests are remembered to recognise copies. Only an entity busier than this many requests per
    /// remembered window could take a copy for a new request, and only when a copy was sent at all (a late answer).
    /// </summary>
    private const int MaxRemembered = 1024;

    // Requests received lately, to recognise the copies resend-after sends. Copies are sent only until entity-timeout
    // after the first send, so a request is remembered twice that long (room for a late copy's transit) and then
    // forgotten: an entity keeps what it received in that window (a few entries for most entities), not its last 256
    // requests for its whole life (about 17 KB per entity).
    // Null when resend-after is off: then no copies are ever sent.
    private readonly HashSet<(IActorRef RouteHandler, long CorrelationId)>? _received;
    private readonly Queue<(IActorRef RouteHandler, long CorrelationId, long ReceivedAt)>? _receivedOrder;
    private readonly long _rememberFor;
    private readonly ShardedEntity _entity;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IActorRef? _handler;
    private bool _stopping;
    private readonly string _spanName;
    private readonly bool _durable;
    private readonly Dictionary<IActorRef, string> _routeHandlerPaths = new();
    private string? _node;

    /// <summary>
    /// What the shard sends to stop this host (hand-off, passivation). Unlike a PoisonPill, which would stop the
    /// handler with the requests already given to it still in its mailbox, it lets the handler answer those first.
    /// </summary>
    public sealed class Stop
    {
        public static readonly Stop Instance = new();
        private Stop() { }
    }

    public EntityHost(ShardedEntity entity)
    {
        _entity = entity;
        _spanName = $"entity {entity.TypeName}";
        _durable = entity.ResendAfter is not null && IsDurable(entity.EntityProps.Type); // no resends: no copies to recognise
        if (entity.ResendAfter is null) return;
        _received = new();
        _receivedOrder = new();
        _rememberFor = 2 * (long)(entity.EntityTimeout.TotalSeconds * Stopwatch.Frequency);
    }

    public static Props Props(ShardedEntity entity) => Akka.Actor.Props.Create(() => new EntityHost(entity));

    protected override void PreStart()
    {
        _handler = Context.ActorOf(_entity.EntityProps, "handler");
        Context.Watch(_handler);
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case EntityRequest when _stopping:
                break; // too late for this incarnation: the route handler sends it again, the next incarnation answers
            case EntityRequest request when !FirstCopy(request):
                break;
            case EntityRequest request when _handler is not null:
                var span = StartSpan(request);
                var forHandler = span is null ? request.Request : request.Request with { TraceContext = span.Context };
                if (_durable) forHandler = forHandler.WithItem(DurableHttpEntity<object>.RequestKeyItem, RequestKey(request));
                _handler.Tell(forHandler, new ReplyRelay(Sender, request.CorrelationId, Self, _entity, _log, span));
                break;
            case EntityRequest request:
                Sender.Tell(new EntityResponse(request.CorrelationId,
                    HttpResponse.Error(StatusCodes.InternalServerError, $"entity '{_entity.TypeName}/{Self.Path.Name}' has stopped")), Self);
                break;
            case Stop when _handler is null:
                Context.Stop(Self);
                break;
            case Stop:
                _stopping = true;
                _handler.Tell(PoisonPill.Instance); // after the requests it has been given
                break;
            case Terminated terminated when terminated.ActorRef.Equals(_handler) && _stopping:
                Context.Stop(Self);
                break;
            case Terminated terminated when terminated.ActorRef.Equals(_handler):
                // The handler could not start or stopped itself: answer 500 until the shard stops this host; the next
                // request after that starts a fresh one.
                _log.Warning("the handler of entity '{0}/{1}' stopped; passivating", _entity.TypeName, Self.Path.Name);
                _handler = null;
                Context.Parent.Tell(new Passivate(Stop.Instance));
                break;
            case Terminated:
                Unhandled(message);
                break;
            default:
                // The application's own messages to the same region (a ShardingEnvelope's message, e.g. a query from a
                // service that Asks the region): the handler gets them with their sender, as an actor of its own would.
                if (_handler is not null && !_stopping) _handler.Forward(message);
                else Unhandled(message);
                break;
        }
    }

    /// <summary>The entity's span of <paramref name="request"/>, or null when nobody listens (or the sampler declines).</summary>
    private Activity? StartSpan(EntityRequest request)
    {
        var span = HttpTracing.StartDetached(_spanName, ActivityKind.Server, request.Request.TraceContext);
        if (span is not { IsAllDataRequested: true }) return span;
        span.SetTag("actorhttp.entity.type", _entity.TypeName);
        span.SetTag("actorhttp.entity.id", request.EntityId);
        span.SetTag("actorhttp.node", _node ??= Akka.Cluster.Cluster.Get(Context.System).SelfAddress.ToString());
        span.SetTag("http.request.method", HttpMetrics.MethodTag(request.Request.Method));
        span.SetTag("url.path", request.Request.Path);
        return span;
    }

    /// <summary>
    /// The key a durable entity stores with a write to recognise a copy, also in its next incarnation on another node: the
    /// route handler that sent it (its full path, with its node's address and its uid) and the correlation id.
    /// </summary>
    private string RequestKey(EntityRequest request)
    {
        // One route handler per accepting node and route: their paths are built once, not per request.
        if (!_routeHandlerPaths.TryGetValue(Sender, out var path))
            _routeHandlerPaths[Sender] = path = Akka.Serialization.Serialization.SerializedActorPath(Sender);
        return $"{path}#{request.CorrelationId}";
    }

    private static bool IsDurable(Type? type)
    {
        for (; type is not null; type = type.BaseType)
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(DurableHttpEntity<>)) return true;
        return false;
    }

    private bool FirstCopy(EntityRequest request)
    {
        if (_received is null || _receivedOrder is null) return true;
        var now = Stopwatch.GetTimestamp();
        while (_receivedOrder.TryPeek(out var oldest) && (now - oldest.ReceivedAt > _rememberFor || _receivedOrder.Count >= MaxRemembered))
        {
            _receivedOrder.Dequeue();
            _received.Remove((oldest.RouteHandler, oldest.CorrelationId));
        }
        if (!_received.Add((Sender, request.CorrelationId))) return false;
        _receivedOrder.Enqueue((Sender, request.CorrelationId, now));
        return true;
    }

    /// <summary>
    /// The sender the entity's handler sees for one request. Only a complete response can cross nodes: a streamed head
    /// or a failure becomes a 500 (logged), a body over the limit too; stream chunks that follow are cancelled. The
    /// first reply wins; later ones are dropped.
    /// </summary>
    private sealed class ReplyRelay(IActorRef replyTo, long correlationId, IActorRef host, ShardedEntity entity, ILoggingAdapter log, Activity? span)
        : MinimalActorRef
    {
        private int _answered;

        public override IActorRefProvider Provider => ((IInternalActorRef)host).Provider;

        public override ActorPath Path => host.Path / $"reply-{correlationId}";

        protected override void TellInternal(object message, IActorRef sender)
        {
            switch (message)
            {
                case HttpResponse { Streamed: false } response when response.Body.Count > entity.MaxBodySize:
                    log.Error("entity '{0}/{1}' answered with a {2}-byte body; sharded routes carry at most max-body-size = {3} bytes: answered 500",
                        entity.TypeName, host.Path.Name, response.Body.Count, entity.MaxBodySize);
                    Reply(HttpResponse.Error(StatusCodes.InternalServerError, "the entity's response is too large to cross nodes"));
                    break;
                case HttpResponse { Streamed: false } response:
                    Reply(response);
                    break;
                case HttpResponse:
                    log.Error("entity '{0}/{1}' answered with a streamed response, which cannot cross nodes: answered 500. " +
                              "Entities must reply with a complete HttpResponse.", entity.TypeName, host.Path.Name);
                    Reply(HttpResponse.Error(StatusCodes.InternalServerError, "a sharded entity cannot stream its response"));
                    break;
                case ResponseStream.Chunk:
                    sender.Tell(ResponseStream.Cancelled.Instance, this);
                    break;
                case Status.Failure failure:
                    log.Error(failure.Cause, "entity '{0}/{1}' answered with a failure: answered 500", entity.TypeName, host.Path.Name);
                    Reply(HttpResponse.Error(StatusCodes.InternalServerError));
                    break;
                case RequestBodyStream.Read:
                    sender.Tell(RequestBodyStream.Completed.Instance, this); // the body arrived whole, in the request
                    break;
            }
        }

        private void Reply(HttpResponse response)
        {
            if (Interlocked.Exchange(ref _answered, 1) != 0) return;
            replyTo.Tell(new EntityResponse(correlationId, response), host);
            if (span != null) HttpTracing.EndServerSpan(span, response.Status);
        }
    }
}
