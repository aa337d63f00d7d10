using System.Net;
using System.Net.Http.Headers;
using Akka.Actor;
using ActorHttp.Handlers;
using ActorHttp.Protocol;
using ActorHttp.Routing;
using ActorHttp.Routing.Cors;
using ActorHttp.Routing.Filters;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace ActorHttp.Tests.EndToEnd;

/// <summary>Filters and CORS over real sockets on 127.0.0.1: what a client sees.</summary>
[Trait("Category", "EndToEnd")]
public sealed class FilterEndToEndTests(FilterEndToEndTests.Fixture fixture) : IClassFixture<FilterEndToEndTests.Fixture>
{
    private const string Key = "e2e-0123456789abcdef";
    private const string App = "https://app.example.com";

    /// <summary>Answers who the API key filter said the client is, and the query's <c>q</c>.</summary>
    private sealed class WhoAmIHandler : HttpHandlerActor
    {
        protected override void OnRequest(HttpRequest request) =>
            Respond(HttpResponse.Text($"{request.Items.GetValueOrDefault(ApiKeyFilter.ClientItem)} q={request.QueryValues["q"]}"));
    }

    private sealed class Throwing : IRequestFilter
    {
        public FilterResult Filter(HttpRequest request) => throw new InvalidOperationException("filter failure (expected by the test)");
    }

    public sealed class Fixture : IAsyncLifetime
    {
        public TestServer Server { get; private set; } = null!;
        public HttpClient Client { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            var routes = TestServer.DefaultRoutes()
                .Concat(new Routes().Get("/whoami", Props.Create(() => new WhoAmIHandler()))
                    .WithFilters(ApiKeyFilter.For(new Dictionary<string, string> { ["ops"] = Key })))
                .Concat(new Routes().Get("/fragile", TextHandler.Props("never")).WithFilters(FilterDefinition.Of(new Throwing(), "throwing")))
                .Concat(new Routes().Map([HttpMethods.Get, HttpMethods.Put], "/api/items", TextHandler.Props("[]", "application/json"))
                    .WithCors(CorsPolicy.ForOrigins(App) with { AllowedHeaders = ["content-type"], ExposedHeaders = ["X-Total"], AllowCredentials = true }));
            Server = await TestServer.StartAsync(routes: routes);
            Client = HttpClients.Create(Server.BaseUri);
        }

        public async Task DisposeAsync()
        {
            Client?.Dispose();
            if (Server != null) await Server.DisposeAsync();
        }
    }

    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task An_api_key_guards_its_route()
    {
        using var missing = await Client.GetAsync("/whoami");
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal("Bearer realm=\"actor-http\"", missing.Headers.WwwAuthenticate.ToString());

        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/whoami") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", "e2e-0123456789abcdeX") } };
        using var refused = await Client.SendAsync(wrong);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("error=\"invalid_token\"", refused.Headers.WwwAuthenticate.ToString());

        using var right = new HttpRequestMessage(HttpMethod.Get, "/whoami?q=a+b%21") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", Key) } };
        using var allowed = await Client.SendAsync(right);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal("ops q=a b!", await allowed.Content.ReadAsStringAsync());

        using var other = await Client.GetAsync("/plaintext"); // other routes are not guarded
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task A_filter_that_throws_is_a_500_for_that_request_and_the_connection_goes_on()
    {
        using var connection = await RawHttpConnection.OpenAsync(fixture.Server.Port);
        var failed = await connection.RoundTripAsync(RawHttpConnection.Request("/fragile"));
        Assert.Equal(500, failed.Status);
        Assert.False(failed.ConnectionClose);
        Assert.Equal(TestServer.PlainText, (await connection.RoundTripAsync(RawHttpConnection.Request("/plaintext"))).BodyText);
    }

    [Fact]
    public async Task A_preflight_and_the_actual_request_from_an_allowed_origin()
    {
        using var connection = await RawHttpConnection.OpenAsync(fixture.Server.Port);
        var preflight = await connection.RoundTripAsync(RawHttpConnection.Request("/api/items", "OPTIONS",
            $"Origin: {App}\r\nAccess-Control-Request-Method: PUT\r\nAccess-Control-Request-Headers: content-type\r\n"));
        Assert.Equal(204, preflight.Status);
        Assert.Equal(App, preflight.Header("Access-Control-Allow-Origin"));
        Assert.Equal("PUT", preflight.Header("Access-Control-Allow-Methods"));
        Assert.Equal("content-type", preflight.Header("Access-Control-Allow-Headers"));
        Assert.Equal("600", preflight.Header("Access-Control-Max-Age"));
        Assert.Equal("true", preflight.Header("Access-Control-Allow-Credentials"));
        Assert.Equal("Origin, Access-Control-Request-Method, Access-Control-Request-Headers", preflight.Header("Vary"));

        var actual = await connection.RoundTripAsync(RawHttpConnection.Request("/api/items", "PUT", $"Origin: {App}\r\nContent-Length: 0\r\n"));
        Assert.Equal(200, actual.Status);
        Assert.Equal("[]", actual.BodyText);
        Assert.Equal(App, actual.Header("Access-Control-Allow-Origin"));
        Assert.Equal("true", actual.Header("Access-Control-Allow-Credentials"));
        Assert.Equal("X-Total", actual.Header("Access-Control-Expose-Headers"));
        Assert.Equal("Origin", actual.Header("Vary"));
    }

    [Fact]
    public async Task Another_origin_gets_no_CORS_headers_and_the_browser_refuses()
    {
        using var connection = await RawHttpConnection.OpenAsync(fixture.Server.Port);
        var preflight = await connection.RoundTripAsync(RawHttpConnection.Request("/api/items", "OPTIONS",
            "Origin: https://evil.example\r\nAccess-Control-Request-Method: PUT\r\n"));
        Assert.Equal(204, preflight.Status);
        Assert.Equal("GET, HEAD, PUT", preflight.Header("Allow"));
        Assert.Null(preflight.Header("Access-Control-Allow-Origin"));

        var actual = await connection.RoundTripAsync(RawHttpConnection.Request("/api/items", "GET", "Origin: https://evil.example\r\n"));
        Assert.Equal(200, actual.Status);
        Assert.Null(actual.Header("Access-Control-Allow-Origin"));
        Assert.Equal("Origin", actual.Header("Vary"));
    }
}

/// <summary>Filters that depend on time or wait, each on a server of its own with a fake clock.</summary>
[Trait("Category", "EndToEnd")]
public sealed class TimedFilterEndToEndTests
{
    /// <summary>An actor filter: records each request; "/held" is never answered, anything else goes on with an item.</summary>
    private sealed class HoldingFilter : ReceiveActor
    {
        public HoldingFilter(HandlerSignals signals) =>
            Receive<HttpRequest>(request =>
            {
                signals.Record(request.Path);
                if (request.Path != "/held") Sender.Tell(FilterResult.Continue(request.WithItem("checked-by", "holding-filter")));
            });
    }

    private sealed class ItemHandler : HttpHandlerActor
    {
        protected override void OnRequest(HttpRequest request) => Respond(HttpResponse.Text($"checked by {request.Items["checked-by"]}"));
    }

    [Fact]
    public async Task The_rate_limit_answers_429_with_Retry_After_until_the_clock_refills_the_bucket()
    {
        var clock = new FakeTimeProvider();
        var limit = RateLimitFilter.Definition(RateLimitSettings.Default with { Capacity = 2, RefillTokens = 1, RefillPeriod = TimeSpan.FromSeconds(10) });
        var routes = new Routes().Get("/limited", TextHandler.Props("ok")).WithFilters(limit).Concat(new Routes().Get("/free", TextHandler.Props("free")));
        await using var server = await TestServer.StartAsync(routes: routes, clock: clock);
        using var client = HttpClients.Create(server.BaseUri);

        for (var i = 0; i < 2; i++)
        {
            using var ok = await client.GetAsync("/limited");
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        using (var refused = await client.GetAsync("/limited"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(10), refused.Headers.RetryAfter!.Delta);
        }
        using (var free = await client.GetAsync("/free")) Assert.Equal(HttpStatusCode.OK, free.StatusCode); // another route, no limit

        clock.Advance(TimeSpan.FromSeconds(9));
        using (var early = await client.GetAsync("/limited"))
            Assert.Equal(TimeSpan.FromSeconds(1), early.Headers.RetryAfter!.Delta);
        clock.Advance(TimeSpan.FromSeconds(1));
        using (var again = await client.GetAsync("/limited")) Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        using (var spent = await client.GetAsync("/limited")) Assert.Equal(HttpStatusCode.TooManyRequests, spent.StatusCode);
    }

    [Fact]
    public async Task An_actor_filter_lets_requests_through_to_the_handler_and_one_it_holds_gets_the_response_timeout()
    {
        var clock = new FakeTimeProvider();
        var signals = new HandlerSignals();
        var routes = new Routes().Get("/passes", Props.Create(() => new ItemHandler())).Get("/held", TextHandler.Props("never"))
            .WithFilters(FilterDefinition.ForActor("holding", Props.Create(() => new HoldingFilter(signals))));
        await using var server = await TestServer.StartAsync(s => s with { ResponseTimeout = TimeSpan.FromSeconds(5) }, routes, signals, clock);
        using var connection = await RawHttpConnection.OpenAsync(server.Port);

        var passed = await connection.RoundTripAsync(RawHttpConnection.Request("/passes"));
        Assert.Equal(200, passed.Status);
        Assert.Equal("checked by holding-filter", passed.BodyText);

        using var received = server.CountReceivedBytes();
        var held = RawHttpConnection.Request("/held");
        await connection.SendAsync(held);
        await signals.WaitForAsync("/held");
        await received.WaitUntilProcessedAsync(held.Length);
        clock.Advance(TimeSpan.FromSeconds(5)); // the request's response timeout covers its filters
        var timedOut = await connection.ReadResponseAsync();
        Assert.Equal(503, timedOut.Status);
        Assert.False(timedOut.ConnectionClose);
        Assert.Equal(200, (await connection.RoundTripAsync(RawHttpConnection.Request("/passes"))).Status);
    }
}
