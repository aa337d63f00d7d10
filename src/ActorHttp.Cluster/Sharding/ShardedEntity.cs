using Akka.Actor;
using Akka.Configuration;

namespace ActorHttp.Cluster.Sharding;

/// <summary>
/// One type of sharded entity: its name, the handler actor each entity runs, and how requests reach it. Each entity is
/// a normal handler actor (e.g. an <see cref="Handlers.HttpHandlerActor"/>): it receives the <see cref="Protocol.HttpRequest"/>
/// and replies to <c>Sender</c> with a complete <see cref="Protocol.HttpResponse"/>, wherever in the cluster it runs.
/// Its defaults, for code, are reference.conf's <c>actor-http.cluster.sharding</c> (a test pins them). Immutable; change with <c>with</c>.
/// </summary>
/// <param name="TypeName">The sharding type name; the same on every node.</param>
/// <param name="EntityProps">Props of the handler actor created for each entity id.</param>
public sealed record ShardedEntity(string TypeName, Props EntityProps)
{
    /// <summary>The route template's parameter holding the entity id.</summary>
    public string IdParameter { get; init; } = "id";

    /// <summary>Shards of this type; the same on every node.</summary>
    public int NumberOfShards { get; init; } = 100;

    /// <summary>Idle time after which an entity is stopped (started again by its next request); null: never.</summary>
    public TimeSpan? PassivateIdleAfter { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Sharding restarts this type's entities that were running, after a rebalance or on the survivors when their node
    /// died, without waiting for their next request (Akka's remember-entities, kept in the durable store's journal).
    /// Entities are then never passivated.
    /// </summary>
    public bool RememberEntities { get; init; }

    /// <summary>Only nodes with this role host entities; others forward through a proxy. Null: every node.</summary>
    public string? Role { get; init; }

    /// <summary>How long the accepting node waits for the entity's answer before answering 503.</summary>
    public TimeSpan EntityTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A request still unanswered after this long is sent again (same correlation id; the entity's host drops copies of
    /// requests it received within twice <see cref="EntityTimeout"/>), since sharding may drop requests in flight while
    /// a shard is handed off. Null: never resend.
    /// </summary>
    public TimeSpan? ResendAfter { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The Retry-After of those 503s.</summary>
    public TimeSpan RetryAfter { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Largest request or response body carried between the accepting node and the entity.</summary>
    public long MaxBodySize { get; init; } = 64 * 1024;

    /// <summary>
    /// Reads a sharded route's settings: keys of <paramref name="route"/> (the route's HOCON object), falling back to
    /// <paramref name="defaults"/> (the <c>actor-http.cluster.sharding</c> section). <paramref name="key"/> is the route's
    /// path, named in errors.
    /// </summary>
    /// <exception cref="ConfigurationException">A value is missing, malformed or out of range; the message names the key.</exception>
    public static ShardedEntity FromConfig(string typeName, Props entityProps, Config route, Config defaults, string key)
    {
        var c = route.WithFallback(defaults);
        var keys = new ConfigKeys(c, key);
        var passivate = keys.Read("passivate-idle-after", (k, x) => x.GetString(k) is "off" or "false" ? (TimeSpan?)null : x.GetTimeSpan(k));
        if (passivate is { } p && p <= TimeSpan.Zero) throw new ConfigurationException($"{key}.passivate-idle-after must be a positive duration or off");
        var role = keys.Read("role", (k, x) => x.GetString(k) ?? "");
        var resend = keys.Read("resend-after", (k, x) => x.GetString(k) is "off" or "false" ? (TimeSpan?)null : x.GetTimeSpan(k));
        if (resend is { } r && r <= TimeSpan.Zero) throw new ConfigurationException($"{key}.resend-after must be a positive duration or off");
        return new ShardedEntity(typeName, entityProps)
        {
            IdParameter = keys.Read("id-parameter", (k, x) => x.GetString(k) is { Length: > 0 } s ? s : throw new FormatException("must not be empty")),
            NumberOfShards = keys.Int("number-of-shards", 1, 100_000),
            PassivateIdleAfter = passivate,
            RememberEntities = keys.Bool("remember-entities"),
            Role = role.Length == 0 ? null : role,
            EntityTimeout = keys.Duration("entity-timeout"),
            ResendAfter = resend,
            RetryAfter = keys.Duration("retry-after"),
            MaxBodySize = keys.Size("max-body-size", 0, int.MaxValue),
        };
    }

    /// <summary>Whether this definition can share a shard region with <paramref name="other"/> (same entities, same placement).</summary>
    internal bool SameRegionAs(ShardedEntity other) =>
        TypeName == other.TypeName && EntityProps.Type == other.EntityProps.Type && NumberOfShards == other.NumberOfShards
        && Role == other.Role && PassivateIdleAfter == other.PassivateIdleAfter && RememberEntities == other.RememberEntities;
}
