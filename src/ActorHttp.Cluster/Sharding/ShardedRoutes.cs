using Akka.Actor;
using ActorHttp.Routing;

namespace ActorHttp.Cluster.Sharding;

/// <summary>Sharded routes in code: <c>routes.MapSharded([GET, POST], "/counters/{id}", new ShardedEntity("counters", props))</c>.</summary>
public static class ShardedRoutes
{
    /// <summary>
    /// Adds a route whose requests are served by the sharded entity named by the template's
    /// <see cref="ShardedEntity.IdParameter"/>, on whichever node of the cluster hosts it.
    /// </summary>
    /// <exception cref="ArgumentException">The template has no <c>{IdParameter}</c> segment.</exception>
    public static Routes MapSharded(this Routes routes, IEnumerable<string> methods, string template, ShardedEntity entity, string? name = null)
    {
        CheckTemplate(template, entity);
        return routes.Map(methods, template, HandlerProps(entity), name);
    }

    /// <summary>Props of the handler that serves a sharded route on each node (for <see cref="Routes.Map(IEnumerable{string}, string, Props, string?)"/>).</summary>
    public static Props HandlerProps(ShardedEntity entity) => ShardedRouteHandler.Props(entity);

    internal static void CheckTemplate(string template, ShardedEntity entity)
    {
        if (!PathTemplate.Parse(template).ParameterNames.Contains(entity.IdParameter))
            throw new ArgumentException($"route '{template}' has no {{{entity.IdParameter}}} segment to take the entity id of '{entity.TypeName}' from");
    }
}
