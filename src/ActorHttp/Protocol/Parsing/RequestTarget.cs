using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace ActorHttp.Protocol.Parsing;

/// <summary>
/// The request-target of the requests on one connection (RFC 9112 §3.2): validated, and split into the strings a request
/// carries. The last one is remembered, so a client repeating its target (the common case on keep-alive connections)
/// costs one comparison and no allocation.
/// </summary>
internal sealed class RequestTarget
{
    private byte[] _bytes = [];

    /// <summary>The target of the last request, as sent.</summary>
    public string Target { get; private set; } = "";

    /// <summary>Its path, still percent-encoded.</summary>
    public string Path { get; private set; } = "";

    /// <summary>Its query without the '?', or empty.</summary>
    public string Query { get; private set; } = "";

    /// <summary>
    /// Validates <paramref name="target"/> and sets <see cref="Target"/>, <see cref="Path"/> and <see cref="Query"/>.
    /// Returns the authority of an absolute-form target (empty otherwise), or an error.
    /// </summary>
    public ParseError? Resolve(ReadOnlySpan<byte> target, string method, out ReadOnlySpan<byte> authority)
    {
        authority = default;
        if (target.SequenceEqual(_bytes))
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

        _bytes = target.ToArray();
        Target = Encoding.ASCII.GetString(target);
        Path = path.Length == target.Length ? Target : Encoding.ASCII.GetString(path);
        Query = q < 0 ? "" : Encoding.ASCII.GetString(pathAndQuery[(q + 1)..]);
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
}
