namespace ActorHttp.Protocol.Compression;

/// <summary>
/// A <see cref="CompressionPolicy"/> made ready for the connection: which coding a request gets
/// (<see cref="Negotiate"/>), and the response compressed accordingly, whole (<see cref="Compress"/>) or as a stream
/// (<see cref="BeginStream"/>). Built once per policy; shared by every connection (immutable).
/// </summary>
internal sealed class ResponseCompressor
{
    private readonly ContentCoding[] _offered;
    private readonly HashSet<string> _types = new(StringComparer.OrdinalIgnoreCase);
    private readonly string[] _wholeTypes; // "text/" for text/*

    public ResponseCompressor(CompressionPolicy policy)
    {
        Policy = policy;
        _offered = [.. policy.Encodings];
        foreach (var type in policy.MimeTypes.Where(t => !t.EndsWith("/*", StringComparison.Ordinal))) _types.Add(type);
        _wholeTypes = [.. policy.MimeTypes.Where(t => t.EndsWith("/*", StringComparison.Ordinal)).Select(t => t[..^1])];
    }

    public CompressionPolicy Policy { get; }

    /// <summary>The coding for <paramref name="request"/>'s response: none for a <c>Range</c> request (a range of a coded body is no use to it).</summary>
    public NegotiatedCoding Negotiate(HttpRequest request) =>
        request.Headers.Contains("Range") ? default : AcceptEncoding.Negotiate(AcceptEncodingOf(request.Headers), _offered);

    /// <summary>The Accept-Encoding fields as one list (a client may send several), or null when there is none.</summary>
    private static string? AcceptEncodingOf(HttpHeaders headers)
    {
        string? joined = null;
        foreach (var value in headers.GetValues("Accept-Encoding")) joined = joined is null ? value : $"{joined},{value}";
        return joined;
    }

    /// <summary>
    /// <paramref name="response"/> as <paramref name="coding"/> says: compressed (<c>Content-Encoding</c>, a weakened
    /// <c>ETag</c>: the coded bytes differ, the meaning does not, as nginx does) when it is worth it, else as it is; with
    /// <c>Vary: Accept-Encoding</c> whenever its content type is compressible.
    /// </summary>
    public HttpResponse Compress(HttpResponse response, NegotiatedCoding coding, bool isHead)
    {
        if (!Compressible(response)) return response;
        var body = response.Body;
        if (coding.Coding == ContentCoding.Identity || isHead || body.IsEmpty || (body.Count < Policy.MinSize && !coding.IdentityRefused))
            return WithVary(response);
        var compressed = BodyEncoder.EncodeAll(body, coding.Coding, Policy.Level);
        if (compressed.Count >= body.Count && !coding.IdentityRefused) return WithVary(response); // incompressible after all
        return Coded(response, coding.Coding) with { Body = compressed };
    }

    /// <summary>
    /// The head of a streamed response as <paramref name="coding"/> says, with the <paramref name="encoder"/> for its
    /// chunks when it is to be compressed (it then has no Content-Length: the coded length is not known in advance).
    /// </summary>
    public HttpResponse BeginStream(HttpResponse head, NegotiatedCoding coding, bool isHead, out BodyEncoder? encoder)
    {
        encoder = null;
        if (!Compressible(head)) return head;
        if (coding.Coding == ContentCoding.Identity || isHead || (head.ContentLength is { } length && length < Policy.MinSize && !coding.IdentityRefused))
            return WithVary(head);
        encoder = new BodyEncoder(coding.Coding, Policy.Level);
        return Coded(head, coding.Coding) with { ContentLength = null };
    }

    /// <summary>
    /// Whether the policy covers this response at all: a status with a body (not 206: a range of the unencoded
    /// representation), not encoded already, and of a compressible content type.
    /// </summary>
    private bool Compressible(HttpResponse response)
    {
        if (StatusCodes.ForbidsBody(response.Status) || response.Status == 206) return false;
        if (response.Header("Content-Encoding") != null || response.Header("Content-Range") != null) return false;
        return IsCompressibleType(response.ContentType ?? response.Header("Content-Type"));
    }

    /// <summary>Whether <paramref name="contentType"/> (parameters ignored) is one of the policy's types.</summary>
    public bool IsCompressibleType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType)) return false;
        var semicolon = contentType.IndexOf(';');
        var mediaType = (semicolon < 0 ? contentType : contentType[..semicolon]).Trim();
        if (_types.Contains(mediaType)) return true;
        // An event stream lives as long as its client: compressed, it would hold an encoder (hundreds of KB) all that
        // time. Only a policy that names it compresses it.
        if (mediaType.Equals(ServerSentEvent.MediaType, StringComparison.OrdinalIgnoreCase)) return false;
        foreach (var prefix in _wholeTypes)
            if (mediaType.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    /// <summary>The response with <c>Vary: Accept-Encoding</c> added to (or merged into) its headers.</summary>
    private static HttpResponse WithVary(HttpResponse response) => response with { Headers = VaryHeaders(response.Headers) };

    /// <summary>The response marked as coded: <c>Content-Encoding</c>, <c>Vary</c>, and its <c>ETag</c> made weak.</summary>
    private static HttpResponse Coded(HttpResponse response, ContentCoding coding)
    {
        var headers = new List<HttpHeader>(response.Headers.Count + 2);
        foreach (var header in VaryHeaders(response.Headers))
            headers.Add(header.Is("ETag") && header.Value.StartsWith('"') ? new HttpHeader(header.Name, "W/" + header.Value) : header);
        headers.Add(new HttpHeader("Content-Encoding", coding.Token()));
        return response with { Headers = headers };
    }

    private static IReadOnlyList<HttpHeader> VaryHeaders(IReadOnlyList<HttpHeader> headers)
    {
        var list = new List<HttpHeader>(headers.Count + 1);
        var found = false;
        foreach (var header in headers)
        {
            if (!found && header.Is("Vary"))
            {
                found = true;
                list.Add(NamesAcceptEncoding(header.Value) ? header : new HttpHeader(header.Name, $"{header.Value}, Accept-Encoding"));
                continue;
            }
            list.Add(header);
        }
        if (!found) list.Add(new HttpHeader("Vary", "Accept-Encoding"));
        return list;
    }

    private static bool NamesAcceptEncoding(string vary)
    {
        foreach (var range in vary.AsSpan().Split(','))
        {
            var name = vary.AsSpan()[range].Trim();
            if (name is "*" || name.Equals("Accept-Encoding", StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }
}
