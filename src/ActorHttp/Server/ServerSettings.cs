using Akka.Configuration;
using ActorHttp.Protocol.Parsing;

namespace ActorHttp.Server;

/// <summary>
/// Every server knob, read once from the <c>actor-http.server</c> config section (see reference.conf, where each is
/// documented). Immutable; change with <c>with</c> expressions.
/// </summary>
public sealed record ServerSettings
{
    public string Hostname { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 8080;
    public int Backlog { get; init; } = 4096;
    public int IoFrameSize { get; init; } = 8 * 1024;
    public int MaxConnections { get; init; } = 10000;
    public string ServerHeader { get; init; } = "ActorHttp";
    public int PipeliningLimit { get; init; } = 16;
    public bool TransparentHeadRequests { get; init; } = true;
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan RequestHeaderTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan RequestBodyTimeout { get; init; } = TimeSpan.FromSeconds(60);
    public int MinRequestBodyRate { get; init; } = 240;
    public TimeSpan ResponseTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan LingerTimeout { get; init; } = TimeSpan.FromSeconds(2);
    public TimeSpan ShutdownDeadline { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// <c>shutdown-release-max-delay</c>: once shutdown has drained the in-flight requests, the longest the port stays open
    /// for clients still connecting (answered 503) before it is released.
    /// </summary>
    public TimeSpan ShutdownReleaseMaxDelay { get; init; } = TimeSpan.FromSeconds(1);
    public bool CoordinatedShutdown { get; init; } = true;
    public string Dispatcher { get; init; } = "";
    public bool LogRequests { get; init; }
    public bool AccessLog { get; init; }
    public ParserSettings Parsing { get; init; } = ParserSettings.Default;
    public ForwardedHeadersSettings ForwardedHeaders { get; init; } = ForwardedHeadersSettings.Disabled;

    /// <summary>
    /// The clock every connection deadline and the <c>Date</c> header read (not a config knob): the system's by default;
    /// tests set a <c>FakeTimeProvider</c> and advance it instead of waiting.
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
        var c = config.WithFallback(HttpServer.DefaultConfig()).GetConfig("actor-http.server");
        var settings = new ServerSettings
        {
            Hostname = Read(c, "hostname", (k, x) => x.GetString(k) is { Length: > 0 } h && !string.IsNullOrWhiteSpace(h) ? h : throw new FormatException("must not be empty")),
            Port = Int(c, "port", 0, 65535),
            Backlog = Int(c, "backlog", 1, int.MaxValue),
            IoFrameSize = (int)Size(c, "io-frame-size", 512, 16 * 1024 * 1024),
            MaxConnections = Int(c, "max-connections", 1, int.MaxValue),
            ServerHeader = Read(c, "server-header", (k, x) => x.GetString(k) ?? ""),
            PipeliningLimit = Int(c, "pipelining-limit", 1, 1024),
            TransparentHeadRequests = Read(c, "transparent-head-requests", (k, x) => x.GetBoolean(k)),
            IdleTimeout = Duration(c, "idle-timeout"),
            RequestHeaderTimeout = Duration(c, "request-header-timeout"),
            RequestBodyTimeout = Duration(c, "request-body-timeout"),
            MinRequestBodyRate = Int(c, "min-request-body-rate", 1, int.MaxValue),
            ResponseTimeout = Duration(c, "response-timeout"),
            SendTimeout = Duration(c, "send-timeout"),
            LingerTimeout = Duration(c, "linger-timeout"),
            ShutdownDeadline = Duration(c, "shutdown-deadline"),
            ShutdownReleaseMaxDelay = Duration(c, "shutdown-release-max-delay"),
            CoordinatedShutdown = Read(c, "coordinated-shutdown", (k, x) => x.GetBoolean(k)),
            Dispatcher = Read(c, "dispatcher", (k, x) => x.GetString(k) ?? ""),
            LogRequests = Read(c, "log-requests", (k, x) => x.GetBoolean(k)),
            AccessLog = Read(c, "access-log", (k, x) => x.GetBoolean(k)),
            Parsing = new ParserSettings(
                MaxRequestLineLength: (int)Size(c, "parsing.max-request-line-length", 64, int.MaxValue),
                MaxHeaderCount: Int(c, "parsing.max-header-count", 1, 10000),
                MaxHeaderSectionSize: (int)Size(c, "parsing.max-header-section-size", 64, int.MaxValue),
                MaxBodySize: Size(c, "parsing.max-body-size", 0, int.MaxValue),
                MaxChunkLineLength: (int)Size(c, "parsing.max-chunk-line-length", 16, int.MaxValue),
                MaxMethodLength: Int(c, "parsing.max-method-length", 3, 1024),
                StreamBodyThreshold: Size(c, "parsing.stream-body-threshold", 0, int.MaxValue)),
            ForwardedHeaders = new ForwardedHeadersSettings(
                Read(c, "forwarded-headers.enabled", (k, x) => x.GetBoolean(k)),
                Read(c, "forwarded-headers.trusted-proxies", (k, x) => x.GetStringList(k).Select(ForwardedHeadersSettings.Parse).ToArray())),
        };
        return settings;
    }

    private const string Prefix = "actor-http.server.";

    /// <summary>Reads one key; any failure becomes a <see cref="ConfigurationException"/> naming the key and its value.</summary>
    private static T Read<T>(Config c, string key, Func<string, Config, T> read)
    {
        if (!c.HasPath(key)) throw new ConfigurationException($"{Prefix}{key} is missing");
        try
        {
            return read(key, c);
        }
        catch (Exception e) when (e is not ConfigurationException)
        {
            string raw;
            try { raw = c.GetString(key); } catch { raw = "?"; }
            throw new ConfigurationException($"{Prefix}{key}: invalid value '{raw}' ({e.Message.TrimEnd('.')})", e);
        }
    }

    private static int Int(Config c, string key, int min, int max)
    {
        var value = Read(c, key, (k, x) => x.GetInt(k));
        return value >= min && value <= max ? value
            : throw new ConfigurationException($"{Prefix}{key} must be between {min} and {max} (was {value})");
    }

    private static TimeSpan Duration(Config c, string key)
    {
        var value = Read(c, key, (k, x) => x.GetTimeSpan(k));
        return value > TimeSpan.Zero ? value : throw new ConfigurationException($"{Prefix}{key} must be a positive duration such as 30s (was {value})");
    }

    private static long Size(Config c, string key, long min, long max)
    {
        var value = Read(c, key, (k, x) => x.GetByteSize(k) ?? throw new FormatException("not a size"));
        return value >= min && value <= max ? value
            : throw new ConfigurationException($"{Prefix}{key} must be between {min} and {max} bytes (was {value})");
    }
}
