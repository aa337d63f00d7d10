using System.Text;
using System.Text.RegularExpressions;
using Akka.Configuration;
using Microsoft.Extensions.Configuration;

namespace ActorHttp.Hosting;

/// <summary>
/// An <see cref="IConfiguration"/> section holding the keys of the HOCON <c>actor-http</c> block (appsettings.json's
/// <c>"ActorHttp": { "server": { "port": 8080 }, "routes": { ... } }</c>, or environment variables such as
/// <c>ActorHttp__server__port</c>) as HOCON under <c>actor-http</c>, so that ServerSettings, RouteConfig and the cluster
/// settings read it as they read a node's HOCON. Keys may be written as in HOCON (<c>idle-timeout</c>) or in .NET style
/// (<c>IdleTimeout</c>, <c>idle_timeout</c>); route names are kept as written. Values are strings, read by HOCON as the
/// type each key needs; a list is an array (<c>"methods": ["GET", "POST"]</c>, <c>methods__0=GET</c>) or, where
/// ActorHttp accepts it, a comma-separated string. <see cref="Explain"/> turns a HOCON key in an error back into the
/// configuration key the user wrote.
/// </summary>
internal sealed partial class ConfigurationHocon
{
    private const string Root = "actor-http";

    private readonly Dictionary<string, string> _configurationPaths; // HOCON path → configuration path

    private ConfigurationHocon(Config config, Dictionary<string, string> configurationPaths)
    {
        Config = config;
        _configurationPaths = configurationPaths;
    }

    /// <summary>The section as HOCON, under <c>actor-http</c>.</summary>
    public Config Config { get; }

    /// <summary>Translates <paramref name="section"/>.</summary>
    /// <exception cref="ConfigurationException">The section holds something HOCON settings cannot be (a list of objects).</exception>
    public static ConfigurationHocon Translate(IConfiguration section)
    {
        var paths = new Dictionary<string, string>(StringComparer.Ordinal);
        var text = new StringBuilder();
        text.Append(Quote(Root)).Append(" {\n");
        foreach (var child in section.GetChildren()) Write(child, [Root], text, paths);
        text.Append("}\n");
        return new ConfigurationHocon(ConfigurationFactory.ParseString(text.ToString()), paths);
    }

    private static void Write(IConfigurationSection section, List<string> parent, StringBuilder text, Dictionary<string, string> paths)
    {
        // Route names are the user's own (they name the route in logs and errors); every other key is a setting's name.
        var isRouteName = parent is [Root, "routes"];
        var key = isRouteName ? section.Key : SettingKey(section.Key);
        List<string> path = [.. parent, key];
        var children = section.GetChildren().ToList();
        if (children.Count == 0)
        {
            // A route set to null or "" removes it, as `name = null` does in HOCON; a setting without a value is left to
            // its default ("" is a value: server-header = "" sends none).
            if (isRouteName && section.Value is null or "") text.Append(Quote(key)).Append(" = null\n");
            else if (section.Value is null) return;
            else text.Append(Quote(key)).Append(" = ").Append(Quote(ScalarValue(section.Value))).Append('\n');
        }
        else if (children.All(c => int.TryParse(c.Key, out _)))
        {
            text.Append(Quote(key)).Append(" = [");
            foreach (var item in children.OrderBy(c => int.Parse(c.Key)))
            {
                if (item.GetChildren().Any())
                    throw new ConfigurationException($"{item.Path}: a list item must be a value, not an object");
                text.Append(Quote(ScalarValue(item.Value ?? ""))).Append(", ");
            }
            text.Append("]\n");
        }
        else
        {
            text.Append(Quote(key)).Append(" {\n");
            foreach (var child in children) Write(child, path, text, paths);
            text.Append("}\n");
        }
        paths[string.Join('.', path)] = section.Path;
    }

    /// <summary>
    /// A configuration key as the HOCON key of a setting: <c>IdleTimeout</c>, <c>idleTimeout</c> and <c>idle_timeout</c> all
    /// become <c>idle-timeout</c>; <c>idle-timeout</c> stays.
    /// </summary>
    internal static string SettingKey(string key)
    {
        var result = new StringBuilder(key.Length + 4);
        for (var i = 0; i < key.Length; i++)
        {
            var c = key[i];
            if (c == '_') c = '-';
            if (char.IsUpper(c) && i > 0 && (char.IsLower(key[i - 1]) || char.IsDigit(key[i - 1]))) result.Append('-');
            result.Append(char.ToLowerInvariant(c));
        }
        return result.ToString();
    }

    /// <summary>JSON booleans arrive as True and False, which HOCON does not read as booleans.</summary>
    private static string ScalarValue(string value) =>
        value.Equals("True", StringComparison.Ordinal) ? "true" : value.Equals("False", StringComparison.Ordinal) ? "false" : value;

    private static string Quote(string text)
    {
        var quoted = new StringBuilder(text.Length + 2).Append('"');
        foreach (var c in text)
        {
            _ = c switch
            {
                '"' => quoted.Append("\\\""),
                '\\' => quoted.Append("\\\\"),
                '\n' => quoted.Append("\\n"),
                '\r' => quoted.Append("\\r"),
                '\t' => quoted.Append("\\t"),
                < ' ' => quoted.Append($"\\u{(int)c:x4}"),
                _ => quoted.Append(c),
            };
        }
        return quoted.Append('"').ToString();
    }

    /// <summary>
    /// <paramref name="error"/> with its HOCON key (<c>actor-http.server.port</c>) named as the configuration key it came
    /// from (<c>ActorHttp:server:port (actor-http.server.port)</c>); unchanged when the key did not come from the section.
    /// </summary>
    public ConfigurationException Explain(ConfigurationException error)
    {
        // The first key in a message is the one in error. It came from the section if the section has it, or, for a key a
        // route lacks (its handler is missing), if the section defines that route.
        var match = HoconKey().Match(error.Message);
        if (!match.Success) return error;
        var key = match.Value;
        var route = RouteKey().Match(key);
        var known = _configurationPaths.ContainsKey(key) ? key : route.Success && _configurationPaths.ContainsKey(route.Value) ? route.Value : null;
        if (known is null) return error;
        var configurationPath = _configurationPaths[known] + key[known.Length..].Replace('.', ':');
        return new ConfigurationException(error.Message.Remove(match.Index, key.Length).Insert(match.Index, $"{configurationPath} ({key})"), error);
    }

    [GeneratedRegex(@"actor-http(\.[A-Za-z0-9_\-]+)+")]
    private static partial Regex HoconKey();

    [GeneratedRegex(@"^actor-http\.routes\.[A-Za-z0-9_\-]+")]
    private static partial Regex RouteKey();
}
