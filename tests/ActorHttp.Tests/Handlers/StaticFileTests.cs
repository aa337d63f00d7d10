using System.Text;
using System.Text.RegularExpressions;
using Akka.Actor;
using Akka.Configuration;
using Akka.IO;
using Akka.TestKit;
using ActorHttp.Handlers;
using ActorHttp.Handlers.StaticFiles;
using ActorHttp.Protocol;
using ActorHttp.Routing;
using ActorHttp.Server;
using ActorHttp.Testing;
using Xunit;
using Xunit.Abstractions;
using TestKit = Akka.TestKit.Xunit2.TestKit;

namespace ActorHttp.Tests.Handlers;

/// <summary>A temporary directory tree for static file tests, deleted on Dispose.</summary>
public sealed class StaticTestDirectory : IDisposable
{
    public StaticTestDirectory() => Path = Directory.CreateTempSubdirectory("actorhttp-static-").FullName;

    public string Path { get; }

    /// <summary>The full path of <paramref name="relative"/> ('/'-separated).</summary>
    public string this[string relative] => System.IO.Path.Combine(Path, relative.Replace('/', System.IO.Path.DirectorySeparatorChar));

    public string Write(string relative, string text) => Write(relative, Encoding.UTF8.GetBytes(text));

    public string Write(string relative, byte[] bytes)
    {
        var full = this[relative];
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, bytes);
        return full;
    }

    public string CreateDirectory(string relative) => Directory.CreateDirectory(this[relative]).FullName;

    /// <summary>Deterministic bytes that differ at every offset within 251 bytes, so a misplaced slice shows.</summary>
    public static byte[] Pattern(int length) => Enumerable.Range(0, length).Select(i => (byte)(i % 251)).ToArray();

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>The static files handler through a route table (as a connection would reach it), with the test kit.</summary>
[Trait("Category", "Handlers")]
public sealed class StaticFileTests : TestKit
{
    private const string Secret = "outside the root";
    private readonly StaticTestDirectory _dir = new();
    private readonly string _root;

    public StaticFileTests(ITestOutputHelper output) : base(output: output)
    {
        HttpServer.Get(Sys); // loads reference.conf: the handler's blocking dispatcher
        _root = _dir.CreateDirectory("root");
        _dir.Write("secret.txt", Secret);
        _dir.Write("root/hello.txt", "Hello, static world!");
        _dir.Write("root/index.html", "<h1>root index</h1>");
        _dir.Write("root/docs/index.html", "<h1>docs</h1>");
        _dir.Write("root/a/b.txt", "a slash b");
        _dir.CreateDirectory("root/empty");
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _dir.Dispose();
    }

    private RouteTable Static(StaticFileSettings? settings = null, string template = "/static/{*path}") =>
        this.Materialize(new Routes().Get(template, StaticFileHandler.Props(settings ?? new StaticFileSettings { Root = _root })));

    private HttpResponse Get(RouteTable routes, string target, params (string, string)[] headers) =>
        this.Send(routes, HttpRequests.Get(target, headers));

    // ---- content and headers ----

    [Theory]
    [InlineData("page.html", "text/html; charset=utf-8")]
    [InlineData("style.css", "text/css; charset=utf-8")]
    [InlineData("app.js", "text/javascript; charset=utf-8")]
    [InlineData("notes.txt", "text/plain; charset=utf-8")]
    [InlineData("data.json", "application/json")]
    [InlineData("logo.svg", "image/svg+xml")]
    [InlineData("PHOTO.PNG", "image/png")]
    [InlineData("font.woff2", "font/woff2")]
    [InlineData("blob.unknownext", "application/octet-stream")]
    [InlineData("LICENSE", "application/octet-stream")]
    public void Content_type_follows_the_extension(string name, string contentType)
    {
        _dir.Write("root/" + name, "x");
        Get(Static(), "/static/" + name).ShouldHaveStatus(200).ShouldHaveHeader("Content-Type", contentType);
    }

    [Fact]
    public void Serves_a_file_with_validators_and_cache_headers()
    {
        var full = _dir["root/hello.txt"];
        var response = Get(Static(), "/static/hello.txt")
            .ShouldHaveStatus(200)
            .ShouldHaveBody("Hello, static world!")
            .ShouldHaveHeader("Accept-Ranges", "bytes")
            .ShouldHaveHeader("Cache-Control", "max-age=0")
            .ShouldHaveHeader("Last-Modified", File.GetLastWriteTimeUtc(full).ToString("r"));
        Assert.Matches(new Regex("^\"[0-9a-f]+-[0-9a-f]+\"$"), response.Header("ETag"));
        Assert.StartsWith($"\"{new FileInfo(full).Length:x}-", response.Header("ETag"));
    }

    [Fact]
    public void Max_age_sets_cache_control()
    {
        var routes = Static(new StaticFileSettings { Root = _root, MaxAge = TimeSpan.FromHours(1) });
        Get(routes, "/static/hello.txt").ShouldHaveHeader("Cache-Control", "max-age=3600");
    }

    [Fact]
    public void Head_is_served_by_the_get_route_with_the_same_headers()
    {
        var routes = Static();
        var get = Get(routes, "/static/hello.txt");
        var head = this.Send(routes, HttpRequests.Create(HttpMethods.Head, "/static/hello.txt", ByteString.Empty));
        // The router presents HEAD as GET; the connection drops the body and keeps its Content-Length (see the end-to-end test).
        head.ShouldHaveStatus(200).ShouldHaveHeader("ETag", get.Header("ETag")!).ShouldHaveHeader("Content-Type", "text/plain; charset=utf-8");
        Assert.Equal(get.Body.Count, head.Body.Count);
    }

    // ---- conditional requests ----

    [Fact]
    public void If_none_match_with_the_current_etag_gives_304_with_validators_and_no_body()
    {
        var routes = Static();
        var etag = Get(routes, "/static/hello.txt").Header("ETag")!;
        foreach (var inm in new[] { etag, $"\"other\", {etag}", $"W/{etag}", "*", $"\"x\",W/{etag}" })
        {
            var response = Get(routes, "/static/hello.txt", ("If-None-Match", inm));
            response.ShouldHaveStatus(304).ShouldHaveHeader("ETag", etag).ShouldHaveHeader("Cache-Control", "max-age=0");
            Assert.NotNull(response.Header("Last-Modified"));
            Assert.True(response.Body.IsEmpty, inm);
        }
    }

    [Fact]
    public void If_none_match_that_differs_gives_200_even_when_if_modified_since_alone_would_give_304()
    {
        var routes = Static();
        var lastModified = Get(routes, "/static/hello.txt").Header("Last-Modified")!;
        Get(routes, "/static/hello.txt", ("If-Modified-Since", lastModified)).ShouldHaveStatus(304);
        Get(routes, "/static/hello.txt", ("If-None-Match", "\"stale\""), ("If-Modified-Since", lastModified))
            .ShouldHaveStatus(200).ShouldHaveBody("Hello, static world!");
    }

    [Fact]
    public void If_modified_since_compares_at_second_precision()
    {
        var full = _dir["root/hello.txt"];
        var written = new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc).AddMilliseconds(700);
        File.SetLastWriteTimeUtc(full, written);
        var routes = Static();
        Get(routes, "/static/hello.txt").ShouldHaveHeader("Last-Modified", "Mon, 06 May 2024 07:08:09 GMT");
        // The same second as Last-Modified (the file's time has 0.7 s more): not modified.
        Get(routes, "/static/hello.txt", ("If-Modified-Since", "Mon, 06 May 2024 07:08:09 GMT")).ShouldHaveStatus(304);
        Get(routes, "/static/hello.txt", ("If-Modified-Since", "Tue, 07 May 2024 00:00:00 GMT")).ShouldHaveStatus(304);
        Get(routes, "/static/hello.txt", ("If-Modified-Since", "Mon, 06 May 2024 07:08:08 GMT")).ShouldHaveStatus(200);
        Get(routes, "/static/hello.txt", ("If-Modified-Since", "Monday, 06-May-24 07:08:09 GMT")).ShouldHaveStatus(304); // RFC 850
        Get(routes, "/static/hello.txt", ("If-Modified-Since", "Mon May  6 07:08:09 2024")).ShouldHaveStatus(304);         // asctime
        Get(routes, "/static/hello.txt", ("If-Modified-Since", "not a date")).ShouldHaveStatus(200);
    }

    // ---- ranges ----

    [Theory]
    [InlineData("bytes=0-4", "Hello", "bytes 0-4/20")]
    [InlineData("bytes=7-", "static world!", "bytes 7-19/20")]
    [InlineData("bytes=-6", "world!", "bytes 14-19/20")]
    [InlineData("bytes=14-1000", "world!", "bytes 14-19/20")]
    [InlineData("bytes=-500", "Hello, static world!", "bytes 0-19/20")]
    [InlineData("BYTES=0-0", "H", "bytes 0-0/20")]
    public void Single_range_gives_206_with_content_range(string range, string body, string contentRange)
    {
        Get(Static(), "/static/hello.txt", ("Range", range))
            .ShouldHaveStatus(206)
            .ShouldHaveBody(body)
            .ShouldHaveHeader("Content-Range", contentRange)
            .ShouldHaveHeader("Content-Type", "text/plain; charset=utf-8")
            .ShouldHaveHeader("Accept-Ranges", "bytes");
    }

    [Theory]
    [InlineData("bytes=20-")]
    [InlineData("bytes=25-30")]
    [InlineData("bytes=-0")]
    public void Unsatisfiable_range_gives_416_with_the_length(string range)
    {
        Get(Static(), "/static/hello.txt", ("Range", range)).ShouldHaveStatus(416).ShouldHaveHeader("Content-Range", "bytes */20");
    }

    [Theory]
    [InlineData("bytes=0-1,5-6")] // several ranges: the whole file is allowed
    [InlineData("bytes=5-2")]     // last < first: invalid
    [InlineData("bytes=abc")]
    [InlineData("bytes=-")]
    [InlineData("bytes=1-2-3")]
    [InlineData("items=0-4")]
    [InlineData("bytes=99999999999999999999-")]
    public void Multiple_or_malformed_ranges_are_ignored(string range)
    {
        Get(Static(), "/static/hello.txt", ("Range", range)).ShouldHaveStatus(200).ShouldHaveBody("Hello, static world!");
    }

    [Fact]
    public void If_range_applies_the_range_only_while_the_validator_matches()
    {
        var routes = Static();
        var full = Get(routes, "/static/hello.txt");
        var etag = full.Header("ETag")!;
        var lastModified = full.Header("Last-Modified")!;
        Get(routes, "/static/hello.txt", ("Range", "bytes=0-4"), ("If-Range", etag)).ShouldHaveStatus(206).ShouldHaveBody("Hello");
        Get(routes, "/static/hello.txt", ("Range", "bytes=0-4"), ("If-Range", lastModified)).ShouldHaveStatus(206);
        Get(routes, "/static/hello.txt", ("Range", "bytes=0-4"), ("If-Range", "\"changed\"")).ShouldHaveStatus(200).ShouldHaveBody("Hello, static world!");
        Get(routes, "/static/hello.txt", ("Range", "bytes=0-4"), ("If-Range", "W/" + etag)).ShouldHaveStatus(200); // If-Range compares strongly
        Get(routes, "/static/hello.txt", ("Range", "bytes=0-4"), ("If-Range", "Thu, 01 Jan 1970 00:00:00 GMT")).ShouldHaveStatus(200);
    }

    // ---- directories ----

    [Fact]
    public void Directory_with_trailing_slash_serves_its_index()
    {
        var routes = Static();
        Get(routes, "/static/").ShouldHaveStatus(200).ShouldHaveBody("<h1>root index</h1>").ShouldHaveHeader("Content-Type", "text/html; charset=utf-8");
        Get(routes, "/static/docs/").ShouldHaveStatus(200).ShouldHaveBody("<h1>docs</h1>");
    }

    [Fact]
    public void Directory_without_trailing_slash_redirects_keeping_the_query()
    {
        var routes = Static();
        Get(routes, "/static/docs").ShouldHaveStatus(301).ShouldHaveHeader("Location", "/static/docs/");
        Get(routes, "/static/docs?lang=en&x=%20").ShouldHaveStatus(301).ShouldHaveHeader("Location", "/static/docs/?lang=en&x=%20");
    }

    [Fact]
    public void Directory_without_index_and_file_with_trailing_slash_are_404()
    {
        var routes = Static();
        Get(routes, "/static/empty/").ShouldHaveStatus(404);
        Get(routes, "/static/hello.txt/").ShouldHaveStatus(404);
        Get(routes, "/static/missing.txt").ShouldHaveStatus(404).ShouldHaveHeader("Content-Type", "text/plain; charset=utf-8");
        Get(Static(new StaticFileSettings { Root = _root, Index = "" }), "/static/docs/").ShouldHaveStatus(404);
    }

    [Fact]
    public void Template_without_a_catch_all_serves_exactly_the_index()
    {
        var routes = this.Materialize(new Routes()
            .Get("/", StaticFileHandler.Props(new StaticFileSettings { Root = _root, PathParameter = "" }))
            .Get("/docs", StaticFileHandler.Props(_dir["root/docs"])));
        Get(routes, "/").ShouldHaveStatus(200).ShouldHaveBody("<h1>root index</h1>");
        Get(routes, "/docs").ShouldHaveStatus(200).ShouldHaveBody("<h1>docs</h1>"); // no "path" value: the index, no redirect
        Get(routes, "/hello.txt").ShouldHaveStatus(404); // the router's: nothing else is mounted
    }

    // ---- refusals ----

    [Theory]
    [InlineData("/static/../secret.txt")]
    [InlineData("/static/docs/../../secret.txt")]
    [InlineData("/static/%2e%2e/secret.txt")]
    [InlineData("/static/%2E%2E/secret.txt")]
    [InlineData("/static/.%2e/secret.txt")]
    [InlineData("/static/..%2fsecret.txt")]
    [InlineData("/static/..%2Fsecret.txt")]
    [InlineData("/static/a%2Fb.txt")]                 // an encoded slash, even though a/b.txt exists
    [InlineData("/static//etc/passwd")]               // absolute after the prefix
    [InlineData("/static/%2Fetc%2Fpasswd")]
    [InlineData("/static/a//b.txt")]
    [InlineData("/static/..\\secret.txt")]            // backslash
    [InlineData("/static/%5C..%5Csecret.txt")]
    [InlineData("/static/a\\b.txt")]
    [InlineData("/static/hello.txt%00.png")]          // NUL
    [InlineData("/static/hello%0a.txt")]              // control character
    [InlineData("/static/C:/Windows/win.ini")]        // drive letter
    [InlineData("/static/c%3A%5Cboot.ini")]
    [InlineData("/static/hello.txt::$DATA")]          // NTFS stream
    [InlineData("/static/./hello.txt")]               // dot segment
    public void Paths_that_could_leave_the_root_are_400(string target)
    {
        var response = Get(Static(), target).ShouldHaveStatus(400);
        Assert.DoesNotContain(Secret, response.BodyAsString());
    }

    [Theory]
    [InlineData("/static/.hidden")]
    [InlineData("/static/%2ehidden")]
    [InlineData("/static/.git/config")]
    [InlineData("/static/docs/.env")]
    [InlineData("/static/%252e%252e/secret.txt")]     // decoded once: a file literally named "%2e%2e", which is not there
    public void Dotfiles_and_double_encoded_names_are_404(string target)
    {
        _dir.Write("root/.hidden", "hidden");
        _dir.Write("root/.git/config", "[core]");
        _dir.Write("root/docs/.env", "PASSWORD=1");
        Get(Static(), target).ShouldHaveStatus(404);
    }

    [Fact]
    public void Symlinks_are_followed_inside_the_root_and_refused_outside()
    {
        _dir.CreateDirectory("outside");
        _dir.Write("outside/other.txt", Secret);
        File.CreateSymbolicLink(_dir["root/to-secret.txt"], _dir["secret.txt"]);                // a file outside
        File.CreateSymbolicLink(_dir["root/to-secret-relative.txt"], "../secret.txt");          // the same, relative
        Directory.CreateSymbolicLink(_dir["root/outside-dir"], _dir["outside"]);                // a directory outside
        Directory.CreateSymbolicLink(_dir["root/to-root-parent"], "..");                        // the root's parent
        File.CreateSymbolicLink(_dir["root/inside.txt"], "hello.txt");                           // inside: fine
        Directory.CreateSymbolicLink(_dir["root/docs-link"], _dir["root/docs"]);                 // inside: fine
        File.CreateSymbolicLink(_dir["root/loop1"], "loop2");
        File.CreateSymbolicLink(_dir["root/loop2"], "loop1");

        var routes = Static();
        foreach (var target in new[] { "to-secret.txt", "to-secret-relative.txt", "outside-dir/other.txt", "to-root-parent/secret.txt", "loop1" })
        {
            var response = Get(routes, "/static/" + target);
            Assert.True(response.Status == 404, $"{target}: {response.Status} {response.BodyAsString()}");
        }
        Get(routes, "/static/inside.txt").ShouldHaveStatus(200).ShouldHaveBody("Hello, static world!");
        Get(routes, "/static/docs-link/").ShouldHaveStatus(200).ShouldHaveBody("<h1>docs</h1>");
    }

    [Fact]
    public void A_root_reached_through_a_symlink_is_served()
    {
        var link = _dir["root-link"];
        Directory.CreateSymbolicLink(link, _root);
        Get(Static(new StaticFileSettings { Root = link }), "/static/hello.txt").ShouldHaveStatus(200);
    }

    // ---- the cache ----

    [Fact]
    public void A_cached_file_is_answered_with_the_same_response_until_it_changes()
    {
        var routes = Static();
        var first = Get(routes, "/static/hello.txt");
        Assert.Same(first, Get(routes, "/static/hello.txt")); // a hit answers with the response built on the miss
    }

    [Fact]
    public void The_cache_notices_a_rewrite_with_another_length()
    {
        var routes = Static();
        var full = _dir.Write("root/note.txt", "one");
        var before = Get(routes, "/static/note.txt").ShouldHaveBody("one");
        var written = File.GetLastWriteTimeUtc(full);
        File.WriteAllText(full, "three");
        File.SetLastWriteTimeUtc(full, written); // only the length tells
        var after = Get(routes, "/static/note.txt").ShouldHaveBody("three");
        Assert.NotEqual(before.Header("ETag"), after.Header("ETag"));
    }

    [Fact]
    public void The_cache_notices_a_rewrite_with_the_same_length_and_a_new_write_time()
    {
        var routes = Static();
        var full = _dir.Write("root/note.txt", "one");
        var before = Get(routes, "/static/note.txt").ShouldHaveBody("one");
        var written = File.GetLastWriteTimeUtc(full);
        File.WriteAllText(full, "two");
        File.SetLastWriteTimeUtc(full, written.AddSeconds(5)); // not only a later tick: the test must not depend on timer resolution
        var after = Get(routes, "/static/note.txt").ShouldHaveBody("two");
        Assert.NotEqual(before.Header("ETag"), after.Header("ETag"));
        Get(routes, "/static/note.txt", ("If-None-Match", before.Header("ETag")!)).ShouldHaveStatus(200);
    }

    [Fact]
    public void A_deleted_file_is_404_even_after_being_cached()
    {
        var routes = Static();
        var full = _dir.Write("root/gone.txt", "soon gone");
        Get(routes, "/static/gone.txt").ShouldHaveStatus(200);
        File.Delete(full);
        Get(routes, "/static/gone.txt").ShouldHaveStatus(404);
    }

    // ---- large files: streamed ----

    private (HttpResponse Head, byte[] Body) GetStreamed(RouteTable routes, HttpRequest request)
    {
        var decision = routes.Route(request);
        Assert.Null(decision.Response);
        var probe = CreateTestProbe();
        decision.Handler!.Tell(decision.Request, probe.Ref);
        var head = probe.ExpectMsg<HttpResponse>(TimeSpan.FromSeconds(5));
        Assert.True(head.Streamed, $"expected a streamed head, got {head.Status}");
        var body = new MemoryStream();
        while (true)
        {
            var message = probe.ReceiveOne(TimeSpan.FromSeconds(5)) ?? throw new TimeoutException("no chunk or end");
            if (message is ResponseStream.End) break;
            var chunk = Assert.IsType<ResponseStream.Chunk>(message);
            Assert.InRange(chunk.Bytes.Count, 1, ResponseStreams.DefaultChunkSize);
            body.Write(chunk.Bytes.ToArray());
            probe.LastSender.Tell(ResponseStream.Ack.Instance, probe.Ref);
        }
        return (head, body.ToArray());
    }

    [Fact]
    public void A_file_above_the_cache_limit_is_streamed_with_its_length()
    {
        var content = StaticTestDirectory.Pattern(200_000);
        _dir.Write("root/big.bin", content);
        var routes = Static(new StaticFileSettings { Root = _root, CacheMaxFileSize = 1024 });
        var (head, body) = GetStreamed(routes, HttpRequests.Get("/static/big.bin"));
        Assert.Equal(200, head.Status);
        Assert.Equal(content.Length, head.ContentLength);
        Assert.Equal("application/octet-stream", head.ContentType);
        Assert.NotNull(head.Header("ETag"));
        Assert.Equal(content, body);
    }

    [Fact]
    public void A_range_of_a_streamed_file_streams_only_that_range()
    {
        var content = StaticTestDirectory.Pattern(200_000);
        _dir.Write("root/big.bin", content);
        var routes = Static(new StaticFileSettings { Root = _root, CacheMaxFileSize = 1024 });
        var (head, body) = GetStreamed(routes, HttpRequests.Get("/static/big.bin", ("Range", "bytes=70000-150000")));
        Assert.Equal(206, head.Status);
        Assert.Equal(80_001, head.ContentLength);
        Assert.Equal("bytes 70000-150000/200000", head.Header("Content-Range"));
        Assert.Equal(content[70_000..150_001], body);
    }

    [Fact]
    public void Conditional_and_unsatisfiable_requests_for_a_large_file_are_not_streamed()
    {
        _dir.Write("root/big.bin", StaticTestDirectory.Pattern(5000));
        var routes = Static(new StaticFileSettings { Root = _root, CacheMaxFileSize = 1024 });
        var (head, _) = GetStreamed(routes, HttpRequests.Get("/static/big.bin"));
        var notModified = Get(routes, "/static/big.bin", ("If-None-Match", head.Header("ETag")!)).ShouldHaveStatus(304);
        Assert.False(notModified.Streamed);
        Assert.False(Get(routes, "/static/big.bin", ("Range", "bytes=9000-")).ShouldHaveStatus(416).Streamed);
    }

    // ---- settings and HOCON ----

    [Fact]
    public void Props_for_a_missing_root_throw_naming_the_setting()
    {
        var missing = _dir["no-such-dir"];
        var e = Assert.Throws<ConfigurationException>(() => StaticFileHandler.Props(missing));
        Assert.Contains("StaticFileSettings.Root", e.Message);
        Assert.Contains(missing, e.Message);
    }

    [Fact]
    public void Props_run_on_the_blocking_dispatcher()
    {
        Assert.Equal(HandlerProps.BlockingDispatcher, StaticFileHandler.Props(_root).Dispatcher);
    }

    private Config Hocon(string route) => ConfigurationFactory.ParseString($"actor-http.routes {{ {route} }}");

    [Fact]
    public void Hocon_static_route_serves_its_root()
    {
        var root = _root.Replace("\\", "\\\\");
        var routes = RouteConfig.Load(Hocon($$"""
            site { path = "/files/{*rest}", method = GET, handler = static, root = "{{root}}", index = "hello.txt", max-age = 60s }
            home { path = "/", method = GET, handler = static, root = "{{root}}" }
            """));
        Assert.Equal(HandlerProps.BlockingDispatcher, routes.Definitions[0].HandlerProps!.Dispatcher);
        var table = this.Materialize(routes);
        Get(table, "/files/a/b.txt").ShouldHaveStatus(200).ShouldHaveBody("a slash b"); // the catch-all's name comes from the template
        Get(table, "/files/").ShouldHaveStatus(200).ShouldHaveBody("Hello, static world!").ShouldHaveHeader("Cache-Control", "max-age=60");
        Get(table, "/").ShouldHaveStatus(200).ShouldHaveBody("<h1>root index</h1>");
    }

    [Fact]
    public void Hocon_dispatcher_overrides_the_blocking_default()
    {
        var routes = RouteConfig.Load(Hocon($$"""
            site { path = "/s/{*path}", handler = static, root = "{{_root.Replace("\\", "\\\\")}}", dispatcher = "akka.actor.default-dispatcher" }
            """));
        Assert.Equal("akka.actor.default-dispatcher", routes.Definitions[0].HandlerProps!.Dispatcher);
    }

    [Fact]
    public void Hocon_sizes_are_read_with_units()
    {
        var settings = StaticFileSettings.FromConfig(
            ConfigurationFactory.ParseString($"root = \"{_root.Replace("\\", "\\\\")}\", cache-max-file-size = 64k, cache-max-size = 2m, max-age = 1h"),
            "actor-http.routes.site", "path");
        Assert.Equal(64 * 1024, settings.CacheMaxFileSize);
        Assert.Equal(2 * 1024 * 1024, settings.CacheMaxSize);
        Assert.Equal(TimeSpan.FromHours(1), settings.MaxAge);
        Assert.Equal(_root, settings.Root);
    }

    [Theory]
    [InlineData("", "actor-http.routes.site.root is missing")]
    [InlineData("root = \"{missing}\"", "actor-http.routes.site.root: directory '{missing}' does not exist")]
    [InlineData("root = \"{root}\", index = \"a/b.html\"", "actor-http.routes.site.index")]
    [InlineData("root = \"{root}\", index = \".secret\"", "actor-http.routes.site.index")]
    [InlineData("root = \"{root}\", cache-max-size = lots", "actor-http.routes.site.cache-max-size")]
    [InlineData("root = \"{root}\", cache-max-file-size = 2g", "actor-http.routes.site.cache-max-file-size")]
    [InlineData("root = \"{root}\", max-age = soon", "actor-http.routes.site.max-age")]
    public void Hocon_mistakes_name_the_route_and_key(string keys, string expected)
    {
        var missing = _dir["no-such-dir"];
        string Fill(string s) => s.Replace("{missing}", missing).Replace("{root}", _root);
        var e = Assert.Throws<ConfigurationException>(() => RouteConfig.Load(Hocon(
            $"site {{ path = \"/site/{{*path}}\", handler = static\n{Fill(keys).Replace("\\", "\\\\")} }}")));
        Assert.Contains(Fill(expected), e.Message);
    }

    [Fact]
    public void A_relative_root_resolves_against_the_working_directory()
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, _root);
        var settings = new StaticFileSettings { Root = relative }.Validate();
        Assert.Equal(Path.GetFullPath(_root), settings.Root);
    }
}

/// <summary>The cache on its own: its bounds, recency and validation.</summary>
[Trait("Category", "Handlers")]
public sealed class StaticFileCacheTests
{
    private static StaticFile File(string path, int size, DateTime? written = null) =>
        StaticFile.InMemory(path, ByteString.FromBytes(new byte[size]), written ?? new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc), "max-age=0");

    [Fact]
    public void Total_size_stays_within_the_bound_dropping_the_least_recently_used()
    {
        var cache = new FileCache(maxSize: 100, maxFileSize: 50);
        Assert.True(cache.Add(File("/a", 40)));
        Assert.True(cache.Add(File("/b", 40)));
        Assert.NotNull(cache.Get("/a", 40, new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc))); // a is now more recent than b
        Assert.True(cache.Add(File("/c", 40)));
        Assert.Equal(80, cache.Size);
        Assert.True(cache.Contains("/a"));
        Assert.False(cache.Contains("/b"));
        Assert.True(cache.Contains("/c"));
        for (var i = 0; i < 20; i++)
        {
            cache.Add(File($"/f{i}", 7 + i));
            Assert.InRange(cache.Size, 0, 100);
        }
    }

    [Fact]
    public void Files_above_the_file_limit_or_the_total_are_not_held()
    {
        var cache = new FileCache(maxSize: 100, maxFileSize: 50);
        Assert.False(cache.Add(File("/big", 51)));
        Assert.Equal(0, cache.Count);
        Assert.True(cache.Add(File("/fits", 50)));
        var disabled = new FileCache(maxSize: 0, maxFileSize: 50);
        Assert.False(disabled.Add(File("/x", 1)));
        Assert.Equal(0, disabled.Size);
    }

    [Fact]
    public void An_entry_counts_only_while_length_and_write_time_are_unchanged()
    {
        var written = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var cache = new FileCache(100, 100);
        var file = File("/a", 10, written);
        cache.Add(file);
        Assert.Same(file, cache.Get("/a", 10, written));
        Assert.Null(cache.Get("/a", 10, written.AddTicks(1))); // a new write time: stale, dropped
        Assert.False(cache.Contains("/a"));
        cache.Add(file);
        Assert.Null(cache.Get("/a", 11, written)); // another length
        Assert.Equal(0, cache.Size);
    }

    [Fact]
    public void Adding_a_new_version_replaces_the_old_one()
    {
        var cache = new FileCache(100, 100);
        cache.Add(File("/a", 30));
        cache.Add(File("/a", 20, new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc)));
        Assert.Equal(1, cache.Count);
        Assert.Equal(20, cache.Size);
    }
}
