using System.Net;
using ActorHttp.Protocol;

namespace ActorHttp.Server;

/// <summary>
/// <c>actor-http.server.forwarded-headers</c>: whether to believe <c>X-Forwarded-For</c> from the proxies in front of the
/// server. Off by default: without a proxy that sets (and overwrites) the header, any client can write it.
/// </summary>
/// <param name="Enabled">When on, a request from a trusted proxy gets its client address from <c>X-Forwarded-For</c>.</param>
/// <param name="TrustedProxies">Addresses or CIDR ranges of the proxies whose <c>X-Forwarded-For</c> is believed.</param>
public sealed record ForwardedHeadersSettings(bool Enabled, IReadOnlyList<IPNetwork> TrustedProxies)
{
    /// <summary>An address (<c>10.0.0.5</c>, <c>::1</c>) or a CIDR range (<c>10.0.0.0/8</c>).</summary>
    /// <exception cref="FormatException">Neither.</exception>
    public static IPNetwork Parse(string proxy)
    {
        proxy = proxy.Trim();
        if (IPAddress.TryParse(proxy, out var address))
        {
            address = Normalize(address);
            return new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        }
        return IPNetwork.TryParse(proxy, out var network) ? network
            : throw new FormatException($"'{proxy}' is neither an IP address nor a CIDR range");
    }

    /// <summary>True when <paramref name="address"/> is one of the trusted proxies.</summary>
    public bool IsTrusted(IPAddress address)
    {
        address = Normalize(address);
        foreach (var network in TrustedProxies)
            if (network.Contains(address)) return true;
        return false;
    }

    /// <summary>IPv4-mapped IPv6 addresses (<c>::ffff:10.0.0.1</c>, what dual-stack sockets report) compare as IPv4.</summary>
    internal static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}

/// <summary>
/// Wraps the router when <see cref="ForwardedHeadersSettings.Enabled"/>: a request whose peer is a trusted proxy gets, as
/// its <see cref="HttpRequest.RemoteAddress"/>, the last address of <c>X-Forwarded-For</c> that is not itself a trusted proxy
/// (the header is a list each proxy appends to, so only its right end, written by proxies we trust, can be believed).
/// Applied before routing, so handlers and route decisions see the client's address; the connection's access log keeps
/// the peer's. A header that does not parse as a list of addresses is ignored (the peer stays the address).
/// </summary>
internal sealed class ForwardedHeadersRouter(IRequestRouter inner, ForwardedHeadersSettings settings) : IRequestRouter
{
    /// <summary>Entries looked at, from the right: more hops than this are not a real proxy chain.</summary>
    private const int MaxHops = 32;

    public RouteDecision Route(HttpRequest request)
    {
        if (request.RemoteAddress is IPEndPoint peer && settings.IsTrusted(peer.Address) && ClientAddress(request.Headers) is { } client)
            request = request with { RemoteAddress = new IPEndPoint(client, 0) };
        return inner.Route(request);
    }

    // The inner router's route settings, so its routes' body limits still apply behind a proxy.
    public RouteSettings? SettingsFor(string method, string path) => inner.SettingsFor(method, path);

    public bool HasBodyLimits => inner.HasBodyLimits;

    /// <summary>The rightmost untrusted address of all X-Forwarded-For fields (read as one list), or the leftmost when all are trusted.</summary>
    private IPAddress? ClientAddress(HttpHeaders headers)
    {
        var entries = new List<string>();
        foreach (var value in headers.GetValues("X-Forwarded-For"))
            entries.AddRange(value.Split(','));
        if (entries.Count == 0) return null;

        IPAddress? candidate = null;
        for (int i = entries.Count - 1, hops = 0; i >= 0 && hops < MaxHops; i--, hops++)
        {
            if (!TryParseEntry(entries[i].Trim(), out var address)) return null;
            candidate = address;
            if (!settings.IsTrusted(address)) break;
        }
        return candidate;
    }

    /// <summary>
    /// An address, optionally with a port: <c>203.0.113.7</c>, <c>203.0.113.7:4711</c>, <c>2001:db8::1</c>,
    /// <c>[2001:db8::1]:4711</c>. IPv4 must be dotted-quad (the legacy forms <c>127.1</c> or <c>0x7f.0.0.1</c>, which
    /// IPAddress.TryParse accepts, are not addresses a proxy writes); IPv6 zone identifiers are refused.
    /// </summary>
    private static bool TryParseEntry(string entry, out IPAddress address)
    {
        address = IPAddress.None;
        string host;
        if (entry.StartsWith('['))
        {
            var close = entry.IndexOf(']');
            if (close < 0 || !IsPortSuffix(entry.AsSpan(close + 1))) return false;
            host = entry[1..close];
        }
        else if (entry.Count(c => c == ':') >= 2) host = entry; // bare IPv6
        else
        {
            var colon = entry.IndexOf(':');
            if (colon >= 0 && !IsPortSuffix(entry.AsSpan(colon))) return false;
            host = colon < 0 ? entry : entry[..colon];
            var parts = host.Split('.');
            if (parts.Length != 4 || parts.Any(p => p.Length is 0 or > 3 || !p.All(char.IsAsciiDigit))) return false;
        }
        if (host.Contains('%') || !IPAddress.TryParse(host, out var parsed)) return false;
        address = ForwardedHeadersSettings.Normalize(parsed);
        return true;
    }

    /// <summary>Empty, or ":" and a port number.</summary>
    private static bool IsPortSuffix(ReadOnlySpan<char> s) =>
        s.IsEmpty || (s[0] == ':' && s.Length is >= 2 and <= 6 && !s[1..].ContainsAnyExceptInRange('0', '9') && int.Parse(s[1..]) <= 65535);
}
