using System.Text;
using ActorHttp.Protocol;
using ActorHttp.Protocol.Parsing;
using Xunit;
using Xunit.Sdk;

namespace ActorHttp.Tests.Protocol;

/// <summary>A parsed request copied out into plain values, so outcomes can be compared across runs.</summary>
internal sealed record RequestSnapshot(
    string Method,
    string Target,
    string Path,
    string Query,
    HttpProtocol Protocol,
    IReadOnlyList<HttpHeader> Headers,
    byte[] Body,
    bool KeepAlive,
    bool Streamed = false)
{
    public static RequestSnapshot Of(ParsedRequest parsed)
    {
        var r = parsed.Request;
        return new RequestSnapshot(r.Method, r.Target, r.Path, r.Query, r.Protocol, r.Headers.ToList(), r.Body.ToArray(), parsed.KeepAlive, r.BodyStreamed);
    }

    public string BodyText => Encoding.Latin1.GetString(Body);

    public string Describe() =>
        $"{Method} {Target} path={Path} query={Query} {Protocol} keepAlive={KeepAlive} streamed={Streamed} " +
        $"headers=[{string.Join(" | ", Headers.Select(h => $"{h.Name}: {h.Value}"))}] body={Convert.ToHexString(Body)}";
}

/// <summary>Everything one run of the parser over some input produced, in order.</summary>
internal sealed class ParseOutcome
{
    public List<RequestSnapshot> Requests { get; } = [];

    /// <summary>Per request: its body is complete (always for buffered bodies; after the last part for streamed ones).</summary>
    public List<bool> StreamEnded { get; } = [];

    /// <summary>"continue" and "request" in the order the parser reported them.</summary>
    public List<string> Events { get; } = [];

    public int ContinueSignals => Events.Count(e => e == "continue");

    public ParseError? Error { get; set; }

    /// <summary>Parser state after the last byte, when it did not fail.</summary>
    public bool InProgress { get; set; }

    /// <summary>Bytes handed back unconsumed after the last byte, when the parser did not fail.</summary>
    public int Unconsumed { get; set; }

    public RequestSnapshot Single()
    {
        Assert.True(Error is null, $"unexpected parse error {Error}");
        Assert.True(Requests.Count == 1, $"expected exactly one request, got {Requests.Count}:\n{Describe()}");
        return Requests[0];
    }

    /// <summary>
    /// What must not depend on how the bytes were split: requests, error status, and the parser's end state.
    /// The 100-continue signal is deliberately left out: it depends on whether body bytes came with the head.
    /// </summary>
    public string Describe()
    {
        var sb = new StringBuilder();
        for (var i = 0; i < Requests.Count; i++)
            sb.Append('#').Append(i).Append(' ').Append(Requests[i].Describe()).AppendLine(StreamEnded[i] ? "" : " (body incomplete)");
        if (Error is not null) sb.Append("error ").Append(Error.Status).AppendLine();
        else sb.Append("end inProgress=").Append(InProgress).Append(" unconsumed=").Append(Unconsumed).AppendLine();
        return sb.ToString();
    }
}

/// <summary>
/// Feeds requests to a fresh <see cref="HttpRequestParser"/> the way the connection actor does: unconsumed bytes are
/// kept and passed again with the next bytes appended, always in a NEW array (a passed array is never written again).
/// <see cref="ParseAllWays(byte[], ParserSettings?)"/> runs the same input whole, split in two at every byte boundary,
/// byte by byte and in random pieces, and asserts that every run produced the same outcome.
/// </summary>
internal static class ParserTestKit
{
    /// <summary>Small limits so the limit tests stay small; large enough for every valid request in the tests.</summary>
    public static readonly ParserSettings Small = ParserSettings.Default with
    {
        MaxRequestLineLength = 128,
        MaxHeaderCount = 10,
        MaxHeaderSectionSize = 512,
        MaxBodySize = 100,
        MaxChunkLineLength = 64,
        MaxMethodLength = 32,
    };

    private static readonly int[] ErrorStatuses = [400, 413, 414, 417, 431, 501, 505];

    /// <summary>Latin-1, so "\0" or "\xC3" in a test string is exactly that byte.</summary>
    public static byte[] Bytes(string s) => Encoding.Latin1.GetBytes(s);

    public static ParseOutcome ParseWhole(string input, ParserSettings? settings = null) => Feed([Bytes(input)], settings);

    public static ParseOutcome ParseWhole(byte[] input, ParserSettings? settings = null) => Feed([input], settings);

    public static ParseOutcome ParseAllWays(string input, ParserSettings? settings = null) => ParseAllWays(Bytes(input), settings);

    /// <summary>Parses every splitting of <paramref name="input"/>, asserts identical outcomes, returns the whole-input one.</summary>
    public static ParseOutcome ParseAllWays(byte[] input, ParserSettings? settings = null)
    {
        var whole = Feed([input], settings);
        var expected = whole.Describe();
        var mismatches = new List<string>();
        foreach (var (name, pieces) in Splittings(input))
        {
            var actual = Feed(pieces, settings).Describe();
            if (actual != expected && mismatches.Count < 3)
                mismatches.Add($"--- {name}:\n{actual}");
        }
        if (mismatches.Count > 0)
            throw new XunitException($"splitting changes the outcome.\n--- whole:\n{expected}{string.Join("", mismatches)}");
        return whole;
    }

    /// <summary>The ways to cut <paramref name="input"/> into pieces (the whole input is run separately).</summary>
    public static IEnumerable<(string Name, IReadOnlyList<byte[]> Pieces)> Splittings(byte[] input)
    {
        for (var i = 1; i < input.Length; i++)
            yield return ($"split at {i} (after {Show(input, i)})", [input[..i], input[i..]]);

        yield return ("byte by byte", input.Select(b => new[] { b }).ToList());

        // Byte by byte with an empty read between every byte: a call with no new bytes must change nothing.
        yield return ("byte by byte with empty reads", input.SelectMany(b => new[] { new[] { b }, Array.Empty<byte>() }).ToList());

        var random = new Random(input.Length);
        for (var run = 0; run < 8; run++)
        {
            var pieces = new List<byte[]>();
            var cuts = new List<int>();
            for (var pos = 0; pos < input.Length;)
            {
                var n = Math.Min(input.Length - pos, random.Next(1, 24));
                pieces.Add(input[pos..(pos + n)]);
                pos += n;
                cuts.Add(pos);
            }
            yield return ($"random pieces, cuts at {string.Join(",", cuts)}", pieces);
        }
    }

    /// <summary>Runs one fresh parser over <paramref name="pieces"/> as consecutive socket reads.</summary>
    /// <param name="afterPiece">Called after each piece is parsed as far as it goes, with the number of bytes left unconsumed.</param>
    public static ParseOutcome Feed(IEnumerable<byte[]> pieces, ParserSettings? settings = null, Action<HttpRequestParser, int>? afterPiece = null)
    {
        var parser = new HttpRequestParser(settings ?? Small);
        var outcome = new ParseOutcome();
        var parsed = new List<ParsedRequest>();
        byte[] pending = [];

        foreach (var piece in pieces)
        {
            // The contract: the unconsumed tail is passed again, followed by the new bytes, in a fresh array.
            var buffer = new byte[pending.Length + piece.Length];
            pending.CopyTo(buffer, 0);
            piece.CopyTo(buffer, pending.Length);
            var offset = 0;

            for (var iterations = 0; ; iterations++)
            {
                if (iterations > buffer.Length + 4) throw new XunitException("parser keeps returning without progress");
                var count = buffer.Length - offset;
                var status = parser.Parse(buffer, offset, count, out var consumed);
                Assert.InRange(consumed, 0, count);
                offset += consumed;

                if (status == ParseStatus.RequestReady)
                {
                    // A streamed body's request may be handed out between body bytes, consuming none.
                    Assert.True(consumed > 0 || parser.Request.Request.BodyStreamed, "RequestReady without consuming anything");
                    parsed.Add(parser.Request);
                    outcome.Requests.Add(RequestSnapshot.Of(parser.Request));
                    outcome.StreamEnded.Add(!parser.Request.Request.BodyStreamed);
                    outcome.Events.Add("request");
                    continue;
                }
                if (status == ParseStatus.BodyPart)
                {
                    // The parts of a streamed body are collected into its request's snapshot, so a streamed body
                    // compares like a buffered one however the bytes were split.
                    var last = outcome.Requests.Count - 1;
                    Assert.True(last >= 0 && outcome.Requests[last].Streamed, "a body part without a streamed request before it");
                    Assert.False(outcome.StreamEnded[last], "a body part after the last one");
                    outcome.Requests[last] = outcome.Requests[last] with { Body = [.. outcome.Requests[last].Body, .. parser.BodyPart.ToArray()] };
                    outcome.StreamEnded[last] = parser.BodyPartIsLast;
                    continue;
                }
                if (status == ParseStatus.ContinueExpected)
                {
                    outcome.Events.Add("continue");
                    continue;
                }
                if (status == ParseStatus.Error)
                {
                    outcome.Error = parser.Error;
                    AssertTerminal(parser, buffer, offset);
                    AssertRequestsUnchanged(parsed, outcome);
                    return outcome;
                }
                Assert.Equal(ParseStatus.NeedMoreData, status);
                break;
            }
            pending = buffer[offset..];
            afterPiece?.Invoke(parser, pending.Length);
        }

        outcome.InProgress = parser.InProgress;
        outcome.Unconsumed = pending.Length;
        AssertRequestsUnchanged(parsed, outcome);
        return outcome;
    }

    /// <summary>After an error the parser answers Error forever, consuming nothing and keeping the first error.</summary>
    private static void AssertTerminal(HttpRequestParser parser, byte[] buffer, int offset)
    {
        var error = parser.Error;
        Assert.NotNull(error);
        Assert.Contains(error.Status, ErrorStatuses);
        Assert.False(string.IsNullOrWhiteSpace(error.Reason));

        Assert.Equal(ParseStatus.Error, parser.Parse(buffer, offset, buffer.Length - offset, out var consumed));
        Assert.Equal(0, consumed);
        var valid = Bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal(ParseStatus.Error, parser.Parse(valid, 0, valid.Length, out consumed));
        Assert.Equal(0, consumed);
        Assert.Same(error, parser.Error);
    }

    /// <summary>Requests handed out earlier must not change while the parser goes on (scratch buffers are reused).</summary>
    private static void AssertRequestsUnchanged(List<ParsedRequest> parsed, ParseOutcome outcome)
    {
        for (var i = 0; i < parsed.Count; i++)
        {
            var expected = outcome.Requests[i];
            if (expected.Streamed) expected = expected with { Body = [] }; // its body came as parts
            Assert.Equal(expected.Describe(), RequestSnapshot.Of(parsed[i]).Describe());
        }
    }

    private static string Show(byte[] input, int end)
    {
        var start = Math.Max(0, end - 12);
        return "\"" + Encoding.Latin1.GetString(input, start, end - start).Replace("\r", "\\r").Replace("\n", "\\n") + "\"";
    }
}
