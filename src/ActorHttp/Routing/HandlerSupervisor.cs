using Akka.Actor;
using Akka.Event;

namespace ActorHttp.Routing;

/// <summary>
/// Parent of the handler actors (and actor filters) of one route table. A handler that throws is restarted (it has answered the failed
/// request with 500 if it derives from <see cref="Handlers.HttpHandlerActor"/>), so its route keeps working; one that
/// cannot even be created is stopped, and its route's requests time out with 503. A binding's supervisor is stopped,
/// with its handlers, when the binding terminates (see <see cref="RoutingExtensions.BindAsync"/>).
/// </summary>
internal sealed class HandlerSupervisor : ReceiveActor
{
    /// <summary>Reply to the creator: the actor serving each route, in route order, and each actor filter, in the order given.</summary>
    public sealed record Started(IReadOnlyList<IActorRef> Handlers, IReadOnlyList<IActorRef> Filters);

    private readonly ILoggingAdapter _log = Context.GetLogger();

    /// <param name="routes">The routes whose handlers to create (or take, when they name an actor).</param>
    /// <param name="filters">Actor filters to create, by name and Props; they are supervised as handlers are.</param>
    public HandlerSupervisor(IReadOnlyList<RouteDefinition> routes, IReadOnlyList<(string Name, Props Props)> filters)
    {
        var created = new Dictionary<Props, IActorRef>(ReferenceEqualityComparer.Instance);
        var handlers = new List<IActorRef>(routes.Count);
        var index = 0;
        foreach (var route in routes)
        {
            if (route.Handler != null)
            {
                handlers.Add(route.Handler);
                continue;
            }
            if (!created.TryGetValue(route.HandlerProps!, out var actor))
            {
                actor = Context.ActorOf(route.HandlerProps!, $"handler-{index++}-{Sanitize(route.Name)}");
                created[route.HandlerProps!] = actor;
            }
            handlers.Add(actor);
        }
        var filterActors = filters.Select((filter, i) => Context.ActorOf(filter.Props, $"filter-{i}-{Sanitize(filter.Name)}")).ToList();
        var result = new Started(handlers, filterActors);
        Receive<GetHandlers>(_ => Sender.Tell(result));
    }

    /// <summary>Asks for the <see cref="Started"/> list.</summary>
    public sealed class GetHandlers
    {
        public static readonly GetHandlers Instance = new();
    }

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e =>
    {
        if (e is ActorInitializationException)
        {
            _log.Error(e, "handler could not be created; its route will answer 503");
            return Directive.Stop;
        }
        return Directive.Restart;
    });

    private static string Sanitize(string name) =>
        new(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').Take(40).ToArray());
}
