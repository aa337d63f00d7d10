using Akka.Actor;
using ActorHttp.Handlers;
using ActorHttp.Cluster.Endpoints;
using ActorHttp.Protocol;

namespace ActorHttp.Cluster.Demo;

/// <summary>
/// The demo sharded entity behind <c>/counters/{id}</c>: <c>GET</c> returns the value, <c>POST</c> adds one and returns
/// the new value, <c>DELETE</c> resets it to 0; always <c>{"id":"a","value":3}</c>. One actor per id somewhere in the
/// cluster, so every node sees the same value. The value lives in memory only: it starts again from 0 when the
/// entity passivates or its shard moves to another node (a real entity would persist it, e.g. with Akka.Persistence).
/// <para>
/// Subscribers (<see cref="CounterSubscription"/>, e.g. the event streams of <c>/counters/{id}/events</c>) get the value
/// when they subscribe and after every change; the entity watches them and drops those that stop. A subscriber watches
/// the entity in turn and subscribes again when it stops (passivation, a shard moving, its node gone).
/// </para>
/// </summary>
public sealed class CounterEntity : HttpHandlerActor
{
    private readonly HashSet<IActorRef> _subscribers = [];
    private long _value;
    private string? _id;

    /// <summary>The entity id: the request's, or the name sharding gave the entity's host (the id, URL-encoded).</summary>
    private string Id => _id ??= Uri.UnescapeDataString(Context.Parent.Path.Name);

    /// <summary>Props of one counter.</summary>
    public static Props Props() => Akka.Actor.Props.Create<CounterEntity>();

    /// <inheritdoc />
    protected override void OnRequest(HttpRequest request)
    {
        if (request.RouteValues.TryGetValue("id", out var id)) _id = id;
        var before = _value;
        switch (request.Method)
        {
            case HttpMethods.Get:
                break;
            case HttpMethods.Post:
                _value++;
                break;
            case HttpMethods.Delete:
                _value = 0;
                break;
            default:
                Respond(HttpResponse.Error(StatusCodes.MethodNotAllowed) with { Headers = [new HttpHeader("Allow", "GET, POST, DELETE")] });
                return;
        }
        Respond(HttpResponse.Json(new CounterValue(Id, _value), ClusterJson.Info<CounterValue>()));
        if (_value != before)
        {
            var changed = new CounterSubscription.Changed(Id, _value);
            foreach (var subscriber in _subscribers) subscriber.Tell(changed, Self);
        }
    }

    /// <inheritdoc />
    protected override void OnOtherMessage(object message)
    {
        switch (message)
        {
            case CounterSubscription.Subscribe subscribe:
                if (_subscribers.Add(subscribe.Subscriber)) Context.Watch(subscribe.Subscriber);
                subscribe.Subscriber.Tell(new CounterSubscription.Changed(Id, _value), Self); // the current value at once
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
