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
    public int MaxConnections { get; init; } = 10000;
    public string ServerHeader { get; init; } = "ActorHttp";
    public int PipeliningLimit { get; init; } = 16;
    public bool TransparentHeadRequests { get; init; } = true;
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan RequestHeaderTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan RequestBodyTimeout { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan ResponseTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan LingerTimeout { get; init; } = TimeSpan.FromSeconds(2);
    public TimeSpan ShutdownDeadline { get; init; } = TimeSpan.FromSeconds(10);
    public bool CoordinatedShutdown { get; init; } = true;
    public string Dispatcher { get; init; } = "";
    public bool LogRequests { get; init; }
    public ParserSettings Parsing { get; init; } = ParserSettings.Default;

    /// <summary>Reads the settings from a config holding an <c>actor-http.server</c> section, falling back to reference.conf.</summary>
    /// <exception cref="ConfigurationException">A value is missing, of the wrong type or out of range; the message names the key.</exception>
    public static ServerSettings Create(Config config)
    {
        var c = config.WithFallback(HttpServer.DefaultConfig()).GetConfig("actor-http.server");
        const string prefix = "actor-http.server.";
        var parsing = c.GetConfig("parsing");
        try
        {
            var settings = new ServerSettings
            {
                Hostname = c.GetString("hostname"),
                Port = Range(c.GetInt("port"), 0, 65535, prefix + "port"),
                Backlog = Range(c.GetInt("backlog"), 1, int.MaxValue, prefix + "backlog"),
                MaxConnections = Range(c.GetInt("max-connections"), 1, int.MaxValue, prefix + "max-connections"),
                ServerHeader = c.GetString("server-header"),
                PipeliningLimit = Range(c.GetInt("pipelining-limit"), 1, 1024, prefix + "pipelining-limit"),
                TransparentHeadRequests = c.GetBoolean("transparent-head-requests"),
                IdleTimeout = Positive(c.GetTimeSpan("idle-timeout"), prefix + "idle-timeout"),
                RequestHeaderTimeout = Positive(c.GetTimeSpan("request-header-timeout"), prefix + "request-header-timeout"),
                RequestBodyTimeout = Positive(c.GetTimeSpan("request-body-timeout"), prefix + "request-body-timeout"),
                ResponseTimeout = Positive(c.GetTimeSpan("response-timeout"), prefix + "response-timeout"),
                SendTimeout = Positive(c.GetTimeSpan("send-timeout"), prefix + "send-timeout"),
                LingerTimeout = Positive(c.GetTimeSpan("linger-timeout"), prefix + "linger-timeout"),
                ShutdownDeadline = Positive(c.GetTimeSpan("shutdown-deadline"), prefix + "shutdown-deadline"),
                CoordinatedShutdown = c.GetBoolean("coordinated-shutdown"),
                Dispatcher = c.GetString("dispatcher") ?? "",
                LogRequests = c.GetBoolean("log-requests"),
                Parsing = new ParserSettings(
                    MaxRequestLineLength: (int)Size(parsing, "max-request-line-length", 64, int.MaxValue),
                    MaxHeaderCount: Range(parsing.GetInt("max-header-count"), 1, 10000, prefix + "parsing.max-header-count"),
                    MaxHeaderSectionSize: (int)Size(parsing, "max-header-section-size", 64, int.MaxValue),
                    MaxBodySize: Size(parsing, "max-body-size", 0, int.MaxValue),
                    MaxChunkLineLength: (int)Size(parsing, "max-chunk-line-length", 16, int.MaxValue),
                    MaxMethodLength: Range(parsing.GetInt("max-method-length"), 3, 1024, prefix + "parsing.max-method-length")),
            };
            if (string.IsNullOrWhiteSpace(settings.Hostname)) throw new ConfigurationException($"{prefix}hostname must not be empty");
            return settings;
        }
        catch (ConfigurationException) { throw; }
        catch (Exception e)
        {
            throw new ConfigurationException($"invalid actor-http.server configuration: {e.Message}", e);
        }

        static long Size(Config parsing, string key, long min, long max)
        {
            var value = parsing.GetByteSize(key) ?? throw new ConfigurationException($"{prefix}parsing.{key} is missing");
            if (value < min || value > max) throw new ConfigurationException($"{prefix}parsing.{key} must be between {min} and {max} bytes (was {value})");
            return value;
        }
    }

    private static int Range(int value, int min, int max, string key) =>
        value >= min && value <= max ? value : throw new ConfigurationException($"{key} must be between {min} and {max} (was {value})");

    private static TimeSpan Positive(TimeSpan value, string key) =>
        value > TimeSpan.Zero ? value : throw new ConfigurationException($"{key} must be a positive duration (was {value})");
}
