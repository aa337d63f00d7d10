using System.Globalization;
using Akka.IO;
using ActorHttp.Protocol;
using ActorHttp.Protocol.Compression;

namespace ActorHttp.Handlers.StaticFiles;

/// <summary>
/// One version of one file, as the static handler answers for it: validators and headers computed once per version,
/// and the content when the file is small enough to be held in memory. Then the 200 response is built once as well, so
/// a cache hit answers with an existing object. Under a compressing route a compressible file held in memory also has
/// compressed copies (<see cref="CopyFor"/>), made once when it is read into the cache.
/// </summary>
internal sealed class StaticFile
{
    private readonly CodedCopy?[] _copies = new CodedCopy?[4]; // by ContentCoding

    private StaticFile(string path, long length, DateTime lastWriteTimeUtc, string cacheControl, ByteString? content, ResponseCompressor? compressor)
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
        // What a compressing route may serve compressed differs by Accept-Encoding, whichever representation goes out.
        IReadOnlyList<HttpHeader> vary = compressor?.IsCompressibleType(ContentType) == true ? [new HttpHeader("Vary", "Accept-Encoding")] : [];
        Headers = [etag, lastModified, cache, new HttpHeader("Accept-Ranges", "bytes"), .. vary];
        NotModified = new HttpResponse { Status = StatusCodes.NotModified, Headers = [etag, lastModified, cache, .. vary] };
        Content = content;
        HeldBytes = content?.Count ?? 0;
        if (content == null) return;
        Ok = new HttpResponse { ContentType = ContentType, Headers = Headers, Body = content };
        if (vary.Count == 0 || content.Count < compressor!.Policy.MinSize) return;
        foreach (var coding in compressor.Policy.Encodings)
        {
            var coded = BodyEncoder.EncodeAll(content, coding, CopyLevel);
            if (coded.Count >= content.Count) continue; // not worth it: the file goes out as it is
            // A representation of its own, so an ETag of its own (RFC 9110 §8.8.3): the coding's token inside the quotes.
            var codedTag = new HttpHeader("ETag", $"{ETag[..^1]}-{coding.Token()}\"");
            var encoding = new HttpHeader("Content-Encoding", coding.Token());
            _copies[(int)coding] = new CodedCopy(codedTag.Value,
                new HttpResponse { ContentType = ContentType, Headers = [codedTag, lastModified, cache, .. vary, encoding], Body = coded },
                new HttpResponse { Status = StatusCodes.NotModified, Headers = [codedTag, lastModified, cache, .. vary] });
            HeldBytes += coded.Count;
        }
    }

    /// <summary>
    /// The level of the compressed copies: Optimal (Brotli 4, gzip 6), not SmallestSize (Brotli 11 takes about a second
    /// per MB): a copy is made again whenever its file left the cache, so a client walking many files could otherwise
    /// keep the route busy compressing.
    /// </summary>
    private const System.IO.Compression.CompressionLevel CopyLevel = System.IO.Compression.CompressionLevel.Optimal;

    /// <summary>A compressed copy of the file: its entity tag, its 200 and its 304.</summary>
    public sealed record CodedCopy(string ETag, HttpResponse Ok, HttpResponse NotModified);

    /// <summary>The copy compressed with <paramref name="coding"/>, or null (none made: not compressible, or not smaller).</summary>
    public CodedCopy? CopyFor(ContentCoding coding) => _copies[(int)coding];

    /// <summary>Bytes held in memory for this version: the content and its compressed copies.</summary>
    public long HeldBytes { get; }

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
        new(path, length, lastWriteTimeUtc, cacheControl, null, null);

    /// <summary>A file version held in memory; its length is the content's. With <paramref name="compressor"/>, compressed copies are made.</summary>
    public static StaticFile InMemory(string path, ByteString content, DateTime lastWriteTimeUtc, string cacheControl, ResponseCompressor? compressor = null) =>
        new(path, content.Count, lastWriteTimeUtc, cacheControl, content, compressor);
}
