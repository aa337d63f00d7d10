using System.Text;
using ActorHttp.Handlers.StaticFiles;
using ActorHttp.Protocol;
using ActorHttp.Protocol.Compression;
using ActorHttp.Routing;
using ActorHttp.Server;
using ActorHttp.Testing;
using ActorHttp.Tests.Protocol.Compression;
using Xunit;
using Xunit.Abstractions;
using TestKit = Akka.TestKit.Xunit2.TestKit;

namespace ActorHttp.Tests.Handlers;

/// <summary>The static handler under a compressing route: compressed copies made once, with ETags of their own.</summary>
[Trait("Category", "Compression")]
public sealed class StaticFileCompressionTests : TestKit
{
    private static readonly string Page = string.Concat(Enumerable.Range(0, 300).Select(i => $"<li>item {i % 17}</li>\n"));
    private readonly StaticTestDirectory _dir = new();
    private readonly RouteTable _routes;

    public StaticFileCompressionTests(ITestOutputHelper output) : base(output: output)
    {
        HttpServer.Get(Sys);
        var root = _dir.CreateDirectory("root");
        _dir.Write("root/page.html", Page);
        _dir.Write("root/tiny.txt", "tiny");
        _dir.Write("root/image.png", StaticTestDirectory.Pattern(5000));
        _routes = this.Materialize(new Routes().Get("/s/{*path}",
            StaticFileHandler.Props(new StaticFileSettings { Root = root, Compression = CompressionPolicy.Default })));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _dir.Dispose();
    }

    private HttpResponse Get(string target, params (string, string)[] headers) => this.Send(_routes, HttpRequests.Get(target, headers));

    [Theory]
    [InlineData("gzip", ContentCoding.Gzip)]
    [InlineData("br", ContentCoding.Brotli)]
    [InlineData("gzip, br", ContentCoding.Brotli)]
    public void A_compressible_file_is_served_compressed_with_an_etag_of_its_own(string accept, ContentCoding coding)
    {
        var plain = Get("/s/page.html");
        var compressed = Get("/s/page.html", ("Accept-Encoding", accept));
        Assert.Null(plain.Header("Content-Encoding"));
        Assert.Equal("Accept-Encoding", plain.Header("Vary"));
        Assert.Equal(coding.Token(), compressed.Header("Content-Encoding"));
        Assert.Equal("Accept-Encoding", compressed.Header("Vary"));
        Assert.Equal(plain.Header("ETag")![..^1] + "-" + coding.Token() + "\"", compressed.Header("ETag"));
        Assert.Equal(Page, Encoding.UTF8.GetString(CompressionTests.Decode(compressed.Body.ToArray(), coding)));
        Assert.Same(Get("/s/page.html", ("Accept-Encoding", accept)), compressed); // compressed once, served from memory
    }

    [Fact]
    public void Revalidation_compares_the_etag_of_the_representation_asked_for()
    {
        var gzip = Get("/s/page.html", ("Accept-Encoding", "gzip"));
        var tag = gzip.Header("ETag")!;
        var notModified = Get("/s/page.html", ("Accept-Encoding", "gzip"), ("If-None-Match", tag));
        Assert.Equal(304, notModified.Status);
        Assert.Equal(tag, notModified.Header("ETag"));
        // The gzip tag does not validate the identity representation, nor the Brotli one.
        Assert.Equal(200, Get("/s/page.html", ("If-None-Match", tag)).Status);
        Assert.Equal(200, Get("/s/page.html", ("Accept-Encoding", "br"), ("If-None-Match", tag)).Status);
    }

    [Fact]
    public void Ranges_small_files_and_compressed_types_are_served_as_they_are()
    {
        var range = Get("/s/page.html", ("Accept-Encoding", "gzip"), ("Range", "bytes=0-9"));
        Assert.Equal(206, range.Status);
        Assert.Null(range.Header("Content-Encoding"));
        Assert.Equal(Page[..10], range.BodyAsString());

        var tiny = Get("/s/tiny.txt", ("Accept-Encoding", "gzip"));
        Assert.Null(tiny.Header("Content-Encoding"));
        Assert.Equal("tiny", tiny.BodyAsString());

        var image = Get("/s/image.png", ("Accept-Encoding", "gzip"));
        Assert.Null(image.Header("Content-Encoding"));
        Assert.Null(image.Header("Vary")); // not a type the policy covers: it never varies
    }
}
