using System.Collections.Concurrent;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit.Xunit2;
using ActorHttp.Handlers;
using ActorHttp.Protocol;
using ActorHttp.Routing;
using ActorHttp.Routing.Cors;
using ActorHttp.Routing.Filters;
using ActorHttp.Testing;
using Xunit;

namespace ActorHttp.Tests.Routing;

/// <summary>Filters and CORS policies in route tables, through the test kit (no sockets).</summary>
[Trait("Category", "Routing")]
public sealed class RouteFilterTests : TestKit
{
    private const string Key = "demo-0123456789abcdef";
    private const string App = "https://app.example.com";

    private static HttpRequest Request(string method, string path, params (string Name, string Value)[] headers) =>
        new() { Method = method, Target = path, Path = path, Headers = HttpHeaders.From(headers) };

    /// <summary>Appends its name to the request's "trail" item (and to <paramref name="log"/>), or answers <paramref name="status"/>.</summary>
    private sealed class Marker(string name, ConcurrentQueue<string>? log = null, int status = 0) : IRequestFilter
    {
        public FilterResult Filter(HttpRequest request)
        {
            log?.Enqueue(name);
            if (status != 0) return FilterResult.Respond(HttpResponse.Error(status, name));
            var trail = request.Items.TryGetValue("trail", out var t) ? $"{t},{name}" : name;
            return FilterResult.Continue(request.WithItem("trail", trail));
        }
    }

    private sealed class Throwing : IRequestFilter
    {
        public FilterResult Filter(HttpRequest request) => throw new InvalidOperationException("boom (expected by the test)");
    }

    /// <summary>Answers with the request's items, as "key=value" lines in key order.</summary>
    private sealed class ItemsHandler : HttpHandlerActor
    {
        protected override void OnRequest(HttpRequest request) =>
            Respond(HttpResponse.Text(string.Join("\n", request.Items.OrderBy(i => i.Key).Select(i => $"{i.Key}={i.Value}"))));
    }

    /// <summary>An actor filter: lets "/ok" through with an item after asking another actor; answers 403 to the rest; throws on "/throw".</summary>
    private sealed class AskingFilter(IActorRef oracle) : RequestFilterActor
    {
        protected override async Task<FilterResult> FilterAsync(HttpRequest request)
        {
            if (request.Path.EndsWith("/throw")) throw new InvalidOperationException("filter failure (expected by the test)");
            var verdict = await oracle.Ask<string>(request.Path, TimeSpan.FromSeconds(3));
            return verdict == "yes"
                ? FilterResult.Continue(request.WithItem("oracle", "yes"))
                : FilterResult.Respond(HttpResponse.Error(StatusCodes.Forbidden));
        }
    }

    private sealed class Oracle : ReceiveActor
    {
        public Oracle() => Receive<string>(path => Sender.Tell(path.EndsWith("/ok") ? "yes" : "no"));
    }

    private IActorRef OracleActor() => Sys.ActorOf(Props.Create(() => new Oracle()));

    // ------------------------------------------------------------------ plain filters

    [Fact]
    public void Plain_filters_run_in_order_and_their_items_reach_the_handler()
    {
        var routes = new Routes().Get("/a", Props.Create(() => new ItemsHandler())).WithFilters(new Marker("first"), new Marker("second"));
        this.Send(this.Materialize(routes), Request("GET", "/a")).ShouldHaveStatus(200).ShouldHaveBody("trail=first,second");
    }

    [Fact]
    public void A_later_WithFilters_wraps_the_earlier_and_covers_only_the_routes_so_far()
    {
        var handler = Props.Create(() => new ItemsHandler());
        var routes = new Routes().Get("/inner", handler).WithFilters(new Marker("inner"))
            .Concat(new Routes().Get("/plain", handler))
            .WithFilters(new Marker("outer"))
            .Concat(new Routes().Get("/late", handler));
        var table = this.Materialize(routes);
        this.Send(table, Request("GET", "/inner")).ShouldHaveBody("trail=outer,inner");
        this.Send(table, Request("GET", "/plain")).ShouldHaveBody("trail=outer");
        this.Send(table, Request("GET", "/late")).ShouldHaveBody("");
    }

    [Fact]
    public void A_filter_that_answers_stops_the_chain()
    {
        var log = new ConcurrentQueue<string>();
        var routes = new Routes().Get("/a", Props.Create(() => new ItemsHandler()))
            .WithFilters(new Marker("gate", log, status: 401), new Marker("after", log));
        this.Send(this.Materialize(routes), Request("GET", "/a")).ShouldHaveStatus(401).ShouldHaveBodyContaining("gate");
        Assert.Equal(["gate"], log);
    }

    [Fact]
    public void A_route_without_filters_is_dispatched_straight_to_its_handler()
    {
        var handler = CreateTestProbe().Ref;
        var table = this.Materialize(new Routes().Get("/plain", handler).Concat(new Routes().Get("/filtered", handler).WithFilters(new Marker("m"))));
        Assert.Same(handler, table.Route(Request("GET", "/plain")).Handler);
        var filtered = table.Route(Request("GET", "/filtered"));
        Assert.Same(handler, filtered.Handler); // plain filters only: still the handler itself, with the filtered request
        Assert.Equal("m", filtered.Request!.Items["trail"]);
    }

    [Fact]
    public void A_throwing_filter_fails_the_routing_of_that_request_naming_the_filter()
    {
        var table = this.Materialize(new Routes().Get("/a", CreateTestProbe().Ref).WithFilters(FilterDefinition.Of(new Throwing(), "fragile")));
        var e = Assert.Throws<RequestFilterException>(() => table.Route(Request("GET", "/a"))); // the connection answers it 500 and logs it
        Assert.Equal("fragile", e.Filter);
        Assert.Contains("filter 'fragile' of route /a failed: boom", e.Message);
    }

    [Fact]
    public void Head_and_route_values_pass_through_the_filters()
    {
        var probe = CreateTestProbe();
        var table = this.Materialize(new Routes().Get("/items/{id}", probe.Ref).WithFilters(new Marker("m")));
        var decision = table.Route(Request("HEAD", "/items/7"));
        Assert.Equal("GET", decision.Request!.Method);
        Assert.Equal("7", decision.Request.RouteValues["id"]);
        Assert.Equal("m", decision.Request.Items["trail"]);
        Assert.Equal(405, table.Route(Request("DELETE", "/items/7")).Response!.Status);
        Assert.Equal("GET, HEAD", table.Route(Request("OPTIONS", "/items/7")).Response!.Header("Allow"));
    }

    [Fact]
    public void The_api_key_filter_guards_a_route()
    {
        var routes = new Routes().Get("/admin", Props.Create(() => new ItemsHandler()))
            .WithFilters(ApiKeyFilter.For(new Dictionary<string, string> { ["ops"] = Key }));
        var table = this.Materialize(routes);
        this.Send(table, Request("GET", "/admin")).ShouldHaveStatus(401).ShouldHaveHeader("WWW-Authenticate", "Bearer realm=\"actor-http\"");
        this.Send(table, Request("GET", "/admin", ("Authorization", "Bearer " + Key))).ShouldHaveStatus(200).ShouldHaveBody("actor-http.api-key.client=ops");
    }

    [Fact]
    public void A_table_built_without_a_system_refuses_filters_it_cannot_make()
    {
        var handler = CreateTestProbe().Ref;
        var routes = new Routes().Get("/a", handler).WithFilters(RateLimitFilter.Definition(RateLimitSettings.Default));
        var e = Assert.Throws<ArgumentException>(() => new RouteTable(routes.Definitions.Select(d => (d, handler))));
        Assert.Contains("filter 'rate-limit'", e.Message);
        Assert.NotNull(new RouteTable(new Routes().Get("/a", handler).WithFilters(new Marker("m")).Definitions.Select(d => (d, handler))));
    }

    [Fact]
    public void One_definition_is_one_filter_for_every_route_naming_it()
    {
        var limit = RateLimitFilter.Definition(RateLimitSettings.Default with { Capacity = 1 });
        var handler = Props.Create(() => new ItemsHandler());
        var table = this.Materialize(new Routes().Get("/a", handler).Get("/b", handler).WithFilters(limit));
        this.Send(table, Request("GET", "/a")).ShouldHaveStatus(200);
        this.Send(table, Request("GET", "/b")).ShouldHaveStatus(429); // the same bucket
    }

    // ------------------------------------------------------------------ actor filters

    [Fact]
    public void An_actor_filter_can_ask_and_let_the_request_through_with_items()
    {
        var filter = FilterDefinition.ForActor("oracle", Props.Create(() => new AskingFilter(OracleActor())));
        var routes = new Routes().Get("/x/{what}", Props.Create(() => new ItemsHandler())).WithFilters(new Marker("before")).WithFilters(filter);
        var table = this.Materialize(routes);
        this.Send(table, Request("GET", "/x/ok")).ShouldHaveStatus(200).ShouldHaveBody("oracle=yes\ntrail=before"); // the plain one ran after it
        this.Send(table, Request("GET", "/x/no")).ShouldHaveStatus(403);
    }

    [Fact]
    public void The_handler_answers_the_connections_own_sender_after_an_actor_filter()
    {
        var handler = CreateTestProbe();
        var filter = FilterDefinition.ForActor("oracle", Props.Create(() => new AskingFilter(OracleActor())));
        var table = this.Materialize(new Routes().Get("/x/ok", handler.Ref).WithFilters(filter));
        var decision = table.Route(Request("GET", "/x/ok"));
        Assert.NotSame(handler.Ref, decision.Handler);
        var connection = CreateTestProbe();
        decision.Handler!.Tell(decision.Request, connection.Ref);
        Assert.Equal("yes", handler.ExpectMsg<HttpRequest>().Items["oracle"]);
        Assert.Same(connection.Ref, handler.LastSender); // the reply goes straight to the connection (and its response timeout)
    }

    [Fact]
    public void An_actor_filter_that_throws_answers_500_and_keeps_serving()
    {
        var filter = FilterDefinition.ForActor("oracle", Props.Create(() => new AskingFilter(OracleActor())));
        var table = this.Materialize(new Routes().Get("/x/{what}", Props.Create(() => new ItemsHandler())).WithFilters(filter));
        this.Send(table, Request("GET", "/x/throw")).ShouldHaveStatus(500);
        this.Send(table, Request("GET", "/x/ok")).ShouldHaveStatus(200); // restarted
    }

    [Fact]
    public void An_actor_filter_replying_something_else_is_a_failure_naming_it()
    {
        var filterActor = CreateTestProbe();
        var table = this.Materialize(new Routes().Get("/a", CreateTestProbe().Ref).WithFilters(FilterDefinition.ForActor("odd", filterActor.Ref)));
        var decision = table.Route(Request("GET", "/a"));
        var connection = CreateTestProbe();
        decision.Handler!.Tell(decision.Request, connection.Ref);
        filterActor.ExpectMsg<HttpRequest>();
        filterActor.LastSender.Tell("what?");
        var failure = connection.ExpectMsg<Status.Failure>(); // the connection answers 500 and logs it
        Assert.Contains("filter 'odd' of route /a replied with String instead of a FilterResult", failure.Cause.Message);
        filterActor.LastSender.Tell(FilterResult.Respond(HttpResponse.Text("late"))); // a second reply goes on, to be dropped there
        Assert.Equal("late", connection.ExpectMsg<FilterResult>().Response!.BodyAsString());
    }

    [Fact]
    public void A_stopped_actor_filter_is_answered_500_at_once()
    {
        var filter = Sys.ActorOf(Props.Create(() => new Oracle()));
        Watch(filter);
        Sys.Stop(filter);
        ExpectTerminated(filter);
        var table = this.Materialize(new Routes().Get("/a", Props.Create(() => new ItemsHandler())).WithFilters(FilterDefinition.ForActor("gone", filter)));
        this.Send(table, Request("GET", "/a")).ShouldHaveStatus(500).ShouldHaveBodyContaining("the route's filter 'gone' has stopped");
    }

    // ------------------------------------------------------------------ CORS

    private RouteTable CorsTable(CorsPolicy policy, IActorRef? handler = null)
    {
        handler ??= Sys.ActorOf(Props.Create(() => new ItemsHandler()));
        return this.Materialize(new Routes()
            .Map([HttpMethods.Get, HttpMethods.Put], "/api/items", handler)
            .WithCors(policy)
            .Concat(new Routes().Post("/api/items", handler)) // same path, no policy
            .Concat(new Routes().Get("/plain", handler)));
    }

    [Fact]
    public void A_preflight_the_policy_allows_is_answered_by_the_route_table()
    {
        var table = CorsTable(CorsPolicy.ForOrigins(App) with { AllowedHeaders = ["content-type"] });
        var decision = table.Route(Request("OPTIONS", "/api/items", ("Origin", App), ("Access-Control-Request-Method", "PUT"),
            ("Access-Control-Request-Headers", "content-type")));
        decision.Response!.ShouldHaveStatus(204)
            .ShouldHaveHeader("Access-Control-Allow-Origin", App)
            .ShouldHaveHeader("Access-Control-Allow-Methods", "PUT")
            .ShouldHaveHeader("Access-Control-Allow-Headers", "content-type")
            .ShouldHaveHeader("Access-Control-Max-Age", "600")
            .ShouldHaveHeader("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
        Assert.Equal("/api/items", decision.Route);
        // HEAD is asked of the GET route's policy.
        Assert.Equal("HEAD", table.Route(Request("OPTIONS", "/api/items", ("Origin", App), ("Access-Control-Request-Method", "HEAD")))
            .Response!.Header("Access-Control-Allow-Methods"));
    }

    [Theory]
    [InlineData("https://evil.example", "PUT", null)] // origin not allowed
    [InlineData(App, "POST", null)] // the POST route has no policy
    [InlineData(App, "DELETE", null)] // no route serves it
    [InlineData(App, "PUT", "x-secret")] // header not allowed
    public void A_preflight_it_does_not_allow_is_a_plain_OPTIONS_answer(string origin, string method, string? headers)
    {
        var table = CorsTable(CorsPolicy.ForOrigins(App));
        var response = table.Route(Request("OPTIONS", "/api/items",
            [("Origin", origin), ("Access-Control-Request-Method", method), .. headers == null ? [] : new[] { ("Access-Control-Request-Headers", headers) }])).Response!;
        Assert.Equal(204, response.Status);
        Assert.Equal([new HttpHeader("Allow", "GET, HEAD, POST, PUT")], response.Headers);
    }

    [Fact]
    public void Responses_to_an_allowed_origin_get_the_CORS_headers_others_only_Vary()
    {
        var table = CorsTable(CorsPolicy.ForOrigins(App) with { AllowCredentials = true, ExposedHeaders = ["X-Total"] });
        this.Send(table, Request("GET", "/api/items", ("Origin", App))).ShouldHaveStatus(200)
            .ShouldHaveHeader("Access-Control-Allow-Origin", App)
            .ShouldHaveHeader("Access-Control-Allow-Credentials", "true")
            .ShouldHaveHeader("Access-Control-Expose-Headers", "X-Total")
            .ShouldHaveHeader("Vary", "Origin");
        var other = this.Send(table, Request("GET", "/api/items", ("Origin", "https://evil.example")));
        Assert.Equal([new HttpHeader("Vary", "Origin")], other.Headers);
        Assert.Empty(this.Send(table, Request("POST", "/api/items", ("Origin", App))).Headers); // the POST route has no policy
        Assert.Empty(this.Send(table, Request("GET", "/plain", ("Origin", App))).Headers);
    }

    [Fact]
    public void A_plain_OPTIONS_on_a_CORS_route_is_answered_as_before() =>
        Assert.Equal([new HttpHeader("Allow", "GET, HEAD, POST, PUT")],
            CorsTable(CorsPolicy.ForOrigins("*")).Route(Request("OPTIONS", "/api/items", ("Origin", App))).Response!.Headers);

    [Fact]
    public void Preflights_skip_the_filters_and_a_filters_answer_gets_the_CORS_headers()
    {
        var routes = new Routes().Get("/api/me", Props.Create(() => new ItemsHandler()))
            .WithFilters(ApiKeyFilter.For(new Dictionary<string, string> { ["ops"] = Key }))
            .WithCors(CorsPolicy.ForOrigins(App) with { AllowedHeaders = ["authorization"] });
        var table = this.Materialize(routes);
        table.Route(Request("OPTIONS", "/api/me", ("Origin", App), ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "authorization"))).Response!.ShouldHaveStatus(204).ShouldHaveHeader("Access-Control-Allow-Origin", App);
        // The page can read its 401 (and so ask the user to log in).
        this.Send(table, Request("GET", "/api/me", ("Origin", App))).ShouldHaveStatus(401).ShouldHaveHeader("Access-Control-Allow-Origin", App);
        this.Send(table, Request("GET", "/api/me", ("Origin", App), ("Authorization", "Bearer " + Key)))
            .ShouldHaveStatus(200).ShouldHaveHeader("Access-Control-Allow-Origin", App).ShouldHaveBody("actor-http.api-key.client=ops");
    }

    private sealed class StreamingHandler : HttpHandlerActor
    {
        protected override void OnRequest(HttpRequest request) =>
            RespondWithStream(HttpResponse.StreamedHead(contentType: "text/plain"), Parts());

        private static async IAsyncEnumerable<ByteString> Parts()
        {
            foreach (var part in new[] { "a", "b", "c" })
            {
                await Task.Yield();
                yield return ByteString.FromString(part);
            }
        }
    }

    [Fact]
    public void A_streamed_response_gets_the_headers_on_its_head_and_its_chunks_intact()
    {
        var table = CorsTable(CorsPolicy.ForOrigins("*"), Sys.ActorOf(Props.Create(() => new StreamingHandler())));
        var decision = table.Route(Request("GET", "/api/items", ("Origin", App)));
        var streamed = this.SendStreamed(decision.Handler!, decision.Request!);
        streamed.Head.ShouldHaveHeader("Access-Control-Allow-Origin", "*");
        streamed.ShouldHaveChunks(3);
        Assert.Equal("abc", streamed.Assembled.BodyAsString());
    }

    [Fact]
    public void WithCors_keeps_a_policy_set_closer_to_the_route_and_refuses_unsafe_ones()
    {
        var handler = CreateTestProbe().Ref;
        var own = CorsPolicy.ForOrigins(App);
        var routes = new Routes().Get("/a", handler).WithCors(own).Concat(new Routes().Get("/b", handler)).WithCors(CorsPolicy.ForOrigins("*"));
        Assert.Same(own, routes.Definitions[0].Cors);
        Assert.True(routes.Definitions[1].Cors!.AnyOrigin);
        Assert.Throws<ArgumentException>(() => routes.WithCors(CorsPolicy.ForOrigins("*") with { AllowCredentials = true }));
    }
}
