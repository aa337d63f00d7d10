using Akka.Actor;
using ActorHttp.Protocol;
using ActorHttp.Protocol.Compression;
using ActorHttp.Routing.Cors;
using ActorHttp.Routing.Filters;
using ActorHttp.Server;
using ActorHttp.Server.WebSockets;

namespace ActorHttp.Routing;

/// <summary>One route: the methods and path template it serves and the actor that handles it.</summary>
/// <param name="Name">A name for logs and errors (the HOCON key for configured routes).</param>
/// <param name="Methods">Methods served, as sent (case-sensitive, e.g. GET).</param>
/// <param name="Template">The path template.</param>
/// <param name="HandlerProps">Props of a handler actor the server creates for this route (one actor per distinct Props instance).</param>
/// <param name="Handler">An existing actor to send the requests to, instead of <paramref name="HandlerProps"/>.</param>
/// <param name="WebSocket">
/// The route accepts WebSocket upgrades (GET only): a valid handshake reaches the handler with
/// <see cref="HttpRequest.WebSocket"/> set, to be answered with a <c>WebSocketAccept</c> or an ordinary refusal.
/// </param>
public sealed record RouteDefinition(string Name, IReadOnlyList<string> Methods, PathTemplate Template, Props? HandlerProps, IActorRef? Handler,
    bool WebSocket = false)
{
    /// <summary>Filters the request passes, in order, before it reaches the handler (see <see cref="Routes.WithFilters(FilterDefinition[])"/>).</summary>
    public IReadOnlyList<FilterDefinition> Filters { get; init; } = [];

    /// <summary>The route's CORS policy, or null for none (see <see cref="Routes.WithCors"/>).</summary>
    public CorsPolicy? Cors { get; init; }

    /// <summary>The route's response compression, or null for none (see <see cref="Routes.WithCompression"/>).</summary>
    public CompressionPolicy? Compression { get; init; }

    /// <summary>The route's own limits, or null for the server's (see <see cref="Routes.WithLimits"/>).</summary>
    public RouteLimits? Limits { get; init; }

    /// <summary>
    /// Whether the route's sockets stream large messages to the handler, where it differs from the server's
    /// <c>websocket.stream-message-threshold</c>; null: as the server says (see <see cref="Routes.WebSocket(string, Props, string?, WebSocketStreaming?)"/>).
    /// </summary>
    public WebSocketStreaming? WebSocketStreaming { get; init; }
}

/// <summary>
/// Builds a route table in code: <c>new Routes().Get("/plaintext", TextHandler.Props("Hello"))</c>.
/// Immutable: every call returns a new instance.
/// </summary>
public sealed class Routes
{
    private readonly IReadOnlyList<RouteDefinition> _definitions;

    public Routes() : this([]) { }

    private Routes(IReadOnlyList<RouteDefinition> definitions) => _definitions = definitions;

    /// <summary>The routes, in the order added.</summary>
    public IReadOnlyList<RouteDefinition> Definitions => _definitions;

    /// <summary>Adds a route served by an actor created from <paramref name="handler"/>.</summary>
    public Routes Map(IEnumerable<string> methods, string template, Props handler, string? name = null) =>
        Add(methods, template, handler, null, name);

    /// <summary>Adds a route served by an existing actor.</summary>
    public Routes Map(IEnumerable<string> methods, string template, IActorRef handler, string? name = null) =>
        Add(methods, template, null, handler, name);

    public Routes Get(string template, Props handler) => Map([HttpMethods.Get], template, handler);
    public Routes Post(string template, Props handler) => Map([HttpMethods.Post], template, handler);
    public Routes Put(string template, Props handler) => Map([HttpMethods.Put], template, handler);
    public Routes Delete(string template, Props handler) => Map([HttpMethods.Delete], template, handler);
    public Routes Get(string template, IActorRef handler) => Map([HttpMethods.Get], template, handler);
    public Routes Post(string template, IActorRef handler) => Map([HttpMethods.Post], template, handler);

    /// <summary>
    /// Adds a WebSocket route (GET): an upgrade request with a valid handshake reaches an actor created from
    /// <paramref name="handler"/> with <see cref="HttpRequest.WebSocket"/> set; a plain GET reaches it as usual.
    /// </summary>
    /// <param name="template">The path template.</param>
    /// <param name="handler">Props of the handler actor.</param>
    /// <param name="name">A name for logs and errors.</param>
    /// <param name="streaming">
    /// Messages past a threshold reach the handler streamed (<see cref="WebSocketStreaming.Above"/>), or never
    /// (<see cref="WebSocketStreaming.Off"/>); null: as the server's <c>websocket.stream-message-threshold</c> says.
    /// </param>
    /// <exception cref="ArgumentException"><paramref name="streaming"/> is out of range.</exception>
    public Routes WebSocket(string template, Props handler, string? name = null, WebSocketStreaming? streaming = null) =>
        Add([HttpMethods.Get], template, handler, null, name, webSocket: true, streaming);

    /// <summary>Adds a WebSocket route (GET) served by an existing actor (see <see cref="WebSocket(string, Props, string?, WebSocketStreaming?)"/>).</summary>
    public Routes WebSocket(string template, IActorRef handler, string? name = null, WebSocketStreaming? streaming = null) =>
        Add([HttpMethods.Get], template, null, handler, name, webSocket: true, streaming);

    /// <summary>
    /// Runs <paramref name="filters"/>, in the order given, before the handler of every route defined so far (to cover all
    /// routes, call it last; to cover some, on a <see cref="Routes"/> of their own that you <see cref="Concat"/>). Each call
    /// wraps what is there: its filters run before those the routes already have, as global filters run before a route's
    /// own in HOCON. A definition named by several routes is one filter (e.g. one set of rate-limit buckets).
    /// </summary>
    public Routes WithFilters(params FilterDefinition[] filters)
    {
        if (filters.Length == 0) return this;
        return new([.. _definitions.Select(d => d with { Filters = [.. filters, .. d.Filters] })]);
    }

    /// <summary>Runs plain <paramref name="filters"/> before the routes defined so far (see <see cref="WithFilters(FilterDefinition[])"/>).</summary>
    public Routes WithFilters(params IRequestFilter[] filters) => WithFilters([.. filters.Select(f => FilterDefinition.Of(f))]);

    /// <summary>
    /// Gives the routes defined so far that have no CORS policy of their own <paramref name="policy"/> (a policy set
    /// earlier, closer to the route, wins).
    /// </summary>
    /// <exception cref="ArgumentException">The policy is unusable or unsafe (e.g. any origin with credentials).</exception>
    public Routes WithCors(CorsPolicy policy)
    {
        policy.Validate();
        return new([.. _definitions.Select(d => d.Cors == null ? d with { Cors = policy } : d)]);
    }

    /// <summary>
    /// Compresses the responses of the routes defined so far that have no compression policy of their own (a policy set
    /// earlier, closer to the route, wins) as <paramref name="policy"/> says, <see cref="CompressionPolicy.Default"/> when
    /// null: gzip or Brotli as the client accepts, for compressible types of 1 KiB and more; compressed request bodies are
    /// decoded.
    /// </summary>
    /// <exception cref="ArgumentException">The policy is unusable.</exception>
    public Routes WithCompression(CompressionPolicy? policy = null)
    {
        policy ??= CompressionPolicy.Default;
        policy.Validate();
        return new([.. _definitions.Select(d => d.Compression == null ? d with { Compression = policy } : d)]);
    }

    /// <summary>
    /// Gives the routes defined so far <paramref name="limits"/> (max body size, streamed bodies, response timeout) where
    /// they have none of their own: a limit set earlier, closer to the route, wins, property by property.
    /// </summary>
    /// <exception cref="ArgumentException">A limit is out of range.</exception>
    public Routes WithLimits(RouteLimits limits)
    {
        limits.Validate();
        return new([.. _definitions.Select(d => d with { Limits = d.Limits == null ? limits : Merge(d.Limits, limits) })]);
    }

    private static RouteLimits Merge(RouteLimits own, RouteLimits outer) => new()
    {
        MaxBodySize = own.MaxBodySize ?? outer.MaxBodySize,
        StreamRequestBody = own.StreamRequestBody ?? outer.StreamRequestBody,
        ResponseTimeout = own.ResponseTimeout ?? outer.ResponseTimeout,
    };

    /// <summary>The routes with the last one changed by <paramref name="change"/> (HOCON routes get their filters so).</summary>
    internal Routes ChangeLast(Func<RouteDefinition, RouteDefinition> change) => new([.. _definitions.SkipLast(1), change(_definitions[^1])]);

    /// <summary>Adds the routes of <paramref name="other"/> after these.</summary>
    public Routes Concat(Routes other) => new([.. _definitions, .. other._definitions]);

    /// <summary>
    /// Adds a route; <paramref name="webSocket"/> marks it as accepting WebSocket upgrades (GET only), whose sockets stream
    /// as <paramref name="streaming"/> says (null: as the server's).
    /// </summary>
    internal Routes Add(IEnumerable<string> methods, string template, Props? props, IActorRef? actor, string? name, bool webSocket = false,
        WebSocketStreaming? streaming = null)
    {
        var list = methods.Select(m => HttpMethods.Normalize(m.Trim())).Distinct().ToList();
        if (list.Count == 0) throw new ArgumentException($"route '{template}' names no method");
        foreach (var m in list)
            if (m.Length == 0 || !m.All(c => c < 0x80 && Protocol.Parsing.HttpSyntax.Token.Contains((byte)c)))
                throw new ArgumentException($"route '{template}': '{m}' is not a valid method name");
        if (webSocket && list is not [HttpMethods.Get])
            throw new ArgumentException($"route '{template}': a WebSocket route serves GET only (the upgrade is a GET), not {string.Join(", ", list)}");
        streaming?.Validate();
        var parsed = PathTemplate.Parse(template);
        foreach (var existing in _definitions)
            if (existing.Template.Template == parsed.Template && existing.Methods.Intersect(list).FirstOrDefault() is { } clash)
                throw new ArgumentException($"route '{template}' is defined twice for {clash}");
        return new Routes([.. _definitions, new RouteDefinition(name ?? $"{string.Join(",", list)} {template}", list, parsed, props, actor, webSocket)
        {
            WebSocketStreaming = streaming,
        }]);
    }
}
