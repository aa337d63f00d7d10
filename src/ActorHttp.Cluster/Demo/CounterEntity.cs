using Akka.Actor;
using ActorHttp.Cluster.Endpoints;
using ActorHttp.Cluster.Persistence;
using ActorHttp.Protocol;

namespace ActorHttp.Cluster.Demo;

/// <summary>
/// The demo sharded entity behind <c>/counters/{id}</c>: <c>GET</c> returns the value, <c>POST</c> adds one and returns
/// the new value, <c>DELETE</c> resets it to 0; always <c>{"id":"a","value":3}</c>. One actor per id somewhere in the
/// cluster, so every node sees the same value. It is durable (<see cref="DurableHttpEntity{TState}"/>): a POST is
/// answered once its <see cref="CounterEvent"/> is written to the store (SQLite by default), and the value survives
/// passivation, a shard moving and a node dying.
/// <para>
/// Subscribers (<see cref="CounterSubscription"/>, e.g. the event streams of <c>/counters/{id}/events</c>) get the value
/// when they subscribe and after every change; the entity watches them and drops those that stop. A subscriber watches
/// the entity in turn and subscribes again when it stops (passivation, a shard moving, its node gone).
/// </para>
/// </summary>
public sealed class CounterEntity : DurableHttpEntity<CounterState>
{
    private readonly HashSet<IActorRef> _subscribers = [];
    private string? _id;

    /// <summary>The entity id: the request's, or the name sharding gave the entity's host (the id, URL-encoded).</summary>
    private string Id => _id ??= Uri.UnescapeDataString(Context.Parent.Path.Name);

    /// <summary>Props of one counter.</summary>
    public static Props Props() => Akka.Actor.Props.Create<CounterEntity>();

    /// <inheritdoc />
    protected override CounterState InitialState => CounterState.Zero;

    /// <inheritdoc />
    protected override CounterState Apply(CounterState state, object @event) => @event switch
    {
        CounterEvent.Incremented => new CounterState(state.Value + 1),
        CounterEvent.Reset => CounterState.Zero,
        _ => state,
    };

    /// <inheritdoc />
    protected override Decision Decide(HttpRequest request, CounterState state)
    {
        if (request.RouteValues.TryGetValue("id", out var id)) _id = id;
        return request.Method switch
        {
            HttpMethods.Get => Reply(Json),
            HttpMethods.Post => Persist(CounterEvent.Incremented.Instance, Json),
            HttpMethods.Delete => Persist(CounterEvent.Reset.Instance, Json),
            _ => Reply(HttpResponse.Error(StatusCodes.MethodNotAllowed) with { Headers = [new HttpHeader("Allow", "GET, POST, DELETE")] }),
        };
    }

    private HttpResponse Json(CounterState state) => HttpResponse.Json(new CounterValue(Id, state.Value), ClusterJson.Info<CounterValue>());

    /// <inheritdoc />
    protected override void OnChanged(CounterState before, CounterState after)
    {
        if (after.Value == before.Value) return;
        var changed = new CounterSubscription.Changed(Id, after.Value);
        foreach (var subscriber in _subscribers) subscriber.Tell(changed, Self);
    }

    /// <inheritdoc />
    protected override void OnOtherMessage(object message)
    {
        switch (message)
        {
            case CounterSubscription.Subscribe subscribe:
                if (_subscribers.Add(subscribe.Subscriber)) Context.Watch(subscribe.Subscriber);
                subscribe.Subscriber.Tell(new CounterSubscription.Changed(Id, State.Value), Self); // the current value at once
                break;
            case CounterSubscription.Unsubscribe unsubscribe:
                if (_subscribers.Remove(unsubscribe.Subscriber)) Context.Unwatch(unsubscribe.Subscriber);
                break;
            case Terminated terminated:
                _subscribers.Remove(terminated.ActorRef); // gone without unsubscribing (or its node is)
                break;
            default:
                Unhandled(message);
                break;
        }
    }
}
