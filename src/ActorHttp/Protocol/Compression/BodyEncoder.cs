using System.IO.Compression;
using Akka.IO;

namespace ActorHttp.Protocol.Compression;

/// <summary>
/// Compresses one body as it goes: each <see cref="Encode"/> returns the compressed bytes of what it was given, flushed
/// (a sync flush: the client can decode everything sent so far, as a stream's reader must), and <see cref="Finish"/> the
/// end of the coded stream. Holds a native encoder: dispose it when the body ends or is abandoned.
/// </summary>
internal sealed class BodyEncoder : IDisposable
{
    private readonly OutputSink _sink = new();
    private Stream? _encoder;

    public BodyEncoder(ContentCoding coding, CompressionLevel level)
    {
        Coding = coding;
        _encoder = coding switch
        {
            ContentCoding.Gzip => new GZipStream(_sink, level, leaveOpen: true),
            ContentCoding.Brotli => new BrotliStream(_sink, level, leaveOpen: true),
            _ => throw new ArgumentOutOfRangeException(nameof(coding), coding, "not a coding for responses"),
        };
    }

    /// <summary>The coding applied.</summary>
    public ContentCoding Coding { get; }

    /// <summary>Compresses <paramref name="bytes"/>; with <paramref name="flush"/>, everything given so far can be decoded from what is returned.</summary>
    public ByteString Encode(ByteString bytes, bool flush)
    {
        var encoder = _encoder ?? throw new ObjectDisposedException(nameof(BodyEncoder));
        if (!bytes.IsEmpty) encoder.Write(bytes.ToReadOnlySpan()); // one piece (the usual case): no copy
        if (flush) encoder.Flush();
        return _sink.Take();
    }

    /// <summary>Ends the coded stream (the gzip trailer, Brotli's last block) and returns its last bytes; the encoder is released.</summary>
    public ByteString Finish()
    {
        var encoder = _encoder ?? throw new ObjectDisposedException(nameof(BodyEncoder));
        _encoder = null;
        encoder.Dispose();
        return _sink.Take();
    }

    /// <summary>Compresses a whole body at once.</summary>
    public static ByteString EncodeAll(ByteString body, ContentCoding coding, CompressionLevel level)
    {
        using var encoder = new BodyEncoder(coding, level);
        var head = encoder.Encode(body, flush: false);
        var tail = encoder.Finish();
        return head.IsEmpty ? tail : head.Concat(tail);
    }

    public void Dispose()
    {
        _encoder?.Dispose();
        _encoder = null;
    }

    /// <summary>Where the encoder writes: a growable array, emptied by <see cref="Take"/> (its bytes are copied out).</summary>
    private sealed class OutputSink : Stream
    {
        private byte[] _buffer = new byte[4096];
        private int _length;

        public ByteString Take()
        {
            if (_length == 0) return ByteString.Empty;
            var bytes = ByteString.CopyFrom(_buffer, 0, _length);
            _length = 0;
            return bytes;
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (_buffer.Length - _length < buffer.Length) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + buffer.Length));
            buffer.CopyTo(_buffer.AsSpan(_length));
            _length += buffer.Length;
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
