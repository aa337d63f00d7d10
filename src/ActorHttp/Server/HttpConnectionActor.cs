using System.Net;
using Akka.Actor;
using Akka.Event;
using Akka.IO;
using ActorHttp.Observability;
using ActorHttp.Protocol;
using ActorHttp.Protocol.Compression;
using ActorHttp.Protocol.Parsing;
using ActorHttp.Protocol.Rendering;
using ActorHttp.Protocol.WebSockets;
using ActorHttp.Server.Connection;
using ActorHttp.Server.Dispatch;
using ActorHttp.Server.WebSockets;

namespace ActorHttp.Server;

/// <summary>
/// One accepted socket: the message switch between its Akka.IO connection, its handlers and its timer. The work is done
/// by plain parts: <see cref="RequestReader"/> parses requests, <see cref="ExchangeQueue"/>
/// keeps them in order until answered, <see cref="ResponseWriter"/> batches the answers into one write at a time,
/// <see cref="ResponseStreamState"/> and <see cref="RequestBodyPump"/> pace streamed bodies, and
/// <see cref="ConnectionTimeouts"/> holds every deadline. A request upgraded to a WebSocket hands the connection to a
/// <see cref="WebSocketSession"/> (behaviour <see cref="WebSocketOpen"/>): from then on this actor is the socket.
/// <para>
/// States (<see cref="ConnectionPhase"/>): <c>Open</c> → <c>Answering</c> (no more requests parsed) → <c>LastWrite</c>
/// → <c>Closing</c> (behaviour <see cref="Closing"/>: FIN sent, draining the peer's bytes until it closes or the linger
/// timeout) → stopped. Several requests can be in flight (pipelining), bounded by <see cref="ServerSettings.PipeliningLimit"/>;
/// past that, or while a streamed body's handler has a full window unread, reading is suspended.
/// </para>
/// </summary>
internal sealed partial class HttpConnectionActor : UntypedActor
{
    private static readonly HttpResponse ShuttingDown = Unavailable("the server is shutting down");
    private static readonly HttpResponse HandlerLate = Unavailable("the handler did not answer in time");
    private static readonly HttpResponse TooManyConnections = Unavailable("too many connections");

    private enum Drain : byte { None, Draining, PastDeadline }

    private readonly IActorRef _tcp;
    private readonly ServerSettings _settings;
    private readonly IRequestRouter _router;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IActorRefProvider _provider;

    private readonly RequestReader _reader;
    private readonly ExchangeQueue _exchanges = new();
    private readonly ResponseWriter _writer = new();
    private readonly RequestBodyPump _upload = new();
    private readonly ConnectionTimeouts _timeouts;
    private readonly ExchangeRenderer _render;
    private readonly ExchangeTelemetry _telemetry;
    private readonly ListenerTelemetry _listener;
    private readonly long _openedAt;

    private ConnectionPhase _phase;
    private CloseReason _closeReason;
    private Drain _drain;
    private bool _peerClosed, _readingSuspended, _processing, _transportClosed;

    /// <summary>
    /// A read is asked of the transport and not yet delivered. The listener binds in pull mode: Akka.IO reads once per
    /// <see cref="Tcp.ResumeReading"/> (the listener asks the first, with the Register), so what the connection holds
    /// unread is bounded by one read; in push mode, reads went on at socket speed until a SuspendReading was processed,
    /// megabytes later. One read stays asked for while idle, so a client's FIN or reset is noticed.
    /// </summary>
    private bool _readRequested = true;

    /// <summary>The next read is asked with the next write (see the <see cref="Tcp.Received"/> case).</summary>
    private bool _readWithWrite;

    /// <summary>An upgrade request is with its handler: what arrives meanwhile is kept for the WebSocket.</summary>
    private bool _upgrading;
    private WebSocketSession? _webSocket;
    private bool _webSocketEnding;

    public HttpConnectionActor(IActorRef tcp, EndPoint remote, ServerSettings settings, IRequestRouter router,
        HttpResponseRenderer renderer, ListenerTelemetry listener, bool rejectOverCapacity)
    {
        _tcp = tcp;
        _settings = settings;
        _router = router;
        _reader = new RequestReader(settings.Parsing, remote, router.HasBodyLimits ? BodyLimitsOf(router, settings.Parsing) : null);
        _provider = ((IInternalActorRef)Self).Provider;
        _timeouts = new ConnectionTimeouts(settings, static self => ((IActorRef)self!).Tell(CheckTimeouts.Instance), Self);
        _listener = listener;
        _telemetry = new ExchangeTelemetry(_log, remote, listener.Local, settings.AccessLog, settings.Clock);
        _render = new ExchangeRenderer(renderer, _writer, _upload, _telemetry);
        if (HttpMetrics.ConnectionDuration.Enabled) _openedAt = settings.Clock.GetTimestamp();
        // Over max-connections the 503 is written once the listener says it registered us with the transport.
        if (rejectOverCapacity) StopParsing(CloseReason.OverCapacity);
    }

    /// <summary>Props for one connection, built with a producer (one per accepted socket; an expression would be compiled each time).</summary>
    public static Props Props(IActorRef tcp, EndPoint remote, ServerSettings settings, IRequestRouter router,
        HttpResponseRenderer renderer, ListenerTelemetry listener, bool rejectOverCapacity)
    {
        var props = Akka.Actor.Props.CreateBy(new Producer(tcp, remote, settings, router, renderer, listener, rejectOverCapacity))
            .WithMailbox(ConnectionMailbox.ConfigPath);
        return string.IsNullOrEmpty(settings.Dispatcher) ? props : props.WithDispatcher(settings.Dispatcher);
    }

    private sealed class Producer(IActorRef tcp, EndPoint remote, ServerSettings settings, IRequestRouter router,
        HttpResponseRenderer renderer, ListenerTelemetry listener, bool reject) : IIndirectActorProducer
    {
        public Type ActorType => typeof(HttpConnectionActor);
        public ActorBase Produce() => new HttpConnectionActor(tcp, remote, settings, router, renderer, listener, reject);
        public void Release(ActorBase actor) { }
    }

    /// <summary>The clock, read once per message (<see cref="AroundReceive"/>): a message's work takes microseconds, and a pipelined batch would otherwise read it several times per request.</summary>
    private long Now { get; set; }

    protected override bool AroundReceive(Receive receive, object message)
    {
        Now = _timeouts.Now;
        return base.AroundReceive(receive, message);
    }

    protected override void PreStart() => ScheduleTimeoutCheck();

    protected override void PostStop()
    {
        _timeouts.Dispose();
        if (!_transportClosed) _tcp.Tell(Tcp.Abort.Instance);
        if (_webSocket != null)
        {
            _webSocket.OnConnectionLost("the connection closed");
            HttpMetrics.UpgradedConnections.Add(-1, _listener.Tags);
        }
        AbandonQueued();
        _exchanges.CancelStreams();
        if (_upload.Streaming) _upload.Fail(StatusCodes.BadRequest, "the connection closed");
        _writer.Release();
        if (_closeReason != CloseReason.None) _log.Debug("closed: {0}", _closeReason);
        if (_openedAt != 0 && HttpMetrics.ConnectionDuration.Enabled)
            HttpMetrics.ConnectionDuration.Record(_settings.Clock.GetElapsedTime(_openedAt).TotalSeconds, _listener.Tags);
        Context.Parent.Tell(ConnectionStopped.Instance);
    }

    // ------------------------------------------------------------------ Open

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Tcp.Received received:
                _readRequested = false;
                if (_phase >= ConnectionPhase.Answering || received.Data.IsEmpty)
                {
                    if (_upgrading) _reader.Append(received.Data); // reading is suspended: at most the read asked before
                    RequestRead(); // otherwise the rest is drained unread, as long as the client sends
                    return;
                }
                _timeouts.LastActivityAt = Now;
                HttpMetrics.BytesReceived.Add(received.Data.Count);
                _reader.Append(received.Data);
                ProcessInput();
                // While a handler works on what was read, the next read is asked together with the answer's write: the
                // transport then takes both in one turn of its mailbox (a keep-alive client sends nothing more until
                // it has the answer anyway), instead of being woken once for the read and once for the write.
                if (_exchanges.FrontAwaitsReply && !_upload.Streaming && !_writer.AwaitingAck) _readWithWrite = true;
                else RequestRead();
                break;
            case ResponseSlot slot:
                OnReply(slot.Sequence, slot.FirstMessage);
                break;
            case HandlerReply reply:
                OnReply(reply.Sequence, reply.Message);
                break;
            case WriteAck:
                _writer.OnAck();
                _timeouts.LastActivityAt = Now; // a write lasts until its ack: the idle time starts after it
                Flush();
                break;
            case CheckTimeouts:
                OnCheckTimeouts();
                break;
            case WriteDeferred:
                _writer.DeferralExpired();
                Flush();
                break;
            case DrainConnection:
                OnDrain();
                break;
            case ShutdownDeadlinePassed:
                _drain = Drain.PastDeadline;
                _exchanges.AnswerWaiting(ShuttingDown); // a late reply is dropped
                OnDrain();
                break;
            case RejectOverCapacity when _closeReason == CloseReason.OverCapacity:
                // Answer instead of resetting: the client learns why and may retry.
                _exchanges.Enqueue(HttpProtocol.Http11, isHead: false, keepAlive: false, TooManyConnections, Now, _timeouts.ResponseTimeout);
                Flush();
                break;
            case Tcp.PeerClosed:
                // Answer every complete request the client sent (some may wait behind the pipelining limit), then close.
                // An event stream would never end by itself: a client that closed its side is gone, so it ends now.
                _peerClosed = true;
                _exchanges.EndEventStreams();
                ProcessInput();
                break;
            case Tcp.ConnectionClosed or Tcp.CommandFailed:
                OnTransportGone(message);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>Parses and dispatches what the pipelining limit allows, and a streamed body as far as its handler's window allows.</summary>
    private void ProcessInput()
    {
        if (_processing) return;
        _processing = true;
        _reader.BeginBatch();
        var needMoreData = true;
        try
        {
            while (_phase == ConnectionPhase.Open && _reader.HasData)
            {
                if (!MayParse)
                {
                    _upload.NotePaused(Now);
                    SetReading(suspended: true);
                    needMoreData = false;
                    break;
                }
                var status = _reader.Next();
                if (status == ParseStatus.NeedMoreData) break;
                switch (status)
                {
                    case ParseStatus.RequestReady:
                        Dispatch(_reader.Parser.Request);
                        _reader.Parser.ForgetLast();
                        break;
                    case ParseStatus.BodyPart:
                        if (_upload.OnPart(_reader.Parser.BodyPart, _reader.Parser.BodyPartIsLast)) StopParsing(CloseReason.Requested);
                        _reader.Parser.ForgetLast();
                        AnswerDecodeFailure();
                        break;
                    case ParseStatus.ContinueExpected:
                        _exchanges.EnqueueContinue(Now);
                        break;
                    case ParseStatus.Error:
                        var error = _reader.Parser.Error!;
                        if (_settings.LogRequests) _log.Debug("rejected request: {0}", error);
                        HttpMetrics.ParseErrors.Add(1, new KeyValuePair<string, object?>("reason", error.Reason));
                        Reject(error.Status, error.Reason);
                        break;
                }
            }

            _reader.EndBatch(_timeouts, Now);

            // After the client's FIN, once every complete request is parsed, what is left can never complete.
            if (_peerClosed && needMoreData && _phase == ConnectionPhase.Open)
            {
                StopParsing(CloseReason.PeerClosed);
                if (_upload.Streaming) FailUpload(StatusCodes.BadRequest, "the client closed before the body was complete");
            }
        }
        finally
        {
            _processing = false;
        }
        Flush();
    }

    /// <summary>
    /// True while more input may be parsed: fewer requests outstanding than the pipelining limit (a streamed body goes on
    /// being parsed past it: its handler may be waiting for it), and no streamed body waiting for its handler.
    /// </summary>
    private bool MayParse =>
        (_exchanges.Count + _writer.UnacknowledgedResponses < _settings.PipeliningLimit || _upload.Streaming) && !_upload.Paused;

    /// <summary>Answers a request that cannot be read on; a streamed body whose request is with its handler gets the error as its response.</summary>
    private void Reject(int status, string reason)
    {
        StopParsing(CloseReason.BadRequest);
        if (_upload.Streaming) FailUpload(status, reason);
        else _exchanges.Enqueue(HttpProtocol.Http11, isHead: false, keepAlive: false, HttpResponse.Error(status, reason), Now, _timeouts.ResponseTimeout);
    }

    private void Dispatch(ParsedRequest parsed)
    {
        var request = parsed.Request;
        var keepAlive = parsed.KeepAlive && _drain == Drain.None;
        // A streamed body must still be read: parsing stops after it instead (RequestBodyPump.OnPart).
        if (!keepAlive && !request.BodyStreamed) StopParsing(_drain == Drain.None ? CloseReason.Requested : CloseReason.Shutdown);

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
        if (_drain == Drain.PastDeadline) decision = RouteDecision.Respond(ShuttingDown);
        if (decision is { WebSocket: true, Handler: not null }) decision = CheckUpgrade(decision);

        RequestBodyDecoder? bodyDecoder = null;
        ByteString? codedBody = null;
        if (decision.Settings is { } route) decision = ApplyRouteSettings(route, decision, out bodyDecoder, out codedBody);

        var sequence = _exchanges.Enqueue(request.Protocol, ReferenceEquals(request.Method, HttpMethods.Head), keepAlive,
            decision.Response, Now, decision.Settings?.ResponseTimeoutMs ?? _timeouts.ResponseTimeout);
        ref var exchange = ref _exchanges.Newest;
        if (decision.Settings?.Compressor is { } compressor)
        {
            exchange.Compressor = compressor;
            exchange.Coding = compressor.Negotiate(request);
        }
        exchange.Request = decision.Request is { WebSocket: not null } upgrade ? upgrade : request; // the 101 is rendered from its handshake
        exchange.WebSocketStreaming = decision.Settings?.WebSocketStreaming;
        exchange.Route = decision.Route;
        if (request.BodyStreamed || codedBody != null) _upload.Start(sequence, keepAlive, bodyDecoder);
        if (codedBody != null && _upload.OnPart(codedBody, last: true)) StopParsing(CloseReason.Requested);
        if (_settings.LogRequests) _log.Debug("#{0} {1}", sequence, request);
        var traceContext = _telemetry.Begin(ref exchange, request, decision.Route);
        if (decision.Handler is null) return;
        var forHandler = traceContext == default ? decision.Request : decision.Request! with { TraceContext = traceContext };
        decision.Handler.Tell(forHandler, new ResponseSlot(Self, _provider, sequence));
    }

    /// <summary>The body limits of each request's route, asked by the parser once a head with a body is parsed.</summary>
    private static Func<string, string, BodyLimits?> BodyLimitsOf(IRequestRouter router, ParserSettings parsing) =>
        (method, path) => router.SettingsFor(method, path) is { HasBodyLimits: true } route ? route.BodyLimitsFrom(parsing) : null;

    /// <summary>
    /// A dispatched request to a route that decodes request bodies. A whole body is decoded here, if its decoded size
    /// stays within what a whole body may be (the stream threshold, unless the route never streams); larger, it reaches
    /// the handler streamed, as a plain body that large would: the coded bytes go to the body pump
    /// (<paramref name="codedBody"/>) with a <paramref name="streamDecoder"/>, decoded as the handler reads. A streamed
    /// body gets its decoder for its parts. The route's size limit applies to the decoded bytes; a body that cannot be
    /// decoded is answered at once (413, 415, 400; closing when the body is not all read).
    /// </summary>
    private RouteDecision ApplyRouteSettings(RouteSettings route, RouteDecision decision, out RequestBodyDecoder? streamDecoder, out ByteString? codedBody)
    {
        (streamDecoder, codedBody) = (null, null);
        if (decision is not { Handler: not null, Request: { } request } || route.Compression is not { DecodeRequests: true }) return decision;
        var limit = route.MaxBodySize(_settings.Parsing);
        HttpResponse? error;
        if (!request.BodyStreamed)
        {
            var wholeLimit = route.Limits?.StreamRequestBody == false ? limit : Math.Min(limit, _settings.Parsing.StreamBodyThreshold);
            var decoded = RequestBodyDecoder.Decode(request, wholeLimit, out error);
            if (error == null) return decision with { Request = decoded };
            if (error.Status == StatusCodes.PayloadTooLarge && wholeLimit < limit)
            {
                streamDecoder = RequestBodyDecoder.For(request, limit, out _);
                codedBody = request.Body;
                return decision with { Request = RequestBodyDecoder.Decoded(request, ByteString.Empty) with { BodyStreamed = true } };
            }
        }
        else
        {
            streamDecoder = RequestBodyDecoder.For(request, limit, out error);
            if (streamDecoder != null) return decision with { Request = RequestBodyDecoder.Decoded(request, request.Body) };
            if (error == null) return decision;
            error = error with { CloseConnection = true }; // the body is never read
        }
        if (_settings.LogRequests) _log.Debug("refused request body: {0}", error.BodyAsString().TrimEnd());
        return decision with { Handler = null, Request = null, Response = error };
    }

    /// <summary>
    /// A request to a WebSocket route: a bad handshake is answered here (400, or 426 for the version); a valid one goes to
    /// the handler with its handshake, and nothing more is parsed: what follows the request is the WebSocket's (or, if
    /// the handler refuses, the connection closes after its answer).
    /// </summary>
    private RouteDecision CheckUpgrade(RouteDecision decision)
    {
        switch (WebSocketHandshake.Evaluate(decision.Request!))
        {
            case WebSocketHandshakeResult.Rejected rejected:
                if (_settings.LogRequests) _log.Debug("refused WebSocket handshake: {0}", rejected.Reason);
                return RouteDecision.Respond(rejected.Response, decision.Route);
            case WebSocketHandshakeResult.Accepted handshake:
                StopParsing(CloseReason.Upgrade);
                _upgrading = true;
                SetReading(suspended: true);
                return decision with { Request = decision.Request! with { WebSocket = handshake } };
            default:
                return decision; // no Upgrade: plain HTTP
        }
    }

    private void OnReply(long sequence, object message)
    {
        if (message is RequestBodyStream.Read)
        {
            OnUploadRead(sequence);
            return;
        }
        var outcome = _exchanges.Accept(sequence, message, Sender, out var problem);
        if (_peerClosed || _drain != Drain.None) _exchanges.EndEventStreams(); // one that starts now ends at once
        if (problem != null) _log.Warning(problem);
        if (outcome == ReplyOutcome.Late && _settings.LogRequests) _log.Debug("dropped late reply to #{0}", sequence);
        if (outcome == ReplyOutcome.Ready) Flush();
    }

    private void OnUploadRead(long sequence)
    {
        var wasPaused = _upload.Paused;
        if (_upload.OnRead(sequence, Sender, Now))
        {
            ref var exchange = ref _exchanges.Find(sequence, out var found);
            if (found && exchange.Response == null) exchange.Deadline = Now + exchange.Timeout; // the handler is working
        }
        if (AnswerDecodeFailure())
        {
            Flush();
            return;
        }
        if (wasPaused && !_upload.Paused && _phase < ConnectionPhase.Closing) Flush(); // resumes reading
    }

    /// <summary>The streamed body cannot complete: its request is answered with the error (unless it already was), then the connection closes.</summary>
    private void FailUpload(int status, string reason)
    {
        var (sequence, error) = _upload.Fail(status, reason);
        AnswerUploadFailure(sequence, error);
    }

    /// <summary>A coded streamed body that did not decode (413, 400; the pump found out as its handler read): answered as <see cref="FailUpload"/>.</summary>
    private bool AnswerDecodeFailure()
    {
        if (!_upload.TakeDecodeFailure(out var sequence, out var error)) return false;
        if (_settings.LogRequests) _log.Debug("refused request body: {0}", error.BodyAsString().TrimEnd());
        AnswerUploadFailure(sequence, error);
        return true;
    }

    private void AnswerUploadFailure(long sequence, HttpResponse error)
    {
        StopParsing(CloseReason.BadRequest);
        ref var exchange = ref _exchanges.Find(sequence, out var found);
        if (found && exchange.Response == null) exchange.Response = error;
    }

    // ------------------------------------------------------------------ writing

    /// <summary>Renders answered exchanges from the front, in order, and writes them if no write is outstanding.</summary>
    private void Flush()
    {
        var rendering = true;
        while (rendering && _exchanges.Count > 0)
        {
            switch (_render.RenderFront(ref _exchanges.Front, IsLastResponse, Now))
            {
                case RenderOutcome.Complete:
                    _exchanges.Dequeue();
                    break;
                case RenderOutcome.CompleteAndClose:
                    _exchanges.Dequeue();
                    CloseAfterWrite(CloseReason.Requested);
                    break;
                case RenderOutcome.Upgraded:
                    var upgraded = _exchanges.Front;
                    _exchanges.Dequeue();
                    OpenWebSocket(upgraded.Upgrade!, upgraded.Request!, upgraded.WebSocketStreaming);
                    return;
                case RenderOutcome.Broken:
                    var broken = _exchanges.Front.Stream!;
                    if (!TruncateStream(broken.Problem!, broken.Framing)) return;
                    rendering = false;
                    break;
                default:
                    rendering = false;
                    break;
            }
        }

        switch (_writer.Decide(_exchanges.FrontAwaitsReply))
        {
            case WriteDecision.Defer:
                Self.Tell(WriteDeferred.Instance);
                break;
            case WriteDecision.Write:
                var now = Now;
                _tcp.Tell(Tcp.Write.Create(_writer.TakeWrite(now, out var ackedProducers), WriteAck.Instance));
                if (_readWithWrite)
                {
                    _readWithWrite = false;
                    RequestRead();
                }
                HttpMetrics.BytesSent.Add(_writer.LastWriteLength);
                _timeouts.LastActivityAt = now;
                if (ackedProducers && _exchanges.Count > 0 && _exchanges.Front.Stream is { Producer: not null }) _exchanges.Front.Deadline = now + _exchanges.Front.Timeout;
                break;
            case WriteDecision.Wait when _writer.IsIdle && ShouldClose:
                BeginClosing();
                return;
        }
        if (_readingSuspended && _phase == ConnectionPhase.Open && MayParse)
        {
            SetReading(suspended: false);
            ProcessInput();
        }
        ScheduleTimeoutCheck();
    }

    /// <summary>Everything is written and nothing more will be: the last response went, the client left, or a drain found nothing to finish.</summary>
    private bool ShouldClose => _phase == ConnectionPhase.LastWrite
        || (_exchanges.Count == 0 && ((_peerClosed && _phase >= ConnectionPhase.Answering) || (_drain != Drain.None && !_reader.Parser.InProgress)));

    /// <summary>The front exchange is the last response this connection will send.</summary>
    private bool IsLastResponse => _exchanges.Count == 1 && (_phase >= ConnectionPhase.Answering || (_drain != Drain.None && !_reader.Parser.InProgress));

    /// <summary>Stops asking for reads (the read already asked may still come), or goes back to reading.</summary>
    private void SetReading(bool suspended)
    {
        if (_readingSuspended == suspended) return;
        _readingSuspended = suspended;
        RequestRead();
    }

    /// <summary>Asks the transport for the next read, unless one is asked already or reading is suspended.</summary>
    private void RequestRead()
    {
        if (_readRequested || _readingSuspended || _transportClosed) return;
        _readRequested = true;
        _tcp.Tell(Tcp.ResumeReading.Instance);
    }

    private void StopParsing(CloseReason reason)
    {
        if (_phase >= ConnectionPhase.Answering) return;
        _phase = ConnectionPhase.Answering;
        _closeReason = reason;
    }

    /// <summary>A closing response is rendered: once it is written the connection closes, and nothing more is answered.</summary>
    private void CloseAfterWrite(CloseReason reason)
    {
        StopParsing(reason);
        _phase = ConnectionPhase.LastWrite;
        AbandonQueued();
        _exchanges.Clear(); // pipelined requests behind it are never answered; their producers are told to stop
    }

    /// <summary>The queued exchanges will never be answered: their spans end, they are no longer active requests.</summary>
    private void AbandonQueued()
    {
        for (var i = 0; i < _exchanges.Count; i++) _telemetry.Abandon(ref _exchanges.At(i));
    }

    /// <summary>
    /// A streamed response that cannot be completed. With chunked or sized framing, closing (FIN) after what is pending
    /// says "truncated" unambiguously and keeps earlier pipelined responses intact; a close-delimited body would look
    /// complete at a FIN, so there only a reset tells the truth. Returns false when the connection is aborted.
    /// </summary>
    private bool TruncateStream(string problem, BodyFraming framing)
    {
        _log.Warning("streamed response {0}; closing the connection to truncate it", problem);
        if (framing == BodyFraming.CloseDelimited)
        {
            Abort(CloseReason.StreamBroken);
            return false;
        }
        CloseAfterWrite(CloseReason.StreamBroken);
        return true;
    }

    /// <summary>Stops with a reset: nothing more is written (PostStop aborts the socket and cancels the producers).</summary>
    private void Abort(CloseReason reason)
    {
        StopParsing(reason);
        _phase = ConnectionPhase.Aborted;
        Context.Stop(Self);
    }

    private void OnDrain()
    {
        if (_drain == Drain.None) _drain = Drain.Draining;
        _exchanges.EndEventStreams(); // endless: waiting for them would only hold the shutdown until its deadline
        if (!_reader.Parser.InProgress) StopParsing(CloseReason.Shutdown); // answer what was parsed; the last response says close
        Flush();
    }

    // ------------------------------------------------------------------ timeouts

    private void OnCheckTimeouts()
    {
        _timeouts.Woken();
        var now = Now;
        TimeoutReason reason;
        while ((reason = _timeouts.Check(now, TimeoutState())) != TimeoutReason.None)
        {
            switch (reason)
            {
                case TimeoutReason.Send:
                    _log.Debug("client stopped reading for {0}; aborting", _settings.SendTimeout);
                    Abort(CloseReason.SendTimeout);
                    return;
                case TimeoutReason.Stream:
                    var stream = _exchanges.Front.Stream!;
                    stream.Cancel();
                    if (!TruncateStream($"got no chunk from its producer within {TimeSpan.FromMilliseconds(_exchanges.Front.Timeout)}", stream.Framing)) return;
                    break;
                case TimeoutReason.Response:
                    _exchanges.AnswerWaiting(HandlerLate, onlyOverdueAt: now);
                    break;
                case TimeoutReason.RequestHead:
                    Reject(StatusCodes.RequestTimeout, "request head not received in time");
                    break;
                case TimeoutReason.RequestBody:
                    Reject(StatusCodes.RequestTimeout, "request body not received in time");
                    break;
                case TimeoutReason.Idle:
                    StopParsing(CloseReason.Idle);
                    BeginClosing(); // an idle keep-alive connection may simply be closed (RFC 9112 §9.8)
                    return;
                case TimeoutReason.Linger:
                    Context.Stop(Self); // PostStop aborts
                    return;
                case TimeoutReason.Session:
                    ApplyWebSocket(_webSocket!.OnDeadline(now));
                    return;
            }
        }
        if (_phase == ConnectionPhase.Closing) ScheduleTimeoutCheck();
        else if (_webSocket != null) ApplyWebSocket(SessionStep.Continue);
        else Flush(); // renders what was answered, and reschedules
    }

    /// <summary>The state the deadlines depend on, from the parts.</summary>
    private TimeoutInputs TimeoutState()
    {
        if (_webSocket != null)
            return new TimeoutInputs(_phase == ConnectionPhase.Closing, _writer.AwaitingAck, _writer.WriteStartedAt, long.MaxValue,
                long.MaxValue, ReadingPhase.None, 0, Idle: false, SessionDeadline: _webSocket.NextDeadline);
        var front = _exchanges.Count > 0 ? _exchanges.Front.Stream : null;
        // An event stream's producer owes nothing: quiet is its normal state (only the send timeout guards its writes).
        var streamStalled = front is { HeadRendered: true, Producer: not null, HasQueued: false, IsEventStream: false } && !_writer.HasAcksOwed;
        var reading = _phase != ConnectionPhase.Open || !_reader.Parser.InProgress || _upload.Paused ? ReadingPhase.None
            : _reader.Parser.ReadingBody ? ReadingPhase.Body : ReadingPhase.Head;
        return new TimeoutInputs(
            Closing: _phase == ConnectionPhase.Closing,
            AwaitingAck: _writer.AwaitingAck,
            WriteStartedAt: _writer.WriteStartedAt,
            StreamDeadline: streamStalled ? _exchanges.Front.Deadline : long.MaxValue,
            ReplyDeadline: _exchanges.EarliestReplyDeadline(),
            Reading: reading,
            BodyAllowance: _upload.Allowance(_settings.MinRequestBodyRate),
            Idle: reading == ReadingPhase.None && _exchanges.Count == 0 && _writer.IsIdle && _phase < ConnectionPhase.LastWrite);
    }

    private void ScheduleTimeoutCheck() => _timeouts.WakeBy(TimeoutState());

    // ------------------------------------------------------------------ Closing

    /// <summary>
    /// Half-closes (FIN after the queued writes) and keeps reading until the peer closes too, so unread client bytes
    /// cannot turn the close into a reset that would destroy the last response at the client.
    /// </summary>
    private void BeginClosing()
    {
        _tcp.Tell(_peerClosed ? Tcp.Close.Instance : Tcp.ConfirmedClose.Instance);
        SetReading(suspended: false);
        _phase = ConnectionPhase.Closing;
        _timeouts.StartLinger(Now, _writer.LastWriteLength);
        _timeouts.Woken();
        ScheduleTimeoutCheck();
        Become(Closing);
    }

    private void Closing(object message)
    {
        switch (message)
        {
            case Tcp.Received:
                _readRequested = false;
                RequestRead(); // drained unread until the peer closes
                break;
            case Tcp.ConnectionClosed:
                _transportClosed = true;
                Context.Stop(Self);
                break;
            case WriteAck:
                _writer.OnAck();
                break;
            case CheckTimeouts:
                OnCheckTimeouts();
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

    /// <summary>The transport closed (the actor stops) or refused a command (the connection is aborted).</summary>
    private void OnTransportGone(object message)
    {
        if (message is Tcp.CommandFailed failed)
        {
            _log.Warning("transport command failed: {0}; aborting connection", failed.Cmd);
            Abort(CloseReason.TransportError);
            return;
        }
        if (message is Tcp.ErrorClosed error) _log.Debug("connection error: {0}", error.Cause);
        _transportClosed = true;
        Context.Stop(Self);
    }

    /// <summary>A reply while closing: a Read learns the body's settled outcome, a stream is told to stop.</summary>
    private void OnLateReply(long sequence, object message)
    {
        if (message is RequestBodyStream.Read) OnUploadRead(sequence);
        else ExchangeQueue.CancelIfStream(message, Sender);
    }

    private static HttpResponse Unavailable(string reason) =>
        HttpResponse.Error(StatusCodes.ServiceUnavailable, reason) with { Headers = [new HttpHeader("Retry-After", "1")] };
}
