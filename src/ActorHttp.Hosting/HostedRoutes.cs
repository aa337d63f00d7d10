using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using ActorHttp.Cluster;
using ActorHttp.Cluster.Sharding;
using ActorHttp.Protocol;
using ActorHttp.Routing;

namespace ActorHttp.Hosting;

/// <summary>
/// The routes <c>WithActorHttp</c> serves from code, declared before the actor system exists: handlers are
/// <see cref="Handler"/>s (Props, or actors made from the host's services), made when the server binds. They are
/// served after the configuration's <c>routes</c>; a path and method defined twice stops the host at start.
/// </summary>
public sealed class HostedRoutes
{
    private abstract record Entry;

    private sealed record Plain(IReadOnlyList<string> Methods, string Template, Handler Handler, string? Name) : Entry;

    private sealed record Sharded(IReadOnlyList<string> Methods, string Template, string EntityType, Handler Entity,
        Func<ShardedEntity, ShardedEntity>? Configure, string? Name) : Entry;

    private sealed record Existing(Routes Routes) : Entry;

    private readonly List<Entry> _entries = [];
    private readonly List<(string EntityType, Type Key)> _regionKeys = [];

    /// <summary>Adds a route for <paramref name="methods"/> served by <paramref name="handler"/>.</summary>
    public HostedRoutes Map(IEnumerable<string> methods, string template, Handler handler, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _entries.Add(new Plain(methods.ToList(), template, handler, name));
        return this;
    }

    /// <summary>Adds a GET route.</summary>
    public HostedRoutes Get(string template, Handler handler) => Map([HttpMethods.Get], template, handler);

    /// <summary>Adds a POST route.</summary>
    public HostedRoutes Post(string template, Handler handler) => Map([HttpMethods.Post], template, handler);

    /// <summary>Adds a PUT route.</summary>
    public HostedRoutes Put(string template, Handler handler) => Map([HttpMethods.Put], template, handler);

    /// <summary>Adds a DELETE route.</summary>
    public HostedRoutes Delete(string template, Handler handler) => Map([HttpMethods.Delete], template, handler);

    /// <summary>Adds routes built with <see cref="Routes"/> (their handlers are Props or actors already).</summary>
    public HostedRoutes Add(Routes routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        _entries.Add(new Existing(routes));
        return this;
    }

    /// <summary>
    /// Adds a sharded route (see <see cref="ShardedRoutes.MapSharded"/>): each id the template's <c>{id}</c> names is one
    /// entity of type <paramref name="entityType"/>, an actor made from <paramref name="entity"/> somewhere in the cluster.
    /// The entity's settings are the configuration's <c>actor-http.cluster.sharding</c> defaults, then
    /// <paramref name="configure"/>. Needs <c>WithClustering</c>.
    /// </summary>
    public HostedRoutes MapSharded(IEnumerable<string> methods, string template, string entityType, Handler entity,
        Func<ShardedEntity, ShardedEntity>? configure = null, string? name = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(entityType);
        ArgumentNullException.ThrowIfNull(entity);
        _entries.Add(new Sharded(methods.ToList(), template, entityType, entity, configure, name));
        return this;
    }

    /// <summary>
    /// <see cref="MapSharded"/>, and the entity type's shard region registered under <typeparamref name="TKey"/> (see
    /// <see cref="RegisterShardRegion{TKey}"/>), so that the application can also reach the same entities from its own code.
    /// </summary>
    public HostedRoutes MapSharded<TKey>(IEnumerable<string> methods, string template, string entityType, Handler entity,
        Func<ShardedEntity, ShardedEntity>? configure = null, string? name = null) =>
        MapSharded(methods, template, entityType, entity, configure, name).RegisterShardRegion<TKey>(entityType);

    /// <summary>
    /// Registers the shard region of the sharded routes of <paramref name="entityType"/> (from code or from the
    /// configuration's routes) in the <see cref="ActorRegistry"/> under <typeparamref name="TKey"/>, as Akka.Cluster.Hosting's
    /// <c>WithShardRegion&lt;TKey&gt;</c> does: inject <c>IRequiredActor&lt;TKey&gt;</c> and send it
    /// <c>new ShardingEnvelope(id, message)</c>; the entity's handler receives <c>message</c> with its sender. The region
    /// is started when the server binds.
    /// </summary>
    public HostedRoutes RegisterShardRegion<TKey>(string entityType)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(entityType);
        if (!_regionKeys.Contains((entityType, typeof(TKey)))) _regionKeys.Add((entityType, typeof(TKey)));
        return this;
    }

    /// <summary>
    /// Adds these routes after <paramref name="configured"/>, with their handlers made for <paramref name="system"/>;
    /// <paramref name="shardedEntities"/> (the configured sharded routes' entities by type name) gains the code's.
    /// </summary>
    internal Routes AddTo(Routes configured, ActorSystem system, IReadOnlyActorRegistry registry, IDictionary<string, ShardedEntity> shardedEntities)
    {
        var routes = configured;
        foreach (var entry in _entries)
        {
            switch (entry)
            {
                case Plain plain:
                    var target = Resolve(plain.Handler, plain.Template, system, registry);
                    routes = target.Props is { } props
                        ? routes.Map(plain.Methods, plain.Template, props, plain.Name)
                        : routes.Map(plain.Methods, plain.Template, target.Actor!, plain.Name);
                    break;
                case Sharded sharded:
                    var entity = ShardedEntityOf(sharded, system, registry);
                    if (shardedEntities.TryGetValue(entity.TypeName, out var other) && !other.SameRegionAs(entity))
                        throw new ConfigurationException($"route '{sharded.Template}': entity type '{entity.TypeName}' is also served by another route with " +
                                                         "other settings (entity handler, number-of-shards, role and passivate-idle-after must match)");
                    shardedEntities[entity.TypeName] = entity;
                    routes = routes.MapSharded(sharded.Methods, sharded.Template, entity, sharded.Name);
                    break;
                case Existing existing:
                    // Route by route, so that a clash with the configuration's routes is reported as for the others.
                    foreach (var route in existing.Routes.Definitions)
                        routes = route.HandlerProps is { } routeProps
                            ? routes.Map(route.Methods, route.Template.Template, routeProps, route.Name)
                            : routes.Map(route.Methods, route.Template.Template, route.Handler!, route.Name);
                    break;
            }
        }
        return routes;
    }

    /// <summary>Starts the shard regions <see cref="RegisterShardRegion{TKey}"/> asked for and registers them.</summary>
    internal async Task RegisterShardRegionsAsync(ActorSystem system, IActorRegistry registry, IReadOnlyDictionary<string, ShardedEntity> shardedEntities)
    {
        foreach (var (entityType, key) in _regionKeys)
        {
            if (!shardedEntities.TryGetValue(entityType, out var entity))
                throw new ConfigurationException($"RegisterShardRegion<{key.Name}>: no sharded route serves entity type '{entityType}' " +
                                                 $"(known: {(shardedEntities.Count == 0 ? "none" : string.Join(", ", shardedEntities.Keys))})");
            var region = await ClusterHttp.Get(system).ShardRegionAsync(entity).ConfigureAwait(false);
            if (!registry.TryRegister(key, region) && !(registry.TryGet(key, out var registered) && registered.Equals(region)))
                throw new ConfigurationException($"RegisterShardRegion<{key.Name}>: another actor is already registered under {key.FullName}");
        }
    }

    private static ShardedEntity ShardedEntityOf(Sharded sharded, ActorSystem system, IReadOnlyActorRegistry registry)
    {
        if (!ClusterHttp.UsesClusterProvider(system))
            throw new ConfigurationException($"route '{sharded.Template}' is sharded: the actor system needs the cluster provider (WithClustering)");
        var props = Resolve(sharded.Entity, sharded.Template, system, registry).Props
                    ?? throw new ConfigurationException($"route '{sharded.Template}': a sharded entity needs Props or a type, not an existing actor");
        // The configuration's sharding defaults, as for the configured sharded routes; the code's changes on top.
        var entity = ShardedEntity.FromConfig(sharded.EntityType, props, ConfigurationFactory.Empty,
            ClusterHttp.Get(system).Settings.ShardingDefaults, $"actor-http.cluster.sharding (route '{sharded.Template}')");
        return sharded.Configure?.Invoke(entity) ?? entity;
    }

    private static Handler.Target Resolve(Handler handler, string template, ActorSystem system, IReadOnlyActorRegistry registry)
    {
        try
        {
            return handler.Resolve(system, registry);
        }
        catch (ConfigurationException e)
        {
            throw new ConfigurationException($"route '{template}': {e.Message}", e);
        }
    }
}
