using Akka.Actor;
using ActorHttp.Protocol;

namespace ActorHttp.Server.Connection;

/// <summary>What became of a handler's reply (see <see cref="ExchangeQueue.Accept"/>).</summary>
internal enum ReplyOutcome : byte
{
    /// <summary>Its exchange is gone (answered by a timeout and sent, or dropped after a closing response): dropped.</summary>
    Late,
    /// <summary>Its exchange already has a response (a timeout's 503, or a second reply): dropped.</summary>
    Duplicate,
    /// <summary>Taken, but its exchange is not at the front: nothing can be rendered yet.</summary>
    Queued,
    /// <summary>Taken by the front exchange: render now.</summary>
    Ready,
}

/// <summary>
/// The exchanges of one connection in request order: a ring that starts small (most connections are idle) and doubles
/// when pipelining needs more (the pipelining limit, interim 100 Continue entries and an error answer bound it).
/// Replies are matched by sequence number, so a late or duplicate reply finds nothing and is dropped.
/// </summary>
internal sealed class ExchangeQueue
{
    private const int InitialCapacity = 2;

    private Exchange[] _ring = new Exchange[InitialCapacity];
    private int _head;
    private long _nextSequence, _headSequence;

    /// <summary>Exchanges queued.</summary>
    public int Count { get; private set; }

    /// <summary>The oldest exchange, the one to be answered next. Only while <see cref="Count"/> &gt; 0.</summary>
    public ref Exchange Front => ref _ring[_head];

    /// <summary>The newest exchange. Only while <see cref="Count"/> &gt; 0.</summary>
    public ref Exchange Newest => ref _ring[(_head + Count - 1) % _ring.Length];

    /// <summary>The exchange <paramref name="index"/> places behind the front. Only while <paramref name="index"/> &lt; <see cref="Count"/>.</summary>
    public ref Exchange At(int index) => ref _ring[(_head + index) % _ring.Length];

    /// <summary>The front exchange waits for its handler's reply (not for a stream's chunks).</summary>
    public bool FrontAwaitsReply => Count > 0 && _ring[_head].AwaitsReply;

    /// <summary>Queues an exchange that must be answered within <paramref name="timeout"/> ms; returns its sequence number.</summary>
    public long Enqueue(HttpProtocol protocol, bool isHead, bool keepAlive, HttpResponse? response, long now, long timeout)
    {
        if (Count == 0) _headSequence = _nextSequence;
        if (Count == _ring.Length) Grow();
        var sequence = _nextSequence++;
        _ring[(_head + Count) % _ring.Length] = new Exchange
        {
            Sequence = sequence,
            Protocol = protocol,
            IsHead = isHead,
            KeepAlive = keepAlive,
            StartedAt = now,
            Deadline = now + timeout,
            Timeout = timeout,
            Response = response,
        };
        Count++;
        return sequence;
    }

    /// <summary>Queues an interim 100 Continue, sent when the exchanges before it are.</summary>
    public void EnqueueContinue(long now)
    {
        Enqueue(HttpProtocol.Http11, isHead: false, keepAlive: true, response: null, now, timeout: 0);
        Newest.IsContinue = true;
    }

    /// <summary>True, with a ref to it, when the exchange <paramref name="sequence"/> is still queued.</summary>
    public ref Exchange Find(long sequence, out bool found)
    {
        var offset = sequence - _headSequence;
        found = offset >= 0 && offset < Count;
        return ref _ring[found ? (int)((_head + offset) % _ring.Length) : 0];
    }

    /// <summary>Whether <paramref name="sequence"/> is the front exchange.</summary>
    public bool IsFront(long sequence) => Count > 0 && sequence == _headSequence;

    /// <summary>The response of an accepted upgrade: a marker, the 101 head is rendered from the handshake.</summary>
    private static readonly HttpResponse SwitchingProtocols = new() { Status = StatusCodes.SwitchingProtocols };

    /// <summary>
    /// Takes <paramref name="sender"/>'s reply to exchange <paramref name="sequence"/>: its response, a failure (500), or a
    /// chunk, End or failure of its streamed response. A stream's head or chunk that cannot be sent any more is answered
    /// Cancelled. A <see cref="WebSockets.WebSocketAccept"/> accepts the upgrade the request asked for.
    /// <paramref name="problem"/> says what went wrong in the handler, for the log.
    /// </summary>
    public ReplyOutcome Accept(long sequence, object message, IActorRef sender, out string? problem)
    {
        problem = null;
        ref var exchange = ref Find(sequence, out var found);
        if (!found || exchange.IsContinue)
        {
            CancelIfStream(message, sender);
            return ReplyOutcome.Late;
        }
        if (exchange.Stream is { Producer: not null } stream && message is ResponseStream.Chunk or ResponseStream.End or Status.Failure)
        {
            if (stream.Offer(message, sender) is { } failedEarly)
            {
                // Nothing of the stream is out yet: the client can still get a proper 500.
                (exchange.Response, exchange.Stream) = (HttpResponse.Error(StatusCodes.InternalServerError), null);
                problem = $"handler failed: {failedEarly.Message}";
            }
            return IsFront(sequence) ? ReplyOutcome.Ready : ReplyOutcome.Queued;
        }
        if (exchange.Response != null)
        {
            CancelIfStream(message, sender);
            return ReplyOutcome.Duplicate;
        }
        switch (message)
        {
            case HttpResponse response:
                exchange.Response = response;
                if (response.Streamed) exchange.Stream = new ResponseStreamState(sender, response.IsEventStream);
                break;
            case WebSockets.WebSocketAccept accept when exchange.Request?.WebSocket is { } handshake:
                if (accept.Subprotocol != null && !handshake.Subprotocols.Contains(accept.Subprotocol, StringComparer.Ordinal))
                {
                    exchange.Response = HttpResponse.Error(StatusCodes.InternalServerError);
                    problem = $"handler chose the subprotocol '{accept.Subprotocol}', which the client did not offer";
                    break;
                }
                exchange.Upgrade = accept with { Handler = accept.Handler ?? sender };
                exchange.Response = SwitchingProtocols;
                break;
            case Status.Failure failure:
                exchange.Response = HttpResponse.Error(StatusCodes.InternalServerError);
                problem = $"handler failed: {failure.Cause?.Message}";
                break;
            default:
                exchange.Response = HttpResponse.Error(StatusCodes.InternalServerError);
                problem = $"handler replied with {message.GetType().Name} instead of an HttpResponse";
                break;
        }
        return IsFront(sequence) ? ReplyOutcome.Ready : ReplyOutcome.Queued;
    }

    /// <summary>A stream's head or chunk that can no longer be sent: its producer is told to stop.</summary>
    public static void CancelIfStream(object message, IActorRef sender)
    {
        if (message is ResponseStream.Chunk or HttpResponse { Streamed: true }) sender.Tell(ResponseStream.Cancelled.Instance);
    }

    /// <summary>Removes the front exchange (it has been rendered).</summary>
    public void Dequeue()
    {
        _ring[_head] = default;
        _head = (_head + 1) % _ring.Length;
        Count--;
        _headSequence++;
    }

    /// <summary>
    /// Answers every exchange still waiting for its handler with <paramref name="response"/> when
    /// <paramref name="onlyOverdueAt"/> is past its deadline (or always, when null). Returns whether any was answered.
    /// A reply arriving afterwards finds the exchange answered and is dropped.
    /// </summary>
    public bool AnswerWaiting(HttpResponse response, long? onlyOverdueAt = null)
    {
        var answered = false;
        for (var i = 0; i < Count; i++)
        {
            ref var exchange = ref _ring[(_head + i) % _ring.Length];
            if (!exchange.AwaitsReply || (onlyOverdueAt is { } now && now < exchange.Deadline)) continue;
            exchange.Response = response;
            answered = true;
        }
        return answered;
    }

    /// <summary>
    /// The earliest deadline of an exchange waiting for its handler, or <see cref="long.MaxValue"/>: the least of all
    /// (routes have timeouts of their own, so a later request may be due first).
    /// </summary>
    public long EarliestReplyDeadline()
    {
        var earliest = long.MaxValue;
        for (var i = 0; i < Count; i++)
        {
            ref var exchange = ref _ring[(_head + i) % _ring.Length];
            if (exchange.AwaitsReply && exchange.Deadline < earliest) earliest = exchange.Deadline;
        }
        return earliest;
    }

    /// <summary>Drops every exchange (after a closing response); producers still streaming to one are told to stop.</summary>
    public void Clear()
    {
        CancelStreams();
        for (var i = 0; i < Count; i++) _ring[(_head + i) % _ring.Length] = default;
        _headSequence += Count;
        Count = 0;
    }

    /// <summary>Ends every event stream still producing (see <see cref="ResponseStreamState.EndNow"/>); other streams go on.</summary>
    public void EndEventStreams()
    {
        for (var i = 0; i < Count; i++) _ring[(_head + i) % _ring.Length].Stream?.EndNow();
    }

    /// <summary>Tells every producer still streaming to a queued exchange to stop.</summary>
    public void CancelStreams()
    {
        for (var i = 0; i < Count; i++) _ring[(_head + i) % _ring.Length].Stream?.Cancel();
    }

    /// <summary>Doubles the ring, oldest exchange first. (No ref to an exchange is held across an Enqueue.)</summary>
    private void Grow()
    {
        var grown = new Exchange[_ring.Length * 2];
        for (var i = 0; i < Count; i++) grown[i] = _ring[(_head + i) % _ring.Length];
        _ring = grown;
        _head = 0;
    }
}
