using System.Buffers;
using Akka.IO;

namespace ActorHttp.Protocol.Rendering;

/// <summary>
/// Collects the bytes of one or more rendered responses for a single <c>Tcp.Write</c>. Small pieces are copied
/// into pooled arrays; large bodies are referenced, not copied. The pooled arrays go back to the pool on
/// <see cref="Release"/>, which the owner calls once the write is acknowledged (never earlier: the transport
/// may still read them).
/// </summary>
internal sealed class OutputBuffer
{
    private const int ChunkSize = 4096;

    private readonly List<ByteString> _pieces = new(4);
    private readonly List<byte[]> _rented = new(2);
    private byte[]? _current;
    private int _currentStart, _currentLength;

    /// <summary>Total bytes collected.</summary>
    public long Length { get; private set; }

    /// <summary>True when nothing was collected since the last <see cref="Release"/>.</summary>
    public bool IsEmpty => Length == 0;

    /// <summary>Returns a span of at least <paramref name="size"/> writable bytes; follow with <see cref="Advance"/>.</summary>
    public Span<byte> GetSpan(int size)
    {
        if (_current == null || _current.Length - _currentStart - _currentLength < size)
        {
            CloseCurrent();
            _current = ArrayPool<byte>.Shared.Rent(Math.Max(size, ChunkSize));
            _rented.Add(_current);
            _currentStart = 0;
        }
        return _current.AsSpan(_currentStart + _currentLength);
    }

    /// <summary>Marks <paramref name="count"/> bytes of the last <see cref="GetSpan"/> as written.</summary>
    public void Advance(int count)
    {
        _currentLength += count;
        Length += count;
    }

    /// <summary>Copies <paramref name="bytes"/> in.</summary>
    public void Write(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        Advance(bytes.Length);
    }

    /// <summary>Appends <paramref name="bytes"/> by reference (the caller guarantees it is never mutated).</summary>
    public void Append(ByteString bytes)
    {
        if (bytes.IsEmpty) return;
        CloseCurrent();
        _pieces.Add(bytes);
        Length += bytes.Count;
    }

    /// <summary>The collected bytes as one ByteString, without copying them again.</summary>
    public ByteString ToByteString()
    {
        CloseCurrent();
        if (_pieces.Count == 0) return ByteString.Empty;
        if (_pieces.Count == 1) return _pieces[0];
        // Rare (large bodies only): Concat copies the piece list, so fold a short list once here, never per append.
        var result = _pieces[0];
        for (var i = 1; i < _pieces.Count; i++) result = result.Concat(_pieces[i]);
        return result;
    }

    /// <summary>Returns the pooled arrays and empties the buffer.</summary>
    public void Release()
    {
        foreach (var array in _rented) ArrayPool<byte>.Shared.Return(array);
        _rented.Clear();
        _pieces.Clear();
        _current = null;
        _currentStart = _currentLength = 0;
        Length = 0;
    }

    private void CloseCurrent()
    {
        if (_current == null || _currentLength == 0) return;
        _pieces.Add(ByteString.FromBytes(_current, _currentStart, _currentLength));
        _currentStart += _currentLength;
        _currentLength = 0;
    }
}
