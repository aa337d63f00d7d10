namespace ActorHttp.Protocol;

/// <summary>One header field as strings. Names compare case-insensitively (RFC 9110 §5.1).</summary>
public readonly record struct HttpHeader(string Name, string Value)
{
    /// <summary>True if this header's name equals <paramref name="name"/>, ignoring ASCII case.</summary>
    public bool Is(string name) => string.Equals(Name, name, StringComparison.OrdinalIgnoreCase);

    public override string ToString() => $"{Name}: {Value}";
}
