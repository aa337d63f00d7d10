using System.Buffers;
using System.Text;
using System.Text.Unicode;
using Akka.IO;

namespace ActorHttp.Protocol.Parsing;

/// <summary>What one call of <see cref="HttpRequestParser.Parse"/> produced.</summary>
internal enum ParseStatus
{
    /// <summary>The bytes so far hold no complete request; call again with more.</summary>
    NeedMoreData,
    /// <summary>A complete request is in <see cref="HttpRequestParser.Request"/>.</summary>
    RequestReady,
    /// <summary>A head with <c>Expect: 100-continue</c> was parsed and its body has not started: send 100 Continue.</summary>
    ContinueExpected,
    /// <summary>The request is malformed or over a limit: <see cref="HttpRequestParser.Error"/> says how to answer. Terminal.</summary>
    Error,
    /// <summary>
    /// A piece of a streamed body is in <see cref="HttpRequestParser.BodyPart"/> (its request came as
    /// <see cref="RequestReady"/> with <see cref="HttpRequest.BodyStreamed"/>); <see cref="HttpRequestParser.BodyPartIsLast"/>
    /// marks the end of the body (the last part may be empty).
    /// </summary>
    BodyPart,
}

/// <summary>A parsed request plus the connection-level facts the parser derived from its head.</summary>
/// <param name="Request">The request message handed to handlers.</param>
/// <param name="KeepAlive">Whether the client lets the connection persist after this exchange.</param>
internal readonly record struct ParsedRequest(HttpRequest Request, bool KeepAlive);

/// <summary>
/// Incremental, byte-level HTTP/1.1 request parser (RFC 9112), one per connection. It never looks back at
/// consumed bytes, so the caller may drop them; bytes it has not consumed must be passed again, followed by
/// new ones, on the next call. Header fields and small bodies are not copied: the request refers to the
/// caller's array, which must therefore never be written again once passed in.
/// Strict by design: anything ambiguous for message framing is an error, never a guess.
/// </summary>
internal sealed class HttpRequestParser
{
    private enum State : byte { Head, FixedBody, ChunkLine, ChunkData, ChunkDataEnd, Trailers, Failed }

    private readonly ParserSettings _settings;
    private State _state;

    // The longest method accepted: max-method-length, but never longer than a request line may be.
    private readonly int _maxMethodLength;

    // Head scanning, relative to the start of the unconsumed bytes (nothing of a head is consumed until it is complete).
    private int _scanned, _lineStart, _lineCount, _headerStart, _requestLineStart, _requestLineLength;

    // Scratch reused for every request; copied into an exact-size array once per request.
    private HeaderField[] _fields = new HeaderField[16];

    // The last request-target seen on this connection: keep-alive clients repeat it, so its strings are reused.
    private readonly RequestTarget _target = new();

    // The request being assembled.
    private string _method = "";
    private HttpProtocol _protocol;
    private HttpHeaders _headers = HttpHeaders.Empty;
    private bool _keepAlive, _expectContinue, _continueSignalled;
    private long _bodyRemaining, _bodyLength;
    private byte[]? _body;
    private int _trailerCount, _trailerBytes;

    // Streamed bodies: the request has been (or is about to be) handed out before its body, which follows in parts.
    private bool _streaming, _streamAnnounced;
    private long _streamedTotal;
    private BodyLimits _limits; // of the request being read: the settings', or its route's

    public HttpRequestParser(ParserSettings settings)
    {
        _settings = settings;
        _maxMethodLength = Math.Min(settings.MaxMethodLength, settings.MaxRequestLineLength);
    }

    /// <summary>The client's address, copied into every request.</summary>
    public System.Net.EndPoint? RemoteAddress { get; init; }

    /// <summary>
    /// Asked, with the method and path, once the head of a request with a body is parsed and before any of the body is
    /// read: limits of its own for this request (its route's), or null for the settings'. Null: always the settings'.
    /// </summary>
    public Func<string, string, BodyLimits?>? BodyLimitsFor { get; init; }

    /// <summary>The request completed by the last <see cref="ParseStatus.RequestReady"/>.</summary>
    public ParsedRequest Request { get; private set; }

    /// <summary>The body bytes of the last <see cref="ParseStatus.BodyPart"/>; they refer to the caller's array.</summary>
    public ByteString BodyPart { get; private set; } = ByteString.Empty;

    /// <summary>True when the last <see cref="ParseStatus.BodyPart"/> completed its body.</summary>
    public bool BodyPartIsLast { get; private set; }

    /// <summary>
    /// Drops the last request and body part once the caller has taken them: a keep-alive connection left idle would
    /// otherwise hold its last request, buffered body included (up to the stream threshold, 1 MB by default), until
    /// the client's next one.
    /// </summary>
    public void ForgetLast()
    {
        Request = default;
        BodyPart = ByteString.Empty;
    }

    /// <summary>The error of the last <see cref="ParseStatus.Error"/>.</summary>
    public ParseError? Error { get; private set; }

    /// <summary>True while part of a request (head or body) has been seen but not completed.</summary>
    public bool InProgress => _state != State.Head || _scanned > 0;

    /// <summary>True once the head of the current request is parsed and its body is being read.</summary>
    public bool ReadingBody => _state is State.FixedBody or State.ChunkLine or State.ChunkData or State.ChunkDataEnd or State.Trailers;

    /// <summary>
    /// Parses from <paramref name="buffer"/>[<paramref name="offset"/>..+<paramref name="count"/>], the bytes not
    /// consumed so far. Returns at the first complete request, 100-continue point, error, or when the bytes run out.
    /// </summary>
    /// <param name="buffer">The caller's bytes; never written again once passed in (requests may refer to them).</param>
    /// <param name="offset">Where the unconsumed bytes start.</param>
    /// <param name="count">How many unconsumed bytes there are.</param>
    /// <param name="consumed">How many bytes from <paramref name="offset"/> are done with.</param>
    public ParseStatus Parse(byte[] buffer, int offset, int count, out int consumed)
    {
        var data = new ReadOnlySpan<byte>(buffer, offset, count);
        var pos = 0;
        var status = _state switch
        {
            State.Failed => ParseStatus.Error,
            State.Head => ParseHead(buffer, offset, data, ref pos),
            _ => ParseBody(buffer, offset, data, ref pos),
        };
        consumed = pos;
        return status;
    }

    // ---------------------------------------------------------------- head

    private ParseStatus ParseHead(byte[] buffer, int offset, ReadOnlySpan<byte> data, ref int pos)
    {
        while (_scanned < data.Length)
        {
            var idx = data[_scanned..].IndexOf((byte)'\n');
            if (idx < 0)
            {
                _scanned = data.Length;
                var open = data.Length - _lineStart;
                if (_lineCount == 0 && MethodTooLong(data[_lineStart..])) return Fail(StatusCodes.BadRequest, "method too long");
                if (_lineCount == 0 && open > _settings.MaxRequestLineLength + 1)
                    return Fail(StatusCodes.UriTooLong, "request line too long");
                // + 1: the last byte may be the CR of the empty line that ends the section.
                if (_lineCount > 0 && data.Length - _headerStart > _settings.MaxHeaderSectionSize + 1)
                    return Fail(StatusCodes.RequestHeaderFieldsTooLarge, "header section too large");
                return ParseStatus.NeedMoreData;
            }

            var lf = _scanned + idx;
            // The limits first: had the bytes before this LF arrived in a read of their own, the checks above would have
            // failed them, and the outcome must not depend on how the bytes were split.
            if (_lineCount == 0 && MethodTooLong(data[_lineStart..lf])) return Fail(StatusCodes.BadRequest, "method too long");
            if (_lineCount == 0 && lf - _lineStart > _settings.MaxRequestLineLength + 1)
                return Fail(StatusCodes.UriTooLong, "request line too long");
            if (_lineCount > 0 && lf - _headerStart > _settings.MaxHeaderSectionSize + 1)
                return Fail(StatusCodes.RequestHeaderFieldsTooLarge, "header section too large");
            if (lf == _lineStart || data[lf - 1] != (byte)'\r') return Fail(StatusCodes.BadRequest, "bare LF");
            var lineLength = lf - 1 - _lineStart;
            _scanned = lf + 1;

            if (_lineCount == 0)
            {
                if (lineLength == 0)
                {
                    // RFC 9112 §2.2: ignore empty lines before the request line (some clients send CRLF after a body).
                    if (_lineStart >= 8) return Fail(StatusCodes.BadRequest, "empty lines before request line");
                    _lineStart = lf + 1;
                    continue;
                }
                if (lineLength > _settings.MaxRequestLineLength) return Fail(StatusCodes.UriTooLong, "request line too long");
                _requestLineStart = _lineStart;
                _requestLineLength = lineLength;
                _headerStart = lf + 1;
            }
            else if (lineLength == 0)
            {
                var status = CompleteHead(buffer, offset, data[..(lf + 1)]);
                if (status == ParseStatus.Error) return status;
                pos = lf + 1;
                ResetHeadScan();
                if (status == ParseStatus.RequestReady) return status;
                return ParseBody(buffer, offset, data, ref pos);
            }
            else
            {
                if (_lineCount > _settings.MaxHeaderCount)
                    return Fail(StatusCodes.RequestHeaderFieldsTooLarge, "too many header fields");
                if (lf + 1 - _headerStart > _settings.MaxHeaderSectionSize)
                    return Fail(StatusCodes.RequestHeaderFieldsTooLarge, "header section too large");
            }
            _lineCount++;
            _lineStart = lf + 1;
        }
        return ParseStatus.NeedMoreData;
    }

    private void ResetHeadScan() => _scanned = _lineStart = _lineCount = _headerStart = 0;

    /// <summary>
    /// True when the request line so far (<paramref name="line"/>, up to the bytes at hand) holds no SP in its first
    /// <see cref="_maxMethodLength"/> + 1 bytes: the method is too long, whatever follows. Checked before the line's own
    /// limit, so a long method is refused as a method (400), not as a long URI (414), as soon as it passes the limit.
    /// Only lines longer than the limit are searched, and only that far.
    /// </summary>
    private bool MethodTooLong(ReadOnlySpan<byte> line) =>
        line.Length > _maxMethodLength && !line[..(_maxMethodLength + 1)].Contains((byte)' ');

    /// <summary>Parses a complete head (request line, fields, empty line) and decides the body's framing.</summary>
    private ParseStatus CompleteHead(byte[] buffer, int offset, ReadOnlySpan<byte> head)
    {
        var line = head.Slice(_requestLineStart, _requestLineLength);

        // request-line = method SP request-target SP HTTP-version (RFC 9112 §3)
        var sp1 = line.IndexOf((byte)' ');
        if (sp1 <= 0) return Fail(StatusCodes.BadRequest, "malformed request line");
        var methodBytes = line[..sp1];
        if (methodBytes.ContainsAnyExcept(HttpSyntax.Token)) return Fail(StatusCodes.BadRequest, "invalid method");
        // Its length was checked while the line was scanned (MethodTooLong).
        var rest = line[(sp1 + 1)..];
        var sp2 = rest.IndexOf((byte)' ');
        if (sp2 <= 0) return Fail(StatusCodes.BadRequest, "malformed request line");
        var targetBytes = rest[..sp2];
        var versionBytes = rest[(sp2 + 1)..];

        HttpProtocol protocol;
        if (versionBytes.SequenceEqual("HTTP/1.1"u8)) protocol = HttpProtocol.Http11;
        else if (versionBytes.SequenceEqual("HTTP/1.0"u8)) protocol = HttpProtocol.Http10;
        else if (versionBytes.Length == 8 && versionBytes.StartsWith("HTTP/"u8) && char.IsAsciiDigit((char)versionBytes[5])
                 && versionBytes[6] == (byte)'.' && char.IsAsciiDigit((char)versionBytes[7]))
            return Fail(StatusCodes.HttpVersionNotSupported, "unsupported HTTP version");
        else return Fail(StatusCodes.BadRequest, "invalid HTTP version");

        var method = HttpMethods.FromBytes(methodBytes) ?? Encoding.ASCII.GetString(methodBytes);
        var targetError = _target.Resolve(targetBytes, method, out var authority);
        if (targetError != null) return Fail(targetError.Status, targetError.Reason);

        // Header fields (RFC 9112 §5). Known framing fields are recognised by length, then compared as bytes.
        int hostIndex = -1, contentLengthCount = 0, transferEncodingCount = 0;
        long contentLength = 0;
        bool close = false, keepAliveToken = false, chunked = false, otherCoding = false, expect = false;
        var fieldCount = 0;
        var p = _headerStart;
        while (true)
        {
            var lf = head[p..].IndexOf((byte)'\n') + p;
            var fieldLine = head[p..(lf - 1)];
            var lineStart = p;
            p = lf + 1;
            if (fieldLine.IsEmpty) break;

            if (HttpSyntax.IsWhitespace(fieldLine[0])) return Fail(StatusCodes.BadRequest, "obsolete line folding");
            var colon = fieldLine.IndexOf((byte)':');
            if (colon <= 0) return Fail(StatusCodes.BadRequest, "malformed header field");
            var name = fieldLine[..colon];
            if (name.ContainsAnyExcept(HttpSyntax.Token)) return Fail(StatusCodes.BadRequest, "invalid header name");
            var rawValue = fieldLine[(colon + 1)..];
            if (rawValue.ContainsAnyExcept(HttpSyntax.FieldValue)) return Fail(StatusCodes.BadRequest, "invalid header value");
            var leading = 0;
            while (leading < rawValue.Length && HttpSyntax.IsWhitespace(rawValue[leading])) leading++;
            var value = HttpSyntax.TrimOws(rawValue[leading..]);
            var valueStart = lineStart + colon + 1 + leading;

            if (fieldCount == _fields.Length) Array.Resize(ref _fields, _fields.Length * 2);
            _fields[fieldCount++] = new HeaderField(offset + lineStart, colon, offset + valueStart, value.Length);

            switch (KnownHeaders.Identify(name))
            {
                case KnownHeader.Host:
                    if (hostIndex >= 0) return Fail(StatusCodes.BadRequest, "duplicate Host");
                    if (!HttpSyntax.IsValidHost(value)) return Fail(StatusCodes.BadRequest, "invalid Host");
                    hostIndex = fieldCount - 1;
                    break;
                case KnownHeader.ContentLength:
                    if (++contentLengthCount > 1) return Fail(StatusCodes.BadRequest, "duplicate Content-Length");
                    if (!HeaderValueSyntax.TryParseContentLength(value, out contentLength)) return Fail(StatusCodes.BadRequest, "invalid Content-Length");
                    break;
                case KnownHeader.TransferEncoding:
                    transferEncodingCount++;
                    var te = HeaderValueSyntax.ParseTransferEncoding(value, ref chunked, ref otherCoding);
                    if (te != null) return Fail(te.Status, te.Reason);
                    break;
                case KnownHeader.Connection:
                    HeaderValueSyntax.ParseConnection(value, ref close, ref keepAliveToken);
                    break;
                case KnownHeader.Expect:
                    if (protocol == HttpProtocol.Http10) break; // RFC 9110 §10.1.1: ignore 100-continue from HTTP/1.0
                    if (!Ascii.EqualsIgnoreCase(value, "100-continue"u8)) return Fail(StatusCodes.ExpectationFailed, "unsupported expectation");
                    expect = true;
                    break;
            }
        }

        // Framing (RFC 9112 §6). Every ambiguity is rejected rather than resolved.
        if (transferEncodingCount > 0)
        {
            if (contentLengthCount > 0) return Fail(StatusCodes.BadRequest, "both Content-Length and Transfer-Encoding");
            if (protocol == HttpProtocol.Http10) return Fail(StatusCodes.BadRequest, "Transfer-Encoding in HTTP/1.0");
            if (!chunked) return Fail(StatusCodes.BadRequest, "chunked is not the final transfer coding");
            if (otherCoding) return Fail(StatusCodes.NotImplemented, "unsupported transfer coding");
        }
        if (protocol == HttpProtocol.Http11 && hostIndex < 0) return Fail(StatusCodes.BadRequest, "missing Host");
        if (authority.Length > 0 && hostIndex >= 0 &&
            !Ascii.EqualsIgnoreCase(authority, new ReadOnlySpan<byte>(buffer, _fields[hostIndex].ValueStart, _fields[hostIndex].ValueLength)))
            return Fail(StatusCodes.BadRequest, "Host does not match the target");
        _limits = new BodyLimits(_settings.MaxBodySize, _settings.StreamBodyThreshold);
        if ((chunked || contentLength > 0) && BodyLimitsFor?.Invoke(method, _target.Path) is { } own) _limits = own;
        if (contentLength > _limits.MaxBodySize) return Fail(StatusCodes.PayloadTooLarge, "body too large");

        _method = method;
        _protocol = protocol;
        _headers = fieldCount == 0 ? HttpHeaders.Empty : new HttpHeaders(buffer, _fields.AsSpan(0, fieldCount).ToArray(), fieldCount);
        _keepAlive = !close && (protocol == HttpProtocol.Http11 || keepAliveToken);
        _expectContinue = expect;
        _continueSignalled = false;
        _body = null;
        _bodyLength = 0;
        _streaming = contentLength > _limits.StreamBodyThreshold;
        _streamAnnounced = false;
        _streamedTotal = 0;

        if (chunked)
        {
            _trailerCount = _trailerBytes = 0;
            _state = State.ChunkLine;
            return ParseStatus.NeedMoreData;
        }
        if (contentLength > 0)
        {
            _bodyRemaining = contentLength;
            _state = State.FixedBody;
            return ParseStatus.NeedMoreData;
        }
        return Complete(ByteString.Empty);
    }

    // ---------------------------------------------------------------- body

    private ParseStatus ParseBody(byte[] buffer, int offset, ReadOnlySpan<byte> data, ref int pos)
    {
        if (_expectContinue && !_continueSignalled && pos == data.Length)
        {
            // The client waits for our go-ahead before sending the body (RFC 9110 §10.1.1).
            _continueSignalled = true;
            return ParseStatus.ContinueExpected;
        }
        _continueSignalled = true;

        if (_streaming && !_streamAnnounced) return AnnounceStream();
        if (_streaming && _body != null)
        {
            // A chunked body that outgrew the threshold: what was buffered goes out as the first part.
            var buffered = ByteString.FromBytes(_body, 0, (int)_bodyLength);
            _body = null;
            _bodyLength = 0;
            return EmitPart(buffered, last: false);
        }

        while (true)
        {
            switch (_state)
            {
                case State.FixedBody when _streaming:
                    return TakePart(buffer, offset, data.Length, ref pos, out var sizedPart)
                        ? EmitPart(sizedPart, last: _bodyRemaining == 0)
                        : ParseStatus.NeedMoreData;
                case State.FixedBody:
                {
                    var available = data.Length - pos;
                    if (_body == null && available >= _bodyRemaining)
                    {
                        // The whole body is here: refer to it, no copy.
                        var body = ByteString.FromBytes(buffer, offset + pos, (int)_bodyRemaining);
                        pos += (int)_bodyRemaining;
                        return Complete(body);
                    }
                    // Grown as bytes arrive, never allocated from the declared length alone: a head claiming
                    // megabytes must not cost megabytes before they are sent.
                    var n = (int)Math.Min(available, _bodyRemaining);
                    EnsureBodyCapacity(_bodyLength + n, limit: _bodyLength + _bodyRemaining);
                    data.Slice(pos, n).CopyTo(_body.AsSpan((int)_bodyLength));
                    pos += n;
                    _bodyLength += n;
                    _bodyRemaining -= n;
                    if (_bodyRemaining > 0) return ParseStatus.NeedMoreData;
                    return Complete(ByteString.FromBytes(_body!, 0, (int)_bodyLength));
                }
                case State.ChunkLine:
                {
                    var idx = data[pos..].IndexOf((byte)'\n');
                    if (idx < 0)
                        return data.Length - pos > _settings.MaxChunkLineLength + 1
                            ? Fail(StatusCodes.BadRequest, "chunk line too long")
                            : ParseStatus.NeedMoreData;
                    if (idx - 1 > _settings.MaxChunkLineLength) return Fail(StatusCodes.BadRequest, "chunk line too long");
                    if (idx == 0 || data[pos + idx - 1] != (byte)'\r') return Fail(StatusCodes.BadRequest, "bare LF in chunked body");
                    var error = ChunkSyntax.ParseChunkLine(data.Slice(pos, idx - 1), out var size);
                    if (error != null) return Fail(error.Status, error.Reason);
                    pos += idx + 1;
                    if (size == 0) { _state = State.Trailers; continue; }
                    if (_bodyLength + _streamedTotal + size > _limits.MaxBodySize) return Fail(StatusCodes.PayloadTooLarge, "body too large");
                    _bodyRemaining = size;
                    _state = State.ChunkData;
                    continue;
                }
                case State.ChunkData when _streaming:
                {
                    if (!TakePart(buffer, offset, data.Length, ref pos, out var part)) return ParseStatus.NeedMoreData;
                    if (_bodyRemaining == 0) _state = State.ChunkDataEnd;
                    return EmitPart(part, last: false);
                }
                case State.ChunkData:
                {
                    if (_bodyLength + _bodyRemaining > _limits.StreamBodyThreshold)
                    {
                        // Too large to buffer after all: hand the request out now; the body follows in parts.
                        _streaming = true;
                        return AnnounceStream();
                    }
                    var n = (int)Math.Min(data.Length - pos, _bodyRemaining);
                    EnsureBodyCapacity(_bodyLength + n, limit: _limits.MaxBodySize);
                    data.Slice(pos, n).CopyTo(_body.AsSpan((int)_bodyLength));
                    pos += n;
                    _bodyLength += n;
                    _bodyRemaining -= n;
                    if (_bodyRemaining > 0) return ParseStatus.NeedMoreData;
                    _state = State.ChunkDataEnd;
                    continue;
                }
                case State.ChunkDataEnd:
                    if (data.Length - pos < 2)
                        return data.Length - pos == 1 && data[pos] != (byte)'\r'
                            ? Fail(StatusCodes.BadRequest, "missing CRLF after chunk data")
                            : ParseStatus.NeedMoreData;
                    if (data[pos] != (byte)'\r' || data[pos + 1] != (byte)'\n') return Fail(StatusCodes.BadRequest, "missing CRLF after chunk data");
                    pos += 2;
                    _state = State.ChunkLine;
                    continue;
                case State.Trailers:
                {
                    var idx = data[pos..].IndexOf((byte)'\n');
                    if (idx < 0)
                        return _trailerBytes + data.Length - pos > _settings.MaxHeaderSectionSize + 1
                            ? Fail(StatusCodes.RequestHeaderFieldsTooLarge, "trailer section too large")
                            : ParseStatus.NeedMoreData;
                    if (idx == 0 || data[pos + idx - 1] != (byte)'\r') return Fail(StatusCodes.BadRequest, "bare LF in trailers");
                    var trailer = data.Slice(pos, idx - 1);
                    pos += idx + 1;
                    if (trailer.IsEmpty)
                    {
                        if (_streaming) return EmitPart(ByteString.Empty, last: true);
                        return Complete(_body == null ? ByteString.Empty : ByteString.FromBytes(_body, 0, (int)_bodyLength));
                    }
                    _trailerBytes += idx + 1;
                    if (++_trailerCount > _settings.MaxHeaderCount || _trailerBytes > _settings.MaxHeaderSectionSize)
                        return Fail(StatusCodes.RequestHeaderFieldsTooLarge, "trailer section too large");
                    var trailerError = ChunkSyntax.ValidateTrailer(trailer);
                    if (trailerError != null) return Fail(trailerError.Status, trailerError.Reason);
                    continue;
                }
                default:
                    throw new InvalidOperationException($"unexpected parser state {_state}");
            }
        }
    }

    /// <summary>
    /// Takes what has arrived of the current streamed stretch (the rest of a sized body, or of a chunk) as a part that
    /// refers to the caller's array. False when nothing has arrived.
    /// </summary>
    private bool TakePart(byte[] buffer, int offset, int length, ref int pos, out ByteString part)
    {
        var n = (int)Math.Min(length - pos, _bodyRemaining);
        part = n == 0 ? ByteString.Empty : ByteString.FromBytes(buffer, offset + pos, n);
        pos += n;
        _bodyRemaining -= n;
        return n > 0;
    }

    /// <summary>Grows the body buffer to hold <paramref name="needed"/> bytes, doubling, never beyond <paramref name="limit"/>.</summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_body))]
    private void EnsureBodyCapacity(long needed, long limit)
    {
        if (_body != null && _body.Length >= needed) return;
        var size = Math.Max(needed, Math.Min(limit, Math.Max(4096, (_body?.Length ?? 0) * 2L)));
        var grown = new byte[size];
        if (_body != null) _body.AsSpan(0, (int)_bodyLength).CopyTo(grown);
        _body = grown;
    }

    // ---------------------------------------------------------------- outcomes

    private ParseStatus Complete(ByteString body)
    {
        Request = new ParsedRequest(BuildRequest(body, streamed: false), _keepAlive);
        Reset();
        return ParseStatus.RequestReady;
    }

    /// <summary>Hands out the request of a streamed body before the body; the parser stays in the body states.</summary>
    private ParseStatus AnnounceStream()
    {
        _streamAnnounced = true;
        Request = new ParsedRequest(BuildRequest(ByteString.Empty, streamed: true), _keepAlive);
        return ParseStatus.RequestReady;
    }

    private ParseStatus EmitPart(ByteString part, bool last)
    {
        _streamedTotal += part.Count;
        BodyPart = part;
        BodyPartIsLast = last;
        if (last) Reset();
        return ParseStatus.BodyPart;
    }

    private HttpRequest BuildRequest(ByteString body, bool streamed) => new()
    {
        Method = _method,
        Target = _target.Target,
        Path = _target.Path,
        Query = _target.Query,
        Protocol = _protocol,
        Headers = _headers,
        Body = body,
        BodyStreamed = streamed,
        RemoteAddress = RemoteAddress,
    };

    /// <summary>Ready for the next request's head.</summary>
    private void Reset()
    {
        _headers = HttpHeaders.Empty;
        _body = null;
        _bodyLength = 0;
        _streaming = _streamAnnounced = false;
        _state = State.Head;
    }

    private ParseStatus Fail(int status, string reason)
    {
        Error = new ParseError(status, reason);
        _state = State.Failed;
        return ParseStatus.Error;
    }
}
