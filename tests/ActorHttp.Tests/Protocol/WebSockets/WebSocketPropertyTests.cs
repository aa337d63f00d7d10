using System.Reflection;
using System.Text;
using ActorHttp.Protocol.WebSockets;
using CsCheck;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;
using static ActorHttp.Tests.Protocol.WebSockets.ClientFrames;

namespace ActorHttp.Tests.Protocol.WebSockets;

/// <summary>A Ping or Pong a generated client slips in before a fragment.</summary>
internal sealed record GenControl(bool IsPong, byte[] Payload, byte[] Mask);

/// <summary>One frame of a generated message: where it ends (mod the payload length), its key, its length form.</summary>
internal sealed record GenFragment(int Cut, byte[] Mask, LengthForm Form, GenControl? Before);

/// <summary>A generated message: text or binary, cut into <see cref="Fragments"/> frames.</summary>
internal sealed record GenMessage(bool IsText, string Text, byte[] Data, GenFragment[] Fragments)
{
    public byte[] Payload => IsText ? Utf8(Text) : Data;
}

/// <summary>What a generated client sends: messages, then maybe a Close (code -1: a Close without payload).</summary>
internal sealed record GenSession(GenMessage[] Messages, int? CloseCode, string CloseReason);

/// <summary>Generators of client traffic.</summary>
internal static class WebSocketGen
{
    private static readonly Gen<byte[]> Mask = Gen.Byte.Array[4];

    private static readonly Gen<LengthForm> Form = Gen.Frequency((6, LengthForm.Minimal), (1, LengthForm.Bits16), (1, LengthForm.Bits64));

    private static readonly Gen<GenControl?> Control = Gen.Frequency(
        (3, Gen.Const((GenControl?)null)),
        (1, Gen.Select(Gen.Bool, Gen.Byte.Array[0, 125], Mask, (pong, payload, mask) => (GenControl?)new GenControl(pong, payload, mask))));

    private static readonly Gen<GenFragment> Fragment =
        Gen.Select(Gen.Int[0, int.MaxValue], Mask, Form, Control, (cut, mask, form, before) => new GenFragment(cut, mask, form, before));

    private static readonly Gen<byte[]> BinaryData = Gen.Frequency((9, Gen.Byte.Array[0, 200]), (1, Gen.Byte.Array[0, 9000]));

    public static readonly Gen<GenMessage> Message =
        Gen.Select(Gen.Bool, UnicodeGen.Text(0, 60), BinaryData, Fragment.Array[1, 4],
            (text, s, data, fragments) => new GenMessage(text, text ? s : "", text ? [] : data, fragments));

    private static readonly Gen<int?> CloseCode = Gen.Frequency(
        (2, Gen.Const((int?)null)),
        (1, Gen.OneOf<int?>(-1, 1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 4999)));

    public static readonly Gen<GenSession> Session =
        Gen.Select(Message.Array[0, 6], CloseCode, UnicodeGen.Text(0, 20), (messages, code, reason) => new GenSession(messages, code, code > 0 ? reason : ""));

    /// <summary>
    /// The bytes of <paramref name="session"/> and the events a parser with <paramref name="maxMessageSize"/> must report:
    /// controls where they were slipped in, each message after its last fragment, and 1009 at the header of the frame that
    /// takes a message past the limit (nothing after it).
    /// </summary>
    public static (byte[] Stream, List<string> Events) Build(GenSession session, int maxMessageSize)
    {
        var frames = new List<byte[]>();
        var events = new List<string>();
        foreach (var message in session.Messages)
        {
            var payload = message.Payload;
            var k = message.Fragments.Length;
            var bounds = message.Fragments.Take(k - 1).Select(f => f.Cut % (payload.Length + 1)).Order().Prepend(0).Append(payload.Length).ToArray();
            for (var i = 0; i < k; i++)
            {
                var fragment = message.Fragments[i];
                if (fragment.Before is { } control)
                {
                    frames.Add(Frame(control.IsPong ? Pong : Ping, control.Payload, mask: control.Mask));
                    events.Add($"{(control.IsPong ? "pong" : "ping")}:{Convert.ToHexString(control.Payload)}");
                }
                var part = payload[bounds[i]..bounds[i + 1]];
                var form = fragment.Form == LengthForm.Bits16 && part.Length > 0xFFFF ? LengthForm.Minimal : fragment.Form;
                frames.Add(Frame(i == 0 ? (message.IsText ? Text : Binary) : Continuation, part, fin: i == k - 1, mask: fragment.Mask, form: form));
                if (bounds[i + 1] > maxMessageSize)
                {
                    events.Add("error:1009");
                    return (Concat(frames.ToArray()), events);
                }
            }
            events.Add(message.IsText ? $"text:{FrameParserKit.Escape(message.Text)}" : $"binary:{Convert.ToHexString(message.Data)}");
        }
        if (session.CloseCode is { } code)
        {
            frames.Add(code < 0 ? Frame(Close, []) : CloseFrame(code, session.CloseReason));
            events.Add(code < 0 ? "close:-:" : $"close:{code}:{FrameParserKit.Escape(session.CloseReason)}");
        }
        return (Concat(frames.ToArray()), events);
    }

    /// <summary>Cuts <paramref name="input"/> at the given points (taken mod its length + 1; repeats give empty reads).</summary>
    public static byte[][] Cut(byte[] input, int[] rawCuts)
    {
        var cuts = rawCuts.Select(r => r % (input.Length + 1)).Order().Append(input.Length);
        var pieces = new List<byte[]>();
        var previous = 0;
        foreach (var cut in cuts)
        {
            pieces.Add(input[previous..cut]);
            previous = cut;
        }
        return pieces.ToArray();
    }

    public static string Show(GenSession session, int[] cuts, int maxMessageSize)
    {
        var (stream, events) = Build(session, maxMessageSize);
        var hex = Convert.ToHexString(stream);
        return $"stream ({stream.Length} bytes) {(hex.Length > 400 ? hex[..400] + "…" : hex)}\ncuts [{string.Join(",", cuts)}]\nexpected:\n{string.Join("\n", events)}";
    }
}

/// <summary>
/// THE property of <see cref="WebSocketFrameParser"/>: for any client traffic (text with characters of every UTF-8 length,
/// binary, fragmented at random points with random keys and length forms, Pings and Pongs between fragments, maybe a
/// Close), cut into any pieces, the parser reports exactly the events the traffic was made of, the same as for the uncut
/// bytes; and its message buffer stays within its bounds on the way.
/// </summary>
[Trait("Category", "WebSocket")]
public sealed class WebSocketPropertyTests(ITestOutputHelper output)
{
    private static readonly FieldInfo BufferField = typeof(WebSocketFrameParser).GetField("_buffer", BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new InvalidOperationException("WebSocketFrameParser._buffer not found: update the memory property");

    private static readonly FieldInfo LengthField = typeof(WebSocketFrameParser).GetField("_messageLength", BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new InvalidOperationException("WebSocketFrameParser._messageLength not found: update the memory property");

    private static readonly Gen<int[]> Cuts = Gen.Int[0, int.MaxValue].Array[0, 12];

    /// <summary>
    /// The message buffer never exceeds max-message-size, nor twice what the current message has received (or the 4 KB
    /// kept between messages).
    /// </summary>
    private static void AssertBufferBounded(WebSocketFrameParser parser, int maxMessageSize)
    {
        var buffer = (byte[]?)BufferField.GetValue(parser);
        if (buffer == null) return;
        var received = (int)(long)LengthField.GetValue(parser)!;
        var bound = Math.Min(maxMessageSize, Math.Max(4096, 2 * received));
        if (buffer.Length > bound) throw new XunitException($"message buffer of {buffer.Length} bytes with {received} received (bound {bound})");
    }

    /// <summary>
    /// Checks generated traffic against a parser with <paramref name="maxMessageSize"/>; with a
    /// <paramref name="streamThreshold"/>, larger messages are streamed (up to the same limit) and must add up to the same
    /// messages, whatever the cuts. Returns how many messages were streamed.
    /// </summary>
    private int Check(int maxMessageSize, long iterations, long? streamThreshold = null)
    {
        var streamed = 0;
        var bufferBound = (int)Math.Min(streamThreshold ?? maxMessageSize, maxMessageSize); // a streamed message is never buffered
        Gen.Select(WebSocketGen.Session, Cuts).Sample((session, cuts) =>
        {
            var (stream, expected) = WebSocketGen.Build(session, maxMessageSize);
            var whole = FrameParserKit.Feed([stream], maxMessageSize, streamThreshold: streamThreshold, maxStreamedMessageSize: maxMessageSize);
            if (!whole.Events.SequenceEqual(expected))
                throw new XunitException($"events differ from the traffic:\n--- expected:\n{string.Join("\n", expected)}\n--- parsed:\n{whole.Describe()}");
            if (whole.Error is null && whole.InProgress) throw new XunitException("in progress after whole messages");
            var split = FrameParserKit.Feed(WebSocketGen.Cut(stream, cuts), maxMessageSize, p => AssertBufferBounded(p, bufferBound),
                streamThreshold, maxMessageSize);
            if (split.Describe() != whole.Describe())
                throw new XunitException($"split outcome differs:\n--- whole:\n{whole.Describe()}\n--- split:\n{split.Describe()}");
            streamed += whole.Streamed;
        }, iter: iterations, threads: 1, print: t => WebSocketGen.Show(t.Item1, t.Item2, maxMessageSize), writeLine: output.WriteLine);
        return streamed;
    }

    [Fact]
    public void Any_client_traffic_split_anywhere_yields_exactly_its_messages() => Check(FrameParserKit.DefaultMaxMessageSize, 2500);

    [Fact]
    public void With_a_small_limit_the_first_message_over_it_fails_with_1009_at_its_frame_header() => Check(256, 1000);

    [Fact]
    public void Streamed_messages_split_anywhere_add_up_to_exactly_the_messages_sent()
    {
        // Past 16 bytes a message is streamed: in parts that follow the reads, each part of text whole UTF-8, the same
        // messages in the end; and the 1009 of the streamed limit still comes at the header of the frame past it.
        var streamed = Check(2048, 1500, streamThreshold: 16);
        output.WriteLine($"{streamed} messages streamed");
        Assert.True(streamed > 500, $"only {streamed} messages were streamed");
    }

    [Fact]
    public void Corrupted_traffic_split_anywhere_gives_the_same_outcome_as_unsplit()
    {
        // Flipped bits hit every rule (masking, opcodes, lengths, UTF-8, close codes): whatever the outcome, it must not
        // depend on the cuts, and nothing may escape as an exception.
        var mutation = Gen.Select(Gen.Int[0, int.MaxValue], Gen.Int[1, 255]).Array[1, 4];
        int errors = 0, clean = 0;
        Gen.Select(WebSocketGen.Session, mutation, Cuts).Sample((session, flips, cuts) =>
        {
            var (stream, _) = WebSocketGen.Build(session, 512);
            if (stream.Length == 0) return;
            foreach (var (at, bits) in flips) stream[at % stream.Length] ^= (byte)bits;
            var whole = FrameParserKit.Feed([stream], 512);
            var split = FrameParserKit.Feed(WebSocketGen.Cut(stream, cuts), 512, p => AssertBufferBounded(p, 512));
            if (split.Describe() != whole.Describe())
                throw new XunitException($"split outcome differs:\n--- whole:\n{whole.Describe()}\n--- split:\n{split.Describe()}");
            if (whole.Error is null) clean++;
            else errors++;
        }, iter: 1500, threads: 1, print: t => $"flips [{string.Join(",", t.Item2)}]\n{WebSocketGen.Show(t.Item1, t.Item3, 512)}", writeLine: output.WriteLine);
        output.WriteLine($"{errors} failed, {clean} parsed clean");
        Assert.True(errors > 100, $"only {errors} corrupted inputs failed");
    }

    [Fact]
    public void The_generator_reaches_fragments_controls_four_byte_characters_and_every_length_form()
    {
        int fragmented = 0, controls = 0, fourByte = 0, form16 = 0, form64 = 0, large = 0;
        WebSocketGen.Session.Sample(session =>
        {
            foreach (var m in session.Messages)
            {
                if (m.Fragments.Length > 1) fragmented++;
                controls += m.Fragments.Count(f => f.Before != null);
                if (m.IsText && m.Text.EnumerateRunes().Any(r => r.Utf8SequenceLength == 4)) fourByte++;
                form16 += m.Fragments.Count(f => f.Form == LengthForm.Bits16);
                form64 += m.Fragments.Count(f => f.Form == LengthForm.Bits64);
                if (m.Payload.Length > 0xFFFF / 16) large++;
            }
        }, iter: 500, threads: 1);
        output.WriteLine($"fragmented {fragmented}, controls {controls}, 4-byte {fourByte}, 16-bit {form16}, 64-bit {form64}, large {large}");
        Assert.True(fragmented > 100 && controls > 100 && fourByte > 100 && form16 > 50 && form64 > 50 && large > 10);
    }

    [Fact]
    public void Text_of_every_length_class_round_trips_through_one_frame_per_byte()
    {
        // The hardest split: every frame carries one byte, so every multi-byte character is cut across fragments.
        var text = "a\u00e9\u20ac\U0001F600z";
        var payload = Encoding.UTF8.GetBytes(text);
        var frames = payload.Select((b, i) => Frame(i == 0 ? Text : Continuation, [b], fin: i == payload.Length - 1)).ToArray();
        var outcome = FrameParserKit.ParseAllWays(Concat(frames));
        Assert.Equal(text, Assert.IsType<WebSocketMessage.Text>(outcome.SingleMessage()).Value);
    }
}
