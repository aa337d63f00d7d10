using Akka.Actor;

namespace ActorHttp.Server;

/// <summary>
/// The sender a handler sees for one request. Whatever the handler (or an actor it forwards to) tells it
/// arrives at the connection actor tagged with the request's sequence number, so replies to pipelined
/// requests are matched to their request whatever order they come in, and a late reply is recognised and
/// dropped. It is not registered anywhere and costs one small object per request (an Ask would cost a
/// registered temporary actor and a task).
/// </summary>
internal sealed class ResponseSlot : MinimalActorRef
{
    private readonly IActorRef _connection;
    private readonly long _sequence;
    private ActorPath? _path;

    public ResponseSlot(IActorRef connection, IActorRefProvider provider, long sequence)
    {
        _connection = connection;
        Provider = provider;
        _sequence = sequence;
    }

    public override IActorRefProvider Provider { get; }

    public override ActorPath Path => _path ??= _connection.Path / $"response-{_sequence}";

    protected override void TellInternal(object message, IActorRef sender) =>
        _connection.Tell(new HandlerReply(_sequence, message), sender);
}

/// <summary>A handler's reply to request <paramref name="Sequence"/> of a connection.</summary>
internal sealed record HandlerReply(long Sequence, object Message);
