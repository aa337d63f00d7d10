using System.Diagnostics;
using ActorHttp.Protocol;
using ActorHttp.Protocol.Compression;

namespace ActorHttp.Server.Connection;

/// <summary>
/// One request awaiting its response on a connection, or an interim 100 Continue to send in its place in the order.
/// A struct in <see cref="ExchangeQueue"/>'s ring: queuing a request allocates nothing.
/// </summary>
internal struct Exchange
{
    /// <summary>The request's number on its connection (the first is 0).</summary>
    public long Sequence;
    public HttpProtocol Protocol;
    public bool IsHead, KeepAlive, IsContinue;

    /// <summary>When the exchange was queued, and when its handler must have answered (or, streaming, sent its next chunk).</summary>
    public long StartedAt, Deadline;

    /// <summary>The response timeout of this exchange's route in ms: each renewal of <see cref="Deadline"/> adds it.</summary>
    public long Timeout;

    /// <summary>The route's compression (null: none) and the coding negotiated for this request.</summary>
    public ResponseCompressor? Compressor;
    public NegotiatedCoding Coding;

    /// <summary>The response once it is known: the handler's reply, an error, or a timeout's 503.</summary>
    public HttpResponse? Response;

    /// <summary>The request; null for parse errors, timeouts and 100 Continue.</summary>
    public HttpRequest? Request;

    /// <summary>The matched route's template, for metrics and logs.</summary>
    public string? Route;

    /// <summary>
    /// The request's server span (null when nobody traces), when it was dispatched (a <see cref="TimeProvider"/>
    /// timestamp, 0 when nobody measured it), whether it counts in <c>http.server.active_requests</c>, and the bytes of
    /// its response rendered so far: see <see cref="ExchangeRenderer"/>.
    /// </summary>
    public Activity? Activity;
    public long DispatchedAt;
    public bool CountedActive;
    public long ResponseBytes;

    /// <summary>The handler accepted this exchange's WebSocket upgrade (with the actor that gets the socket's messages).</summary>
    public WebSockets.WebSocketAccept? Upgrade;

    /// <summary>How the socket, if the request is upgraded, streams large messages: its route's choice (null: the server's).</summary>
    public WebSockets.WebSocketStreaming? WebSocketStreaming;

    /// <summary>A streamed response's producer and body, from its head's arrival until it ends.</summary>
    public ResponseStreamState? Stream;

    /// <summary>Still waiting for its handler's reply (not for a stream's chunks, not an interim response).</summary>
    public readonly bool AwaitsReply => Response == null && !IsContinue;
}
