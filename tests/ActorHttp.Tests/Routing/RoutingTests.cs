using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit.Xunit2;
using ActorHttp.Handlers;
using ActorHttp.Protocol;
using ActorHttp.Routing;
using ActorHttp.Server;
using ActorHttp.Server.WebSockets;
using Xunit;

namespace ActorHttp.Tests.Routing;

[Trait("Category", "Routing")]
public sealed class PathTemplateTests
{
    [Theory]
    [InlineData("/", "/", true)]
    [InlineData("/plaintext", "/plaintext", true)]
    [InlineData("/plaintext", "/plaintext/", false)]
    [InlineData("/plaintext", "/plain", false)]
    [InlineData("/a/{id}", "/a/42", true)]
    [InlineData("/a/{id}", "/a/", false)]
    [InlineData("/a/{id}", "/a/1/2", false)]
    [InlineData("/a/{id}/b", "/a/1/b", true)]
    [InlineData("/files/{*rest}", "/files/x/y.txt", true)]
    [InlineData("/files/{*rest}", "/other/x", false)]
    public void Matches_paths(string template, string path, bool matches) =>
        Assert.Equal(matches, PathTemplate.Parse(template).TryMatch(path, out _));

    [Fact]
    public void Captures_percent_decoded_values()
    {
        Assert.True(PathTemplate.Parse("/users/{id}/files/{*path}").TryMatch("/users/a%20b/files/x/y%2Fz", out var values));
        Assert.Equal("a b", values!["id"]);
        Assert.Equal("x/y/z", values["path"]);
    }

    [Theory]
    [InlineData("no-slash")]
    [InlineData("/a/{}")]
    [InlineData("/a/{id}/{id}")]
    [InlineData("/a/x{id}")]
    [InlineData("/{*rest}/more")]
    public void Rejects_malformed_templates(string template) =>
        Assert.Throws<FormatException>(() => PathTemplate.Parse(template));
}

[Trait("Category", "Routing")]
public sealed class RouteTableTests : TestKit
{
    private static HttpRequest Request(string method, string path) =>
        new() { Method = method, Target = path, Path = path };

    private RouteTable Table(IActorRef handler) => new(
        new Routes()
            .Get("/plaintext", handler)
            .Post("/plaintext", handler)
            .Map(["PURGE"], "/cache", handler)
            .Get("/items/{id}", handler)
            .Definitions.Select(d => (d, handler)));

    [Fact]
    public void Dispatches_literal_and_templated_routes()
    {
        var handler = CreateTestProbe().Ref;
        var table = Table(handler);
        Assert.Same(handler, table.Route(Request("GET", "/plaintext")).Handler);
        var templated = table.Route(Request("GET", "/items/7"));
        Assert.Same(handler, templated.Handler);
        Assert.Equal("7", templated.Request!.RouteValues["id"]);
        Assert.Same(handler, table.Route(Request("PURGE", "/cache")).Handler);
    }

    [Fact]
    public void Answers_404_405_501_and_options()
    {
        var table = Table(CreateTestProbe().Ref);
        Assert.Equal(404, table.Route(Request("GET", "/missing")).Response!.Status);
        var notAllowed = table.Route(Request("DELETE", "/plaintext")).Response!;
        Assert.Equal(405, notAllowed.Status);
        Assert.Equal("GET, HEAD, POST", notAllowed.Header("Allow"));
        Assert.Equal(501, table.Route(Request("FOO", "/plaintext")).Response!.Status);
        var options = table.Route(Request("OPTIONS", "/plaintext")).Response!;
        Assert.Equal(204, options.Status);
        Assert.Equal("GET, HEAD, POST", options.Header("Allow"));
    }

    [Fact]
    public void Options_asterisk_is_answered_with_every_method_the_server_serves()
    {
        var decision = Table(CreateTestProbe().Ref).Route(Request("OPTIONS", "*"));
        Assert.Null(decision.Handler);
        Assert.Equal(204, decision.Response!.Status);
        Assert.Equal("GET, HEAD, POST, PURGE", decision.Response.Header("Allow"));
        Assert.Equal("*", decision.Route);
    }

    [Fact]
    public void Asterisk_target_with_another_method_is_400()
    {
        // The parser already refuses these; a router handed one anyway (a test, a wrapper) stays as strict.
        var table = Table(CreateTestProbe().Ref);
        foreach (var method in new[] { "GET", "HEAD", "POST", "PURGE", "FOO" })
            Assert.Equal(400, table.Route(Request(method, "*")).Response!.Status);
    }

    [Fact]
    public void Options_asterisk_lists_head_only_when_get_is_served_transparently()
    {
        var handler = CreateTestProbe().Ref;
        var routes = new Routes().Get("/a", handler).Map(["PUT"], "/b/{id}", handler).Definitions.Select(d => (d, handler)).ToList();
        Assert.Equal("GET, HEAD, PUT", new RouteTable(routes).Route(Request("OPTIONS", "*")).Response!.Header("Allow"));
        Assert.Equal("GET, PUT", new RouteTable(routes, transparentHead: false).Route(Request("OPTIONS", "*")).Response!.Header("Allow"));
    }

    [Fact]
    public void Head_is_served_by_the_get_route_as_get()
    {
        var handler = CreateTestProbe().Ref;
        var decision = Table(handler).Route(Request("HEAD", "/items/3"));
        Assert.Same(handler, decision.Handler);
        Assert.Equal("GET", decision.Request!.Method);
        Assert.Equal("3", decision.Request.RouteValues["id"]);
    }

    [Fact]
    public void A_method_set_in_code_is_interned_so_head_reaches_the_get_route()
    {
        var handler = CreateTestProbe().Ref;
        // Equal to "HEAD" but not the interned literal (routing compares methods by reference).
        var head = new string(HttpMethods.Head.AsSpan());
        Assert.NotSame(HttpMethods.Head, head);

        var request = new HttpRequest { Method = head, Target = "/items/3", Path = "/items/3" };
        Assert.Same(HttpMethods.Head, request.Method);
        var decision = Table(handler).Route(request);
        Assert.Same(handler, decision.Handler);
        Assert.Same(HttpMethods.Get, decision.Request!.Method);

        // Methods are case-sensitive: "head" is some other method, which no route names and RFC 9110 does not define.
        Assert.Equal("head", new HttpRequest { Method = "head", Target = "/", Path = "/" }.Method);
        Assert.Equal(501, Table(handler).Route(Request("head", "/items/3")).Response!.Status);
    }

    [Fact]
    public void A_stopped_handler_is_answered_500_at_once()
    {
        var handler = Sys.ActorOf(Props.Create<EchoHandler>());
        Watch(handler);
        Sys.Stop(handler);
        ExpectTerminated(handler);
        var decision = Table(handler).Route(Request("GET", "/plaintext"));
        Assert.Null(decision.Handler);
        Assert.Equal(500, decision.Response!.Status);
    }
}

[Trait("Category", "Routing")]
public sealed class RouteConfigTests
{
    private static Routes Load(string hocon) => RouteConfig.Load(ConfigurationFactory.ParseString(hocon));

    [Fact]
    public void Reads_the_standalone_routes()
    {
        var repo = RepoRoot();
        var standalone = ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(repo, "hocon", "standalone.conf")));
        // The static site's roots are relative to the node's working directory, the repository root; the tests run elsewhere.
        string Site(string relative) => Path.Combine(repo, "hocon", "site", relative).Replace("\\", "\\\\");
        var roots = ConfigurationFactory.ParseString($"actor-http.routes.index.root = \"{Site("")}\"\nactor-http.routes.assets.root = \"{Site("assets")}\"");
        var config = roots.WithFallback(standalone);
        var routes = RouteConfig.Load(config, ActorHttp.Cluster.ClusterRouteHandlers.Create(config)); // counters are sharded
        Assert.Equal(["index", "assets", "plaintext", "echo", "upload", "ws-echo", "health", "health-live", "health-ready", "counters", "counter-events", "counter-socket", "api-quote", "limited", "admin-hello", "metrics", "blocking"], routes.Definitions.Select(d => d.Name));
        Assert.Equal(["GET", "POST", "PUT"], routes.Definitions.Single(d => d.Name == "echo").Methods);
        Assert.True(routes.Definitions.Single(d => d.Name == "ws-echo").WebSocket);
        // The demo routes of filters and CORS; the rest have neither.
        Assert.Equal(["http://localhost:5173", "http://127.0.0.1:5173"], routes.Definitions.Single(d => d.Name == "api-quote").Cors!.AllowedOrigins);
        Assert.Equal(["demo-rate-limit"], routes.Definitions.Single(d => d.Name == "limited").Filters.Select(f => f.Name));
        Assert.Equal(["demo-api-key"], routes.Definitions.Single(d => d.Name == "admin-hello").Filters.Select(f => f.Name));
        Assert.All(routes.Definitions.Where(d => d.Name is not ("api-quote" or "limited" or "admin-hello")), d => Assert.True(d.Filters.Count == 0 && d.Cors == null));
        // The demos of compression and per-route limits; the rest compress nothing and keep the server's limits.
        Assert.Equal(["index", "assets", "upload"], routes.Definitions.Where(d => d.Compression != null).Select(d => d.Name));
        Assert.Equal(new ActorHttp.Server.RouteLimits { MaxBodySize = 64L * 1024 * 1024, StreamRequestBody = true, ResponseTimeout = TimeSpan.FromMinutes(2) },
            routes.Definitions.Single(d => d.Name == "upload").Limits);
        Assert.All(routes.Definitions.Where(d => d.Name != "upload"), d => Assert.Null(d.Limits));
    }

    [Theory]
    [InlineData("actor-http.routes.r { method = GET, handler = echo }", "actor-http.routes.r.path is missing")]
    [InlineData("actor-http.routes.r { path = \"x\", handler = echo }", "must start with '/'")]
    [InlineData("actor-http.routes.r { path = \"/x\" }", "actor-http.routes.r.handler is missing")]
    [InlineData("actor-http.routes.r { path = \"/x\", handler = text }", "actor-http.routes.r.text is missing")]
    [InlineData("actor-http.routes.r { path = \"/x\", handler = \"No.Such.Type, Nowhere\" }", "not found")]
    [InlineData("actor-http.routes.r { path = \"/x\", handler = \"System.String\" }", "is not a concrete actor type")]
    [InlineData("actor-http.routes.r { path = \"/x\", method = \"G T\", handler = echo }", "not a valid method name")]
    [InlineData("actor-http.routes.r { path = \"/x\", methods = [GET, POST], handler = websocket-echo, websocket = on }", "a WebSocket route serves GET only")]
    [InlineData("actor-http.routes.r { path = \"/x\", handler = websocket-echo, websocket = sometimes }", "actor-http.routes.r")]
    [InlineData("actor-http.routes.r { path = \"/x\", handler = websocket-echo, websocket { stream-message-threshold = 10m } }",
        "actor-http.routes.r.websocket.stream-message-threshold must be between 0 and 1048576")]
    [InlineData("actor-http.routes.r { path = \"/x\", handler = websocket-echo, websocket { stream-message-threshold = 1k, max-streamed-message-size = 1k } }",
        "actor-http.routes.r.websocket.max-streamed-message-size: must be larger")]
    public void Names_the_route_and_the_problem(string hocon, string expected)
    {
        var e = Assert.Throws<ConfigurationException>(() => Load(hocon));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_route_with_websocket_on_accepts_upgrades_and_says_so_to_the_connection()
    {
        var routes = Load("actor-http.routes.ws { path = \"/ws/{room}\", handler = websocket-echo, websocket = on }\n" +
                          "actor-http.routes.plain { path = \"/plain\", handler = echo }");
        var ws = routes.Definitions.Single(d => d.Name == "ws");
        Assert.True(ws.WebSocket);
        Assert.Equal([HttpMethods.Get], ws.Methods);
        Assert.Equal(typeof(ActorHttp.Handlers.WebSockets.WebSocketEchoHandler), ws.HandlerProps!.Type);
        Assert.False(routes.Definitions.Single(d => d.Name == "plain").WebSocket);

        var probe = new ActorHttp.Tests.Server.Connection.RecordingActorRef("ws-handler");
        var table = new RouteTable(routes.Definitions.Select(d => (d, (IActorRef)probe)));
        var decision = table.Route(new HttpRequest { Method = "GET", Target = "/ws/lobby", Path = "/ws/lobby" });
        Assert.True(decision.WebSocket);
        Assert.Equal("lobby", decision.Request!.RouteValues["room"]);
        Assert.False(table.Route(new HttpRequest { Method = "HEAD", Target = "/ws/lobby", Path = "/ws/lobby" }).WebSocket); // HEAD is never an upgrade
        Assert.False(table.Route(new HttpRequest { Method = "GET", Target = "/plain", Path = "/plain" }).WebSocket);
    }

    [Fact]
    public void A_websocket_object_accepts_upgrades_with_the_route_s_own_streaming_over_the_server_s_keys()
    {
        var routes = Load("actor-http.server.websocket.max-streamed-message-size = 2g\n" +
                          "actor-http.routes.upload { path = \"/ws/upload\", handler = websocket-echo, websocket { stream-message-threshold = 64k } }\n" +
                          "actor-http.routes.whole { path = \"/ws/whole\", handler = websocket-echo, websocket { stream-message-threshold = off } }\n" +
                          "actor-http.routes.echo { path = \"/ws/echo\", handler = websocket-echo, websocket = on }");
        var upload = routes.Definitions.Single(d => d.Name == "upload");
        Assert.True(upload.WebSocket);
        Assert.Equal(new WebSocketStreaming(64 * 1024, 2L << 30), upload.WebSocketStreaming); // the limit from actor-http.server.websocket
        Assert.Equal(new WebSocketStreaming(null, 2L << 30), routes.Definitions.Single(d => d.Name == "whole").WebSocketStreaming);
        Assert.Null(routes.Definitions.Single(d => d.Name == "echo").WebSocketStreaming); // as the server says

        // The connection learns it with the route's decision.
        var probe = new ActorHttp.Tests.Server.Connection.RecordingActorRef("ws-handler");
        var table = new RouteTable(routes.Definitions.Select(d => (d, (IActorRef)probe)));
        var decision = table.Route(new HttpRequest { Method = "GET", Target = "/ws/upload", Path = "/ws/upload" });
        Assert.True(decision.WebSocket);
        Assert.Same(upload.WebSocketStreaming, decision.Settings!.WebSocketStreaming);
        Assert.Null(table.Route(new HttpRequest { Method = "GET", Target = "/ws/echo", Path = "/ws/echo" }).Settings);
    }

    [Fact]
    public void Routes_WebSocket_in_code_takes_its_streaming_and_checks_it()
    {
        var props = ActorHttp.Handlers.WebSockets.WebSocketEchoHandler.Props();
        var route = new Routes().WebSocket("/ws", props, streaming: WebSocketStreaming.Above(4096)).Definitions.Single();
        Assert.Equal(new WebSocketStreaming(4096, 1L << 30), route.WebSocketStreaming); // reference.conf's limit
        var e = Assert.Throws<ArgumentException>(() => new Routes().WebSocket("/ws", props, streaming: WebSocketStreaming.Above(4096, 100)));
        Assert.Contains("max-streamed-message-size", e.Message);
    }

    [Fact]
    public void Routes_WebSocket_in_code_is_a_GET_route_that_accepts_upgrades()
    {
        var route = new Routes().WebSocket("/ws", ActorHttp.Handlers.WebSockets.WebSocketEchoHandler.Props()).Definitions.Single();
        Assert.True(route.WebSocket);
        Assert.Equal([HttpMethods.Get], route.Methods);
    }

    [Fact]
    public void Loads_a_user_handler_type_by_name()
    {
        var routes = Load($"actor-http.routes.mine {{ path = \"/mine\", handler = \"{typeof(ConfigurableHandler).AssemblyQualifiedName}\", greeting = hey }}");
        Assert.Equal(typeof(ConfigurableHandler), routes.Definitions.Single().HandlerProps!.Type);
    }

    private sealed class ConfigurableHandler(Config route) : HttpHandlerActor
    {
        protected override void OnRequest(HttpRequest request) => Respond(HttpResponse.Text(route.GetString("greeting")));
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "ActorHttp.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}

/// <summary>HOCON's way of removing a key works for routes: `--set actor-http.routes.x=null` drops route x.</summary>
[Trait("Category", "Routing")]
public sealed class RouteRemovalTests
{
    [Fact]
    public void A_route_set_to_null_is_removed()
    {
        var config = Akka.Configuration.ConfigurationFactory.ParseString("actor-http.routes.a = null")
            .WithFallback(Akka.Configuration.ConfigurationFactory.ParseString("""
                actor-http.routes.a { path = "/a", handler = health }
                actor-http.routes.b { path = "/b", handler = health }
                """));
        var routes = ActorHttp.Routing.RouteConfig.Load(config);
        Assert.Equal(["b"], routes.Definitions.Select(d => d.Name));
    }
}
