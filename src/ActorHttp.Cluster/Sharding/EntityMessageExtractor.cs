using Akka.Cluster.Sharding;

namespace ActorHttp.Cluster.Sharding;

/// <summary>
/// Tells sharding which entity an <see cref="EntityRequest"/> is for. The shard is a MurmurHash of the entity id
/// (<see cref="HashCodeMessageExtractor"/>), the same in every process; the entity host receives the whole envelope.
/// </summary>
internal sealed class EntityMessageExtractor(int numberOfShards) : HashCodeMessageExtractor(numberOfShards)
{
    public override string EntityId(object message) => (message as EntityRequest)?.EntityId!;

    /// <summary>The shard entity <paramref name="entityId"/> belongs to.</summary>
    public string ShardOf(string entityId) => ShardId(entityId, null);
}
