using System.Globalization;
using Akka.Actor;
using Akka.Event;
using Akka.IO;
using ActorHttp.Protocol;
using ActorHttp.Protocol.Compression;

namespace ActorHttp.Handlers.StaticFiles;

/// <summary>
/// Serves the files of a directory: mount it with a catch-all route, e.g.
/// <c>routes.Get("/static/{*path}", StaticFileHandler.Props("wwwroot"))</c>, and <c>GET /static/css/site.css</c>
/// answers <c>wwwroot/css/site.css</c>.
/// <list type="bullet">
/// <item>Content-Type by extension (<see cref="ContentTypes"/>); ETag and Last-Modified, 304 for If-None-Match and
/// If-Modified-Since; one byte range (206, or 416), also under If-Range; HEAD through the server's transparent HEAD.</item>
/// <item>A directory is served its index file; without a trailing slash it is first redirected (301) to it, so the
/// index's relative links resolve.</item>
/// <item>400 for paths that could leave the root (<c>..</c>, absolute, backslash, encoded slash, control characters,
/// <c>:</c>); 404 for dotfiles, missing files and symlinks whose target is outside the root.</item>
/// <item>Files up to <see cref="StaticFileSettings.CacheMaxFileSize"/> are answered from a bounded in-memory cache that
/// notices edits; larger ones are streamed from disk, paced by the client.</item>
/// </list>
/// The handler stats and reads files synchronously, so its Props run it on <see cref="HandlerProps.BlockingDispatcher"/>:
/// file system calls never hold up connections or other routes.
/// </summary>
public sealed class StaticFileHandler : HttpHandlerActor
{
    private static readonly HttpResponse BadRequest = HttpResponse.Error(StatusCodes.BadRequest, "invalid file path");
    private static readonly HttpResponse NotFound = HttpResponse.Error(StatusCodes.NotFound);

    private readonly StaticFileSettings _settings;
    private readonly RootDirectory _root;
    private readonly FileCache _cache;
    private readonly ResponseCompressor? _compressor;
    private readonly string _cacheControl;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    /// <param name="settings">Validated settings (<see cref="StaticFileSettings.Validate"/>); <see cref="Props(StaticFileSettings)"/> validates them.</param>
    public StaticFileHandler(StaticFileSettings settings)
    {
        _settings = settings;
        _root = new RootDirectory(settings.Root);
        _cache = new FileCache(settings.CacheMaxSize, settings.CacheMaxFileSize);
        _compressor = settings.Compression is { } policy ? new ResponseCompressor(policy) : null;
        _cacheControl = string.Create(CultureInfo.InvariantCulture, $"max-age={(long)settings.MaxAge.TotalSeconds}");
    }

    /// <summary>
    /// Props serving <paramref name="root"/> (relative to the working directory), with the file named by the route's
    /// <c>{*<paramref name="pathParameter"/>}</c> and <paramref name="index"/> for directories; on the blocking dispatcher.
    /// </summary>
    /// <exception cref="Akka.Configuration.ConfigurationException">The root directory does not exist, or a setting is invalid.</exception>
    public static Props Props(string root, string index = "index.html", string pathParameter = "path") =>
        Props(new StaticFileSettings { Root = root, Index = index, PathParameter = pathParameter });

    /// <summary>Props serving files as <paramref name="settings"/> say, on the blocking dispatcher (override with <c>WithDispatcher</c>).</summary>
    /// <exception cref="Akka.Configuration.ConfigurationException">The root directory does not exist, or a setting is invalid.</exception>
    public static Props Props(StaticFileSettings settings)
    {
        var valid = settings.Validate();
        return Akka.Actor.Props.Create(() => new StaticFileHandler(valid)).WithDispatcher(HandlerProps.BlockingDispatcher);
    }

    protected override void OnRequest(HttpRequest request)
    {
        // Answered here rather than by the base class's 500-and-restart: a restart would throw the cache away.
        try
        {
            Serve(request);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or PathTooLongException)
        {
            Respond(NotFound); // deleted between the stat and the open, or a name no file system holds
        }
        catch (UnauthorizedAccessException e)
        {
            _log.Warning("static files: no permission for {0}: {1}", request.Path, e.Message);
            Respond(NotFound); // as if absent: a 403 would confirm the file exists
        }
        catch (IOException e)
        {
            _log.Error(e, "static files: I/O error serving {0}", request.Path);
            Respond(HttpResponse.Error(StatusCodes.InternalServerError));
        }
    }

    private void Serve(HttpRequest request)
    {
        // Without the catch-all value (a template without one), the request names the root: its index.
        var exactIndex = !request.RouteValues.TryGetValue(_settings.PathParameter, out var relative);
        relative ??= "";
        switch (RootDirectory.Check(relative, request.Path, out var segments))
        {
            case PathVerdict.Invalid:
                Respond(BadRequest);
                return;
            case PathVerdict.Hidden:
                Respond(NotFound);
                return;
        }

        // Outside the root through a link, or nothing there: 404 either way.
        if (Find(segments) is not ({ } path, { } info))
        {
            Respond(NotFound);
            return;
        }
        var namedDirectory = relative.Length > 0 && relative[^1] == '/';
        if (info.Attributes.HasFlag(FileAttributes.Directory))
        {
            if (!exactIndex && relative.Length > 0 && !namedDirectory)
            {
                // Relative links in the index ("style.css") resolve against the URL's directory: it must end in '/'.
                var location = request.Query.Length == 0 ? request.Path + "/" : $"{request.Path}/?{request.Query}";
                Respond(new HttpResponse { Status = StatusCodes.MovedPermanently, Headers = [new HttpHeader("Location", location)] });
                return;
            }
            if (_settings.Index.Length == 0 || Find([.. segments, _settings.Index]) is not ({ } indexPath, { } indexInfo)
                || indexInfo.Attributes.HasFlag(FileAttributes.Directory))
            {
                Respond(NotFound); // no index, and no listings
                return;
            }
            (path, info) = (indexPath, indexInfo);
        }
        else if (namedDirectory)
        {
            Respond(NotFound); // "file.txt/" names a directory that is not there
            return;
        }

        if (_cache.Get(path, info.Length, info.LastWriteTimeUtc) is { } cached)
        {
            Respond(Select(request, cached, out _, out _));
            return;
        }
        ServeFromDisk(request, path);
    }

    /// <summary>The real path under the root of <paramref name="segments"/> and what is there; null when nothing is, or it is outside.</summary>
    private (string Path, FileInfo Info)? Find(IReadOnlyList<string> segments)
    {
        if (_root.Resolve(segments) is not { } path) return null;
        var info = new FileInfo(path);
        return (int)info.Attributes == -1 ? null : (path, info); // -1: no such file or directory
    }

    /// <summary>Opens the file and takes its version from the open handle, so validators and bytes agree.</summary>
    private void ServeFromDisk(HttpRequest request, string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete,
            bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
        try
        {
            var length = stream.Length;
            var lastWrite = File.GetLastWriteTimeUtc(stream.SafeFileHandle);
            if (length <= _settings.CacheMaxFileSize)
            {
                // Small: read whole (blocking, on the blocking dispatcher), answer from memory and keep for next time.
                var bytes = new byte[length];
                stream.ReadExactly(bytes);
                // Compressed copies only for a file the cache will keep: made at the smallest level, they pay off only
                // when reused; an uncached file is compressed by the connection as any response is.
                var file = StaticFile.InMemory(path, ByteString.FromBytes(bytes), lastWrite, _cacheControl, _cache.CanHold(length) ? _compressor : null);
                _cache.Add(file);
                Respond(Select(request, file, out _, out _));
                return;
            }
            var response = Select(request, StaticFile.OnDisk(path, length, lastWrite, _cacheControl), out var start, out var count);
            if (response.Status is StatusCodes.Ok or StatusCodes.PartialContent)
            {
                stream.Seek(start, SeekOrigin.Begin);
                RespondWithStream(response, stream, count); // the stream is the producer's now, and disposed by it
                stream = null;
            }
            else Respond(response);
        }
        finally
        {
            stream?.Dispose();
        }
    }

    /// <summary>
    /// The answer for one version of a file: 304, 416, 206 or 200. When its content is in memory the response is
    /// complete; for a file on disk a 200 or 206 is the head of a body of <paramref name="length"/> bytes from
    /// <paramref name="start"/>.
    /// </summary>
    private HttpResponse Select(HttpRequest request, StaticFile file, out long start, out long length)
    {
        start = 0;
        length = file.Length;
        // A compressed copy when the client accepts one (never for a Range request: the negotiation says identity).
        if (file.Content != null && _compressor?.Negotiate(request) is { Coding: not ContentCoding.Identity } accepted
            && file.CopyFor(accepted.Coding) is { } copy)
            return ConditionalRequests.IsNotModified(request.Headers, copy.ETag, file.LastModified) ? copy.NotModified : copy.Ok;
        if (ConditionalRequests.IsNotModified(request.Headers, file.ETag, file.LastModified)) return file.NotModified;
        switch (ConditionalRequests.RangeOf(request.Headers, file, out var rangeStart, out var rangeLength))
        {
            case RangeKind.Unsatisfiable:
                return HttpResponse.Error(StatusCodes.RangeNotSatisfiable) with
                {
                    Headers = [new HttpHeader("Content-Range", string.Create(CultureInfo.InvariantCulture, $"bytes */{file.Length}"))],
                };
            case RangeKind.Partial:
                (start, length) = (rangeStart, rangeLength);
                return new HttpResponse
                {
                    Status = StatusCodes.PartialContent,
                    ContentType = file.ContentType,
                    Headers = [.. file.Headers, new HttpHeader("Content-Range",
                        string.Create(CultureInfo.InvariantCulture, $"bytes {start}-{start + length - 1}/{file.Length}"))],
                    Body = file.Content?.Slice((int)start, (int)length) ?? ByteString.Empty,
                };
            default:
                return file.Ok ?? new HttpResponse { ContentType = file.ContentType, Headers = file.Headers };
        }
    }
}
