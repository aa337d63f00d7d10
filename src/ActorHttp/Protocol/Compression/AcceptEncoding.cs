namespace ActorHttp.Protocol.Compression;

/// <summary>What <see cref="AcceptEncoding.Negotiate"/> chose.</summary>
/// <param name="Coding">The coding to apply; <see cref="ContentCoding.Identity"/> for none.</param>
/// <param name="IdentityRefused">
/// The client said <c>identity;q=0</c> (or <c>*;q=0</c> without naming identity): it wants a coding even for bodies the
/// server would not otherwise compress (e.g. below its minimum size).
/// </param>
public readonly record struct NegotiatedCoding(ContentCoding Coding, bool IdentityRefused);

/// <summary>
/// <c>Accept-Encoding</c> (RFC 9110 §12.5.3): picks, among the codings the server offers, the one the client prefers.
/// Each offered coding gets the q-value of its own entry, else that of <c>*</c>, else 0 (not acceptable); the highest
/// q above 0 wins, the server's order breaking ties. Identity, acceptable unless refused, wins only when the client
/// ranks it higher by an explicit entry. No header: identity (a client that says nothing is not assumed to decode).
/// Malformed entries (a bad q, an empty name) are ignored, as if not sent.
/// </summary>
public static class AcceptEncoding
{
    /// <param name="header">The field value (several fields joined with commas), or null when absent.</param>
    /// <param name="offered">The codings the server can apply, most preferred first.</param>
    public static NegotiatedCoding Negotiate(string? header, ReadOnlySpan<ContentCoding> offered)
    {
        if (header is null) return default;
        Span<int> quality = stackalloc int[4]; // per ContentCoding, in thousandths; -1: not named
        quality.Fill(-1);
        var any = -1;
        foreach (var range in header.AsSpan().Split(','))
        {
            var item = header.AsSpan()[range].Trim();
            if (item.IsEmpty) continue;
            var semicolon = item.IndexOf(';');
            var name = (semicolon < 0 ? item : item[..semicolon]).Trim();
            var q = semicolon < 0 ? 1000 : ParseWeight(item[(semicolon + 1)..]);
            if (q < 0 || name.IsEmpty) continue;
            if (name is "*") any = Math.Max(any, q);
            else if (ContentCodings.Parse(name) is { } coding) quality[(int)coding] = Math.Max(quality[(int)coding], q);
        }

        var identity = quality[(int)ContentCoding.Identity];
        var identityRefused = identity == 0 || (identity < 0 && any == 0);
        var best = ContentCoding.Identity;
        var bestQ = 0;
        foreach (var coding in offered)
        {
            var q = quality[(int)coding] >= 0 ? quality[(int)coding] : Math.Max(any, 0);
            if (q > bestQ) (best, bestQ) = (coding, q);
        }
        // Nothing acceptable at all (identity refused too): identity anyway, which RFC 9110 allows and every client reads.
        return new NegotiatedCoding(bestQ == 0 || identity > bestQ ? ContentCoding.Identity : best, identityRefused);
    }

    /// <summary>The q of <c>;q=0.8</c> (other parameters ignored) in thousandths; 1000 without one; -1 when malformed.</summary>
    private static int ParseWeight(ReadOnlySpan<char> parameters)
    {
        var weight = 1000;
        foreach (var range in parameters.Split(';'))
        {
            var parameter = parameters[range].Trim();
            var equals = parameter.IndexOf('=');
            if (equals < 0) return -1;
            if (!parameter[..equals].Trim().Equals("q", StringComparison.OrdinalIgnoreCase)) continue;
            var value = parameter[(equals + 1)..].Trim();
            // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
            if (value.IsEmpty || value.Length > 5 || (value[0] != '0' && value[0] != '1')) return -1;
            var thousandths = (value[0] - '0') * 1000;
            if (value.Length > 1)
            {
                if (value[1] != '.') return -1;
                var scale = 100;
                foreach (var digit in value[2..])
                {
                    if (digit is < '0' or > '9') return -1;
                    thousandths += (digit - '0') * scale;
                    scale /= 10;
                }
            }
            if (thousandths > 1000) return -1;
            weight = thousandths;
        }
        return weight;
    }
}
