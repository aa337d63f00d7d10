using System.IO.Compression;
using Akka.Configuration;

namespace ActorHttp.Protocol.Compression;

/// <summary>
/// How a route compresses its responses and decodes compressed request bodies: <c>routes.WithCompression(policy)</c> in
/// code, <c>actor-http.compression</c> or a route's <c>compression</c> in HOCON. A response is compressed when the client
/// accepts one of <see cref="Encodings"/> (<c>Accept-Encoding</c>, q-values honoured), its content type is one of
/// <see cref="MimeTypes"/>, its body is at least <see cref="MinSize"/> (or of unknown length: a stream), and nothing rules
/// it out: a HEAD request, a 204/206/304 or other status without a body, a <c>Range</c> request, a response already
/// encoded. Every such response says <c>Vary: Accept-Encoding</c>. Immutable: start from <see cref="Default"/>
/// (reference.conf's <c>actor-http.compression</c>) and change with <c>with</c>.
/// </summary>
public sealed record CompressionPolicy
{
    private static readonly Lazy<CompressionPolicy> Defaults = new(() =>
        FromConfig(ReferenceConfig.Value.GetConfig("actor-http.compression"), "actor-http.compression"));

    /// <summary>reference.conf's <c>actor-http.compression</c>: Brotli then gzip, 1 KiB and up, the fastest level, text-like types.</summary>
    public static CompressionPolicy Default => Defaults.Value;

    /// <summary><c>encodings</c>: the codings offered, most preferred first (of <c>br</c> and <c>gzip</c>); used on equal q-values.</summary>
    public required IReadOnlyList<ContentCoding> Encodings { get; init; }

    /// <summary><c>min-size</c>: smaller bodies go out as they are (compressing them costs more than it saves), unless the client refuses identity.</summary>
    public required long MinSize { get; init; }

    /// <summary>
    /// <c>level</c>: <see cref="CompressionLevel.Fastest"/> (<c>fastest</c>, as nginx's and Kestrel's defaults),
    /// <see cref="CompressionLevel.Optimal"/> (<c>optimal</c>) or <see cref="CompressionLevel.SmallestSize"/> (<c>smallest</c>:
    /// costly, for static files that are compressed once and cached).
    /// </summary>
    public required CompressionLevel Level { get; init; }

    /// <summary>
    /// <c>mime-types</c>: the content types compressed, without parameters, case-insensitive; <c>text/*</c> names a whole
    /// type. Images, video, archives and the like are compressed already and are left out.
    /// </summary>
    public required IReadOnlyList<string> MimeTypes { get; init; }

    /// <summary>
    /// <c>decode-requests</c>: request bodies with <c>Content-Encoding</c> gzip, br or deflate reach the handler decoded (the
    /// header removed), the route's body size limit applying to the decoded size (413 beyond it, checked as it is decoded:
    /// a zip bomb costs no more than the limit); an unknown coding gets 415 with <c>Accept-Encoding</c>, corrupt data 400.
    /// Off: bodies reach the handler as sent.
    /// </summary>
    public required bool DecodeRequests { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> (message <c>key: problem</c>) when the policy is unusable.</summary>
    public void Validate()
    {
        if (Encodings.Count == 0) throw new ArgumentException("encodings: list at least one of br, gzip (or turn compression off)");
        foreach (var coding in Encodings)
            if (coding is not (ContentCoding.Brotli or ContentCoding.Gzip))
                throw new ArgumentException($"encodings: '{coding.Token()}' is not offered for responses (br, gzip)");
        if (Encodings.Distinct().Count() != Encodings.Count) throw new ArgumentException("encodings: a coding is listed twice");
        if (MinSize < 0) throw new ArgumentException($"min-size: must not be negative (was {MinSize})");
        if (!Enum.IsDefined(Level) || Level == CompressionLevel.NoCompression)
            throw new ArgumentException($"level: {Level} is not fastest, optimal or smallest");
        foreach (var type in MimeTypes)
            if (!IsMediaRange(type)) throw new ArgumentException($"mime-types: '{type}' is not a media type such as text/html or text/*");
    }

    private static bool IsMediaRange(string type)
    {
        var slash = type.IndexOf('/');
        return slash > 0 && slash < type.Length - 1 && type.IndexOf('/', slash + 1) < 0
               && !type.AsSpan().ContainsAny(" ;,\t") && (type.IndexOf('*') < 0 || type.EndsWith("/*", StringComparison.Ordinal));
    }

    /// <summary>
    /// Reads a <c>compression</c> section (<c>encodings</c>, <c>min-size</c>, <c>level</c>, <c>mime-types</c>,
    /// <c>decode-requests</c>) and validates it; <paramref name="key"/> names it in errors.
    /// </summary>
    /// <exception cref="ConfigurationException">A key is missing or invalid; the message names it.</exception>
    public static CompressionPolicy FromConfig(Config section, string key)
    {
        var keys = new ConfigKeys(section, key);
        var policy = new CompressionPolicy
        {
            Encodings = [.. keys.List("encodings").Select(token => ContentCodings.Parse(token) is { } coding && coding != ContentCoding.Identity
                ? coding
                : throw new ConfigurationException($"{key}.encodings: '{token}' is not a coding this server offers (br, gzip)"))],
            MinSize = keys.Size("min-size", 0, long.MaxValue),
            Level = keys.Read("level", (k, c) => c.GetString(k)?.Trim().ToLowerInvariant()) switch
            {
                "fastest" => CompressionLevel.Fastest,
                "optimal" => CompressionLevel.Optimal,
                "smallest" => CompressionLevel.SmallestSize,
                var other => throw new ConfigurationException($"{key}.level: '{other}' is not fastest, optimal or smallest"),
            },
            MimeTypes = keys.List("mime-types"),
            DecodeRequests = keys.Bool("decode-requests"),
        };
        try
        {
            policy.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ConfigurationException($"{key}.{e.Message}");
        }
        return policy;
    }
}
