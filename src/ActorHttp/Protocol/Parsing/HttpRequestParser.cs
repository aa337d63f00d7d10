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

    // Head scanning, relative to the start of the unconsumed bytes (nothing of a head is consumed until it is complete).
    private int _scanned, _lineStart, _lineCount, _headerStart, _requestLineStart, _requestLineLength;

    // Scratch reused for every request; copied into an exact-size array once per request.
    private HeaderField[] _fields = new HeaderField[16];

    // The last request-target seen on this connection: keep-alive clients repeat it, so its strings are reused.
    private byte[] _lastTargetBytes = [];
    private string _lastTarget = "", _lastPath = "", _lastQuery = "";

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

    public HttpRequestParser(ParserSettings settings) => _settings = settings;

    /// <summary>The client's address, copied into every request.</summary>
    public System.Net.EndPoint? RemoteAddress { get; init; }

    /// <summary>The request completed by the last <see cref="ParseStatus.RequestReady"/>.</summary>
    public ParsedRequest Request { get; private set; }

    /// <summary>The body bytes of the last <see cref="ParseStatus.BodyPart"/>; they refer to the caller's array.</summary>
    public ByteString BodyPart { get; private set; } = ByteString.Empty;

    /// <summary>True when the last <see cref="ParseStatus.BodyPart"/> completed its body.</summary>
    public bool BodyPartIsLast { get; private set; }

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

    /// <summary>Parses a complete head (request line, fields, empty line) and decides the body's framing.</summary>
    private ParseStatus CompleteHead(byte[] buffer, int offset, ReadOnlySpan<byte> head)
    {
        var line = head.Slice(_requestLineStart, _requestLineLength);

        // request-line = method SP request-target SP HTTP-version (RFC 9112 §3)
        var sp1 = line.IndexOf((byte)' ');
        if (sp1 <= 0) return Fail(StatusCodes.BadRequest, "malformed request line");
        var methodBytes = line[..sp1];
        if (methodBytes.ContainsAnyExcept(HttpSyntax.Token)) return Fail(StatusCodes.BadRequest, "invalid method");
        if (methodBytes.Length > _settings.MaxMethodLength) return Fail(StatusCodes.BadRequest, "method too long");
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
        var targetError = ResolveTarget(targetBytes, method, out var authority);
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
                    if (!TryParseContentLength(value, out contentLength)) return Fail(StatusCodes.BadRequest, "invalid Content-Length");
                    break;
                case KnownHeader.TransferEncoding:
                    transferEncodingCount++;
                    var te = ParseTransferEncoding(value, ref chunked, ref otherCoding);
                    if (te != null) return Fail(te.Status, te.Reason);
                    break;
                case KnownHeader.Connection:
                    ParseConnection(value, ref close, ref keepAliveToken);
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
        if (contentLength > _settings.MaxBodySize) return Fail(StatusCodes.PayloadTooLarge, "body too large");

        _method = method;
        _protocol = protocol;
        _headers = fieldCount == 0 ? HttpHeaders.Empty : new HttpHeaders(buffer, _fields.AsSpan(0, fieldCount).ToArray(), fieldCount);
        _keepAlive = !close && (protocol == HttpProtocol.Http11 || keepAliveToken);
        _expectContinue = expect;
        _continueSignalled = false;
        _body = null;
        _bodyLength = 0;
        _streaming = contentLength > _settings.StreamBodyThreshold;
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

    /// <summary>
    /// Validates the request-target (RFC 9112 §3.2) and sets the cached target, path and query strings.
    /// Returns the authority of an absolute-form target (empty otherwise), or an error.
    /// </summary>
    private ParseError? ResolveTarget(ReadOnlySpan<byte> target, string method, out ReadOnlySpan<byte> authority)
    {
        authority = default;
        if (target.SequenceEqual(_lastTargetBytes))
        {
            // Same target as the previous request: its syntax was checked; only method-dependent rules remain.
            if (target.Length == 1 && target[0] == (byte)'*' && !ReferenceEquals(method, HttpMethods.Options))
                return new ParseError(StatusCodes.BadRequest, "asterisk-form target only for OPTIONS");
            authority = AbsoluteAuthority(target);
            return null;
        }
        if (target.ContainsAnyExcept(HttpSyntax.Target)) return new ParseError(StatusCodes.BadRequest, "invalid character in target");

        ReadOnlySpan<byte> pathAndQuery;
        if (target[0] == (byte)'/') pathAndQuery = target;
        else if (target.Length == 1 && target[0] == (byte)'*')
        {
            if (!ReferenceEquals(method, HttpMethods.Options)) return new ParseError(StatusCodes.BadRequest, "asterisk-form target only for OPTIONS");
            pathAndQuery = target;
        }
        else if (StartsWithScheme(target, out var schemeLength))
        {
            var afterScheme = target[schemeLength..];
            var end = afterScheme.IndexOfAny((byte)'/', (byte)'?');
            authority = end < 0 ? afterScheme : afterScheme[..end];
            if (authority.IsEmpty || authority.IndexOf((byte)'@') >= 0) return new ParseError(StatusCodes.BadRequest, "invalid authority in target");
            pathAndQuery = end < 0 ? "/"u8 : afterScheme[end..];
        }
        else if (ReferenceEquals(method, HttpMethods.Connect)) return new ParseError(StatusCodes.NotImplemented, "CONNECT is not supported");
        else return new ParseError(StatusCodes.BadRequest, "invalid target form");

        var q = pathAndQuery.IndexOf((byte)'?');
        var path = q < 0 ? pathAndQuery : pathAndQuery[..q];
        if (path.IsEmpty) path = "/"u8;
        var error = ValidatePercentEncoding(target) ?? ValidateDecodedPath(path);
        if (error != null) return error;

        _lastTargetBytes = target.ToArray();
        _lastTarget = Encoding.ASCII.GetString(target);
        _lastPath = path.Length == target.Length ? _lastTarget : Encoding.ASCII.GetString(path);
        _lastQuery = q < 0 ? "" : Encoding.ASCII.GetString(pathAndQuery[(q + 1)..]);
        return null;
    }

    private static ReadOnlySpan<byte> AbsoluteAuthority(ReadOnlySpan<byte> target)
    {
        if (!StartsWithScheme(target, out var schemeLength)) return default;
        var afterScheme = target[schemeLength..];
        var end = afterScheme.IndexOfAny((byte)'/', (byte)'?');
        return end < 0 ? afterScheme : afterScheme[..end];
    }

    private static bool StartsWithScheme(ReadOnlySpan<byte> target, out int length)
    {
        if (target.Length > 7 && Ascii.EqualsIgnoreCase(target[..7], "http://"u8)) { length = 7; return true; }
        if (target.Length > 8 && Ascii.EqualsIgnoreCase(target[..8], "https://"u8)) { length = 8; return true; }
        length = 0;
        return false;
    }

    private static ParseError? ValidatePercentEncoding(ReadOnlySpan<byte> target)
    {
        var i = target.IndexOf((byte)'%');
        while (i >= 0)
        {
            if (i + 2 >= target.Length)
                return new ParseError(StatusCodes.BadRequest, "invalid percent-encoding");
            if (HttpSyntax.HexValue(target[i + 1]) < 0 || HttpSyntax.HexValue(target[i + 2]) < 0)
                return new ParseError(StatusCodes.BadRequest, "invalid percent-encoding");
            var next = target[(i + 3)..].IndexOf((byte)'%');
            i = next < 0 ? -1 : i + 3 + next;
        }
        return null;
    }

    /// <summary>A percent-encoded path must decode to valid UTF-8 (no overlong forms) without NUL bytes.</summary>
    private static ParseError? ValidateDecodedPath(ReadOnlySpan<byte> path)
    {
        if (path.IndexOf((byte)'%') < 0) return null;
        var rented = ArrayPool<byte>.Shared.Rent(path.Length);
        try
        {
            var n = 0;
            for (var i = 0; i < path.Length; i++)
            {
                if (path[i] == (byte)'%')
                {
                    rented[n++] = (byte)(HttpSyntax.HexValue(path[i + 1]) * 16 + HttpSyntax.HexValue(path[i + 2]));
                    i += 2;
                }
                else rented[n++] = path[i];
            }
            var decoded = rented.AsSpan(0, n);
            if (decoded.IndexOf((byte)0) >= 0) return new ParseError(StatusCodes.BadRequest, "NUL in path");
            if (!Utf8.IsValid(decoded)) return new ParseError(StatusCodes.BadRequest, "invalid UTF-8 in path");
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Content-Length = 1*DIGIT, without sign, list, or leading zeros (RFC 9110 §8.6; strict).</summary>
    private static bool TryParseContentLength(ReadOnlySpan<byte> value, out long length)
    {
        length = 0;
        if (value.IsEmpty || value.Length > 18) return false;
        if (value.Length > 1 && value[0] == (byte)'0') return false;
        foreach (var b in value)
        {
            if (!char.IsAsciiDigit((char)b)) return false;
            length = length * 10 + (b - '0');
        }
        return true;
    }

    /// <summary>
    /// Transfer-Encoding is a list of codings; only <c>chunked</c>, once and last, frames a request (RFC 9112 §6.1).
    /// Another coding before it is valid HTTP we do not implement (501); anything after it, or a malformed list, is 400.
    /// </summary>
    private static ParseError? ParseTransferEncoding(ReadOnlySpan<byte> value, ref bool chunked, ref bool otherCoding)
    {
        // Several Transfer-Encoding fields form one list (RFC 9110 §5.3), so the flags carry across fields.
        if (value.IsEmpty) return new ParseError(StatusCodes.BadRequest, "empty Transfer-Encoding");
        foreach (var range in value.Split((byte)','))
        {
            var coding = HttpSyntax.TrimOws(value[range]);
            if (coding.IsEmpty || coding.ContainsAnyExcept(HttpSyntax.Token)) return new ParseError(StatusCodes.BadRequest, "invalid Transfer-Encoding");
            if (chunked) return new ParseError(StatusCodes.BadRequest, "chunked is not the final transfer coding");
            if (Ascii.EqualsIgnoreCase(coding, "chunked"u8)) chunked = true;
            else otherCoding = true;
        }
        return null;
    }

    private static void ParseConnection(ReadOnlySpan<byte> value, ref bool close, ref bool keepAlive)
    {
        foreach (var range in value.Split((byte)','))
        {
            var option = HttpSyntax.TrimOws(value[range]);
            if (Ascii.EqualsIgnoreCase(option, "close"u8)) close = true;
            else if (Ascii.EqualsIgnoreCase(option, "keep-alive"u8)) keepAlive = true;
        }
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
                    var error = ParseChunkLine(data.Slice(pos, idx - 1), out var size);
                    if (error != null) return Fail(error.Status, error.Reason);
                    pos += idx + 1;
                    if (size == 0) { _state = State.Trailers; continue; }
                    if (_bodyLength + _streamedTotal + size > _settings.MaxBodySize) return Fail(StatusCodes.PayloadTooLarge, "body too large");
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
                    if (_bodyLength + _bodyRemaining > _settings.StreamBodyThreshold)
                    {
                        // Too large to buffer after all: hand the request out now; the body follows in parts.
                        _streaming = true;
                        return AnnounceStream();
                    }
                    var n = (int)Math.Min(data.Length - pos, _bodyRemaining);
                    EnsureBodyCapacity(_bodyLength + n, limit: _settings.MaxBodySize);
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
                    var trailerError = ValidateTrailer(trailer);
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

    /// <summary>chunk-size [ chunk-ext ] (RFC 9112 §7.1): hex size, then <c>;name[=token|quoted]</c> extensions, ignored.</summary>
    private static ParseError? ParseChunkLine(ReadOnlySpan<byte> line, out long size)
    {
        size = 0;
        var i = 0;
        while (i < line.Length && HttpSyntax.HexValue(line[i]) >= 0)
        {
            if (i == 15) return new ParseError(StatusCodes.BadRequest, "chunk size too large");
            size = size * 16 + HttpSyntax.HexValue(line[i]);
            i++;
        }
        if (i == 0) return new ParseError(StatusCodes.BadRequest, "invalid chunk size");
        while (i < line.Length)
        {
            while (i < line.Length && HttpSyntax.IsWhitespace(line[i])) i++;
            if (i == line.Length || line[i] != (byte)';') return new ParseError(StatusCodes.BadRequest, "invalid chunk size");
            i++;
            while (i < line.Length && HttpSyntax.IsWhitespace(line[i])) i++;
            var nameLength = TokenLength(line[i..]);
            if (nameLength == 0) return new ParseError(StatusCodes.BadRequest, "invalid chunk extension");
            i += nameLength;
            var j = i;
            while (j < line.Length && HttpSyntax.IsWhitespace(line[j])) j++;
            if (j < line.Length && line[j] == (byte)'=')
            {
                j++;
                while (j < line.Length && HttpSyntax.IsWhitespace(line[j])) j++;
                var valueLength = j < line.Length && line[j] == (byte)'"' ? QuotedStringLength(line[j..]) : TokenLength(line[j..]);
                if (valueLength == 0) return new ParseError(StatusCodes.BadRequest, "invalid chunk extension");
                i = j + valueLength;
            }
        }
        return null;
    }

    private static int TokenLength(ReadOnlySpan<byte> s)
    {
        var n = s.IndexOfAnyExcept(HttpSyntax.Token);
        return n < 0 ? s.Length : n;
    }

    /// <summary>Length of the quoted-string at the start of <paramref name="s"/>, or 0 if it is not one.</summary>
    private static int QuotedStringLength(ReadOnlySpan<byte> s)
    {
        for (var i = 1; i < s.Length; i++)
        {
            var b = s[i];
            if (b == (byte)'"') return i + 1;
            if (b == (byte)'\\')
            {
                if (++i == s.Length || !(s[i] == (byte)'\t' || (s[i] >= 0x20 && s[i] != 0x7F))) return 0;
            }
            else if (!HttpSyntax.QuotedText.Contains(b)) return 0;
        }
        return 0;
    }

    /// <summary>Trailer fields are checked like header fields; framing and routing fields may not appear there.</summary>
    private static ParseError? ValidateTrailer(ReadOnlySpan<byte> line)
    {
        if (HttpSyntax.IsWhitespace(line[0])) return new ParseError(StatusCodes.BadRequest, "obsolete line folding");
        var colon = line.IndexOf((byte)':');
        if (colon <= 0) return new ParseError(StatusCodes.BadRequest, "malformed trailer field");
        var name = line[..colon];
        if (name.ContainsAnyExcept(HttpSyntax.Token)) return new ParseError(StatusCodes.BadRequest, "invalid trailer name");
        if (line[(colon + 1)..].ContainsAnyExcept(HttpSyntax.FieldValue)) return new ParseError(StatusCodes.BadRequest, "invalid trailer value");
        if (KnownHeaders.Identify(name) != KnownHeader.Other || KnownHeaders.IsForbiddenInTrailer(name))
            return new ParseError(StatusCodes.BadRequest, "forbidden trailer field");
        return null;
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
        Target = _lastTarget,
        Path = _lastPath,
        Query = _lastQuery,
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
