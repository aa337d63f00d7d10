using ActorHttp.Protocol;
using Akka.Actor;
using Akka.IO;
using ActorHttp.Protocol.Rendering;

namespace ActorHttp.Server.Connection;

/// <summary>What <see cref="ResponseStreamState.TakeNext"/> yields.</summary>
internal enum StreamStep : byte
{
    /// <summary>Nothing is queued: wait for the producer.</summary>
    Waiting,
    /// <summary>A chunk to send; acknowledge it to <see cref="ResponseStreamState.Producer"/> once it is with the socket.</summary>
    Chunk,
    /// <summary>The body is complete.</summary>
    End,
    /// <summary>The producer broke the stream (failure, too many or too few bytes, flooding): the body cannot complete.</summary>
    Broken,
}

/// <summary>
/// One streamed response as its producer sends it (see <see cref="ResponseStream"/>): the chunks not yet taken, how the
/// body is framed, and the check that the producer keeps the protocol (no more than its Content-Length, no End short of
/// it, no flood of chunks without Acks). Used by the connection and by the test kit, so both judge a stream alike.
/// </summary>
internal sealed class ResponseStreamState
{
    /// <summary>Chunks (and the End) a stream may have queued; the protocol needs two at most (one per Ack, then End).</summary>
    internal const int MaxQueued = 8;

    private readonly Queue<object> _queued = new(2);
    private long _remaining;
    private bool _sized;
    private bool _endedByServer;

    /// <param name="producer">Who sent the head.</param>
    /// <param name="isEventStream">The head is an event stream's (<see cref="HttpResponse.IsEventStream"/>).</param>
    public ResponseStreamState(IActorRef producer, bool isEventStream = false)
    {
        Producer = producer;
        IsEventStream = isEventStream;
    }

    /// <summary>
    /// An event stream: endless by nature, so its producer may stay quiet without a deadline, and the server may end it
    /// (<see cref="EndNow"/>) with a well-formed last chunk whenever it must.
    /// </summary>
    public bool IsEventStream { get; }

    /// <summary>Whoever sends the chunks (it gets the Acks); null once the stream has ended, broken or been cancelled.</summary>
    public IActorRef? Producer { get; private set; }

    /// <summary>How the body is delimited; <see cref="BodyFraming.None"/> until the head is rendered.</summary>
    public BodyFraming Framing { get; private set; }

    /// <summary>The head is out: the stream can no longer become an error response.</summary>
    public bool HeadRendered => Framing != BodyFraming.None;

    /// <summary>The connection closes after this stream (it said so, or its body is delimited by the close).</summary>
    public bool CloseAfter { get; private set; }

    /// <summary>Why the stream broke, once <see cref="TakeNext"/> said <see cref="StreamStep.Broken"/>.</summary>
    public string? Problem { get; private set; }

    /// <summary>Chunks or an End are waiting to be taken.</summary>
    public bool HasQueued => _queued.Count > 0;

    /// <summary>
    /// Compresses the chunks on their way out (the route compresses this response), or null. Owned by the stream: it is
    /// released when the stream ends (<see cref="TakeEncoder"/>), breaks or is cancelled.
    /// </summary>
    public Protocol.Compression.BodyEncoder? Encoder { get; set; }

    /// <summary>The encoder, now the caller's to finish (the body is complete), or null.</summary>
    public Protocol.Compression.BodyEncoder? TakeEncoder()
    {
        var encoder = Encoder;
        Encoder = null;
        return encoder;
    }

    /// <summary>
    /// The head is rendered with <paramref name="framing"/>; when the producer declared a length, exactly
    /// <paramref name="declaredLength"/> bytes must follow (also when they go out compressed, chunked).
    /// </summary>
    public void Begin(BodyFraming framing, long? declaredLength, bool closeAfter)
    {
        Framing = framing;
        _sized = declaredLength.HasValue;
        _remaining = declaredLength ?? 0;
        CloseAfter = closeAfter || framing == BodyFraming.CloseDelimited;
    }

    /// <summary>
    /// Takes a <see cref="ResponseStream.Chunk"/>, <see cref="ResponseStream.End"/> or <see cref="Status.Failure"/> from
    /// <paramref name="sender"/> (who gets the Acks from now on). A producer that sends more than it may queue is told
    /// Cancelled, and the stream breaks. Returns the cause when the stream failed before its head was rendered: the
    /// response can still become a 500, and this stream is dropped.
    /// </summary>
    public Exception? Offer(object message, IActorRef sender)
    {
        if (Producer == null) return null; // ended or cancelled: nothing more is taken
        Producer = sender;
        if (_queued.Count >= MaxQueued)
        {
            // One chunk per Ack is the protocol; a producer that floods would make the connection hold all it sends.
            sender.Tell(ResponseStream.Cancelled.Instance);
            message = new Status.Failure(new InvalidOperationException("the producer sent chunks without waiting for Acks"));
        }
        if (message is Status.Failure failure && !HeadRendered)
        {
            Producer = null;
            _queued.Clear();
            return failure.Cause ?? new InvalidOperationException("the stream failed");
        }
        _queued.Enqueue(message);
        return null;
    }

    /// <summary>The next queued item, checked against the framing; a chunk comes with its bytes.</summary>
    public StreamStep TakeNext(out ByteString bytes)
    {
        bytes = ByteString.Empty;
        if (_endedByServer)
        {
            _endedByServer = false;
            return StreamStep.End;
        }
        if (Producer == null || !_queued.TryDequeue(out var item)) return StreamStep.Waiting;
        switch (item)
        {
            case ResponseStream.Chunk chunk:
                if (_sized)
                {
                    if (chunk.Bytes.Count > _remaining) return Break("sent more than its Content-Length");
                    _remaining -= chunk.Bytes.Count;
                }
                bytes = chunk.Bytes;
                return StreamStep.Chunk;
            case ResponseStream.End:
                if (_sized && _remaining != 0) return Break($"ended {_remaining} bytes short of its Content-Length");
                Producer = null;
                return StreamStep.End;
            default:
                return Break($"failed: {((Status.Failure)item).Cause?.Message}");
        }
    }

    /// <summary>Tells the producer, if it is still producing, that nothing more will be sent.</summary>
    public void Cancel()
    {
        Producer?.Tell(ResponseStream.Cancelled.Instance);
        Producer = null;
        _queued.Clear();
        TakeEncoder()?.Dispose();
    }

    /// <summary>
    /// Ends an event stream that is still producing, from the server's side (the client left, the server shuts down):
    /// the producer is told Cancelled, chunks it sent but not yet taken are dropped, and <see cref="TakeNext"/> yields
    /// End next, so the body ends well formed. Anything else is left alone.
    /// </summary>
    public void EndNow()
    {
        if (!IsEventStream || Producer == null) return;
        Producer.Tell(ResponseStream.Cancelled.Instance);
        Producer = null;
        _queued.Clear();
        _endedByServer = true; // the encoder, if any, is kept: the End finishes its coded stream
    }

    /// <summary>The body cannot complete: the producer is told to stop (what it sent may still be in flight).</summary>
    private StreamStep Break(string problem)
    {
        Problem = problem;
        Cancel();
        return StreamStep.Broken;
    }
}
