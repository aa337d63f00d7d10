using System.IO.Compression;
using System.Text;
using Akka.IO;
using CsCheck;
using ActorHttp.Protocol;
using ActorHttp.Protocol.Compression;
using Xunit;

namespace ActorHttp.Tests.Protocol.Compression;

/// <summary><see cref="ResponseCompressor"/>, <see cref="BodyEncoder"/> and <see cref="RequestBodyDecoder"/>.</summary>
[Trait("Category", "Compression")]
public sealed class CompressionTests
{
    private static readonly ResponseCompressor Compressor = new(CompressionPolicy.Default with { MinSize = 64 });
    private static readonly NegotiatedCoding Gzip = new(ContentCoding.Gzip, false);
    private static readonly NegotiatedCoding Brotli = new(ContentCoding.Brotli, false);

    private static readonly string Text = string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog ", 40));

    internal static byte[] Decode(byte[] bytes, ContentCoding coding)
    {
        using Stream decoder = coding == ContentCoding.Gzip
            ? new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress)
            : new BrotliStream(new MemoryStream(bytes), CompressionMode.Decompress);
        using var output = new MemoryStream();
        decoder.CopyTo(output);
        return output.ToArray();
    }

    [Theory]
    [InlineData(ContentCoding.Gzip)]
    [InlineData(ContentCoding.Brotli)]
    public void A_compressible_body_is_compressed_with_content_encoding_vary_and_a_weak_etag(ContentCoding coding)
    {
        var response = HttpResponse.Text(Text) with { Headers = [new HttpHeader("ETag", "\"abc\""), new HttpHeader("Vary", "Origin")] };
        var compressed = Compressor.Compress(response, new NegotiatedCoding(coding, false), isHead: false);
        Assert.Equal(coding.Token(), compressed.Header("Content-Encoding"));
        Assert.Equal("Origin, Accept-Encoding", compressed.Header("Vary"));
        Assert.Equal("W/\"abc\"", compressed.Header("ETag"));
        Assert.True(compressed.Body.Count < Text.Length / 4);
        Assert.Equal(Text, Encoding.UTF8.GetString(Decode(compressed.Body.ToArray(), coding)));
    }

    [Theory]
    [InlineData(204)]
    [InlineData(304)]
    [InlineData(206)]
    public void Statuses_without_a_whole_body_are_left_alone(int status)
    {
        var response = HttpResponse.Text(Text) with { Status = status };
        Assert.Same(response, Compressor.Compress(response, Gzip, isHead: false));
    }

    [Fact]
    public void What_the_policy_does_not_cover_is_left_alone_and_what_it_covers_always_says_vary()
    {
        var image = new HttpResponse { ContentType = "image/png", Body = ByteString.FromString(Text) };
        Assert.Same(image, Compressor.Compress(image, Gzip, false));
        var encoded = HttpResponse.Text(Text) with { Headers = [new HttpHeader("Content-Encoding", "br")] };
        Assert.Same(encoded, Compressor.Compress(encoded, Gzip, false));

        foreach (var (response, coding, head) in new[]
                 {
                     (HttpResponse.Text("tiny"), Gzip, false),                                      // below min-size
                     (HttpResponse.Text(Text), default(NegotiatedCoding), false),                  // identity negotiated
                     (HttpResponse.Text(Text), Gzip, true),                                        // HEAD
                     (HttpResponse.Text(Text) with { Headers = [new HttpHeader("Vary", "*")] }, Gzip, true),
                 })
        {
            var result = Compressor.Compress(response, coding, head);
            Assert.Null(result.Header("Content-Encoding"));
            Assert.Contains(result.Header("Vary")!, new[] { "Accept-Encoding", "*" });
            Assert.Equal(response.Body, result.Body);
        }
    }

    [Fact]
    public void A_small_body_is_compressed_when_the_client_refuses_identity()
    {
        var result = Compressor.Compress(HttpResponse.Text("tiny"), new NegotiatedCoding(ContentCoding.Gzip, IdentityRefused: true), false);
        Assert.Equal("gzip", result.Header("Content-Encoding"));
        Assert.Equal("tiny", Encoding.UTF8.GetString(Decode(result.Body.ToArray(), ContentCoding.Gzip)));
    }

    [Fact]
    public void An_incompressible_body_goes_out_as_it_is()
    {
        var random = new byte[4096];
        new Random(7).NextBytes(random);
        var response = new HttpResponse { ContentType = "text/plain", Body = ByteString.FromBytes(random) };
        var result = Compressor.Compress(response, Brotli, false);
        Assert.Null(result.Header("Content-Encoding"));
        Assert.Equal(random, result.Body.ToArray());
    }

    [Theory]
    [InlineData("text/html; charset=utf-8", true)]
    [InlineData("TEXT/CSS", true)]
    [InlineData("application/json", true)]
    [InlineData("image/svg+xml", true)]
    [InlineData("text/event-stream", false)] // an event stream would hold an encoder for its whole life: only when named
    [InlineData("image/png", false)]
    [InlineData("application/octet-stream", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Content_types_are_matched_without_parameters_and_by_whole_type(string? type, bool compressible) =>
        Assert.Equal(compressible, Compressor.IsCompressibleType(type));

    [Fact]
    public void A_range_request_negotiates_identity()
    {
        var request = new HttpRequest
        {
            Method = "GET", Target = "/", Path = "/",
            Headers = HttpHeaders.From(("Accept-Encoding", "gzip"), ("Range", "bytes=0-10")),
        };
        Assert.Equal(ContentCoding.Identity, Compressor.Negotiate(request).Coding);
        Assert.Equal(ContentCoding.Gzip, Compressor.Negotiate(request with { Headers = HttpHeaders.From(("Accept-Encoding", "gzip")) }).Coding);
    }

    [Fact]
    public void Compression_is_transparent_whole_or_streamed_in_any_pieces()
    {
        var pieces = Gen.Frequency(
            (3, Gen.String[Gen.Char["abcde fghij\n"], 0, 3000].Select(s => Encoding.UTF8.GetBytes(s))),
            (1, Gen.Byte.Array[0, 3000])).Array[1, 6];
        Gen.Select(pieces, Gen.Bool).Sample((parts, brotli) =>
        {
            var coding = brotli ? ContentCoding.Brotli : ContentCoding.Gzip;
            var whole = parts.SelectMany(p => p).ToArray();
            // Whole: what the client decodes is the body, whatever the policy decided.
            var response = Compressor.Compress(new HttpResponse { ContentType = "text/plain", Body = ByteString.FromBytes(whole) },
                new NegotiatedCoding(coding, false), isHead: false);
            var received = response.Header("Content-Encoding") == null ? response.Body.ToArray() : Decode(response.Body.ToArray(), coding);
            Assert.Equal(whole, received);
            // Streamed: the chunks' coded bytes, concatenated, decode to the pieces concatenated.
            using var encoder = new BodyEncoder(coding, CompressionLevel.Fastest);
            var coded = new MemoryStream();
            foreach (var part in parts) coded.Write(encoder.Encode(ByteString.FromBytes(part), flush: true).ToArray());
            coded.Write(encoder.Finish().ToArray());
            Assert.Equal(whole, Decode(coded.ToArray(), coding));
        }, iter: 200);
    }

    private static HttpRequest Post(string coding, byte[] body) => new()
    {
        Method = "POST", Target = "/", Path = "/",
        Headers = HttpHeaders.From(("Content-Encoding", coding), ("Content-Length", body.Length.ToString()), ("Content-Type", "application/json")),
        Body = ByteString.FromBytes(body),
    };

    private static byte[] Encode(byte[] body, string coding)
    {
        var output = new MemoryStream();
        using (Stream encoder = coding switch
               {
                   "gzip" => new GZipStream(output, CompressionLevel.Optimal, true),
                   "br" => new BrotliStream(output, CompressionLevel.Optimal, true),
                   _ => new ZLibStream(output, CompressionLevel.Optimal, true),
               })
            encoder.Write(body);
        return output.ToArray();
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("x-gzip")]
    [InlineData("br")]
    [InlineData("deflate")]
    public void Request_bodies_are_decoded_and_their_coding_headers_removed(string coding)
    {
        var json = Encoding.UTF8.GetBytes(Text);
        var decoded = RequestBodyDecoder.Decode(Post(coding, Encode(json, coding == "x-gzip" ? "gzip" : coding)), 1_000_000, out var error);
        Assert.Null(error);
        Assert.Equal(json, decoded.Body.ToArray());
        Assert.False(decoded.Headers.Contains("Content-Encoding"));
        Assert.False(decoded.Headers.Contains("Content-Length"));
        Assert.Equal("application/json", decoded.Headers["Content-Type"]);
    }

    [Fact]
    public void Stacked_codings_are_removed_last_applied_first_and_identity_is_nothing()
    {
        var body = Encoding.UTF8.GetBytes(Text);
        var twice = Encode(Encode(body, "deflate"), "gzip");
        Assert.Equal(body, RequestBodyDecoder.Decode(Post("deflate, identity, gzip", twice), 1_000_000, out var error).Body.ToArray());
        Assert.Null(error);
    }

    [Fact]
    public void A_zip_bomb_stops_at_the_limit_with_413()
    {
        var bomb = Encode(new byte[50_000_000], "gzip"); // 50 MB of zeros in about 50 KB
        Assert.True(bomb.Length < 100_000);
        var before = GC.GetTotalAllocatedBytes(precise: true);
        RequestBodyDecoder.Decode(Post("gzip", bomb), 1_000_000, out var error);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.Equal(413, error!.Status);
        Assert.True(allocated < 10_000_000, $"decoding allocated {allocated} bytes for a 1 MB limit");
        // Exactly at the limit is fine.
        var exact = RequestBodyDecoder.Decode(Post("gzip", Encode(new byte[1000], "gzip")), 1000, out error);
        Assert.Null(error);
        Assert.Equal(1000, exact.Body.Count);
        RequestBodyDecoder.Decode(Post("gzip", Encode(new byte[1001], "gzip")), 1000, out error);
        Assert.Equal(413, error!.Status);
    }

    [Fact]
    public void Unknown_codings_get_415_and_corrupt_data_400()
    {
        RequestBodyDecoder.Decode(Post("zstd", [1, 2, 3]), 1000, out var error);
        Assert.Equal(415, error!.Status);
        Assert.Equal("gzip, br, deflate", error.Header("Accept-Encoding"));
        RequestBodyDecoder.Decode(Post("gzip", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), 1000, out error);
        Assert.Equal(400, error!.Status);
        RequestBodyDecoder.Decode(Post("br", [0xff, 0xff, 0xff, 0xff]), 1000, out error);
        Assert.Equal(400, error!.Status);
    }
}
