using System.Buffers.Binary;
using System.Text;
using ActorHttp.Protocol.Rendering;
using ActorHttp.Protocol.WebSockets;
using Akka.IO;
using Xunit;
using Xunit.Sdk;

namespace ActorHttp.Tests.Protocol.WebSockets;

/// <summary>
/// Builds frames the way a client sends them (masked), independently of the server's renderer so that the two cannot share
/// a mistake. Every option a test needs to break a rule is here: no mask, reserved bits, any opcode, a chosen length form
/// (including non-minimal ones and raw 64-bit values).
/// </summary>
public static class ClientFrames
{
    public const int Continuation = 0x0, Text = 0x1, Binary = 0x2, Close = 0x8, Ping = 0x9, Pong = 0xA;

    /// <summary>A fixed, non-trivial key, so expected bytes in tests are reproducible.</summary>
    public static readonly byte[] DefaultMask = [0x37, 0xFA, 0x21, 0x3D];

    /// <summary>How the payload length is written: the shortest form, or a forced 7-, 16- or 64-bit form.</summary>
    public enum LengthForm { Minimal, Bits7, Bits16, Bits64 }

    /// <summary>One frame. <paramref name="mask"/> null sends it unmasked; <paramref name="rawLength"/> overrides the length field.</summary>
    public static byte[] Frame(int opcode, ReadOnlySpan<byte> payload, bool fin = true, byte[]? mask = null, bool masked = true,
        int rsv = 0, LengthForm form = LengthForm.Minimal, ulong? rawLength = null)
    {
        var length = rawLength ?? (ulong)payload.Length;
        if (form == LengthForm.Minimal) form = length <= 125 ? LengthForm.Bits7 : length <= 0xFFFF ? LengthForm.Bits16 : LengthForm.Bits64;
        var bytes = new List<byte> { (byte)((fin ? 0x80 : 0) | (rsv << 4) | opcode) };
        var maskBit = masked ? 0x80 : 0;
        switch (form)
        {
            case LengthForm.Bits7:
                if (length > 125) throw new ArgumentException("7-bit form holds at most 125");
                bytes.Add((byte)(maskBit | (int)length));
                break;
            case LengthForm.Bits16:
                if (length > 0xFFFF) throw new ArgumentException("16-bit form holds at most 65535");
                bytes.Add((byte)(maskBit | 126));
                bytes.Add((byte)(length >> 8));
                bytes.Add((byte)length);
                break;
            default:
                bytes.Add((byte)(maskBit | 127));
                for (var shift = 56; shift >= 0; shift -= 8) bytes.Add((byte)(length >> shift));
                break;
        }
        var key = mask ?? DefaultMask;
        if (masked) bytes.AddRange(key);
        for (var i = 0; i < payload.Length; i++) bytes.Add(masked ? (byte)(payload[i] ^ key[i % 4]) : payload[i]);
        return bytes.ToArray();
    }

    public static byte[] TextFrame(string text, bool fin = true, byte[]? mask = null) => Frame(Text, Utf8(text), fin, mask);

    public static byte[] BinaryFrame(byte[] data, bool fin = true, byte[]? mask = null) => Frame(Binary, data, fin, mask);

    public static byte[] PingFrame(byte[]? payload = null) => Frame(Ping, payload ?? []);

    public static byte[] PongFrame(byte[]? payload = null) => Frame(Pong, payload ?? []);

    /// <summary>A Close frame with a code (as two bytes, any value) and a reason.</summary>
    public static byte[] CloseFrame(int code, string reason = "") => Frame(Close, ClosePayload(code, Utf8(reason)));

    public static byte[] ClosePayload(int code, byte[] reason)
    {
        var payload = new byte[2 + reason.Length];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)code);
        reason.CopyTo(payload, 2);
        return payload;
    }

    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}

/// <summary>A frame as a server rendered it, read back by <see cref="ServerFrames"/>.</summary>
internal sealed record ServerFrame(bool Fin, int Rsv, int Opcode, bool Masked, int HeaderLength, byte[] Payload);

/// <summary>A minimal reader of server frames (the client's side), for checking rendered bytes.</summary>
internal static class ServerFrames
{
    public static List<ServerFrame> Read(byte[] bytes)
    {
        var frames = new List<ServerFrame>();
        var p = 0;
        while (p < bytes.Length)
        {
            var b0 = bytes[p];
            var b1 = bytes[p + 1];
            var start = p;
            p += 2;
            ulong length = (ulong)(b1 & 0x7F);
            if (length == 126)
            {
                length = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(p));
                p += 2;
            }
            else if (length == 127)
            {
                length = BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(p));
                p += 8;
            }
            var masked = (b1 & 0x80) != 0;
            byte[] mask = [];
            if (masked)
            {
                mask = bytes[p..(p + 4)];
                p += 4;
            }
            var headerLength = p - start;
            var payload = bytes[p..(p + (int)length)];
            if (masked)
                for (var i = 0; i < payload.Length; i++) payload[i] ^= mask[i % 4];
            p += (int)length;
            frames.Add(new ServerFrame((b0 & 0x80) != 0, (b0 >> 4) & 7, b0 & 0x0F, masked, headerLength, payload));
        }
        return frames;
    }

    public static ServerFrame Single(byte[] bytes)
    {
        var frames = Read(bytes);
        Assert.Single(frames);
        return frames[0];
    }

    /// <summary>Runs <paramref name="render"/> into a fresh <see cref="OutputBuffer"/> and returns the bytes.</summary>
    public static byte[] Render(Action<OutputBuffer> render)
    {
        var output = new OutputBuffer();
        render(output);
        var bytes = output.ToByteString().ToArray();
        Assert.Equal(output.Length, bytes.Length);
        output.Release();
        return bytes;
    }
}

/// <summary>Everything one run of a parser over some input produced: events as strings, and the end state.</summary>
internal sealed class FrameOutcome
{
    public List<string> Events { get; } = [];

    public List<WebSocketMessage> Messages { get; } = [];

    public WebSocketProtocolError? Error { get; set; }

    public bool InProgress { get; set; }

    /// <summary>How many of <see cref="Messages"/> came streamed, and in how many parts in all (the parts depend on the reads).</summary>
    public int Streamed { get; set; }

    public int Parts { get; set; }

    public string? Failure => Error is null ? null : $"{Error.CloseCode}";

    /// <summary>What must not depend on how the bytes were split.</summary>
    public string Describe() =>
        string.Join("\n", Events) + (Error is null ? $"\nend inProgress={InProgress}" : "");

    public WebSocketMessage SingleMessage()
    {
        Assert.True(Error is null, $"unexpected error {Error}");
        Assert.True(Messages.Count == 1 && Events.Count == 1, $"expected one message:\n{Describe()}");
        return Messages[0];
    }

    public void AssertError(int closeCode)
    {
        Assert.True(Error is not null, $"expected error {closeCode}, got:\n{Describe()}");
        Assert.Equal(closeCode, Error.CloseCode);
    }
}

/// <summary>
/// Feeds frames to a fresh <see cref="WebSocketFrameParser"/> the way a connection does, and checks the parser's contract on
/// every call: NeedMoreData consumes everything, an event consumes up to its last byte (at least one), an error is terminal.
/// </summary>
internal static class FrameParserKit
{
    public const int DefaultMaxMessageSize = 1 << 20;

    public static string Describe(WebSocketMessage message) => message switch
    {
        WebSocketMessage.Text t => $"text:{Escape(t.Value)}",
        WebSocketMessage.Binary b => $"binary:{Convert.ToHexString(b.Data.ToArray())}",
        _ => throw new XunitException("unknown message"),
    };

    public static string Escape(string s)
    {
        var sb = new StringBuilder();
        foreach (var rune in s.EnumerateRunes())
            sb.Append(rune.Value is >= 0x20 and < 0x7F ? ((char)rune.Value).ToString() : $"\\u{{{rune.Value:X}}}");
        return sb.ToString();
    }

    public static FrameOutcome ParseWhole(byte[] input, int maxMessageSize = DefaultMaxMessageSize) => Feed([input], maxMessageSize);

    /// <summary>
    /// Parses every splitting of <paramref name="input"/>, asserts identical outcomes, returns the whole-input one. A streamed
    /// message is described as the message its parts make up, so its outcome too must not depend on the splitting.
    /// </summary>
    public static FrameOutcome ParseAllWays(byte[] input, int maxMessageSize = DefaultMaxMessageSize, long? streamThreshold = null,
        long maxStreamedMessageSize = long.MaxValue)
    {
        var whole = Feed([input], maxMessageSize, streamThreshold: streamThreshold, maxStreamedMessageSize: maxStreamedMessageSize);
        var expected = whole.Describe();
        foreach (var (name, pieces) in ActorHttp.Tests.Protocol.ParserTestKit.Splittings(input))
        {
            var actual = Feed(pieces, maxMessageSize, streamThreshold: streamThreshold, maxStreamedMessageSize: maxStreamedMessageSize).Describe();
            if (actual != expected)
                throw new XunitException($"splitting changes the outcome ({name}).\n--- whole:\n{expected}\n--- split:\n{actual}");
        }
        return whole;
    }

    /// <summary>
    /// Runs a fresh parser over <paramref name="pieces"/> as consecutive socket reads. A streamed message's parts are checked
    /// (none empty but the last; each part of text whole UTF-8) and joined into the message they make up.
    /// </summary>
    /// <param name="afterPiece">Called after each piece is parsed as far as it goes.</param>
    public static FrameOutcome Feed(IEnumerable<byte[]> pieces, int maxMessageSize = DefaultMaxMessageSize,
        Action<WebSocketFrameParser>? afterPiece = null, long? streamThreshold = null, long maxStreamedMessageSize = long.MaxValue)
    {
        var parser = new WebSocketFrameParser(maxMessageSize, streamThreshold, maxStreamedMessageSize);
        var outcome = new FrameOutcome();
        MemoryStream? streamed = null;
        foreach (var piece in pieces)
        {
            ReadOnlySpan<byte> data = piece;
            for (var iterations = 0; ; iterations++)
            {
                if (iterations > piece.Length + 2) throw new XunitException("parser keeps returning without progress");
                var status = parser.Parse(data, out var consumed);
                Assert.InRange(consumed, 0, data.Length);
                if (status == WebSocketParseStatus.Error)
                {
                    outcome.Error = parser.Error;
                    outcome.Events.Add($"error:{parser.Error!.CloseCode}");
                    AssertTerminal(parser);
                    AssertMessagesUnchanged(outcome);
                    return outcome;
                }
                if (status == WebSocketParseStatus.NeedMoreData)
                {
                    Assert.Equal(data.Length, consumed);
                    break;
                }
                Assert.True(consumed > 0, $"{status} without consuming anything");
                data = data[consumed..];
                switch (status)
                {
                    case WebSocketParseStatus.Message:
                        Assert.Null(streamed);
                        outcome.Messages.Add(parser.Message!);
                        outcome.Events.Add(Describe(parser.Message!));
                        break;
                    case WebSocketParseStatus.MessageStreamStart:
                        Assert.Null(streamed);
                        streamed = new MemoryStream();
                        AddPart(parser, streamed, outcome);
                        break;
                    case WebSocketParseStatus.MessagePart:
                        Assert.NotNull(streamed);
                        Assert.True(!parser.Part.IsEmpty || parser.PartIsLast, "an empty part that is not the last");
                        AddPart(parser, streamed, outcome);
                        if (!parser.PartIsLast) break;
                        var message = parser.MessageIsText
                            ? (WebSocketMessage)new WebSocketMessage.Text(Encoding.UTF8.GetString(streamed.ToArray()))
                            : new WebSocketMessage.Binary(streamed.ToArray());
                        outcome.Messages.Add(message);
                        outcome.Events.Add(Describe(message));
                        outcome.Streamed++;
                        streamed = null;
                        break;
                    case WebSocketParseStatus.Ping:
                        outcome.Events.Add($"ping:{Convert.ToHexString(parser.ControlPayload)}");
                        break;
                    case WebSocketParseStatus.Pong:
                        outcome.Events.Add($"pong:{Convert.ToHexString(parser.ControlPayload)}");
                        break;
                    case WebSocketParseStatus.Close:
                        outcome.Events.Add($"close:{parser.CloseCode?.ToString() ?? "-"}:{Escape(parser.CloseReason)}");
                        Assert.True(parser.IsClosed);
                        break;
                    default:
                        throw new XunitException($"unexpected status {status}");
                }
            }
            afterPiece?.Invoke(parser);
        }
        outcome.InProgress = parser.InProgress;
        AssertMessagesUnchanged(outcome);
        return outcome;
    }

    /// <summary>Adds a streamed message's part; a part of text must be valid UTF-8 by itself.</summary>
    private static void AddPart(WebSocketFrameParser parser, MemoryStream streamed, FrameOutcome outcome)
    {
        var part = parser.Part.ToArray();
        if (parser.MessageIsText) Assert.True(System.Text.Unicode.Utf8.IsValid(part), $"a text part that is not whole UTF-8: {Convert.ToHexString(part)}");
        streamed.Write(part);
        if (part.Length > 0) outcome.Parts++;
    }

    /// <summary>After an error the parser answers Error forever, consuming nothing and keeping the first error.</summary>
    private static void AssertTerminal(WebSocketFrameParser parser)
    {
        var error = parser.Error!;
        Assert.Contains(error.CloseCode, new[] { 1002, 1007, 1009 });
        Assert.False(string.IsNullOrWhiteSpace(error.Reason));
        Assert.True(Encoding.UTF8.GetByteCount(error.Reason) <= 123, "reason too long for a Close frame");
        var valid = ClientFrames.TextFrame("ok");
        Assert.Equal(WebSocketParseStatus.Error, parser.Parse(valid, out var consumed));
        Assert.Equal(0, consumed);
        Assert.Same(error, parser.Error);
    }

    /// <summary>Messages handed out earlier must not change while the parser goes on (its buffer is reused).</summary>
    private static void AssertMessagesUnchanged(FrameOutcome outcome)
    {
        var described = outcome.Events.Where(e => e.StartsWith("text:") || e.StartsWith("binary:")).ToList();
        Assert.Equal(described, outcome.Messages.Select(Describe).ToList());
    }
}
