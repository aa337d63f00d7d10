using System.IO.Compression;
using System.Net;
using System.Text;
using ActorHttp.Handlers;
using ActorHttp.Protocol;
using ActorHttp.Protocol.Compression;
using ActorHttp.Routing;
using ActorHttp.Server;
using ActorHttp.Tests.Abuse;
using ActorHttp.Tests.Protocol.Compression;
using Xunit;

namespace ActorHttp.Tests.EndToEnd;

/// <summary>Response compression, request decoding and per-route limits over real sockets on 127.0.0.1, with curl and HttpClient.</summary>
[Trait("Category", "Compression")]
public sealed class CompressionEndToEndTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly string Page = string.Concat(Enumerable.Range(0, 400).Select(i => $"<tr><td>row {i}</td><td>{i % 7}</td></tr>\n"));

    /// <summary>Answers the length of the body it read, whole or streamed (up to 100 MB).</summary>
    private sealed class CountingHandler : AsyncHttpHandlerActor
    {
        protected override async Task<HttpResponse> OnRequestAsync(HttpRequest request)
        {
            var body = request.BodyStreamed ? await RequestBodyReader.ReadAllAsync(Sender, 100_000_000) : request.Body;
            return HttpResponse.Text($"{body.Count} {(request.BodyStreamed ? "streamed" : "whole")}");
        }
    }

    /// <summary>Three groups of routes (WithCompression and WithLimits cover the routes defined before them).</summary>
    private static Routes CompressingRoutes() => new Routes()
        .Get("/page", TextHandler.Props(Page, "text/html"))
        .Map(["POST"], "/echo", EchoHandler.Props())
        .Map(["POST"], "/count", Akka.Actor.Props.Create<CountingHandler>())
        .WithCompression()
        .Concat(new Routes()
            .Map(["POST"], "/upload", EchoHandler.Props())
            .WithLimits(new RouteLimits { MaxBodySize = 4_000_000, StreamRequestBody = true })
            .WithCompression(CompressionPolicy.Default with { Encodings = [ContentCoding.Gzip] }))
        .Concat(new Routes().Map(["POST"], "/plain", EchoHandler.Props()));

    private static async Task<(byte[] Body, string Head)> CurlAsync(int port, string path, params string[] args)
    {
        var file = Path.GetTempFileName();
        try
        {
            var (code, stdout, stderr) = await ChildProcess.RunAsync(AbuseTools.RequireTool("curl"),
                ["-s", "-S", "-D", "-", "-o", file, .. args, $"http://127.0.0.1:{port}{path}"], Timeout);
            Assert.True(code == 0, $"curl exited {code}: {stderr}");
            return (await File.ReadAllBytesAsync(file), stdout);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("gzip", ContentCoding.Gzip)]
    [InlineData("br", ContentCoding.Brotli)]
    [InlineData("br;q=0.5, gzip", ContentCoding.Gzip)]
    public async Task Curl_gets_the_coding_it_prefers_and_the_bytes_decode_to_the_page(string accept, ContentCoding coding)
    {
        await using var server = await TestServer.StartAsync(routes: CompressingRoutes());
        var (body, head) = await CurlAsync(server.Port, "/page", "-H", $"Accept-Encoding: {accept}");
        Assert.Contains($"Content-Encoding: {coding.Token()}", head);
        Assert.Contains("Vary: Accept-Encoding", head);
        Assert.True(body.Length < Page.Length / 3, $"{body.Length} bytes for a {Page.Length}-byte page");
        Assert.Equal(Page, Encoding.UTF8.GetString(CompressionTests.Decode(body, coding)));

        var (decoded, _) = await CurlAsync(server.Port, "/page", "--compressed"); // curl decodes what it asked for
        Assert.Equal(Page, Encoding.UTF8.GetString(decoded));
        var (identity, plainHead) = await CurlAsync(server.Port, "/page", "-H", "Accept-Encoding: identity");
        Assert.DoesNotContain("Content-Encoding", plainHead);
        Assert.Equal(Page, Encoding.UTF8.GetString(identity));
    }

    [Fact]
    public async Task A_large_streamed_upload_is_decoded_and_its_streamed_echo_compressed_chunk_by_chunk()
    {
        await using var server = await TestServer.StartAsync(s => s with { Parsing = s.Parsing with { MaxBodySize = 100_000 } }, CompressingRoutes());
        var text = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 150_000).Select(i => $"record {i};")));
        Assert.True(text.Length > 1_000_000); // well past the server's 100 KB limit: the route's own 4 MB applies
        var coded = new MemoryStream();
        using (var gzip = new GZipStream(coded, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(text);

        using var handler = new SocketsHttpHandler { UseProxy = false, AutomaticDecompression = DecompressionMethods.GZip };
        using var client = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{server.Port}"), Timeout = Timeout };
        using var content = new ByteArrayContent(coded.ToArray());
        content.Headers.ContentEncoding.Add("gzip");
        content.Headers.ContentType = new("text/plain");
        using var response = await client.PostAsync("/upload", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.TransferEncodingChunked); // compressed as it streams: no length known in advance
        Assert.Equal(text, await response.Content.ReadAsByteArrayAsync());

        using var tooLarge = new ByteArrayContent(coded.ToArray());
        tooLarge.Headers.ContentEncoding.Add("gzip");
        using var plain = await client.PostAsync("/plain", tooLarge); // the server's limit: the coded body itself is too large
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, plain.StatusCode);
    }

    [Fact]
    public async Task A_zip_bomb_gets_413_and_other_connections_are_served_meanwhile()
    {
        await using var server = await TestServer.StartAsync(routes: CompressingRoutes());
        var bomb = new MemoryStream();
        using (var gzip = new GZipStream(bomb, CompressionLevel.SmallestSize, leaveOpen: true)) gzip.Write(new byte[100_000_000]);
        Assert.True(bomb.Length < 200_000); // 100 MB of zeros in about 100 KB, against the server's 8 MB limit

        // Past the stream threshold (1 MB decoded) the body reaches the handler streamed, decoded a window at a time as
        // it reads; past 8 MB its read fails and the client gets 413 (the body is not all read: the connection closes).
        using var connection = await RawHttpConnection.OpenAsync(server.Port);
        await connection.SendAsync($"POST /count HTTP/1.1\r\nHost: h\r\nContent-Encoding: gzip\r\nContent-Length: {bomb.Length}\r\n\r\n");
        await connection.SendAsync(bomb.ToArray());
        var refused = await connection.ReadResponseAsync();
        Assert.Equal(413, refused.Status);
        Assert.Contains("decodes to more than", refused.BodyText);

        using var other = await RawHttpConnection.OpenAsync(server.Port);
        var page = await other.RoundTripAsync("GET /page HTTP/1.1\r\nHost: h\r\n\r\n");
        Assert.Equal(200, page.Status);
        Assert.Equal(Page, page.BodyText);

        // A coded body within the limits: small decoded, whole; larger, streamed.
        foreach (var (size, how) in new[] { (500_000, "whole"), (3_000_000, "streamed") })
        {
            var coded = new MemoryStream();
            using (var gzip = new GZipStream(coded, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(new byte[size]);
            var counted = await other.RoundTripAsync(
                $"POST /count HTTP/1.1\r\nHost: h\r\nContent-Encoding: gzip\r\nContent-Length: {coded.Length}\r\n\r\n" +
                System.Text.Encoding.Latin1.GetString(coded.ToArray()));
            Assert.Equal(200, counted.Status);
            Assert.Equal($"{size} {how}", counted.BodyText);
        }
    }
}
