using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using ActorHttp.Cluster.Demo;
using ActorHttp.Cluster.Sharding;
using ActorHttp.Protocol;
using ActorHttp.Routing;
using ActorHttp.Server;
using ActorHttp.Tests.EndToEnd;

namespace ActorHttp.Cluster.Tests;

/// <summary>
/// One cluster node in the test process: an actor system on 127.0.0.1 with remoting on port 0 and an HTTP server on
/// port 0 serving <see cref="TestRoutes"/>. <see cref="ActorSystem.Terminate"/> does not leave the cluster here
/// (run-by-actor-system-terminate is off), so it plays a crash; <see cref="LeaveAsync"/> is the graceful way out.
/// </summary>
public sealed class TestNode : IAsyncDisposable
{
    /// <summary>
    /// Short failure detection and split-brain timings so that the tests take seconds. stable-after is kept long
    /// enough to observe a crashed node while it is unreachable but not yet downed.
    /// </summary>
    public static readonly Config BaseConfig = ConfigurationFactory.ParseString("""
        akka {
          loglevel = WARNING
          stdout-loglevel = WARNING
          loggers = ["ActorHttp.Cluster.Tests.TestLogger, ActorHttp.Cluster.Tests"]
          log-dead-letters = 0
          log-dead-letters-during-shutdown = off
          actor.provider = cluster
          remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
          coordinated-shutdown.run-by-clr-shutdown = off
          coordinated-shutdown.run-by-actor-system-terminate = off
          cluster {
            log-info = off
            failure-detector { heartbeat-interval = 500ms, acceptable-heartbeat-pause = 2s }
            split-brain-resolver { active-strategy = keep-majority, stable-after = 4s }
            sharding { retry-interval = 300ms, handoff-timeout = 10s }
          }
        }
        """);

    private int _bindingTerminated;

    private TestNode(ActorSystem system, ServerBinding binding)
    {
        System = system;
        Binding = binding;
        Client = HttpClients.Create(new Uri($"http://127.0.0.1:{binding.LocalAddress.Port}"));
    }

    public ActorSystem System { get; }
    public ServerBinding Binding { get; }
    public HttpClient Client { get; }
    public int Port => Binding.LocalAddress.Port;
    public Akka.Cluster.Cluster Cluster => Akka.Cluster.Cluster.Get(System);
    public Address Address => Cluster.SelfAddress;

    public static async Task<TestNode> StartAsync(Routes routes, Config? config = null)
    {
        config ??= ConfigurationFactory.Empty;
        string? ownStore = null;
        if (!config.HasPath(DurableStoreFile.Key)) config = config.WithFallback((ownStore = DurableStoreFile.Create()).Config());
        var system = ActorSystem.Create("cluster-test", config.WithFallback(BaseConfig));
        if (ownStore is not null) _ = system.WhenTerminated.ContinueWith(_ => DurableStoreFile.Delete(ownStore), TaskScheduler.Default);
        try
        {
            var server = HttpServer.Get(system);
            var settings = server.Settings with { Hostname = "127.0.0.1", Port = 0, ShutdownDeadline = TimeSpan.FromSeconds(3) };
            var binding = await server.BindAsync(routes, settings).WaitAsync(TimeSpan.FromSeconds(20));
            return new TestNode(system, binding);
        }
        catch
        {
            await system.Terminate().WaitAsync(TimeSpan.FromSeconds(10));
            throw;
        }
    }

    /// <summary>Leaves gracefully, as on SIGTERM: stops HTTP, hands its shards off, leaves, terminates.</summary>
    public async Task LeaveAsync(TimeSpan timeout)
    {
        Interlocked.Exchange(ref _bindingTerminated, 1); // CoordinatedShutdown terminates the binding
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClusterLeavingReason.Instance).WaitAsync(timeout);
        await System.WhenTerminated.WaitAsync(timeout);
    }

    /// <summary>Stops the actor system without leaving the cluster: to the others, this node crashed.</summary>
    public Task CrashAsync()
    {
        Interlocked.Exchange(ref _bindingTerminated, 1);
        return System.Terminate().WaitAsync(TimeSpan.FromSeconds(20));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        TestLogger.Mute(System);
        try
        {
            if (Interlocked.Exchange(ref _bindingTerminated, 1) == 0 && !System.WhenTerminated.IsCompleted)
                await Binding.TerminateAsync(TimeSpan.FromSeconds(1)).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is TimeoutException or AskTimeoutException) { }
        finally
        {
            try { await System.Terminate().WaitAsync(TimeSpan.FromSeconds(20)); }
            catch (TimeoutException) { }
        }
    }
}

/// <summary>Several <see cref="TestNode"/>s joined into one cluster (the first is the oldest: it joins itself).</summary>
public sealed class TestCluster : IAsyncDisposable
{
    private TestCluster(List<TestNode> nodes) => Nodes = nodes;

    public IReadOnlyList<TestNode> Nodes { get; }
    public TestNode this[int index] => Nodes[index];

    public static async Task<TestCluster> StartAsync(int count, Func<Routes>? routes = null, Config? config = null)
    {
        var nodes = new List<TestNode>();
        var cluster = new TestCluster(nodes);
        // One SQLite file for the whole cluster, as deploy/local/cluster.sh gives its nodes: an entity that moves to
        // another node recovers what it wrote on the first.
        cluster._store = DurableStoreFile.Create();
        config = (config ?? ConfigurationFactory.Empty).WithFallback(cluster._store.Config());
        try
        {
            for (var i = 0; i < count; i++) nodes.Add(await TestNode.StartAsync((routes ?? TestRoutes.Default)(), config));
            var seed = nodes[0].Address;
            foreach (var node in nodes) node.Cluster.Join(seed);
            foreach (var node in nodes) await WaitForUpMembersAsync(node, count, TimeSpan.FromSeconds(30));
            await WaitForRegionsAsync(nodes, TimeSpan.FromSeconds(30));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until <paramref name="viewer"/> sees <paramref name="count"/> members, all Up.</summary>
    public static Task WaitForUpMembersAsync(TestNode viewer, int count, TimeSpan timeout) =>
        Eventually.TrueAsync(() =>
        {
            var members = viewer.Cluster.State.Members;
            return members.Count == count && members.All(m => m.Status == MemberStatus.Up);
        }, timeout, $"{viewer.Address} to see {count} members Up");

    /// <summary>
    /// Waits until every node's shard regions have registered with their coordinators: before that, new shards are
    /// all allocated to the regions already registered, and tests could not place entities on every node.
    /// </summary>
    private static async Task WaitForRegionsAsync(IReadOnlyList<TestNode> nodes, TimeSpan timeout)
    {
        var clusterHttp = ClusterHttp.Get(nodes[0].System);
        foreach (var entity in clusterHttp.Entities)
        {
            var region = await clusterHttp.ShardRegionAsync(entity);
            await Eventually.SucceedsAsync(async () =>
            {
                var regions = await region.Ask<CurrentRegions>(GetCurrentRegions.Instance, TimeSpan.FromSeconds(3));
                if (regions.Regions.Count < nodes.Count) throw new InvalidOperationException($"{regions.Regions.Count} regions of '{entity.TypeName}' registered");
                return regions;
            }, timeout);
        }
    }

    private string? _store;

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(Nodes.Select(n => n.DisposeAsync().AsTask()));
        if (_store is not null) DurableStoreFile.Delete(_store);
    }
}

/// <summary>A SQLite file of its own in the temp directory for the durable entities of a test's nodes, deleted after.</summary>
public static class DurableStoreFile
{
    public const string Key = "actor-http.cluster.persistence.sqlite-file";

    public static string Create() => Path.Combine(Path.GetTempPath(), $"actorhttp-test-{Guid.NewGuid():N}.db");

    public static Config Config(this string file) => ConfigurationFactory.ParseString($"{Key} = \"{file}\"");

    /// <summary>Akka's in-memory journal and snapshot store instead, for tests of one actor system.</summary>
    public static readonly Config InMemory = ConfigurationFactory.ParseString(
        "actor-http.cluster.persistence.store = plugins"); // reference.conf names the in-memory plugins for it

    public static void Delete(string file)
    {
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            try { File.Delete(file + suffix); }
            catch (IOException) { }
        }
    }
}

/// <summary>The routes every test node serves.</summary>
public static class TestRoutes
{
    /// <summary>Test routes: the demo counters (with their event streams and sockets) and the probe entity, with a short entity timeout.</summary>
    public static Routes Default() => With(counters: Counters(), probe: Probe());

    public static ShardedEntity Counters() => new("counters", CounterEntity.Props()) { EntityTimeout = TimeSpan.FromSeconds(5), NumberOfShards = 50 };

    public static ShardedEntity Probe() => new("probe", ProbeEntity.Props()) { EntityTimeout = TimeSpan.FromSeconds(2), NumberOfShards = 50 };

    public static Routes With(ShardedEntity counters, ShardedEntity probe) => new Routes()
        .MapSharded([HttpMethods.Get, HttpMethods.Post, HttpMethods.Delete], "/counters/{id}", counters)
        .Get("/counters/{id}/events", CounterEventsHandler.Props(counters.TypeName))
        .WebSocket("/counters/{id}/ws", CounterSocketHandler.Props(counters.TypeName))
        .MapSharded([HttpMethods.Get, HttpMethods.Post], "/probe/{id}", probe)
        .Get("/cluster/members", Endpoints.ClusterMembersHandler.Props())
        .Get("/cluster/shards", Endpoints.ClusterShardsHandler.Props())
        .Get("/health", Endpoints.ClusterHealthHandler.Props());
}

/// <summary>Bounded polling for conditions that become true asynchronously.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out after {timeout} waiting for {what}");
            await Task.Delay(100);
        }
    }

    /// <summary>Runs <paramref name="attempt"/> until it returns without throwing; rethrows the last failure at the deadline.</summary>
    public static async Task<T> SucceedsAsync<T>(Func<Task<T>> attempt, TimeSpan timeout, TimeSpan? interval = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return await attempt();
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(interval ?? TimeSpan.FromMilliseconds(200));
            }
        }
    }
}
