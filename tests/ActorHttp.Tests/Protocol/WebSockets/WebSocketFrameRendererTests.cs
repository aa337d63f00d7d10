using System.Text;
using ActorHttp.Protocol.WebSockets;
using Akka.IO;
using Xunit;
using static ActorHttp.Tests.Protocol.WebSockets.ServerFrames;

namespace ActorHttp.Tests.Protocol.WebSockets;

/// <summary>Server frames: unmasked, FIN set, the shortest length form, checked by bytes and read back.</summary>
[Trait("Category", "WebSocket")]
public sealed class WebSocketFrameRendererTests
{
    [Theory]
    [InlineData(0, 2)]
    [InlineData(1, 2)]
    [InlineData(125, 2)]
    [InlineData(126, 4)]
    [InlineData(65535, 4)]
    [InlineData(65536, 10)]
    [InlineData(100_000, 10)]
    public void Binary_frames_use_the_shortest_length_form(int length, int headerLength)
    {
        var data = Enumerable.Range(0, length).Select(i => (byte)(i * 13)).ToArray();
        foreach (var bytes in new[]
                 {
                     Render(o => WebSocketFrameRenderer.RenderBinary(ByteString.FromBytes(data), o)),
                     Render(o => WebSocketFrameRenderer.RenderBinary(data.AsSpan(), o)),
                 })
        {
            Assert.Equal(headerLength + length, bytes.Length);
            Assert.Equal(0x82, bytes[0]); // FIN, binary
            var frame = Single(bytes);
            Assert.Equal(headerLength, frame.HeaderLength);
            Assert.False(frame.Masked);
            Assert.True(frame.Fin);
            Assert.Equal(0, frame.Rsv);
            Assert.Equal(data, frame.Payload);
        }
    }

    [Fact]
    public void Length_fields_are_big_endian_by_the_byte()
    {
        Assert.Equal("827D", Convert.ToHexString(Render(o => WebSocketFrameRenderer.RenderBinary(new byte[125], o))[..2]));
        Assert.Equal("827E007E", Convert.ToHexString(Render(o => WebSocketFrameRenderer.RenderBinary(new byte[126], o))[..4]));
        Assert.Equal("827EFFFF", Convert.ToHexString(Render(o => WebSocketFrameRenderer.RenderBinary(new byte[65535], o))[..4]));
        Assert.Equal("827F0000000000010000", Convert.ToHexString(Render(o => WebSocketFrameRenderer.RenderBinary(new byte[65536], o))[..10]));
    }

    [Fact]
    public void WriteHeader_covers_fragments_and_64_bit_lengths()
    {
        var header = new byte[WebSocketFrameRenderer.MaxHeaderLength];
        Assert.Equal(10, WebSocketFrameRenderer.WriteHeader(header, WebSocketOpcode.Continuation, 1L << 40, fin: false));
        Assert.Equal("007F0000010000000000", Convert.ToHexString(header));
        Assert.Equal(2, WebSocketFrameRenderer.WriteHeader(header, WebSocketOpcode.Text, 5, fin: false));
        Assert.Equal("0105", Convert.ToHexString(header[..2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => WebSocketFrameRenderer.WriteHeader(header, WebSocketOpcode.Text, -1));
    }

    [Theory]
    [InlineData("")]
    [InlineData("Hello")]
    [InlineData("κόσμε 😀 世界")]
    public void Text_frames_carry_utf8(string text)
    {
        var bytes = Render(o => WebSocketFrameRenderer.RenderText(text, o));
        var frame = Single(bytes);
        Assert.Equal(0x1, frame.Opcode);
        Assert.True(frame.Fin);
        Assert.Equal(Encoding.UTF8.GetBytes(text), frame.Payload);
    }

    [Fact]
    public void The_rfc_example_unmasked_hello() =>
        // RFC 6455 §5.7.
        Assert.Equal("810548656C6C6F", Convert.ToHexString(Render(o => WebSocketFrameRenderer.RenderText("Hello", o))));

    [Fact]
    public void Long_text_uses_the_longer_length_forms()
    {
        var text = new string('é', 40_000); // 80 000 bytes: the 64-bit form
        var frame = Single(Render(o => WebSocketFrameRenderer.RenderText(text, o)));
        Assert.Equal(10, frame.HeaderLength);
        Assert.Equal(text, Encoding.UTF8.GetString(frame.Payload));
    }

    [Fact]
    public void Text_with_a_lone_surrogate_is_refused() =>
        Assert.Throws<ArgumentException>(() => Render(o => WebSocketFrameRenderer.RenderText("a\uD800b", o)));

    [Fact]
    public void Ping_and_pong_carry_their_payload()
    {
        var ping = Single(Render(o => WebSocketFrameRenderer.RenderPing([1, 2, 3], o)));
        Assert.Equal(0x9, ping.Opcode);
        Assert.Equal(new byte[] { 1, 2, 3 }, ping.Payload);
        var pong = Single(Render(o => WebSocketFrameRenderer.RenderPong(new byte[125], o)));
        Assert.Equal((0xA, 125), (pong.Opcode, pong.Payload.Length));
        Assert.Equal("8A00", Convert.ToHexString(Render(o => WebSocketFrameRenderer.RenderPong([], o))));
        Assert.Throws<ArgumentException>(() => Render(o => WebSocketFrameRenderer.RenderPing(new byte[126], o)));
    }

    [Fact]
    public void Close_carries_code_and_reason_or_nothing()
    {
        Assert.Equal("880203E8", Convert.ToHexString(Render(o => WebSocketFrameRenderer.RenderClose(1000, "", o))));
        Assert.Equal("8800", Convert.ToHexString(Render(o => WebSocketFrameRenderer.RenderClose(null, null, o))));
        var close = Single(Render(o => WebSocketFrameRenderer.RenderClose(WebSocketCloseCodes.GoingAway, "bye ✓", o)));
        Assert.Equal(0x8, close.Opcode);
        Assert.Equal(ClientFrames.ClosePayload(1001, Encoding.UTF8.GetBytes("bye ✓")), close.Payload);
    }

    [Fact]
    public void A_long_close_reason_is_cut_at_a_character_boundary()
    {
        var reason = string.Concat(Enumerable.Repeat("😀", 40)); // 160 bytes
        var close = Single(Render(o => WebSocketFrameRenderer.RenderClose(1000, reason, o)));
        Assert.Equal(2 + 120, close.Payload.Length); // 30 whole emoji; a 31st would need 124
        Assert.Equal(string.Concat(Enumerable.Repeat("😀", 30)), Encoding.UTF8.GetString(close.Payload, 2, 120));
        var ascii = new string('r', 200);
        Assert.Equal(125, Single(Render(o => WebSocketFrameRenderer.RenderClose(1000, ascii, o))).Payload.Length);
    }

    [Theory]
    [InlineData(999)]
    [InlineData(1005)]
    [InlineData(1006)]
    [InlineData(1015)]
    [InlineData(5000)]
    public void A_close_code_that_may_not_be_sent_is_refused(int code) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Render(o => WebSocketFrameRenderer.RenderClose(code, "", o)));

    [Fact]
    public void A_reason_without_a_code_is_refused() =>
        Assert.Throws<ArgumentException>(() => Render(o => WebSocketFrameRenderer.RenderClose(null, "why", o)));

    [Fact]
    public void Frames_rendered_back_to_back_share_one_buffer()
    {
        var bytes = Render(o =>
        {
            WebSocketFrameRenderer.RenderMessage(new WebSocketMessage.Text("a"), o);
            WebSocketFrameRenderer.RenderMessage(new WebSocketMessage.Binary([9]), o);
            WebSocketFrameRenderer.RenderPing([], o);
            WebSocketFrameRenderer.RenderClose(1000, "", o);
        });
        Assert.Equal("8101618201098900880203E8", Convert.ToHexString(bytes));
    }

    [Fact]
    public void Rendered_messages_masked_as_a_client_would_parse_back_to_the_same_messages()
    {
        // Renderer and parser agree (the parser needs masked frames, so each server frame gets a mask bit and key added).
        WebSocketMessage[] messages =
        [
            new WebSocketMessage.Text("κόσμε 😀"), new WebSocketMessage.Binary(new byte[70_000]), new WebSocketMessage.Text(""),
            new WebSocketMessage.Binary(ByteString.FromBytes(Enumerable.Range(0, 300).Select(i => (byte)i).ToArray())),
        ];
        var rendered = Render(o => { foreach (var m in messages) WebSocketFrameRenderer.RenderMessage(m, o); });
        var masked = Read(rendered).Select(f => ClientFrames.Frame(f.Opcode, f.Payload, f.Fin, mask: [5, 6, 7, 8])).ToArray();
        var outcome = FrameParserKit.Feed([ClientFrames.Concat(masked)], maxMessageSize: 100_000);
        Assert.Equal(messages.Select(FrameParserKit.Describe), outcome.Events);
        Assert.Equal(messages, outcome.Messages); // records compare by value (ByteString by content)
    }
}
