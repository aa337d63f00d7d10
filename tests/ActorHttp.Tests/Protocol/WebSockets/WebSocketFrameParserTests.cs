using System.Reflection;
using System.Text;
using ActorHttp.Protocol.WebSockets;
using Xunit;
using static ActorHttp.Tests.Protocol.WebSockets.ClientFrames;
using static ActorHttp.Tests.Protocol.WebSockets.FrameParserKit;

namespace ActorHttp.Tests.Protocol.WebSockets;

/// <summary>
/// The rules of RFC 6455 §5 as the server's frame parser enforces them, each with a case that passes and one that fails.
/// Every input is also parsed split at every byte boundary, byte by byte and in random pieces (<see cref="FrameParserKit.ParseAllWays"/>).
/// </summary>
[Trait("Category", "WebSocket")]
public sealed class WebSocketFrameParserTests
{
    private static string TextOf(FrameOutcome outcome) => Assert.IsType<WebSocketMessage.Text>(outcome.SingleMessage()).Value;

    private static byte[] BytesOf(FrameOutcome outcome) => Assert.IsType<WebSocketMessage.Binary>(outcome.SingleMessage()).Data.ToArray();

    // ================================================================ messages

    [Fact]
    public void A_masked_text_frame_is_a_text_message() =>
        Assert.Equal("Hello", TextOf(ParseAllWays(TextFrame("Hello"))));

    [Fact]
    public void The_rfc_example_masked_hello_is_parsed() =>
        // RFC 6455 §5.7: a single-frame masked text message.
        Assert.Equal("Hello", TextOf(ParseAllWays(Convert.FromHexString("818537FA213D7F9F4D5158"))));

    [Fact]
    public void A_binary_frame_is_a_binary_message() =>
        Assert.Equal(new byte[] { 0, 1, 2, 0xFF }, BytesOf(ParseAllWays(BinaryFrame([0, 1, 2, 0xFF]))));

    [Fact]
    public void Empty_messages_are_messages()
    {
        var outcome = ParseAllWays(Concat(TextFrame(""), BinaryFrame([]), Frame(Text, [], fin: false), Frame(Continuation, [])));
        Assert.Equal(["text:", "binary:", "text:"], outcome.Events);
    }

    [Fact]
    public void Fragments_are_reassembled_into_one_message()
    {
        var outcome = ParseAllWays(Concat(
            Frame(Binary, [1, 2], fin: false, mask: [1, 2, 3, 4]),
            Frame(Continuation, [3], fin: false, mask: [9, 9, 9, 9]),
            Frame(Continuation, [], fin: false),
            Frame(Continuation, [4, 5, 6], mask: [0xFF, 0, 0xFF, 0])));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6 }, BytesOf(outcome));
    }

    [Fact]
    public void Several_messages_in_one_read_come_out_one_per_call_in_order()
    {
        var input = Concat(TextFrame("one"), BinaryFrame([2]), PingFrame([7]), TextFrame("three"));
        var parser = new WebSocketFrameParser(1000);
        ReadOnlySpan<byte> data = input;
        Assert.Equal(WebSocketParseStatus.Message, parser.Parse(data, out var consumed));
        Assert.Equal(TextFrame("one").Length, consumed); // stops right after the event's last byte
        Assert.Equal("one", ((WebSocketMessage.Text)parser.Message!).Value);
        data = data[consumed..];
        Assert.Equal(WebSocketParseStatus.Message, parser.Parse(data, out consumed));
        data = data[consumed..];
        Assert.Equal(WebSocketParseStatus.Ping, parser.Parse(data, out consumed));
        Assert.Equal(new byte[] { 7 }, parser.ControlPayload.ToArray());
        data = data[consumed..];
        Assert.Equal(WebSocketParseStatus.Message, parser.Parse(data, out consumed));
        Assert.Equal(data.Length, consumed);
        Assert.Equal(WebSocketParseStatus.NeedMoreData, parser.Parse([], out consumed));
        Assert.Equal(0, consumed);
        Assert.False(parser.InProgress);
    }

    [Fact]
    public void A_message_is_never_changed_by_later_parsing()
    {
        // Text messages reuse the parser's buffer and binary ones may be copied out of it: earlier messages must not see that.
        var outcome = ParseAllWays(Concat(
            BinaryFrame([1, 2, 3]), TextFrame("abc"), BinaryFrame([4, 5], fin: false), Frame(Continuation, [6]), TextFrame("xyz"), BinaryFrame([7])));
        Assert.Equal(["binary:010203", "text:abc", "binary:040506", "text:xyz", "binary:07"], outcome.Events);
    }

    [Fact]
    public void A_large_message_over_the_kept_buffer_size_arrives_whole()
    {
        var data = Enumerable.Range(0, 70_000).Select(i => (byte)(i * 7)).ToArray();
        var input = Concat(Frame(Binary, data.AsSpan(0, 30_000), fin: false), PingFrame(), Frame(Continuation, data.AsSpan(30_000)));
        foreach (var size in new[] { input.Length, 1, 1000, 4093, 65536 })
        {
            var outcome = Feed(input.Chunk(size), maxMessageSize: 70_000);
            Assert.Equal(2, outcome.Events.Count);
            Assert.Equal(data, Assert.IsType<WebSocketMessage.Binary>(outcome.Messages.Single()).Data.ToArray());
        }
    }

    // ================================================================ masking

    [Fact]
    public void An_unmasked_client_frame_is_a_protocol_error()
    {
        ParseAllWays(Frame(Text, Utf8("hi"), masked: false)).AssertError(1002);
        // Refused at the second byte: nothing after it is needed.
        ParseWhole(Frame(Text, Utf8("hi"), masked: false)[..2]).AssertError(1002);
    }

    [Fact]
    public void A_zero_key_is_still_a_mask() =>
        Assert.Equal("hi", TextOf(ParseAllWays(Frame(Text, Utf8("hi"), mask: [0, 0, 0, 0]))));

    // ================================================================ reserved bits and opcodes

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(7)]
    public void A_reserved_bit_is_a_protocol_error(int rsv)
    {
        ParseAllWays(Frame(Text, Utf8("hi"), rsv: rsv)).AssertError(1002);
        ParseAllWays(Frame(Ping, [], rsv: rsv)).AssertError(1002);
        ParseWhole(Frame(Binary, [1], rsv: rsv)[..1]).AssertError(1002); // at the first byte
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(0xB)]
    [InlineData(0xC)]
    [InlineData(0xD)]
    [InlineData(0xE)]
    [InlineData(0xF)]
    public void A_reserved_opcode_is_a_protocol_error(int opcode)
    {
        ParseAllWays(Frame(opcode, [1, 2])).AssertError(1002);
        ParseWhole(Frame(opcode, [])[..1]).AssertError(1002);
    }

    [Fact]
    public void The_defined_opcodes_are_accepted()
    {
        var outcome = ParseAllWays(Concat(TextFrame("t"), BinaryFrame([1]), Frame(Text, [], fin: false), Frame(Continuation, Utf8("c")),
            PingFrame([1]), PongFrame([2]), CloseFrame(1000)));
        Assert.Equal(["text:t", "binary:01", "text:c", "ping:01", "pong:02", "close:1000:"], outcome.Events);
    }

    // ================================================================ control frames

    [Theory]
    [InlineData(Ping)]
    [InlineData(Pong)]
    [InlineData(Close)]
    public void A_control_frame_carries_at_most_125_bytes(int opcode)
    {
        var payload = opcode == Close ? ClosePayload(1000, Utf8(new string('r', 123))) : Enumerable.Repeat((byte)'p', 125).ToArray();
        Assert.Equal(125, payload.Length);
        var ok = ParseAllWays(Frame(opcode, payload));
        Assert.Null(ok.Error);
        Assert.Single(ok.Events);

        ParseAllWays(Frame(opcode, [.. payload, (byte)'x'])).AssertError(1002);
        // 126 is refused from the second byte; so are the 16- and 64-bit forms even for small lengths.
        ParseWhole(Frame(opcode, [.. payload, (byte)'x'])[..2]).AssertError(1002);
        ParseAllWays(Frame(opcode, [1, 2], form: LengthForm.Bits16)).AssertError(1002);
        ParseAllWays(Frame(opcode, [1, 2], form: LengthForm.Bits64)).AssertError(1002);
    }

    [Theory]
    [InlineData(Ping)]
    [InlineData(Pong)]
    [InlineData(Close)]
    public void A_fragmented_control_frame_is_a_protocol_error(int opcode)
    {
        ParseAllWays(Frame(opcode, [], fin: false)).AssertError(1002);
        ParseWhole(Frame(opcode, [], fin: false)[..1]).AssertError(1002);
    }

    [Fact]
    public void Control_frames_may_come_between_the_fragments_of_a_message()
    {
        var outcome = ParseAllWays(Concat(
            Frame(Text, Utf8("fra"), fin: false),
            PingFrame([1, 2, 3]),
            Frame(Continuation, Utf8("gme"), fin: false),
            PongFrame(),
            PingFrame(),
            Frame(Continuation, Utf8("nted"))));
        Assert.Equal(["ping:010203", "pong:", "ping:", "text:fragmented"], outcome.Events);
    }

    [Fact]
    public void A_ping_payload_is_unmasked_and_available_until_the_next_call()
    {
        var payload = Enumerable.Range(0, 125).Select(i => (byte)i).ToArray();
        Assert.Equal($"ping:{Convert.ToHexString(payload)}", ParseAllWays(Frame(Ping, payload, mask: [0xA1, 0xB2, 0xC3, 0xD4])).Events.Single());
    }

    // ================================================================ fragmentation rules

    [Fact]
    public void A_continuation_without_a_message_is_a_protocol_error()
    {
        ParseAllWays(Frame(Continuation, Utf8("x"))).AssertError(1002);
        ParseAllWays(Concat(TextFrame("done"), Frame(Continuation, Utf8("x")))).AssertError(1002);
        Assert.Equal("text:done", ParseWhole(Concat(TextFrame("done"), Frame(Continuation, Utf8("x")))).Events[0]);
    }

    [Theory]
    [InlineData(Text)]
    [InlineData(Binary)]
    public void A_new_message_while_one_is_fragmented_is_a_protocol_error(int opcode)
    {
        ParseAllWays(Concat(Frame(Text, Utf8("a"), fin: false), Frame(opcode, [0x61]))).AssertError(1002);
        ParseAllWays(Concat(Frame(Binary, [1], fin: false), PingFrame(), Frame(opcode, [0x61]))).AssertError(1002);
    }

    [Fact]
    public void An_unfinished_fragmented_message_leaves_the_parser_in_progress()
    {
        var outcome = ParseAllWays(Frame(Text, Utf8("part"), fin: false));
        Assert.Empty(outcome.Events);
        Assert.True(outcome.InProgress);
        Assert.True(ParseWhole(TextFrame("whole")[..3]).InProgress);
        Assert.False(ParseWhole(TextFrame("whole")).InProgress);
    }

    // ================================================================ UTF-8

    [Fact]
    public void Text_split_across_fragments_inside_a_character_is_valid()
    {
        var bytes = Utf8("κόσμε 😀");
        // Cut inside the 4-byte emoji and inside a 2-byte letter.
        var outcome = ParseAllWays(Concat(
            Frame(Text, bytes.AsSpan(0, 1), fin: false),
            Frame(Continuation, bytes.AsSpan(1, bytes.Length - 3), fin: false),
            Frame(Continuation, bytes.AsSpan(bytes.Length - 2))));
        Assert.Equal("κόσμε 😀", TextOf(outcome));
    }

    [Fact]
    public void Invalid_utf8_in_text_is_1007()
    {
        ParseAllWays(Frame(Text, [0x61, 0xFF, 0x62])).AssertError(1007);
        ParseAllWays(Frame(Text, [0xED, 0xA0, 0x80])).AssertError(1007);     // a surrogate
        ParseAllWays(Frame(Text, [0xC0, 0xAF])).AssertError(1007);           // overlong
        ParseAllWays(Frame(Text, [0xF4, 0x90, 0x80, 0x80])).AssertError(1007); // beyond U+10FFFF
        // Across fragments: each fragment alone could be valid, together they are not.
        ParseAllWays(Concat(Frame(Text, [0xE2, 0x82], fin: false), Frame(Continuation, [0x41]))).AssertError(1007);
    }

    [Fact]
    public void Binary_is_not_checked_for_utf8() =>
        Assert.Equal(new byte[] { 0xFF, 0xC0 }, BytesOf(ParseAllWays(BinaryFrame([0xFF, 0xC0]))));

    [Fact]
    public void Invalid_utf8_fails_before_the_frame_is_complete()
    {
        // RFC 6455 §8.1 / Autobahn 6.4: the rest of the frame may never come; the bad byte is enough.
        var frame = Frame(Text, [.. Utf8("valid so far "), 0xF4, 0x90, .. Utf8(" and more to come")]);
        var upToBadPrefix = frame[..(6 + 13 + 2)];
        ParseWhole(upToBadPrefix).AssertError(1007);
        // And across fragments: the fragment that makes it impossible fails, the message's end is not awaited.
        ParseWhole(Concat(Frame(Text, [0xF0], fin: false), Frame(Continuation, [0x80, 0x80, 0x80], fin: false))).AssertError(1007);
        // While a prefix that can still be completed is not an error yet.
        Assert.Null(ParseWhole(frame[..(6 + 13 + 1)]).Error);
    }

    [Fact]
    public void Text_ending_inside_a_character_is_1007_when_the_message_ends()
    {
        var outcome = ParseAllWays(Frame(Text, [0x61, 0xF0, 0x9F, 0x98], fin: false));
        Assert.Null(outcome.Error); // more may follow
        ParseAllWays(Frame(Text, [0x61, 0xF0, 0x9F, 0x98])).AssertError(1007);
        ParseAllWays(Concat(Frame(Text, [0xF0, 0x9F], fin: false), Frame(Continuation, [0x98]))).AssertError(1007);
        Assert.Equal("😀", TextOf(ParseAllWays(Concat(Frame(Text, [0xF0, 0x9F], fin: false), Frame(Continuation, [0x98, 0x80])))));
    }

    // ================================================================ lengths and the size limit

    [Theory]
    [InlineData(LengthForm.Bits7)]
    [InlineData(LengthForm.Bits16)]
    [InlineData(LengthForm.Bits64)]
    public void Non_minimal_length_encodings_are_accepted(LengthForm form) =>
        Assert.Equal("hello", TextOf(ParseAllWays(Frame(Text, Utf8("hello"), form: form))));

    [Theory]
    [InlineData(125)]
    [InlineData(126)]
    [InlineData(65535)]
    [InlineData(65536)]
    public void Each_length_form_at_its_boundary_is_read(int length)
    {
        var data = Enumerable.Range(0, length).Select(i => (byte)i).ToArray();
        var frame = BinaryFrame(data);
        Assert.Equal(length <= 125 ? 6 : length <= 65535 ? 8 : 14, frame.Length - length);
        foreach (var size in new[] { frame.Length, 1, 7, 4096 })
            Assert.Equal(data, Assert.IsType<WebSocketMessage.Binary>(Feed(frame.Chunk(size), maxMessageSize: 65536).SingleMessage()).Data.ToArray());
    }

    [Fact]
    public void A_64_bit_length_with_the_high_bit_set_is_a_protocol_error()
    {
        var frame = Frame(Binary, [], form: LengthForm.Bits64, rawLength: 0x8000_0000_0000_0001);
        ParseAllWays(frame).AssertError(1002);
        ParseWhole(frame[..3]).AssertError(1002); // at the first length byte
        // Even when the limit would refuse it too: the malformed length is the error.
        ParseWhole(frame, maxMessageSize: 10).AssertError(1002);
        // The largest valid 64-bit length is "only" too big.
        ParseAllWays(Frame(Binary, [], form: LengthForm.Bits64, rawLength: long.MaxValue)).AssertError(1009);
    }

    [Fact]
    public void A_message_of_exactly_the_limit_is_accepted_and_one_byte_more_is_1009()
    {
        var data = new byte[100];
        Assert.Equal(100, BytesOf(ParseAllWays(BinaryFrame(data), maxMessageSize: 100)).Length);
        ParseAllWays(BinaryFrame([.. data, 0]), maxMessageSize: 100).AssertError(1009);
        Assert.Equal(100, TextOf(ParseAllWays(TextFrame(new string('a', 100)), maxMessageSize: 100)).Length);
        ParseAllWays(TextFrame(new string('a', 101)), maxMessageSize: 100).AssertError(1009);
    }

    [Fact]
    public void The_limit_is_enforced_at_the_header_before_any_payload()
    {
        // Only the header of a frame announcing a gigabyte: refused as soon as its length is read, nothing buffered.
        var header = Frame(Binary, [], form: LengthForm.Bits64, rawLength: 1UL << 30)[..10];
        ParseWhole(header, maxMessageSize: 1 << 20).AssertError(1009);
    }

    [Fact]
    public void The_limit_counts_all_fragments_of_a_message_but_not_control_frames()
    {
        var ok = ParseAllWays(Concat(Frame(Binary, new byte[60], fin: false), PingFrame(new byte[100]), Frame(Continuation, new byte[40])), maxMessageSize: 100);
        Assert.Equal(2, ok.Events.Count);
        var tooBig = Concat(Frame(Binary, new byte[60], fin: false), PingFrame(), Frame(Continuation, new byte[41]));
        var outcome = ParseAllWays(tooBig, maxMessageSize: 100);
        Assert.Equal(["ping:", "error:1009"], outcome.Events);
        // The fragment's header is enough.
        ParseWhole(tooBig[..(tooBig.Length - 41 - 4)], maxMessageSize: 100).AssertError(1009);
        // Each message starts from zero again.
        Assert.Equal(3, ParseAllWays(Concat(BinaryFrame(new byte[100]), BinaryFrame(new byte[100]), TextFrame(new string('z', 100))), maxMessageSize: 100).Events.Count);
    }

    [Fact]
    public void A_header_announcing_much_allocates_nothing_until_the_bytes_come()
    {
        var parser = new WebSocketFrameParser(1 << 24);
        var header = Frame(Binary, [], form: LengthForm.Bits64, rawLength: 1 << 24)[..14];
        Assert.Equal(WebSocketParseStatus.NeedMoreData, parser.Parse(header, out _));
        Assert.Null(BufferOf(parser));
        Assert.Equal(WebSocketParseStatus.NeedMoreData, parser.Parse(new byte[100], out _));
        Assert.InRange(BufferOf(parser)!.Length, 100, 4096);
    }

    [Fact]
    public void A_single_frame_binary_message_is_its_own_buffer_when_it_fits_exactly()
    {
        var parser = new WebSocketFrameParser(1000);
        var frame = BinaryFrame([1, 2, 3]);
        Assert.Equal(WebSocketParseStatus.Message, parser.Parse(frame, out _));
        Assert.Null(BufferOf(parser)); // handed over with the message, not kept
        Assert.Equal(3, ((WebSocketMessage.Binary)parser.Message!).Data.Count);
    }

    [Fact]
    public void Control_frames_and_the_frames_of_a_message_allocate_nothing_beyond_the_message()
    {
        var parser = new WebSocketFrameParser(1 << 20);
        var pings = Concat(Enumerable.Range(0, 100).Select(i => PingFrame([(byte)i, 1, 2, 3])).ToArray());
        var fragments = Concat([.. Enumerable.Range(0, 100).Select(i => Frame(i == 0 ? Binary : Continuation, new byte[40], fin: false)), Frame(Continuation, [])]);
        ParseEverything(parser, pings); // warm up (JIT)
        ParseEverything(parser, fragments);

        var before = GC.GetAllocatedBytesForCurrentThread();
        ParseEverything(parser, pings);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        // 100 fragments of 40 bytes: the 4000 bytes fit the kept 4 KB buffer; the message is one exact copy plus its wrappers.
        before = GC.GetAllocatedBytesForCurrentThread();
        ParseEverything(parser, fragments);
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 4000, 4000 + 256);
    }

    private static void ParseEverything(WebSocketFrameParser parser, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            // Not Assert.NotEqual: its comparer allocates.
            if (parser.Parse(data, out var consumed) == WebSocketParseStatus.Error) throw new Xunit.Sdk.XunitException($"{parser.Error}");
            data = data[consumed..];
        }
    }

    private static byte[]? BufferOf(WebSocketFrameParser parser) =>
        (byte[]?)typeof(WebSocketFrameParser).GetField("_buffer", BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(parser);

    // ================================================================ close

    [Fact]
    public void A_close_frame_without_payload_has_no_code()
    {
        var outcome = ParseAllWays(Frame(Close, []));
        Assert.Equal(["close:-:"], outcome.Events);
    }

    [Fact]
    public void A_close_frame_with_code_and_reason()
    {
        Assert.Equal(["close:1000:"], ParseAllWays(CloseFrame(1000)).Events);
        Assert.Equal(["close:1001:bye \\u{2713}"], ParseAllWays(CloseFrame(1001, "bye ✓")).Events);
    }

    [Fact]
    public void A_close_payload_of_one_byte_is_a_protocol_error() => ParseAllWays(Frame(Close, [0x03])).AssertError(1002);

    [Theory]
    [InlineData(1000)]
    [InlineData(1001)]
    [InlineData(1002)]
    [InlineData(1003)]
    [InlineData(1007)]
    [InlineData(1008)]
    [InlineData(1009)]
    [InlineData(1010)]
    [InlineData(1011)]
    [InlineData(1012)]
    [InlineData(1013)]
    [InlineData(1014)]
    [InlineData(3000)]
    [InlineData(3999)]
    [InlineData(4000)]
    [InlineData(4999)]
    public void A_valid_close_code_is_accepted(int code) =>
        Assert.Equal([$"close:{code}:r"], ParseAllWays(CloseFrame(code, "r")).Events);

    [Theory]
    [InlineData(0)]
    [InlineData(999)]
    [InlineData(1004)]
    [InlineData(1005)]
    [InlineData(1006)]
    [InlineData(1015)]
    [InlineData(1016)]
    [InlineData(2000)]
    [InlineData(2999)]
    [InlineData(5000)]
    [InlineData(65535)]
    public void An_invalid_close_code_is_a_protocol_error(int code) => ParseAllWays(CloseFrame(code)).AssertError(1002);

    [Fact]
    public void A_close_reason_that_is_not_utf8_is_1007() =>
        ParseAllWays(Frame(Close, ClosePayload(1000, [0x61, 0xC3]))).AssertError(1007);

    [Fact]
    public void Bytes_after_a_close_are_ignored()
    {
        var outcome = ParseAllWays(Concat(TextFrame("last"), CloseFrame(1000, "done"), TextFrame("ignored"), [0xFF, 0xFF, 0x00]));
        Assert.Equal(["text:last", "close:1000:done"], outcome.Events);
        Assert.False(outcome.InProgress);
    }

    [Fact]
    public void A_close_between_fragments_ends_the_conversation()
    {
        var outcome = ParseAllWays(Concat(Frame(Text, Utf8("never fin"), fin: false), CloseFrame(1001)));
        Assert.Equal(["close:1001:"], outcome.Events);
        Assert.False(outcome.InProgress);
    }

    // ================================================================ errors

    [Fact]
    public void An_error_is_terminal_and_events_before_it_stand()
    {
        // Feed checks that every later call answers Error without consuming.
        var outcome = ParseAllWays(Concat(TextFrame("a"), PingFrame(), Frame(Text, [1], masked: false), TextFrame("never")));
        Assert.Equal(["text:a", "ping:", "error:1002"], outcome.Events);
        Assert.Equal("unmasked frame", outcome.Error!.Reason);
    }

    [Fact]
    public void The_limit_must_be_a_possible_array_size()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new WebSocketFrameParser(-1));
        Assert.Equal("", TextOf(ParseAllWays(TextFrame(""), maxMessageSize: 0)));
        ParseAllWays(TextFrame("a"), maxMessageSize: 0).AssertError(1009);
    }

    // ================================================================ streaming

    /// <summary>Parses with a 16-byte stream threshold, split every way (a streamed message is described by what its parts make up).</summary>
    private static FrameOutcome ParseStreamed(byte[] input, long maxStreamed = long.MaxValue) =>
        ParseAllWays(input, streamThreshold: 16, maxStreamedMessageSize: maxStreamed);

    [Fact]
    public void A_message_up_to_the_threshold_is_whole_and_one_over_it_is_streamed_in_parts_that_make_it_up()
    {
        var atThreshold = ParseStreamed(BinaryFrame(new byte[16]));
        Assert.Equal((1, 0), (atThreshold.Messages.Count, atThreshold.Streamed));

        var data = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        var over = ParseStreamed(BinaryFrame(data));
        Assert.Equal(data, BytesOf(over));
        Assert.Equal(1, over.Streamed);
        var text = string.Concat(Enumerable.Repeat("aé€😀", 10));
        Assert.Equal(text, TextOf(ParseStreamed(TextFrame(text)))); // every part whole UTF-8, whatever the cuts (checked by the kit)
    }

    [Fact]
    public void A_fragmented_message_is_streamed_from_the_fragment_that_takes_it_past_the_threshold_with_what_came_before_as_its_first_part()
    {
        var input = Concat(Frame(Text, Utf8("0123456789"), fin: false), Frame(Continuation, Utf8("abcdef"), fin: false),
            Frame(Continuation, Utf8("XYZ"), fin: false), PingFrame([5]), Frame(Continuation, Utf8("end")));
        var outcome = ParseStreamed(input);
        Assert.Equal(["ping:05", "text:0123456789abcdefXYZend"], outcome.Events);
        Assert.Equal(1, outcome.Streamed);

        var parser = new WebSocketFrameParser(1000, streamThreshold: 16);
        ReadOnlySpan<byte> data = input;
        Assert.Equal(WebSocketParseStatus.MessageStreamStart, parser.Parse(data, out var consumed));
        Assert.True(parser.MessageIsText);
        Assert.Equal("0123456789abcdef", parser.Part.ToString(Encoding.UTF8)); // 16 reassembled; the 19th byte's header started the stream
        data = data[consumed..];
        Assert.Equal(WebSocketParseStatus.MessagePart, parser.Parse(data, out consumed));
        Assert.Equal(("XYZ", false), (parser.Part.ToString(Encoding.UTF8), parser.PartIsLast));
        data = data[consumed..];
        Assert.Equal(WebSocketParseStatus.Ping, parser.Parse(data, out consumed)); // controls between fragments as ever
        data = data[consumed..];
        Assert.Equal(WebSocketParseStatus.MessagePart, parser.Parse(data, out consumed));
        Assert.Equal(("end", true), (parser.Part.ToString(Encoding.UTF8), parser.PartIsLast));
        Assert.Equal(data.Length, consumed);
        Assert.False(parser.InProgress);
    }

    [Fact]
    public void A_streamed_message_may_end_with_an_empty_last_part_and_the_next_message_is_whole_again()
    {
        var outcome = ParseStreamed(Concat(Frame(Binary, new byte[20], fin: false), Frame(Continuation, []), BinaryFrame([1])));
        Assert.Equal(["binary:" + new string('0', 40), "binary:01"], outcome.Events);
        Assert.Equal(1, outcome.Streamed);
    }

    [Fact]
    public void A_text_part_never_ends_inside_a_code_point()
    {
        // Byte by byte, a four-byte character's first three bytes are held back until the fourth arrives.
        var text = "ab😀cd😀";
        var parser = new WebSocketFrameParser(1000, streamThreshold: 4);
        var parts = new List<string>();
        foreach (var b in TextFrame(text))
        {
            var status = parser.Parse([b], out _);
            if (status is WebSocketParseStatus.MessageStreamStart or WebSocketParseStatus.MessagePart && !parser.Part.IsEmpty)
                parts.Add(parser.Part.ToString(Encoding.UTF8));
        }
        Assert.Equal(["a", "b", "😀", "c", "d", "😀"], parts);
    }

    [Fact]
    public void Invalid_or_unfinished_UTF8_fails_a_streamed_text_message_with_1007()
    {
        var invalid = Utf8(new string('x', 30)).Concat(new byte[] { 0xED, 0xA0, 0x80 }).Concat(Utf8("tail")).ToArray(); // a surrogate
        ParseStreamed(Frame(Text, invalid)).AssertError(1007);
        ParseStreamed(Concat(Frame(Text, Utf8(new string('x', 30)), fin: false), Frame(Continuation, [0xF0, 0x9F, 0x98]))).AssertError(1007);
    }

    [Fact]
    public void A_frame_that_takes_a_streamed_message_past_its_limit_fails_with_1009_before_its_payload()
    {
        ParseStreamed(Concat(Frame(Binary, new byte[60], fin: false), Frame(Continuation, new byte[41])), maxStreamed: 100).AssertError(1009);
        Assert.Equal(1, ParseStreamed(Concat(Frame(Binary, new byte[60], fin: false), Frame(Continuation, new byte[40])), maxStreamed: 100).Streamed);

        // The header alone decides: no payload byte has to arrive.
        var parser = new WebSocketFrameParser(1000, streamThreshold: 16, maxStreamedMessageSize: 100);
        Assert.Equal(WebSocketParseStatus.Error, parser.Parse(Frame(Binary, [], rawLength: 101), out _));
        Assert.Equal(1009, parser.Error!.CloseCode);
    }

    [Fact]
    public void A_stream_starts_at_the_header_of_a_huge_frame_and_nothing_of_its_size_is_allocated()
    {
        var parser = new WebSocketFrameParser(1000, streamThreshold: 16);
        Assert.Equal(WebSocketParseStatus.MessageStreamStart, parser.Parse(Frame(Binary, [], rawLength: 1UL << 40), out _));
        Assert.True(parser.Part.IsEmpty);
        Assert.Equal(WebSocketParseStatus.MessagePart, parser.Parse([1, 2, 3], out var consumed));
        Assert.Equal((3, 3), (consumed, parser.Part.Count));
    }

    [Fact]
    public void A_threshold_above_the_largest_whole_message_streams_from_the_largest_whole_message()
    {
        var outcome = ParseAllWays(BinaryFrame(new byte[50]), maxMessageSize: 32, streamThreshold: 1000);
        Assert.Equal(1, outcome.Streamed);
    }

    // ================================================================ unmasking

    [Fact]
    public void Unmasking_at_every_offset_and_length_matches_the_definition()
    {
        var mask = new byte[] { 0x12, 0x34, 0x56, 0x78 };
        var source = Enumerable.Range(0, 200).Select(i => (byte)(i * 31)).ToArray();
        for (var length = 0; length <= 150; length += 1)
        for (var index = 0; index < 4; index++)
        {
            var destination = new byte[length];
            WebSocketFrameParser.Unmask(source.AsSpan(0, length), destination, mask, index);
            for (var i = 0; i < length; i++)
                Assert.Equal((byte)(source[i] ^ mask[(index + i) % 4]), destination[i]);
        }
    }

    [Fact]
    public void Text_messages_decode_every_length_class()
    {
        var text = string.Concat(Enumerable.Repeat("A é € 😀 ", 50));
        Assert.Equal(text, TextOf(ParseAllWays(TextFrame(text))));
        Assert.Equal(Encoding.UTF8.GetByteCount(text), Utf8(text).Length);
    }
}
