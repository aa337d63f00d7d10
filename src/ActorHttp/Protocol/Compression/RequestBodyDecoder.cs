using System.IO.Compression;
using Akka.IO;

namespace ActorHttp.Protocol.Compression;

/// <summary>
/// Removes the content codings of a request body (<c>Content-Encoding</c>: gzip, x-gzip, br, deflate, identity, several
/// applied in the order listed), as one piece or part by part as a streamed body arrives, stopping as soon as the
/// decoded bytes pass a limit: a small body that would expand to gigabytes (a zip bomb) costs no more than the limit.
/// A coded body cut short is decoded as far as it goes (the decoders do not say it ended early).
/// </summary>
internal sealed class RequestBodyDecoder : IDisposable
{
    /// <summary>The codings decoded, for the <c>Accept-Encoding</c> of a 415.</summary>
    public const string Supported = "gzip, br, deflate";

    /// <summary>The most a whole body's decoding takes per step.</summary>
    private const int ReadSize = 64 * 1024;

    private readonly PartFeed _input = new();
    private readonly Stream _decoder;
    private readonly long _limit;
    private long _decoded;

    private RequestBodyDecoder(IReadOnlyList<ContentCoding> codings, long limit)
    {
        _limit = limit;
        // The coding applied last is removed first: each decoder reads what the one before it produced.
        Stream stream = _input;
        for (var i = codings.Count - 1; i >= 0; i--)
        {
            stream = codings[i] switch
            {
                ContentCoding.Gzip => new GZipStream(stream, CompressionMode.Decompress),
                ContentCoding.Brotli => new BrotliStream(stream, CompressionMode.Decompress),
                _ => new ZLibStream(stream, CompressionMode.Decompress),
            };
        }
        _decoder = stream;
    }

    /// <summary>
    /// A decoder for <paramref name="request"/>'s body, or null with no error when it names no coding (or only identity);
    /// null with the 415 (an <c>Accept-Encoding</c> listing what is supported) for a coding this server does not know.
    /// </summary>
    public static RequestBodyDecoder? For(HttpRequest request, long limit, out HttpResponse? error)
    {
        error = null;
        if (!request.Headers.Contains("Content-Encoding")) return null;
        var header = string.Join(",", request.Headers.GetValues("Content-Encoding")); // several fields are one list
        var codings = new List<ContentCoding>();
        foreach (var range in header.AsSpan().Split(','))
        {
            var token = header.AsSpan()[range].Trim();
            if (token.IsEmpty) continue;
            if (ContentCodings.Parse(token) is not { } coding)
            {
                error = HttpResponse.Error(StatusCodes.UnsupportedMediaType, $"content coding '{token}' is not supported") with
                {
                    Headers = [new HttpHeader("Accept-Encoding", Supported)],
                };
                return null;
            }
            if (coding != ContentCoding.Identity) codings.Add(coding);
        }
        return codings.Count == 0 ? null : new RequestBodyDecoder(codings, limit);
    }

    /// <summary>The request as its handler sees it once its body is decoded: without <c>Content-Encoding</c> and <c>Content-Length</c>.</summary>
    public static HttpRequest Decoded(HttpRequest request, ByteString body) => request with
    {
        Body = body,
        Headers = HttpHeaders.From(request.Headers.Where(h => !h.Is("Content-Encoding") && !h.Is("Content-Length"))),
    };

    /// <summary>
    /// The request with its whole body decoded, or the same request with the error response: 413 past
    /// <paramref name="limit"/> decoded bytes, 415 for an unknown coding, 400 for data that does not decode.
    /// </summary>
    public static HttpRequest Decode(HttpRequest request, long limit, out HttpResponse? error)
    {
        using var decoder = For(request, limit, out error);
        if (decoder == null) return request;
        decoder.Add(request.Body);
        var pieces = new List<ByteString>();
        var length = 0L;
        while (true)
        {
            if (!decoder.TryDecode(ReadSize, out var piece, out var status, out var reason))
            {
                error = HttpResponse.Error(status, reason);
                return request;
            }
            if (piece.IsEmpty) break;
            pieces.Add(piece);
            length += piece.Count;
        }
        var body = new byte[length];
        var at = 0;
        foreach (var piece in pieces)
        {
            piece.CopyTo(body, at, piece.Count);
            at += piece.Count;
        }
        return Decoded(request, ByteString.FromBytes(body));
    }

    /// <summary>Adds coded bytes for <see cref="TryDecode"/> to decode.</summary>
    public void Add(ByteString coded)
    {
        if (!coded.IsEmpty) _input.Add(coded);
    }

    /// <summary>
    /// Decodes at most <paramref name="max"/> bytes of what was added (nothing when it needs more input). What it
    /// cannot return now stays in the decoder for the next call, so a small coded piece that expands enormously is
    /// handed out a bounded piece at a time. False, with the status (413 or 400) and the reason, when the decoded bytes
    /// pass the limit or the data does not decode.
    /// </summary>
    public bool TryDecode(int max, out ByteString decoded, out int status, out string reason)
    {
        decoded = ByteString.Empty;
        (status, reason) = (0, "");
        // Never more than one byte past the limit: enough to know the body is too large. A pooled buffer: most calls
        // (waiting for input) decode nothing, and what is decoded is copied out at its own size.
        var size = (int)Math.Max(1, Math.Min(max, _limit - _decoded + 1));
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var length = 0;
            int n;
            while (length < size && (n = _decoder.Read(buffer, length, size - length)) > 0) length += n;
            _decoded += length;
            if (_decoded > _limit)
            {
                (status, reason) = (StatusCodes.PayloadTooLarge, $"the body decodes to more than {_limit} bytes");
                return false;
            }
            if (length > 0) decoded = ByteString.CopyFrom(buffer, 0, length);
            return true;
        }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException) // zlib says the one, Brotli the other
        {
            (status, reason) = (StatusCodes.BadRequest, $"the body does not decode ({e.Message.TrimEnd('.')})");
            return false;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Dispose() => _decoder.Dispose();

    /// <summary>
    /// The coded bytes received so far, read by the decoders. Reading past them returns 0, which the decoders take as
    /// "no more for now": they ask again on the next read, after the next part is added.
    /// </summary>
    private sealed class PartFeed : Stream
    {
        private readonly Queue<ByteString> _parts = new();
        private ByteString _current = ByteString.Empty;

        public void Add(ByteString part) => _parts.Enqueue(part);

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            while (_current.IsEmpty)
                if (!_parts.TryDequeue(out _current!)) { _current = ByteString.Empty; return 0; }
            var n = Math.Min(buffer.Length, _current.Count);
            _current.Slice(0, n).ToReadOnlySpan().CopyTo(buffer);
            _current = _current.Slice(n);
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
