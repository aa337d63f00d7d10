using System.Text;
using ActorHttp.Protocol.WebSockets;
using CsCheck;
using Xunit;
using Xunit.Abstractions;

namespace ActorHttp.Tests.Protocol.WebSockets;

/// <summary>
/// <see cref="Utf8Validator"/> against .NET's strict decoder: the same verdict for whole inputs, for every split of them,
/// and, after every piece, "already invalid" exactly when the strict decoder (not flushing) has already thrown.
/// </summary>
[Trait("Category", "WebSocket")]
public sealed class Utf8ValidatorTests(ITestOutputHelper output)
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static bool StrictValid(ReadOnlySpan<byte> bytes)
    {
        try
        {
            Strict.GetCharCount(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    private static bool Validate(ReadOnlySpan<byte> bytes)
    {
        var validator = new Utf8Validator();
        return validator.Append(bytes) && validator.IsComplete;
    }

    private static bool ValidateInPieces(IEnumerable<byte[]> pieces)
    {
        var validator = new Utf8Validator();
        foreach (var piece in pieces) validator.Append(piece);
        return validator.IsComplete;
    }

    private static byte[] B(params int[] bytes) => bytes.Select(b => (byte)b).ToArray();

    // ---------------------------------------------------------------- exhaustive-ish

    [Fact]
    public void Every_one_and_two_byte_input_agrees_with_the_strict_decoder()
    {
        var bytes = new byte[2];
        for (var a = 0; a < 256; a++)
        {
            bytes[0] = (byte)a;
            Assert.True(StrictValid(bytes.AsSpan(0, 1)) == Validate(bytes.AsSpan(0, 1)), $"{a:X2}");
            for (var b = 0; b < 256; b++)
            {
                bytes[1] = (byte)b;
                Assert.True(StrictValid(bytes) == Validate(bytes), $"{a:X2} {b:X2}");
            }
        }
    }

    [Fact]
    public void Three_and_four_byte_sequences_around_every_boundary_agree_with_the_strict_decoder()
    {
        int[] tails = [0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF];
        var checkedCount = 0;
        for (var lead = 0xE0; lead <= 0xFF; lead++)
        for (var second = 0; second < 256; second++)
        foreach (var third in tails)
        {
            var three = B(lead, second, third);
            Assert.True(StrictValid(three) == Validate(three), Convert.ToHexString(three));
            Assert.True(StrictValid(three) == ValidateInPieces([three[..1], three[1..2], three[2..]]), Convert.ToHexString(three));
            checkedCount++;
            if (lead < 0xF0) continue;
            foreach (var fourth in tails)
            {
                var four = B(lead, second, third, fourth);
                Assert.True(StrictValid(four) == Validate(four), Convert.ToHexString(four));
                Assert.True(StrictValid(four) == ValidateInPieces([four[..2], four[2..]]), Convert.ToHexString(four));
                checkedCount++;
            }
        }
        output.WriteLine($"{checkedCount} sequences");
    }

    public static TheoryData<string, bool> Boundaries => new()
    {
        { "7F", true },             // U+007F, last 1-byte
        { "C280", true },           // U+0080, first 2-byte
        { "DFBF", true },           // U+07FF
        { "E0A080", true },         // U+0800
        { "ED9FBF", true },         // U+D7FF, last before the surrogates
        { "EDA080", false },        // U+D800, a surrogate
        { "EDBFBF", false },        // U+DFFF, a surrogate
        { "EE8080", true },         // U+E000
        { "EFBFBF", true },         // U+FFFF (a noncharacter, still valid UTF-8)
        { "F0908080", true },       // U+10000
        { "F48FBFBF", true },       // U+10FFFF, the last code point
        { "F4908080", false },      // U+110000
        { "F7BFBFBF", false },      // U+1FFFFF
        { "C080", false },          // overlong NUL
        { "C1BF", false },          // overlong U+007F
        { "E080AF", false },        // overlong '/'
        { "E09FBF", false },        // overlong U+07FF
        { "F08FBFBF", false },      // overlong U+FFFF
        { "F0808080", false },      // overlong NUL
        { "80", false },            // lone continuation
        { "BF", false },
        { "F5808080", false },      // lead bytes that never occur
        { "FE", false },
        { "FF", false },
        { "C2", false },            // cut off
        { "E282", false },
        { "F09F98", false },
        { "C241", false },          // lead followed by ASCII
        { "E28241", false },
        { "CEBAE1BDB9CF83CEBCCEB5", true }, // "κόσμε"
        { "48656C6C6F2C20F09F8C8D21", true },
    };

    [Theory]
    [MemberData(nameof(Boundaries))]
    public void Boundary_cases_are_judged_right_whole_and_split_everywhere(string hex, bool valid)
    {
        var bytes = Convert.FromHexString(hex);
        Assert.Equal(valid, StrictValid(bytes)); // the table itself
        Assert.Equal(valid, Validate(bytes));
        foreach (var (_, pieces) in ParserTestKit.Splittings(bytes))
            Assert.Equal(valid, ValidateInPieces(pieces));
    }

    // ---------------------------------------------------------------- failing early, reporting incomplete

    [Theory]
    [InlineData("F490")]     // can only become > U+10FFFF
    [InlineData("EDA0")]     // can only become a surrogate
    [InlineData("E09F")]     // can only become overlong
    [InlineData("F08F")]
    [InlineData("C0")]
    [InlineData("F5")]
    [InlineData("41E28241")] // a cut-off sequence followed by more
    public void A_prefix_that_can_no_longer_be_valid_is_refused_at_once(string hex)
    {
        var validator = new Utf8Validator();
        Assert.False(validator.Append(Convert.FromHexString(hex)));
        Assert.True(validator.IsInvalid);
        Assert.False(validator.IsIncomplete);
        Assert.False(validator.IsComplete);
        // Sticky: nothing makes it valid again.
        Assert.False(validator.Append("a"u8));
        Assert.True(validator.IsInvalid);
    }

    [Theory]
    [InlineData("F48F")]
    [InlineData("E0A0")]
    [InlineData("ED9F")]
    [InlineData("F09F98")]
    [InlineData("C3")]
    [InlineData("414243F0")]
    public void A_prefix_that_can_still_be_completed_is_incomplete_not_invalid(string hex)
    {
        var validator = new Utf8Validator();
        Assert.True(validator.Append(Convert.FromHexString(hex)));
        Assert.False(validator.IsInvalid);
        Assert.True(validator.IsIncomplete);
        Assert.False(validator.IsComplete);
    }

    [Fact]
    public void A_four_byte_character_fed_byte_by_byte_completes_only_with_its_last_byte()
    {
        var validator = new Utf8Validator();
        var bytes = Encoding.UTF8.GetBytes("😀");
        for (var i = 0; i < 3; i++)
        {
            Assert.True(validator.Append(bytes.AsSpan(i, 1)));
            Assert.True(validator.IsIncomplete);
        }
        Assert.True(validator.Append(bytes.AsSpan(3, 1)));
        Assert.True(validator.IsComplete);
        Assert.True(validator.Append([]));
        Assert.True(validator.IsComplete);
    }

    [Fact]
    public void Reset_forgets_an_invalid_or_incomplete_state()
    {
        var validator = new Utf8Validator();
        validator.Append([0xFF]);
        validator.Reset();
        Assert.True(validator.IsComplete);
        validator.Append([0xE2]);
        validator.Reset();
        Assert.True(validator.Append("é"u8));
        Assert.True(validator.IsComplete);
    }

    [Fact]
    public void Long_valid_text_is_valid_and_one_bad_byte_anywhere_in_it_is_found()
    {
        var text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("ASCII run, then κόσμε 世界 😀 ", 200)));
        Assert.True(Validate(text));
        for (var at = 0; at < text.Length; at += 97)
        {
            var broken = (byte[])text.Clone();
            broken[at] = 0xFF;
            Assert.False(Validate(broken));
            Assert.False(ValidateInPieces(broken.Chunk(13)));
        }
    }

    // ---------------------------------------------------------------- property

    /// <summary>Mostly valid UTF-8 of random text, mutated a little; some plain random bytes.</summary>
    private static readonly Gen<byte[]> Inputs = Gen.Frequency(
        (3, Gen.Select(UnicodeGen.Text(0, 40), Gen.Int[0, int.MaxValue].Array[0, 3], Gen.Byte.Array[3],
            (text, positions, values) =>
            {
                var bytes = Encoding.UTF8.GetBytes(text);
                for (var i = 0; i < positions.Length && bytes.Length > 0; i++) bytes[positions[i] % bytes.Length] = values[i];
                return bytes;
            })),
        (1, Gen.Byte.Array[0, 40]));

    [Fact]
    public void Any_bytes_in_any_pieces_agree_with_the_strict_decoder_and_fail_as_early_as_it_does()
    {
        Gen.Select(Inputs, Gen.Int[0, int.MaxValue].Array[0, 6]).Sample((bytes, rawCuts) =>
        {
            var cuts = rawCuts.Select(c => c % (bytes.Length + 1)).Order().Append(bytes.Length).ToArray();
            var validator = new Utf8Validator();
            var decoder = Strict.GetDecoder();
            var decoderFailed = false;
            var previous = 0;
            foreach (var cut in cuts)
            {
                var piece = bytes[previous..cut];
                previous = cut;
                validator.Append(piece);
                if (!decoderFailed)
                {
                    // GetChars, not GetCharCount: only GetChars carries a cut-off sequence over to the next piece.
                    try { decoder.GetChars(piece, new char[piece.Length + 2], flush: false); }
                    catch (DecoderFallbackException) { decoderFailed = true; }
                }
                if (validator.IsInvalid != decoderFailed)
                    throw new Xunit.Sdk.XunitException($"after {cut} bytes: validator invalid={validator.IsInvalid}, decoder failed={decoderFailed}");
            }
            if (validator.IsComplete != StrictValid(bytes))
                throw new Xunit.Sdk.XunitException($"verdict {validator.IsComplete}, strict decoder {StrictValid(bytes)}");
        }, iter: 20_000, threads: 1, print: t => $"{Convert.ToHexString(t.Item1)} cuts [{string.Join(",", t.Item2)}]", writeLine: output.WriteLine);
    }

    [Fact]
    public void IncompleteLength_counts_the_bytes_of_a_sequence_not_yet_ended_wherever_the_pieces_cut_it()
    {
        // What a streamed text message holds back for its next part.
        var validator = new Utf8Validator();
        Assert.True(validator.Append("ab"u8));
        Assert.Equal(0, validator.IncompleteLength);
        Assert.True(validator.Append([0xF0, 0x9F]));
        Assert.Equal(2, validator.IncompleteLength);
        Assert.True(validator.Append([0x98]));
        Assert.Equal(3, validator.IncompleteLength);
        Assert.True(validator.Append([0x80, (byte)'c', 0xE2]));
        Assert.Equal(1, validator.IncompleteLength);
        Assert.False(validator.Append([0x41])); // E2 then A: invalid, nothing is held for a message that fails
        Assert.Equal(0, validator.IncompleteLength);
    }
}
