using Akka.Actor;
using Akka.IO;
using ActorHttp.Observability;
using ActorHttp.Protocol;
using ActorHttp.Protocol.WebSockets;
using ActorHttp.Server.Connection;
using ActorHttp.Server.WebSockets;

namespace ActorHttp.Server;

// The connection once upgraded to a WebSocket: behaviour WebSocketOpen, which carries out what its WebSocketSession
// part decides (the part owns the protocol; this file only plumbs it to Akka.IO, the handler and the timer).
internal sealed partial class HttpConnectionActor
{

    /// <summary>
    /// The 101 is rendered: the connection becomes the socket, streaming large messages as its route says
    /// (<paramref name="streaming"/>; null: as the server's settings). The handler hears of it before any message (both
    /// are told from here, in order); bytes the client sent after its handshake are the WebSocket's first.
    /// </summary>
    private void OpenWebSocket(WebSocketAccept accept, HttpRequest request, WebSocketStreaming? streaming)
    {
        var handler = accept.Handler!;
        _upgrading = false;
        _webSocket = new WebSocketSession(_settings.WebSocket.ForRoute(streaming), Self, handler, _writer, Now);
        HttpMetrics.UpgradedConnections.Add(1, _listener.Tags);
        Context.Watch(handler);
        handler.Tell(new WebSocketOpened(Self, request, accept.Subprotocol), Self);
        Become(WebSocketOpen);
        var rest = _reader.TakeRest();
        var step = rest.Length > 0 ? _webSocket.OnReceived(ByteString.FromBytes(rest), Now) : SessionStep.Continue;
        // The client half-closed while its upgrade was with the handler: no read would ever tell it again, so end now.
        ApplyWebSocket(_peerClosed ? SessionStep.Close : step);
    }

    private void WebSocketOpen(object message)
    {
        var session = _webSocket!;
        switch (message)
        {
            case Tcp.Received received:
                _readRequested = false;
                if (!received.Data.IsEmpty)
                {
                    _timeouts.LastActivityAt = Now;
                    HttpMetrics.BytesReceived.Add(received.Data.Count);
                    ApplyWebSocket(session.OnReceived(received.Data, Now));
                }
                RequestRead(); // unless the session holds reading for a streamed message's reader
                break;
            case WebSocketMessageStream.Read:
                ApplyWebSocket(session.OnRead(Sender, Now));
                break;
            case WebSocketSend send:
                ApplyWebSocket(session.Send(send, Sender));
                break;
            case WebSocketClose close:
                ApplyWebSocket(session.Close(close.Code, close.Reason, Now));
                break;
            case WriteAck:
                _writer.OnAck();
                _timeouts.LastActivityAt = Now;
                ApplyWebSocket(SessionStep.Continue);
                break;
            case CheckTimeouts:
                OnCheckTimeouts();
                break;
            case Terminated terminated when terminated.ActorRef.Equals(session.Handler):
                ApplyWebSocket(session.Close(WebSocketCloseCodes.GoingAway, "handler stopped", Now));
                break;
            case DrainConnection or ShutdownDeadlinePassed:
                ApplyWebSocket(session.Close(WebSocketCloseCodes.GoingAway, "server shutting down", Now));
                break;
            case Tcp.PeerClosed:
                _peerClosed = true; // no Close frame: the client went away
                session.OnConnectionLost("the client closed the connection");
                ApplyWebSocket(SessionStep.Close);
                break;
            case Tcp.ConnectionClosed or Tcp.CommandFailed:
                OnTransportGone(message);
                break;
            case ResponseSlot slot:
                OnLateReply(slot.Sequence, slot.FirstMessage);
                break;
            case HandlerReply reply:
                OnLateReply(reply.Sequence, reply.Message);
                break;
            case WriteDeferred:
                _writer.DeferralExpired();
                ApplyWebSocket(SessionStep.Continue);
                break;
            case RejectOverCapacity:
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>Carries out what the session decided: write what it rendered (one write at a time), close, or abort.</summary>
    private void ApplyWebSocket(SessionStep step)
    {
        if (step == SessionStep.Abort)
        {
            Abort(CloseReason.WebSocketClosed);
            return;
        }
        if (step == SessionStep.Close) _webSocketEnding = true;
        // Reading follows a streamed message's reader: held while it has a window (or the message's end) unread, asked
        // again as soon as it reads; so the socket's memory stays bounded whatever the client sends.
        SetReading(suspended: _webSocket!.HoldsReading);
        // The first frame of a burst waits one turn of the mailbox (as pipelined responses do), so the sends already on
        // their way (a handler answering a batch of messages) go out in the same write.
        var decision = _writer.Decide(replyAwaited: !_webSocketEnding);
        if (decision == WriteDecision.Defer) Self.Tell(WriteDeferred.Instance);
        else if (decision == WriteDecision.Write)
        {
            var now = Now;
            _tcp.Tell(Tcp.Write.Create(_writer.TakeWrite(now, out _), WriteAck.Instance));
            HttpMetrics.BytesSent.Add(_writer.LastWriteLength);
            _timeouts.LastActivityAt = now;
        }
        else if (_webSocketEnding && _writer.IsIdle)
        {
            _closeReason = CloseReason.WebSocketClosed;
            BeginClosing();
            return;
        }
        ScheduleTimeoutCheck();
    }
}
