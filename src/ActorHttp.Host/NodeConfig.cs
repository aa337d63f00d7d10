using Akka.Configuration;
using ActorHttp.Server;

namespace ActorHttp.Host;

/// <summary>
/// Builds the node's configuration: <c>--set</c> overrides, then <c>--port</c>, over the config file, over
/// ActorHttp's reference.conf. Every problem is a <see cref="ConfigurationException"/> with a one-line message.
/// </summary>
public static class NodeConfig
{
    public static Config Load(string? path, int? port, IEnumerable<string> overrides)
    {
        var config = ConfigurationFactory.Empty;
        foreach (var assignment in overrides.Reverse()) config = config.WithFallback(ParseOverride(assignment)); // last --set wins
        if (port is { } p) config = config.WithFallback(ConfigurationFactory.ParseString($"actor-http.server.port = {p}"));
        if (path != null) config = config.WithFallback(ParseFile(path));
        return config.WithFallback(HttpServer.DefaultConfig());
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
