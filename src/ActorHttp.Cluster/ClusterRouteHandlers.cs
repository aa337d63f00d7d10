using Akka.Configuration;
using ActorHttp.Cluster.Endpoints;
using ActorHttp.Cluster.Sharding;
using ActorHttp.Routing;
using ActorHttp.Server;

namespace ActorHttp.Cluster;

/// <summary>
/// The route handler kinds this assembly adds to HOCON routes (pass them to <see cref="RouteConfig.Load"/>):
/// <list type="bullet">
/// <item><c>sharded</c>: a sharded entity per id (keys: entity-handler, entity-type, and the
/// <c>actor-http.cluster.sharding</c> keys as overrides);</item>
/// <item><c>cluster-members</c>, <c>cluster-shards</c>: the cluster endpoints (JSON);</item>
/// <item><c>cluster-health</c>: readiness, 200 once this node is Up, else 503.</item>
/// </list>
/// </summary>
public static class ClusterRouteHandlers
{
    /// <summary>The handler kind names, e.g. for <see cref="ValidateNodeConfig"/>.</summary>
    public static readonly IReadOnlySet<string> Kinds = new HashSet<string> { "sharded", "cluster-members", "cluster-shards", "cluster-health" };

    /// <summary>
    /// The kinds for routes of a node configured by <paramref name="nodeConfig"/> (its <c>actor-http.cluster.sharding</c>
    /// defaults and limits apply). Routes sharing an entity-type must agree on how its entities are placed.
    /// <paramref name="actorTypeProps"/> creates the <c>entity-handler</c> types (null: <see cref="RouteConfig.PropsOfType"/>'s
    /// default); <paramref name="onShardedRoute"/> is told each sharded route's entity and key as it is read.
    /// </summary>
    public static IReadOnlyDictionary<string, RouteHandlerFactory> Create(Config nodeConfig, ActorTypeProps? actorTypeProps = null,
        Action<ShardedEntity, string>? onShardedRoute = null)
    {
        var settings = ClusterHttpSettings.Create(nodeConfig);
        var server = ServerSettings.Create(nodeConfig);
        var frameSize = FrameBudget.FrameSize(nodeConfig);
        var typesSeen = new Dictionary<string, (ShardedEntity Entity, string Key)>(StringComparer.Ordinal);

        Akka.Actor.Props Sharded(Config route, string key)
        {
            var typeName = route.GetString("entity-type", null) is { Length: > 0 } t ? t : key[(key.LastIndexOf('.') + 1)..];
            var handler = route.GetString("entity-handler", null)
                          ?? throw new ConfigurationException($"{key}.entity-handler is missing (the entity's actor type, \"Namespace.Type, Assembly\")");
            var entity = ShardedEntity.FromConfig(typeName, RouteConfig.PropsOfType(handler, route, key, "entity-handler", actorTypeProps), route, settings.ShardingDefaults, key);
            try
            {
                ShardedRoutes.CheckTemplate(route.GetString("path", "/"), entity);
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                throw new ConfigurationException($"{key}.id-parameter: {e.Message}", e);
            }
            if (entity.EntityTimeout >= server.ResponseTimeout)
                throw new ConfigurationException($"{key}.entity-timeout ({entity.EntityTimeout.TotalSeconds}s) must be below " +
                                                 $"actor-http.server.response-timeout ({server.ResponseTimeout.TotalSeconds}s)");
            if (FrameBudget.Problem(entity, server, frameSize) is { } problem) throw new ConfigurationException($"{key}.{problem}");
            if (typesSeen.TryGetValue(typeName, out var seen) && !seen.Entity.SameRegionAs(entity))
                throw new ConfigurationException($"{key}: entity-type '{typeName}' is also served by {seen.Key} with other settings " +
                                                 "(entity-handler, number-of-shards, role and passivate-idle-after must match)");
            typesSeen[typeName] = (entity, key);
            onShardedRoute?.Invoke(entity, key);
            return ShardedRoutes.HandlerProps(entity);
        }

        return new Dictionary<string, RouteHandlerFactory>
        {
            ["sharded"] = Sharded,
            ["cluster-members"] = (_, _) => ClusterMembersHandler.Props(),
            ["cluster-shards"] = (_, _) => ClusterShardsHandler.Props(),
            ["cluster-health"] = (_, _) => ClusterHealthHandler.Props(),
        };
    }

    /// <summary>
    /// Checks what would otherwise fail late or obscurely: routes of these kinds need <c>akka.actor.provider = cluster</c>,
    /// and every seed node address must parse.
    /// </summary>
    /// <exception cref="ConfigurationException">The message names the key.</exception>
    public static void ValidateNodeConfig(Config nodeConfig)
    {
        var clustered = ClusterHttp.UsesClusterProvider(nodeConfig);
        if (!clustered && nodeConfig.HasPath("actor-http.routes"))
        {
            var routes = nodeConfig.GetConfig("actor-http.routes");
            foreach (var name in routes.IsEmpty ? Enumerable.Empty<string>() : routes.Root.GetObject().Items.Keys)
            {
                var handler = routes.GetString($"{name}.handler", "");
                if (Kinds.Contains(handler))
                    throw new ConfigurationException($"akka.actor.provider must be cluster: route actor-http.routes.{name} uses handler = {handler}");
            }
        }
        if (!clustered) return;
        ClusterHttpSettings.Create(nodeConfig);
        if (nodeConfig.HasPath("akka.cluster.seed-nodes"))
            ClusterHttpSettings.ParseAddresses(new ConfigKeys(nodeConfig.GetConfig("akka.cluster"), "akka.cluster").List("seed-nodes"), "akka.cluster.seed-nodes");
    }
}
