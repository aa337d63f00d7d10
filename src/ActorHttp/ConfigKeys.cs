using Akka.Configuration;

namespace ActorHttp;

/// <summary>
/// Reads keys of one config section, turning every failure into a <see cref="ConfigurationException"/> that names the
/// full key (<paramref name="prefix"/>.key) and the value found. Used by every settings type, here and in ActorHttp.Cluster.
/// </summary>
internal readonly struct ConfigKeys(Config section, string prefix)
{
    /// <summary>The section's full key, e.g. <c>actor-http.server.websocket</c>.</summary>
    public string Prefix => prefix;

    public T Read<T>(string key, Func<string, Config, T> read)
    {
        if (!section.HasPath(key)) throw new ConfigurationException($"{prefix}.{key} is missing");
        try
        {
            return read(key, section);
        }
        catch (Exception e) when (e is not ConfigurationException)
        {
            string raw;
            try { raw = section.GetString(key); } catch { raw = "?"; }
            throw new ConfigurationException($"{prefix}.{key}: invalid value '{raw}' ({e.Message.TrimEnd('.')})", e);
        }
    }

    public int Int(string key, int min, int max)
    {
        var value = Read(key, (k, x) => x.GetInt(k));
        return value >= min && value <= max ? value
            : throw new ConfigurationException($"{prefix}.{key} must be between {min} and {max} (was {value})");
    }

    public TimeSpan Duration(string key)
    {
        var value = Read(key, (k, x) => x.GetTimeSpan(k));
        return value > TimeSpan.Zero ? value
            : throw new ConfigurationException($"{prefix}.{key} must be a positive duration such as 5s (was {value})");
    }

    /// <summary>A positive duration, or null for <c>off</c> (also <c>infinite</c>, <c>none</c>): the feature is disabled.</summary>
    public TimeSpan? DurationOrOff(string key) => IsOff(key) ? null : Duration(key);

    /// <summary>A size as <see cref="Size"/>, or null for <c>off</c> (also <c>infinite</c>, <c>none</c>).</summary>
    public long? SizeOrOff(string key, long min, long max) => IsOff(key) ? null : Size(key, min, max);

    /// <summary>The key says <c>off</c>, <c>infinite</c>, <c>none</c> or <c>false</c>: no limit, or the feature is disabled.</summary>
    private bool IsOff(string key) =>
        Read(key, (k, x) => x.GetString(k)) is { } raw && raw.Trim().ToLowerInvariant() is "off" or "infinite" or "none" or "false";

    public long Size(string key, long min, long max)
    {
        var value = Read(key, (k, x) => x.GetByteSize(k) ?? throw new FormatException("not a size"));
        return value >= min && value <= max ? value
            : throw new ConfigurationException($"{prefix}.{key} must be between {min} and {max} bytes (was {value})");
    }

    public bool Bool(string key) => Read(key, (k, x) => x.GetBoolean(k));

    /// <summary>The keys of the sub-section <paramref name="key"/>, named <c>prefix.key.…</c> in errors.</summary>
    public ConfigKeys Section(string key) => new(section.GetConfig(key) ?? ConfigurationFactory.Empty, $"{prefix}.{key}");

    /// <summary>A list of strings, or one string of comma-separated items (as an environment variable can hold).</summary>
    public IReadOnlyList<string> List(string key) => Read(key, (k, x) =>
    {
        var value = x.GetValue(k);
        IEnumerable<string> items = value.IsArray() ? value.GetStringList() : (value.GetString() ?? "").Split(',');
        return (IReadOnlyList<string>)items.Select(s => s.Trim()).Where(s => s.Length > 0).ToList();
    });
}
