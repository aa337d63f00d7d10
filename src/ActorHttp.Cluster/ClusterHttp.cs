using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Akka.Event;
using ActorHttp.Cluster.Sharding;
using ActorHttp.Server;

namespace ActorHttp.Cluster;

/// <summary>
/// The entry point of ActorHttp's cluster features for one actor system (which must use
/// <c>akka.actor.provider = cluster</c>). Getting it adds this assembly's reference.conf as a fallback (so the
/// serializer of cross-node HTTP messages is bound), joins the configured seed nodes (or itself, with
/// <c>join-self</c>), warns while the node is not Up, and starts one shard region per sharded entity type.
/// </summary>
public sealed class ClusterHttp : IExtension
{
    private static readonly Lazy<Config> Reference = new(() =>
        ConfigurationFactory.FromResource<ClusterHttp>("ActorHttp.Cluster.reference.conf"));

    private readonly ExtendedActorSystem _system;
    private readonly ConcurrentDictionary<string, (ShardedEntity Entity, Lazy<Task<IActorRef>> Region)> _regions = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<IActorRef>> _regionsByName = new();

    /// <summary>Created by <see cref="Get"/>.</summary>
    public ClusterHttp(ExtendedActorSystem system)
    {
        _system = system;
        ClusterSharding.Get(system); // its reference.conf first, so that ours takes precedence over it (state-store-mode)
        system.Settings.InjectTopLevelFallback(DefaultConfig());
        Persistence.DurableStore.Get(system); // the journal's connection, before any durable entity starts
        Settings = ClusterHttpSettings.Create(system.Settings.Config);
        var cluster = Akka.Cluster.Cluster.Get(system);
        var akkaSeeds = cluster.Settings.SeedNodes;
        if (Settings.SeedNodes.Count > 0) cluster.JoinSeedNodes(Settings.SeedNodes);
        else if (akkaSeeds.Count == 0 && Settings.JoinSelf) cluster.Join(cluster.SelfAddress);
        var seeds = Settings.SeedNodes.Count > 0 ? Settings.SeedNodes : akkaSeeds;
        system.SystemActorOf(JoinMonitor.Props(seeds, Settings.JoinWarningInterval), "actor-http-join-monitor");
    }

    /// <summary>The extension for <paramref name="system"/>.</summary>
    public static ClusterHttp Get(ActorSystem system) => system.WithExtension<ClusterHttp, ClusterHttpProvider>();

    /// <summary>This assembly's embedded reference.conf: every cluster setting with its default, and the serializer binding.</summary>
    public static Config DefaultConfig() => Reference.Value;

    /// <summary>The settings read from the system's <c>actor-http.cluster</c> section.</summary>
    public ClusterHttpSettings Settings { get; }

    /// <summary>The sharded entity types started on this node so far.</summary>
    public IReadOnlyCollection<ShardedEntity> Entities => _regions.Values.Select(r => r.Entity).ToList();

    /// <summary>
    /// The shard region of <paramref name="entity"/>'s type on this node, started on first use: a region hosting
    /// entities, or a proxy when the entity has a role this node lacks. A type is started once; a later call with
    /// other settings for the same type name gets the first region (and a warning).
    /// </summary>
    public Task<IActorRef> ShardRegionAsync(ShardedEntity entity)
    {
        var (started, region) = _regions.GetOrAdd(entity.TypeName, _ => (entity, new Lazy<Task<IActorRef>>(() =>
        {
            var starting = StartRegionAsync(entity);
            var byName = RegionByName(entity.TypeName);
            starting.ContinueWith(t =>
            {
                if (t.IsCompletedSuccessfully) byName.TrySetResult(t.Result);
                else if (t.Exception is { } e) byName.TrySetException(e.InnerExceptions);
                else byName.TrySetCanceled();
            }, TaskScheduler.Default);
            return starting;
        })));
        if (!started.SameRegionAs(entity))
            _system.Log.Warning("sharded entity type '{0}' is already started with other settings; the first ones apply", entity.TypeName);
        return region.Value;
    }

    /// <summary>
    /// The shard region of the entity type named <paramref name="typeName"/> once a sharded route (or a call of
    /// <see cref="ShardRegionAsync(ShardedEntity)"/>) has started it on this node: for code that reaches a route's
    /// entities by type name, e.g. a handler configured with <c>entity-type = counters</c> that sends them its own
    /// messages in <c>ShardingEnvelope</c>s. It completes when the region does; bound the wait (<c>WaitAsync</c>), since a
    /// type no route serves never starts.
    /// </summary>
    public Task<IActorRef> ShardRegionAsync(string typeName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(typeName);
        if (_regions.TryGetValue(typeName, out var known)) return known.Region.Value;
        return RegionByName(typeName).Task;
    }

    private TaskCompletionSource<IActorRef> RegionByName(string typeName) =>
        _regionsByName.GetOrAdd(typeName, _ => new TaskCompletionSource<IActorRef>(TaskCreationOptions.RunContinuationsAsynchronously));

    private Task<IActorRef> StartRegionAsync(ShardedEntity entity)
    {
        if (FrameBudget.Problem(entity, HttpServer.Get(_system).Settings, FrameBudget.FrameSize(_system.Settings.Config)) is { } problem)
            _system.Log.Warning("sharded entity type '{0}': {1}; larger requests and responses would be dropped between nodes", entity.TypeName, problem);
        var sharding = ClusterSharding.Get(_system);
        var extractor = new EntityMessageExtractor(entity.NumberOfShards);
        var hostsEntities = entity.Role is null || Akka.Cluster.Cluster.Get(_system).SelfRoles.Contains(entity.Role);
        if (!hostsEntities) return sharding.StartProxyAsync(entity.TypeName, entity.Role!, extractor);
        var settings = ClusterShardingSettings.Create(_system)
            .WithRole(entity.Role)
            .WithRememberEntities(entity.RememberEntities)
            .WithPassivateIdleAfter(entity.PassivateIdleAfter ?? TimeSpan.Zero);
        if (entity.RememberEntities)
        {
            // Which entities run is written, like the durable entities' events, to the durable store.
            var store = Persistence.DurableStore.Get(_system);
            store.EnsureReady();
            settings = settings.WithJournalPluginId(store.Settings.JournalPluginId).WithSnapshotPluginId(store.Settings.SnapshotPluginId);
        }
        return sharding.StartAsync(entity.TypeName, EntityHost.Props(entity), settings, extractor,
            sharding.DefaultShardAllocationStrategy(settings), EntityHost.Stop.Instance);
    }

    /// <summary>
    /// True when <paramref name="system"/> runs the cluster actor-ref provider, however it was chosen (HOCON, or a
    /// BootstrapSetup as Akka.Cluster.Hosting's WithClustering does, which the config does not show).
    /// </summary>
    public static bool UsesClusterProvider(ActorSystem system) => ((ExtendedActorSystem)system).Provider is Akka.Cluster.ClusterActorRefProvider;

    /// <summary>True when <paramref name="config"/> selects the cluster actor-ref provider.</summary>
    public static bool UsesClusterProvider(Config config)
    {
        var provider = config.GetString("akka.actor.provider", "") ?? "";
        return provider.Equals("cluster", StringComparison.OrdinalIgnoreCase) || provider.Contains("ClusterActorRefProvider", StringComparison.Ordinal);
    }
}

/// <summary>Creates the <see cref="ClusterHttp"/> extension.</summary>
public sealed class ClusterHttpProvider : ExtensionIdProvider<ClusterHttp>
{
    /// <inheritdoc />
    public override ClusterHttp CreateExtension(ExtendedActorSystem system) => new(system);
}
