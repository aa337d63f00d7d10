using System.Text;

namespace ActorHttp.Protocol.Parsing;

/// <summary>The values of the header fields that frame a request or the connection: Content-Length, Transfer-Encoding, Connection.</summary>
internal static class HeaderValueSyntax
{
    /// <summary>Content-Length = 1*DIGIT, without sign, list, or leading zeros (RFC 9110 §8.6; strict).</summary>
    public static bool TryParseContentLength(ReadOnlySpan<byte> value, out long length)
    {
        length = 0;
        if (value.IsEmpty || value.Length > 18) return false;
        if (value.Length > 1 && value[0] == (byte)'0') return false;
        foreach (var b in value)
        {
            if (!char.IsAsciiDigit((char)b)) return false;
            length = length * 10 + (b - '0');
        }
        return true;
    }

    /// <summary>
    /// Transfer-Encoding is a list of codings; only <c>chunked</c>, once and last, frames a request (RFC 9112 §6.1).
    /// Another coding before it is valid HTTP we do not implement (501); anything after it, or a malformed list, is 400.
    /// </summary>
    public static ParseError? ParseTransferEncoding(ReadOnlySpan<byte> value, ref bool chunked, ref bool otherCoding)
    {
        // Several Transfer-Encoding fields form one list (RFC 9110 §5.3), so the flags carry across fields.
        if (value.IsEmpty) return new ParseError(StatusCodes.BadRequest, "empty Transfer-Encoding");
        foreach (var range in value.Split((byte)','))
        {
            var coding = HttpSyntax.TrimOws(value[range]);
            if (coding.IsEmpty || coding.ContainsAnyExcept(HttpSyntax.Token)) return new ParseError(StatusCodes.BadRequest, "invalid Transfer-Encoding");
            if (chunked) return new ParseError(StatusCodes.BadRequest, "chunked is not the final transfer coding");
            if (Ascii.EqualsIgnoreCase(coding, "chunked"u8)) chunked = true;
            else otherCoding = true;
        }
        return null;
    }

    public static void ParseConnection(ReadOnlySpan<byte> value, ref bool close, ref bool keepAlive)
    {
        foreach (var range in value.Split((byte)','))
        {
            var option = HttpSyntax.TrimOws(value[range]);
            if (Ascii.EqualsIgnoreCase(option, "close"u8)) close = true;
            else if (Ascii.EqualsIgnoreCase(option, "keep-alive"u8)) keepAlive = true;
        }
    }
}
