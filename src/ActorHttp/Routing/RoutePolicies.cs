using Akka.Configuration;

namespace ActorHttp.Routing;

/// <summary>
/// Reads a policy that HOCON routes share or set each for themselves, as CORS (<c>cors</c>) and compression
/// (<c>compression</c>) are: the section <c>actor-http.NAME</c> applies to every route when its <c>enabled</c> is on; a
/// route's own <c>NAME { ... }</c> overrides it (its keys fall back to the section), <c>NAME = on</c> turns the section's
/// policy on for that route alone, <c>NAME = off</c> opts the route out.
/// </summary>
internal static class RoutePolicies
{
    /// <summary>The policy of <c>actor-http.NAME</c> when it is enabled for every route, else null.</summary>
    /// <param name="config">The node's configuration, backed by reference.conf.</param>
    /// <param name="name">The policy's key: <c>cors</c>, <c>compression</c>.</param>
    /// <param name="read">Reads a policy from a section, naming the section's key in errors.</param>
    public static T? Global<T>(Config config, string name, Func<Config, string, T> read) where T : class
    {
        var key = $"actor-http.{name}";
        var section = config.GetConfig(key);
        return new ConfigKeys(section, key).Bool("enabled") ? read(section, key) : null;
    }

    /// <summary>The policy of the route at <paramref name="key"/>: its own, none, or <paramref name="global"/> when it says nothing.</summary>
    public static T? ForRoute<T>(Config route, string key, string name, Config config, T? global, Func<Config, string, T> read) where T : class
    {
        if (!route.HasPath(name)) return global;
        var sectionKey = $"actor-http.{name}";
        var value = route.GetValue(name);
        if (!value.IsObject())
        {
            return value.GetString()?.Trim().ToLowerInvariant() switch
            {
                "off" or "false" or "no" or "none" => null,
                "on" or "true" or "yes" => read(config.GetConfig(sectionKey), sectionKey),
                var other => throw new ConfigurationException($"{key}.{name}: '{other}' is neither off, on nor an object of {name} settings"),
            };
        }
        var own = route.GetConfig(name);
        if (own.HasPath("enabled") && !new ConfigKeys(own, $"{key}.{name}").Bool("enabled")) return null;
        return read(own.WithFallback(config.GetConfig(sectionKey)), $"{key}.{name}");
    }
}
