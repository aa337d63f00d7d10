using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;
using Akka.IO;

namespace ActorHttp.Protocol.WebSockets;

/// <summary>What one call of <see cref="WebSocketFrameParser.Parse"/> produced.</summary>
internal enum WebSocketParseStatus
{
    /// <summary>Every byte given was consumed without completing an event; call again with more.</summary>
    NeedMoreData,
    /// <summary>A whole data message is in <see cref="WebSocketFrameParser.Message"/>.</summary>
    Message,
    /// <summary>
    /// A data message larger than the stream threshold begins: it comes in parts (<see cref="MessagePart"/>) instead of
    /// whole. <see cref="WebSocketFrameParser.MessageIsText"/> says its kind; <see cref="WebSocketFrameParser.Part"/> holds
    /// what its earlier fragments brought (often empty).
    /// </summary>
    MessageStreamStart,
    /// <summary>
    /// The next bytes of the streamed message: <see cref="WebSocketFrameParser.Part"/> (never empty, except the last part,
    /// which may be), <see cref="WebSocketFrameParser.PartIsLast"/> when the message ends with them.
    /// </summary>
    MessagePart,
    /// <summary>A Ping arrived; its payload is in <see cref="WebSocketFrameParser.ControlPayload"/> (answer with a Pong carrying it).</summary>
    Ping,
    /// <summary>A Pong arrived; its payload is in <see cref="WebSocketFrameParser.ControlPayload"/>.</summary>
    Pong,
    /// <summary>
    /// A valid Close frame arrived: <see cref="WebSocketFrameParser.CloseCode"/> and <see cref="WebSocketFrameParser.CloseReason"/>.
    /// The client sends nothing after it; later bytes are consumed and ignored.
    /// </summary>
    Close,
    /// <summary>
    /// The client broke the protocol: <see cref="WebSocketFrameParser.Error"/> holds the close code to send and why. Terminal:
    /// every later call returns it again, consuming nothing.
    /// </summary>
    Error,
}

/// <summary>Why the client's frames were refused: the code of the Close frame to answer with, and a short reason for it.</summary>
/// <param name="CloseCode">1002 (protocol error), 1007 (invalid UTF-8) or 1009 (message too big).</param>
/// <param name="Reason">A short, stable description (fits a Close frame's reason and a metric label), e.g. "unmasked frame".</param>
internal sealed record WebSocketProtocolError(int CloseCode, string Reason)
{
    public override string ToString() => $"{CloseCode} {Reason}";
}

/// <summary>
/// Incremental parser of the frames a client sends (RFC 6455 §5), one per connection. Fed with whatever bytes arrive, in any
/// pieces: it consumes every byte up to the next event and keeps what it needs itself (a partial header, the message so far),
/// so the caller never holds bytes back. Fragmented messages are reassembled; payloads are unmasked straight into the
/// message buffer, and text is validated as UTF-8 as it arrives. Strict: every violation fails the connection with the close
/// code RFC 6455 names for it (<see cref="WebSocketProtocolError"/>), checked as soon as the offending byte is seen, so the
/// outcome never depends on how the bytes were split.
/// <para>
/// With a stream threshold, a message whose frames announce more than it (the first frame alone, or a fragment that takes
/// the message past it) is streamed: what was reassembled of it so far and every later payload byte come out as parts, as
/// they arrive, so the parser never holds such a message. The parts of a text message end on whole code points (a
/// sequence cut by a read waits for the next part), so each part is valid UTF-8 on its own.
/// </para>
/// </summary>
/// <remarks>
/// The feeding loop: <c>while (!data.IsEmpty) { var s = parser.Parse(data, out var n); data = data[n..]; handle(s); }</c>
/// (an event is reported as soon as its last byte is consumed; the rest of the bytes are for the next call).
/// </remarks>
internal sealed class WebSocketFrameParser
{
    private enum State : byte { Header, Payload, Closed, Failed }

    /// <summary>RFC 6455 §5.5: control frames carry at most 125 bytes, so their payload has a fixed home.</summary>
    private const int MaxControlPayload = 125;

    /// <summary>
    /// A message buffer up to this size is kept for the next message (most messages are small); larger ones are dropped,
    /// so an idle connection never holds more. Also where doubling starts when a fragmented message grows.
    /// </summary>
    private const int KeptBufferSize = 4096;

    /// <summary>The largest message delivered whole (with streaming, the threshold: larger ones are streamed).</summary>
    private readonly int _maxMessageSize;
    private readonly bool _streams;
    private readonly long _maxStreamedSize;
    private State _state;

    // The frame header being read: 2 bytes, 0/2/8 bytes of extended length, 4 bytes of masking key.
    private readonly byte[] _header = new byte[14];
    private int _headerLength, _headerNeeded = 2, _lengthEnd;

    // The frame whose payload is being read.
    private bool _fin;
    private WebSocketOpcode _opcode;
    private long _payloadRemaining;
    private int _maskStart, _maskIndex;

    // The data message being assembled (possibly across fragments, with control frames between them), or streamed; its
    // length counts every payload byte so far, streamed or not.
    private bool _inMessage, _messageIsText;
    private byte[]? _buffer;
    private long _messageLength;
    private Utf8Validator _utf8;

    // Streaming: the frame whose header is read starts the stream; the message is streamed; the part to report; the end
    // of a code point a read cut off, held for the next part.
    private bool _startStreaming, _streaming;
    private ByteString? _part;
    private readonly byte[] _carry = new byte[3];
    private int _carryLength;

    private readonly byte[] _control = new byte[MaxControlPayload];
    private int _controlLength;

    /// <param name="maxMessageSize">
    /// The largest message accepted whole, in bytes of payload summed over its fragments; without streaming, a frame
    /// announcing more fails with 1009 before any of its payload is read.
    /// </param>
    /// <param name="streamThreshold">
    /// Null: every message is delivered whole. Otherwise a message of more bytes is streamed (a threshold above
    /// <paramref name="maxMessageSize"/> counts as <paramref name="maxMessageSize"/>: no message is refused for a size it
    /// could be streamed at).
    /// </param>
    /// <param name="maxStreamedMessageSize">The largest streamed message; a frame taking one past it fails with 1009.</param>
    public WebSocketFrameParser(int maxMessageSize, long? streamThreshold = null, long maxStreamedMessageSize = long.MaxValue)
    {
        if (maxMessageSize < 0 || maxMessageSize > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(maxMessageSize));
        if (streamThreshold < 0) throw new ArgumentOutOfRangeException(nameof(streamThreshold));
        _maxMessageSize = streamThreshold is { } threshold ? (int)Math.Min(threshold, maxMessageSize) : maxMessageSize;
        _streams = streamThreshold.HasValue;
        _maxStreamedSize = maxStreamedMessageSize;
    }

    /// <summary>The message of the last <see cref="WebSocketParseStatus.Message"/>.</summary>
    public WebSocketMessage? Message { get; private set; }

    /// <summary>The streamed message is text (else binary): valid after <see cref="WebSocketParseStatus.MessageStreamStart"/>.</summary>
    public bool MessageIsText => _messageIsText;

    /// <summary>
    /// The bytes of the last <see cref="WebSocketParseStatus.MessagePart"/> or <see cref="WebSocketParseStatus.MessageStreamStart"/>:
    /// the parser's no more (a fresh array, never written again), valid until the next <see cref="Parse"/>.
    /// </summary>
    public ByteString Part => _part ?? ByteString.Empty;

    /// <summary>The last <see cref="WebSocketParseStatus.MessagePart"/> ends its message.</summary>
    public bool PartIsLast { get; private set; }

    /// <summary>
    /// The payload of the last Ping or Pong. Refers to the parser's own buffer: valid until the next <see cref="Parse"/>.
    /// </summary>
    public ReadOnlySpan<byte> ControlPayload => _control.AsSpan(0, _controlLength);

    /// <summary>The status code of the Close frame received, or null when it carried none (an empty payload).</summary>
    public int? CloseCode { get; private set; }

    /// <summary>The reason of the Close frame received (empty when none).</summary>
    public string CloseReason { get; private set; } = "";

    /// <summary>The error of the last <see cref="WebSocketParseStatus.Error"/>.</summary>
    public WebSocketProtocolError? Error { get; private set; }

    /// <summary>True while part of a frame, or of a fragmented message, has been seen but not completed.</summary>
    public bool InProgress => _state == State.Payload || (_state == State.Header && _headerLength > 0) || _inMessage;

    /// <summary>True once a Close frame was received.</summary>
    public bool IsClosed => _state == State.Closed;

    /// <summary>
    /// Parses <paramref name="data"/> up to the first event (message, ping, pong, close or error), or all of it when none
    /// completes. Bytes after an event must be passed again on the next call; bytes consumed are never needed again.
    /// </summary>
    /// <param name="data">The bytes received next; only read during the call.</param>
    /// <param name="consumed">How many bytes from the start of <paramref name="data"/> are done with.</param>
    public WebSocketParseStatus Parse(ReadOnlySpan<byte> data, out int consumed)
    {
        var pos = 0;
        _part = null;
        PartIsLast = false;
        var status = Run(data, ref pos);
        consumed = pos;
        return status;
    }

    private WebSocketParseStatus Run(ReadOnlySpan<byte> data, ref int pos)
    {
        while (true)
        {
            switch (_state)
            {
                case State.Failed:
                    return WebSocketParseStatus.Error;
                case State.Closed:
                    pos = data.Length; // RFC 6455 §5.5.1: nothing may follow a Close; whatever does is ignored
                    return WebSocketParseStatus.NeedMoreData;
                case State.Header:
                {
                    if (!ReadHeader(data, ref pos)) return WebSocketParseStatus.Error;
                    if (_headerLength < _headerNeeded) return WebSocketParseStatus.NeedMoreData;
                    var status = BeginPayload();
                    if (status != WebSocketParseStatus.NeedMoreData) return status;
                    continue;
                }
                case State.Payload:
                {
                    if (pos == data.Length) return WebSocketParseStatus.NeedMoreData;
                    if (!ReadPayload(data, ref pos)) return WebSocketParseStatus.Error;
                    if (_payloadRemaining > 0) return _part != null ? WebSocketParseStatus.MessagePart : WebSocketParseStatus.NeedMoreData;
                    var status = EndFrame();
                    if (status != WebSocketParseStatus.NeedMoreData) return status;
                    continue;
                }
                default:
                    throw new InvalidOperationException($"unexpected parser state {_state}");
            }
        }
    }

    // ---------------------------------------------------------------- header

    /// <summary>
    /// Takes header bytes one at a time and checks each as soon as it arrives (the header is at most 14 bytes). False when
    /// one breaks the protocol.
    /// </summary>
    private bool ReadHeader(ReadOnlySpan<byte> data, ref int pos)
    {
        while (_headerLength < _headerNeeded && pos < data.Length)
        {
            var b = data[pos++];
            _header[_headerLength++] = b;
            var ok = _headerLength switch
            {
                1 => CheckFirstByte(b),
                2 => CheckSecondByte(b),
                // The first byte of a 64-bit length: RFC 6455 §5.2 says its most significant bit must be 0.
                3 when _lengthEnd == 10 && b >= 0x80 => Fail(WebSocketCloseCodes.ProtocolError, "64-bit length with the high bit set"),
                _ => true,
            };
            if (ok && _headerLength == _lengthEnd) ok = CheckLength();
            if (!ok) return false;
        }
        return true;
    }

    private bool CheckFirstByte(byte b)
    {
        _fin = (b & 0x80) != 0;
        if (!ReservedBitsAllowed(b & 0x70)) return Fail(WebSocketCloseCodes.ProtocolError, "reserved bits set");
        _opcode = (WebSocketOpcode)(b & 0x0F);
        switch (_opcode)
        {
            case WebSocketOpcode.Continuation:
                return _inMessage || Fail(WebSocketCloseCodes.ProtocolError, "continuation frame without a message");
            case WebSocketOpcode.Text or WebSocketOpcode.Binary:
                return !_inMessage || Fail(WebSocketCloseCodes.ProtocolError, "new message before the fragmented one ended");
            case WebSocketOpcode.Close or WebSocketOpcode.Ping or WebSocketOpcode.Pong:
                return _fin || Fail(WebSocketCloseCodes.ProtocolError, "fragmented control frame");
            default:
                return Fail(WebSocketCloseCodes.ProtocolError, "reserved opcode");
        }
    }

    /// <summary>
    /// RSV1–3 must be 0 unless an extension negotiated them (RFC 6455 §5.2). None is: the hook for permessage-deflate
    /// (RFC 7692), which would allow RSV1 on the first frame of a data message and inflate its payload before the UTF-8 check.
    /// </summary>
    private static bool ReservedBitsAllowed(int rsv) => rsv == 0;

    private bool CheckSecondByte(byte b)
    {
        // RFC 6455 §5.1: a server must close the connection on an unmasked client frame.
        if ((b & 0x80) == 0) return Fail(WebSocketCloseCodes.ProtocolError, "unmasked frame");
        var length7 = b & 0x7F;
        if (IsControl(_opcode) && length7 > MaxControlPayload) return Fail(WebSocketCloseCodes.ProtocolError, "control frame over 125 bytes");
        _lengthEnd = length7 switch { 126 => 4, 127 => 10, _ => 2 };
        _headerNeeded = _lengthEnd + 4;
        return true;
    }

    /// <summary>
    /// The length is complete: a data frame that would take its message past the whole-message limit starts streaming it
    /// (when the parser streams), and one past the limit that then applies fails before its payload arrives.
    /// </summary>
    private bool CheckLength()
    {
        // Non-minimal encodings (e.g. 5 in the 64-bit form) are valid: RFC 6455 §5.2 only says "should" to senders.
        _payloadRemaining = _lengthEnd switch
        {
            4 => BinaryPrimitives.ReadUInt16BigEndian(_header.AsSpan(2)),
            10 => (long)BinaryPrimitives.ReadUInt64BigEndian(_header.AsSpan(2)), // the high bit was refused above
            _ => _header[1] & 0x7F,
        };
        if (IsControl(_opcode)) return true;
        if (!_streaming && _payloadRemaining > _maxMessageSize - _messageLength)
        {
            if (!_streams) return Fail(WebSocketCloseCodes.MessageTooBig, "message too big");
            _startStreaming = true;
        }
        if ((_streaming || _startStreaming) && _payloadRemaining > _maxStreamedSize - _messageLength)
            return Fail(WebSocketCloseCodes.MessageTooBig, "message too big");
        return true;
    }

    /// <summary>The header is complete (masking key included): set up for the payload; a frame without one ends here.</summary>
    private WebSocketParseStatus BeginPayload()
    {
        _maskStart = _lengthEnd;
        _maskIndex = 0;
        _headerLength = _lengthEnd = 0;
        _headerNeeded = 2;
        if (_opcode is WebSocketOpcode.Text or WebSocketOpcode.Binary)
        {
            _inMessage = true;
            _messageIsText = _opcode == WebSocketOpcode.Text;
            _messageLength = 0;
            _utf8.Reset();
        }
        else if (IsControl(_opcode))
        {
            _controlLength = 0;
        }
        if (_startStreaming) return StartStream(); // its frame has payload: it took the message past the threshold
        if (_payloadRemaining == 0) return EndFrame();
        _state = State.Payload;
        return WebSocketParseStatus.NeedMoreData;
    }

    // ---------------------------------------------------------------- payload

    /// <summary>Unmasks what has arrived of the payload into its buffer. False when text turns out not to be UTF-8.</summary>
    private bool ReadPayload(ReadOnlySpan<byte> data, ref int pos)
    {
        var n = (int)Math.Min(data.Length - pos, _payloadRemaining);
        var source = data.Slice(pos, n);
        var mask = _header.AsSpan(_maskStart, 4);
        pos += n;
        if (IsControl(_opcode))
        {
            Unmask(source, _control.AsSpan(_controlLength, n), mask, _maskIndex);
            _controlLength += n;
        }
        else if (_streaming)
        {
            // A fresh array for the part, after what the last part held back of a cut code point.
            var part = GC.AllocateUninitializedArray<byte>(_carryLength + n);
            _carry.AsSpan(0, _carryLength).CopyTo(part);
            Unmask(source, part.AsSpan(_carryLength), mask, _maskIndex);
            if (_messageIsText && !_utf8.Append(part.AsSpan(_carryLength))) return FailInvalidText();
            _messageLength += n;
            TakePart(part, part.Length);
        }
        else
        {
            var length = (int)_messageLength;
            EnsureCapacity(length + n);
            var target = _buffer.AsSpan(length, n);
            Unmask(source, target, mask, _maskIndex);
            _messageLength += n;
            // Checked as it arrives, not at the end of the message: RFC 6455 §8.1 wants invalid text refused at once.
            if (_messageIsText && !_utf8.Append(target)) return FailInvalidText();
        }
        _payloadRemaining -= n;
        _maskIndex = (_maskIndex + n) & 3;
        return true;
    }

    /// <summary>
    /// Grows the message buffer to hold <paramref name="needed"/> bytes, as they arrive rather than as announced (a header
    /// announcing megabytes costs nothing until they are sent). Doubling keeps many small fragments linear; the size never
    /// exceeds what the current frame announced, except for continuation frames, where it may double past it but never
    /// past max-message-size.
    /// </summary>
    [MemberNotNull(nameof(_buffer))]
    private void EnsureCapacity(int needed)
    {
        if (_buffer != null && _buffer.Length >= needed) return;
        var doubled = Math.Max(KeptBufferSize, 2L * (_buffer?.Length ?? 0));
        var announced = _messageLength + _payloadRemaining;
        var limit = _opcode == WebSocketOpcode.Continuation ? _maxMessageSize : announced;
        var size = (int)Math.Max(needed, Math.Min(doubled, limit));
        // Every byte is written (unmasked into) before it is read.
        var grown = GC.AllocateUninitializedArray<byte>(size);
        if (_buffer != null) _buffer.AsSpan(0, (int)_messageLength).CopyTo(grown);
        _buffer = grown;
    }

    /// <summary>
    /// XORs <paramref name="source"/> with the masking key into <paramref name="destination"/> (RFC 6455 §5.3), starting at
    /// key byte <paramref name="maskIndex"/>: eight bytes (or a vector) at a time, the key repeated to that width.
    /// </summary>
    internal static void Unmask(ReadOnlySpan<byte> source, Span<byte> destination, ReadOnlySpan<byte> mask, int maskIndex)
    {
        var i = 0;
        if (source.Length >= 8)
        {
            Span<byte> pattern = stackalloc byte[8];
            for (var j = 0; j < 8; j++) pattern[j] = mask[(maskIndex + j) & 3];
            var wide = MemoryMarshal.Read<ulong>(pattern);
            if (Vector.IsHardwareAccelerated && source.Length >= Vector<byte>.Count)
            {
                // Vector<byte>.Count is a multiple of 8, so the key stays in phase across vectors.
                var key = Vector.AsVectorByte(new Vector<ulong>(wide));
                for (; i <= source.Length - Vector<byte>.Count; i += Vector<byte>.Count)
                    (new Vector<byte>(source[i..]) ^ key).CopyTo(destination[i..]);
            }
            for (; i <= source.Length - 8; i += 8)
                MemoryMarshal.Write(destination[i..], MemoryMarshal.Read<ulong>(source[i..]) ^ wide);
        }
        for (; i < source.Length; i++) destination[i] = (byte)(source[i] ^ mask[(maskIndex + i) & 3]);
    }

    // ---------------------------------------------------------------- outcomes

    private WebSocketParseStatus EndFrame()
    {
        _state = State.Header;
        switch (_opcode)
        {
            case WebSocketOpcode.Ping: return WebSocketParseStatus.Ping;
            case WebSocketOpcode.Pong: return WebSocketParseStatus.Pong;
            case WebSocketOpcode.Close: return EndClose();
            default:
                if (!_fin) return _part != null ? WebSocketParseStatus.MessagePart : WebSocketParseStatus.NeedMoreData;
                if (_messageIsText && !_utf8.IsComplete) return FailStatus(WebSocketCloseCodes.InvalidPayloadData, "incomplete UTF-8 at the end of a text message");
                return _streaming ? EndStream() : EndMessage();
        }
    }

    /// <summary>
    /// The message goes over to streaming: what was reassembled of it is the first part (whole code points), the buffer
    /// is let go if large, and the rest of its payload is streamed as it arrives.
    /// </summary>
    private WebSocketParseStatus StartStream()
    {
        (_startStreaming, _streaming, _carryLength) = (false, true, 0);
        _state = State.Payload;
        var length = (int)_messageLength;
        if (length > 0)
        {
            var part = GC.AllocateUninitializedArray<byte>(length);
            _buffer.AsSpan(0, length).CopyTo(part);
            TakePart(part, length);
        }
        if (_buffer is { Length: > KeptBufferSize }) _buffer = null;
        return WebSocketParseStatus.MessageStreamStart;
    }

    /// <summary>
    /// The first <paramref name="length"/> bytes of <paramref name="part"/> are the message's next: the part to report,
    /// but for the start of a code point that the next bytes complete (text), which is carried over to the next part.
    /// </summary>
    private void TakePart(byte[] part, int length)
    {
        _carryLength = _messageIsText ? _utf8.IncompleteLength : 0;
        var ready = length - _carryLength;
        part.AsSpan(ready, _carryLength).CopyTo(_carry);
        _part = ready > 0 ? ByteString.FromBytes(part, 0, ready) : null;
    }

    /// <summary>The streamed message's last frame ended: its last part (perhaps empty) ends it.</summary>
    private WebSocketParseStatus EndStream()
    {
        (_inMessage, _streaming, _messageLength) = (false, false, 0);
        _part ??= ByteString.Empty;
        PartIsLast = true;
        return WebSocketParseStatus.MessagePart;
    }

    private WebSocketParseStatus EndMessage()
    {
        _inMessage = false;
        var length = (int)_messageLength;
        _messageLength = 0;
        if (_messageIsText)
        {
            Message = new WebSocketMessage.Text(length == 0 ? "" : Encoding.UTF8.GetString(_buffer!, 0, length));
        }
        else if (length == 0)
        {
            Message = new WebSocketMessage.Binary(ByteString.Empty);
        }
        else if (_buffer!.Length == length)
        {
            // An exact fit becomes the message itself (the usual case for a single frame): no copy, and never written again.
            Message = new WebSocketMessage.Binary(ByteString.FromBytes(_buffer));
            _buffer = null;
        }
        else
        {
            Message = new WebSocketMessage.Binary(ByteString.CopyFrom(_buffer, 0, length));
        }
        if (_buffer is { Length: > KeptBufferSize }) _buffer = null;
        return WebSocketParseStatus.Message;
    }

    /// <summary>RFC 6455 §5.5.1: no payload, or a valid status code and a UTF-8 reason.</summary>
    private WebSocketParseStatus EndClose()
    {
        var payload = ControlPayload;
        if (payload.Length == 1) return FailStatus(WebSocketCloseCodes.ProtocolError, "close frame with a one-byte payload");
        if (payload.Length == 0)
        {
            CloseCode = null;
            CloseReason = "";
        }
        else
        {
            var code = BinaryPrimitives.ReadUInt16BigEndian(payload);
            if (!WebSocketCloseCodes.IsValid(code)) return FailStatus(WebSocketCloseCodes.ProtocolError, "invalid close code");
            var reason = payload[2..];
            if (!Utf8.IsValid(reason)) return FailStatus(WebSocketCloseCodes.InvalidPayloadData, "invalid UTF-8 in close reason");
            CloseCode = code;
            CloseReason = reason.IsEmpty ? "" : Encoding.UTF8.GetString(reason);
        }
        _state = State.Closed;
        _inMessage = false;
        _buffer = null;
        return WebSocketParseStatus.Close;
    }

    private static bool IsControl(WebSocketOpcode opcode) => ((byte)opcode & 0x08) != 0;

    private bool Fail(int closeCode, string reason)
    {
        Error = new WebSocketProtocolError(closeCode, reason);
        _state = State.Failed;
        _buffer = null;
        return false;
    }

    private bool FailInvalidText() => Fail(WebSocketCloseCodes.InvalidPayloadData, "invalid UTF-8 in text message");

    private WebSocketParseStatus FailStatus(int closeCode, string reason)
    {
        Fail(closeCode, reason);
        return WebSocketParseStatus.Error;
    }
}
