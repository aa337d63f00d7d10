using Akka.Configuration;
using ActorHttp.Protocol;
using ActorHttp.Routing;
using ActorHttp.Routing.Cors;
using ActorHttp.Routing.Filters;
using Xunit;

namespace ActorHttp.Tests.Routing;

/// <summary>Filters and CORS in HOCON: <c>actor-http.filter-definitions</c>, <c>actor-http.filters</c>, <c>actor-http.cors</c> and routes' own.</summary>
[Trait("Category", "Routing")]
public sealed class FilterConfigTests
{
    private const string Key = "demo-0123456789abcdef";

    private static Routes Load(string hocon) => RouteConfig.Load(ConfigurationFactory.ParseString(hocon));

    private static RouteDefinition Route(Routes routes, string name) => routes.Definitions.Single(d => d.Name == name);

    [Fact]
    public void Global_filters_run_before_a_routes_own_and_a_definition_is_one_filter()
    {
        var routes = Load($$"""
            actor-http {
              filter-definitions {
                keys { type = api-key, header = "X-Api-Key", keys { ci = "{{Key}}" } }
                limit { type = rate-limit, capacity = 5 }
                tag { type = "{{typeof(TagFilter).AssemblyQualifiedName}}", tag = blue }
              }
              filters = [limit]
              routes {
                a { path = "/a", handler = echo, filters = [keys, tag] }
                b { path = "/b", handler = echo }
              }
            }
            """);
        Assert.Equal(["limit", "keys", "tag"], Route(routes, "a").Filters.Select(f => f.Name));
        Assert.Equal(["limit"], Route(routes, "b").Filters.Select(f => f.Name));
        Assert.Same(Route(routes, "a").Filters[0], Route(routes, "b").Filters[0]);
        Assert.False(Route(routes, "a").Filters[2].IsActor);
    }

    [Fact]
    public void A_filter_type_is_made_with_its_definition_or_as_an_actor()
    {
        var routes = Load($$"""
            actor-http.filter-definitions {
              tag { type = "{{typeof(TagFilter).AssemblyQualifiedName}}", tag = blue }
              actor { type = "{{typeof(DenyAllFilter).AssemblyQualifiedName}}" }
            }
            actor-http.routes.a { path = "/a", handler = echo, filters = [tag, actor] }
            """);
        var tag = Route(routes, "a").Filters[0];
        Assert.Equal("tag", tag.Name);
        Assert.Equal("blue", tag.Instance!.Filter(new HttpRequest { Method = "GET", Target = "/a", Path = "/a" }).Request!.Items["tag"]);
        var actor = Route(routes, "a").Filters[1];
        Assert.True(actor.IsActor);
        Assert.Equal(typeof(DenyAllFilter), actor.Props!.Type);
    }

    [Fact]
    public void The_built_in_types_take_their_defaults_from_filter_defaults()
    {
        var routes = Load($$"""
            actor-http.filter-defaults.rate-limit.capacity = 7
            actor-http.filter-definitions.keys { type = api-key, keys { ci = "{{Key}}" } }
            actor-http.filter-definitions.limit { type = rate-limit }
            actor-http.routes.a { path = "/a", handler = echo, filters = [keys, limit] }
            """);
        Assert.Equal(["keys", "limit"], Route(routes, "a").Filters.Select(f => f.Name));
        var limit = Route(routes, "a").Filters[1].Factory!(new FilterContext(null!, new Microsoft.Extensions.Time.Testing.FakeTimeProvider()));
        var request = new HttpRequest { Method = "GET", Target = "/a", Path = "/a" };
        Assert.Equal(7, Enumerable.Range(0, 10).Count(_ => limit.Filter(request).Response == null));
    }

    [Fact]
    public void Global_cors_applies_to_every_route_a_routes_own_overrides_it_and_off_opts_out()
    {
        var routes = Load("""
            actor-http {
              cors { enabled = on, allowed-origins = ["https://app.example.com"], max-age = 1m }
              routes {
                a { path = "/a", handler = echo }
                b { path = "/b", handler = echo, cors { allowed-origins = "*", max-age = off } }
                c { path = "/c", handler = echo, cors = off }
                d { path = "/d", handler = echo, cors { enabled = off } }
              }
            }
            """);
        var on = Load("""
            actor-http.cors.allowed-origins = ["http://localhost:5173"]
            actor-http.routes.a { path = "/a", handler = echo, cors = on }
            actor-http.routes.b { path = "/b", handler = echo }
            """);
        Assert.Equal(["http://localhost:5173"], Route(on, "a").Cors!.AllowedOrigins); // the global policy, for this route only
        Assert.Null(Route(on, "b").Cors);
        Assert.Equal(["https://app.example.com"], Route(routes, "a").Cors!.AllowedOrigins);
        Assert.Equal(TimeSpan.FromMinutes(1), Route(routes, "a").Cors!.MaxAge);
        Assert.True(Route(routes, "b").Cors!.AnyOrigin);
        Assert.Null(Route(routes, "b").Cors!.MaxAge);
        Assert.Null(Route(routes, "c").Cors);
        Assert.Null(Route(routes, "d").Cors);
    }

    [Fact]
    public void Without_global_cors_only_routes_that_ask_have_it()
    {
        var routes = Load("""
            actor-http.cors.allowed-headers = [content-type]
            actor-http.routes {
              a { path = "/a", handler = echo }
              b { path = "/b", handler = echo, cors { allowed-origins = ["http://localhost:5173"], allow-credentials = on } }
            }
            """);
        Assert.Null(Route(routes, "a").Cors);
        var b = Route(routes, "b").Cors!;
        Assert.Equal(["content-type"], b.AllowedHeaders); // from actor-http.cors
        Assert.True(b.AllowCredentials);
    }

    [Fact]
    public void The_defaults_are_reference_conf()
    {
        var routes = Load("actor-http.routes.a { path = \"/a\", handler = echo }");
        Assert.Empty(Route(routes, "a").Filters);
        Assert.Null(Route(routes, "a").Cors);
        var cors = Load("actor-http.routes.a { path = \"/a\", handler = echo, cors.allowed-origins = \"*\" }").Definitions[0].Cors!;
        Assert.Equal((0, 0, 0, false, TimeSpan.FromMinutes(10)),
            (cors.AllowedMethods.Count, cors.AllowedHeaders.Count, cors.ExposedHeaders.Count, cors.AllowCredentials, cors.MaxAge));
        Assert.Equal("Authorization", ApiKeySettings.Default.Header);
        Assert.Empty(ApiKeySettings.Default.Keys);
    }

    [Theory]
    [InlineData("actor-http.filters = [nope]", "actor-http.filters: no filter named 'nope' in actor-http.filter-definitions")]
    [InlineData("actor-http.routes.r.filters = [nope]", "actor-http.routes.r.filters: no filter named 'nope'")]
    [InlineData("actor-http.filter-definitions.f = 3", "actor-http.filter-definitions.f: must be an object with a type")]
    [InlineData("actor-http.filter-definitions.f { header = x }", "actor-http.filter-definitions.f.type is missing")]
    [InlineData("actor-http.filter-definitions.f { type = magic }", "actor-http.filter-definitions.f.type: 'magic' is not api-key or rate-limit, nor a type found")]
    [InlineData("actor-http.filter-definitions.f { type = \"System.String\" }", "actor-http.filter-definitions.f.type: 'System.String' is not a concrete actor type")]
    [InlineData("actor-http.filter-definitions.f { type = api-key }", "actor-http.filter-definitions.f.keys: at least one key is needed")]
    [InlineData("actor-http.filter-definitions.f { type = api-key, keys.ci = short }", "actor-http.filter-definitions.f.keys.ci: a key must have at least 16 characters")]
    [InlineData("actor-http.filter-definitions.f { type = api-key, header = \"X Key\", keys.ci = " + Key + " }", "actor-http.filter-definitions.f.header: 'X Key' is not a header name")]
    [InlineData("actor-http.filter-definitions.f { type = rate-limit, capacity = 0 }", "actor-http.filter-definitions.f.capacity must be between 1 and")]
    [InlineData("actor-http.filter-definitions.f { type = rate-limit, refill-period = 0s }", "actor-http.filter-definitions.f.refill-period must be a positive duration")]
    [InlineData("actor-http.filter-definitions.f { type = rate-limit, by = user }", "actor-http.filter-definitions.f.by: 'user' is not client-address or api-key")]
    [InlineData("actor-http.cors { enabled = on, allowed-origins = [\"*\"], allow-credentials = on }", "actor-http.cors.allowed-origins: \"*\" (any origin) cannot be combined with allow-credentials = on")]
    [InlineData("actor-http.cors { enabled = on }", "actor-http.cors.allowed-origins: list the origins allowed")]
    [InlineData("actor-http.cors { enabled = maybe }", "actor-http.cors.enabled: invalid value 'maybe'")]
    [InlineData("actor-http.routes.r.cors { allowed-origins = [\"https://app.example.com/\"] }", "actor-http.routes.r.cors.allowed-origins: write 'https://app.example.com/' as browsers send it: 'https://app.example.com'")]
    [InlineData("actor-http.routes.r.cors { allowed-origins = [\"*\"], exposed-headers = [\"a b\"] }", "actor-http.routes.r.cors.exposed-headers: 'a b' is not a header name")]
    [InlineData("actor-http.routes.r.cors { allowed-origins = [\"*\"], max-age = soon }", "actor-http.routes.r.cors.max-age: invalid value 'soon'")]
    [InlineData("actor-http.routes.r.cors = sometimes", "actor-http.routes.r.cors: 'sometimes' is neither off, on nor an object")]
    public void Mistakes_are_named_by_key(string hocon, string expected)
    {
        var e = Assert.Throws<ConfigurationException>(() => Load(hocon + "\nactor-http.routes.r { path = \"/r\", handler = echo }"));
        Assert.Contains(expected, e.Message);
    }
}

/// <summary>A filter named by type in HOCON, made with its definition: adds its <c>tag</c> as an item.</summary>
public sealed class TagFilter(Config definition) : IRequestFilter
{
    private readonly string _tag = definition.GetString("tag");

    public FilterResult Filter(HttpRequest request) => FilterResult.Continue(request.WithItem("tag", _tag));
}

/// <summary>An actor filter named by type in HOCON: answers 403 to everything.</summary>
public sealed class DenyAllFilter : RequestFilterActor
{
    protected override Task<FilterResult> FilterAsync(HttpRequest request) =>
        Task.FromResult(FilterResult.Respond(HttpResponse.Error(StatusCodes.Forbidden)));
}
