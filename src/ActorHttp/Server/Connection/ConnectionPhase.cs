namespace ActorHttp.Server.Connection;

/// <summary>
/// Where a connection is in its life. Phases only move forward; each later one implies the earlier ones' limits.
/// </summary>
internal enum ConnectionPhase : byte
{
    /// <summary>Requests are read, parsed and answered.</summary>
    Open,
    /// <summary>No more requests will be parsed (a closing request, an error, the client's FIN, a drain); those already
    /// parsed are still answered, the last with <c>Connection: close</c>. What the client sends meanwhile is drained unread.</summary>
    Answering,
    /// <summary>The last response is rendered: once it is written, the connection closes.</summary>
    LastWrite,
    /// <summary>FIN sent: the connection reads (and discards) until the client closes too, or the linger timeout.</summary>
    Closing,
    /// <summary>Stopping without a clean close (reset): nothing more is written.</summary>
    Aborted,
}

/// <summary>Why a connection stopped answering requests; logged at debug when it closes.</summary>
internal enum CloseReason : byte
{
    None,
    /// <summary>The request or response said <c>Connection: close</c>, or the protocol (HTTP/1.0) implies it.</summary>
    Requested,
    /// <summary>A request could not be read on (malformed, too large, too slow): answered 4xx and closed.</summary>
    BadRequest,
    /// <summary>The client sent FIN.</summary>
    PeerClosed,
    /// <summary>No request within the idle timeout.</summary>
    Idle,
    /// <summary>The server is shutting down.</summary>
    Shutdown,
    /// <summary>Accepted over max-connections: answered 503.</summary>
    OverCapacity,
    /// <summary>A streamed response broke or stalled after its head.</summary>
    StreamBroken,
    /// <summary>The client stopped reading (send timeout).</summary>
    SendTimeout,
    /// <summary>The transport reported an error or a failed command.</summary>
    TransportError,
    /// <summary>A request was upgraded to a WebSocket (the connection stops speaking HTTP), or a refused upgrade was answered.</summary>
    Upgrade,
    /// <summary>The WebSocket closed (close handshake, protocol error, or the client never answered our Close frame).</summary>
    WebSocketClosed,
}
