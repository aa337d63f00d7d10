using Akka.Actor;
using ActorHttp.Protocol;
using ActorHttp.Routing.Cors;
using ActorHttp.Routing.Filters;
using ActorHttp.Server;

namespace ActorHttp.Routing;

/// <summary>
/// Routes with their handler actors resolved: the <see cref="IRequestRouter"/> the connections consult.
/// Literal paths are found with one dictionary lookup; templates are tried most specific first.
/// Unknown path → 404; known path, other method → 405 with <c>Allow</c> (OPTIONS → 204 with <c>Allow</c>);
/// a method no route names and RFC 9110 does not define → 501. <c>OPTIONS *</c> (asterisk-form, RFC 9110 §9.3.7) asks
/// about the server as a whole: 204 with <c>Allow</c> listing the methods of all routes; <c>*</c> with another method → 400.
/// A route with filters or a CORS policy goes through its <see cref="RoutePipeline"/>: a CORS preflight is answered here by
/// the policy of the route serving the method asked about (before any filter); other requests run the route's filters.
/// Paths whose routes have neither cost one null check.
/// </summary>
public sealed class RouteTable : IRequestRouter
{
    /// <summary>
    /// The handlers of one path: method → actor, and the Allow header listing them; method → pipeline for the routes with
    /// filters or a CORS policy (null when none has: the common case costs one null check).
    /// </summary>
    private sealed class PathHandlers(string template, Dictionary<string, IActorRef> byMethod, bool transparentHead, bool webSocket,
        Dictionary<string, RoutePipeline>? pipelines, Dictionary<string, RouteSettings>? settings)
    {
        /// <summary>Method → the route's limits and compression, for the routes that have any (null when none has).</summary>
        public readonly Dictionary<string, RouteSettings>? Settings = settings;
        public readonly string Template = template;
        /// <summary>The GET handler accepts WebSocket upgrades.</summary>
        public readonly bool WebSocket = webSocket;
        public readonly Dictionary<string, IActorRef> ByMethod = byMethod;
        public readonly Dictionary<string, RoutePipeline>? Pipelines = pipelines;
        public readonly string Allow = AllowHeader(byMethod.Keys, transparentHead);
    }

    /// <summary>
    /// The <c>Allow</c> value for <paramref name="methods"/>: standard methods in <see cref="HttpMethods.Standard"/> order,
    /// then the others in the order given; HEAD added where GET serves it.
    /// </summary>
    private static string AllowHeader(IEnumerable<string> methods, bool transparentHead)
    {
        var standard = HttpMethods.Standard.ToList();
        var all = methods.Concat(transparentHead && methods.Contains(HttpMethods.Get) ? [HttpMethods.Head] : []).Distinct();
        return string.Join(", ", all.OrderBy(m => standard.IndexOf(m) is var i and >= 0 ? i : standard.Count));
    }

    private static readonly HttpResponse NotFound = HttpResponse.Error(StatusCodes.NotFound);
    private static readonly HttpResponse NotImplemented = HttpResponse.Error(StatusCodes.NotImplemented, "method not supported");
    internal static readonly HttpResponse HandlerGone = HttpResponse.Error(StatusCodes.InternalServerError, "the route's handler has stopped");
    private static readonly HttpResponse AsteriskNotOptions = HttpResponse.Error(StatusCodes.BadRequest, "asterisk-form target only for OPTIONS");

    /// <summary>The request-target (and path) of asterisk-form, and the route name its answers are counted under.</summary>
    private const string Asterisk = "*";

    private readonly Dictionary<string, PathHandlers> _literal = new(StringComparer.Ordinal);
    private readonly List<(PathTemplate Template, PathHandlers Handlers)> _templates = [];
    private readonly bool _transparentHead;

    /// <summary>The answer to <c>OPTIONS *</c>: the server's own, built once.</summary>
    private readonly HttpResponse _serverOptions;

    /// <param name="routes">Each route with the actor that serves it.</param>
    /// <param name="transparentHead">Serve HEAD with the GET handler (the request is presented as GET).</param>
    /// <exception cref="ArgumentException">
    /// A route's filter must be made first (an actor filter from Props, or a filter factory): routes with those are
    /// materialized by <see cref="RoutingExtensions.MaterializeAsync"/> or bound with <c>BindAsync(routes)</c>.
    /// </exception>
    public RouteTable(IEnumerable<(RouteDefinition Route, IActorRef Handler)> routes, bool transparentHead = true)
        : this(routes, transparentHead, Unmaterialized) { }

    /// <param name="routes">Each route with the actor that serves it.</param>
    /// <param name="transparentHead">Serve HEAD with the GET handler.</param>
    /// <param name="filters">The materialized filter of each definition the routes name.</param>
    internal RouteTable(IEnumerable<(RouteDefinition Route, IActorRef Handler)> routes, bool transparentHead, Func<FilterDefinition, FilterStage> filters)
    {
        _transparentHead = transparentHead;
        var byTemplate = new Dictionary<string, (PathTemplate Template, Dictionary<string, IActorRef> Methods, bool WebSocket,
            Dictionary<string, RoutePipeline>? Pipelines, Dictionary<string, RouteSettings>? Settings)>(StringComparer.Ordinal);
        var corsRules = new Dictionary<CorsPolicy, CorsRules>(ReferenceEqualityComparer.Instance);
        foreach (var (route, handler) in routes)
        {
            if (!byTemplate.TryGetValue(route.Template.Template, out var entry))
                entry = (route.Template, new Dictionary<string, IActorRef>(StringComparer.Ordinal), false, null, null);
            foreach (var method in route.Methods) entry.Methods[method] = handler;
            if (route.Limits != null || route.Compression != null || route.WebSocketStreaming != null)
            {
                var settings = new RouteSettings(route.Limits, route.Compression, route.WebSocketStreaming);
                HasBodyLimits |= settings.HasBodyLimits;
                entry.Settings ??= new Dictionary<string, RouteSettings>(StringComparer.Ordinal);
                foreach (var method in route.Methods) entry.Settings[method] = settings;
            }
            if (route.Filters.Count > 0 || route.Cors != null)
            {
                CorsRules? cors = null;
                if (route.Cors != null && !corsRules.TryGetValue(route.Cors, out cors)) corsRules[route.Cors] = cors = new CorsRules(route.Cors);
                var pipeline = new RoutePipeline(handler, [.. route.Filters.Select(filters)], cors, route.Template.Template);
                entry.Pipelines ??= new Dictionary<string, RoutePipeline>(StringComparer.Ordinal);
                foreach (var method in route.Methods) entry.Pipelines[method] = pipeline;
            }
            byTemplate[route.Template.Template] = entry with { WebSocket = entry.WebSocket || route.WebSocket };
        }
        foreach (var (template, methods, webSocket, pipelines, settings) in byTemplate.Values)
        {
            var handlers = new PathHandlers(template.Template, methods, transparentHead, webSocket, pipelines, settings);
            if (template.IsLiteral) _literal[template.Template] = handlers;
            else _templates.Add((template, handlers));
        }
        _templates.Sort((a, b) => b.Template.Specificity.CompareTo(a.Template.Specificity));
        var served = byTemplate.Values.SelectMany(entry => entry.Methods.Keys);
        _serverOptions = new HttpResponse { Status = StatusCodes.NoContent, Headers = [new HttpHeader("Allow", AllowHeader(served, transparentHead))] };
    }

    /// <inheritdoc />
    public bool HasBodyLimits { get; }

    /// <inheritdoc />
    public RouteSettings? SettingsFor(string method, string path)
    {
        if (FindPath(path, out _) is not { Settings: { } settings }) return null;
        if (settings.TryGetValue(method, out var own)) return own;
        return _transparentHead && ReferenceEquals(method, HttpMethods.Head) && settings.TryGetValue(HttpMethods.Get, out own) ? own : null;
    }

    /// <summary>The handlers of <paramref name="path"/>: a literal route's (one lookup), else the most specific template's that matches.</summary>
    private PathHandlers? FindPath(string path, out Dictionary<string, string>? values)
    {
        values = null;
        if (_literal.TryGetValue(path, out var handlers)) return handlers;
        foreach (var (template, candidate) in _templates)
            if (template.TryMatch(path, out values)) return candidate;
        return null;
    }

    /// <inheritdoc />
    public RouteDecision Route(HttpRequest request)
    {
        // Paths start with '/', so asterisk-form never names a route: it is asked here, off the literal hot path.
        var handlers = FindPath(request.Path, out var values);
        if (handlers == null)
            return request.Path == Asterisk
                ? RouteDecision.Respond(request.Method == HttpMethods.Options ? _serverOptions : AsteriskNotOptions, Asterisk)
                : RouteDecision.Respond(NotFound);
        if (handlers.Settings == null) return RouteOnPath(handlers, request, values);
        var decision = RouteOnPath(handlers, request, values);
        var method = request.Method;
        if (handlers.Settings.TryGetValue(method, out var settings)
            || (_transparentHead && ReferenceEquals(method, HttpMethods.Head) && handlers.Settings.TryGetValue(HttpMethods.Get, out settings)))
            decision = decision with { Settings = settings };
        return decision;
    }

    /// <summary>Routes a request to one of the handlers of its path (or answers 405/501/OPTIONS).</summary>
    private RouteDecision RouteOnPath(PathHandlers handlers, HttpRequest request, Dictionary<string, string>? values)
    {
        var method = request.Method;
        if (handlers.Pipelines != null) return RouteWithPipelines(handlers, request, values);
        if (handlers.ByMethod.TryGetValue(method, out var handler))
            return Dispatch(handler, values == null ? request : request with { RouteValues = values }, handlers.Template,
                handlers.WebSocket && ReferenceEquals(method, HttpMethods.Get));
        if (_transparentHead && ReferenceEquals(method, HttpMethods.Head) && handlers.ByMethod.TryGetValue(HttpMethods.Get, out handler))
            return Dispatch(handler, request with { Method = HttpMethods.Get, RouteValues = values ?? request.RouteValues }, handlers.Template);
        return NoHandler(handlers, method);
    }

    /// <summary>
    /// <see cref="Route"/> for a path where a route has filters or a CORS policy: a CORS preflight is answered by the
    /// policy of the route serving the method it asks about; a route with a pipeline goes through it; the rest as usual.
    /// </summary>
    private RouteDecision RouteWithPipelines(PathHandlers handlers, HttpRequest request, Dictionary<string, string>? values)
    {
        var method = request.Method;
        var pipelines = handlers.Pipelines!;
        if (ReferenceEquals(method, HttpMethods.Options) && CorsRules.IsPreflight(request, out var origin, out var asked)
            && Preflight(handlers, request, origin, HttpMethods.Normalize(asked)) is { } preflight)
            return RouteDecision.Respond(preflight, handlers.Template);

        var webSocket = false;
        if (handlers.ByMethod.ContainsKey(method)) webSocket = handlers.WebSocket && ReferenceEquals(method, HttpMethods.Get);
        else if (_transparentHead && ReferenceEquals(method, HttpMethods.Head) && handlers.ByMethod.ContainsKey(HttpMethods.Get))
            (request, method) = (request with { Method = HttpMethods.Get }, HttpMethods.Get);
        else return NoHandler(handlers, method);

        if (values != null) request = request with { RouteValues = values };
        return pipelines.TryGetValue(method, out var pipeline)
            ? pipeline.Decide(request, webSocket)
            : Dispatch(handlers.ByMethod[method], request, handlers.Template, webSocket);
    }

    /// <summary>
    /// The answer of the CORS policy of the route serving <paramref name="asked"/> (GET's for HEAD when HEAD is
    /// transparent), or null: no such route, no policy, or one that does not allow the preflight.
    /// </summary>
    private HttpResponse? Preflight(PathHandlers handlers, HttpRequest request, string origin, string asked)
    {
        var serving = _transparentHead && ReferenceEquals(asked, HttpMethods.Head) && !handlers.ByMethod.ContainsKey(asked) ? HttpMethods.Get : asked;
        return handlers.Pipelines!.TryGetValue(serving, out var pipeline) ? pipeline.Cors?.Preflight(request, origin, asked) : null;
    }

    /// <summary>The path is known, but no route serves <paramref name="method"/>: OPTIONS → 204, unknown method → 501, else 405.</summary>
    private static RouteDecision NoHandler(PathHandlers handlers, string method)
    {
        if (ReferenceEquals(method, HttpMethods.Options))
            return RouteDecision.Respond(new HttpResponse { Status = StatusCodes.NoContent, Headers = [new HttpHeader("Allow", handlers.Allow)] }, handlers.Template);
        if (!HttpMethods.IsStandard(method)) return RouteDecision.Respond(NotImplemented, handlers.Template);
        return RouteDecision.Respond(HttpResponse.Error(StatusCodes.MethodNotAllowed) with { Headers = [new HttpHeader("Allow", handlers.Allow)] }, handlers.Template);
    }

    /// <summary>A handler that has stopped would never answer: say so at once (500) rather than after the response timeout.</summary>
    private static RouteDecision Dispatch(IActorRef handler, HttpRequest request, string route, bool webSocket = false) =>
        IsTerminated(handler)
            ? RouteDecision.Respond(HandlerGone, route)
            : RouteDecision.Dispatch(handler, request, route, webSocket);

    // IsTerminated is marked obsolete in favour of Watch, but a watch per handler per connection would cost system
    // messages on every accept; this local flag read is exact for the local handler actors routes hold.
#pragma warning disable CS0618
    internal static bool IsTerminated(IActorRef handler) => handler is IInternalActorRef { IsTerminated: true };
#pragma warning restore CS0618

    /// <summary>The filters a table built without an actor system can use: instances and existing actors.</summary>
    private static FilterStage Unmaterialized(FilterDefinition filter) =>
        filter.Instance != null || filter.Actor != null
            ? new FilterStage(filter.Name, filter.Instance, filter.Actor)
            : throw new ArgumentException($"filter '{filter.Name}' must be made by RoutingExtensions.MaterializeAsync or BindAsync(routes)");
}
