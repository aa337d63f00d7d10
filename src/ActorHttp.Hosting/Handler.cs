using Akka.Actor;
using Akka.Configuration;
using Akka.DependencyInjection;
using Akka.Hosting;
using ActorHttp.Handlers;
using ActorHttp.Routing;

namespace ActorHttp.Hosting;

/// <summary>
/// The handler of a hosted route, described before the actor system exists and made when <c>WithActorHttp</c> binds:
/// Props as they are (<see cref="FromProps"/>, or a Props where a Handler is expected), an actor created through
/// Akka.DependencyInjection so that its constructor takes the host's services (<see cref="FromServices{THandler}"/>),
/// or an actor of the <see cref="ActorRegistry"/> (<see cref="FromRegistry{TKey}"/>). The kinds of
/// <see cref="HandlerProps"/> apply on top: <see cref="PerRequest"/>, <see cref="Pool"/>, <see cref="Blocking"/>.
/// Immutable.
/// </summary>
public sealed class Handler
{
    /// <summary>What a handler becomes once the actor system runs: Props to create the actor from, or an existing actor.</summary>
    internal readonly record struct Target(Props? Props, IActorRef? Actor);

    private readonly Func<ActorSystem, IReadOnlyActorRegistry, Target> _resolve;
    private readonly string _description;

    private Handler(string description, Func<ActorSystem, IReadOnlyActorRegistry, Target> resolve)
    {
        _description = description;
        _resolve = resolve;
    }

    /// <summary>A handler created from <paramref name="props"/>, e.g. <c>TextHandler.Props("hi")</c>.</summary>
    public static Handler FromProps(Props props)
    {
        ArgumentNullException.ThrowIfNull(props);
        return new Handler($"Props of {props.Type?.Name}", (_, _) => new Target(props, null));
    }

    /// <summary>Props where a handler is expected: <c>routes.Get("/hi", TextHandler.Props("hi"))</c>.</summary>
    public static implicit operator Handler(Props props) => FromProps(props);

    /// <summary>
    /// A <typeparamref name="THandler"/> created by Akka.DependencyInjection: its constructor takes the host's services
    /// (<c>ILogger&lt;T&gt;</c>, a repository, <c>IRequiredActor&lt;T&gt;</c>) and, first, <paramref name="arguments"/>.
    /// A service that cannot be resolved fails the actor's creation: its route then answers 503 and the failure is logged.
    /// </summary>
    public static Handler FromServices<THandler>(params object[] arguments) where THandler : ActorBase =>
        FromServices(typeof(THandler), arguments);

    /// <summary>The type-based form of <see cref="FromServices{THandler}"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="handlerType"/> is not a concrete actor type.</exception>
    public static Handler FromServices(Type handlerType, params object[] arguments)
    {
        ArgumentNullException.ThrowIfNull(handlerType);
        if (!typeof(ActorBase).IsAssignableFrom(handlerType) || handlerType.IsAbstract)
            throw new ArgumentException($"'{handlerType.FullName}' is not a concrete actor type", nameof(handlerType));
        return new Handler($"{handlerType.Name} from services", (system, _) => new Target(ServiceProps.Create(system, handlerType, arguments), null));
    }

    /// <summary>
    /// The actor registered under <typeparamref name="TKey"/> in the <see cref="ActorRegistry"/> (e.g. by <c>WithActors</c>,
    /// which run before ActorHttp binds) serves the route; its requests are sent to it as they are.
    /// </summary>
    public static Handler FromRegistry<TKey>() => new($"the registry's {typeof(TKey).Name}", (_, registry) =>
        registry.TryGet<TKey>(out var actor)
            ? new Target(null, actor)
            : throw new ConfigurationException($"no actor is registered under {typeof(TKey).FullName} in the ActorRegistry (register it with WithActors)"));

    /// <summary>A fresh actor per request, stopped once it answered (<see cref="HandlerProps.PerRequest"/>).</summary>
    public Handler PerRequest() => WithProps("per-request", HandlerProps.PerRequest);

    /// <summary><paramref name="instances"/> actors, requests spread round-robin (<see cref="HandlerProps.Pool"/>).</summary>
    public Handler Pool(int instances)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(instances, 1);
        return WithProps($"pool of {instances}", props => HandlerProps.Pool(props, instances));
    }

    /// <summary>On the blocking dispatcher (<see cref="HandlerProps.Blocking"/>), for handlers that block.</summary>
    public Handler Blocking() => WithProps("blocking", HandlerProps.Blocking);

    /// <summary>On the dispatcher <paramref name="dispatcher"/> (configured in the actor system's HOCON).</summary>
    public Handler WithDispatcher(string dispatcher)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dispatcher);
        return WithProps($"on {dispatcher}", props => props.WithDispatcher(dispatcher));
    }

    private Handler WithProps(string what, Func<Props, Props> change) => new($"{_description}, {what}", (system, registry) =>
        _resolve(system, registry) is { Props: { } props }
            ? new Target(change(props), null)
            : throw new ConfigurationException($"{_description}: an existing actor cannot be made {what}; give Props or a type instead"));

    /// <summary>Makes the handler for the running <paramref name="system"/>.</summary>
    internal Target Resolve(ActorSystem system, IReadOnlyActorRegistry registry) => _resolve(system, registry);

    /// <inheritdoc />
    public override string ToString() => _description;
}

/// <summary>Props of actors made by Akka.DependencyInjection from the host's services.</summary>
internal static class ServiceProps
{
    public static Props Create(ActorSystem system, Type actorType, object[] arguments) =>
        DependencyResolver.For(system).Props(actorType, arguments);

    /// <summary>
    /// How hosted routes create the types configuration names (<c>handler</c>, <c>entity-handler</c>): from the services,
    /// and given the route's Config when a constructor takes one (as the standalone node does).
    /// </summary>
    public static ActorTypeProps ForRoutes(ActorSystem system) => (type, route) =>
        Create(system, type, type.GetConstructors().Any(c => c.GetParameters().Any(p => p.ParameterType == typeof(Config))) ? [route] : []);
}
