using System.Runtime.Serialization;
using System.Text;

namespace ActorHttp.Cluster.Serialization;

/// <summary>
/// Appends the wire format's primitives to a growing array: unsigned LEB128 integers, length-prefixed UTF-8 strings
/// (length + 1, so 0 stands for null) and length-prefixed byte blocks.
/// </summary>
internal sealed class WireWriter(int capacity)
{
    private byte[] _buffer = new byte[Math.Max(capacity, 64)];
    private int _length;

    public void Byte(byte value)
    {
        Ensure(1);
        _buffer[_length++] = value;
    }

    public void Bool(bool value) => Byte(value ? (byte)1 : (byte)0);

    public void VarInt(ulong value)
    {
        Ensure(10);
        while (value >= 0x80)
        {
            _buffer[_length++] = (byte)(value | 0x80);
            value >>= 7;
        }
        _buffer[_length++] = (byte)value;
    }

    public void String(string? value)
    {
        if (value is null)
        {
            VarInt(0);
            return;
        }
        var count = Encoding.UTF8.GetByteCount(value);
        VarInt((ulong)count + 1);
        Ensure(count);
        _length += Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_length));
    }

    public void Bytes(ReadOnlySpan<byte> value)
    {
        VarInt((ulong)value.Length);
        Ensure(value.Length);
        value.CopyTo(_buffer.AsSpan(_length));
        _length += value.Length;
    }

    /// <summary>Bytes as they are, no length (the reader knows how many).</summary>
    public void Raw(ReadOnlySpan<byte> value)
    {
        Ensure(value.Length);
        value.CopyTo(_buffer.AsSpan(_length));
        _length += value.Length;
    }

    public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

    private void Ensure(int more)
    {
        if (_length + more <= _buffer.Length) return;
        Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + more));
    }
}

/// <summary>Reads what <see cref="WireWriter"/> wrote; running out of bytes or a malformed value is a <see cref="SerializationException"/>.</summary>
internal ref struct WireReader(ReadOnlySpan<byte> bytes, string what)
{
    private readonly ReadOnlySpan<byte> _bytes = bytes;
    private int _position;

    public readonly bool AtEnd => _position == _bytes.Length;

    public byte Byte()
    {
        if (_position >= _bytes.Length) throw Truncated();
        return _bytes[_position++];
    }

    public bool Bool() => Byte() switch
    {
        0 => false,
        1 => true,
        var b => throw new SerializationException($"{what}: invalid boolean {b} at byte {_position - 1}"),
    };

    public ulong VarInt()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = Byte();
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw new SerializationException($"{what}: integer longer than 10 bytes at byte {_position}");
    }

    /// <summary>A count or length, checked against the bytes left so a corrupt length cannot allocate gigabytes.</summary>
    public int Count()
    {
        var value = VarInt();
        if (value > (ulong)(_bytes.Length - _position)) throw Truncated();
        return (int)value;
    }

    public string? NullableString()
    {
        var prefix = VarInt();
        if (prefix == 0) return null;
        var count = prefix - 1;
        if (count > (ulong)(_bytes.Length - _position)) throw Truncated();
        var value = Encoding.UTF8.GetString(_bytes.Slice(_position, (int)count));
        _position += (int)count;
        return value;
    }

    public string String() => NullableString() ?? throw new SerializationException($"{what}: a required string is null");

    public ReadOnlySpan<byte> Bytes()
    {
        var count = Count();
        var value = _bytes.Slice(_position, count);
        _position += count;
        return value;
    }

    /// <summary>Exactly <paramref name="count"/> bytes, no length prefix.</summary>
    public ReadOnlySpan<byte> Raw(int count)
    {
        if (count > _bytes.Length - _position) throw Truncated();
        var value = _bytes.Slice(_position, count);
        _position += count;
        return value;
    }

    private readonly SerializationException Truncated() =>
        new($"{what}: truncated message ({_bytes.Length} bytes, needed more at byte {_position})");
}

/// <summary>Objects of any type inside a message: Akka's serialization picks each one's serializer, as for any message.</summary>
internal static class WireNested
{
    /// <summary>Writes <paramref name="value"/> as its serializer's id, its manifest and its bytes.</summary>
    public static void Nested(this WireWriter writer, Akka.Actor.ExtendedActorSystem system, object value)
    {
        var serializer = system.Serialization.FindSerializerFor(value);
        writer.VarInt((ulong)(uint)serializer.Identifier);
        writer.String(Akka.Serialization.Serialization.ManifestFor(serializer, value));
        writer.Bytes(serializer.ToBinary(value));
    }

    /// <summary>Reads what <see cref="Nested(WireWriter, Akka.Actor.ExtendedActorSystem, object)"/> wrote.</summary>
    public static object Nested(this ref WireReader reader, Akka.Actor.ExtendedActorSystem system)
    {
        var id = (int)(uint)reader.VarInt();
        var manifest = reader.String();
        return system.Serialization.Deserialize(reader.Bytes().ToArray(), id, manifest);
    }
}
