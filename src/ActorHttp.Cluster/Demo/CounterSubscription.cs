using Akka.Actor;

namespace ActorHttp.Cluster.Demo;

/// <summary>
/// How any actor follows a <see cref="CounterEntity"/>: send it <see cref="Subscribe"/> through the shard region
/// (<c>region.Tell(new ShardingEnvelope(id, new CounterSubscription.Subscribe(Self)))</c>), wherever the entity lives,
/// and receive a <see cref="Changed"/> at once and after every change. The entity watches its subscribers: one that
/// stops is dropped; <see cref="Unsubscribe"/> leaves earlier. Nothing here is about HTTP: the event stream of
/// <c>/counters/{id}/events</c> (<see cref="CounterEventsHandler"/>) is one subscriber, a WebSocket could be another.
/// These messages cross nodes with <c>HttpMessageSerializer</c>.
/// </summary>
public static class CounterSubscription
{
    /// <summary>Marks the messages of this protocol (the cluster serializer is bound to it).</summary>
    public interface IMessage;

    /// <summary>Subscriber → entity: send <paramref name="Subscriber"/> the value now and every change.</summary>
    public sealed record Subscribe(IActorRef Subscriber) : IMessage;

    /// <summary>Subscriber → entity: stop sending to <paramref name="Subscriber"/>.</summary>
    public sealed record Unsubscribe(IActorRef Subscriber) : IMessage;

    /// <summary>Entity → subscriber: counter <paramref name="Id"/> is now <paramref name="Value"/>. Its sender is the entity.</summary>
    public sealed record Changed(string Id, long Value) : IMessage;
}
