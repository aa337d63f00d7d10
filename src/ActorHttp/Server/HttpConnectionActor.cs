using System.Net;
using Akka.Actor;
using Akka.Event;
using Akka.IO;
using ActorHttp.Observability;
using ActorHttp.Protocol;
using ActorHttp.Protocol.Parsing;
using ActorHttp.Protocol.Rendering;

namespace ActorHttp.Server;

/// <summary>
/// One accepted socket. Reads bytes from its Akka.IO connection, lets <see cref="HttpRequestParser"/> turn them into
/// requests, sends each to the handler the router picks, and writes the responses back in request order.
/// <para>
/// States: <c>Open</c> (reading and answering) → <c>Closing</c> (final response flushed, FIN sent, draining the
/// peer's bytes until it closes or the linger timeout) → stopped. Within <c>Open</c> each request moves through
/// reading head → reading body (the parser's states) → waiting for its handler (an entry in the exchange queue) →
/// writing (rendered into the pending output, sent when the previous write is acknowledged). Several requests can
/// be in flight at once (pipelining), bounded by <see cref="ServerSettings.PipeliningLimit"/>; past that, reading
/// is suspended until responses go out.
/// </para>
/// <para>
/// Streams: a streamed response (<see cref="ResponseStream"/>) keeps its exchange at the front of the queue until
/// its producer ends it; each chunk is acknowledged to the producer when it is handed to the socket, so at most
/// about two chunks are held. A streamed request body (<see cref="RequestBodyStream"/>) is parsed only as fast as
/// its handler reads: past <see cref="UploadWindow"/> buffered bytes, reading from the socket is suspended.
/// </para>
/// </summary>
internal sealed class HttpConnectionActor : UntypedActor, IWithTimers
{
    /// <summary>One request awaiting its response, or an interim 100 Continue to send in its place in the order.</summary>
    private struct Exchange
    {
        public long Sequence;
        public HttpProtocol Protocol;
        public bool IsHead, KeepAlive, IsContinue;
        public long Deadline, StartedAt;
        public HttpResponse? Response;
        public HttpRequest? Request; // null for parse errors, timeouts and 100 Continue
        public string? Route;

        // A streamed response, once its head is rendered: the producer, its chunks not yet rendered, how the body
        // is delimited, and (Content-Length framing) how many bytes are still due. Deadline then bounds the wait
        // for the producer's next chunk.
        public IActorRef? Producer;
        public Queue<object>? StreamItems;
        public bool HeadRendered, Close;
        public BodyFraming Framing;
        public long Remaining;
    }

    /// <summary>The state of a streamed request body.</summary>
    private enum UploadState : byte { None, Streaming, Completed, Failed, Abandoned }

    /// <summary>
    /// Exchanges a connection has room for at first; the ring doubles when pipelining needs more (the pipelining limit,
    /// interim 100 Continue entries and an error answer bound it). Small, because most connections are idle.
    /// </summary>
    private const int InitialExchanges = 2;

    /// <summary>Bytes of a streamed request body held for its handler before the socket stops being read.</summary>
    private const int UploadWindow = 64 * 1024;

    /// <summary>Chunks (and the End) a stream may have queued here; the protocol needs two at most (one per Ack, then End).</summary>
    private const int MaxQueuedStreamItems = 8;

    private const string TimerKey = "timeouts";

    private readonly IActorRef _tcp;
    private readonly ServerSettings _settings;
    private readonly IRequestRouter _router;
    private readonly HttpResponseRenderer _renderer;
    private readonly HttpRequestParser _parser;
    private readonly bool _rejectOverCapacity;
    private readonly EndPoint _remote;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IActorRefProvider _provider;

    // Input not yet consumed by the parser. Append-only: parsed requests refer to this array, so bytes before
    // _inputEnd are never written again; a full array is replaced, never reused. When idle, a read is parsed in the
    // array it arrived in (borrowed: never written at all).
    private byte[]? _input;
    private int _inputStart, _inputEnd;
    private bool _inputBorrowed;

    // Exchanges in request order (a ring); _headSequence is the sequence number of the oldest.
    private Exchange[] _exchanges = new Exchange[InitialExchanges];
    private int _head, _count;
    private long _nextSequence, _headSequence;

    // Rendered responses waiting for the outstanding write's ack, and the bytes of that write.
    private OutputBuffer _pending = new(), _inFlight = new();
    private bool _awaitingAck;
    private int _pendingResponses, _inFlightResponses;

    // Producers owed an Ack for chunks now in _pending: acknowledged when those bytes are handed to the socket.
    private readonly List<IActorRef> _pendingAcks = new();

    // The streamed request body (at most one: nothing after it is parsed until it ends).
    private UploadState _upload;
    private long _uploadSequence = -1;
    private bool _uploadKeepAlive;
    private IActorRef? _uploadReader; // the sender of a Read not yet answered
    private readonly Queue<ByteString> _uploadParts = new();
    private int _uploadBuffered;
    private RequestBodyStream.Failed? _uploadFailure;
    private long _uploadBytes, _uploadPausedMs, _uploadPausedAt; // for the body deadline: bytes received, time the handler held it up

    private bool _aborted; // stopping: nothing more is written

    /// <summary>Whether the pending output waits for replies still on their way (see <see cref="Flush"/>).</summary>
    private enum WriteDeferral : byte { None, Scheduled, Expired }
    private WriteDeferral _writeDeferral;
    private bool _readingSuspended, _stopParsing, _closeAfterWrite, _peerClosed, _draining, _pastDeadline, _processing, _transportClosed;
    private long _lastWriteLength;
    private int _requestsCompleted;

    // Deadlines, in Environment.TickCount64 milliseconds; one timer, rescheduled only when a deadline moves earlier.
    private long _lastActivityAt, _requestStartedAt, _bodyStartedAt, _writeStartedAt, _closingStartedAt;
    private long _timerAt = long.MaxValue;

    public HttpConnectionActor(IActorRef tcp, EndPoint remote, ServerSettings settings, IRequestRouter router,
        HttpResponseRenderer renderer, bool rejectOverCapacity)
    {
        _tcp = tcp;
        _settings = settings;
        _router = router;
        _renderer = renderer;
        _rejectOverCapacity = rejectOverCapacity;
        _parser = new HttpRequestParser(settings.Parsing) { RemoteAddress = remote };
        _remote = remote;
        _provider = ((IInternalActorRef)Self).Provider;
    }

    /// <summary>
    /// Props for one connection. Built with a producer rather than an expression (one is made per accepted socket,
    /// and an expression would be compiled each time).
    /// </summary>
    public static Props Props(IActorRef tcp, EndPoint remote, ServerSettings settings, IRequestRouter router,
        HttpResponseRenderer renderer, bool rejectOverCapacity)
    {
        var props = Akka.Actor.Props.CreateBy(new Producer(tcp, remote, settings, router, renderer, rejectOverCapacity));
        return string.IsNullOrEmpty(settings.Dispatcher) ? props : props.WithDispatcher(settings.Dispatcher);
    }

    private sealed class Producer(IActorRef tcp, EndPoint remote, ServerSettings settings, IRequestRouter router,
        HttpResponseRenderer renderer, bool reject) : IIndirectActorProducer
    {
        public Type ActorType => typeof(HttpConnectionActor);
        public ActorBase Produce() => new HttpConnectionActor(tcp, remote, settings, router, renderer, reject);
        public void Release(ActorBase actor) { }
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private static long Now => Environment.TickCount64;

    /// <summary>
    /// Requests read but not yet delivered to the client: awaiting their handler, or rendered and not yet
    /// acknowledged. The pipelining limit bounds this, so a client that pipelines without reading cannot make
    /// the server buffer responses without limit.
    /// </summary>
    private int Outstanding => _count + _pendingResponses + _inFlightResponses;

    protected override void PreStart()
    {
        _lastActivityAt = Now;
        // Over max-connections the 503 is written once the listener says it registered us with the transport.
        if (_rejectOverCapacity) _stopParsing = true;
        ScheduleTimeoutCheck();
    }

    protected override void PostStop()
    {
        if (!_transportClosed) _tcp.Tell(Tcp.Abort.Instance);
        CancelProducers();
        if (_upload == UploadState.Streaming) FailUpload(StatusCodes.BadRequest, "the connection closed");
        _pending.Release();            // never written; _inFlight may still be read by the transport, so left to the GC
        Context.Parent.Tell(ConnectionStopped.Instance);
    }

    // ------------------------------------------------------------------ Open

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Tcp.Received received:
                OnReceived(received.Data);
                break;
            case ResponseSlot slot:
                OnReply(slot.Sequence, slot.FirstMessage);
                break;
            case HandlerReply reply:
                OnReply(reply.Sequence, reply.Message);
                break;
            case WriteAck:
                _inFlight.Release();
                _awaitingAck = false;
                _inFlightResponses = 0;
                Flush();
                break;
            case CheckTimeouts:
                OnCheckTimeouts();
                break;
            case WriteDeferred:
                _writeDeferral = WriteDeferral.Expired; // the batch gathered what there was: write it now
                Flush();
                break;
            case DrainConnection:
                OnDrain();
                break;
            case ShutdownDeadlinePassed:
                OnDeadlinePassed();
                break;
            case RejectOverCapacity when _rejectOverCapacity:
                // Answer instead of resetting: the client learns why and may retry.
                Enqueue(HttpProtocol.Http11, isHead: false, keepAlive: false, HttpResponse.Error(StatusCodes.ServiceUnavailable, "too many connections") with
                {
                    Headers = [new HttpHeader("Retry-After", "1")],
                });
                Flush();
                break;
            case Tcp.PeerClosed:
                OnPeerClosed();
                break;
            case Tcp.ConnectionClosed closed:
                if (closed is Tcp.ErrorClosed error) _log.Debug("connection error: {0}", error.Cause);
                _transportClosed = true;
                Context.Stop(Self);
                break;
            case Tcp.CommandFailed failed:
                _log.Warning("transport command failed: {0}; aborting connection", failed.Cmd);
                Context.Stop(Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnReceived(ByteString data)
    {
        if (_stopParsing || data.IsEmpty) return; // the last response is decided: the rest is drained unread
        _lastActivityAt = Now;
        HttpMetrics.BytesReceived.Add(data.Count);
        Append(data);
        ProcessInput();
    }

    private void Append(ByteString data)
    {
        var count = data.Count;
        if (_input == null && ReceivedBytes.TryGetSegment(data, out var segment))
        {
            _input = segment.Array;
            _inputStart = segment.Offset;
            _inputEnd = segment.Offset + count;
            _inputBorrowed = true;
            return;
        }
        if (_input == null)
        {
            _input = new byte[count];
            _inputStart = _inputEnd = 0;
            _inputBorrowed = false;
        }
        else if (_inputBorrowed || _input.Length - _inputEnd < count)
        {
            var unconsumed = _inputEnd - _inputStart;
            var grown = new byte[Math.Max(unconsumed + count, Math.Min(2 * _input.Length, unconsumed + count + 64 * 1024))];
            _input.AsSpan(_inputStart, unconsumed).CopyTo(grown);
            _input = grown;
            _inputStart = 0;
            _inputEnd = unconsumed;
            _inputBorrowed = false;
        }
        data.CopyTo(_input, _inputEnd, count);
        _inputEnd += count;
    }

    /// <summary>
    /// Parses and dispatches as many buffered requests as the pipelining limit allows, and the parts of a streamed
    /// body as far as its handler's window allows.
    /// </summary>
    private void ProcessInput()
    {
        if (_processing) return;
        _processing = true;
        var wasInProgress = _parser.InProgress;
        var wasReadingBody = _parser.ReadingBody;
        var completedBefore = _requestsCompleted;
        var needMoreData = true;
        try
        {
            while (!_stopParsing && _input != null && _inputStart < _inputEnd)
            {
                if (!MayParse)
                {
                    if (UploadPaused && _uploadPausedAt == 0) _uploadPausedAt = Now;
                    SetReading(suspended: true);
                    needMoreData = false;
                    break;
                }
                var status = _parser.Parse(_input, _inputStart, _inputEnd - _inputStart, out var consumed);
                _inputStart += consumed;
                if (status == ParseStatus.NeedMoreData) break;
                switch (status)
                {
                    case ParseStatus.RequestReady:
                        _requestsCompleted++;
                        Dispatch(_parser.Request);
                        break;
                    case ParseStatus.BodyPart:
                        OnUploadPart(_parser.BodyPart, _parser.BodyPartIsLast);
                        break;
                    case ParseStatus.ContinueExpected:
                        EnqueueContinue();
                        break;
                    case ParseStatus.Error:
                        var error = _parser.Error!;
                        if (_settings.LogRequests) _log.Debug("rejected request: {0}", error);
                        HttpMetrics.ParseErrors.Add(1, new KeyValuePair<string, object?>("reason", error.Reason));
                        Reject(error.Status, error.Reason);
                        break;
                }
            }
            if (_input != null && _inputStart == _inputEnd) _input = null; // hold nothing while idle

            // The clocks of the request now being read start when its first (or its body's first) byte was processed.
            var now = Now;
            var completedSome = _requestsCompleted != completedBefore;
            if (_parser.InProgress && (!wasInProgress || completedSome)) _requestStartedAt = now;
            if (_parser.ReadingBody && (!wasReadingBody || completedSome)) _bodyStartedAt = now;

            // After the client's FIN, once every complete request is parsed, what is left can never complete.
            if (_peerClosed && needMoreData && !_stopParsing)
            {
                _stopParsing = true;
                if (_upload == UploadState.Streaming) FailUpload(StatusCodes.BadRequest, "the client closed before the body was complete");
            }
        }
        finally
        {
            _processing = false;
        }
        Flush();
    }

    /// <summary>
    /// Answers a request that cannot be read on (malformed, too large, too slow) and stops parsing. When it is a
    /// streamed body whose request is already with its handler, that request gets the error as its response.
    /// </summary>
    private void Reject(int status, string reason)
    {
        _stopParsing = true;
        if (_upload == UploadState.Streaming)
        {
            FailUpload(status, reason);
            return;
        }
        Enqueue(HttpProtocol.Http11, isHead: false, keepAlive: false, HttpResponse.Error(status, reason));
    }

    private void Dispatch(ParsedRequest parsed)
    {
        var request = parsed.Request;
        var keepAlive = parsed.KeepAlive && !_draining;
        // A streamed body must still be read: parsing stops after it instead (OnUploadPart).
        if (!keepAlive && !request.BodyStreamed) _stopParsing = true;

        RouteDecision decision;
        try
        {
            decision = _router.Route(request);
        }
        catch (Exception e)
        {
            _log.Error(e, "router failed on {0}", request);
            decision = RouteDecision.Respond(HttpResponse.Error(StatusCodes.InternalServerError));
        }

        if (_pastDeadline) decision = RouteDecision.Respond(ShuttingDown);
        var sequence = Enqueue(request.Protocol, ReferenceEquals(request.Method, HttpMethods.Head), keepAlive, decision.Response);
        ref var entry = ref _exchanges[(_head + _count - 1) % _exchanges.Length];
        entry.Request = request;
        entry.Route = decision.Route;
        if (request.BodyStreamed)
        {
            _upload = UploadState.Streaming;
            _uploadSequence = sequence;
            _uploadKeepAlive = keepAlive;
            _uploadFailure = null;
            _uploadBytes = _uploadPausedMs = _uploadPausedAt = 0;
        }
        if (_settings.LogRequests) _log.Debug("#{0} {1}", sequence, request);
        decision.Handler?.Tell(decision.Request, new ResponseSlot(Self, _provider, sequence));
    }

    private long Enqueue(HttpProtocol protocol, bool isHead, bool keepAlive, HttpResponse? response)
    {
        if (_count == 0) _headSequence = _nextSequence;
        if (_count == _exchanges.Length) GrowExchanges();
        var sequence = _nextSequence++;
        var now = Now;
        ref var exchange = ref _exchanges[(_head + _count) % _exchanges.Length];
        exchange = new Exchange
        {
            Sequence = sequence,
            Protocol = protocol,
            IsHead = isHead,
            KeepAlive = keepAlive,
            StartedAt = now,
            Deadline = now + (long)_settings.ResponseTimeout.TotalMilliseconds,
            Response = response,
        };
        _count++;
        return sequence;
    }

    /// <summary>Doubles the ring, oldest exchange first. (No ref to an exchange is held across an Enqueue.)</summary>
    private void GrowExchanges()
    {
        var grown = new Exchange[_exchanges.Length * 2];
        for (var i = 0; i < _count; i++) grown[i] = _exchanges[(_head + i) % _exchanges.Length];
        _exchanges = grown;
        _head = 0;
    }

    private void EnqueueContinue()
    {
        Enqueue(HttpProtocol.Http11, isHead: false, keepAlive: true, response: null);
        _exchanges[(_head + _count - 1) % _exchanges.Length].IsContinue = true;
    }

    private void OnReply(long sequence, object message)
    {
        if (message is RequestBodyStream.Read)
        {
            OnUploadRead(sequence);
            return;
        }
        var index = IndexOf(sequence);
        if (index < 0)
        {
            if (_settings.LogRequests) _log.Debug("dropped late reply to #{0}", sequence);
            CancelIfStream(message);
            return;
        }
        ref var exchange = ref _exchanges[index];
        if (exchange.IsContinue) return;
        if (exchange.Response is { Streamed: true } && exchange.Producer != null
            && message is ResponseStream.Chunk or ResponseStream.End or Status.Failure)
        {
            exchange.Producer = Sender; // whoever sends the chunks gets the acks
            var item = message;
            var items = exchange.StreamItems ??= new Queue<object>();
            if (items.Count >= MaxQueuedStreamItems)
            {
                // One chunk per Ack is the protocol; a producer that floods would make this connection hold it all.
                Sender.Tell(ResponseStream.Cancelled.Instance);
                item = new Status.Failure(new InvalidOperationException("the producer sent chunks without waiting for Acks"));
            }
            if (item is Status.Failure failure && !exchange.HeadRendered)
            {
                // Nothing of the stream is out yet: the client can still get a proper 500.
                exchange.Response = LogFailure(failure.Cause);
                exchange.Producer = null;
                exchange.StreamItems = null;
            }
            else items.Enqueue(item);
            if (index == _head) Flush();
            return;
        }
        if (exchange.Response != null)
        {
            CancelIfStream(message); // already timed out, or a second reply
            return;
        }
        exchange.Response = message switch
        {
            HttpResponse response => response,
            Status.Failure failure => LogFailure(failure.Cause),
            _ => LogUnexpected(message),
        };
        if (exchange.Response.Streamed) exchange.Producer = Sender;
        Flush();
    }

    /// <summary>A reply while closing: a Read learns the body's settled outcome, a stream is told to stop.</summary>
    private void OnLateReply(long sequence, object message)
    {
        if (message is RequestBodyStream.Read) OnUploadRead(sequence);
        else CancelIfStream(message);
    }

    /// <summary>A stream's head or chunk that can no longer be sent: its producer is told to stop.</summary>
    private void CancelIfStream(object message)
    {
        if (message is ResponseStream.Chunk or HttpResponse { Streamed: true }) Sender.Tell(ResponseStream.Cancelled.Instance);
    }

    /// <summary>The ring index of the exchange with <paramref name="sequence"/>, or -1 when it is no longer queued.</summary>
    private int IndexOf(long sequence)
    {
        var offset = sequence - _headSequence;
        return offset < 0 || offset >= _count ? -1 : (int)((_head + offset) % _exchanges.Length);
    }

    // ------------------------------------------------------------------ streamed request body

    /// <summary>
    /// True while more input may be parsed: fewer requests outstanding than the pipelining limit (a streamed body goes
    /// on being parsed past it: its handler may be waiting for it), and no streamed body waiting for its handler.
    /// </summary>
    private bool MayParse => (Outstanding < _settings.PipeliningLimit || _upload == UploadState.Streaming) && !UploadPaused;

    /// <summary>
    /// True while a streamed body's handler has a full window of it unread, or has not yet read the end of a body that
    /// is all parsed (what follows must not be parsed before the body's parts are out of the way): the socket is not read.
    /// </summary>
    private bool UploadPaused => _upload switch
    {
        UploadState.Streaming => _uploadBuffered >= UploadWindow,
        UploadState.Completed => true, // until its handler is told Completed (or its response goes out): see DeliverUpload
        _ => false,
    };

    private void OnUploadPart(ByteString part, bool last)
    {
        if (_upload != UploadState.Streaming) return; // abandoned: its response is out and the connection closes
        if (!part.IsEmpty)
        {
            _uploadParts.Enqueue(part);
            _uploadBuffered += part.Count;
            _uploadBytes += part.Count;
        }
        if (last)
        {
            _upload = UploadState.Completed;
            _requestsCompleted++; // what follows is a new request: its clocks start afresh
            if (!_uploadKeepAlive) _stopParsing = true;
        }
        DeliverUpload();
    }

    private void OnUploadRead(long sequence)
    {
        if (sequence != _uploadSequence || _upload == UploadState.None)
        {
            Sender.Tell(new RequestBodyStream.Failed(StatusCodes.InternalServerError, "this request has no streamed body"));
            return;
        }
        switch (_upload)
        {
            case UploadState.Failed:
                Sender.Tell(_uploadFailure);
                return;
            case UploadState.Abandoned:
                Sender.Tell(new RequestBodyStream.Failed(StatusCodes.InternalServerError, "the response was already sent"));
                return;
        }
        _uploadReader = Sender;
        var index = IndexOf(sequence);
        if (index >= 0 && _exchanges[index].Response == null)
            _exchanges[index].Deadline = Now + (long)_settings.ResponseTimeout.TotalMilliseconds; // the handler is working
        var wasPaused = UploadPaused;
        DeliverUpload();
        if (wasPaused && !UploadPaused)
        {
            if (_uploadPausedAt != 0) _uploadPausedMs += Now - _uploadPausedAt; // the client is not to blame for it
            _uploadPausedAt = 0;
            Flush(); // resumes reading
        }
    }

    /// <summary>Answers a pending Read with the next part, or with Completed once the body is all read.</summary>
    private void DeliverUpload()
    {
        if (_uploadReader is not { } reader) return;
        if (_uploadParts.TryDequeue(out var part))
        {
            _uploadBuffered -= part.Count;
            reader.Tell(new RequestBodyStream.Part(part));
            _uploadReader = null;
        }
        else if (_upload == UploadState.Completed)
        {
            reader.Tell(RequestBodyStream.Completed.Instance);
            _uploadReader = null;
            // Delivered to the end: the next request may be parsed (and may be a streamed upload itself, which must not
            // take over before this handler's last Read, or that Read would be answered "no streamed body").
            _upload = UploadState.None;
        }
    }

    /// <summary>
    /// The streamed body cannot complete: its request is answered with the error (unless it already was) and the
    /// connection closes after it; the handler hears Failed on its next Read.
    /// </summary>
    private void FailUpload(int status, string reason)
    {
        _upload = UploadState.Failed;
        _uploadFailure = new RequestBodyStream.Failed(status, reason);
        _uploadParts.Clear();
        _uploadBuffered = 0;
        _stopParsing = true;
        if (_uploadReader is { } reader) reader.Tell(_uploadFailure);
        _uploadReader = null;
        var index = IndexOf(_uploadSequence);
        if (index >= 0 && _exchanges[index].Response == null)
            _exchanges[index].Response = HttpResponse.Error(status, reason) with { CloseConnection = true };
        // An answer already given closes the connection after it (EndUploadOf): nothing more will be parsed.
    }

    /// <summary>
    /// The response to a streamed body's request is going out, so the body is of no more use: parts the handler did
    /// not read are dropped (never handed to a later request), and a body not yet all received is never read, so the
    /// connection must close after this response (returns true). A body that failed closes the connection too.
    /// </summary>
    private bool EndUploadOf(long sequence)
    {
        if (sequence != _uploadSequence) return false;
        var close = _upload is UploadState.Streaming or UploadState.Failed;
        if (_upload is UploadState.Streaming or UploadState.Completed)
        {
            _upload = close ? UploadState.Abandoned : UploadState.None;
            _uploadReader?.Tell(new RequestBodyStream.Failed(StatusCodes.InternalServerError, "the response was already sent"));
        }
        _uploadParts.Clear();
        _uploadBuffered = 0;
        _uploadReader = null;
        if (close) _stopParsing = true;
        return close;
    }

    private HttpResponse LogFailure(Exception cause)
    {
        _log.Warning("handler failed: {0}", cause.Message);
        return HttpResponse.Error(StatusCodes.InternalServerError);
    }

    private HttpResponse LogUnexpected(object message)
    {
        _log.Warning("handler replied with {0} instead of an HttpResponse", message.GetType().Name);
        return HttpResponse.Error(StatusCodes.InternalServerError);
    }

    /// <summary>Renders answered exchanges from the front, in order, and writes them if no write is outstanding.</summary>
    private void Flush()
    {
        while (_count > 0)
        {
            ref var exchange = ref _exchanges[_head];
            if (exchange.IsContinue)
            {
                _pending.Write(HttpResponseRenderer.Continue);
                Dequeue();
                continue;
            }
            var response = exchange.Response;
            if (response == null) break;
            if (exchange.HeadRendered || RenderHead(ref exchange, response))
            {
                // A streamed body in progress: render what its producer sent; later exchanges wait until it ends.
                if (!RenderStreamItems(ref exchange))
                {
                    if (_aborted) return;
                    break; // truncated: what is pending goes out, then the connection closes
                }
                if (exchange.Producer != null) break;
                FinishStream(ref exchange);
            }
            if (_closeAfterWrite)
            {
                DropRest();
                break;
            }
        }

        if (!_awaitingAck)
        {
            if (!_pending.IsEmpty)
            {
                // Replies to pipelined requests arrive one message at a time. While the next one is still awaited, the
                // write waits one turn of the mailbox (a message to self), so replies already on their way join it:
                // one write for a pipelined batch rather than one for its first response and one for the rest.
                if (_writeDeferral == WriteDeferral.None && NextReplyAwaited)
                {
                    _writeDeferral = WriteDeferral.Scheduled;
                    Self.Tell(WriteDeferred.Instance);
                }
                else if (_writeDeferral != WriteDeferral.Scheduled) StartWrite();
            }
            else if (_closeAfterWrite || (_count == 0 && ((_peerClosed && _stopParsing) || (_draining && !_parser.InProgress))))
            {
                BeginClosing();
                return;
            }
        }
        if (_readingSuspended && !_stopParsing && MayParse)
        {
            SetReading(suspended: false);
            ProcessInput();
        }
        ScheduleTimeoutCheck();
    }

    /// <summary>
    /// Renders the head exchange's response head (and, unless streamed, its body). Returns false when the exchange is
    /// complete and dequeued; true when it is a streamed response whose body is to follow.
    /// </summary>
    private bool RenderHead(ref Exchange exchange, HttpResponse response)
    {
        var close = !exchange.KeepAlive || response.CloseConnection || IsLastResponse;
        // A response complete with its head ends its request's streamed body (a streamed one does when it ends: it may
        // be echoing the body as it arrives); a body not all received is never read, so the connection closes.
        var completesHere = !response.Streamed || exchange.IsHead || StatusCodes.ForbidsBody(response.Status);
        if (completesHere) close |= EndUploadOf(exchange.Sequence);

        var before = _pending.Length;
        var context = new RenderContext(exchange.Protocol, exchange.IsHead, close);
        var framing = response.Streamed ? _renderer.RenderStreamedHead(response, context, _pending) : BodyFraming.None;
        if (!response.Streamed) _renderer.Render(response, context, _pending);
        _pendingResponses++;
        Record(ref exchange, response, _pending.Length - before);

        if (framing != BodyFraming.None)
        {
            exchange.HeadRendered = true;
            exchange.Close = close || framing == BodyFraming.CloseDelimited;
            exchange.Framing = framing;
            exchange.Remaining = response.ContentLength ?? 0;
            exchange.Deadline = Now + (long)_settings.ResponseTimeout.TotalMilliseconds;
            return true;
        }
        if (exchange.Producer is { } producer) // HEAD, or a status without a body: the head is all there is
        {
            producer.Tell(ResponseStream.Cancelled.Instance);
            exchange.Producer = null;
        }
        Complete(close);
        return false;
    }

    /// <summary>
    /// The head exchange is the last response this connection will send: nothing more is parsed (a closing request, an
    /// error, the client's FIN, a failed body) or the server is draining, and nothing else is queued.
    /// </summary>
    private bool IsLastResponse => _count == 1 && (_stopParsing || (_draining && !_parser.InProgress));

    /// <summary>
    /// Moves the chunks a producer sent into the pending output. Returns false when the producer broke the stream
    /// (failure, or more or fewer bytes than its Content-Length): the connection is aborted, the only honest signal left.
    /// </summary>
    private bool RenderStreamItems(ref Exchange exchange)
    {
        var items = exchange.StreamItems;
        while (items is { Count: > 0 } && exchange.Producer != null)
        {
            switch (items.Dequeue())
            {
                case ResponseStream.Chunk chunk:
                    if (exchange.Framing == BodyFraming.ContentLength)
                    {
                        if (chunk.Bytes.Count > exchange.Remaining) return AbortStream(ref exchange, "sent more than its Content-Length");
                        exchange.Remaining -= chunk.Bytes.Count;
                    }
                    HttpResponseRenderer.RenderBodyPart(chunk.Bytes, exchange.Framing, _pending);
                    _pendingAcks.Add(exchange.Producer);
                    break;
                case ResponseStream.End:
                    if (exchange.Framing == BodyFraming.ContentLength && exchange.Remaining != 0)
                        return AbortStream(ref exchange, $"ended {exchange.Remaining} bytes short of its Content-Length");
                    HttpResponseRenderer.RenderBodyEnd(exchange.Framing, _pending);
                    exchange.Producer = null;
                    break;
                case Status.Failure failure:
                    return AbortStream(ref exchange, $"failed: {failure.Cause?.Message}");
            }
        }
        return true;
    }

    /// <summary>
    /// A streamed response has ended: dequeue it; close if it said so, if its request's body was not all read, or if
    /// parsing stopped meanwhile (legal after a complete chunked or sized body, even without <c>Connection: close</c>).
    /// </summary>
    private void FinishStream(ref Exchange exchange)
    {
        var close = exchange.Close | EndUploadOf(exchange.Sequence) | IsLastResponse;
        Complete(close);
    }

    /// <summary>The head exchange is fully rendered: dequeue it, and after a closing response answer nothing more.</summary>
    private void Complete(bool close)
    {
        Dequeue();
        if (!close) return;
        _closeAfterWrite = _stopParsing = true;
    }

    /// <summary>
    /// After a closing response, pipelined requests behind it are never answered (their late replies are dropped);
    /// producers already streaming to them are told to stop.
    /// </summary>
    private void DropRest()
    {
        CancelProducers();
        _count = 0;
    }

    private void CancelProducers()
    {
        for (var i = 0; i < _count; i++)
            if (_exchanges[(_head + i) % _exchanges.Length].Producer is { } producer) producer.Tell(ResponseStream.Cancelled.Instance);
    }

    /// <summary>
    /// A streamed body that cannot be completed. With chunked or sized framing, closing (FIN) after what is pending says
    /// "truncated" unambiguously and keeps earlier pipelined responses intact; a close-delimited body would look
    /// complete at a FIN, so there only a reset tells the truth. Returns false (the stream is over).
    /// </summary>
    private bool AbortStream(ref Exchange exchange, string reason)
    {
        _log.Warning("streamed response {0}; closing the connection to truncate it", reason);
        if (exchange.Framing == BodyFraming.CloseDelimited)
        {
            _aborted = true;
            Context.Stop(Self); // PostStop aborts the socket and cancels the producers
            return false;
        }
        _closeAfterWrite = _stopParsing = true;
        DropRest();
        return false;
    }

    private static readonly object[] StatusTags = Enumerable.Range(0, 600).Select(s => (object)s).ToArray(); // boxed once

    /// <summary>Metrics and the optional access log line of one response.</summary>
    private void Record(ref Exchange exchange, HttpResponse response, long bytes)
    {
        var seconds = (Now - exchange.StartedAt) / 1000.0;
        var route = new KeyValuePair<string, object?>("route", exchange.Route ?? "none");
        var status = response.Status is >= 200 and <= 599 ? response.Status : StatusCodes.InternalServerError;
        HttpMetrics.Requests.Add(1, route,
            new KeyValuePair<string, object?>("method", HttpMetrics.MethodTag(exchange.Request?.Method)),
            new KeyValuePair<string, object?>("status", StatusTags[status]));
        HttpMetrics.RequestDuration.Record(seconds, route);
        if (_settings.AccessLog)
            _log.Info("{0} \"{1}\" {2} {3} {4:F1}ms", _remote, exchange.Request?.ToString() ?? "-", status, bytes, seconds * 1000);
    }

    private void Dequeue()
    {
        _exchanges[_head] = default;
        _head = (_head + 1) % _exchanges.Length;
        _count--;
        _headSequence++;
    }

    /// <summary>The exchange at the front waits for its handler's reply (not for a stream's chunks).</summary>
    private bool NextReplyAwaited => _count > 0 && _exchanges[_head].Response == null && !_exchanges[_head].IsContinue;

    private void StartWrite()
    {
        _writeDeferral = WriteDeferral.None;
        (_pending, _inFlight) = (_inFlight, _pending);
        _inFlightResponses = _pendingResponses;
        _pendingResponses = 0;
        _lastWriteLength = _inFlight.Length;
        HttpMetrics.BytesSent.Add(_lastWriteLength);
        _tcp.Tell(Tcp.Write.Create(_inFlight.ToByteString(), WriteAck.Instance));
        _awaitingAck = true;
        _writeStartedAt = _lastActivityAt = Now;
        if (_pendingAcks.Count > 0)
        {
            // The chunks are with the socket now: their producers may send the next (one more chunk is then held here).
            foreach (var producer in _pendingAcks) producer.Tell(ResponseStream.Ack.Instance);
            _pendingAcks.Clear();
            if (_count > 0 && _exchanges[_head].Producer != null)
                _exchanges[_head].Deadline = _writeStartedAt + (long)_settings.ResponseTimeout.TotalMilliseconds;
        }
    }

    private void SetReading(bool suspended)
    {
        if (_readingSuspended == suspended) return;
        _readingSuspended = suspended;
        _tcp.Tell(suspended ? Tcp.SuspendReading.Instance : Tcp.ResumeReading.Instance);
    }

    private void OnPeerClosed()
    {
        // The client sent FIN: answer every complete request it sent (some may still wait behind the pipelining
        // limit), then close. A partial request can never complete.
        _peerClosed = true;
        ProcessInput();
    }

    private void OnDrain()
    {
        _draining = true;
        if (_count == 0 && !_parser.InProgress && !_awaitingAck && _pending.IsEmpty)
        {
            _stopParsing = true;
            BeginClosing();
            return;
        }
        if (!_parser.InProgress) _stopParsing = true; // answer what was parsed; the last response says close
        Flush();
    }

    private static readonly HttpResponse ShuttingDown =
        HttpResponse.Error(StatusCodes.ServiceUnavailable, "the server is shutting down") with { Headers = [new HttpHeader("Retry-After", "1")] };

    private void OnDeadlinePassed()
    {
        _draining = _pastDeadline = true;
        for (var i = 0; i < _count; i++)
        {
            ref var exchange = ref _exchanges[(_head + i) % _exchanges.Length];
            if (exchange.Response == null && !exchange.IsContinue) exchange.Response = ShuttingDown; // a late reply is dropped
        }
        OnDrain();
    }

    // ------------------------------------------------------------------ timeouts

    private void OnCheckTimeouts()
    {
        _timerAt = long.MaxValue;
        var now = Now;
        if (_awaitingAck && now - _writeStartedAt >= (long)_settings.SendTimeout.TotalMilliseconds)
        {
            _log.Debug("client stopped reading for {0}; aborting", _settings.SendTimeout);
            Context.Stop(Self);
            return;
        }
        if (_count > 0 && StreamStalled(ref _exchanges[_head], now))
        {
            _exchanges[_head].Producer!.Tell(ResponseStream.Cancelled.Instance);
            AbortStream(ref _exchanges[_head], $"got no chunk from its producer within {_settings.ResponseTimeout}");
            if (!_aborted) Flush();
            return;
        }

        var answered = false;
        for (var i = 0; i < _count; i++)
        {
            ref var exchange = ref _exchanges[(_head + i) % _exchanges.Length];
            if (exchange.Response != null || exchange.IsContinue || now < exchange.Deadline) continue;
            exchange.Response = HttpResponse.Error(StatusCodes.ServiceUnavailable, "the handler did not answer in time") with
            {
                Headers = [new HttpHeader("Retry-After", "1")],
            };
            answered = true;
        }

        if (!_stopParsing && _parser.InProgress && !UploadPaused)
        {
            var expired = _parser.ReadingBody
                ? now >= BodyDeadline
                : now - _requestStartedAt >= (long)_settings.RequestHeaderTimeout.TotalMilliseconds;
            if (expired)
            {
                Reject(StatusCodes.RequestTimeout, _parser.ReadingBody ? "request body not received in time" : "request head not received in time");
                answered = true;
            }
        }
        else if (_count == 0 && !_awaitingAck && _pending.IsEmpty && !_closeAfterWrite && now - _lastActivityAt >= (long)_settings.IdleTimeout.TotalMilliseconds)
        {
            _stopParsing = true;
            BeginClosing(); // an idle keep-alive connection may simply be closed (RFC 9112 §9.8)
            return;
        }

        if (answered) Flush();
        ScheduleTimeoutCheck();
    }

    /// <summary>
    /// When the body being read must be complete: request-body-timeout after its head. A streamed body, which may be
    /// large, also gets a second for every min-request-body-rate bytes it delivered, plus the time its handler kept
    /// the socket unread; a client trickling a few bytes at a time is still cut off (slowloris on bodies).
    /// </summary>
    private long BodyDeadline => _bodyStartedAt + (long)_settings.RequestBodyTimeout.TotalMilliseconds
        + (_upload == UploadState.Streaming ? _uploadPausedMs + _uploadBytes * 1000 / _settings.MinRequestBodyRate : 0);

    /// <summary>
    /// A streamed response whose producer owes the next chunk (it has its Ack, nothing is queued) past the deadline.
    /// Its head is out, so no error status can be sent: the connection is aborted.
    /// </summary>
    private bool StreamStalled(ref Exchange exchange, long now) =>
        exchange.HeadRendered && exchange.Producer != null && exchange.StreamItems is not { Count: > 0 }
        && _pendingAcks.Count == 0 && now >= exchange.Deadline;

    /// <summary>Makes sure the timer fires by the earliest deadline that applies now.</summary>
    private void ScheduleTimeoutCheck()
    {
        var next = long.MaxValue;
        if (_awaitingAck) next = _writeStartedAt + (long)_settings.SendTimeout.TotalMilliseconds;
        if (_count > 0)
        {
            ref var front = ref _exchanges[_head];
            if (front.HeadRendered && front.Producer != null) next = Math.Min(next, front.Deadline);
        }
        for (var i = 0; i < _count; i++)
        {
            ref var exchange = ref _exchanges[(_head + i) % _exchanges.Length];
            if (exchange.Response == null && !exchange.IsContinue)
            {
                next = Math.Min(next, exchange.Deadline);
                break; // later exchanges were dispatched later: their deadlines are later
            }
        }
        if (!_stopParsing && _parser.InProgress && !UploadPaused)
            next = Math.Min(next, _parser.ReadingBody
                ? BodyDeadline
                : _requestStartedAt + (long)_settings.RequestHeaderTimeout.TotalMilliseconds);
        else if (_count == 0)
            next = Math.Min(next, _lastActivityAt + (long)_settings.IdleTimeout.TotalMilliseconds);
        ScheduleTimerAt(next);
    }

    private void ScheduleTimerAt(long at)
    {
        if (at >= _timerAt || at == long.MaxValue) return;
        _timerAt = at;
        Timers.StartSingleTimer(TimerKey, CheckTimeouts.Instance, TimeSpan.FromMilliseconds(Math.Max(1, at - Now)));
    }

    // ------------------------------------------------------------------ Closing

    /// <summary>
    /// Half-closes (FIN after the queued writes) and keeps reading until the peer closes too, so unread client
    /// bytes cannot turn the close into a reset that would destroy the last response at the client.
    /// </summary>
    private void BeginClosing()
    {
        _tcp.Tell(_peerClosed ? Tcp.Close.Instance : Tcp.ConfirmedClose.Instance);
        SetReading(suspended: false);
        _closingStartedAt = Now;
        _timerAt = long.MaxValue;
        ScheduleTimerAt(LingerDeadline);
        Become(Closing);
    }

    /// <summary>
    /// An acked write may still sit in the kernel's send buffer, and the abort at the end of lingering would discard
    /// it. A last write larger than a send buffer therefore gets the send timeout to drain; small ones the linger timeout.
    /// </summary>
    private long LingerDeadline => _closingStartedAt + (long)(_lastWriteLength > LargeWrite
        ? Math.Max(_settings.SendTimeout.TotalMilliseconds, _settings.LingerTimeout.TotalMilliseconds)
        : _settings.LingerTimeout.TotalMilliseconds);

    private const int LargeWrite = 64 * 1024;

    private void Closing(object message)
    {
        switch (message)
        {
            case Tcp.ConnectionClosed:
                _transportClosed = true;
                Context.Stop(Self);
                break;
            case WriteAck:
                _inFlight.Release();
                _awaitingAck = false;
                break;
            case CheckTimeouts:
                _timerAt = long.MaxValue;
                if (Now >= LingerDeadline) Context.Stop(Self); // PostStop aborts
                else ScheduleTimerAt(LingerDeadline);
                break;
            case Tcp.CommandFailed:
                Context.Stop(Self);
                break;
            case ResponseSlot slot:
                OnLateReply(slot.Sequence, slot.FirstMessage);
                break;
            case HandlerReply reply:
                OnLateReply(reply.Sequence, reply.Message);
                break;
            // Received bytes, drain requests: nothing more to do with them.
        }
    }
}
