using System.Globalization;
using Akka.IO;
using ActorHttp.Protocol;

namespace ActorHttp.Handlers.StaticFiles;

/// <summary>
/// One version of one file, as the static handler answers for it: validators and headers computed once per version,
/// and the content when the file is small enough to be held in memory. Then the 200 response is built once as well, so
/// a cache hit answers with an existing object.
/// </summary>
internal sealed class StaticFile
{
    private StaticFile(string path, long length, DateTime lastWriteTimeUtc, string cacheControl, ByteString? content)
    {
        Path = path;
        Length = length;
        LastWriteTimeUtc = lastWriteTimeUtc;
        // HTTP dates have whole seconds: Last-Modified says the second, and If-Modified-Since compares at that precision.
        LastModified = new DateTimeOffset(lastWriteTimeUtc.Ticks - lastWriteTimeUtc.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
        // Strong validator from length and exact write time (as nginx does): any edit changes one or the other.
        ETag = string.Create(CultureInfo.InvariantCulture, $"\"{length:x}-{lastWriteTimeUtc.Ticks:x}\"");
        ContentType = ContentTypes.ForPath(path);
        var etag = new HttpHeader("ETag", ETag);
        var lastModified = new HttpHeader("Last-Modified", LastModified.ToString("r", CultureInfo.InvariantCulture));
        var cache = new HttpHeader("Cache-Control", cacheControl);
        Headers = [etag, lastModified, cache, new HttpHeader("Accept-Ranges", "bytes")];
        NotModified = new HttpResponse { Status = StatusCodes.NotModified, Headers = [etag, lastModified, cache] };
        Content = content;
        if (content != null) Ok = new HttpResponse { ContentType = ContentType, Headers = Headers, Body = content };
    }

    /// <summary>The file's real path (links resolved).</summary>
    public string Path { get; }

    /// <summary>Its length in bytes.</summary>
    public long Length { get; }

    /// <summary>Its exact last write time: with <see cref="Length"/>, what identifies this version.</summary>
    public DateTime LastWriteTimeUtc { get; }

    /// <summary>The last write time cut to whole seconds, as <c>Last-Modified</c> states it.</summary>
    public DateTimeOffset LastModified { get; }

    /// <summary>The strong entity tag, quoted: <c>"&lt;hex length&gt;-&lt;hex ticks&gt;"</c>.</summary>
    public string ETag { get; }

    /// <summary>The Content-Type for its extension.</summary>
    public string ContentType { get; }

    /// <summary>ETag, Last-Modified, Cache-Control and Accept-Ranges: the headers of every 200 or 206 for this file.</summary>
    public IReadOnlyList<HttpHeader> Headers { get; }

    /// <summary>The file's bytes, when held in memory; null for a file streamed from disk.</summary>
    public ByteString? Content { get; }

    /// <summary>The whole 200 response, when <see cref="Content"/> is held.</summary>
    public HttpResponse? Ok { get; }

    /// <summary>The 304 response: validators and Cache-Control, no body.</summary>
    public HttpResponse NotModified { get; }

    /// <summary>A file version streamed from disk (no content held).</summary>
    public static StaticFile OnDisk(string path, long length, DateTime lastWriteTimeUtc, string cacheControl) =>
        new(path, length, lastWriteTimeUtc, cacheControl, null);

    /// <summary>A file version held in memory; its length is the content's.</summary>
    public static StaticFile InMemory(string path, ByteString content, DateTime lastWriteTimeUtc, string cacheControl) =>
        new(path, content.Count, lastWriteTimeUtc, cacheControl, content);
}
