using System.Buffers;

namespace ActorHttp.Protocol.Parsing;

/// <summary>The character classes of RFC 9110 / 9112 / 3986 as vectorizable byte sets.</summary>
internal static class HttpSyntax
{
    private const string Alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private const string Digit = "0123456789";

    private const string TokenCharacters = Alpha + Digit + "!#$%&'*+-.^_`|~";

    /// <summary>tchar (RFC 9110 §5.6.2): method names, header names, coding names.</summary>
    public static readonly SearchValues<byte> Token = SearchValues.Create(ToBytes(TokenCharacters));

    /// <summary>The same tchar set, for names given as strings (response headers set by handlers).</summary>
    public static readonly SearchValues<char> TokenChars = SearchValues.Create(TokenCharacters);

    /// <summary>Bytes allowed in a request-target: RFC 3986 unreserved, sub-delims, gen-delims but '#', and '%'.</summary>
    public static readonly SearchValues<byte> Target = SearchValues.Create(ToBytes(Alpha + Digit + "-._~" + "!$&'()*+,;=" + ":/?[]@" + "%"));

    /// <summary>field-vchar, SP and HTAB, plus obs-text (0x80–0xFF): what a field value may hold.</summary>
    public static readonly SearchValues<byte> FieldValue = SearchValues.Create(FieldValueBytes());

    /// <summary>
    /// Bytes of a reg-name host (RFC 3986 §3.2.2: unreserved, sub-delims, percent-encoding) except the comma: Host is a
    /// singleton, and a comma is what combining two Host lines into one (RFC 9110 §5.3) leaves behind.
    /// </summary>
    public static readonly SearchValues<byte> RegName = SearchValues.Create(ToBytes(Alpha + Digit + "-._~" + "!$&'()*+;=" + "%"));

    private static readonly SearchValues<byte> Digits = SearchValues.Create(ToBytes(Digit));

    private static readonly SearchValues<byte> Ipv6Literal = SearchValues.Create(ToBytes(Digit + "abcdefABCDEF:."));

    /// <summary>
    /// Host = uri-host [ ":" port ] (RFC 9110 §7.2, RFC 3986 §3.2.2–3.2.3): a reg-name (see <see cref="RegName"/>) with valid
    /// percent-encoding, or a bracketed IPv6 address; a port of at most five digits. Empty is allowed (RFC 9112 §3.2: a
    /// target without authority). Anything else is an invalid Host value, which RFC 9112 §3.2 says to answer with 400.
    /// </summary>
    public static bool IsValidHost(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty) return true;
        ReadOnlySpan<byte> rest;
        if (value[0] == (byte)'[')
        {
            var close = value.IndexOf((byte)']');
            if (close < 0 || !IsIPv6(value[1..close])) return false;
            rest = value[(close + 1)..];
        }
        else
        {
            var colon = value.IndexOf((byte)':');
            var host = colon < 0 ? value : value[..colon];
            if (host.IsEmpty || host.ContainsAnyExcept(RegName) || !HasValidPercentEncoding(host)) return false;
            rest = colon < 0 ? default : value[colon..];
        }
        if (rest.IsEmpty) return true;
        var port = rest[1..];
        return rest[0] == (byte)':' && port.Length <= 5 && !port.ContainsAnyExcept(Digits);
    }

    private static bool IsIPv6(ReadOnlySpan<byte> literal)
    {
        if (literal.Length is < 2 or > 45 || literal.ContainsAnyExcept(Ipv6Literal)) return false;
        Span<char> chars = stackalloc char[literal.Length];
        for (var i = 0; i < literal.Length; i++) chars[i] = (char)literal[i];
        return System.Net.IPAddress.TryParse(chars, out var address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
    }

    /// <summary>Every '%' is followed by two hex digits.</summary>
    public static bool HasValidPercentEncoding(ReadOnlySpan<byte> s)
    {
        for (var i = s.IndexOf((byte)'%'); i >= 0;)
        {
            if (i + 2 >= s.Length || HexValue(s[i + 1]) < 0 || HexValue(s[i + 2]) < 0) return false;
            var next = s[(i + 3)..].IndexOf((byte)'%');
            i = next < 0 ? -1 : i + 3 + next;
        }
        return true;
    }

    public static readonly SearchValues<byte> HexDigit = SearchValues.Create(ToBytes(Digit + "abcdefABCDEF"));

    /// <summary>qdtext of a quoted-string (RFC 9110 §5.6.4) excluding the backslash handled separately.</summary>
    public static readonly SearchValues<byte> QuotedText = SearchValues.Create(QuotedTextBytes());

    public static bool IsWhitespace(byte b) => b == (byte)' ' || b == (byte)'\t';

    public static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    /// <summary>Trims optional whitespace (SP / HTAB) from both ends.</summary>
    public static ReadOnlySpan<byte> TrimOws(ReadOnlySpan<byte> s)
    {
        int start = 0, end = s.Length;
        while (start < end && IsWhitespace(s[start])) start++;
        while (end > start && IsWhitespace(s[end - 1])) end--;
        return s[start..end];
    }

    private static byte[] ToBytes(string s) => s.Select(c => (byte)c).ToArray();

    private static byte[] FieldValueBytes()
    {
        var list = new List<byte> { (byte)'\t' };
        for (var b = 0x20; b <= 0xFF; b++)
            if (b != 0x7F) list.Add((byte)b);
        return list.ToArray();
    }

    private static byte[] QuotedTextBytes()
    {
        var list = new List<byte> { (byte)'\t', (byte)' ', 0x21 };
        for (var b = 0x23; b <= 0xFF; b++)
            if (b != 0x5C && b != 0x7F) list.Add((byte)b);
        return list.ToArray();
    }
}
