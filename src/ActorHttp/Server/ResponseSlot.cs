using Akka.Actor;

namespace ActorHttp.Server;

/// <summary>
/// The sender a handler sees for one request. Whatever the handler (or an actor it forwards to) tells it
/// arrives at the connection actor tagged with the request's sequence number, so replies to pipelined
/// requests are matched to their request whatever order they come in, and a late reply is recognised and
/// dropped. It is not registered anywhere and costs one small object per request (an Ask would cost a
/// registered temporary actor and a task). The first reply travels in the slot itself (most exchanges have
/// exactly one); later ones, such as a stream's chunks, are wrapped in a <see cref="HandlerReply"/>.
/// </summary>
internal sealed class ResponseSlot : MinimalActorRef
{
    private readonly IActorRef _connection;
    private object? _firstMessage;
    private ActorPath? _path;

    public ResponseSlot(IActorRef connection, IActorRefProvider provider, long sequence)
    {
        _connection = connection;
        Provider = provider;
        Sequence = sequence;
    }

    /// <summary>The sequence number of the request on its connection.</summary>
    public long Sequence { get; }

    /// <summary>The first message told to this slot (set before the slot is sent to the connection).</summary>
    public object FirstMessage => _firstMessage!;

    public override IActorRefProvider Provider { get; }

    public override ActorPath Path => _path ??= _connection.Path / $"response-{Sequence}";

    protected override void TellInternal(object message, IActorRef sender)
    {
        if (_firstMessage == null && Interlocked.CompareExchange(ref _firstMessage, message, null) == null)
            _connection.Tell(this, sender);
        else
            _connection.Tell(new HandlerReply(Sequence, message), sender);
    }
}

/// <summary>A handler's further reply to request <paramref name="Sequence"/> of a connection.</summary>
internal sealed record HandlerReply(long Sequence, object Message);
