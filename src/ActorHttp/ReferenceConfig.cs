using Akka.Configuration;

namespace ActorHttp;

/// <summary>
/// ActorHttp's embedded reference.conf, loaded once: the one place where the defaults are written. Below every layer,
/// so settings of any layer (the parser's limits, the server's knobs) can read their defaults from it.
/// </summary>
internal static class ReferenceConfig
{
    private static readonly Lazy<Config> Loaded = new(() =>
        ConfigurationFactory.FromResource("ActorHttp.reference.conf", typeof(ReferenceConfig).Assembly));

    /// <summary>The parsed reference.conf.</summary>
    public static Config Value => Loaded.Value;
}
