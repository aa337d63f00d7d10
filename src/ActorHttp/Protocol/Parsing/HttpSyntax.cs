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

    /// <summary>Bytes of a Host value: reg-name, IP literal brackets, port colon, percent-encoding.</summary>
    public static readonly SearchValues<byte> Host = SearchValues.Create(ToBytes(Alpha + Digit + "-._~" + "!$&'()*+,;=" + ":[]%"));

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
