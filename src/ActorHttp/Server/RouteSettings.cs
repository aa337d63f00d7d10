using ActorHttp.Protocol.Compression;
using ActorHttp.Protocol.Parsing;
using ActorHttp.Server.WebSockets;

namespace ActorHttp.Server;

/// <summary>
/// Limits of one route that differ from the server's (<c>routes.WithLimits(limits)</c> in code; a route's
/// <c>max-body-size</c>, <c>stream-request-body</c> and <c>response-timeout</c> in HOCON). Null properties keep the
/// server's value.
/// </summary>
public sealed record RouteLimits
{
    /// <summary>The largest request body (after de-chunking, and after decoding when the route decodes bodies); larger → 413.</summary>
    public long? MaxBodySize { get; init; }

    /// <summary>
    /// True: the body always reaches the handler as a stream (<c>RequestBodyStream</c>), however small; false: always
    /// whole, up to <see cref="MaxBodySize"/>; null: whole up to the server's <c>parsing.stream-body-threshold</c>, streamed beyond.
    /// </summary>
    public bool? StreamRequestBody { get; init; }

    /// <summary>How long the handler may take to answer (and a streamed response between chunks); past it the client gets 503.</summary>
    public TimeSpan? ResponseTimeout { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> (message <c>key: problem</c>) for a value out of range.</summary>
    public void Validate()
    {
        if (MaxBodySize is < 0 or > int.MaxValue)
            throw new ArgumentException($"max-body-size: must be between 0 and {int.MaxValue} bytes (was {MaxBodySize})");
        if (ResponseTimeout is { } timeout && timeout <= TimeSpan.Zero) throw new ArgumentException($"response-timeout: must be positive (was {timeout})");
    }
}

/// <summary>
/// What a connection applies to the requests of one route beyond dispatching them: its <see cref="RouteLimits"/>,
/// <see cref="CompressionPolicy"/> and <see cref="WebSockets.WebSocketStreaming"/>, made ready once (the route table builds one
/// per route) and shared by every connection.
/// </summary>
public sealed class RouteSettings
{
    /// <param name="limits">The route's limits, or null for the server's.</param>
    /// <param name="compression">The route's compression, or null for none.</param>
    /// <param name="webSocketStreaming">How the route's sockets stream large messages, or null for as the server's.</param>
    /// <exception cref="ArgumentException">A limit or the policy is invalid.</exception>
    public RouteSettings(RouteLimits? limits, CompressionPolicy? compression, WebSocketStreaming? webSocketStreaming = null)
    {
        limits?.Validate();
        compression?.Validate();
        webSocketStreaming?.Validate();
        Limits = limits;
        Compression = compression;
        WebSocketStreaming = webSocketStreaming;
        Compressor = compression is null ? null : new ResponseCompressor(compression);
        ResponseTimeoutMs = limits?.ResponseTimeout is { } timeout ? (long)timeout.TotalMilliseconds : null;
        HasBodyLimits = limits is { MaxBodySize: not null } or { StreamRequestBody: not null };
    }

    /// <summary>The route's limits, or null.</summary>
    public RouteLimits? Limits { get; }

    /// <summary>The route's compression policy, or null.</summary>
    public CompressionPolicy? Compression { get; }

    /// <summary>How the route's sockets stream large messages, or null (as the server's settings say).</summary>
    public WebSocketStreaming? WebSocketStreaming { get; }

    internal ResponseCompressor? Compressor { get; }

    internal long? ResponseTimeoutMs { get; }

    /// <summary>The route changes how request bodies are read (their size limit, or streaming).</summary>
    internal bool HasBodyLimits { get; }

    /// <summary>The body limits for this route's requests, from the server's <paramref name="parsing"/> settings.</summary>
    internal BodyLimits BodyLimitsFrom(ParserSettings parsing)
    {
        var max = Limits?.MaxBodySize ?? parsing.MaxBodySize;
        var threshold = Limits?.StreamRequestBody switch
        {
            true => -1, // every body, even of one byte, is streamed
            false => max,
            null => parsing.StreamBodyThreshold,
        };
        return new BodyLimits(max, threshold);
    }

    /// <summary>The largest decoded body of a request to this route.</summary>
    internal long MaxBodySize(ParserSettings parsing) => Limits?.MaxBodySize ?? parsing.MaxBodySize;
}
