using Akka.Configuration;
using ActorHttp.Protocol.Parsing;
using ActorHttp.Server.WebSockets;

namespace ActorHttp.Server;

/// <summary>
/// Every server knob, read once from the <c>actor-http.server</c> config section (see reference.conf, where each is
/// documented with its default: the defaults are written there only). Immutable; start from <see cref="Default"/> or
/// <see cref="HttpServer.Settings"/> and change with <c>with</c> expressions.
/// </summary>
public sealed record ServerSettings
{
    private static readonly Lazy<ServerSettings> Defaults = new(() => Create(ConfigurationFactory.Empty));

    /// <summary>The defaults: reference.conf's <c>actor-http.server</c> section, read once.</summary>
    public static ServerSettings Default => Defaults.Value;

    /// <summary><c>hostname</c>: the interface to bind (an IP literal or a host name).</summary>
    public required string Hostname { get; init; }

    /// <summary><c>port</c>: the TCP port to bind; 0 picks a free one.</summary>
    public required int Port { get; init; }

    /// <summary><c>backlog</c>: the kernel's queue of connections not yet accepted.</summary>
    public required int Backlog { get; init; }

    /// <summary><c>io-frame-size</c>: the largest piece read from or written to a socket in one call, in bytes.</summary>
    public required int IoFrameSize { get; init; }

    /// <summary><c>max-connections</c>: connections open at once; more are answered 503 and closed.</summary>
    public required int MaxConnections { get; init; }

    /// <summary><c>server-header</c>: the Server header's value; empty sends none.</summary>
    public required string ServerHeader { get; init; }

    /// <summary><c>pipelining-limit</c>: requests parsed but not yet answered, per connection.</summary>
    public required int PipeliningLimit { get; init; }

    /// <summary><c>transparent-head-requests</c>: HEAD is served by the GET route, the body dropped.</summary>
    public required bool TransparentHeadRequests { get; init; }

    /// <summary><c>idle-timeout</c>: a keep-alive connection without a request is closed after this long.</summary>
    public required TimeSpan IdleTimeout { get; init; }

    /// <summary><c>request-header-timeout</c>: a request head must be complete this long after its first byte.</summary>
    public required TimeSpan RequestHeaderTimeout { get; init; }

    /// <summary><c>request-body-timeout</c>: a request body must be complete this long after its head.</summary>
    public required TimeSpan RequestBodyTimeout { get; init; }

    /// <summary><c>min-request-body-rate</c>: bytes per second that extend a streamed body's timeout by a second.</summary>
    public required int MinRequestBodyRate { get; init; }

    /// <summary><c>response-timeout</c>: a handler must answer this long after the request was sent to it.</summary>
    public required TimeSpan ResponseTimeout { get; init; }

    /// <summary><c>send-timeout</c>: a write not acknowledged within this long aborts the connection.</summary>
    public required TimeSpan SendTimeout { get; init; }

    /// <summary><c>linger-timeout</c>: how long the client's bytes are drained after the server's FIN.</summary>
    public required TimeSpan LingerTimeout { get; init; }

    /// <summary><c>shutdown-deadline</c>: how long in-flight requests get to finish on shutdown.</summary>
    public required TimeSpan ShutdownDeadline { get; init; }

    /// <summary>
    /// <c>shutdown-release-max-delay</c>: once shutdown has drained the in-flight requests, the longest the port stays open
    /// for clients still connecting (answered 503) before it is released.
    /// </summary>
    public required TimeSpan ShutdownReleaseMaxDelay { get; init; }

    /// <summary><c>coordinated-shutdown</c>: unbind and drain in Akka's CoordinatedShutdown.</summary>
    public required bool CoordinatedShutdown { get; init; }

    /// <summary><c>dispatcher</c>: the listener's and connections' dispatcher; empty for the system's default.</summary>
    public required string Dispatcher { get; init; }

    /// <summary><c>log-requests</c>: a debug line per request and response decision.</summary>
    public required bool LogRequests { get; init; }

    /// <summary><c>access-log</c>: an info line per response.</summary>
    public required bool AccessLog { get; init; }

    /// <summary><c>parsing</c>: the request parser's limits.</summary>
    public required ParserSettings Parsing { get; init; }

    /// <summary>Limits and timers of WebSocket connections (<c>websocket</c>).</summary>
    public required WebSocketSettings WebSocket { get; init; }

    /// <summary><c>forwarded-headers</c>: whether, and from which proxies, X-Forwarded-For is believed.</summary>
    public required ForwardedHeadersSettings ForwardedHeaders { get; init; }

    /// <summary><c>event-stream</c>: heartbeats and the queue bound of server-sent event streams (<c>ActorHttp.Handlers.EventStreams</c>).</summary>
    public required EventStreamSettings EventStream { get; init; }

    /// <summary>
    /// The clock every connection deadline, the <c>Date</c> header and event streams' heartbeats read (not a config knob):
    /// the system's by default; tests set a <c>FakeTimeProvider</c> and advance it instead of waiting.
    /// </summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>
    /// The address to bind: <see cref="Hostname"/> as an IP literal, or resolved by DNS preferring IPv4.
    /// The listener binds exactly this; the standalone node probes it before starting.
    /// </summary>
    public System.Net.IPEndPoint ResolveEndPoint()
    {
        if (System.Net.IPAddress.TryParse(Hostname, out var address)) return new System.Net.IPEndPoint(address, Port);
        var addresses = System.Net.Dns.GetHostAddresses(Hostname);
        var chosen = addresses.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
                     ?? addresses.FirstOrDefault()
                     ?? throw new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.HostNotFound);
        return new System.Net.IPEndPoint(chosen, Port);
    }

    /// <summary>Reads the settings from a config holding an <c>actor-http.server</c> section, falling back to reference.conf.</summary>
    /// <exception cref="ConfigurationException">A value is missing, of the wrong type or out of range; the message names the key.</exception>
    public static ServerSettings Create(Config config)
    {
        var c = new ConfigKeys(config.WithFallback(HttpServer.DefaultConfig()).GetConfig("actor-http.server"), "actor-http.server");
        var forwarded = c.Section("forwarded-headers");
        return new ServerSettings
        {
            Hostname = c.Read("hostname", (k, x) => x.GetString(k) is { Length: > 0 } h && !string.IsNullOrWhiteSpace(h) ? h : throw new FormatException("must not be empty")),
            Port = c.Int("port", 0, 65535),
            Backlog = c.Int("backlog", 1, int.MaxValue),
            IoFrameSize = (int)c.Size("io-frame-size", 512, 16 * 1024 * 1024),
            MaxConnections = c.Int("max-connections", 1, int.MaxValue),
            ServerHeader = c.Read("server-header", (k, x) => x.GetString(k) ?? ""),
            PipeliningLimit = c.Int("pipelining-limit", 1, 1024),
            TransparentHeadRequests = c.Bool("transparent-head-requests"),
            IdleTimeout = c.Duration("idle-timeout"),
            RequestHeaderTimeout = c.Duration("request-header-timeout"),
            RequestBodyTimeout = c.Duration("request-body-timeout"),
            MinRequestBodyRate = c.Int("min-request-body-rate", 1, int.MaxValue),
            ResponseTimeout = c.Duration("response-timeout"),
            SendTimeout = c.Duration("send-timeout"),
            LingerTimeout = c.Duration("linger-timeout"),
            ShutdownDeadline = c.Duration("shutdown-deadline"),
            ShutdownReleaseMaxDelay = c.Duration("shutdown-release-max-delay"),
            CoordinatedShutdown = c.Bool("coordinated-shutdown"),
            Dispatcher = c.Read("dispatcher", (k, x) => x.GetString(k) ?? ""),
            LogRequests = c.Bool("log-requests"),
            AccessLog = c.Bool("access-log"),
            Parsing = ParserSettings.FromConfig(c.Section("parsing")),
            EventStream = EventStreamSettings.FromConfig(c.Section("event-stream")),
            WebSocket = WebSocketSettings.FromConfig(c.Section("websocket")),
            ForwardedHeaders = new ForwardedHeadersSettings(
                forwarded.Bool("enabled"),
                forwarded.Read("trusted-proxies", (k, x) => x.GetStringList(k).Select(ForwardedHeadersSettings.Parse).ToArray())),
        };
    }
}
