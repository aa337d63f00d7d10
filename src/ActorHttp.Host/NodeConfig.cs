using Akka.Configuration;
using ActorHttp.Server;

namespace ActorHttp.Host;

/// <summary>
/// Builds the node's configuration: <c>--set</c> overrides, then <c>--port</c>, then environment variables named in
/// <c>actor-http.environment-overrides</c>, over the config file, over ActorHttp's reference.conf. Every problem is a
/// <see cref="ConfigurationException"/> with a one-line message.
/// </summary>
public static class NodeConfig
{
    /// <summary>The section mapping environment variables to the keys they set, e.g. <c>ACTORHTTP_HTTP_PORT = "actor-http.server.port"</c>.</summary>
    public const string EnvironmentOverrides = "actor-http.environment-overrides";

    public static Config Load(string? path, int? port, IEnumerable<string> overrides, Func<string, string?>? environment = null)
    {
        var config = ConfigurationFactory.Empty;
        foreach (var assignment in overrides.Reverse()) config = config.WithFallback(ParseOverride(assignment)); // last --set wins
        if (port is { } p) config = config.WithFallback(ConfigurationFactory.ParseString($"actor-http.server.port = {p}"));
        var file = path != null ? ParseFile(path) : ConfigurationFactory.Empty;
        config = config.WithFallback(FromEnvironment(config.WithFallback(file), environment ?? Environment.GetEnvironmentVariable));
        return config.WithFallback(file).WithFallback(HttpServer.DefaultConfig());
    }

    /// <summary>
    /// The values of the environment variables <paramref name="config"/> maps to keys. Akka.NET's HOCON has no
    /// <c>${?VAR}</c> substitution, so a node config names its variables instead; a set variable counts as a string
    /// (Akka reads "19080" as a number where it needs one); an unset or empty one leaves the file's value.
    /// </summary>
    private static Config FromEnvironment(Config config, Func<string, string?> environment)
    {
        if (!config.HasPath(EnvironmentOverrides)) return ConfigurationFactory.Empty;
        var mapping = config.GetConfig(EnvironmentOverrides);
        var result = ConfigurationFactory.Empty;
        foreach (var variable in mapping.IsEmpty ? Enumerable.Empty<string>() : mapping.Root.GetObject().Items.Keys)
        {
            var key = mapping.GetString(variable);
            if (string.IsNullOrWhiteSpace(key) || key.Any(char.IsWhiteSpace))
                throw new ConfigurationException($"{EnvironmentOverrides}.{variable}: '{key}' is not a config path");
            if (environment(variable) is not { Length: > 0 } value) continue; // unset or empty: the file's value stands
            var quoted = "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
            try
            {
                result = ConfigurationFactory.ParseString($"{key} = {quoted}").WithFallback(result);
            }
            catch (Exception e)
            {
                throw new ConfigurationException($"{EnvironmentOverrides}.{variable}: cannot set {key} to '{value}': {FirstLine(e.Message)}");
            }
        }
        return result;
    }

    private static Config ParseFile(string path)
    {
        if (!File.Exists(path)) throw new ConfigurationException($"config file '{path}' not found");
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e)
        {
            throw new ConfigurationException($"cannot read config file '{path}': {e.Message}");
        }
        if (HoconStructure.FindError(text) is { } error)
            throw new ConfigurationException($"config file '{path}' is not valid HOCON: {error}");
        try
        {
            return ConfigurationFactory.ParseString(text);
        }
        catch (Exception e)
        {
            throw new ConfigurationException($"config file '{path}' is not valid HOCON: {FirstLine(e.Message)}");
        }
    }

    /// <summary>Parses <c>path=value</c>, where value is HOCON (a string may be quoted).</summary>
    private static Config ParseOverride(string assignment)
    {
        var eq = assignment.IndexOf('=');
        if (eq <= 0) throw new ConfigurationException($"--set '{assignment}': expected path=value, e.g. actor-http.server.port=9090");
        var key = assignment[..eq].Trim();
        var value = assignment[(eq + 1)..].Trim();
        if (key.Length == 0 || key.Any(char.IsWhiteSpace)) throw new ConfigurationException($"--set '{assignment}': invalid path '{key}'");
        if (HoconStructure.FindError(value) is { } error) throw new ConfigurationException($"--set '{assignment}': {error}");
        try
        {
            return ConfigurationFactory.ParseString($"{key} = {(value.Length == 0 ? "\"\"" : value)}");
        }
        catch (Exception e)
        {
            throw new ConfigurationException($"--set '{assignment}': {FirstLine(e.Message)}");
        }
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
