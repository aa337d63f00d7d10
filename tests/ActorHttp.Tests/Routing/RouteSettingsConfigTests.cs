using Akka.Actor;
using Akka.Configuration;
using ActorHttp.Protocol;
using ActorHttp.Protocol.Compression;
using ActorHttp.Routing;
using ActorHttp.Server;
using Xunit;

namespace ActorHttp.Tests.Routing;

/// <summary>A route's compression and limits: in HOCON (<c>actor-http.compression</c>, a route's own keys) and in code.</summary>
[Trait("Category", "Routing")]
public sealed class RouteSettingsConfigTests
{
    private static Routes Load(string hocon) => RouteConfig.Load(ConfigurationFactory.ParseString(hocon));

    private static RouteDefinition Route(Routes routes, string name) => routes.Definitions.Single(d => d.Name == name);

    [Fact]
    public void Compression_is_off_unless_enabled_for_all_routes_or_turned_on_for_one()
    {
        var routes = Load("""
            actor-http.routes {
              plain { path = "/plain", handler = echo }
              on { path = "/on", handler = echo, compression = on }
              own { path = "/own", handler = echo, compression { encodings = [gzip], min-size = 10, level = smallest } }
            }
            """);
        Assert.Null(Route(routes, "plain").Compression);
        var on = Route(routes, "on").Compression!;
        Assert.Equal([ContentCoding.Brotli, ContentCoding.Gzip], on.Encodings);
        Assert.Equal((1024L, true), (on.MinSize, on.DecodeRequests));
        var own = Route(routes, "own").Compression!;
        Assert.Equal([ContentCoding.Gzip], own.Encodings);
        Assert.Equal(10, own.MinSize);
        Assert.Equal(System.IO.Compression.CompressionLevel.SmallestSize, own.Level);
        Assert.Equal(CompressionPolicy.Default.MimeTypes, own.MimeTypes); // the keys it leaves out come from actor-http.compression

        var global = Load("""
            actor-http.compression { enabled = on, min-size = 2k }
            actor-http.routes {
              a { path = "/a", handler = echo }
              b { path = "/b", handler = echo, compression = off }
            }
            """);
        Assert.Equal(2048, Route(global, "a").Compression!.MinSize);
        Assert.Null(Route(global, "b").Compression);
    }

    [Theory]
    [InlineData("compression = sometimes", "actor-http.routes.r.compression: 'sometimes' is neither off, on nor an object")]
    [InlineData("compression { encodings = [zstd] }", "actor-http.routes.r.compression.encodings: 'zstd' is not a coding")]
    [InlineData("compression { encodings = [deflate] }", "actor-http.routes.r.compression.encodings: 'deflate' is not offered")]
    [InlineData("compression { encodings = [] }", "actor-http.routes.r.compression.encodings: list at least one")]
    [InlineData("compression { level = max }", "actor-http.routes.r.compression.level: 'max' is not fastest, optimal or smallest")]
    [InlineData("compression { mime-types = [\"text\"] }", "actor-http.routes.r.compression.mime-types: 'text' is not a media type")]
    [InlineData("compression { min-size = lots }", "actor-http.routes.r.compression.min-size")]
    [InlineData("max-body-size = -1", "actor-http.routes.r.max-body-size")]
    [InlineData("max-body-size = huge", "actor-http.routes.r.max-body-size")]
    [InlineData("response-timeout = 0s", "actor-http.routes.r.response-timeout must be a positive duration")]
    [InlineData("stream-request-body = maybe", "actor-http.routes.r.stream-request-body")]
    public void A_bad_value_names_its_key(string setting, string expected)
    {
        var e = Assert.Throws<ConfigurationException>(() => Load($"actor-http.routes.r {{ path = \"/r\", handler = echo, {setting} }}"));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_route_s_limits_are_read_and_absent_ones_stay_the_server_s()
    {
        var routes = Load("""
            actor-http.routes {
              upload { path = "/upload", method = POST, handler = echo, max-body-size = 100m, stream-request-body = on, response-timeout = 2m }
              slow { path = "/slow", handler = echo, response-timeout = 90s }
              plain { path = "/plain", handler = echo }
            }
            """);
        Assert.Equal(new RouteLimits { MaxBodySize = 100L * 1024 * 1024, StreamRequestBody = true, ResponseTimeout = TimeSpan.FromMinutes(2) },
            Route(routes, "upload").Limits);
        Assert.Equal(new RouteLimits { ResponseTimeout = TimeSpan.FromSeconds(90) }, Route(routes, "slow").Limits);
        Assert.Null(Route(routes, "plain").Limits);
    }

    [Fact]
    public void In_code_the_closest_setting_wins()
    {
        var handler = ActorRefs.Nobody;
        var routes = new Routes()
            .Post("/upload", handler)
            .WithLimits(new RouteLimits { MaxBodySize = 1_000_000 })
            .Get("/page", handler)
            .WithCompression(CompressionPolicy.Default with { MinSize = 0 })
            .WithLimits(new RouteLimits { MaxBodySize = 5, ResponseTimeout = TimeSpan.FromSeconds(3) })
            .WithCompression();
        var upload = routes.Definitions[0];
        Assert.Equal(new RouteLimits { MaxBodySize = 1_000_000, ResponseTimeout = TimeSpan.FromSeconds(3) }, upload.Limits);
        Assert.Equal(0, upload.Compression!.MinSize);
        Assert.Equal(new RouteLimits { MaxBodySize = 5, ResponseTimeout = TimeSpan.FromSeconds(3) }, routes.Definitions[1].Limits);
        Assert.Throws<ArgumentException>(() => routes.WithLimits(new RouteLimits { ResponseTimeout = TimeSpan.Zero }));
        Assert.Throws<ArgumentException>(() => routes.WithLimits(new RouteLimits { MaxBodySize = long.MaxValue })); // bodies are arrays
        Assert.Throws<ArgumentException>(() => routes.WithCompression(CompressionPolicy.Default with { Encodings = [] }));
    }

    [Fact]
    public void The_route_table_gives_each_request_its_route_s_settings_and_the_parser_asks_them_by_path()
    {
        var routes = new Routes()
            .Post("/upload/{name}", ActorRefs.Nobody)
            .WithLimits(new RouteLimits { MaxBodySize = 42 })
            .Get("/page", ActorRefs.Nobody)
            .WithCompression()
            .Get("/plain", ActorRefs.Nobody);
        var table = new RouteTable(routes.Definitions.Select(d => (d, d.Handler!)));
        Assert.True(table.HasBodyLimits);
        Assert.Equal(42, table.SettingsFor("POST", "/upload/x")!.Limits!.MaxBodySize);
        Assert.Null(table.SettingsFor("PUT", "/upload/x"));
        Assert.Null(table.SettingsFor("POST", "/plain"));
        Assert.NotNull(table.SettingsFor("HEAD", "/page")); // HEAD is served by GET's route

        static HttpRequest Get(string path) => new() { Method = "GET", Target = path, Path = path };
        Assert.NotNull(table.Route(Get("/page")).Settings?.Compression);
        Assert.Null(table.Route(Get("/plain")).Settings);
        Assert.Same(table.Route(Get("/page")).Settings, table.Route(Get("/page")).Settings); // built once per route
        Assert.False(new RouteTable(new Routes().Get("/page", ActorRefs.Nobody).WithCompression().Definitions.Select(d => (d, d.Handler!))).HasBodyLimits);
    }
}
