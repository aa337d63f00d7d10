using ActorHttp.Protocol;
using Akka.Actor;
using Akka.IO;
using ActorHttp.Protocol.Rendering;

namespace ActorHttp.Server.Connection;

/// <summary>What the connection should do with the rendered output now (see <see cref="ResponseWriter.Decide"/>).</summary>
internal enum WriteDecision : byte
{
    /// <summary>Nothing to write, or a write is outstanding (one at a time: the next waits for its ack).</summary>
    Wait,
    /// <summary>Hold the output for one turn of the mailbox (a message to self), so replies on their way join it.</summary>
    Defer,
    /// <summary>Write what is pending now (<see cref="ResponseWriter.TakeWrite"/>).</summary>
    Write,
}

/// <summary>
/// A connection's output: responses rendered and waiting (pending), the one write with the transport (in flight), and
/// the Acks owed to stream producers whose chunks are pending. One write is outstanding at a time, and a pipelined
/// batch goes out in one write: Nagle and delayed ACKs never see a response split from its head.
/// </summary>
internal sealed class ResponseWriter
{
    private enum Deferral : byte { None, Scheduled, Expired }

    private OutputBuffer _pending = new(), _inFlight = new();
    private int _pendingResponses, _inFlightResponses;
    private readonly List<(IActorRef To, object Ack)> _acksOwed = new(1);
    private Deferral _deferral;

    /// <summary>Where responses are rendered; written out by the next <see cref="TakeWrite"/>.</summary>
    public OutputBuffer Pending => _pending;

    /// <summary>A write is with the transport and not yet acknowledged.</summary>
    public bool AwaitingAck { get; private set; }

    /// <summary>When the outstanding write started (for the send timeout).</summary>
    public long WriteStartedAt { get; private set; }

    /// <summary>The size of the last write (a large one needs longer to drain before an abort; see the linger timeout).</summary>
    public long LastWriteLength { get; private set; }

    /// <summary>Responses rendered but not yet acknowledged by the transport (they count against the pipelining limit).</summary>
    public int UnacknowledgedResponses => _pendingResponses + _inFlightResponses;

    /// <summary>Nothing pending and nothing in flight.</summary>
    public bool IsIdle => !AwaitingAck && _pending.IsEmpty;

    /// <summary>A stream's chunk (or a WebSocket frame) went into the pending output: its producer gets an Ack once it is with the socket.</summary>
    public bool HasAcksOwed => _acksOwed.Count > 0;

    /// <summary>Bytes pending and in flight: what the connection holds for the client.</summary>
    public long BufferedBytes => _pending.Length + (AwaitingAck ? _inFlight.Length : 0);

    /// <summary>A whole response (or a streamed one's head) went into the pending output.</summary>
    public void ResponseRendered() => _pendingResponses++;

    /// <summary>A chunk of <paramref name="producer"/>'s went into the pending output.</summary>
    public void OweAck(IActorRef producer) => _acksOwed.Add((producer, ResponseStream.Ack.Instance));

    /// <summary>Something of <paramref name="producer"/>'s went into the pending output: it gets <paramref name="ack"/> once that is with the socket.</summary>
    public void OweAck(IActorRef producer, object ack) => _acksOwed.Add((producer, ack));

    /// <summary>Drops the pending output (whole frames a client too slow to read will never get) and the acks owed for it.</summary>
    public void DiscardPending()
    {
        _pending.Release();
        _pendingResponses = 0;
        _acksOwed.Clear();
    }

    /// <summary>
    /// Whether to write now. While the front exchange still waits for its reply (<paramref name="replyAwaited"/>), the
    /// first decision defers one turn of the mailbox, so replies to pipelined requests already on their way join the
    /// write: one write for a batch rather than one for its first response and one for the rest.
    /// </summary>
    public WriteDecision Decide(bool replyAwaited)
    {
        if (AwaitingAck || _pending.IsEmpty) return WriteDecision.Wait;
        switch (_deferral)
        {
            case Deferral.Scheduled:
                return WriteDecision.Wait;
            case Deferral.None when replyAwaited:
                _deferral = Deferral.Scheduled;
                return WriteDecision.Defer;
            default:
                return WriteDecision.Write;
        }
    }

    /// <summary>The deferred turn has come: the batch gathered what there was.</summary>
    public void DeferralExpired() => _deferral = Deferral.Expired;

    /// <summary>
    /// Moves the pending output in flight and returns its bytes for one Tcp.Write. Producers whose chunks are in it are
    /// acknowledged now (they may send their next; one more chunk is then held here). Returns whether any were.
    /// </summary>
    public ByteString TakeWrite(long now, out bool ackedProducers)
    {
        _deferral = Deferral.None;
        (_pending, _inFlight) = (_inFlight, _pending);
        _inFlightResponses = _pendingResponses;
        _pendingResponses = 0;
        LastWriteLength = _inFlight.Length;
        AwaitingAck = true;
        WriteStartedAt = now;
        ackedProducers = _acksOwed.Count > 0;
        foreach (var (producer, ack) in _acksOwed) producer.Tell(ack);
        _acksOwed.Clear();
        return _inFlight.ToByteString();
    }

    /// <summary>The transport took the outstanding write: its buffers go back to the pool.</summary>
    public void OnAck()
    {
        _inFlight.Release();
        AwaitingAck = false;
        _inFlightResponses = 0;
    }

    /// <summary>The connection stops: what was never written goes back to the pool (the in-flight bytes may still be read by the transport, so they are left to the GC).</summary>
    public void Release() => _pending.Release();
}
