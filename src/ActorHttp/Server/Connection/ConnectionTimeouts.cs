namespace ActorHttp.Server.Connection;

/// <summary>Which of a connection's deadlines has passed.</summary>
internal enum TimeoutReason : byte
{
    None,
    /// <summary>A write was not acknowledged within send-timeout: the client stopped reading.</summary>
    Send,
    /// <summary>
    /// A streamed response's producer owes its next chunk past response-timeout (its head is out). Never an event
    /// stream's: quiet is its normal state (<see cref="ResponseStreamState.IsEventStream"/>).
    /// </summary>
    Stream,
    /// <summary>A handler did not answer within response-timeout.</summary>
    Response,
    /// <summary>A request head was not complete within request-header-timeout.</summary>
    RequestHead,
    /// <summary>A request body was not complete within request-body-timeout (plus a streamed body's allowance).</summary>
    RequestBody,
    /// <summary>A keep-alive connection had no request for idle-timeout.</summary>
    Idle,
    /// <summary>A closing connection's peer did not close within the linger timeout.</summary>
    Linger,
    /// <summary>A WebSocket's own deadline (keep-alive ping, idle close, close handshake): see <c>WebSocketSession</c>.</summary>
    Session,
}

/// <summary>What the connection is reading at the moment, for the request deadlines.</summary>
internal enum ReadingPhase : byte
{
    /// <summary>Between requests (or not reading at all).</summary>
    None,
    /// <summary>A request head has begun.</summary>
    Head,
    /// <summary>A request body is being received.</summary>
    Body,
}

/// <summary>
/// The state the deadlines depend on, gathered by the connection from its parts each time it asks (all derived, so the
/// deadlines never disagree with the parts). Times in milliseconds of the connection's clock.
/// </summary>
/// <param name="Closing">FIN sent: only the linger deadline applies.</param>
/// <param name="AwaitingAck">A write is outstanding, since <paramref name="WriteStartedAt"/>.</param>
/// <param name="WriteStartedAt">When the outstanding write started.</param>
/// <param name="StreamDeadline">When the front streamed response's producer must send its next chunk, or MaxValue (also for an event stream).</param>
/// <param name="ReplyDeadline">The earliest deadline of an exchange waiting for its handler, or MaxValue.</param>
/// <param name="Reading">The request being read.</param>
/// <param name="BodyAllowance">Extra ms a streamed body has earned (see <see cref="RequestBodyPump.Allowance"/>).</param>
/// <param name="Idle">Nothing queued, nothing to write, no request begun: the idle timeout runs.</param>
/// <param name="SessionDeadline">An upgraded connection's next WebSocket deadline, or MaxValue.</param>
internal readonly record struct TimeoutInputs(
    bool Closing, bool AwaitingAck, long WriteStartedAt, long StreamDeadline, long ReplyDeadline, ReadingPhase Reading, long BodyAllowance, bool Idle,
    long SessionDeadline = long.MaxValue);

/// <summary>
/// Every deadline of one connection in one place: idle, request head, request body, handler response, stream chunk,
/// send and linger (the shutdown deadline is the listener's: it tells every connection at once). The connection marks
/// when things start; <see cref="Check"/> says which deadline has passed, <see cref="NextDeadline"/> when to look again,
/// and <see cref="WakeBy"/> sets the one timer that makes it look. Time is milliseconds of the injected clock, so tests
/// drive it with any numbers or a fake clock.
/// </summary>
internal sealed class ConnectionTimeouts : IDisposable
{
    private readonly TimeProvider _clock;
    private readonly ITimer _timer;
    private readonly long _idle, _header, _body, _send, _linger, _longLinger;
    private long _lingerFrom = long.MaxValue, _wakeAt = long.MaxValue;

    /// <summary>Writes larger than this may still sit in the kernel's buffer when acknowledged: they get longer to drain.</summary>
    internal const long LargeWrite = 64 * 1024;

    /// <param name="settings">The timeouts.</param>
    /// <param name="wake">Called (on a timer thread) when a deadline may have passed; the connection then calls <see cref="Check"/>.</param>
    /// <param name="state">Passed to <paramref name="wake"/>, so that it can be a static delegate.</param>
    public ConnectionTimeouts(ServerSettings settings, TimerCallback wake, object? state)
    {
        _clock = settings.Clock;
        _timer = _clock.CreateTimer(wake, state, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _idle = Ms(settings.IdleTimeout);
        _header = Ms(settings.RequestHeaderTimeout);
        _body = Ms(settings.RequestBodyTimeout);
        ResponseTimeout = Ms(settings.ResponseTimeout);
        _send = Ms(settings.SendTimeout);
        _linger = Ms(settings.LingerTimeout);
        _longLinger = Math.Max(_send, _linger);
        LastActivityAt = Now;
    }

    /// <summary>The clock's time in milliseconds.</summary>
    public long Now => _clock.GetMilliseconds();

    /// <summary>response-timeout in ms: the exchanges' deadlines are set with it.</summary>
    public long ResponseTimeout { get; }

    /// <summary>The last read, or the start or the acknowledgement of a write (the idle timeout counts from it).</summary>
    public long LastActivityAt { get; set; }

    /// <summary>When the first byte of the request being read was processed.</summary>
    public long RequestStartedAt { get; set; }

    /// <summary>When the body being read began.</summary>
    public long BodyStartedAt { get; set; }

    /// <summary>
    /// The connection half-closed after a last write of <paramref name="lastWriteLength"/> bytes. An acknowledged write
    /// may still sit in the kernel's send buffer, and the abort at the end of lingering would discard it: a last write
    /// larger than a send buffer therefore gets the send timeout to drain, small ones the linger timeout.
    /// </summary>
    public void StartLinger(long now, long lastWriteLength) =>
        _lingerFrom = now + (lastWriteLength > LargeWrite ? _longLinger : _linger);

    /// <summary>The deadline that has passed at <paramref name="now"/>, most severe first, or <see cref="TimeoutReason.None"/>.</summary>
    public TimeoutReason Check(long now, in TimeoutInputs state)
    {
        if (state.Closing) return now >= _lingerFrom ? TimeoutReason.Linger : TimeoutReason.None;
        if (state.AwaitingAck && now >= state.WriteStartedAt + _send) return TimeoutReason.Send;
        if (now >= state.StreamDeadline) return TimeoutReason.Stream;
        if (now >= state.ReplyDeadline) return TimeoutReason.Response;
        if (now >= state.SessionDeadline) return TimeoutReason.Session;
        switch (state.Reading)
        {
            case ReadingPhase.Head when now >= RequestStartedAt + _header:
                return TimeoutReason.RequestHead;
            case ReadingPhase.Body when now >= BodyDeadline(state):
                return TimeoutReason.RequestBody;
        }
        return state.Idle && now >= LastActivityAt + _idle ? TimeoutReason.Idle : TimeoutReason.None;
    }

    /// <summary>When the earliest deadline that applies falls, or <see cref="long.MaxValue"/> when none does.</summary>
    public long NextDeadline(in TimeoutInputs state)
    {
        if (state.Closing) return _lingerFrom;
        var next = Math.Min(Math.Min(state.StreamDeadline, state.ReplyDeadline), state.SessionDeadline);
        if (state.AwaitingAck) next = Math.Min(next, state.WriteStartedAt + _send);
        next = state.Reading switch
        {
            ReadingPhase.Head => Math.Min(next, RequestStartedAt + _header),
            ReadingPhase.Body => Math.Min(next, BodyDeadline(state)),
            _ => next,
        };
        return state.Idle ? Math.Min(next, LastActivityAt + _idle) : next;
    }

    /// <summary>
    /// Makes sure the wake-up comes by the earliest deadline of <paramref name="state"/>. The timer is moved only when the
    /// deadline is earlier than the one it is set for: a later one is found when it fires early and finds nothing.
    /// </summary>
    public void WakeBy(in TimeoutInputs state)
    {
        var at = NextDeadline(state);
        if (at >= _wakeAt || at == long.MaxValue) return;
        _wakeAt = at;
        _timer.Change(TimeSpan.FromMilliseconds(Math.Max(1, at - Now)), Timeout.InfiniteTimeSpan);
    }

    /// <summary>The wake-up came (or is to be set afresh): the next <see cref="WakeBy"/> sets the timer whatever it was.</summary>
    public void Woken() => _wakeAt = long.MaxValue;

    public void Dispose() => _timer.Dispose();

    private long BodyDeadline(in TimeoutInputs state) => BodyStartedAt + _body + state.BodyAllowance;

    private static long Ms(TimeSpan span) => (long)span.TotalMilliseconds;
}
