using System.Text.Unicode;

namespace ActorHttp.Protocol.WebSockets;

/// <summary>
/// Incremental UTF-8 validation (RFC 3629, Unicode Table 3-7) over bytes that arrive in arbitrary pieces: a text message
/// is checked as its frames arrive, so bad data fails the connection as soon as the offending byte is seen (RFC 6455
/// §8.1), not when the message ends. Rejects overlong forms, surrogates (U+D800–DFFF) and code points above U+10FFFF; a
/// prefix that can no longer become valid is refused at once (e.g. <c>F4 90</c>, <c>ED A0</c>). A mutable struct: keep it
/// in a field, never copy it while in use.
/// </summary>
internal struct Utf8Validator
{
    // Bytes still expected to complete the current sequence (0 between sequences), and the range the next one must be
    // in: a lead byte narrows its first continuation (that is where overlongs, surrogates and > U+10FFFF are excluded);
    // and how many bytes of the current sequence were seen (a streamed text message holds them back for the next part).
    private byte _remaining, _lower, _upper, _seen;
    private bool _invalid;

    /// <summary>True once a byte was seen that no continuation can make valid. Sticky until <see cref="Reset"/>.</summary>
    public readonly bool IsInvalid => _invalid;

    /// <summary>True while a multi-byte sequence has started but not ended: the data so far may not end here.</summary>
    public readonly bool IsIncomplete => !_invalid && _remaining > 0;

    /// <summary>
    /// How many bytes at the end of the data so far belong to a sequence that has not ended (0 to 3): a streamed text
    /// message keeps them for its next part, so that every part is whole UTF-8.
    /// </summary>
    public readonly int IncompleteLength => IsIncomplete ? _seen : 0;

    /// <summary>True when the data so far is valid UTF-8 and ends on a whole sequence.</summary>
    public readonly bool IsComplete => !_invalid && _remaining == 0;

    /// <summary>Checks the next piece of data; false when the data so far can no longer be valid UTF-8.</summary>
    public bool Append(ReadOnlySpan<byte> bytes)
    {
        if (_invalid) return false;
        var i = 0;
        // Finish a sequence a previous piece began.
        while (_remaining > 0 && i < bytes.Length)
            if (!Step(bytes[i++])) return false;
        if (i == bytes.Length) return true;

        // Whole sequences in bulk (vectorized); only a sequence cut off by the end of the piece goes through the state machine.
        var rest = bytes[i..];
        var cut = IncompleteTailStart(rest);
        if (!Utf8.IsValid(rest[..cut])) return Fail();
        foreach (var b in rest[cut..])
            if (!Step(b)) return false;
        return true;
    }

    /// <summary>Forgets everything: ready for a new message.</summary>
    public void Reset() => this = default;

    /// <summary>One byte through the state machine; false (and invalid from now on) when it cannot continue valid UTF-8.</summary>
    private bool Step(byte b)
    {
        if (_remaining > 0)
        {
            if (b < _lower || b > _upper) return Fail();
            _remaining--;
            _seen++;
            _lower = 0x80;
            _upper = 0xBF;
            return true;
        }
        switch (b)
        {
            case < 0x80: return true;
            case >= 0xC2 and <= 0xDF: return Expect(1, 0x80, 0xBF);
            case 0xE0: return Expect(2, 0xA0, 0xBF);          // below A0: overlong
            case 0xED: return Expect(2, 0x80, 0x9F);          // above 9F: surrogates
            case >= 0xE1 and <= 0xEF: return Expect(2, 0x80, 0xBF);
            case 0xF0: return Expect(3, 0x90, 0xBF);          // below 90: overlong
            case >= 0xF1 and <= 0xF3: return Expect(3, 0x80, 0xBF);
            case 0xF4: return Expect(3, 0x80, 0x8F);          // above 8F: beyond U+10FFFF
            default: return Fail();                            // continuation without lead, C0/C1 (overlong), F5–FF
        }
    }

    private bool Expect(byte remaining, byte lower, byte upper)
    {
        _remaining = remaining;
        _seen = 1;
        _lower = lower;
        _upper = upper;
        return true;
    }

    private bool Fail()
    {
        _invalid = true;
        return false;
    }

    /// <summary>
    /// Where a multi-byte sequence that the end of <paramref name="bytes"/> cuts off begins, or the length when none is
    /// cut off. Only a lead byte within the last three bytes can start one.
    /// </summary>
    private static int IncompleteTailStart(ReadOnlySpan<byte> bytes)
    {
        for (var back = 1; back <= 3 && back <= bytes.Length; back++)
        {
            var b = bytes[^back];
            if ((b & 0xC0) == 0x80) continue; // a continuation byte: its lead is further back
            var length = b switch { >= 0xC2 and <= 0xDF => 2, >= 0xE0 and <= 0xEF => 3, >= 0xF0 and <= 0xF4 => 4, _ => 1 };
            return length > back ? bytes.Length - back : bytes.Length;
        }
        return bytes.Length;
    }
}
