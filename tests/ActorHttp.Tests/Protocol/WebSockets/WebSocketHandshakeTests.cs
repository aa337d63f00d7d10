using System.Text;
using ActorHttp.Protocol;
using ActorHttp.Protocol.Parsing;
using ActorHttp.Protocol.Rendering;
using ActorHttp.Protocol.WebSockets;
using Xunit;

namespace ActorHttp.Tests.Protocol.WebSockets;

/// <summary>The opening handshake (RFC 6455 §4.2) over requests parsed by the server's own HTTP parser.</summary>
[Trait("Category", "WebSocket")]
public sealed class WebSocketHandshakeTests
{
    private const string RfcKey = "dGhlIHNhbXBsZSBub25jZQ==";
    private const string RfcAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

    /// <summary>The RFC's sample handshake, with the lines of <paramref name="replace"/> swapped in (an empty value drops the line).</summary>
    private static HttpRequest Request(params (string Name, string? Value)[] replace) => RequestWithLine("GET /chat HTTP/1.1", replace);

    private static HttpRequest RequestWithLine(string requestLine, params (string Name, string? Value)[] replace)
    {
        var headers = new List<(string Name, string Value)>
        {
            ("Host", "server.example.com"),
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", RfcKey),
            ("Origin", "http://example.com"),
            ("Sec-WebSocket-Version", "13"),
        };
        foreach (var (name, value) in replace)
        {
            var i = headers.FindIndex(h => h.Name == name);
            if (value == null)
            {
                if (i >= 0) headers.RemoveAt(i);
            }
            else if (i >= 0) headers[i] = (name, value);
            else headers.Add((name, value));
        }
        return Parse($"{requestLine}\r\n{string.Concat(headers.Select(h => $"{h.Name}: {h.Value}\r\n"))}\r\n");
    }

    private static HttpRequest Parse(string raw)
    {
        var parser = new HttpRequestParser(ParserSettings.Default);
        var bytes = Encoding.Latin1.GetBytes(raw);
        Assert.Equal(ParseStatus.RequestReady, parser.Parse(bytes, 0, bytes.Length, out _));
        return parser.Request.Request;
    }

    private static WebSocketHandshakeResult.Accepted Accepted(HttpRequest request) =>
        Assert.IsType<WebSocketHandshakeResult.Accepted>(WebSocketHandshake.Evaluate(request));

    private static WebSocketHandshakeResult.Rejected Rejected(HttpRequest request, int status, string reason)
    {
        var rejected = Assert.IsType<WebSocketHandshakeResult.Rejected>(WebSocketHandshake.Evaluate(request));
        Assert.Equal(status, rejected.Response.Status);
        Assert.Equal(reason, rejected.Reason);
        Assert.Contains(reason, rejected.Response.BodyAsString());
        return rejected;
    }

    // ================================================================ accept

    [Fact]
    public void The_rfc_sample_key_gives_the_rfc_accept_value() =>
        Assert.Equal(RfcAccept, WebSocketHandshake.ComputeAccept(RfcKey));

    [Fact]
    public void The_rfc_sample_handshake_is_accepted()
    {
        var accepted = Accepted(Request());
        Assert.Equal(RfcKey, accepted.Key);
        Assert.Equal(RfcAccept, accepted.AcceptKey);
        Assert.Empty(accepted.Subprotocols);
        Assert.Empty(accepted.Extensions);
    }

    [Theory]
    [InlineData("Upgrade", "WebSocket")]
    [InlineData("Upgrade", "h2c, websocket")]
    [InlineData("Connection", "keep-alive, Upgrade")]
    [InlineData("Connection", "UPGRADE")]
    [InlineData("Sec-WebSocket-Version", " 13 ")]
    public void Header_tokens_are_read_as_lists_ignoring_case(string name, string value) =>
        Accepted(Request((name, value)));

    [Fact]
    public void Connection_options_on_separate_lines_count()
    {
        var request = Parse("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: keep-alive\r\nConnection: upgrade\r\n" +
                            $"Sec-WebSocket-Key: {RfcKey}\r\nSec-WebSocket-Version: 13\r\n\r\n");
        Accepted(request);
    }

    // ================================================================ not an upgrade

    [Theory]
    [InlineData(null)]
    [InlineData("h2c")]
    [InlineData("websocket2")]
    [InlineData("")]
    public void Without_the_websocket_upgrade_token_it_is_plain_http(string? upgrade)
    {
        var request = Request(("Upgrade", upgrade));
        Assert.Same(WebSocketHandshakeResult.NotUpgrade.Instance, WebSocketHandshake.Evaluate(request));
        Assert.False(WebSocketHandshake.IsUpgradeRequest(request));
    }

    [Fact]
    public void A_plain_get_is_not_an_upgrade() =>
        Assert.IsType<WebSocketHandshakeResult.NotUpgrade>(WebSocketHandshake.Evaluate(Parse("GET / HTTP/1.1\r\nHost: h\r\n\r\n")));

    // ================================================================ 400

    [Theory]
    [InlineData("POST /chat HTTP/1.1")]
    [InlineData("HEAD /chat HTTP/1.1")]
    public void A_method_other_than_get_is_400(string requestLine) =>
        Rejected(RequestWithLine(requestLine), 400, "method must be GET");

    [Fact]
    public void Http10_is_400() => Rejected(RequestWithLine("GET /chat HTTP/1.0"), 400, "HTTP/1.1 required");

    [Theory]
    [InlineData(null)]
    [InlineData("keep-alive")]
    [InlineData("upgrades")]
    [InlineData("close")]
    public void Connection_without_the_upgrade_option_is_400(string? connection) =>
        Rejected(Request(("Connection", connection)), 400, "Connection without upgrade");

    [Fact]
    public void A_missing_key_is_400() => Rejected(Request(("Sec-WebSocket-Key", null)), 400, "missing Sec-WebSocket-Key");

    [Theory]
    [InlineData("dGhlIHNhbXBsZSBub25jZQ")]            // padding missing
    [InlineData("dGhlIHNhbXBsZSBub25jZ===")]          // bad padding
    [InlineData("dGhlIHNhbXBsZSBub25jZQ==AAAA")]      // 19 bytes
    [InlineData("dGhlIHNhbXBsZSBub25j")]              // 15 bytes
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAA=")]          // 17 bytes
    [InlineData("dGhlIHNhbXBsZSBub25jZQ=!")]          // not base64
    [InlineData("dGhlIHNhbXBs ZSBub25jZQ==")]         // whitespace inside
    [InlineData("not a key")]
    public void An_invalid_key_is_400(string key) =>
        Rejected(Request(("Sec-WebSocket-Key", key)), 400, "invalid Sec-WebSocket-Key");

    [Fact]
    public void Any_base64_of_16_bytes_is_a_key()
    {
        var key = Convert.ToBase64String(Enumerable.Range(0, 16).Select(i => (byte)(i * 17)).ToArray());
        Assert.Equal(WebSocketHandshake.ComputeAccept(key), Accepted(Request(("Sec-WebSocket-Key", key))).AcceptKey);
    }

    [Fact]
    public void Two_keys_are_400()
    {
        var request = Parse($"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {RfcKey}\r\n" +
                            $"Sec-WebSocket-Key: {RfcKey}\r\nSec-WebSocket-Version: 13\r\n\r\n");
        Rejected(request, 400, "duplicate Sec-WebSocket-Key");
    }

    // ================================================================ 426

    [Theory]
    [InlineData(null)]
    [InlineData("8")]
    [InlineData("12")]
    [InlineData("14")]
    [InlineData("13, 8")]
    [InlineData("")]
    public void A_missing_or_other_version_is_426_naming_13(string? version)
    {
        var rejected = Rejected(Request(("Sec-WebSocket-Version", version)), 426, "unsupported Sec-WebSocket-Version");
        Assert.Equal("13", rejected.Response.Header("Sec-WebSocket-Version"));
    }

    [Fact]
    public void The_version_is_checked_before_the_key() =>
        // A client of another version may not send a key at all: the useful answer names the version spoken.
        Rejected(Request(("Sec-WebSocket-Version", "8"), ("Sec-WebSocket-Key", null)), 426, "unsupported Sec-WebSocket-Version");

    [Fact]
    public void The_rejections_render_as_ordinary_responses()
    {
        var rejected = Rejected(Request(("Sec-WebSocket-Version", "8")), 426, "unsupported Sec-WebSocket-Version");
        var output = new OutputBuffer();
        new HttpResponseRenderer("test").Render(rejected.Response, new RenderContext(HttpProtocol.Http11, false, false), output);
        var text = Encoding.Latin1.GetString(output.ToByteString().ToArray());
        output.Release();
        Assert.StartsWith("HTTP/1.1 426 Upgrade Required\r\n", text);
        Assert.Contains("\r\nSec-WebSocket-Version: 13\r\n", text);
    }

    // ================================================================ subprotocols and extensions

    [Fact]
    public void Subprotocols_are_listed_in_order_over_several_lines()
    {
        var request = Parse($"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {RfcKey}\r\n" +
                            "Sec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Version: 13\r\nsec-websocket-protocol: v2.json.example,,  \r\n\r\n");
        Assert.Equal(["chat", "superchat", "v2.json.example"], Accepted(request).Subprotocols);
    }

    [Theory]
    [InlineData("chat superchat")]
    [InlineData("chat, \"quoted\"")]
    [InlineData("a/b")]
    public void A_subprotocol_that_is_not_a_token_is_400(string value) =>
        Rejected(Request(("Sec-WebSocket-Protocol", value)), 400, "invalid Sec-WebSocket-Protocol");

    [Fact]
    public void Extension_offers_are_parsed_with_their_parameters()
    {
        var request = Request(("Sec-WebSocket-Extensions",
            "permessage-deflate; client_max_window_bits, permessage-deflate ; server_max_window_bits=10 ;x=\"a,b;\\\"c\" , x-foo"));
        var offers = Accepted(request).Extensions;
        Assert.Equal(["permessage-deflate", "permessage-deflate", "x-foo"], offers.Select(o => o.Name));
        Assert.Equal([new WebSocketExtensionParameter("client_max_window_bits", null)], offers[0].Parameters);
        Assert.Equal([new WebSocketExtensionParameter("server_max_window_bits", "10"), new WebSocketExtensionParameter("x", "a,b;\"c")], offers[1].Parameters);
        Assert.Empty(offers[2].Parameters);
    }

    [Theory]
    [InlineData("permessage-deflate;")]
    [InlineData("permessage-deflate; =1")]
    [InlineData("permessage-deflate; a=")]
    [InlineData("permessage-deflate; a=\"unterminated")]
    [InlineData("permessage-deflate a")]
    [InlineData("; a")]
    [InlineData("a=1")]
    public void A_malformed_extension_offer_is_400(string value) =>
        Rejected(Request(("Sec-WebSocket-Extensions", value)), 400, "invalid Sec-WebSocket-Extensions");

    // ================================================================ 101

    private static string RenderAccepted(WebSocketHandshakeResult.Accepted accepted, string? subprotocol)
    {
        var output = new OutputBuffer();
        WebSocketHandshake.RenderAccepted(accepted, subprotocol, output);
        var text = Encoding.Latin1.GetString(output.ToByteString().ToArray());
        output.Release();
        return text;
    }

    [Fact]
    public void The_101_head_is_rendered_as_in_the_rfc() =>
        Assert.Equal(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            $"Sec-WebSocket-Accept: {RfcAccept}\r\n\r\n",
            RenderAccepted(Accepted(Request()), null));

    [Fact]
    public void The_101_head_names_the_chosen_subprotocol()
    {
        var accepted = Accepted(Request(("Sec-WebSocket-Protocol", "chat, superchat")));
        Assert.Equal(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            $"Sec-WebSocket-Accept: {RfcAccept}\r\nSec-WebSocket-Protocol: superchat\r\n\r\n",
            RenderAccepted(accepted, "superchat"));
    }

    [Theory]
    [InlineData("other")]
    [InlineData("Chat")] // subprotocol names are case-sensitive
    public void A_subprotocol_the_client_did_not_offer_cannot_be_chosen(string subprotocol)
    {
        var accepted = Accepted(Request(("Sec-WebSocket-Protocol", "chat")));
        Assert.Throws<ArgumentException>(() => RenderAccepted(accepted, subprotocol));
    }
}
