using Akka.Configuration;

namespace ActorHttp.Server.WebSockets;

/// <summary>
/// The <c>actor-http.server.websocket</c> section (documented with its defaults in reference.conf). Immutable; start
/// from <see cref="Default"/> and change with <c>with</c>.
/// </summary>
/// <param name="MaxMessageSize">Largest message a client may send, its frames together; larger → close 1009 (or streamed, see <see cref="StreamMessageThreshold"/>).</param>
/// <param name="MaxPendingBytes">Most outgoing frame bytes held for a slow client; more → close 1008.</param>
/// <param name="KeepAliveInterval">Ping after the client has been quiet this long; null: never.</param>
/// <param name="IdleTimeout">Close (1001) after the client has been quiet this long; null: never.</param>
/// <param name="CloseTimeout">How long to wait for the client's Close frame after sending ours.</param>
public sealed record WebSocketSettings(
    long MaxMessageSize,
    long MaxPendingBytes,
    TimeSpan? KeepAliveInterval,
    TimeSpan? IdleTimeout,
    TimeSpan CloseTimeout)
{
    private static readonly Lazy<WebSocketSettings> Defaults = new(() =>
        FromConfig(new ConfigKeys(ReferenceConfig.Value.GetConfig("actor-http.server.websocket"), "actor-http.server.websocket")));

    /// <summary>The defaults: reference.conf's <c>actor-http.server.websocket</c>, read once.</summary>
    public static WebSocketSettings Default => Defaults.Value;

    /// <summary>
    /// A message larger than this many bytes reaches its handler streamed (<see cref="WebSocketMessageStream"/>) instead of
    /// whole; null (the default): every message is whole. At most <see cref="MaxMessageSize"/>. A route may choose
    /// otherwise (<see cref="WebSocketStreaming"/>).
    /// </summary>
    public long? StreamMessageThreshold { get; init; }

    /// <summary>The largest streamed message; larger → close 1009. <see cref="long.MaxValue"/>: no limit.</summary>
    public long MaxStreamedMessageSize { get; init; } = long.MaxValue;

    /// <summary>These settings for the sockets of a route that streams as <paramref name="streaming"/> says (null: as these do).</summary>
    internal WebSocketSettings ForRoute(WebSocketStreaming? streaming) => streaming is null ? this
        : this with { StreamMessageThreshold = streaming.Threshold, MaxStreamedMessageSize = streaming.MaxMessageSize };

    /// <summary>Reads the <c>websocket</c> section; a missing, malformed or out-of-range value is named in the exception.</summary>
    internal static WebSocketSettings FromConfig(ConfigKeys websocket)
    {
        var streaming = WebSocketStreaming.FromConfig(websocket);
        var settings = new WebSocketSettings(
            MaxMessageSize: websocket.Size("max-message-size", 125, int.MaxValue),
            MaxPendingBytes: websocket.Size("max-pending-bytes", 1024, int.MaxValue),
            KeepAliveInterval: websocket.DurationOrOff("keep-alive-interval"),
            IdleTimeout: websocket.DurationOrOff("idle-timeout"),
            CloseTimeout: websocket.Duration("close-timeout"))
        {
            StreamMessageThreshold = streaming.Threshold,
            MaxStreamedMessageSize = streaming.MaxMessageSize,
        };
        if (settings is { KeepAliveInterval: { } ping, IdleTimeout: { } idle } && idle <= ping)
            throw new ConfigurationException(
                $"actor-http.server.websocket.idle-timeout ({idle}) must be longer than keep-alive-interval ({ping}), or the client has no time to answer a ping");
        return settings;
    }
}

/// <summary>
/// Whether a WebSocket's large incoming messages reach its handler streamed: a message larger than <see cref="Threshold"/>
/// comes as <see cref="WebSocketMessageStream.Started"/> and parts the handler pulls, so it never sits whole in memory.
/// The server's choice is <c>websocket.stream-message-threshold</c> and <c>max-streamed-message-size</c>; a route makes
/// its own with <c>routes.WebSocket(template, props, streaming: WebSocketStreaming.Above(64 * 1024))</c>, or
/// <c>websocket { stream-message-threshold = 64k }</c> in HOCON.
/// </summary>
/// <param name="Threshold">
/// A message of more bytes is streamed; null: none is, every message is whole (up to max-message-size). A threshold
/// above the server's max-message-size counts as max-message-size: no message is refused for a size it could be streamed at.
/// </param>
/// <param name="MaxMessageSize">The largest streamed message; larger → close 1009. <see cref="long.MaxValue"/>: no limit.</param>
public sealed record WebSocketStreaming(long? Threshold, long MaxMessageSize)
{
    /// <summary>No message is streamed (a route that opts out when the server streams).</summary>
    public static WebSocketStreaming Off { get; } = new(null, long.MaxValue);

    /// <summary>
    /// Messages larger than <paramref name="threshold"/> bytes are streamed, up to <paramref name="maxMessageSize"/>
    /// (null: reference.conf's <c>max-streamed-message-size</c>, 1 GB).
    /// </summary>
    public static WebSocketStreaming Above(long threshold, long? maxMessageSize = null) =>
        new(threshold, maxMessageSize ?? WebSocketSettings.Default.MaxStreamedMessageSize);

    /// <summary>Throws <see cref="ArgumentException"/> (message <c>key: problem</c>) for a value out of range.</summary>
    public void Validate()
    {
        if (Threshold < 0) throw new ArgumentException($"stream-message-threshold: must not be negative (was {Threshold})");
        if (MaxMessageSize <= Threshold)
            throw new ArgumentException($"max-streamed-message-size: must be larger than stream-message-threshold ({MaxMessageSize} ≤ {Threshold}): only messages past the threshold are streamed");
    }

    /// <summary>
    /// Reads <c>stream-message-threshold</c> and <c>max-streamed-message-size</c> of a <c>websocket</c> section (the
    /// server's, or a route's over it), naming the keys in errors.
    /// </summary>
    internal static WebSocketStreaming FromConfig(ConfigKeys websocket)
    {
        var maxWhole = websocket.Size("max-message-size", 125, int.MaxValue);
        var threshold = websocket.SizeOrOff("stream-message-threshold", 0, maxWhole);
        var streaming = new WebSocketStreaming(threshold, websocket.SizeOrOff("max-streamed-message-size", 1, long.MaxValue) ?? long.MaxValue);
        try
        {
            streaming.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ConfigurationException($"{websocket.Prefix}.{e.Message}");
        }
        return streaming;
    }
}
