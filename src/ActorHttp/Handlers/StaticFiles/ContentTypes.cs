using System.Collections.Frozen;

namespace ActorHttp.Handlers.StaticFiles;

/// <summary>
/// The <c>Content-Type</c> of a file by its extension (case-insensitive). Every <c>text/*</c> type carries
/// <c>charset=utf-8</c>, since files are served as stored and UTF-8 is what text files are written in today; without
/// it browsers guess. An unknown extension is <see cref="Default"/>, which browsers download instead of rendering.
/// </summary>
public static class ContentTypes
{
    /// <summary>The type of a file whose extension is not in the table.</summary>
    public const string Default = "application/octet-stream";

    private static readonly FrozenDictionary<string, string> ByExtension = new Dictionary<string, string>
    {
        // text
        [".html"] = "text/html", [".htm"] = "text/html", [".css"] = "text/css",
        [".js"] = "text/javascript", [".mjs"] = "text/javascript", // RFC 9239
        [".txt"] = "text/plain", [".md"] = "text/markdown", [".csv"] = "text/csv",
        // structured data
        [".json"] = "application/json", [".map"] = "application/json", [".webmanifest"] = "application/manifest+json",
        [".xml"] = "application/xml", [".wasm"] = "application/wasm", [".pdf"] = "application/pdf",
        [".zip"] = "application/zip", [".gz"] = "application/gzip",
        // images
        [".svg"] = "image/svg+xml", [".png"] = "image/png", [".jpg"] = "image/jpeg", [".jpeg"] = "image/jpeg",
        [".gif"] = "image/gif", [".webp"] = "image/webp", [".avif"] = "image/avif", [".ico"] = "image/x-icon",
        // fonts
        [".woff"] = "font/woff", [".woff2"] = "font/woff2", [".ttf"] = "font/ttf", [".otf"] = "font/otf",
        // audio and video
        [".mp3"] = "audio/mpeg", [".ogg"] = "audio/ogg", [".wav"] = "audio/wav", [".mp4"] = "video/mp4", [".webm"] = "video/webm",
    }.ToFrozenDictionary(
        pair => pair.Key,
        pair => pair.Value.StartsWith("text/", StringComparison.Ordinal) ? pair.Value + "; charset=utf-8" : pair.Value,
        StringComparer.OrdinalIgnoreCase);

    private static readonly FrozenDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> ByExtensionSpan =
        ByExtension.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Extension (with its dot, e.g. <c>.css</c>) → Content-Type, as served.</summary>
    public static IReadOnlyDictionary<string, string> Known => ByExtension;

    /// <summary>The Content-Type for the file at <paramref name="path"/> (only its extension matters).</summary>
    public static string ForPath(ReadOnlySpan<char> path) =>
        ByExtensionSpan.TryGetValue(Path.GetExtension(path), out var type) ? type : Default;
}
