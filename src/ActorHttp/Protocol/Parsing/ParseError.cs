namespace ActorHttp.Protocol.Parsing;

/// <summary>
/// Why a request could not be parsed, and the status to answer with. After any parse error the framing of
/// the connection is lost: the server answers once and closes.
/// </summary>
/// <param name="Status">400, 413, 414, 417, 431, 501 or 505.</param>
/// <param name="Reason">A short, stable description (also the metric label), e.g. "bare LF".</param>
internal sealed record ParseError(int Status, string Reason)
{
    public override string ToString() => $"{Status} {Reason}";
}
