using Akka.Actor;
using Akka.Configuration;
using ActorHttp.Handlers;
using ActorHttp.Protocol;
using ActorHttp.Routing;
using Xunit;

namespace ActorHttp.Tests.Routing;

/// <summary>Handler kinds contributed to HOCON routes by other assemblies (<see cref="RouteConfig.Load"/>'s extra handlers).</summary>
[Trait("Category", "Routing")]
public sealed class RouteHandlerKindTests
{
    [Fact]
    public void A_contributed_kind_builds_the_route_handler_from_the_route_object()
    {
        (string? Text, string? Key) seen = default;
        var kinds = new Dictionary<string, RouteHandlerFactory>
        {
            ["greeting"] = (route, key) =>
            {
                seen = (route.GetString("text"), key);
                return TextHandler.Props(route.GetString("text"));
            },
        };
        var routes = RouteConfig.Load(ConfigurationFactory.ParseString("""
            actor-http.routes {
              hello { path = "/hello", handler = greeting, text = hi, kind = per-request }
              plain { path = "/plain", handler = text, text = plain }
            }
            """), kinds);
        Assert.Equal(("hi", "actor-http.routes.hello"), seen);
        Assert.Equal(typeof(PerRequestHandler), routes.Definitions[0].HandlerProps!.Type); // kind and dispatcher still apply
        Assert.Equal(typeof(TextHandler), routes.Definitions[1].HandlerProps!.Type);
    }

    [Fact]
    public void A_kind_the_node_does_not_know_is_read_as_a_type_name()
    {
        var e = Assert.Throws<ConfigurationException>(() => RouteConfig.Load(
            ConfigurationFactory.ParseString("actor-http.routes.r { path = \"/r\", handler = greeting }"), new Dictionary<string, RouteHandlerFactory>()));
        Assert.Contains("actor-http.routes.r.handler: type 'greeting' not found", e.Message);
    }

    [Fact]
    public void Types_named_by_other_settings_are_reported_under_that_setting()
    {
        var route = ConfigurationFactory.ParseString("greeting = hey");
        Assert.Equal(typeof(GreetingHandler), RouteConfig.PropsOfType(typeof(GreetingHandler).AssemblyQualifiedName!, route, "actor-http.routes.r", "entity-handler").Type);
        var e = Assert.Throws<ConfigurationException>(() => RouteConfig.PropsOfType("Nope, Nowhere", route, "actor-http.routes.r", "entity-handler"));
        Assert.StartsWith("actor-http.routes.r.entity-handler: type 'Nope, Nowhere' not found", e.Message);
    }

    [Fact]
    public void A_host_can_create_the_types_routes_name_its_own_way()
    {
        var made = new List<(Type Type, string? Greeting)>();
        ActorTypeProps create = (type, route) =>
        {
            made.Add((type, route.GetString("greeting")));
            return Props.Create(type, route);
        };
        var routes = RouteConfig.Load(ConfigurationFactory.ParseString($$"""
            actor-http.routes.r { path = "/r", handler = "{{typeof(GreetingHandler).AssemblyQualifiedName}}", greeting = hey, kind = per-request }
            """), actorTypeProps: create);
        Assert.Equal([(typeof(GreetingHandler), "hey")], made);
        Assert.Equal(typeof(PerRequestHandler), routes.Definitions[0].HandlerProps!.Type); // kind still applies
        // The type is still found and checked first: the factory never sees a type that is not an actor.
        var e = Assert.Throws<ConfigurationException>(() => RouteConfig.Load(
            ConfigurationFactory.ParseString("actor-http.routes.r { path = \"/r\", handler = \"System.String\" }"), actorTypeProps: create));
        Assert.Contains("actor-http.routes.r.handler: 'System.String' is not a concrete actor type", e.Message);
        Assert.Single(made);
    }
}

/// <summary>A handler configured by its route's object.</summary>
public sealed class GreetingHandler(Config route) : HttpHandlerActor
{
    protected override void OnRequest(HttpRequest request) => Respond(HttpResponse.Text(route.GetString("greeting")));
}
