using System.Collections;
using System.Text;

namespace ActorHttp.Protocol;

/// <summary>
/// The header fields of a request, kept as byte ranges over the bytes they were parsed from: no string is
/// created per header unless a caller asks for one. Lookups by name compare bytes, ignoring ASCII case.
/// Immutable; values are decoded as Latin-1 (RFC 9110 §5.5: field values are octets).
/// </summary>
public sealed class HttpHeaders : IReadOnlyList<HttpHeader>
{
    /// <summary>A header set with no fields.</summary>
    public static readonly HttpHeaders Empty = new([], [], 0);

    private readonly byte[] _buffer;
    private readonly HeaderField[] _fields;

    internal HttpHeaders(byte[] buffer, HeaderField[] fields, int count)
    {
        _buffer = buffer;
        _fields = fields;
        Count = count;
    }

    /// <summary>Builds a header set from name/value strings (for tests and for requests made in code).</summary>
    public static HttpHeaders From(IEnumerable<HttpHeader> headers)
    {
        var list = headers as IReadOnlyCollection<HttpHeader> ?? headers.ToList();
        if (list.Count == 0) return Empty;
        var size = 0;
        foreach (var h in list) size += h.Name.Length + h.Value.Length;
        var buffer = new byte[size];
        var fields = new HeaderField[list.Count];
        int pos = 0, i = 0;
        foreach (var h in list)
        {
            var nameStart = pos;
            pos += Encoding.Latin1.GetBytes(h.Name, buffer.AsSpan(pos));
            var valueStart = pos;
            pos += Encoding.Latin1.GetBytes(h.Value, buffer.AsSpan(pos));
            fields[i++] = new HeaderField(nameStart, h.Name.Length, valueStart, h.Value.Length);
        }
        return new HttpHeaders(buffer, fields, fields.Length);
    }

    /// <summary>Builds a header set from (name, value) pairs.</summary>
    public static HttpHeaders From(params (string Name, string Value)[] headers) =>
        From(headers.Select(h => new HttpHeader(h.Name, h.Value)));

    /// <summary>Number of header fields, repeated names counted each time.</summary>
    public int Count { get; }

    /// <summary>The field at <paramref name="index"/>, in the order received (allocates its strings).</summary>
    public HttpHeader this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index));
            return new HttpHeader(Encoding.ASCII.GetString(NameBytes(index)), Encoding.Latin1.GetString(ValueBytes(index)));
        }
    }

    /// <summary>The first value of the named header, or null when absent.</summary>
    public string? this[string name] => TryGetValue(name, out var v) ? v : null;

    /// <summary>Finds the first field named <paramref name="name"/> (case-insensitive).</summary>
    public bool TryGetValue(string name, out string value)
    {
        var i = IndexOf(name);
        value = i < 0 ? "" : Encoding.Latin1.GetString(ValueBytes(i));
        return i >= 0;
    }

    /// <summary>True if a field named <paramref name="name"/> is present.</summary>
    public bool Contains(string name) => IndexOf(name) >= 0;

    /// <summary>All values of the named header, in order.</summary>
    public IEnumerable<string> GetValues(string name)
    {
        for (var i = 0; i < Count; i++)
            if (NameEquals(i, name)) yield return Encoding.Latin1.GetString(ValueBytes(i));
    }

    internal int IndexOf(string name)
    {
        for (var i = 0; i < Count; i++)
            if (NameEquals(i, name)) return i;
        return -1;
    }

    internal ReadOnlySpan<byte> NameBytes(int i) => _buffer.AsSpan(_fields[i].NameStart, _fields[i].NameLength);
    internal ReadOnlySpan<byte> ValueBytes(int i) => _buffer.AsSpan(_fields[i].ValueStart, _fields[i].ValueLength);

    private bool NameEquals(int i, string name)
    {
        var bytes = NameBytes(i);
        return bytes.Length == name.Length && Ascii.EqualsIgnoreCase(bytes, name);
    }

    public IEnumerator<HttpHeader> GetEnumerator()
    {
        for (var i = 0; i < Count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => string.Join("\r\n", this);
}

/// <summary>Where one header field's name and value lie in the parsed bytes.</summary>
internal readonly record struct HeaderField(int NameStart, int NameLength, int ValueStart, int ValueLength);
