using System.Net;
using Akka.Actor;
using Akka.Configuration;
using ActorHttp.Handlers;
using ActorHttp.Protocol;
using ActorHttp.Routing;
using ActorHttp.Server;
using ActorHttp.Tests.EndToEnd;
using Xunit;

namespace ActorHttp.Tests.Server;

[Trait("Category", "Routing")]
public sealed class ForwardedHeadersTests
{
    private sealed class Capture : IRequestRouter
    {
        public HttpRequest? Seen;
        public RouteDecision Route(HttpRequest request)
        {
            Seen = request;
            return RouteDecision.Respond(HttpResponse.Text("ok"));
        }
    }

    [Fact]
    public void Behind_a_proxy_the_routes_body_limits_still_apply()
    {
        var routes = new ActorHttp.Routing.Routes().Post("/upload", Akka.Actor.ActorRefs.Nobody).WithLimits(new RouteLimits { MaxBodySize = 42 });
        var table = new ActorHttp.Routing.RouteTable(routes.Definitions.Select(d => (d, d.Handler!)));
        IRequestRouter router = new ForwardedHeadersRouter(table, new ForwardedHeadersSettings(true, [ForwardedHeadersSettings.Parse("10.0.0.0/8")]));
        Assert.True(router.HasBodyLimits);
        Assert.Equal(42, router.SettingsFor(HttpMethods.Post, "/upload")!.Limits!.MaxBodySize);
    }

    private static EndPoint? RouteThrough(string peer, string[] trusted, params string[] forwardedFor)
    {
        var inner = new Capture();
        var settings = new ForwardedHeadersSettings(true, trusted.Select(ForwardedHeadersSettings.Parse).ToArray());
        var router = new ForwardedHeadersRouter(inner, settings);
        router.Route(new HttpRequest
        {
            Method = HttpMethods.Get,
            Target = "/",
            Path = "/",
            Headers = HttpHeaders.From(forwardedFor.Select(v => ("X-Forwarded-For", v)).Prepend(("Host", "h")).ToArray()),
            RemoteAddress = new IPEndPoint(IPAddress.Parse(peer), 4711),
        });
        return inner.Seen!.RemoteAddress;
    }

    private static readonly string[] Loopback = ["127.0.0.1", "::1"];

    [Theory]
    [InlineData("127.0.0.1", "203.0.113.7", "203.0.113.7")]                       // one trusted proxy
    [InlineData("127.0.0.1", "203.0.113.7:5000", "203.0.113.7")]                  // with a port
    [InlineData("127.0.0.1", "2001:db8::7", "2001:db8::7")]                       // IPv6
    [InlineData("127.0.0.1", "[2001:db8::7]:5000", "2001:db8::7")]                // IPv6 with a port
    [InlineData("127.0.0.1", "198.51.100.9, 203.0.113.7", "203.0.113.7")]         // what the client wrote on the left is not believed
    [InlineData("127.0.0.1", " 203.0.113.7 ,127.0.0.1", "203.0.113.7")]           // trusted hops on the right are skipped
    [InlineData("127.0.0.1", "127.0.0.1", "127.0.0.1")]                           // only trusted hops: the leftmost
    [InlineData("::ffff:127.0.0.1", "203.0.113.7", "203.0.113.7")]                // IPv4-mapped peer on a dual-stack socket
    public void A_trusted_peer_gives_the_rightmost_untrusted_forwarded_address(string peer, string header, string expected)
    {
        var address = Assert.IsType<IPEndPoint>(RouteThrough(peer, Loopback, header));
        Assert.Equal(IPAddress.Parse(expected), address.Address);
    }

    [Theory]
    [InlineData("unknown")]
    [InlineData("203.0.113.7, _hidden")]
    [InlineData("127.1")]                 // legacy IPv4 forms are not what a proxy writes
    [InlineData("0x7f.0.0.1")]
    [InlineData("203.0.113.7:99999")]
    [InlineData("fe80::1%eth0")]
    [InlineData("")]
    [InlineData("203.0.113.7 203.0.113.8")]
    public void A_malformed_header_is_ignored(string header)
    {
        var address = Assert.IsType<IPEndPoint>(RouteThrough("127.0.0.1", Loopback, header));
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 4711), address);
    }

    [Fact]
    public void An_untrusted_peer_keeps_its_own_address()
    {
        var address = Assert.IsType<IPEndPoint>(RouteThrough("192.0.2.1", Loopback, "203.0.113.7"));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 4711), address);
    }

    [Fact]
    public void Several_fields_form_one_list_and_ranges_are_trusted()
    {
        var address = Assert.IsType<IPEndPoint>(RouteThrough("10.1.2.3", ["10.0.0.0/8"], "198.51.100.9", "203.0.113.7, 10.9.9.9"));
        Assert.Equal(IPAddress.Parse("203.0.113.7"), address.Address);
    }

    [Fact]
    public void Without_the_header_the_peer_stays()
    {
        var address = Assert.IsType<IPEndPoint>(RouteThrough("127.0.0.1", Loopback));
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 4711), address);
    }

    [Fact]
    public void Settings_are_read_from_config_and_off_by_default()
    {
        var defaults = ServerSettings.Create(ConfigurationFactory.Empty);
        Assert.False(defaults.ForwardedHeaders.Enabled);

        var on = ServerSettings.Create(ConfigurationFactory.ParseString(
            "actor-http.server.forwarded-headers { enabled = on, trusted-proxies = [\"10.0.0.0/8\", \"192.0.2.1\"] }"));
        Assert.True(on.ForwardedHeaders.Enabled);
        Assert.True(on.ForwardedHeaders.IsTrusted(IPAddress.Parse("10.200.0.1")));
        Assert.True(on.ForwardedHeaders.IsTrusted(IPAddress.Parse("192.0.2.1")));
        Assert.False(on.ForwardedHeaders.IsTrusted(IPAddress.Parse("192.0.2.2")));
        Assert.False(on.ForwardedHeaders.IsTrusted(IPAddress.Loopback));

        var bad = Assert.Throws<ConfigurationException>(() => ServerSettings.Create(ConfigurationFactory.ParseString(
            "actor-http.server.forwarded-headers.trusted-proxies = [\"proxy.example\"]")));
        Assert.Contains("actor-http.server.forwarded-headers.trusted-proxies", bad.Message);
    }

    /// <summary>Answers the request's RemoteAddress.</summary>
    private sealed class WhoAmI : HttpHandlerActor
    {
        protected override void OnRequest(HttpRequest request) =>
            Respond(HttpResponse.Text(((IPEndPoint)request.RemoteAddress!).Address.ToString()));
    }

    [Theory]
    [InlineData(false, "127.0.0.1")]
    [InlineData(true, "203.0.113.7")]
    public async Task End_to_end_the_handler_sees_the_forwarded_address_only_when_enabled(bool enabled, string expected)
    {
        var routes = new Routes().Get("/whoami", Props.Create<WhoAmI>());
        await using var server = await TestServer.StartAsync(s => s with { ForwardedHeaders = s.ForwardedHeaders with { Enabled = enabled } }, routes);
        using var connection = await RawHttpConnection.OpenAsync(server.Port);
        var response = await connection.RoundTripAsync(RawHttpConnection.Request("/whoami", extraHeaders: "X-Forwarded-For: 198.51.100.9, 203.0.113.7\r\n"));
        Assert.Equal(200, response.Status);
        Assert.Equal(expected, response.BodyText);
    }
}
