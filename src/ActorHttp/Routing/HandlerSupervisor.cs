using Akka.Actor;
using Akka.Event;

namespace ActorHttp.Routing;

/// <summary>
/// Parent of the handler actors of one route table. A handler that throws is restarted (it has answered the failed
/// request with 500 if it derives from <see cref="Handlers.HttpHandlerActor"/>), so its route keeps working; one that
/// cannot even be created is stopped, and its route's requests time out with 503. A binding's supervisor is stopped,
/// with its handlers, when the binding terminates (see <see cref="RoutingExtensions.BindAsync"/>).
/// </summary>
internal sealed class HandlerSupervisor : ReceiveActor
{
    /// <summary>Reply to the creator: the actor serving each route, in route order.</summary>
    public sealed record Started(IReadOnlyList<IActorRef> Handlers);

    private readonly ILoggingAdapter _log = Context.GetLogger();

    public HandlerSupervisor(IReadOnlyList<RouteDefinition> routes)
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
        var result = new Started(handlers);
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
