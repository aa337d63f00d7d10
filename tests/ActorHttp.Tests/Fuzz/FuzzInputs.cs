using System.Text;
using CsCheck;

namespace ActorHttp.Tests.Fuzz;

/// <summary>
/// Generators of request bytes for property tests: mutations of valid requests (most of the budget, since random bytes
/// rarely get past the request line), soups of HTTP tokens, bytes from HTTP's alphabet, and plain random bytes.
/// </summary>
public static class FuzzInputs
{
    private static byte[] B(string s) => Encoding.Latin1.GetBytes(s);

    /// <summary>Valid requests and pipelines: the starting points of mutation.</summary>
    public static readonly byte[][] Seeds =
    [
        B("GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n"),
        B("GET /r?x=1 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\nX-Id: 7\r\n\r\nGET /r HTTP/1.1\r\nHost: a\r\n\r\n"),
        B("POST /r HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET /r HTTP/1.1\r\nHost: a\r\n\r\n"),
        B("POST /r HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;e=v\r\nhello\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n"),
        B("PUT /r HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n" + new string('x', 64) + "\r\n20\r\n" + new string('y', 32) + "\r\n0\r\n\r\n"),
        B("POST /r HTTP/1.1\r\nHost: a\r\nContent-Length: 90\r\n\r\n" + new string('z', 90)),
        B("POST /r HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc"),
        B("GET /r HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /r HTTP/1.0\r\n\r\n"),
        B("GET http://a/r HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"),
        B("HEAD /r HTTP/1.1\r\nHost: a\r\n\r\nOPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"),
        B("\r\nDELETE /r/%41 HTTP/1.1\r\nHost: [::1]:80\r\n\r\n"),
    ];

    /// <summary>Fragments that matter to framing, spliced in by mutations.</summary>
    public static readonly byte[][] Tokens =
    [
        B("\r\n"), B("\n"), B("\r"), B(" "), B("\t"), B(":"), B(";"), B("="), B("\""), B("0"), B("\0"), B("%"), B("\u00ff"),
        B("chunked"), B("Transfer-Encoding: chunked\r\n"), B("Content-Length: 5\r\n"), B("Content-Length: 0\r\n"),
        B("Content-Length: 200\r\n"), B("Host: a\r\n"), B("Expect: 100-continue\r\n"), B("Connection: close\r\n"),
        B("0\r\n\r\n"), B("\r\n\r\n"), B("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), B("ffffffffffffffff"), B("HTTP/1.0"), B("HTTP/2.0"),
        B("5\r\nhello\r\n"), B("40\r\n"), B(" \r\n"),
    ];

    private static readonly byte[] Alphabet = B("GETPOSTHchunked:;= \t\r\n\r\n0123456789abcdefABCDEF/%?#\0\u007f\u00ff\"");

    /// <summary>One edit: 0 flip a byte, 1 delete a byte, 2 insert a byte, 3 insert a token, 4 duplicate a span, 5 truncate.</summary>
    public readonly record struct Mutation(int Kind, int Position, int Argument);

    private static readonly Gen<Mutation> MutationGen =
        Gen.Select(Gen.Int[0, 5], Gen.Int[0, int.MaxValue], Gen.Int[0, int.MaxValue], (k, p, a) => new Mutation(k, p, a));

    public static byte[] Apply(byte[] seed, Mutation[] mutations)
    {
        var bytes = new List<byte>(seed);
        foreach (var m in mutations)
        {
            if (bytes.Count == 0) break;
            var at = m.Position % bytes.Count;
            switch (m.Kind)
            {
                case 0: bytes[at] = (byte)(bytes[at] ^ (1 + m.Argument % 255)); break;
                case 1: bytes.RemoveAt(at); break;
                case 2: bytes.Insert(at, Alphabet[m.Argument % Alphabet.Length]); break;
                case 3: bytes.InsertRange(at, Tokens[m.Argument % Tokens.Length]); break;
                case 4:
                    var length = Math.Min(bytes.Count - at, 1 + m.Argument % 40);
                    bytes.InsertRange(at, bytes.GetRange(at, length));
                    break;
                default: bytes.RemoveRange(at, bytes.Count - at); break;
            }
        }
        return bytes.ToArray();
    }

    public static readonly Gen<byte[]> Mutated =
        Gen.Select(Gen.Int[0, Seeds.Length - 1], MutationGen.Array[0, 4], (i, ms) => Apply(Seeds[i], ms));

    /// <summary>Several mutated seeds back to back (pipelines with errors anywhere).</summary>
    public static readonly Gen<byte[]> MutatedPipeline = Mutated.Array[1, 4].Select(parts => parts.SelectMany(p => p).ToArray());

    public static readonly Gen<byte[]> TokenSoup =
        Gen.Int[0, Tokens.Length - 1].Array[1, 30].Select(ix => ix.SelectMany(i => Tokens[i]).ToArray());

    public static readonly Gen<byte[]> AlphabetBytes = Gen.OneOf(Alphabet).Array[0, 200];

    public static readonly Gen<byte[]> RandomBytes = Gen.Byte.Array[0, 200];

    /// <summary>Any input, weighted towards what gets deep into the parser.</summary>
    public static readonly Gen<byte[]> Any = Gen.Frequency(
        (4, Mutated), (3, MutatedPipeline), (2, TokenSoup), (1, AlphabetBytes), (1, RandomBytes));

    /// <summary>An input and the pieces it is cut into (cut points sorted, possibly repeated: empty reads).</summary>
    public static readonly Gen<(byte[] Input, byte[][] Pieces)> Split =
        Gen.Select(Any, Gen.Int[0, int.MaxValue].Array[0, 12], (input, raw) =>
        {
            var cuts = raw.Select(r => input.Length == 0 ? 0 : r % (input.Length + 1)).Order().ToArray();
            var pieces = new List<byte[]>();
            var previous = 0;
            foreach (var cut in cuts)
            {
                pieces.Add(input[previous..cut]);
                previous = cut;
            }
            pieces.Add(input[previous..]);
            return (input, pieces.ToArray());
        });

    /// <summary>For failure reports: the bytes as an escaped string.</summary>
    public static string Show(byte[] bytes)
    {
        var sb = new StringBuilder("\"");
        foreach (var b in bytes)
            sb.Append(b switch
            {
                (byte)'\r' => "\\r",
                (byte)'\n' => "\\n",
                (byte)'\t' => "\\t",
                (byte)'"' => "\\\"",
                (byte)'\\' => "\\\\",
                >= 0x20 and < 0x7f => ((char)b).ToString(),
                _ => $"\\u{b:x4}",
            });
        return sb.Append('"').ToString();
    }

    public static string Show((byte[] Input, byte[][] Pieces) split) =>
        $"{Show(split.Input)} in pieces of [{string.Join(",", split.Pieces.Select(p => p.Length))}]";
}
