using System.Net;
using System.Text;
using ActorHttp.Handlers.StaticFiles;
using ActorHttp.Tests.Handlers;
using Xunit;

namespace ActorHttp.Tests.EndToEnd;

/// <summary>The static files handler behind a real listener on 127.0.0.1, read with raw sockets.</summary>
[Trait("Category", "EndToEnd")]
public sealed class StaticFileEndToEndTests : IAsyncLifetime
{
    private const int CacheMaxFileSize = 16 * 1024;
    private const string Hello = "Hello, static world!";
    private static readonly byte[] Big = StaticTestDirectory.Pattern(300_000); // above the cache limit: streamed

    private readonly StaticTestDirectory _dir = new();
    private TestServer _server = null!;

    public async Task InitializeAsync()
    {
        var root = _dir.CreateDirectory("root");
        _dir.Write("secret.txt", "outside the root");
        _dir.Write("root/hello.txt", Hello);
        _dir.Write("root/index.html", "<!doctype html><title>index</title>");
        _dir.Write("root/docs/index.html", "<h1>docs</h1>");
        _dir.Write("root/big.bin", Big);
        var routes = TestServer.DefaultRoutes()
            .Get("/static/{*path}", StaticFileHandler.Props(new StaticFileSettings { Root = root, CacheMaxFileSize = CacheMaxFileSize }));
        _server = await TestServer.StartAsync(routes: routes);
    }

    public async Task DisposeAsync()
    {
        if (_server != null) await _server.DisposeAsync();
        _dir.Dispose();
    }

    private Task<RawHttpConnection> Connect() => RawHttpConnection.OpenAsync(_server.Port);

    [Fact]
    public async Task Get_serves_the_file_with_its_headers()
    {
        using var connection = await Connect();
        var response = await connection.RoundTripAsync(RawHttpConnection.Request("/static/hello.txt"));
        Assert.True(response.Status == 200, response.ToString());
        Assert.Equal(Hello, response.BodyText);
        Assert.Equal("text/plain; charset=utf-8", response.Header("Content-Type"));
        Assert.Equal(Hello.Length.ToString(), response.Header("Content-Length"));
        Assert.Equal("bytes", response.Header("Accept-Ranges"));
        Assert.NotNull(response.Header("ETag"));
        Assert.NotNull(response.Header("Last-Modified"));
    }

    [Fact]
    public async Task Head_has_the_headers_of_get_and_no_body()
    {
        using var connection = await Connect();
        var get = await connection.RoundTripAsync(RawHttpConnection.Request("/static/hello.txt"));
        var head = await connection.RoundTripAsync(RawHttpConnection.Request("/static/hello.txt", "HEAD"), isHead: true);
        Assert.True(head.Status == 200, head.ToString());
        foreach (var name in new[] { "Content-Length", "Content-Type", "ETag", "Last-Modified", "Accept-Ranges", "Cache-Control" })
            Assert.Equal(get.Header(name), head.Header(name));
        // Had a body followed the HEAD response, it would now be read as the next response's status line.
        var next = await connection.RoundTripAsync(RawHttpConnection.Request("/plaintext"));
        Assert.Equal(TestServer.PlainText, next.BodyText);
        Assert.Equal(0, connection.Buffered);
    }

    [Fact]
    public async Task Conditional_get_is_304_without_a_body_on_a_connection_that_stays_usable()
    {
        using var connection = await Connect();
        var first = await connection.RoundTripAsync(RawHttpConnection.Request("/static/hello.txt"));
        var etag = first.Header("ETag")!;
        var notModified = await connection.RoundTripAsync(RawHttpConnection.Request("/static/hello.txt", extraHeaders: $"If-None-Match: {etag}\r\n"));
        Assert.True(notModified.Status == 304, notModified.ToString());
        Assert.Equal(etag, notModified.Header("ETag"));
        Assert.Null(notModified.Header("Content-Length"));
        var since = await connection.RoundTripAsync(RawHttpConnection.Request("/static/hello.txt",
            extraHeaders: $"If-Modified-Since: {first.Header("Last-Modified")}\r\n"));
        Assert.Equal(304, since.Status);
        var next = await connection.RoundTripAsync(RawHttpConnection.Request("/static/hello.txt"));
        Assert.Equal(Hello, next.BodyText);
    }

    [Fact]
    public async Task Range_is_206_and_unsatisfiable_range_is_416()
    {
        using var connection = await Connect();
        var partial = await connection.RoundTripAsync(RawHttpConnection.Request("/static/hello.txt", extraHeaders: "Range: bytes=7-12\r\n"));
        Assert.True(partial.Status == 206, partial.ToString());
        Assert.Equal("static", partial.BodyText);
        Assert.Equal("bytes 7-12/20", partial.Header("Content-Range"));
        var unsatisfiable = await connection.RoundTripAsync(RawHttpConnection.Request("/static/hello.txt", extraHeaders: "Range: bytes=100-\r\n"));
        Assert.Equal(416, unsatisfiable.Status);
        Assert.Equal("bytes */20", unsatisfiable.Header("Content-Range"));
    }

    [Fact]
    public async Task Directories_redirect_to_the_slash_and_serve_their_index()
    {
        using var connection = await Connect();
        var redirect = await connection.RoundTripAsync(RawHttpConnection.Request("/static/docs?x=1"));
        Assert.True(redirect.Status == 301, redirect.ToString());
        Assert.Equal("/static/docs/?x=1", redirect.Header("Location"));

        using var client = HttpClients.Create(_server.BaseUri);
        using var followed = await client.GetAsync("/static/docs");
        Assert.Equal(HttpStatusCode.OK, followed.StatusCode);
        Assert.Equal("<h1>docs</h1>", await followed.Content.ReadAsStringAsync());
        Assert.Equal("text/html", followed.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("/static/../secret.txt", 400)]
    [InlineData("/static/%2e%2e/secret.txt", 400)]
    [InlineData("/static/..%2fsecret.txt", 400)]
    [InlineData("/static/%2fetc%2fpasswd", 400)]
    [InlineData("/static//etc/passwd", 400)]
    [InlineData("/static/..%5csecret.txt", 400)]
    [InlineData("/static/.hidden", 404)]
    public async Task Traversal_is_refused_and_the_connection_stays_open(string target, int status)
    {
        _dir.Write("root/.hidden", "hidden");
        using var connection = await Connect();
        var response = await connection.RoundTripAsync(RawHttpConnection.Request(target));
        Assert.True(response.Status == status, response.ToString());
        Assert.DoesNotContain("outside the root", response.BodyText);
        Assert.Equal(200, (await connection.RoundTripAsync(RawHttpConnection.Request("/static/hello.txt"))).Status);
    }

    // The connection renders streamed responses only once main's streaming support is merged.

    [Fact]
    [Trait("Needs", "streaming")]
    public async Task Large_file_is_streamed_whole_with_content_length()
    {
        using var connection = await Connect();
        var response = await connection.RoundTripAsync(RawHttpConnection.Request("/static/big.bin"));
        Assert.True(response.Status == 200, response.ToString());
        Assert.Equal(Big.Length.ToString(), response.Header("Content-Length"));
        Assert.Null(response.Header("Transfer-Encoding"));
        Assert.Equal(Big, response.Body);
        Assert.Equal(Hello, (await connection.RoundTripAsync(RawHttpConnection.Request("/static/hello.txt"))).BodyText);
    }

    [Fact]
    [Trait("Needs", "streaming")]
    public async Task Range_of_a_large_file_is_streamed()
    {
        using var connection = await Connect();
        var response = await connection.RoundTripAsync(RawHttpConnection.Request("/static/big.bin", extraHeaders: "Range: bytes=100000-\r\n"));
        Assert.True(response.Status == 206, response.ToString());
        Assert.Equal($"bytes 100000-{Big.Length - 1}/{Big.Length}", response.Header("Content-Range"));
        Assert.Equal(Big[100_000..], response.Body);
    }

    [Fact]
    [Trait("Needs", "streaming")]
    public async Task Head_of_a_large_file_has_its_length_and_no_body()
    {
        using var connection = await Connect();
        var head = await connection.RoundTripAsync(RawHttpConnection.Request("/static/big.bin", "HEAD"), isHead: true);
        Assert.True(head.Status == 200, head.ToString());
        Assert.Equal(Big.Length.ToString(), head.Header("Content-Length"));
        var next = await connection.RoundTripAsync(RawHttpConnection.Request("/plaintext"));
        Assert.Equal(TestServer.PlainText, next.BodyText);
    }

    [Fact]
    [Trait("Needs", "streaming")]
    public async Task Large_file_through_http_client()
    {
        using var client = HttpClients.Create(_server.BaseUri);
        Assert.Equal(Big, await client.GetByteArrayAsync("/static/big.bin"));
    }
}

/// <summary>The standalone node's static site (hocon/site through hocon/standalone.conf), as a process.</summary>
[Trait("Category", "Host")]
public sealed class StaticSiteHostTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly List<string> _tempFiles = [];

    private static ChildProcess StartNode(params string[] args) =>
        ChildProcess.Start(RepoPaths.DotnetHost, [RepoPaths.HostDll, .. args], RepoPaths.Root);

    [Fact]
    public async Task Standalone_node_serves_the_site_at_the_root()
    {
        using var node = StartNode("--config", RepoPaths.StandaloneConf, "--port", "0");
        var port = await node.WaitForListeningAsync(Timeout);
        using (var client = HttpClients.Create(new Uri($"http://127.0.0.1:{port}")))
        {
            using var index = await client.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, index.StatusCode);
            Assert.Equal("text/html", index.Content.Headers.ContentType?.MediaType);
            Assert.Equal("utf-8", index.Content.Headers.ContentType?.CharSet);
            var html = await index.Content.ReadAsStringAsync();
            Assert.Contains("<title>ActorHttp</title>", html);
            foreach (var link in new[] { "/plaintext", "/health", "/metrics", "/echo", "/blocking" })
                Assert.Contains($"href=\"{link}", html);

            foreach (var (asset, type) in new[] { ("/assets/style.css", "text/css"), ("/assets/app.js", "text/javascript"), ("/assets/logo.svg", "image/svg+xml") })
            {
                using var response = await client.GetAsync(asset);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{asset}: {response.StatusCode}");
                Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
            }

            // Both compress: the page goes out in Brotli to a client that asks for it, with an ETag of its own.
            using var brRequest = new HttpRequestMessage(HttpMethod.Get, "/") { Headers = { { "Accept-Encoding", "br" } } };
            using var br = await client.SendAsync(brRequest);
            Assert.Equal("br", br.Content.Headers.ContentEncoding.Single());
            Assert.EndsWith("-br\"", br.Headers.ETag!.Tag);
            Assert.Contains("<title>ActorHttp</title>",
                Encoding.UTF8.GetString(Protocol.Compression.CompressionTests.Decode(await br.Content.ReadAsByteArrayAsync(), ActorHttp.Protocol.Compression.ContentCoding.Brotli)));

            // The upload demo: its own limits, a gzip body decoded, the echo compressed back.
            var text = string.Concat(Enumerable.Range(0, 20_000).Select(i => $"{i}\n"));
            var coded = new MemoryStream();
            using (var gzip = new System.IO.Compression.GZipStream(coded, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
                gzip.Write(Encoding.ASCII.GetBytes(text));
            using var upload = new HttpRequestMessage(HttpMethod.Post, "/upload") { Content = new ByteArrayContent(coded.ToArray()) };
            upload.Content.Headers.ContentEncoding.Add("gzip");
            upload.Content.Headers.ContentType = new("text/plain");
            upload.Headers.Add("Accept-Encoding", "gzip");
            using var echoed = await client.SendAsync(upload);
            Assert.Equal(HttpStatusCode.OK, echoed.StatusCode);
            Assert.Equal("gzip", echoed.Content.Headers.ContentEncoding.Single());
            Assert.Equal(text, Encoding.ASCII.GetString(Protocol.Compression.CompressionTests.Decode(
                await echoed.Content.ReadAsByteArrayAsync(), ActorHttp.Protocol.Compression.ContentCoding.Gzip)));

            // The site is two routes, not a catch-all at "/": unknown paths keep the router's 404, for every method.
            using var unknown = await client.GetAsync("/nope");
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            using var post = await client.PostAsync("/nope", new StringContent("x"));
            Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
        }
        node.Signal("TERM");
        Assert.Equal(0, await node.WaitForExitAsync(Timeout));
    }

    [Fact]
    public async Task Static_route_with_a_missing_root_exits_2_naming_the_route()
    {
        var path = Path.Combine(Path.GetTempPath(), $"actorhttp-static-{Guid.NewGuid():N}.conf");
        _tempFiles.Add(path);
        File.WriteAllText(path, """
            actor-http {
              server { hostname = "127.0.0.1", port = 0 }
              routes {
                lost-site { path = "/{*path}", method = GET, handler = static, root = "no/such/site" }
              }
            }
            """, Encoding.UTF8);
        using var node = StartNode("--config", path);
        var code = await node.WaitForExitAsync(Timeout);
        Assert.True(code == 2, $"exit code {code}\nstdout:\n{node.Stdout}\nstderr:\n{node.Stderr}");
        var errors = node.StderrLines.Where(l => !string.IsNullOrWhiteSpace(l)).ToList();
        Assert.True(errors.Count == 1 && errors[0].Contains("actor-http.routes.lost-site.root", StringComparison.Ordinal)
                    && errors[0].Contains(Path.Combine("no", "such", "site"), StringComparison.Ordinal), node.Stderr);
    }

    public void Dispose()
    {
        foreach (var file in _tempFiles)
        {
            try { File.Delete(file); } catch (IOException) { }
        }
    }
}
