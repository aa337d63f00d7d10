using System.Globalization;
using ActorHttp.Protocol;

namespace ActorHttp.Handlers.StaticFiles;

/// <summary>What a <c>Range</c> header asks of a file.</summary>
internal enum RangeKind
{
    /// <summary>No range, or one to ignore (malformed, several ranges, another unit): serve the whole file.</summary>
    Whole,

    /// <summary>One satisfiable range: 206.</summary>
    Partial,

    /// <summary>A range that starts past the end: 416.</summary>
    Unsatisfiable,
}

/// <summary>
/// The conditional and range headers of GET (RFC 9110 §13 and §14) evaluated against a <see cref="StaticFile"/>.
/// Headers are read only when present; nothing is allocated for a request that sends none.
/// </summary>
internal static class ConditionalRequests
{
    private static readonly string[] HttpDateFormats =
    [
        "r",                                   // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
        "dddd, dd-MMM-yy HH:mm:ss 'GMT'",      // obsolete RFC 850
        "ddd MMM d HH:mm:ss yyyy",             // obsolete asctime (AllowInnerWhite takes its padding)
    ];

    /// <summary>
    /// True when the client's copy is current (304): If-None-Match, when sent, decides alone (weak comparison, <c>*</c>
    /// matches); otherwise If-Modified-Since, when a valid date, is compared at second precision. RFC 9110 §13.2.2.
    /// </summary>
    public static bool IsNotModified(HttpHeaders headers, string etag, DateTimeOffset lastModified)
    {
        if (headers.Contains("If-None-Match"))
        {
            foreach (var list in headers.GetValues("If-None-Match"))
                if (ETagListMatches(list, etag)) return true;
            return false;
        }
        return headers.TryGetValue("If-Modified-Since", out var since)
               && TryParseHttpDate(since, out var date)
               && lastModified <= date;
    }

    /// <summary>
    /// What the request's <c>Range</c> asks of <paramref name="file"/>, with the range when <see cref="RangeKind.Partial"/>.
    /// An <c>If-Range</c> that does not match the file turns a range into the whole file.
    /// </summary>
    public static RangeKind RangeOf(HttpHeaders headers, StaticFile file, out long start, out long length)
    {
        start = length = 0;
        if (!headers.TryGetValue("Range", out var range)) return RangeKind.Whole;
        if (headers.TryGetValue("If-Range", out var ifRange) && !IfRangeMatches(ifRange, file)) return RangeKind.Whole;
        return ParseRange(range, file.Length, out start, out length);
    }

    /// <summary>
    /// One <c>bytes=</c> range against a representation of <paramref name="size"/> bytes (RFC 9110 §14.1.2):
    /// <c>a-b</c>, <c>a-</c>, <c>-n</c> (the last n bytes). Several ranges, a malformed one, another unit or an empty
    /// file: <see cref="RangeKind.Whole"/> (ignoring Range is always allowed).
    /// </summary>
    internal static RangeKind ParseRange(ReadOnlySpan<char> header, long size, out long start, out long length)
    {
        start = length = 0;
        header = header.Trim();
        if (size == 0 || !header.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase)) return RangeKind.Whole;
        var spec = header["bytes=".Length..].Trim();
        var dash = spec.IndexOf('-');
        if (dash < 0 || spec.Contains(',')) return RangeKind.Whole;
        var first = spec[..dash].Trim();
        var last = spec[(dash + 1)..].Trim();
        if (first.IsEmpty)
        {
            // Suffix: the last n bytes, all of them if the file is shorter; a zero-length suffix selects nothing.
            if (!TryParseDigits(last, out var suffix)) return RangeKind.Whole;
            if (suffix == 0) return RangeKind.Unsatisfiable;
            length = Math.Min(suffix, size);
            start = size - length;
            return RangeKind.Partial;
        }
        if (!TryParseDigits(first, out start)) return RangeKind.Whole;
        long end = size - 1;
        if (!last.IsEmpty)
        {
            if (!TryParseDigits(last, out end) || end < start) return RangeKind.Whole; // last < first is invalid syntax
            end = Math.Min(end, size - 1);
        }
        if (start >= size)
        {
            start = 0;
            return RangeKind.Unsatisfiable;
        }
        length = end - start + 1;
        return RangeKind.Partial;
    }

    /// <summary>
    /// Weak comparison of <paramref name="etag"/> with each entity tag in an If-None-Match list
    /// (<c>"a", W/"b"</c>) or <c>*</c>. A malformed list matches nothing from the point it breaks.
    /// </summary>
    internal static bool ETagListMatches(ReadOnlySpan<char> list, ReadOnlySpan<char> etag)
    {
        var rest = list;
        while (true)
        {
            rest = rest.TrimStart(" \t,");
            if (rest.IsEmpty) return false;
            if (rest[0] == '*') return true;
            if (rest.StartsWith("W/", StringComparison.Ordinal)) rest = rest[2..];
            if (rest.IsEmpty || rest[0] != '"') return false;
            var close = rest[1..].IndexOf('"');
            if (close < 0) return false;
            var tag = rest[..(close + 2)]; // with its quotes, as etag is
            if (tag.SequenceEqual(etag)) return true;
            rest = rest[(close + 2)..];
        }
    }

    /// <summary>
    /// If-Range (RFC 9110 §13.1.5): an entity tag must equal the file's (strong comparison, so never a weak tag); a date
    /// must equal its Last-Modified. Anything else does not match.
    /// </summary>
    internal static bool IfRangeMatches(string value, StaticFile file)
    {
        var v = value.AsSpan().Trim();
        if (v.StartsWith("\"", StringComparison.Ordinal)) return v.SequenceEqual(file.ETag);
        if (v.StartsWith("W/", StringComparison.Ordinal)) return false;
        return TryParseHttpDate(value, out var date) && date == file.LastModified;
    }

    /// <summary>Parses an HTTP-date in any of its three forms (RFC 9110 §5.6.7); all are GMT.</summary>
    internal static bool TryParseHttpDate(string value, out DateTimeOffset date) =>
        DateTimeOffset.TryParseExact(value.Trim(), HttpDateFormats, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal | DateTimeStyles.AllowInnerWhite, out date);

    /// <summary>Digits only (no sign, no spaces), without overflow.</summary>
    private static bool TryParseDigits(ReadOnlySpan<char> text, out long value) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && text.Length > 0;
}
