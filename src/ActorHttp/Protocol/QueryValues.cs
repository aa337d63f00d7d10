using System.Buffers;
using System.Collections;
using System.Text;

namespace ActorHttp.Protocol;

/// <summary>
/// A query string parsed into name/value pairs (<see cref="HttpRequest.QueryValues"/>), following the
/// <c>application/x-www-form-urlencoded</c> parser of the WHATWG URL standard: pairs are separated by <c>&amp;</c>
/// (empty ones skipped), a pair without <c>=</c> has the empty value, <c>+</c> is a space, percent escapes are decoded
/// as UTF-8 (invalid UTF-8 becomes U+FFFD) and an invalid escape (<c>%zz</c>, a lone <c>%</c>) is kept literally.
/// Repeated names are kept, in order. Names compare ordinally (case-sensitive). Immutable and thread-safe.
/// </summary>
public sealed class QueryValues : IReadOnlyList<KeyValuePair<string, string>>
{
    /// <summary>No pairs.</summary>
    public static readonly QueryValues Empty = new([]);

    private readonly KeyValuePair<string, string>[] _pairs;

    private QueryValues(KeyValuePair<string, string>[] pairs) => _pairs = pairs;

    /// <summary>The number of pairs, repeated names counted each time.</summary>
    public int Count => _pairs.Length;

    /// <summary>The pair at <paramref name="index"/>, in the order of the query.</summary>
    public KeyValuePair<string, string> this[int index] => _pairs[index];

    /// <summary>The first value of <paramref name="name"/>, or null when the query has no such name.</summary>
    public string? this[string name]
    {
        get
        {
            foreach (var (key, value) in _pairs)
                if (string.Equals(key, name, StringComparison.Ordinal)) return value;
            return null;
        }
    }

    /// <summary>True when the query has a pair named <paramref name="name"/>.</summary>
    public bool Contains(string name) => this[name] != null;

    /// <summary>Every value of <paramref name="name"/>, in order; empty when there is none.</summary>
    public IReadOnlyList<string> GetAll(string name)
    {
        List<string>? values = null;
        foreach (var (key, value) in _pairs)
            if (string.Equals(key, name, StringComparison.Ordinal)) (values ??= []).Add(value);
        return values ?? (IReadOnlyList<string>)[];
    }

    /// <summary>Parses <paramref name="query"/> (without its leading <c>?</c>). Never throws.</summary>
    public static QueryValues Parse(string query)
    {
        if (query.Length == 0) return Empty;
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var range in query.AsSpan().Split('&'))
        {
            var pair = query.AsSpan(range);
            if (pair.IsEmpty) continue;
            var eq = pair.IndexOf('=');
            var name = eq < 0 ? pair : pair[..eq];
            var value = eq < 0 ? [] : pair[(eq + 1)..];
            pairs.Add(new(Decode(name), Decode(value)));
        }
        return pairs.Count == 0 ? Empty : new QueryValues([.. pairs]);
    }

    /// <summary>Encodes <paramref name="pairs"/> as a query (without <c>?</c>), the inverse of <see cref="Parse"/>: <c>a=1&amp;b=x%20y</c>.</summary>
    public static string Encode(IEnumerable<KeyValuePair<string, string>> pairs) =>
        string.Join('&', pairs.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));

    /// <summary>Replaces <c>+</c> by a space and percent-decodes as UTF-8; the query as sent is ASCII, so the common case costs one string.</summary>
    private static string Decode(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty) return "";
        if (!s.ContainsAny('%', '+')) return s.ToString();
        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(s.Length));
        try
        {
            var length = 0;
            for (var i = 0; i < s.Length; i++)
            {
                var c = s[i];
                if (c == '+') rented[length++] = (byte)' ';
                else if (c == '%' && i + 2 < s.Length && char.IsAsciiHexDigit(s[i + 1]) && char.IsAsciiHexDigit(s[i + 2]))
                {
                    rented[length++] = (byte)((HexValue(s[i + 1]) << 4) | HexValue(s[i + 2]));
                    i += 2;
                }
                else if (c < 0x80) rented[length++] = (byte)c;
                else
                {
                    // A query built in code may hold non-ASCII text: it stands for its UTF-8 bytes (a surrogate pair whole).
                    var run = char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]) ? 2 : 1;
                    length += Encoding.UTF8.GetBytes(s.Slice(i, run), rented.AsSpan(length));
                    i += run - 1;
                }
            }
            return Encoding.UTF8.GetString(rented, 0, length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, string>>)_pairs).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The pairs as <c>name=value</c>, decoded, for logs and test output.</summary>
    public override string ToString() => string.Join('&', _pairs.Select(p => $"{p.Key}={p.Value}"));
}
