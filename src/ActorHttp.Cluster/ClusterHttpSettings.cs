using Akka.Actor;
using Akka.Configuration;

namespace ActorHttp.Cluster;

/// <summary>
/// The <c>actor-http.cluster</c> section (documented, with its defaults, in this assembly's reference.conf: the defaults
/// are written there only), read once. Immutable.
/// </summary>
public sealed record ClusterHttpSettings
{
    /// <summary>Seed nodes to join; empty leaves joining to <c>akka.cluster.seed-nodes</c> (or <see cref="JoinSelf"/>).</summary>
    public required IReadOnlyList<Address> SeedNodes { get; init; }

    /// <summary>With no seed nodes at all, join itself: a cluster of one.</summary>
    public required bool JoinSelf { get; init; }

    /// <summary>How often to warn while the node is not Up.</summary>
    public required TimeSpan JoinWarningInterval { get; init; }

    /// <summary>The <c>actor-http.cluster.sharding</c> section: defaults of every sharded route.</summary>
    public required Config ShardingDefaults { get; init; }

    /// <summary>Reads the settings from a config holding an <c>actor-http.cluster</c> section, falling back to reference.conf.</summary>
    /// <exception cref="ConfigurationException">A value is malformed; the message names the key.</exception>
    public static ClusterHttpSettings Create(Config config)
    {
        var section = config.WithFallback(ClusterHttp.DefaultConfig()).GetConfig("actor-http.cluster");
        var keys = new ConfigKeys(section, "actor-http.cluster");
        return new ClusterHttpSettings
        {
            SeedNodes = ParseAddresses(keys.List("seed-nodes"), "actor-http.cluster.seed-nodes"),
            JoinSelf = keys.Bool("join-self"),
            JoinWarningInterval = keys.Duration("join-warning-interval"),
            ShardingDefaults = section.GetConfig("sharding"),
        };
    }

    /// <summary>Parses cluster addresses such as <c>akka.tcp://actor-http@127.0.0.1:19080</c>; a bad one names <paramref name="key"/>.</summary>
    internal static IReadOnlyList<Address> ParseAddresses(IEnumerable<string> addresses, string key) => addresses.Select(text =>
    {
        Address address;
        try
        {
            address = Address.Parse(text);
        }
        catch (Exception e)
        {
            throw new ConfigurationException($"{key}: '{text}' is not a node address like akka.tcp://actor-http@127.0.0.1:19080 ({e.Message.TrimEnd('.')})", e);
        }
        if (address.Host is null || address.Port is null or <= 0)
            throw new ConfigurationException($"{key}: '{text}' needs a host and a port, like akka.tcp://actor-http@127.0.0.1:19080");
        return address;
    }).ToList();
}
