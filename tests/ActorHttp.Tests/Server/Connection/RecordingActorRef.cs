using Akka.Actor;

namespace ActorHttp.Tests.Server.Connection;

/// <summary>An actor ref that records what it is told, in order, with no actor system: for the connection's plain parts.</summary>
internal sealed class RecordingActorRef(string name = "recording") : MinimalActorRef
{
    public List<object> Received { get; } = [];

    public override ActorPath Path { get; } = new RootActorPath(new Address("test", "parts")) / name;

    public override IActorRefProvider Provider => throw new NotSupportedException("a recording ref has no provider");

    protected override void TellInternal(object message, IActorRef sender) => Received.Add(message);

    /// <summary>How many messages of type <typeparamref name="T"/> were told.</summary>
    public int Count<T>() => Received.Count(m => m is T);
}
