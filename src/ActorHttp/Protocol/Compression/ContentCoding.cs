namespace ActorHttp.Protocol.Compression;

/// <summary>A content coding (RFC 9110 §8.4.1) the server can apply to a response body or remove from a request body.</summary>
public enum ContentCoding : byte
{
    /// <summary>No coding: the body as it is.</summary>
    Identity,
    /// <summary><c>gzip</c> (RFC 1952); <c>x-gzip</c> is the same.</summary>
    Gzip,
    /// <summary><c>br</c>, Brotli (RFC 7932).</summary>
    Brotli,
    /// <summary><c>deflate</c>: the zlib format (RFC 1950). Decoded in requests; not offered for responses (clients long disagreed on it).</summary>
    Deflate,
}

/// <summary>The names of <see cref="ContentCoding"/>s as they appear in <c>Accept-Encoding</c> and <c>Content-Encoding</c>.</summary>
public static class ContentCodings
{
    /// <summary>The token of <paramref name="coding"/>: <c>identity</c>, <c>gzip</c>, <c>br</c> or <c>deflate</c>.</summary>
    public static string Token(this ContentCoding coding) => coding switch
    {
        ContentCoding.Gzip => "gzip",
        ContentCoding.Brotli => "br",
        ContentCoding.Deflate => "deflate",
        _ => "identity",
    };

    /// <summary>The coding named <paramref name="token"/> (case-insensitive; <c>x-gzip</c> is gzip), or null for one this server does not know.</summary>
    public static ContentCoding? Parse(ReadOnlySpan<char> token)
    {
        if (token.Equals("gzip", StringComparison.OrdinalIgnoreCase) || token.Equals("x-gzip", StringComparison.OrdinalIgnoreCase)) return ContentCoding.Gzip;
        if (token.Equals("br", StringComparison.OrdinalIgnoreCase)) return ContentCoding.Brotli;
        if (token.Equals("deflate", StringComparison.OrdinalIgnoreCase)) return ContentCoding.Deflate;
        if (token.Equals("identity", StringComparison.OrdinalIgnoreCase)) return ContentCoding.Identity;
        return null;
    }
}
