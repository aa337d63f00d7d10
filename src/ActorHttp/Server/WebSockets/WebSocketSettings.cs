using Akka.Configuration;

namespace ActorHttp.Server.WebSockets;

/// <summary>
/// The <c>actor-http.server.websocket</c> section (documented with its defaults in reference.conf). Immutable; start
/// from <see cref="Default"/> and change with <c>with</c>.
/// </summary>
/// <param name="MaxMessageSize">Largest message a client may send, its frames together; larger → close 1009.</param>
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

    /// <summary>Reads the <c>websocket</c> section; a missing, malformed or out-of-range value is named in the exception.</summary>
    internal static WebSocketSettings FromConfig(ConfigKeys websocket)
    {
        var settings = new WebSocketSettings(
            MaxMessageSize: websocket.Size("max-message-size", 125, int.MaxValue),
            MaxPendingBytes: websocket.Size("max-pending-bytes", 1024, int.MaxValue),
            KeepAliveInterval: websocket.DurationOrOff("keep-alive-interval"),
            IdleTimeout: websocket.DurationOrOff("idle-timeout"),
            CloseTimeout: websocket.Duration("close-timeout"));
        if (settings is { KeepAliveInterval: { } ping, IdleTimeout: { } idle } && idle <= ping)
            throw new ConfigurationException(
                $"actor-http.server.websocket.idle-timeout ({idle}) must be longer than keep-alive-interval ({ping}), or the client has no time to answer a ping");
        return settings;
    }
}
