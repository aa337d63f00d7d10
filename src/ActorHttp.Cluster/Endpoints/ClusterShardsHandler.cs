using Akka.Actor;
using Akka.Cluster.Sharding;
using ActorHttp.Handlers;
using ActorHttp.Protocol;

namespace ActorHttp.Cluster.Endpoints;

/// <summary>
/// <c>/cluster/shards</c>: for each sharded entity type served on this node, which shards each node hosts and how many
/// entities each shard has running, as JSON, e.g.
/// <c>{"types":[{"type":"counters","nodes":[{"address":"…","shards":{"12":3,"40":1},"entities":4}],"failedShards":[]}]}</c>.
/// Asks the shard coordinator, which asks every region: 503 if that takes longer than <see cref="QueryTimeout"/>.
/// </summary>
public sealed class ClusterShardsHandler : AsyncHttpHandlerActor
{
    /// <summary>How long the statistics may take to gather.</summary>
    public static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(3);

    private readonly ClusterHttp _clusterHttp = ClusterHttp.Get(Context.System);

    /// <summary>Props of the handler.</summary>
    public static Props Props() => Akka.Actor.Props.Create<ClusterShardsHandler>();

    /// <inheritdoc />
    protected override async Task<HttpResponse> OnRequestAsync(HttpRequest request)
    {
        var types = new List<(string Type, ClusterShardingStats Stats)>();
        try
        {
            foreach (var entity in _clusterHttp.Entities.OrderBy(e => e.TypeName, StringComparer.Ordinal))
            {
                var region = await _clusterHttp.ShardRegionAsync(entity);
                types.Add((entity.TypeName, await region.Ask<ClusterShardingStats>(new GetClusterShardingStats(QueryTimeout), QueryTimeout + TimeSpan.FromSeconds(1))));
            }
        }
        catch (AskTimeoutException)
        {
            return HttpResponse.Error(StatusCodes.ServiceUnavailable, "the shard statistics did not arrive in time") with { Headers = [new HttpHeader("Retry-After", "1")] };
        }
        return HttpResponse.Json(new ClusterShards([.. types.Select(t => Describe(t.Type, t.Stats))]), ClusterJson.Info<ClusterShards>());
    }

    private static ShardedType Describe(string type, ClusterShardingStats stats)
    {
        var failed = new SortedSet<string>(StringComparer.Ordinal);
        var nodes = new List<ShardedNode>();
        foreach (var (address, region) in stats.Regions.OrderBy(r => r.Key.ToString(), StringComparer.Ordinal))
        {
            nodes.Add(new ShardedNode(address.ToString(), new SortedDictionary<string, int>(region.Stats.ToDictionary(), StringComparer.Ordinal), region.Stats.Values.Sum()));
            if (region.Failed != null) failed.UnionWith(region.Failed);
        }
        return new ShardedType(type, nodes, [.. failed]);
    }
}
