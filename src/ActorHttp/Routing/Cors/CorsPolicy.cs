using Akka.Configuration;
using ActorHttp.Protocol;
using ActorHttp.Server;

namespace ActorHttp.Routing.Cors;

/// <summary>
/// Which cross-origin requests a route allows (the Fetch standard's CORS protocol): <c>routes.WithCors(policy)</c> in
/// code, <c>actor-http.cors</c> or a route's <c>cors</c> in HOCON. Preflights (<c>OPTIONS</c> with <c>Origin</c> and
/// <c>Access-Control-Request-Method</c>) it allows are answered 204 by the server, before any filter; responses to an
/// allowed origin get <c>Access-Control-Allow-Origin</c> and the rest. Anything it does not allow gets no CORS header,
/// and the browser refuses it. Immutable: start from <see cref="Default"/> (reference.conf's <c>actor-http.cors</c>) or
/// <see cref="ForOrigins"/> and change with <c>with</c>.
/// </summary>
public sealed record CorsPolicy
{
    private static readonly Lazy<CorsPolicy> Defaults = new(() =>
        FromConfig(HttpServer.DefaultConfig().GetConfig("actor-http.cors"), "actor-http.cors", validate: false));

    /// <summary>reference.conf's <c>actor-http.cors</c>: no origin yet (give <see cref="AllowedOrigins"/>).</summary>
    public static CorsPolicy Default => Defaults.Value;

    /// <summary>The defaults with <paramref name="origins"/> allowed (<c>"*"</c> alone for any).</summary>
    public static CorsPolicy ForOrigins(params string[] origins) => Default with { AllowedOrigins = origins };

    /// <summary>
    /// <c>allowed-origins</c>: origins exactly as browsers send them (<c>https://app.example.com</c>, <c>http://localhost:5173</c>:
    /// scheme, lowercase host, port only when not the scheme's default, no slash), or <c>"*"</c> alone for any origin.
    /// </summary>
    public required IReadOnlyList<string> AllowedOrigins { get; init; }

    /// <summary><c>allowed-methods</c>: methods a preflight may ask for; empty: those the route serves; <c>"*"</c>: any.</summary>
    public required IReadOnlyList<string> AllowedMethods { get; init; }

    /// <summary>
    /// <c>allowed-headers</c>: request headers a page may send (case-insensitive, e.g. <c>content-type</c>, <c>authorization</c>);
    /// <c>"*"</c>: any. <c>Accept</c>, <c>Accept-Language</c> and <c>Content-Language</c> are always allowed.
    /// </summary>
    public required IReadOnlyList<string> AllowedHeaders { get; init; }

    /// <summary><c>exposed-headers</c>: response headers a page may read beyond the safelisted ones; <c>"*"</c>: all (not with credentials).</summary>
    public required IReadOnlyList<string> ExposedHeaders { get; init; }

    /// <summary><c>allow-credentials</c>: pages may send cookies and HTTP authentication, and read the answers. Never with <c>"*"</c> origins.</summary>
    public required bool AllowCredentials { get; init; }

    /// <summary><c>max-age</c>: how long a browser may cache a preflight's answer; null (<c>off</c>): no <c>Access-Control-Max-Age</c>.</summary>
    public required TimeSpan? MaxAge { get; init; }

    /// <summary>True when <see cref="AllowedOrigins"/> is <c>"*"</c>.</summary>
    public bool AnyOrigin => AllowedOrigins is ["*"];

    /// <summary>Throws <see cref="ArgumentException"/> (message <c>key: problem</c>) when the policy is unusable or unsafe.</summary>
    public void Validate()
    {
        if (AllowedOrigins.Count == 0) throw new ArgumentException("allowed-origins: list the origins allowed, or \"*\" for any");
        if (AllowedOrigins.Contains("*"))
        {
            if (AllowedOrigins.Count > 1) throw new ArgumentException("allowed-origins: \"*\" allows any origin and must stand alone");
            if (AllowCredentials)
                throw new ArgumentException("allowed-origins: \"*\" (any origin) cannot be combined with allow-credentials = on: " +
                                            "the Fetch standard forbids a wildcard with credentials; list the origins instead");
        }
        else
        {
            foreach (var origin in AllowedOrigins)
                if (SerializedOrigin(origin) is var expected && expected != origin)
                    throw new ArgumentException(expected == null
                        ? $"allowed-origins: '{origin}' is not an origin (scheme://host[:port], e.g. https://app.example.com)"
                        : $"allowed-origins: write '{origin}' as browsers send it: '{expected}'");
        }
        CheckTokens("allowed-methods", AllowedMethods, caseSensitive: true);
        CheckTokens("allowed-headers", AllowedHeaders, caseSensitive: false);
        CheckTokens("exposed-headers", ExposedHeaders, caseSensitive: false);
        if (AllowCredentials && ExposedHeaders.Contains("*"))
            throw new ArgumentException("exposed-headers: \"*\" is not a wildcard when credentials are allowed: list the headers");
        if (MaxAge is { } age && age < TimeSpan.Zero) throw new ArgumentException("max-age: must not be negative");
    }

    /// <summary>The origin as a browser serializes it, or null when <paramref name="origin"/> is not one.</summary>
    private static string? SerializedOrigin(string origin)
    {
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.UserInfo.Length > 0
            || uri.PathAndQuery is not ("/" or "") || uri.Fragment.Length > 0 || origin.Contains('?') || origin.Contains('#'))
            return null;
        return $"{uri.Scheme}://{uri.Authority}";
    }

    private static void CheckTokens(string key, IReadOnlyList<string> values, bool caseSensitive)
    {
        foreach (var value in values)
        {
            if (value == "*")
            {
                if (values.Count > 1) throw new ArgumentException($"{key}: \"*\" means any and must stand alone");
                continue;
            }
            if (value.Length == 0 || !value.All(c => c < 0x80 && Protocol.Parsing.HttpSyntax.Token.Contains((byte)c)))
                throw new ArgumentException($"{key}: '{value}' is not a {(caseSensitive ? "method" : "header")} name");
        }
    }

    /// <summary>Reads a policy from <paramref name="section"/>, naming <paramref name="prefix"/>.KEY in errors.</summary>
    /// <exception cref="ConfigurationException">A value is missing, malformed, or the policy is unsafe.</exception>
    internal static CorsPolicy FromConfig(Config section, string prefix, bool validate = true)
    {
        var c = new ConfigKeys(section, prefix);
        var policy = new CorsPolicy
        {
            AllowedOrigins = c.List("allowed-origins"),
            AllowedMethods = c.List("allowed-methods").Select(HttpMethods.Normalize).ToList(),
            AllowedHeaders = c.List("allowed-headers"),
            ExposedHeaders = c.List("exposed-headers"),
            AllowCredentials = c.Bool("allow-credentials"),
            MaxAge = c.Read("max-age", (k, x) => x.GetString(k)?.Trim().ToLowerInvariant() is "off" or "none" ? null : (TimeSpan?)x.GetTimeSpan(k)),
        };
        if (!validate) return policy;
        try
        {
            policy.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ConfigurationException($"{prefix}.{e.Message}", e);
        }
        return policy;
    }
}

/// <summary>
/// A <see cref="CorsPolicy"/> made ready for requests: sets for the lookups and the header values that never change.
/// Pure: no actors, no clock.
/// </summary>
internal sealed class CorsRules
{
    private static readonly HttpHeader VaryOrigin = new("Vary", "Origin");
    private static readonly HttpHeader VaryPreflight = new("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");

    /// <summary>What a response to a request from an origin not allowed (or from no origin) gets: caches must not mix the two.</summary>
    private static readonly IReadOnlyList<HttpHeader> NotAllowed = [VaryOrigin];

    /// <summary>Request headers the Fetch standard always lets through, whatever their value.</summary>
    private static readonly HashSet<string> Safelisted = new(["accept", "accept-language", "content-language"], StringComparer.OrdinalIgnoreCase);

    private readonly CorsPolicy _policy;
    private readonly HashSet<string> _origins;
    private readonly HashSet<string>? _methods, _headers; // null: any (or, for methods, those the route serves)
    private readonly HttpHeader? _credentials, _exposed, _maxAge;
    private readonly IReadOnlyList<HttpHeader>? _wildcard; // any origin without credentials: the same headers for all

    public CorsRules(CorsPolicy policy)
    {
        policy.Validate();
        _policy = policy;
        _origins = new HashSet<string>(policy.AllowedOrigins, StringComparer.Ordinal);
        _methods = policy.AllowedMethods.Count == 0 || policy.AllowedMethods is ["*"] ? null : new(policy.AllowedMethods, StringComparer.Ordinal);
        _headers = policy.AllowedHeaders is ["*"] ? null : new(policy.AllowedHeaders, StringComparer.OrdinalIgnoreCase);
        if (policy.AllowCredentials) _credentials = new HttpHeader("Access-Control-Allow-Credentials", "true");
        if (policy.ExposedHeaders.Count > 0) _exposed = new HttpHeader("Access-Control-Expose-Headers", string.Join(", ", policy.ExposedHeaders));
        if (policy.MaxAge is { } age) _maxAge = new HttpHeader("Access-Control-Max-Age", ((long)age.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (policy.AnyOrigin) _wildcard = [new HttpHeader("Access-Control-Allow-Origin", "*"), .. Optional(_exposed), VaryOrigin];
    }

    public CorsPolicy Policy => _policy;

    /// <summary>True for a CORS preflight: OPTIONS with <c>Origin</c> and <c>Access-Control-Request-Method</c>.</summary>
    public static bool IsPreflight(HttpRequest request, out string origin, out string method)
    {
        method = "";
        return request.Headers.TryGetValue("Origin", out origin) && request.Headers.TryGetValue("Access-Control-Request-Method", out method);
    }

    /// <summary>The headers to add to a response to <paramref name="request"/> (an actual request, not a preflight).</summary>
    public IReadOnlyList<HttpHeader> ForResponse(HttpRequest request)
    {
        if (!request.Headers.TryGetValue("Origin", out var origin) || !IsAllowed(origin)) return NotAllowed;
        if (_wildcard != null) return _wildcard;
        return [new HttpHeader("Access-Control-Allow-Origin", origin), .. Optional(_credentials), .. Optional(_exposed), VaryOrigin];
    }

    /// <summary>
    /// The answer to a preflight from <paramref name="origin"/> for <paramref name="method"/> (a method the route serves),
    /// or null when the policy does not allow it (the server then answers OPTIONS as usual, without CORS headers).
    /// </summary>
    public HttpResponse? Preflight(HttpRequest request, string origin, string method)
    {
        if (!IsAllowed(origin) || (_methods != null && !_methods.Contains(method))) return null;
        var requested = request.Headers["Access-Control-Request-Headers"];
        List<string>? headers = null;
        if (requested != null)
        {
            foreach (var part in requested.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (_headers != null && !_headers.Contains(part) && !Safelisted.Contains(part)) return null;
                (headers ??= []).Add(part);
            }
        }
        List<HttpHeader> fields =
        [
            new("Access-Control-Allow-Origin", _wildcard != null ? "*" : origin),
            new("Access-Control-Allow-Methods", _methods == null ? method : string.Join(", ", _policy.AllowedMethods)),
        ];
        if (headers != null) fields.Add(new("Access-Control-Allow-Headers", string.Join(", ", headers)));
        if (_maxAge is { } maxAge) fields.Add(maxAge);
        if (_credentials is { } credentials) fields.Add(credentials);
        fields.Add(VaryPreflight);
        return new HttpResponse { Status = StatusCodes.NoContent, Headers = fields };
    }

    private bool IsAllowed(string origin) => _wildcard != null || _origins.Contains(origin);

    private static IEnumerable<HttpHeader> Optional(HttpHeader? header) => header is { } h ? [h] : [];

    /// <summary>
    /// <paramref name="response"/> with <paramref name="headers"/> added, unless the handler answered CORS itself
    /// (it set <c>Access-Control-Allow-Origin</c>): then it knows better, and two values would make browsers refuse it.
    /// </summary>
    public static HttpResponse Decorate(HttpResponse response, IReadOnlyList<HttpHeader> headers)
    {
        if (response.Header("Access-Control-Allow-Origin") != null) return response;
        return response with { Headers = [.. response.Headers, .. headers] };
    }
}
