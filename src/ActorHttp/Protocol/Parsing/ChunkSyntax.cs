namespace ActorHttp.Protocol.Parsing;

/// <summary>The lines of a chunked body (RFC 9112 §7.1): chunk-size lines with their extensions, and trailer fields.</summary>
internal static class ChunkSyntax
{
    /// <summary>chunk-size [ chunk-ext ] (RFC 9112 §7.1): hex size, then <c>;name[=token|quoted]</c> extensions, ignored.</summary>
    public static ParseError? ParseChunkLine(ReadOnlySpan<byte> line, out long size)
    {
        size = 0;
        var i = 0;
        while (i < line.Length && HttpSyntax.HexValue(line[i]) >= 0)
        {
            if (i == 15) return new ParseError(StatusCodes.BadRequest, "chunk size too large");
            size = size * 16 + HttpSyntax.HexValue(line[i]);
            i++;
        }
        if (i == 0) return new ParseError(StatusCodes.BadRequest, "invalid chunk size");
        while (i < line.Length)
        {
            while (i < line.Length && HttpSyntax.IsWhitespace(line[i])) i++;
            if (i == line.Length || line[i] != (byte)';') return new ParseError(StatusCodes.BadRequest, "invalid chunk size");
            i++;
            while (i < line.Length && HttpSyntax.IsWhitespace(line[i])) i++;
            var nameLength = TokenLength(line[i..]);
            if (nameLength == 0) return new ParseError(StatusCodes.BadRequest, "invalid chunk extension");
            i += nameLength;
            var j = i;
            while (j < line.Length && HttpSyntax.IsWhitespace(line[j])) j++;
            if (j < line.Length && line[j] == (byte)'=')
            {
                j++;
                while (j < line.Length && HttpSyntax.IsWhitespace(line[j])) j++;
                var valueLength = j < line.Length && line[j] == (byte)'"' ? QuotedStringLength(line[j..]) : TokenLength(line[j..]);
                if (valueLength == 0) return new ParseError(StatusCodes.BadRequest, "invalid chunk extension");
                i = j + valueLength;
            }
        }
        return null;
    }

    private static int TokenLength(ReadOnlySpan<byte> s)
    {
        var n = s.IndexOfAnyExcept(HttpSyntax.Token);
        return n < 0 ? s.Length : n;
    }

    /// <summary>Length of the quoted-string at the start of <paramref name="s"/>, or 0 if it is not one.</summary>
    private static int QuotedStringLength(ReadOnlySpan<byte> s)
    {
        for (var i = 1; i < s.Length; i++)
        {
            var b = s[i];
            if (b == (byte)'"') return i + 1;
            if (b == (byte)'\\')
            {
                if (++i == s.Length || !(s[i] == (byte)'\t' || (s[i] >= 0x20 && s[i] != 0x7F))) return 0;
            }
            else if (!HttpSyntax.QuotedText.Contains(b)) return 0;
        }
        return 0;
    }

    /// <summary>Trailer fields are checked like header fields; framing and routing fields may not appear there.</summary>
    public static ParseError? ValidateTrailer(ReadOnlySpan<byte> line)
    {
        if (HttpSyntax.IsWhitespace(line[0])) return new ParseError(StatusCodes.BadRequest, "obsolete line folding");
        var colon = line.IndexOf((byte)':');
        if (colon <= 0) return new ParseError(StatusCodes.BadRequest, "malformed trailer field");
        var name = line[..colon];
        if (name.ContainsAnyExcept(HttpSyntax.Token)) return new ParseError(StatusCodes.BadRequest, "invalid trailer name");
        if (line[(colon + 1)..].ContainsAnyExcept(HttpSyntax.FieldValue)) return new ParseError(StatusCodes.BadRequest, "invalid trailer value");
        if (KnownHeaders.Identify(name) != KnownHeader.Other || KnownHeaders.IsForbiddenInTrailer(name))
            return new ParseError(StatusCodes.BadRequest, "forbidden trailer field");
        return null;
    }
}
