using System.Net;
using ActorHttp.Protocol;
using ActorHttp.Routing.Cors;
using ActorHttp.Routing.Filters;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace ActorHttp.Tests.Routing;

/// <summary>The built-in filters and the CORS rules as plain objects: no actors, no sockets, a fake clock.</summary>
[Trait("Category", "Routing")]
public sealed class ApiKeyFilterTests
{
    private const string AliceKey = "alice-0123456789abcdef";
    private const string BobKey = "bob-0123456789abcdefgh";

    private static readonly ApiKeyFilter Bearer = ApiKeyFilter.For(new Dictionary<string, string> { ["alice"] = AliceKey, ["bob"] = BobKey });

    private static HttpRequest Request(params (string Name, string Value)[] headers) =>
        new() { Method = "GET", Target = "/", Path = "/", Headers = HttpHeaders.From(headers) };

    [Theory]
    [InlineData("Bearer " + AliceKey, "alice")]
    [InlineData("bearer " + BobKey, "bob")] // the scheme is case-insensitive
    [InlineData("Bearer   " + AliceKey + " ", "alice")]
    public void A_known_key_passes_with_its_client_name(string authorization, string client)
    {
        var result = Bearer.Filter(Request(("Authorization", authorization)));
        Assert.Null(result.Response);
        Assert.Equal(client, result.Request!.Items[ApiKeyFilter.ClientItem]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Bearer")]
    [InlineData("Bearer ")]
    [InlineData("Basic YWxpY2U6c2VjcmV0")]
    [InlineData(AliceKey)] // no scheme
    public void No_bearer_token_is_401_with_a_challenge(string? authorization)
    {
        var response = Bearer.Filter(authorization == null ? Request() : Request(("Authorization", authorization))).Response!;
        Assert.Equal(401, response.Status);
        Assert.Equal("Bearer realm=\"actor-http\"", response.Header("WWW-Authenticate"));
    }

    [Theory]
    [InlineData("Bearer alice-0123456789abcdeX")] // one character off
    [InlineData("Bearer alice-0123456789abcde")] // a prefix
    [InlineData("Bearer " + AliceKey + "0")] // longer
    [InlineData("Bearer x")]
    public void A_wrong_key_is_401_invalid_token(string authorization)
    {
        var response = Bearer.Filter(Request(("Authorization", authorization))).Response!;
        Assert.Equal(401, response.Status);
        Assert.Equal("Bearer realm=\"actor-http\", error=\"invalid_token\"", response.Header("WWW-Authenticate"));
    }

    [Fact]
    public void Another_header_holds_the_key_alone()
    {
        var filter = ApiKeyFilter.For(new Dictionary<string, string> { ["ci"] = AliceKey }, header: "X-Api-Key");
        Assert.Equal("ci", filter.Filter(Request(("x-api-key", AliceKey))).Request!.Items[ApiKeyFilter.ClientItem]);
        Assert.Equal(401, filter.Filter(Request(("Authorization", "Bearer " + AliceKey))).Response!.Status);
        Assert.Equal(401, filter.Filter(Request(("X-Api-Key", "Bearer " + AliceKey))).Response!.Status);
    }

    [Theory]
    [InlineData("short-key", "at least 16")]
    [InlineData("has spaces in the key!", "may hold only")]
    public void Weak_or_malformed_keys_are_refused(string key, string problem)
    {
        var e = Assert.Throws<ArgumentException>(() => ApiKeyFilter.For(new Dictionary<string, string> { ["x"] = key }));
        Assert.Contains("keys.x", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void No_keys_or_duplicate_keys_are_refused()
    {
        Assert.Contains("at least one key", Assert.Throws<ArgumentException>(() => ApiKeyFilter.For(new Dictionary<string, string>())).Message);
        Assert.Contains("same key", Assert.Throws<ArgumentException>(() =>
            ApiKeyFilter.For(new Dictionary<string, string> { ["a"] = AliceKey, ["b"] = AliceKey })).Message);
    }
}

[Trait("Category", "Routing")]
public sealed class RateLimitFilterTests
{
    private readonly FakeTimeProvider _clock = new();

    private static HttpRequest From(string address, int port = 40000) =>
        new() { Method = "GET", Target = "/", Path = "/", RemoteAddress = new IPEndPoint(IPAddress.Parse(address), port) };

    private RateLimitFilter Filter(int capacity = 3, int refill = 1, TimeSpan? period = null, int maxClients = 100, RateLimitKey by = RateLimitKey.ClientAddress) =>
        new(RateLimitSettings.Default with { Capacity = capacity, RefillTokens = refill, RefillPeriod = period ?? TimeSpan.FromSeconds(1), MaxClients = maxClients, By = by }, _clock);

    [Fact]
    public void The_defaults_are_reference_conf()
    {
        var defaults = RateLimitSettings.Default;
        Assert.Equal((RateLimitKey.ClientAddress, 10, 10, TimeSpan.FromSeconds(1), 10_000),
            (defaults.By, defaults.Capacity, defaults.RefillTokens, defaults.RefillPeriod, defaults.MaxClients));
    }

    [Fact]
    public void A_burst_up_to_the_capacity_passes_then_429_with_Retry_After_until_refilled()
    {
        var filter = Filter(capacity: 3, refill: 1, period: TimeSpan.FromSeconds(2));
        for (var i = 0; i < 3; i++) Assert.Null(filter.Filter(From("10.0.0.1")).Response);
        var refused = filter.Filter(From("10.0.0.1")).Response!;
        Assert.Equal(429, refused.Status);
        Assert.Equal("2", refused.Header("Retry-After"));

        _clock.Advance(TimeSpan.FromSeconds(1.5));
        Assert.Equal("1", filter.Filter(From("10.0.0.1")).Response!.Header("Retry-After")); // rounded up to whole seconds
        _clock.Advance(TimeSpan.FromSeconds(0.5));
        Assert.Null(filter.Filter(From("10.0.0.1")).Response);
        Assert.Equal(429, filter.Filter(From("10.0.0.1")).Response!.Status);
    }

    [Fact]
    public void Clients_have_buckets_of_their_own_whatever_their_port()
    {
        var filter = Filter(capacity: 1);
        Assert.Null(filter.Filter(From("10.0.0.1", 1000)).Response);
        Assert.Equal(429, filter.Filter(From("10.0.0.1", 2000)).Response!.Status);
        Assert.Equal(429, filter.Filter(From("::ffff:10.0.0.1")).Response!.Status); // IPv4-mapped: the same client
        Assert.Null(filter.Filter(From("10.0.0.2")).Response);
    }

    [Fact]
    public void The_bucket_never_holds_more_than_its_capacity()
    {
        var filter = Filter(capacity: 2, refill: 5);
        _clock.Advance(TimeSpan.FromHours(1));
        Assert.Null(filter.Filter(From("10.0.0.1")).Response);
        Assert.Null(filter.Filter(From("10.0.0.1")).Response);
        Assert.Equal(429, filter.Filter(From("10.0.0.1")).Response!.Status);
    }

    [Fact]
    public void By_api_key_counts_the_client_name_an_api_key_filter_set()
    {
        var filter = Filter(capacity: 1, by: RateLimitKey.ApiKey);
        Assert.Null(filter.Filter(From("10.0.0.1").WithItem(ApiKeyFilter.ClientItem, "ci")).Response);
        Assert.Equal(429, filter.Filter(From("10.0.0.2").WithItem(ApiKeyFilter.ClientItem, "ci")).Response!.Status);
        Assert.Null(filter.Filter(From("10.0.0.1").WithItem(ApiKeyFilter.ClientItem, "other")).Response);
        Assert.Null(filter.Filter(From("10.0.0.1")).Response); // no key: by address
    }

    [Fact]
    public void Memory_is_bounded_idle_buckets_go_first()
    {
        var filter = Filter(capacity: 2, maxClients: 8);
        for (var i = 0; i < 8; i++) filter.Filter(From($"10.0.1.{i}"));
        Assert.Equal(8, filter.TrackedClients);
        _clock.Advance(TimeSpan.FromSeconds(2)); // all refilled: forgetting them changes nothing
        filter.Filter(From("10.0.2.1"));
        Assert.Equal(1, filter.TrackedClients);
        _clock.Advance(TimeSpan.FromMilliseconds(10));

        // Busy clients: the least recently seen make room, down to seven eighths.
        for (var i = 0; i < 7; i++)
        {
            filter.Filter(From($"10.0.3.{i}"));
            _clock.Advance(TimeSpan.FromMilliseconds(10));
        }
        Assert.Equal(8, filter.TrackedClients);
        filter.Filter(From("10.0.4.1"));
        Assert.Equal(8, filter.TrackedClients); // 7 kept, and the newcomer
        // 10.0.2.1, the least recently seen, was dropped with a token taken: it starts over with a full bucket.
        Assert.Null(filter.Filter(From("10.0.2.1")).Response);
        Assert.Null(filter.Filter(From("10.0.2.1")).Response);
        Assert.Equal(429, filter.Filter(From("10.0.2.1")).Response!.Status);
        for (var i = 0; i < 10_000; i++) filter.Filter(From($"10.1.{i / 256}.{i % 256}"));
        Assert.InRange(filter.TrackedClients, 1, 8);
    }

    [Fact]
    public void Bad_settings_are_refused() =>
        Assert.Contains("capacity", Assert.Throws<ArgumentException>(() => Filter(capacity: 0)).Message);
}

[Trait("Category", "Routing")]
public sealed class CorsRulesTests
{
    private const string App = "https://app.example.com";

    private static HttpRequest Request(string method, params (string Name, string Value)[] headers) =>
        new() { Method = method, Target = "/api", Path = "/api", Headers = HttpHeaders.From(headers) };

    private static HttpRequest Preflight(string origin, string method, string? headers = null) =>
        Request("OPTIONS", [("Origin", origin), ("Access-Control-Request-Method", method), .. headers == null ? [] : new[] { ("Access-Control-Request-Headers", headers) }]);

    private static CorsRules Rules(CorsPolicy policy) => new(policy);

    private static string? Header(IReadOnlyList<HttpHeader> headers, string name) => headers.FirstOrDefault(h => h.Is(name)).Value;

    [Fact]
    public void The_defaults_are_reference_conf()
    {
        var defaults = CorsPolicy.Default;
        Assert.Empty(defaults.AllowedOrigins);
        Assert.Empty(defaults.AllowedMethods);
        Assert.False(defaults.AllowCredentials);
        Assert.Equal(TimeSpan.FromMinutes(10), defaults.MaxAge);
    }

    [Fact]
    public void A_listed_origin_gets_itself_back_with_credentials_and_exposed_headers()
    {
        var rules = Rules(CorsPolicy.ForOrigins(App, "http://localhost:5173") with { AllowCredentials = true, ExposedHeaders = ["ETag", "X-Total"] });
        var headers = rules.ForResponse(Request("GET", ("Origin", App)));
        Assert.Equal(App, Header(headers, "Access-Control-Allow-Origin"));
        Assert.Equal("true", Header(headers, "Access-Control-Allow-Credentials"));
        Assert.Equal("ETag, X-Total", Header(headers, "Access-Control-Expose-Headers"));
        Assert.Equal("Origin", Header(headers, "Vary"));
    }

    [Theory]
    [InlineData("https://evil.example.com")]
    [InlineData("https://app.example.com.evil.com")]
    [InlineData("http://app.example.com")] // another scheme is another origin
    [InlineData("https://APP.example.com")]
    [InlineData("null")]
    public void Another_origin_gets_only_Vary(string origin)
    {
        var headers = Rules(CorsPolicy.ForOrigins(App)).ForResponse(Request("GET", ("Origin", origin)));
        Assert.Equal([new HttpHeader("Vary", "Origin")], headers);
        Assert.Null(Rules(CorsPolicy.ForOrigins(App)).Preflight(Preflight(origin, "GET"), origin, "GET"));
    }

    [Fact]
    public void Any_origin_without_credentials_is_a_wildcard()
    {
        var rules = Rules(CorsPolicy.ForOrigins("*"));
        Assert.Equal("*", Header(rules.ForResponse(Request("GET", ("Origin", "https://anyone.example"))), "Access-Control-Allow-Origin"));
        Assert.Equal("*", Rules(CorsPolicy.ForOrigins("*")).Preflight(Preflight("https://x.example", "PUT"), "https://x.example", "PUT")!.Header("Access-Control-Allow-Origin"));
        Assert.Null(Header(rules.ForResponse(Request("GET")), "Access-Control-Allow-Origin")); // no Origin: not a CORS request
    }

    [Fact]
    public void An_allowed_preflight_gets_204_with_everything()
    {
        var rules = Rules(CorsPolicy.ForOrigins(App) with
        {
            AllowedHeaders = ["Content-Type", "Authorization"], AllowCredentials = true, MaxAge = TimeSpan.FromMinutes(5),
        });
        var response = rules.Preflight(Preflight(App, "PUT", "content-type, authorization"), App, "PUT")!;
        Assert.Equal(204, response.Status);
        Assert.Equal(App, response.Header("Access-Control-Allow-Origin"));
        Assert.Equal("PUT", response.Header("Access-Control-Allow-Methods"));
        Assert.Equal("content-type, authorization", response.Header("Access-Control-Allow-Headers"));
        Assert.Equal("300", response.Header("Access-Control-Max-Age"));
        Assert.Equal("true", response.Header("Access-Control-Allow-Credentials"));
        Assert.Equal("Origin, Access-Control-Request-Method, Access-Control-Request-Headers", response.Header("Vary"));
    }

    [Fact]
    public void A_preflight_asking_for_a_header_or_method_not_allowed_is_refused()
    {
        var rules = Rules(CorsPolicy.ForOrigins(App) with { AllowedMethods = ["GET", "POST"], AllowedHeaders = ["content-type"] });
        Assert.Null(rules.Preflight(Preflight(App, "DELETE"), App, "DELETE"));
        Assert.Null(rules.Preflight(Preflight(App, "POST", "content-type, x-secret"), App, "POST"));
        var allowed = rules.Preflight(Preflight(App, "POST", "Content-Type,accept-language"), App, "POST")!; // safelisted always pass
        Assert.Equal("GET, POST", allowed.Header("Access-Control-Allow-Methods"));
        Assert.Equal("Content-Type, accept-language", allowed.Header("Access-Control-Allow-Headers"));
        Assert.Equal("x-anything", Rules(CorsPolicy.ForOrigins(App) with { AllowedHeaders = ["*"] })
            .Preflight(Preflight(App, "GET", "x-anything"), App, "GET")!.Header("Access-Control-Allow-Headers"));
    }

    [Fact]
    public void Max_age_off_sends_none() =>
        Assert.Null(Rules(CorsPolicy.ForOrigins(App) with { MaxAge = null }).Preflight(Preflight(App, "GET"), App, "GET")!.Header("Access-Control-Max-Age"));

    [Fact]
    public void A_handler_that_answered_CORS_itself_is_left_alone()
    {
        var own = HttpResponse.Text("x") with { Headers = [new HttpHeader("Access-Control-Allow-Origin", "https://other.example")] };
        Assert.Same(own, CorsRules.Decorate(own, [new HttpHeader("Access-Control-Allow-Origin", App)]));
        var plain = HttpResponse.Text("x") with { Headers = [new HttpHeader("Vary", "Accept")] };
        Assert.Equal([new HttpHeader("Vary", "Accept"), new HttpHeader("Vary", "Origin")], CorsRules.Decorate(plain, [new HttpHeader("Vary", "Origin")]).Headers);
    }

    [Theory]
    [InlineData(new[] { "*" }, true, "allowed-origins", "cannot be combined with allow-credentials")]
    [InlineData(new string[0], false, "allowed-origins", "list the origins")]
    [InlineData(new[] { "*", App }, false, "allowed-origins", "must stand alone")]
    [InlineData(new[] { "https://app.example.com/" }, false, "allowed-origins", "as browsers send it")]
    [InlineData(new[] { "https://App.Example.com" }, false, "allowed-origins", "'https://app.example.com'")]
    [InlineData(new[] { "https://app.example.com:443" }, false, "allowed-origins", "'https://app.example.com'")]
    [InlineData(new[] { "app.example.com" }, false, "allowed-origins", "is not an origin")]
    [InlineData(new[] { "https://app.example.com/path" }, false, "allowed-origins", "is not an origin")]
    public void Unsafe_or_unusable_policies_are_refused(string[] origins, bool credentials, string key, string problem)
    {
        var e = Assert.Throws<ArgumentException>(() => CorsPolicy.ForOrigins(origins) with { AllowCredentials = credentials } is var p ? new CorsRules(p) : null);
        Assert.StartsWith(key + ":", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void Exposing_every_header_with_credentials_is_refused() =>
        Assert.StartsWith("exposed-headers:", Assert.Throws<ArgumentException>(() =>
            (CorsPolicy.ForOrigins(App) with { AllowCredentials = true, ExposedHeaders = ["*"] }).Validate()).Message);
}
