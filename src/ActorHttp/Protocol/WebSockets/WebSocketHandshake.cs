using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using ActorHttp.Protocol.Parsing;
using ActorHttp.Protocol.Rendering;

namespace ActorHttp.Protocol.WebSockets;

/// <summary>What <see cref="WebSocketHandshake.Evaluate"/> decided about a request to a route that accepts WebSockets.</summary>
public abstract record WebSocketHandshakeResult
{
    // Closed hierarchy: the three outcomes below.
    private WebSocketHandshakeResult() { }

    /// <summary>The request does not ask for a WebSocket (no <c>Upgrade: websocket</c>): serve it as plain HTTP.</summary>
    public sealed record NotUpgrade : WebSocketHandshakeResult
    {
        private NotUpgrade() { }

        /// <summary>The one instance.</summary>
        public static NotUpgrade Instance { get; } = new();
    }

    /// <summary>
    /// The request asks for a WebSocket but its handshake is not valid: answer with <see cref="Response"/> (400, or 426
    /// carrying <c>Sec-WebSocket-Version: 13</c> when the version is wrong or missing) and do not upgrade.
    /// </summary>
    /// <param name="Response">The answer to send.</param>
    /// <param name="Reason">A short, stable description (also in the response body), e.g. "missing Sec-WebSocket-Key".</param>
    public sealed record Rejected(HttpResponse Response, string Reason) : WebSocketHandshakeResult;

    /// <summary>A valid opening handshake: answer with 101 Switching Protocols, then speak WebSocket.</summary>
    /// <param name="Key">The client's <c>Sec-WebSocket-Key</c>.</param>
    /// <param name="AcceptKey">The <c>Sec-WebSocket-Accept</c> value that proves the server read the key.</param>
    /// <param name="Subprotocols">The subprotocols offered (<c>Sec-WebSocket-Protocol</c>), in the client's order of preference.</param>
    /// <param name="Extensions">The extensions offered (<c>Sec-WebSocket-Extensions</c>), in order. None is implemented yet.</param>
    public sealed record Accepted(
        string Key,
        string AcceptKey,
        IReadOnlyList<string> Subprotocols,
        IReadOnlyList<WebSocketExtensionOffer> Extensions) : WebSocketHandshakeResult;
}

/// <summary>One extension a client offers in <c>Sec-WebSocket-Extensions</c> (RFC 6455 §9.1), e.g. <c>permessage-deflate</c>.</summary>
/// <param name="Name">The extension token.</param>
/// <param name="Parameters">Its parameters in order; a quoted value is unquoted.</param>
public sealed record WebSocketExtensionOffer(string Name, IReadOnlyList<WebSocketExtensionParameter> Parameters);

/// <summary>One parameter of an offered extension, e.g. <c>client_max_window_bits</c> (no value) or <c>server_max_window_bits=10</c>.</summary>
/// <param name="Name">The parameter token.</param>
/// <param name="Value">Its value, or null when it has none.</param>
public readonly record struct WebSocketExtensionParameter(string Name, string? Value);

/// <summary>
/// The opening handshake (RFC 6455 §4.2) on the server side: deciding whether a request is a valid WebSocket upgrade, and
/// rendering the 101 answer. Pure: no socket, no actor.
/// </summary>
public static class WebSocketHandshake
{
    /// <summary>
    /// 426 Upgrade Required with <paramref name="reason"/>: the answer to a request that must speak WebSocket version 13
    /// (a wrong version, or a plain request to a WebSocket resource). RFC 9110 §15.5.22: a 426 names the protocol to
    /// upgrade to.
    /// </summary>
    public static HttpResponse UpgradeRequired(string reason) => HttpResponse.Error(StatusCodes.UpgradeRequired, reason) with
    {
        Headers = [new HttpHeader("Upgrade", "websocket"), new HttpHeader("Sec-WebSocket-Version", SupportedVersion)],
    };

    /// <summary>The only protocol version spoken (RFC 6455), as <c>Sec-WebSocket-Version</c> carries it.</summary>
    public const string SupportedVersion = "13";

    /// <summary>The GUID RFC 6455 §1.3 appends to the key before hashing it into <c>Sec-WebSocket-Accept</c>.</summary>
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>True when the request asks to upgrade to WebSocket: an <c>Upgrade</c> header holding the token <c>websocket</c>.</summary>
    public static bool IsUpgradeRequest(HttpRequest request) => HasToken(request.Headers, "Upgrade"u8, "websocket"u8);

    /// <summary>
    /// Checks the opening handshake of <paramref name="request"/>. Not an upgrade (no <c>Upgrade: websocket</c>) →
    /// <see cref="WebSocketHandshakeResult.NotUpgrade"/>. Then 400 for a method other than GET, a protocol other than
    /// HTTP/1.1, a <c>Connection</c> without the <c>upgrade</c> option; 426 for a missing or other
    /// <c>Sec-WebSocket-Version</c> than 13 (checked before the key: a client of another version may not send one); 400 for
    /// a missing, repeated or invalid <c>Sec-WebSocket-Key</c> (base64 of 16 bytes), or malformed
    /// <c>Sec-WebSocket-Protocol</c> / <c>Sec-WebSocket-Extensions</c>. Otherwise
    /// <see cref="WebSocketHandshakeResult.Accepted"/>. <c>Origin</c> is not checked: which origins to serve is the
    /// application's policy (RFC 6455 §10.2), decided on the request before accepting.
    /// </summary>
    public static WebSocketHandshakeResult Evaluate(HttpRequest request)
    {
        var headers = request.Headers;
        if (!IsUpgradeRequest(request)) return WebSocketHandshakeResult.NotUpgrade.Instance;
        if (!ReferenceEquals(request.Method, HttpMethods.Get)) return BadRequest("method must be GET");
        if (request.Protocol != HttpProtocol.Http11) return BadRequest("HTTP/1.1 required");
        if (!HasToken(headers, "Connection"u8, "upgrade"u8)) return BadRequest("Connection without upgrade");

        var version = SingleValue(headers, "Sec-WebSocket-Version"u8, out var versionCount);
        if (versionCount != 1 || !version.SequenceEqual("13"u8))
            return new WebSocketHandshakeResult.Rejected(UpgradeRequired("unsupported Sec-WebSocket-Version"), "unsupported Sec-WebSocket-Version");

        var keyBytes = SingleValue(headers, "Sec-WebSocket-Key"u8, out var keyCount);
        if (keyCount == 0) return BadRequest("missing Sec-WebSocket-Key");
        if (keyCount > 1) return BadRequest("duplicate Sec-WebSocket-Key");
        if (!IsValidKey(keyBytes)) return BadRequest("invalid Sec-WebSocket-Key");
        var key = Encoding.ASCII.GetString(keyBytes);

        var subprotocols = new List<string>();
        var extensions = new List<WebSocketExtensionOffer>();
        for (var i = 0; i < headers.Count; i++)
        {
            var name = headers.NameBytes(i);
            if (Ascii.EqualsIgnoreCase(name, "Sec-WebSocket-Protocol"u8))
            {
                if (!TryParseTokenList(headers.ValueBytes(i), subprotocols)) return BadRequest("invalid Sec-WebSocket-Protocol");
            }
            else if (Ascii.EqualsIgnoreCase(name, "Sec-WebSocket-Extensions"u8))
            {
                if (!TryParseExtensions(headers.ValueBytes(i), extensions)) return BadRequest("invalid Sec-WebSocket-Extensions");
            }
        }
        return new WebSocketHandshakeResult.Accepted(key, ComputeAccept(key), subprotocols, extensions);
    }

    /// <summary>The <c>Sec-WebSocket-Accept</c> value for <paramref name="key"/>: base64(SHA-1(key + GUID)) (RFC 6455 §4.2.2).</summary>
    public static string ComputeAccept(string key)
    {
        var input = Encoding.ASCII.GetBytes(key + AcceptGuid);
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(input, hash);
        return Convert.ToBase64String(hash);
    }

    /// <summary>
    /// Renders the 101 Switching Protocols head that accepts <paramref name="accepted"/>, choosing
    /// <paramref name="subprotocol"/> (one the client offered) or none. Rendered here rather than as an
    /// <see cref="HttpResponse"/>: the response renderer turns 1xx into 500, owns <c>Connection</c> and frames every
    /// response as a message, none of which fits a protocol switch.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="subprotocol"/> was not offered.</exception>
    internal static void RenderAccepted(WebSocketHandshakeResult.Accepted accepted, string? subprotocol, OutputBuffer output)
    {
        // RFC 6455 §4.1: the client fails the connection when the server picks a subprotocol it did not offer.
        if (subprotocol != null && !accepted.Subprotocols.Contains(subprotocol, StringComparer.Ordinal))
            throw new ArgumentException($"subprotocol '{subprotocol}' was not offered", nameof(subprotocol));
        output.Write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "u8);
        WriteAscii(output, accepted.AcceptKey);
        if (subprotocol != null)
        {
            output.Write("\r\nSec-WebSocket-Protocol: "u8);
            WriteAscii(output, subprotocol);
        }
        output.Write("\r\n\r\n"u8);
    }

    // ---------------------------------------------------------------- header syntax

    private static WebSocketHandshakeResult.Rejected BadRequest(string reason) =>
        new(HttpResponse.Error(StatusCodes.BadRequest, reason), reason);

    private static void WriteAscii(OutputBuffer output, string value)
    {
        var span = output.GetSpan(value.Length);
        var n = Encoding.ASCII.GetBytes(value, span);
        output.Advance(n);
    }

    /// <summary>
    /// True when a field named <paramref name="name"/> holds <paramref name="token"/> as an element of its comma-separated list
    /// (over all lines of that name), ignoring ASCII case.
    /// </summary>
    private static bool HasToken(HttpHeaders headers, ReadOnlySpan<byte> name, ReadOnlySpan<byte> token)
    {
        for (var i = 0; i < headers.Count; i++)
        {
            if (!Ascii.EqualsIgnoreCase(headers.NameBytes(i), name)) continue;
            var value = headers.ValueBytes(i);
            foreach (var range in value.Split((byte)','))
                if (Ascii.EqualsIgnoreCase(HttpSyntax.TrimOws(value[range]), token)) return true;
        }
        return false;
    }

    /// <summary>The (trimmed) value of the last field named <paramref name="name"/>, and how many such fields there are.</summary>
    private static ReadOnlySpan<byte> SingleValue(HttpHeaders headers, ReadOnlySpan<byte> name, out int count)
    {
        count = 0;
        ReadOnlySpan<byte> value = default;
        for (var i = 0; i < headers.Count; i++)
        {
            if (!Ascii.EqualsIgnoreCase(headers.NameBytes(i), name)) continue;
            count++;
            value = HttpSyntax.TrimOws(headers.ValueBytes(i));
        }
        return value;
    }

    /// <summary>RFC 6455 §4.1: base64 of a 16-byte nonce, i.e. exactly 24 characters ending in "==" (no whitespace inside).</summary>
    private static bool IsValidKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != 24) return false;
        Span<byte> nonce = stackalloc byte[18];
        return Base64.DecodeFromUtf8(key, nonce, out var read, out var written) == System.Buffers.OperationStatus.Done
               && read == 24 && written == 16;
    }

    /// <summary>
    /// 1#token (RFC 9110 §5.6.1): elements separated by commas and optional whitespace; empty elements are ignored, as
    /// recipients must. False when an element is not a token.
    /// </summary>
    private static bool TryParseTokenList(ReadOnlySpan<byte> value, List<string> into)
    {
        foreach (var range in value.Split((byte)','))
        {
            var element = HttpSyntax.TrimOws(value[range]);
            if (element.IsEmpty) continue;
            if (element.ContainsAnyExcept(HttpSyntax.Token)) return false;
            into.Add(Encoding.ASCII.GetString(element));
        }
        return true;
    }

    /// <summary>
    /// RFC 6455 §9.1: <c>extension-list = 1#( token *( ";" token [ "=" ( token / quoted-string ) ] ) )</c>. Parsed in full
    /// (a quoted value may hold commas and semicolons), so that a malformed offer is refused rather than half-read.
    /// </summary>
    private static bool TryParseExtensions(ReadOnlySpan<byte> value, List<WebSocketExtensionOffer> into)
    {
        var p = 0;
        while (true)
        {
            SkipOws(value, ref p);
            if (p == value.Length) return true;
            if (value[p] == (byte)',')
            {
                p++; // an empty list element
                continue;
            }
            var name = ReadToken(value, ref p);
            if (name == null) return false;
            var parameters = new List<WebSocketExtensionParameter>();
            SkipOws(value, ref p);
            while (p < value.Length && value[p] == (byte)';')
            {
                p++;
                SkipOws(value, ref p);
                var parameter = ReadToken(value, ref p);
                if (parameter == null) return false;
                SkipOws(value, ref p);
                string? parameterValue = null;
                if (p < value.Length && value[p] == (byte)'=')
                {
                    p++;
                    SkipOws(value, ref p);
                    parameterValue = p < value.Length && value[p] == (byte)'"' ? ReadQuoted(value, ref p) : ReadToken(value, ref p);
                    if (parameterValue == null) return false;
                    SkipOws(value, ref p);
                }
                parameters.Add(new WebSocketExtensionParameter(parameter, parameterValue));
            }
            into.Add(new WebSocketExtensionOffer(name, parameters));
            if (p == value.Length) return true;
            if (value[p] != (byte)',') return false;
            p++;
        }
    }

    private static void SkipOws(ReadOnlySpan<byte> value, ref int p)
    {
        while (p < value.Length && HttpSyntax.IsWhitespace(value[p])) p++;
    }

    /// <summary>A token at <paramref name="p"/>, or null when there is none.</summary>
    private static string? ReadToken(ReadOnlySpan<byte> value, ref int p)
    {
        var length = value[p..].IndexOfAnyExcept(HttpSyntax.Token);
        if (length < 0) length = value.Length - p;
        if (length == 0) return null;
        var token = Encoding.ASCII.GetString(value.Slice(p, length));
        p += length;
        return token;
    }

    /// <summary>A quoted-string (RFC 9110 §5.6.4) at <paramref name="p"/>, unescaped; null when malformed or unterminated.</summary>
    private static string? ReadQuoted(ReadOnlySpan<byte> value, ref int p)
    {
        var text = new StringBuilder();
        for (var i = p + 1; i < value.Length; i++)
        {
            var b = value[i];
            if (b == (byte)'"')
            {
                p = i + 1;
                return text.ToString();
            }
            if (b == (byte)'\\')
            {
                // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
                if (++i == value.Length || !HttpSyntax.FieldValue.Contains(value[i])) return null;
                b = value[i];
            }
            else if (!HttpSyntax.QuotedText.Contains(b)) return null;
            text.Append((char)b);
        }
        return null;
    }
}
