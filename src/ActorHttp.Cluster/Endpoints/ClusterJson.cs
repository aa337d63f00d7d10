using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace ActorHttp.Cluster.Endpoints;

/// <summary><c>GET /health</c> (cluster-health): <c>{"status":"ok","member":"Up"}</c>, <c>shuttingDown</c> only when true.</summary>
internal sealed record ClusterHealth(
    string Status,
    string Member,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool ShuttingDown = false);

/// <summary><c>GET /cluster/members</c>: this node's view of the membership.</summary>
internal sealed record ClusterMembers(string Self, string? Leader, IReadOnlyList<ClusterMember> Members);

/// <summary>One member of <see cref="ClusterMembers"/>.</summary>
internal sealed record ClusterMember(string Address, string Status, IReadOnlyList<string> Roles, bool Reachable);

/// <summary><c>GET /cluster/shards</c>: per entity type, the shards each node hosts.</summary>
internal sealed record ClusterShards(IReadOnlyList<ShardedType> Types);

/// <summary>One entity type of <see cref="ClusterShards"/>.</summary>
internal sealed record ShardedType(string Type, IReadOnlyList<ShardedNode> Nodes, IReadOnlyList<string> FailedShards);

/// <summary>One node of a <see cref="ShardedType"/>: running entities by shard id (in order), and their sum.</summary>
internal sealed record ShardedNode(string Address, SortedDictionary<string, int> Shards, int Entities);

/// <summary>The demo counter's answer: <c>{"id":"a","value":3}</c>.</summary>
internal sealed record CounterValue(string Id, long Value);

/// <summary>
/// Source-generated JSON of the cluster's endpoints and demo entity (camelCase, as <c>HttpJson.Options</c>). Ids and
/// addresses are written as they are, only quotes, backslashes and control characters escaped: these are API
/// responses, not HTML.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ClusterHealth))]
[JsonSerializable(typeof(ClusterMembers))]
[JsonSerializable(typeof(ClusterShards))]
[JsonSerializable(typeof(CounterValue))]
internal sealed partial class ClusterJson : JsonSerializerContext
{
    /// <summary>The context with relaxed escaping (see the class).</summary>
    public static ClusterJson Relaxed { get; } = new(new JsonSerializerOptions(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    /// <summary>The type info of <typeparamref name="T"/> in <see cref="Relaxed"/>.</summary>
    public static JsonTypeInfo<T> Info<T>() => (JsonTypeInfo<T>)Relaxed.GetTypeInfo(typeof(T))!;
}
