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
    }

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
    // _inputEnd are never written again; a full array is replaced, never reused.
    private byte[]? _input;
    private int _inputStart, _inputEnd;

    // Exchanges in request order (a ring); _headSequence is the sequence number of the oldest.
    private readonly Exchange[] _exchanges;
    private int _head, _count;
    private long _nextSequence, _headSequence;

    // Rendered responses waiting for the outstanding write's ack, and the bytes of that write.
    private OutputBuffer _pending = new(), _inFlight = new();
    private bool _awaitingAck;
    private int _pendingResponses, _inFlightResponses;

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
        // Room for the limit plus interim 100 Continue entries and a final error or timeout answer.
        _exchanges = new Exchange[settings.PipeliningLimit * 2 + 4];
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
            case HandlerReply reply:
                OnReply(reply);
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
        if (_stopParsing) return; // the last response is decided: the rest is drained unread
        _lastActivityAt = Now;
        HttpMetrics.BytesReceived.Add(data.Count);
        Append(data);
        ProcessInput();
    }

    private void Append(ByteString data)
    {
        var count = data.Count;
        if (_input == null)
        {
            _input = new byte[count];
            _inputStart = _inputEnd = 0;
        }
        else if (_input.Length - _inputEnd < count)
        {
            var unconsumed = _inputEnd - _inputStart;
            var grown = new byte[Math.Max(unconsumed + count, Math.Min(2 * _input.Length, unconsumed + count + 64 * 1024))];
            _input.AsSpan(_inputStart, unconsumed).CopyTo(grown);
            _input = grown;
            _inputStart = 0;
            _inputEnd = unconsumed;
        }
        data.CopyTo(_input, _inputEnd, count);
        _inputEnd += count;
    }

    /// <summary>Parses and dispatches as many buffered requests as the pipelining limit allows.</summary>
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
                if (Outstanding >= _settings.PipeliningLimit)
                {
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
                    case ParseStatus.ContinueExpected:
                        EnqueueContinue();
                        break;
                    case ParseStatus.Error:
                        var error = _parser.Error!;
                        if (_settings.LogRequests) _log.Debug("rejected request: {0}", error);
                        HttpMetrics.ParseErrors.Add(1, new KeyValuePair<string, object?>("reason", error.Reason));
                        _stopParsing = true;
                        Enqueue(HttpProtocol.Http11, isHead: false, keepAlive: false, HttpResponse.Error(error.Status, error.Reason));
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
            if (_peerClosed && needMoreData) _stopParsing = true;
        }
        finally
        {
            _processing = false;
        }
        Flush();
    }

    private void Dispatch(ParsedRequest parsed)
    {
        var request = parsed.Request;
        var keepAlive = parsed.KeepAlive && !_draining;
        if (!keepAlive) _stopParsing = true;

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
        if (_settings.LogRequests) _log.Debug("#{0} {1}", sequence, request);
        decision.Handler?.Tell(decision.Request, new ResponseSlot(Self, _provider, sequence));
    }

    private long Enqueue(HttpProtocol protocol, bool isHead, bool keepAlive, HttpResponse? response)
    {
        if (_count == 0) _headSequence = _nextSequence;
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

    private void EnqueueContinue()
    {
        Enqueue(HttpProtocol.Http11, isHead: false, keepAlive: true, response: null);
        _exchanges[(_head + _count - 1) % _exchanges.Length].IsContinue = true;
    }

    private void OnReply(HandlerReply reply)
    {
        var offset = reply.Sequence - _headSequence;
        if (offset < 0 || offset >= _count)
        {
            if (_settings.LogRequests) _log.Debug("dropped late reply to #{0}", reply.Sequence);
            return;
        }
        ref var exchange = ref _exchanges[(_head + (int)offset) % _exchanges.Length];
        if (exchange.Response != null || exchange.IsContinue) return; // already timed out, or a second reply
        exchange.Response = reply.Message switch
        {
            HttpResponse response => response,
            Status.Failure failure => LogFailure(failure.Cause),
            _ => LogUnexpected(reply.Message),
        };
        Flush();
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
            var close = !exchange.KeepAlive || response.CloseConnection || (_draining && _count == 1 && !_parser.InProgress);
            var before = _pending.Length;
            _renderer.Render(response, new RenderContext(exchange.Protocol, exchange.IsHead, close), _pending);
            _pendingResponses++;
            Record(ref exchange, response, _pending.Length - before);
            Dequeue();
            if (close)
            {
                _closeAfterWrite = _stopParsing = true;
                _count = 0; // pipelined requests after a closing response are never answered; their replies are dropped
                break;
            }
        }

        if (!_awaitingAck)
        {
            if (!_pending.IsEmpty) StartWrite();
            else if (_closeAfterWrite || (_count == 0 && ((_peerClosed && _stopParsing) || (_draining && !_parser.InProgress))))
            {
                BeginClosing();
                return;
            }
        }
        if (_readingSuspended && !_stopParsing && Outstanding < _settings.PipeliningLimit)
        {
            SetReading(suspended: false);
            ProcessInput();
        }
        ScheduleTimeoutCheck();
    }

    private static readonly object[] StatusTags = Enumerable.Range(0, 600).Select(s => (object)s).ToArray(); // boxed once

    /// <summary>Metrics and the optional access log line of one response.</summary>
    private void Record(ref Exchange exchange, HttpResponse response, long bytes)
    {
        var seconds = (Now - exchange.StartedAt) / 1000.0;
        var route = new KeyValuePair<string, object?>("route", exchange.Route ?? "none");
        var status = response.Status is >= 200 and <= 599 ? response.Status : StatusCodes.InternalServerError;
        HttpMetrics.Requests.Add(1, route,
            new KeyValuePair<string, object?>("method", exchange.Request?.Method ?? "none"),
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

    private void StartWrite()
    {
        (_pending, _inFlight) = (_inFlight, _pending);
        _inFlightResponses = _pendingResponses;
        _pendingResponses = 0;
        _lastWriteLength = _inFlight.Length;
        HttpMetrics.BytesSent.Add(_lastWriteLength);
        _tcp.Tell(Tcp.Write.Create(_inFlight.ToByteString(), WriteAck.Instance));
        _awaitingAck = true;
        _writeStartedAt = _lastActivityAt = Now;
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
        if (_count == 0 && !_parser.InProgress && !_awaitingAck)
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

        if (!_stopParsing && _parser.InProgress)
        {
            var expired = _parser.ReadingBody
                ? now - _bodyStartedAt >= (long)_settings.RequestBodyTimeout.TotalMilliseconds
                : now - _requestStartedAt >= (long)_settings.RequestHeaderTimeout.TotalMilliseconds;
            if (expired)
            {
                _stopParsing = true;
                Enqueue(HttpProtocol.Http11, isHead: false, keepAlive: false,
                    HttpResponse.Error(StatusCodes.RequestTimeout, _parser.ReadingBody ? "request body not received in time" : "request head not received in time"));
                answered = true;
            }
        }
        else if (_count == 0 && !_awaitingAck && !_closeAfterWrite && now - _lastActivityAt >= (long)_settings.IdleTimeout.TotalMilliseconds)
        {
            _stopParsing = true;
            BeginClosing(); // an idle keep-alive connection may simply be closed (RFC 9112 §9.8)
            return;
        }

        if (answered) Flush();
        ScheduleTimeoutCheck();
    }

    /// <summary>Makes sure the timer fires by the earliest deadline that applies now.</summary>
    private void ScheduleTimeoutCheck()
    {
        var next = long.MaxValue;
        if (_awaitingAck) next = _writeStartedAt + (long)_settings.SendTimeout.TotalMilliseconds;
        for (var i = 0; i < _count; i++)
        {
            ref var exchange = ref _exchanges[(_head + i) % _exchanges.Length];
            if (exchange.Response == null && !exchange.IsContinue)
            {
                next = Math.Min(next, exchange.Deadline);
                break; // later exchanges were dispatched later: their deadlines are later
            }
        }
        if (!_stopParsing && _parser.InProgress)
            next = Math.Min(next, _parser.ReadingBody
                ? _bodyStartedAt + (long)_settings.RequestBodyTimeout.TotalMilliseconds
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
            // Received bytes, late replies, drain requests: nothing more to do with them.
        }
    }
}
