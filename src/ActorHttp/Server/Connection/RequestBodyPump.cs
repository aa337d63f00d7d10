using Akka.Actor;
using Akka.IO;
using ActorHttp.Protocol;
using ActorHttp.Protocol.Compression;

namespace ActorHttp.Server.Connection;

/// <summary>
/// A streamed request body (see <see cref="RequestBodyStream"/>) between the parser and the handler that pulls it: the
/// parts parsed and not yet read, the Read waiting for one, and whether the socket may be read on. At most one per
/// connection: nothing after the body is parsed until it ends.
/// </summary>
internal sealed class RequestBodyPump
{
    /// <summary>Bytes of a streamed body held for its handler before the socket stops being read.</summary>
    internal const int Window = 64 * 1024;

    private enum State : byte { None, Streaming, Completed, Failed, Abandoned }

    private static readonly RequestBodyStream.Failed AlreadyAnswered = new(StatusCodes.InternalServerError, "the response was already sent");
    private static readonly RequestBodyStream.Failed NoStreamedBody = new(StatusCodes.InternalServerError, "this request has no streamed body");

    private readonly Queue<ByteString> _parts = new();
    private State _state;
    private long _sequence = -1;
    private bool _keepAlive;
    private IActorRef? _reader; // the sender of a Read not yet answered
    private int _buffered;
    private RequestBodyStream.Failed? _failure;
    private long _receivedBytes, _pausedMs, _pausedAt = -1;
    private RequestBodyDecoder? _decoder;
    private (long Sequence, HttpResponse Response)? _decodeFailure;

    /// <summary>The body is still arriving.</summary>
    public bool Streaming => _state == State.Streaming;

    /// <summary>
    /// The socket must not be read: the handler has a full window unread, or has not yet read the end of a body that is
    /// all parsed (what follows must not be parsed before the body's parts are out of the way).
    /// </summary>
    public bool Paused => _state switch
    {
        State.Streaming => _buffered >= Window,
        State.Completed => true, // until its handler is told Completed, or its response goes out
        _ => false,
    };

    /// <summary>
    /// The request whose body this is, with keep-alive as parsed; the handler will pull it, decoded by
    /// <paramref name="decoder"/> when there is one (it is the pump's now, and disposed when the body ends). The coded
    /// parts are held as received (the window bounds them) and decoded as the handler reads, one window's worth per Read
    /// at most: a small coded part that expands enormously never sits decoded in memory.
    /// </summary>
    public void Start(long sequence, bool keepAlive, RequestBodyDecoder? decoder = null)
    {
        ReleaseDecoder();
        _decoder = decoder;
        _state = State.Streaming;
        _sequence = sequence;
        _keepAlive = keepAlive;
        _failure = null;
        _receivedBytes = _pausedMs = 0;
        _pausedAt = -1;
    }

    /// <summary>
    /// A part from the parser (<paramref name="last"/> when the body is complete). Returns whether parsing must stop
    /// after the body (its request said close). A part for a body already abandoned is dropped.
    /// </summary>
    public bool OnPart(ByteString part, bool last)
    {
        if (_state != State.Streaming) return false;
        if (!part.IsEmpty)
        {
            _parts.Enqueue(part);
            _buffered += part.Count;
            _receivedBytes += part.Count;
        }
        if (last) _state = State.Completed;
        Deliver();
        return last && !_keepAlive;
    }

    /// <summary>
    /// A handler's Read of request <paramref name="sequence"/>'s body, from <paramref name="reader"/>. Returns true when
    /// the Read is for this body and still open (the handler is working: its response deadline restarts).
    /// </summary>
    public bool OnRead(long sequence, IActorRef reader, long now)
    {
        if (sequence != _sequence || _state == State.None)
        {
            reader.Tell(NoStreamedBody);
            return false;
        }
        switch (_state)
        {
            case State.Failed:
                reader.Tell(_failure);
                return false;
            case State.Abandoned:
                reader.Tell(AlreadyAnswered);
                return false;
        }
        _reader = reader;
        Deliver();
        if (!Paused && _pausedAt >= 0)
        {
            _pausedMs += now - _pausedAt; // the client is not to blame for the time the handler held the socket unread
            _pausedAt = -1;
        }
        return true;
    }

    /// <summary>Notes when reading stopped because of the handler (see <see cref="Allowance"/>).</summary>
    public void NotePaused(long now)
    {
        if (Paused && _pausedAt < 0) _pausedAt = now;
    }

    /// <summary>
    /// Extra time the body may take past the body timeout, in ms: a second for every <paramref name="minRate"/> bytes
    /// delivered, plus the time its handler kept the socket unread. A large upload may take as long as it keeps moving;
    /// a client trickling bytes is still cut off.
    /// </summary>
    public long Allowance(int minRate) => Streaming ? _pausedMs + _receivedBytes * 1000 / minRate : 0;

    /// <summary>
    /// The body cannot complete: the handler hears <paramref name="status"/> on its Read (now, or on its next), and the
    /// returned error is the request's response unless it was already answered.
    /// </summary>
    public (long Sequence, HttpResponse Response) Fail(int status, string reason)
    {
        _state = State.Failed;
        ReleaseDecoder();
        _failure = new RequestBodyStream.Failed(status, reason);
        DropParts();
        _reader?.Tell(_failure);
        _reader = null;
        return (_sequence, HttpResponse.Error(status, reason) with { CloseConnection = true });
    }

    /// <summary>
    /// The response to request <paramref name="sequence"/> is going out. If its body is streamed, the body is of no more
    /// use: parts the handler did not read are dropped (never handed to a later request), and a body not all received
    /// is never read, so the connection must close after this response (returns true), as after a failed one.
    /// </summary>
    public bool EndFor(long sequence)
    {
        if (sequence != _sequence) return false;
        var close = _state is State.Streaming or State.Failed;
        if (_state is State.Streaming or State.Completed)
        {
            _state = close ? State.Abandoned : State.None;
            _reader?.Tell(AlreadyAnswered);
        }
        DropParts();
        ReleaseDecoder();
        _reader = null;
        return close;
    }

    private void ReleaseDecoder()
    {
        _decoder?.Dispose();
        _decoder = null;
    }

    /// <summary>
    /// The body could not be decoded (413 past the limit, 400 for bad data): the request's answer, once, for the
    /// connection to send (the handler heard it on its Read).
    /// </summary>
    public bool TakeDecodeFailure(out long sequence, out HttpResponse response)
    {
        (sequence, response) = _decodeFailure ?? (0, null!);
        var failed = _decodeFailure.HasValue;
        _decodeFailure = null;
        return failed;
    }

    /// <summary>Answers a waiting Read with the next part, or with Completed once the body is all read.</summary>
    private void Deliver()
    {
        if (_reader is not { } reader) return;
        if (_decoder != null)
        {
            DeliverDecoded(reader);
            return;
        }
        if (_parts.TryDequeue(out var part))
        {
            _buffered -= part.Count;
            reader.Tell(new RequestBodyStream.Part(part));
            _reader = null;
        }
        else if (_state == State.Completed)
        {
            reader.Tell(RequestBodyStream.Completed.Instance);
            _reader = null;
            // Delivered to the end: the next request may be parsed (and may stream a body itself, which must not take
            // over before this handler's last Read, or that Read would be answered "no streamed body").
            _state = State.None;
        }
    }

    /// <summary>Deliver, for a coded body: the next decoded piece, feeding the decoder the parts it needs for one.</summary>
    private void DeliverDecoded(IActorRef reader)
    {
        while (true)
        {
            if (!_decoder!.TryDecode(Window, out var decoded, out var status, out var reason))
            {
                _decodeFailure = Fail(status, reason); // the reader hears it now
                return;
            }
            if (!decoded.IsEmpty)
            {
                reader.Tell(new RequestBodyStream.Part(decoded));
                _reader = null;
                return;
            }
            if (!_parts.TryDequeue(out var coded)) break;
            _buffered -= coded.Count;
            _decoder.Add(coded);
        }
        if (_state != State.Completed) return; // more is on its way
        reader.Tell(RequestBodyStream.Completed.Instance);
        _reader = null;
        _state = State.None;
        ReleaseDecoder();
    }

    private void DropParts()
    {
        _parts.Clear();
        _buffered = 0;
    }
}
