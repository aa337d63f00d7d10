using System.Security.Cryptography;
using System.Text;
using Akka.Configuration;
using ActorHttp.Protocol;

namespace ActorHttp.Routing.Filters;

/// <summary>
/// Settings of an <see cref="ApiKeyFilter"/> (HOCON: a filter definition of <c>type = api-key</c>, defaults in
/// <c>actor-http.filter-defaults.api-key</c>).
/// </summary>
public sealed record ApiKeySettings
{
    /// <summary>Shortest key accepted: shorter ones are guessable.</summary>
    public const int MinKeyLength = 16;

    private static readonly Lazy<ApiKeySettings> Defaults = new(() =>
        FromConfig(Server.HttpServer.DefaultConfig().GetConfig("actor-http.filter-defaults.api-key"), "actor-http.filter-defaults.api-key", validate: false));

    /// <summary>reference.conf's <c>actor-http.filter-defaults.api-key</c>, without keys: give <see cref="Keys"/> with <c>with</c>.</summary>
    public static ApiKeySettings Default => Defaults.Value;

    /// <summary>
    /// <c>header</c>: where the client presents its key. <c>Authorization</c> (the default) expects <c>Bearer KEY</c>
    /// (RFC 6750); any other header (e.g. <c>X-Api-Key</c>) holds the key alone.
    /// </summary>
    public required string Header { get; init; }

    /// <summary><c>realm</c>: the realm named in <c>WWW-Authenticate</c>.</summary>
    public required string Realm { get; init; }

    /// <summary>
    /// <c>keys</c>: the accepted keys by client name; the name of the key a request presents becomes its
    /// <see cref="ApiKeyFilter.ClientItem"/>. At least <see cref="MinKeyLength"/> characters of
    /// <c>A-Z a-z 0-9 - . _ ~ + / =</c> (what a bearer token may hold).
    /// </summary>
    public required IReadOnlyDictionary<string, string> Keys { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> saying what is wrong.</summary>
    public void Validate()
    {
        if (Header.Length == 0 || !Header.All(c => c < 0x80 && Protocol.Parsing.HttpSyntax.Token.Contains((byte)c)))
            throw new ArgumentException($"header: '{Header}' is not a header name");
        if (Realm.Any(c => c is '"' or '\\' || c < 0x20 || c >= 0x7f))
            throw new ArgumentException("realm: must be printable ASCII without quotes or backslashes");
        if (Keys.Count == 0) throw new ArgumentException("keys: at least one key is needed");
        foreach (var (name, key) in Keys)
        {
            if (key.Length < MinKeyLength)
                throw new ArgumentException($"keys.{name}: a key must have at least {MinKeyLength} characters");
            if (!key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or '+' or '/' or '='))
                throw new ArgumentException($"keys.{name}: a key may hold only A-Z a-z 0-9 - . _ ~ + / =");
        }
        if (Keys.Values.Distinct(StringComparer.Ordinal).Count() != Keys.Count)
            throw new ArgumentException("keys: two clients have the same key");
    }

    /// <summary>Reads a filter definition's section (already backed by the defaults), naming <paramref name="prefix"/>.KEY in errors.</summary>
    internal static ApiKeySettings FromConfig(Config section, string prefix, bool validate = true)
    {
        var c = new ConfigKeys(section, prefix);
        var settings = new ApiKeySettings
        {
            Header = c.Read("header", (k, x) => x.GetString(k) ?? ""),
            Realm = c.Read("realm", (k, x) => x.GetString(k) ?? ""),
            // Not through ConfigKeys.Read: HOCON may not report an empty object (reference.conf's `keys {}`) as a path.
            Keys = section.HasPath("keys") && section.GetConfig("keys") is { IsEmpty: false } keys
                ? keys.Root.GetObject().Items.ToDictionary(item => item.Key, item => item.Value.GetString() ?? "", StringComparer.Ordinal)
                : new Dictionary<string, string>(),
        };
        if (!validate) return settings;
        try
        {
            settings.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ConfigurationException($"{prefix}.{e.Message}");
        }
        return settings;
    }
}

/// <summary>
/// Lets a request through only with one of the configured API keys, presented as <c>Authorization: Bearer KEY</c> or in
/// the configured header. Without a key: 401 with <c>WWW-Authenticate: Bearer realm="…"</c>. With a wrong one: also 401,
/// with <c>error="invalid_token"</c> (RFC 6750 §3.1 keeps 403 for a valid token without the scope a resource needs, which
/// plain keys do not have). A request that passes carries the key's client name as <see cref="ClientItem"/>.
/// <para>
/// Keys are compared as SHA-256 hashes with <see cref="CryptographicOperations.FixedTimeEquals"/>, against every key
/// without stopping at a match: the time taken tells neither how much of a key was right nor its length.
/// </para>
/// </summary>
public sealed class ApiKeyFilter : IRequestFilter
{
    /// <summary>The <see cref="HttpRequest.Items"/> entry holding the client name of the key that was presented (a string).</summary>
    public const string ClientItem = "actor-http.api-key.client";

    private readonly string _header;
    private readonly bool _bearer;
    private readonly string[] _clients;
    private readonly byte[][] _hashes;
    private readonly HttpResponse _missing, _invalid;

    public ApiKeyFilter(ApiKeySettings settings)
    {
        settings.Validate();
        _header = settings.Header;
        _bearer = settings.Header.Equals("Authorization", StringComparison.OrdinalIgnoreCase);
        _clients = [.. settings.Keys.Keys];
        _hashes = [.. settings.Keys.Values.Select(key => SHA256.HashData(Encoding.ASCII.GetBytes(key)))];
        var challenge = $"Bearer realm=\"{settings.Realm}\"";
        _missing = HttpResponse.Error(StatusCodes.Unauthorized, "an API key is required") with { Headers = [new HttpHeader("WWW-Authenticate", challenge)] };
        _invalid = HttpResponse.Error(StatusCodes.Unauthorized, "invalid API key")
            with { Headers = [new HttpHeader("WWW-Authenticate", $"{challenge}, error=\"invalid_token\"")] };
    }

    /// <summary>A filter accepting <paramref name="keys"/> (client name → key) in <paramref name="header"/>, with the default realm.</summary>
    public static ApiKeyFilter For(IReadOnlyDictionary<string, string> keys, string header = "Authorization") =>
        new(ApiKeySettings.Default with { Keys = keys, Header = header });

    /// <inheritdoc />
    public FilterResult Filter(HttpRequest request)
    {
        if (!request.Headers.TryGetValue(_header, out var value)) return FilterResult.Respond(_missing);
        var token = value.AsSpan().Trim(' ');
        if (_bearer)
        {
            // RFC 9110 §11.1: the scheme is case-insensitive; another scheme (Basic …) is no bearer token at all.
            if (token.Length < 7 || !token[..6].Equals("Bearer", StringComparison.OrdinalIgnoreCase) || token[6] != ' ')
                return FilterResult.Respond(_missing);
            token = token[7..].TrimStart(' ');
        }
        if (token.IsEmpty) return FilterResult.Respond(_missing);
        var client = Match(token);
        return client < 0 ? FilterResult.Respond(_invalid) : FilterResult.Continue(request.WithItem(ClientItem, _clients[client]));
    }

    /// <summary>The index of the key <paramref name="token"/> is, or -1; the same work whatever it is.</summary>
    private int Match(ReadOnlySpan<char> token)
    {
        // Header values are Latin-1 (one byte per char), and at most parsing.max-header-section-size long.
        var bytes = token.Length <= 512 ? stackalloc byte[token.Length] : new byte[token.Length];
        Encoding.Latin1.GetBytes(token, bytes);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(bytes, hash);
        var found = -1;
        for (var i = 0; i < _hashes.Length; i++)
            if (CryptographicOperations.FixedTimeEquals(hash, _hashes[i])) found = i;
        return found;
    }
}
