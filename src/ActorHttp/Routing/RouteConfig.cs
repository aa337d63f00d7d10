using Akka.Actor;
using Akka.Configuration;
using ActorHttp.Handlers;
using ActorHttp.Handlers.StaticFiles;
using ActorHttp.Handlers.WebSockets;
using ActorHttp.Protocol;
using ActorHttp.Protocol.Compression;
using ActorHttp.Routing.Cors;
using ActorHttp.Routing.Filters;
using ActorHttp.Server;
using ActorHttp.Server.WebSockets;

namespace ActorHttp.Routing;

/// <summary>
/// Makes the handler Props of a route whose <c>handler</c> names a kind contributed by another assembly (see
/// <see cref="RouteConfig.Load"/>). <paramref name="route"/> is the route's object, <paramref name="key"/> its path
/// (<c>actor-http.routes.NAME</c>) for error messages; throw <see cref="ConfigurationException"/> naming the key.
/// </summary>
public delegate Props RouteHandlerFactory(Config route, string key);

/// <summary>
/// Makes the Props of an actor type that a route names by type (<c>handler = "Namespace.Type, Assembly"</c>), once
/// <see cref="RouteConfig.PropsOfType"/> has found the type and checked that it is a concrete actor. The default creates
/// it with a constructor taking the route's Config, or none; a host with dependency injection creates it from its
/// services instead. <paramref name="route"/> is the route's object.
/// </summary>
public delegate Props ActorTypeProps(Type actorType, Config route);

/// <summary>
/// Reads routes from HOCON (the <c>actor-http.routes</c> section, with the filters of <c>actor-http.filter-definitions</c>
/// they name, the CORS and compression policies of <c>actor-http.cors</c>, <c>actor-http.compression</c> and their own
/// <c>cors</c> and <c>compression</c> (see <see cref="RoutePolicies"/>), their limits, and whether they accept WebSockets
/// (<c>websocket = on</c>, or an object of streaming keys); syntax in reference.conf). Every
/// mistake is a <see cref="ConfigurationException"/> naming the route and the key.
/// </summary>
public static class RouteConfig
{
    /// <summary>Reads <c>actor-http.routes</c> from <paramref name="config"/>.</summary>
    /// <param name="config">The node's configuration.</param>
    /// <param name="extraHandlers">Further <c>handler = NAME</c> kinds by name (e.g. the cluster's <c>sharded</c>); they are
    /// looked up before the built-in kinds.</param>
    /// <param name="actorTypeProps">How handlers named by type are created; null: <see cref="PropsOfType"/>'s default.</param>
    public static Routes Load(Config config, IReadOnlyDictionary<string, RouteHandlerFactory>? extraHandlers = null, ActorTypeProps? actorTypeProps = null)
    {
        var routes = new Routes();
        var withDefaults = config.WithFallback(Server.HttpServer.DefaultConfig());
        var filters = FilterConfig.LoadDefinitions(withDefaults, actorTypeProps);
        var globalFilters = FilterConfig.Named(new ConfigKeys(withDefaults.GetConfig("actor-http"), "actor-http").List("filters"), "actor-http.filters", filters);
        var globalCors = RoutePolicies.Global(withDefaults, "cors", CorsOf);
        var globalCompression = RoutePolicies.Global(withDefaults, "compression", CompressionPolicy.FromConfig);
        if (!config.HasPath("actor-http.routes")) return routes;
        var section = config.GetConfig("actor-http.routes");
        if (section.IsEmpty) return routes;
        foreach (var name in section.Root.GetObject().Items.Keys)
        {
            var key = $"actor-http.routes.{name}";
            // `name = null` removes a route (one a file defines, from --set); Akka's GetConfig would fail on it.
            if (section.GetValue(name) is not { } value || (!value.IsObject() && value.GetString() == null)) continue;
            try
            {
                var route = section.GetConfig(name);
                var compression = RoutePolicies.ForRoute(route, key, "compression", withDefaults, globalCompression, CompressionPolicy.FromConfig);
                var (webSocket, streaming) = WebSocketOf(route, key, withDefaults);
                routes = LoadOne(routes, name, route, key, extraHandlers, actorTypeProps, compression, webSocket);
                var own = route.HasPath("filters") ? FilterConfig.Named(new ConfigKeys(route, key).List("filters"), $"{key}.filters", filters) : [];
                var cors = RoutePolicies.ForRoute(route, key, "cors", withDefaults, globalCors, CorsOf);
                var limits = LimitsOf(route, key);
                routes = routes.ChangeLast(definition => definition with
                {
                    Filters = [.. globalFilters, .. own], Cors = cors, Compression = compression, Limits = limits, WebSocketStreaming = streaming,
                });
            }
            catch (ConfigurationException) { throw; }
            catch (Exception e)
            {
                throw new ConfigurationException($"{key}: {e.Message}", e);
            }
        }
        return routes;
    }

    private static CorsPolicy CorsOf(Config section, string key) => CorsPolicy.FromConfig(section, key);

    /// <summary>A route's own <c>max-body-size</c>, <c>stream-request-body</c> and <c>response-timeout</c>, or null when it sets none.</summary>
    private static RouteLimits? LimitsOf(Config route, string key)
    {
        var keys = new ConfigKeys(route, key);
        var limits = new RouteLimits
        {
            MaxBodySize = route.HasPath("max-body-size") ? keys.Size("max-body-size", 0, int.MaxValue) : null,
            StreamRequestBody = route.HasPath("stream-request-body") ? keys.Bool("stream-request-body") : null,
            ResponseTimeout = route.HasPath("response-timeout") ? keys.Duration("response-timeout") : null,
        };
        return limits is { MaxBodySize: null, StreamRequestBody: null, ResponseTimeout: null } ? null : limits;
    }

    /// <summary>
    /// A route's <c>websocket</c>: absent or off, no upgrades; on, upgrades streamed as the server says; an object, upgrades
    /// streamed as its <c>stream-message-threshold</c> and <c>max-streamed-message-size</c> say (the keys it leaves out
    /// come from <c>actor-http.server.websocket</c>).
    /// </summary>
    private static (bool Accepts, WebSocketStreaming? Streaming) WebSocketOf(Config route, string key, Config config)
    {
        if (!route.HasPath("websocket")) return (false, null);
        if (!route.GetValue("websocket").IsObject()) return (new ConfigKeys(route, key).Bool("websocket"), null);
        var own = route.GetConfig("websocket").WithFallback(config.GetConfig("actor-http.server.websocket"));
        return (true, WebSocketStreaming.FromConfig(new ConfigKeys(own, $"{key}.websocket")));
    }

    private static Routes LoadOne(Routes routes, string name, Config route, string key, IReadOnlyDictionary<string, RouteHandlerFactory>? extraHandlers,
        ActorTypeProps? actorTypeProps, CompressionPolicy? compression, bool webSocket)
    {
        if (route == null || route.IsEmpty) throw new ConfigurationException($"{key}: must be an object with path, methods and handler");
        var path = route.GetString("path") ?? throw new ConfigurationException($"{key}.path is missing");
        IList<string> methods = route.HasPath("methods") ? route.GetStringList("methods")
            : route.HasPath("method") ? [route.GetString("method")] : [HttpMethods.Get];
        var handler = route.GetString("handler") ?? throw new ConfigurationException($"{key}.handler is missing (text, echo, websocket-echo, health, readiness, metrics, sleep, static, actor-census or a type name)");
        var props = extraHandlers != null && extraHandlers.TryGetValue(handler, out var factory) ? factory(route, key) : handler switch
        {
            "text" => TextHandler.Props(
                route.GetString("text") ?? throw new ConfigurationException($"{key}.text is missing (the text handler's body)"),
                route.GetString("content-type", "text/plain"),
                route.GetInt("status", 200) is var status and >= 200 and <= 599
                    ? status : throw new ConfigurationException($"{key}.status must be a final status, 200 to 599")),
            "echo" => EchoHandler.Props(),
            "websocket-echo" => WebSocketEchoHandler.Props(),
            "health" => HealthHandler.Props(),
            "readiness" => ReadinessHandler.Props(),
            "metrics" => MetricsHandler.Props(),
            "actor-census" => ActorCensusHandler.Props(),
            "sleep" => SleepHandler.Props(route.GetTimeSpan("delay", TimeSpan.FromSeconds(1)), route.GetTimeSpan("max-delay", TimeSpan.FromSeconds(10))),
            "static" => StaticFileHandler.Props(StaticFileSettings.FromConfig(route, key, PathTemplate.Parse(path).CatchAllParameter) with
            {
                Compression = compression,
            }),
            _ => PropsOfType(handler, route, key, create: actorTypeProps),
        };
        var dispatcher = route.GetString("dispatcher", "");
        if (!string.IsNullOrEmpty(dispatcher)) props = props.WithDispatcher(dispatcher);
        props = route.GetString("kind", "long-lived") switch
        {
            "long-lived" => props,
            "per-request" => HandlerProps.PerRequest(props),
            "pool" => HandlerProps.Pool(props, route.GetInt("instances", Environment.ProcessorCount) is var n and >= 1 and <= 1024
                ? n : throw new ConfigurationException($"{key}.instances must be between 1 and 1024")),
            var other => throw new ConfigurationException($"{key}.kind: '{other}' is not long-lived, per-request or pool"),
        };
        try
        {
            return routes.Add(methods, path, props, null, name, webSocket);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            throw new ConfigurationException($"{key}: {e.Message}", e);
        }
    }

    /// <summary>
    /// A user handler by type name: an actor type made by <paramref name="create"/>, or by default with a public
    /// constructor taking its route's Config, or none. Errors name <c>{key}.{setting}</c>: the route and the setting
    /// that named the type.
    /// </summary>
    public static Props PropsOfType(string typeName, Config route, string key, string setting = "handler", ActorTypeProps? create = null)
    {
        var type = Type.GetType(typeName, throwOnError: false)
                   ?? throw new ConfigurationException($"{key}.{setting}: type '{typeName}' not found (write \"Namespace.Type, Assembly\")");
        if (!typeof(ActorBase).IsAssignableFrom(type) || type.IsAbstract)
            throw new ConfigurationException($"{key}.{setting}: '{type.FullName}' is not a concrete actor type");
        if (create != null) return create(type, route);
        if (type.GetConstructor([typeof(Config)]) != null) return Props.Create(type, route);
        if (type.GetConstructor(Type.EmptyTypes) != null) return Props.Create(type);
        throw new ConfigurationException($"{key}.{setting}: '{type.FullName}' needs a public constructor taking no arguments or a Config");
    }
}
