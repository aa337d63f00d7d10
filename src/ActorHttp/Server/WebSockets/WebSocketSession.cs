using Akka.Actor;
using Akka.IO;
using ActorHttp.Protocol.WebSockets;
using ActorHttp.Server.Connection;

namespace ActorHttp.Server.WebSockets;

/// <summary>What the connection should do after the session took an event (see <see cref="WebSocketSession"/>).</summary>
internal enum SessionStep : byte
{
    /// <summary>Write what is pending; the socket stays open.</summary>
    Continue,
    /// <summary>The close handshake is over (or the socket failed): write what is pending, then close the connection.</summary>
    Close,
    /// <summary>Drop the connection now: the client never answered the Close frame.</summary>
    Abort,
}

/// <summary>
/// One upgraded connection's WebSocket (RFC 6455), without actors or sockets: parses the client's frames and tells the
/// handler each message (one past the stream threshold through a <see cref="MessageStreamPump"/>, as its reader pulls
/// it), answers pings, renders what is sent into the connection's <see cref="ResponseWriter"/> (acks owed to the
/// producers that asked), bounds what a slow client holds, runs the close handshake, and keeps the keep-alive, idle and
/// close deadlines. The connection actor feeds it, carries out the <see cref="SessionStep"/>s, and reads from the socket
/// only while <see cref="HoldsReading"/> is false.
/// <para>
/// States: <c>Open</c> → <c>CloseSent</c> (the server's Close frame is out; waiting for the client's) → <c>Closed</c>,
/// or <c>Open</c> → <c>Closed</c> when the client closes first (its Close frame is echoed) or breaks the protocol.
/// The handler is told <see cref="WebSocketClosed"/> exactly once, when the socket reaches <c>Closed</c> or the
/// connection is lost.
/// </para>
/// </summary>
internal sealed class WebSocketSession
{
    private enum State : byte { Open, CloseSent, Closed }

    private readonly WebSocketFrameParser _parser;
    private readonly MessageStreamPump _stream;
    private readonly ResponseWriter _writer;
    private readonly IActorRef _socket;
    private readonly long _maxPending, _pingInterval, _idleTimeout, _closeTimeout;
    private State _state;
    private long _lastReceivedAt, _lastPingAt = long.MinValue, _closeSentAt;
    private int _closeSentCode;
    private string _closeSentReason = "";
    private bool _handlerTold;

    /// <summary>Received bytes not parsed yet: what followed a streamed message, kept until its reader has read Completed.</summary>
    private ByteString _unparsed = ByteString.Empty;

    /// <param name="settings">Limits, streaming and timers (a route's streaming applied).</param>
    /// <param name="socket">The connection actor: the sender of the messages the handler gets.</param>
    /// <param name="handler">The actor that gets the socket's messages.</param>
    /// <param name="writer">The connection's output.</param>
    /// <param name="now">The clock's time in ms: the quiet time starts now.</param>
    public WebSocketSession(WebSocketSettings settings, IActorRef socket, IActorRef handler, ResponseWriter writer, long now)
    {
        _parser = new WebSocketFrameParser((int)Math.Min(settings.MaxMessageSize, Array.MaxLength), settings.StreamMessageThreshold,
            settings.MaxStreamedMessageSize);
        _stream = new MessageStreamPump(socket);
        _socket = socket;
        Handler = handler;
        _writer = writer;
        _maxPending = settings.MaxPendingBytes;
        _pingInterval = Ms(settings.KeepAliveInterval);
        _idleTimeout = Ms(settings.IdleTimeout);
        _closeTimeout = (long)settings.CloseTimeout.TotalMilliseconds;
        _lastReceivedAt = now;
    }

    /// <summary>The actor that gets the socket's messages.</summary>
    public IActorRef Handler { get; }

    /// <summary>
    /// The socket must not be read on: a streamed message's reader has a window unread, or has not read the end of a
    /// message after which more was received. The client cannot be heard meanwhile, so its quiet time does not count.
    /// </summary>
    public bool HoldsReading => _state == State.Open && _stream.HoldsReading;

    /// <summary>Bytes from the client (any piece of the frame stream).</summary>
    public SessionStep OnReceived(ByteString data, long now)
    {
        _lastReceivedAt = now;
        // Bytes held for a streamed message's reader are followed by more only if a read asked before the hold comes in
        // (a rare join, copied once).
        _unparsed = _unparsed.IsEmpty ? data : (_unparsed + data).Compact();
        return Parse();
    }

    /// <summary>
    /// A Read from the reader of the streamed message, answered now or when the next part arrives. Once it makes room
    /// (or reads Completed) the socket is read again, what was held back is parsed, and the client's quiet time starts
    /// afresh: it could not be heard while the reader held the socket.
    /// </summary>
    public SessionStep OnRead(IActorRef reader, long now)
    {
        var held = HoldsReading;
        _stream.OnRead(reader);
        if (!held || HoldsReading) return SessionStep.Continue;
        _lastReceivedAt = now;
        return Parse();
    }

    /// <summary>
    /// Parses what was received, event by event; after a streamed message's end, the rest waits in
    /// <see cref="_unparsed"/> until its reader has read Completed (the next message must not overtake its parts).
    /// </summary>
    private SessionStep Parse()
    {
        var data = _unparsed;
        var bytes = data.ToReadOnlySpan(); // one piece: no copy
        var at = 0;
        while (at < bytes.Length && _state != State.Closed && !_stream.AwaitsLastRead)
        {
            var status = _parser.Parse(bytes[at..], out var consumed);
            at += consumed;
            switch (status)
            {
                case WebSocketParseStatus.NeedMoreData:
                    break; // everything was consumed
                case WebSocketParseStatus.Message:
                    // After our Close frame the client's data messages are no longer delivered (RFC 6455 §5.5.1).
                    if (_state == State.Open) Handler.Tell(_parser.Message!, _socket);
                    break;
                case WebSocketParseStatus.MessageStreamStart:
                    if (_state != State.Open) break; // its parts are dropped as the whole message would be
                    _stream.Start(Handler);
                    Handler.Tell(new WebSocketMessageStream.Started(_socket, _parser.MessageIsText), _socket);
                    _stream.OnPart(_parser.Part, last: false);
                    break;
                case WebSocketParseStatus.MessagePart:
                    _stream.OnPart(_parser.Part, _parser.PartIsLast);
                    break;
                case WebSocketParseStatus.Ping:
                    if (_state == State.Open) WebSocketFrameRenderer.RenderPong(_parser.ControlPayload, _writer.Pending);
                    break;
                case WebSocketParseStatus.Pong:
                    break; // an answer to our keep-alive ping: receiving it was the point
                case WebSocketParseStatus.Close:
                    _unparsed = ByteString.Empty;
                    return OnClientClose(_parser.CloseCode, _parser.CloseReason);
                case WebSocketParseStatus.Error:
                    _unparsed = ByteString.Empty;
                    var error = _parser.Error!;
                    return Fail(error.CloseCode, error.Reason);
            }
        }
        _unparsed = at < bytes.Length && _state != State.Closed ? data.Slice(at) : ByteString.Empty;
        return _state == State.Closed ? SessionStep.Close : SessionStep.Continue;
    }

    /// <summary>A message to send; <paramref name="sender"/> gets the send's Ack once the frame is with the socket.</summary>
    public SessionStep Send(WebSocketSend send, IActorRef sender)
    {
        if (_state != State.Open) return SessionStep.Continue; // closing: nothing more is sent
        WebSocketFrameRenderer.RenderMessage(send.Message, _writer.Pending);
        if (send.Ack != null) _writer.OweAck(sender, send.Ack);
        if (_writer.BufferedBytes <= _maxPending) return SessionStep.Continue;
        // The client reads slower than its producers send: the frames it will never get go, and it is told why.
        _writer.DiscardPending();
        return Fail(WebSocketCloseCodes.PolicyViolation, "client too slow to read");
    }

    /// <summary>
    /// Starts the close handshake (the server's side): the client has close-timeout to answer. A streamed message not
    /// read to its end fails, and what was held back for its reader is parsed now (the client's Close may be in it).
    /// </summary>
    public SessionStep Close(int code, string reason, long now)
    {
        if (_state != State.Open) return SessionStep.Continue;
        if (!WebSocketCloseCodes.IsValid(code)) code = WebSocketCloseCodes.InternalError; // a handler's bad code must not reach the wire
        SendClose(code, reason, now);
        return Parse();
    }

    /// <summary>The deadlines: a keep-alive ping, the idle close, the client's late Close frame.</summary>
    public SessionStep OnDeadline(long now)
    {
        if (HoldsReading) return SessionStep.Continue; // a timer set before the hold: the client is not to blame for it
        switch (_state)
        {
            case State.CloseSent when now >= _closeSentAt + _closeTimeout:
                TellClosed(_closeSentCode, _closeSentReason);
                return SessionStep.Abort;
            case State.Open when now >= Add(_lastReceivedAt, _idleTimeout):
                SendClose(WebSocketCloseCodes.GoingAway, "idle timeout", now);
                return SessionStep.Continue;
            case State.Open when now >= Add(QuietSince, _pingInterval):
                WebSocketFrameRenderer.RenderPing([], _writer.Pending);
                _lastPingAt = now;
                return SessionStep.Continue;
            default:
                return SessionStep.Continue;
        }
    }

    /// <summary>When <see cref="OnDeadline"/> has something to do next, or <see cref="long.MaxValue"/>.</summary>
    public long NextDeadline => _state switch
    {
        State.Open when HoldsReading => long.MaxValue, // a ping's pong could not be read, nor anything else the client sent
        State.Open => Math.Min(Add(_lastReceivedAt, _idleTimeout), Add(QuietSince, _pingInterval)),
        State.CloseSent => _closeSentAt + _closeTimeout,
        _ => long.MaxValue,
    };

    /// <summary>The connection ended (the client left, or the server stops): the handler learns it if it has not.</summary>
    public void OnConnectionLost(string reason) => TellClosed(WebSocketClosed.AbnormalClosure, reason);

    /// <summary>The last time the client was heard from or pinged: a keep-alive ping goes one interval after it.</summary>
    private long QuietSince => Math.Max(_lastReceivedAt, _lastPingAt);

    private SessionStep OnClientClose(int? code, string reason)
    {
        if (_state == State.Open) WebSocketFrameRenderer.RenderClose(code, null, _writer.Pending); // echo its code (RFC 6455 §5.5.1)
        _state = State.Closed;
        TellClosed(code ?? WebSocketClosed.NoStatusReceived, reason);
        return SessionStep.Close; // the server closes the TCP connection first (RFC 6455 §7.1.1)
    }

    /// <summary>Fails the WebSocket connection (RFC 6455 §7.1.7): a Close frame with the reason, then the connection closes.</summary>
    private SessionStep Fail(int code, string reason)
    {
        if (_state == State.Open) WebSocketFrameRenderer.RenderClose(code, reason, _writer.Pending);
        _state = State.Closed;
        TellClosed(code, reason);
        return SessionStep.Close;
    }

    private void SendClose(int code, string reason, long now)
    {
        _stream.Fail(code, reason); // its parts will never all be read: data after our Close is dropped
        WebSocketFrameRenderer.RenderClose(code, reason, _writer.Pending);
        (_state, _closeSentAt, _closeSentCode, _closeSentReason) = (State.CloseSent, now, code, reason);
    }

    private void TellClosed(int code, string reason)
    {
        _state = State.Closed;
        _stream.Fail(code, reason); // before WebSocketClosed: the reader hears how its message ended first
        if (_handlerTold) return;
        _handlerTold = true;
        Handler.Tell(new WebSocketClosed(_socket, code, reason), _socket);
    }

    private static long Ms(TimeSpan? span) => span is { } s ? (long)s.TotalMilliseconds : long.MaxValue;

    private static long Add(long at, long span) => span == long.MaxValue ? long.MaxValue : at + span;
}
