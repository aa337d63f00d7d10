namespace ActorHttp.Protocol.Parsing;

/// <summary>
/// Limits the request parser enforces. Defaults follow Kestrel's (KestrelServerLimits) where it has one.
/// </summary>
/// <param name="MaxRequestLineLength">Longest request line in bytes, CRLF excluded; longer → 414.</param>
/// <param name="MaxHeaderCount">Most header fields per request (and trailer fields per chunked body); more → 431.</param>
/// <param name="MaxHeaderSectionSize">Most bytes of header lines (and of trailers); more → 431.</param>
/// <param name="MaxBodySize">Largest request body in bytes, after de-chunking; larger → 413.</param>
/// <param name="MaxChunkLineLength">Longest chunk-size line including extensions; longer → 400.</param>
/// <param name="MaxMethodLength">Longest method name; longer → 400 (no registered method comes close).</param>
/// <param name="StreamBodyThreshold">
/// Bodies up to this size are buffered and delivered whole; a larger declared <c>Content-Length</c>, or a chunked body
/// growing past it, reaches its handler as a stream of parts (<see cref="HttpRequest.BodyStreamed"/>).
/// </param>
public sealed record ParserSettings(
    int MaxRequestLineLength = 8 * 1024,
    int MaxHeaderCount = 100,
    int MaxHeaderSectionSize = 32 * 1024,
    long MaxBodySize = 8 * 1024 * 1024,
    int MaxChunkLineLength = 4 * 1024,
    int MaxMethodLength = 32,
    long StreamBodyThreshold = 1024 * 1024)
{
    /// <summary>The defaults above.</summary>
    public static readonly ParserSettings Default = new();
}
