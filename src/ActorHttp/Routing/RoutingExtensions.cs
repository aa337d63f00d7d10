using Akka.Actor;
using Akka.Configuration;
using ActorHttp.Routing.Filters;
using ActorHttp.Server;

namespace ActorHttp.Routing;

/// <summary>Binding a server to a <see cref="Routes"/> table.</summary>
public static class RoutingExtensions
{
    /// <summary>
    /// How long terminating a binding waits for its handler actors to stop. A handler stops once its current message is
    /// handled; one stuck in a blocking call is left to stop when that returns, without holding up the termination.
    /// </summary>
    private static readonly TimeSpan HandlerStopTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Creates the routes' handler actors (under one supervisor), then binds a listener that serves them. The handler
    /// actors live as long as the binding: <see cref="ServerBinding.TerminateAsync"/> stops them once its connections
    /// are gone.
    /// </summary>
    /// <exception cref="ConfigurationException">A route names a dispatcher that is not configured.</exception>
    /// <exception cref="BindFailedException">The address could not be bound.</exception>
    public static async Task<ServerBinding> BindAsync(this HttpServer server, Routes routes, ServerSettings? settings = null)
    {
        settings ??= server.Settings;
        var (table, supervisor) = await StartHandlersAsync(server.System, routes, settings.TransparentHeadRequests, settings.Clock).ConfigureAwait(false);
        ServerBinding binding;
        try
        {
            binding = await server.BindAsync(table, settings).ConfigureAwait(false);
        }
        catch
        {
            server.System.Stop(supervisor); // no request will ever reach these handlers
            throw;
        }
        binding.OnTerminated(() => StopHandlersAsync(supervisor));
        return binding;
    }

    private static async Task StopHandlersAsync(IActorRef supervisor)
    {
        try
        {
            await supervisor.GracefulStop(HandlerStopTimeout).ConfigureAwait(false);
        }
        catch (TaskCanceledException) { } // still stopping (see HandlerStopTimeout)
    }

    /// <summary>The handler props a per-request wrapper creates its actors from, if <paramref name="props"/> is one.</summary>
    private static Props? InnerProps(Props props) =>
        props.Type == typeof(Handlers.PerRequestHandler) && props.Arguments is [Props inner] ? inner : null;

    /// <summary>
    /// Creates the handler actors (and filters) of <paramref name="routes"/> and returns the table that routes to them. They
    /// live until the actor system stops (<see cref="BindAsync"/> instead ties them to its binding). <paramref name="clock"/>
    /// is what time-dependent filters read (a binding's <see cref="ServerSettings.Clock"/>); the system's by default.
    /// </summary>
    public static async Task<RouteTable> MaterializeAsync(ActorSystem system, Routes routes, bool transparentHead = true, TimeProvider? clock = null) =>
        (await StartHandlersAsync(system, routes, transparentHead, clock ?? TimeProvider.System).ConfigureAwait(false)).Table;

    /// <summary>
    /// Creates the handler actors and actor filters under one supervisor and the plain filters from their factories (one
    /// per definition, however many routes name it); returns the table routing to them, and the supervisor.
    /// </summary>
    private static async Task<(RouteTable Table, IActorRef Supervisor)> StartHandlersAsync(ActorSystem system, Routes routes, bool transparentHead,
        TimeProvider clock)
    {
        HttpServer.Get(system); // makes reference.conf (and its blocking-dispatcher) visible to the system
        var filters = routes.Definitions.SelectMany(route => route.Filters).Distinct(ReferenceEqualityComparer.Instance).Cast<FilterDefinition>().ToList();
        foreach (var route in routes.Definitions)
            for (var props = route.HandlerProps; props != null; props = InnerProps(props))
                CheckDispatcher(system, props, $"route '{route.Name}'");
        foreach (var filter in filters)
            for (var props = filter.Props; props != null; props = InnerProps(props))
                CheckDispatcher(system, props, $"filter '{filter.Name}'");

        var actorFilters = filters.Where(f => f.Props != null).ToList();
        IReadOnlyList<(string, Props)> filterProps = [.. actorFilters.Select(f => (f.Name, f.Props!))];
        var supervisor = system.ActorOf(Props.Create(() => new HandlerSupervisor(routes.Definitions, filterProps)));
        var started = await supervisor.Ask<HandlerSupervisor.Started>(HandlerSupervisor.GetHandlers.Instance, TimeSpan.FromSeconds(10)).ConfigureAwait(false);

        var stages = new Dictionary<FilterDefinition, FilterStage>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < actorFilters.Count; i++) stages[actorFilters[i]] = new FilterStage(actorFilters[i].Name, null, started.Filters[i]);
        try
        {
            var context = new FilterContext(system, clock);
            foreach (var filter in filters.Where(f => f.Props == null))
                stages[filter] = new FilterStage(filter.Name, filter.Instance ?? filter.Factory?.Invoke(context), filter.Actor);
        }
        catch
        {
            system.Stop(supervisor);
            throw;
        }
        return (new RouteTable(routes.Definitions.Select((route, i) => (route, started.Handlers[i])), transparentHead, f => stages[f]), supervisor);
    }

    private static void CheckDispatcher(ActorSystem system, Props props, string owner)
    {
        var dispatcher = props.Dispatcher;
        if (!string.IsNullOrEmpty(dispatcher) && dispatcher != Akka.Dispatch.Dispatchers.DefaultDispatcherId && !system.Dispatchers.HasDispatcher(dispatcher))
            throw new ConfigurationException($"{owner}: dispatcher '{dispatcher}' is not configured");
    }
}
