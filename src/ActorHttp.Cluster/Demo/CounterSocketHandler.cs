using System.Text.Json;
using Akka.Actor;
using Akka.Configuration;
using ActorHttp.Cluster.Endpoints;
using ActorHttp.Handlers.WebSockets;
using ActorHttp.Protocol;
using ActorHttp.Protocol.WebSockets;
using ActorHttp.Server.WebSockets;

namespace ActorHttp.Cluster.Demo;

/// <summary>
/// <c>GET /counters/{id}/ws</c> (a route with <c>websocket = on</c>): a WebSocket that receives counter <c>id</c>'s value
/// as a text message <c>{"id":"a","value":3}</c> at once and after every change, whichever node the entity lives on.
/// The route's handler accepts each socket with an actor of its own (<see cref="CounterSocket"/>) on the accepting
/// node, which follows the entity as the event stream of <c>/counters/{id}/events</c> does (<see cref="CounterFollower"/>)
/// and stops when the socket closes. What the client sends is ignored: the feed is one way.
/// </summary>
public sealed class CounterSocketHandler : WebSocketHandlerActor
{
    private readonly string _entityType;
    private readonly IActorRef? _region;

    /// <summary>For a HOCON route: <c>entity-type</c> names the counters' sharded entity type (default <c>counters</c>).</summary>
    public CounterSocketHandler(Config route) : this(route.GetString("entity-type", "counters") is { Length: > 0 } type ? type : "counters") { }

    /// <summary>For the counters of entity type <paramref name="entityType"/>, served by a sharded route on this node.</summary>
    public CounterSocketHandler(string entityType) => _entityType = entityType;

    /// <summary>For the counters behind <paramref name="region"/> (a shard region, or anything that takes <c>ShardingEnvelope</c>s).</summary>
    public CounterSocketHandler(IActorRef region)
    {
        _entityType = "";
        _region = region;
    }

    /// <summary>Props of the route's handler (one for all sockets of the route on this node).</summary>
    public static Props Props(string entityType = "counters") => Akka.Actor.Props.Create(() => new CounterSocketHandler(entityType));

    /// <summary>Props of the route's handler for the counters behind <paramref name="region"/>.</summary>
    public static Props Props(IActorRef region) => Akka.Actor.Props.Create(() => new CounterSocketHandler(region));

    /// <inheritdoc />
    protected override void OnUpgrade(HttpRequest request, WebSocketHandshakeResult.Accepted handshake)
    {
        var id = request.RouteValues.TryGetValue("id", out var value) ? value : "";
        var entityType = _entityType;
        var region = _region;
        var socket = Context.ActorOf(Akka.Actor.Props.Create(() => new CounterSocket(entityType, region, id)));
        Sender.Tell(new WebSocketAccept(Handler: socket), Self);
    }

    /// <inheritdoc />
    protected override void OnMessage(IActorRef socket, WebSocketMessage message) { } // the sockets' own actors get them
}

/// <summary>One socket of <see cref="CounterSocketHandler"/>: follows one counter and sends each value to the socket.</summary>
internal sealed class CounterSocket(string entityType, IActorRef? region, string id) : UntypedActor, IWithTimers
{
    private CounterFollower? _follower;
    private IActorRef? _socket;

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Created on first use: Akka sets <see cref="Timers"/> after the constructor.</summary>
    private CounterFollower Follower => _follower ??= new CounterFollower(Context, Timers, entityType, region);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case WebSocketOpened opened:
                _socket = opened.Socket;
                Follower.Start(id);
                return;
            case WebSocketClosed:
                Context.Stop(Self);
                return;
            case WebSocketMessage:
                return; // one way
        }
        switch (Follower.Handle(message, Sender))
        {
            case FollowStep.Value:
                var changed = Follower.Value!;
                _socket!.Tell(WebSocketSend.Text(JsonSerializer.Serialize(new CounterValue(changed.Id, changed.Value), ClusterJson.Info<CounterValue>())), Self);
                break;
            case FollowStep.RegionMissing:
                _socket!.Tell(new WebSocketClose(WebSocketCloseCodes.InternalError, $"entity type '{Follower.EntityType}' is not served here"), Self);
                break;
            case FollowStep.NotMine:
                Unhandled(message);
                break;
        }
    }

    protected override void PostStop() => _follower?.Stop();
}
