using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;
using ActorHttp.Protocol.Rendering;
using Akka.IO;

namespace ActorHttp.Protocol.WebSockets;

/// <summary>
/// Renders the frames a server sends (RFC 6455 §5): unmasked, FIN set, each message in one frame, header and payload
/// back to back in one <see cref="OutputBuffer"/> so a frame (or a batch of them) leaves in a single write. The shortest
/// length form is always used (7 bits up to 125, 16 bits up to 65535, else 64 bits).
/// </summary>
internal static class WebSocketFrameRenderer
{
    /// <summary>The longest header of an unmasked frame: 2 bytes and a 64-bit length.</summary>
    public const int MaxHeaderLength = 10;

    /// <summary>Payloads up to this size are copied next to their header; larger ones are referenced (as HTTP bodies are).</summary>
    private const int CopyPayloadLimit = 16 * 1024;

    /// <summary>The most a Close frame's reason can take: 125 bytes of control payload less the 2-byte code.</summary>
    public const int MaxCloseReasonLength = 123;

    /// <summary>Renders <paramref name="message"/> as one text or binary frame.</summary>
    public static void RenderMessage(WebSocketMessage message, OutputBuffer output)
    {
        switch (message)
        {
            case WebSocketMessage.Text text: RenderText(text.Value, output); break;
            case WebSocketMessage.Binary binary: RenderBinary(binary.Data, output); break;
            default: throw new ArgumentException($"unknown message kind {message.GetType().Name}", nameof(message));
        }
    }

    /// <summary>A text frame: <paramref name="text"/> encoded as UTF-8 straight after its header.</summary>
    /// <exception cref="ArgumentException">The text holds a lone surrogate (it would not be valid UTF-8).</exception>
    public static void RenderText(string text, OutputBuffer output)
    {
        // The length must be known before the header is written; strict, so a lone surrogate cannot become U+FFFD unseen.
        int length;
        try { length = StrictUtf8.GetByteCount(text); }
        catch (EncoderFallbackException e) { throw new ArgumentException("text is not valid UTF-16 (lone surrogate)", nameof(text), e); }
        var span = output.GetSpan(MaxHeaderLength + length);
        var n = WriteHeader(span, WebSocketOpcode.Text, length);
        n += StrictUtf8.GetBytes(text, span[n..]);
        output.Advance(n);
    }

    /// <summary>A binary frame; a large payload is referenced rather than copied (it must not be written again).</summary>
    public static void RenderBinary(ByteString data, OutputBuffer output)
    {
        var span = output.GetSpan(MaxHeaderLength);
        output.Advance(WriteHeader(span, WebSocketOpcode.Binary, data.Count));
        if (data.Count > CopyPayloadLimit) output.Append(data);
        else if (!data.IsEmpty) output.Write(data.ToReadOnlySpan());
    }

    /// <summary>A binary frame copying <paramref name="data"/>.</summary>
    public static void RenderBinary(ReadOnlySpan<byte> data, OutputBuffer output) => RenderFrame(WebSocketOpcode.Binary, data, output);

    /// <summary>A Ping frame (at most 125 bytes of payload).</summary>
    public static void RenderPing(ReadOnlySpan<byte> payload, OutputBuffer output) => RenderControl(WebSocketOpcode.Ping, payload, output);

    /// <summary>A Pong frame (at most 125 bytes of payload), e.g. echoing a Ping's payload (RFC 6455 §5.5.3).</summary>
    public static void RenderPong(ReadOnlySpan<byte> payload, OutputBuffer output) => RenderControl(WebSocketOpcode.Pong, payload, output);

    /// <summary>
    /// A Close frame: with no <paramref name="code"/> an empty payload (and no reason); else the code and the reason as
    /// UTF-8, cut at a character boundary to <see cref="MaxCloseReasonLength"/> bytes.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The code may not be sent (<see cref="WebSocketCloseCodes.IsValid"/>).</exception>
    public static void RenderClose(int? code, string? reason, OutputBuffer output)
    {
        if (code is not { } status)
        {
            if (!string.IsNullOrEmpty(reason)) throw new ArgumentException("a close reason needs a close code", nameof(reason));
            RenderControl(WebSocketOpcode.Close, [], output);
            return;
        }
        if (!WebSocketCloseCodes.IsValid(status)) throw new ArgumentOutOfRangeException(nameof(code), status, "not a close code that may be sent");
        Span<byte> payload = stackalloc byte[2 + MaxCloseReasonLength];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)status);
        var length = 2 + EncodeTruncated(reason ?? "", payload[2..]);
        RenderControl(WebSocketOpcode.Close, payload[..length], output);
    }

    /// <summary>
    /// Writes the header of an unmasked frame for a payload of <paramref name="length"/> bytes; returns its size (2, 4 or 10).
    /// <paramref name="fin"/> false starts or continues a fragmented message.
    /// </summary>
    public static int WriteHeader(Span<byte> destination, WebSocketOpcode opcode, long length, bool fin = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        destination[0] = (byte)((fin ? 0x80 : 0) | (byte)opcode);
        if (length <= 125)
        {
            destination[1] = (byte)length;
            return 2;
        }
        if (length <= ushort.MaxValue)
        {
            destination[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)length);
            return 4;
        }
        destination[1] = 127;
        BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)length);
        return 10;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static void RenderControl(WebSocketOpcode opcode, ReadOnlySpan<byte> payload, OutputBuffer output)
    {
        if (payload.Length > 125) throw new ArgumentException("a control frame carries at most 125 bytes", nameof(payload));
        RenderFrame(opcode, payload, output);
    }

    private static void RenderFrame(WebSocketOpcode opcode, ReadOnlySpan<byte> payload, OutputBuffer output)
    {
        var span = output.GetSpan(MaxHeaderLength + payload.Length);
        var n = WriteHeader(span, opcode, payload.Length);
        payload.CopyTo(span[n..]);
        output.Advance(n + payload.Length);
    }

    /// <summary>Encodes the longest prefix of <paramref name="text"/> that fits, never splitting a character.</summary>
    private static int EncodeTruncated(string text, Span<byte> destination)
    {
        // When the destination is too small, FromUtf16 stops after the last whole character: what it wrote is valid UTF-8.
        Utf8.FromUtf16(text, destination, out _, out var written, replaceInvalidSequences: true, isFinalBlock: true);
        return written;
    }
}
