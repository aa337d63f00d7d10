using ActorHttp.Protocol;

namespace ActorHttp.Cluster.Sharding;

/// <summary>
/// Marks the messages a sharded route exchanges between nodes; reference.conf binds them to
/// <see cref="Serialization.HttpMessageSerializer"/>.
/// </summary>
public interface IShardedHttpMessage;

/// <summary>
/// Accepting node → entity: <paramref name="Request"/> for entity <paramref name="EntityId"/>. The sender is the route
/// handler on the accepting node, which matches the <see cref="EntityResponse"/> by <paramref name="CorrelationId"/>.
/// The request's body is always complete here (never <see cref="HttpRequest.BodyStreamed"/>).
/// </summary>
public sealed record EntityRequest(string EntityId, long CorrelationId, HttpRequest Request) : IShardedHttpMessage;

/// <summary>Entity's node → accepting node: the complete response to request <paramref name="CorrelationId"/>.</summary>
public sealed record EntityResponse(long CorrelationId, HttpResponse Response) : IShardedHttpMessage;
