namespace ActorHttp.Protocol.Parsing;

/// <summary>
/// Limits the request parser enforces: the <c>actor-http.server.parsing</c> section (see reference.conf, where each is
/// documented with its default; they follow Kestrel's KestrelServerLimits where it has one). Immutable; start from
/// <see cref="Default"/> and change with <c>with</c>.
/// </summary>
/// <param name="MaxRequestLineLength">Longest request line in bytes, CRLF excluded; longer → 414.</param>
/// <param name="MaxHeaderCount">Most header fields per request (and trailer fields per chunked body); more → 431.</param>
/// <param name="MaxHeaderSectionSize">Most bytes of header lines (and of trailers); more → 431.</param>
/// <param name="MaxBodySize">Largest request body in bytes, after de-chunking; larger → 413.</param>
/// <param name="MaxChunkLineLength">Longest chunk-size line including extensions; longer → 400.</param>
/// <param name="MaxMethodLength">
/// Longest method name; longer → 400 (no registered method comes close), as soon as that many bytes and one more arrive
/// without a space, before <paramref name="MaxRequestLineLength"/> is considered (a long method is not a long URI).
/// A method is never allowed to be longer than <paramref name="MaxRequestLineLength"/>.
/// </param>
/// <param name="StreamBodyThreshold">
/// Bodies up to this size are buffered and delivered whole; a larger declared <c>Content-Length</c>, or a chunked body
/// growing past it, reaches its handler as a stream of parts (<see cref="HttpRequest.BodyStreamed"/>).
/// </param>
public sealed record ParserSettings(
    int MaxRequestLineLength,
    int MaxHeaderCount,
    int MaxHeaderSectionSize,
    long MaxBodySize,
    int MaxChunkLineLength,
    int MaxMethodLength,
    long StreamBodyThreshold)
{
    private static readonly Lazy<ParserSettings> Defaults = new(() =>
        FromConfig(new ConfigKeys(ReferenceConfig.Value.GetConfig("actor-http.server.parsing"), "actor-http.server.parsing")));

    /// <summary>The defaults: reference.conf's <c>actor-http.server.parsing</c>, read once.</summary>
    public static ParserSettings Default => Defaults.Value;

    /// <summary>Reads the <c>parsing</c> section; a missing, malformed or out-of-range value is named in the exception.</summary>
    internal static ParserSettings FromConfig(ConfigKeys parsing) => new(
        MaxRequestLineLength: (int)parsing.Size("max-request-line-length", 64, int.MaxValue),
        MaxHeaderCount: parsing.Int("max-header-count", 1, 10000),
        MaxHeaderSectionSize: (int)parsing.Size("max-header-section-size", 64, int.MaxValue),
        MaxBodySize: parsing.Size("max-body-size", 0, int.MaxValue),
        MaxChunkLineLength: (int)parsing.Size("max-chunk-line-length", 16, int.MaxValue),
        MaxMethodLength: parsing.Int("max-method-length", 3, 1024),
        StreamBodyThreshold: parsing.Size("stream-body-threshold", 0, int.MaxValue));
}

/// <summary>
/// The body limits of one request, when they differ from <see cref="ParserSettings"/>' (a route's own): set by
/// <see cref="HttpRequestParser.BodyLimitsFor"/> once the head is parsed, before any of the body is read.
/// </summary>
/// <param name="MaxBodySize">Largest body; larger → 413.</param>
/// <param name="StreamBodyThreshold">Bodies larger than this are streamed; -1 streams every body.</param>
public readonly record struct BodyLimits(long MaxBodySize, long StreamBodyThreshold);
