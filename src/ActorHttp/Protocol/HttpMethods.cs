namespace ActorHttp.Protocol;

/// <summary>
/// The standard method names (RFC 9110 §9 and RFC 5789). The parser hands out these exact string
/// instances for known methods, so no string is allocated per request for them.
/// </summary>
public static class HttpMethods
{
    public const string Get = "GET";
    public const string Head = "HEAD";
    public const string Post = "POST";
    public const string Put = "PUT";
    public const string Delete = "DELETE";
    public const string Patch = "PATCH";
    public const string Options = "OPTIONS";
    public const string Trace = "TRACE";
    public const string Connect = "CONNECT";

    /// <summary>All standard methods, in the order the <c>Allow</c> header lists them.</summary>
    public static readonly IReadOnlyList<string> Standard = [Get, Head, Post, Put, Delete, Patch, Options, Trace, Connect];

    /// <summary>Returns the interned instance for a standard method spelled exactly (methods are case-sensitive).</summary>
    internal static string? FromBytes(ReadOnlySpan<byte> name) => name.Length switch
    {
        3 when name.SequenceEqual("GET"u8) => Get,
        3 when name.SequenceEqual("PUT"u8) => Put,
        4 when name.SequenceEqual("POST"u8) => Post,
        4 when name.SequenceEqual("HEAD"u8) => Head,
        5 when name.SequenceEqual("PATCH"u8) => Patch,
        5 when name.SequenceEqual("TRACE"u8) => Trace,
        6 when name.SequenceEqual("DELETE"u8) => Delete,
        7 when name.SequenceEqual("OPTIONS"u8) => Options,
        7 when name.SequenceEqual("CONNECT"u8) => Connect,
        _ => null,
    };

    /// <summary>
    /// The interned instance of the standard method spelled <paramref name="method"/> (ordinal, case-sensitive), or null
    /// when it is not one. Allocates nothing: the compiled switch picks the one candidate by length and a character, and
    /// string equality tests the reference first, so the parser's interned strings cost no character comparison.
    /// </summary>
    internal static string? Interned(string method) => method switch
    {
        Get => Get,
        Put => Put,
        Post => Post,
        Head => Head,
        Patch => Patch,
        Trace => Trace,
        Delete => Delete,
        Options => Options,
        Connect => Connect,
        _ => null,
    };

    /// <summary>
    /// Returns the interned instance of <paramref name="method"/> if it is a standard method spelled exactly, else the
    /// argument itself. Code compares methods by reference, so every <see cref="HttpRequest"/> passes its method through here.
    /// </summary>
    public static string Normalize(string method) => Interned(method) ?? method;

    /// <summary>True for the methods RFC 9110 defines; others are answered 501 unless a route names them.</summary>
    public static bool IsStandard(string method) => Interned(method) != null;
}
