using Akka.Actor;
using ActorHttp.Protocol;

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
    bool WebSocket = false);

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
    public Routes WebSocket(string template, Props handler, string? name = null) =>
        Add([HttpMethods.Get], template, handler, null, name, webSocket: true);

    /// <summary>Adds a WebSocket route (GET) served by an existing actor.</summary>
    public Routes WebSocket(string template, IActorRef handler, string? name = null) =>
        Add([HttpMethods.Get], template, null, handler, name, webSocket: true);

    /// <summary>Adds the routes of <paramref name="other"/> after these.</summary>
    public Routes Concat(Routes other) => new([.. _definitions, .. other._definitions]);

    /// <summary>Adds a route; <paramref name="webSocket"/> marks it as accepting WebSocket upgrades (GET only).</summary>
    internal Routes Add(IEnumerable<string> methods, string template, Props? props, IActorRef? actor, string? name, bool webSocket = false)
    {
        var list = methods.Select(m => HttpMethods.Normalize(m.Trim())).Distinct().ToList();
        if (list.Count == 0) throw new ArgumentException($"route '{template}' names no method");
        foreach (var m in list)
            if (m.Length == 0 || !m.All(c => c < 0x80 && Protocol.Parsing.HttpSyntax.Token.Contains((byte)c)))
                throw new ArgumentException($"route '{template}': '{m}' is not a valid method name");
        if (webSocket && list is not [HttpMethods.Get])
            throw new ArgumentException($"route '{template}': a WebSocket route serves GET only (the upgrade is a GET), not {string.Join(", ", list)}");
        var parsed = PathTemplate.Parse(template);
        foreach (var existing in _definitions)
            if (existing.Template.Template == parsed.Template && existing.Methods.Intersect(list).FirstOrDefault() is { } clash)
                throw new ArgumentException($"route '{template}' is defined twice for {clash}");
        return new Routes([.. _definitions, new RouteDefinition(name ?? $"{string.Join(",", list)} {template}", list, parsed, props, actor, webSocket)]);
    }
}
