using Akka.Configuration;

namespace ActorHttp.Handlers.StaticFiles;

/// <summary>
/// What a <see cref="StaticFileHandler"/> serves and how much of it it keeps in memory. In HOCON these are keys of
/// the route (see <see cref="FromConfig"/>); in code, pass them to <see cref="StaticFileHandler.Props(StaticFileSettings)"/>.
/// </summary>
public sealed record StaticFileSettings
{
    /// <summary>Default of <see cref="CacheMaxFileSize"/>: 256 KiB.</summary>
    public const long DefaultCacheMaxFileSize = 256 * 1024;

    /// <summary>Default of <see cref="CacheMaxSize"/>: 16 MiB.</summary>
    public const long DefaultCacheMaxSize = 16 * 1024 * 1024;

    /// <summary>Largest <see cref="CacheMaxFileSize"/>: a file held in memory is one array.</summary>
    public const long MaxInMemoryFileSize = 1024 * 1024 * 1024;

    /// <summary>The directory served. A relative path resolves against the current working directory.</summary>
    public required string Root { get; init; }

    /// <summary>The file served for a directory (e.g. <c>index.html</c>); empty for none (a directory is then 404).</summary>
    public string Index { get; init; } = "index.html";

    /// <summary>
    /// The route value naming the file, relative to <see cref="Root"/>: the name of the route template's final
    /// <c>{*name}</c> parameter. A request without it (a template without a catch-all, or an empty name here) is served
    /// <see cref="Index"/> of <see cref="Root"/>.
    /// </summary>
    public string PathParameter { get; init; } = "path";

    /// <summary>
    /// Files up to this size are read into memory, served from there and cached; larger ones are streamed from disk
    /// in 64 KiB pieces, paced by the client.
    /// </summary>
    public long CacheMaxFileSize { get; init; } = DefaultCacheMaxFileSize;

    /// <summary>Total bytes of file content the cache keeps (least recently used files go first); 0 disables caching.</summary>
    public long CacheMaxSize { get; init; } = DefaultCacheMaxSize;

    /// <summary>How long clients may reuse a file without asking again: <c>Cache-Control: max-age=N</c> (0: revalidate every time).</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// The route's compression, or null. With it, a compressible file that is cached in memory is also kept compressed,
    /// once per coding (at the optimal level), and served so to clients that accept the coding, with an <c>ETag</c> of its
    /// own (the coding's token appended) and <c>Vary: Accept-Encoding</c>; larger files are compressed as they stream.
    /// In HOCON the route's <c>compression</c> sets it.
    /// </summary>
    public Protocol.Compression.CompressionPolicy? Compression { get; init; }

    /// <summary>
    /// Reads the settings of a static route: <c>root</c> (required), <c>index</c>, <c>cache-max-file-size</c>,
    /// <c>cache-max-size</c>, <c>max-age</c>, and validates them like <see cref="Validate"/>.
    /// </summary>
    /// <param name="route">The route's config object.</param>
    /// <param name="key">The route's path in the whole config (e.g. <c>actor-http.routes.site</c>), for messages.</param>
    /// <param name="pathParameter">The route template's catch-all parameter, or null when it has none.</param>
    /// <exception cref="ConfigurationException">A key is missing or invalid; the message names it.</exception>
    public static StaticFileSettings FromConfig(Config route, string key, string? pathParameter)
    {
        var root = route.GetString("root", "");
        if (string.IsNullOrWhiteSpace(root)) throw new ConfigurationException($"{key}.root is missing (the directory to serve)");
        var settings = new StaticFileSettings
        {
            Root = root,
            Index = route.GetString("index", "index.html"),
            // No catch-all: no request carries a value of this name, so every request is served the index.
            PathParameter = pathParameter ?? "",
            CacheMaxFileSize = Read(route, key, "cache-max-file-size", c => c.GetByteSize("cache-max-file-size", DefaultCacheMaxFileSize) ?? DefaultCacheMaxFileSize),
            CacheMaxSize = Read(route, key, "cache-max-size", c => c.GetByteSize("cache-max-size", DefaultCacheMaxSize) ?? DefaultCacheMaxSize),
            MaxAge = Read(route, key, "max-age", c => c.GetTimeSpan("max-age", TimeSpan.Zero, allowInfinite: false)),
        };
        return settings.Validate(key);
    }

    /// <summary>
    /// Checks the settings and returns them with <see cref="Root"/> made absolute.
    /// </summary>
    /// <param name="configKey">The route's config path, to name HOCON keys in messages; null to name properties.</param>
    /// <exception cref="ConfigurationException">A setting is invalid or the root directory does not exist; the message names it.</exception>
    public StaticFileSettings Validate(string? configKey = null)
    {
        string Name(string hoconKey, string property) => configKey is null ? $"{nameof(StaticFileSettings)}.{property}" : $"{configKey}.{hoconKey}";

        if (string.IsNullOrWhiteSpace(Root)) throw new ConfigurationException($"{Name("root", nameof(Root))} is missing (the directory to serve)");
        var root = Path.GetFullPath(Root);
        if (!Directory.Exists(root))
            throw new ConfigurationException($"{Name("root", nameof(Root))}: directory '{root}' does not exist " +
                                             $"(a relative root resolves against the working directory, {Environment.CurrentDirectory})");
        if (Index.Length > 0 && (Index.IndexOfAny(['/', '\\', '\0', ':']) >= 0 || Index.StartsWith('.')))
            throw new ConfigurationException($"{Name("index", nameof(Index))}: '{Index}' must be a plain file name (no '/', '\\', ':', not starting with '.')");
        if (CacheMaxFileSize is < 0 or > MaxInMemoryFileSize)
            throw new ConfigurationException($"{Name("cache-max-file-size", nameof(CacheMaxFileSize))} must be between 0 and 1g (was {CacheMaxFileSize})");
        if (CacheMaxSize < 0)
            throw new ConfigurationException($"{Name("cache-max-size", nameof(CacheMaxSize))} must not be negative (was {CacheMaxSize})");
        if (MaxAge < TimeSpan.Zero)
            throw new ConfigurationException($"{Name("max-age", nameof(MaxAge))} must not be negative (was {MaxAge})");
        return this with { Root = root };
    }

    /// <summary>Reads one key, turning Akka's parse errors into a message that names the key.</summary>
    private static T Read<T>(Config route, string key, string name, Func<Config, T> read)
    {
        try
        {
            return read(route);
        }
        catch (Exception e)
        {
            throw new ConfigurationException($"{key}.{name}: {e.Message}", e);
        }
    }
}
