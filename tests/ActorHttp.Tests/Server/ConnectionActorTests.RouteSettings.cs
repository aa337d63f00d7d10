using System.IO.Compression;
using System.Text;
using Akka.Actor;
using Akka.IO;
using ActorHttp.Protocol;
using ActorHttp.Protocol.Compression;
using ActorHttp.Protocol.Parsing;
using ActorHttp.Server;
using ActorHttp.Server.Connection;
using Xunit;

namespace ActorHttp.Tests.Server;

/// <summary>A route's own limits and compression (<see cref="RouteSettings"/>), as the connection applies them.</summary>
public sealed partial class ConnectionActorTests
{
    /// <summary>Routes every request to the handler probe with <paramref name="settings"/>, except paths under /plain.</summary>
    private sealed class SettingsRouter(IActorRef handler, RouteSettings settings) : IRequestRouter
    {
        public RouteDecision Route(HttpRequest request) =>
            RouteDecision.Dispatch(handler, request) with { Settings = request.Path.StartsWith("/plain") ? null : settings };

        public RouteSettings? SettingsFor(string method, string path) => path.StartsWith("/plain") ? null : settings;

        public bool HasBodyLimits => settings.Limits != null;
    }

    private Conn Connect(RouteSettings settings, ServerSettings? server = null) =>
        new(this, server ?? Slow, router: null, rejectOverCapacity: false, routeSettings: settings);

    private static readonly CompressionPolicy Gzip = CompressionPolicy.Default with { Encodings = [ContentCoding.Gzip], MinSize = 100 };

    /// <summary>The body of a response written in one piece, after its head.</summary>
    private static byte[] BodyOf(byte[] write)
    {
        var text = Encoding.Latin1.GetString(write);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4;
        return write[end..];
    }

    private static byte[] Gunzip(byte[] bytes)
    {
        using var input = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    [Fact]
    public void A_route_s_response_timeout_replaces_the_server_s()
    {
        var c = Connect(new RouteSettings(new RouteLimits { ResponseTimeout = TimeSpan.FromSeconds(2) }, null), Fast);
        c.Send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /plain HTTP/1.1\r\nHost: x\r\n\r\n");
        c.ExpectRequest("/slow");
        c.ExpectRequest("/plain");
        c.Advance(Ms(300)); // the server's response timeout: the route's request is not late yet, the other is
        c.ExpectNothingWrittenOrClosed(); // it waits, in order, behind /slow
        c.Advance(TimeSpan.FromSeconds(2) - Ms(301));
        c.ExpectNothingWrittenOrClosed();
        c.Advance(Ms(1));
        var text = c.ExpectWrite();
        Assert.Equal(2, Count(text, "HTTP/1.1 503 Service Unavailable\r\n"));
    }

    [Fact]
    public void A_route_s_max_body_size_replaces_the_server_s_before_the_body_is_read()
    {
        var server = Slow with { Parsing = Slow.Parsing with { MaxBodySize = 100 } };
        var c = Connect(new RouteSettings(new RouteLimits { MaxBodySize = 10_000 }, null), server);
        var body = new string('a', 5000);
        c.Send($"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: {body.Length}\r\n\r\n{body}");
        var (request, slot) = c.ExpectRequest();
        Assert.Equal(5000, request.Body.Count);
        slot.Tell(HttpResponse.Text("ok"));
        Assert.StartsWith("HTTP/1.1 200 OK", c.ExpectWrite());

        c.Send($"POST /plain HTTP/1.1\r\nHost: x\r\nContent-Length: {body.Length}\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 413 Content Too Large", c.ExpectWrite());
    }

    [Fact]
    public void A_route_that_streams_request_bodies_streams_even_a_small_one()
    {
        var c = Connect(new RouteSettings(new RouteLimits { StreamRequestBody = true }, null));
        c.Send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
        var (request, _) = c.ExpectRequest();
        Assert.True(request.BodyStreamed);
        c.Send("POST /plain HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
        c.Handler.ExpectNoMsg(TimeSpan.Zero); // behind the streamed body, which its handler has not read
    }

    [Fact]
    public void A_whole_response_is_compressed_when_accepted_and_marked_with_vary_and_a_weak_etag()
    {
        var c = Connect(new RouteSettings(null, Gzip));
        c.Send("GET /page HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n");
        var text = string.Concat(Enumerable.Repeat("compressible text ", 100));
        c.ExpectRequest("/page").Tell(HttpResponse.Text(text) with { Headers = [new HttpHeader("ETag", "\"v1\"")] });
        var head = c.ExpectWrite();
        Assert.Contains("Content-Encoding: gzip\r\n", head);
        Assert.Contains("Vary: Accept-Encoding\r\n", head);
        Assert.Contains("ETag: W/\"v1\"\r\n", head);
        Assert.Equal(text, Encoding.UTF8.GetString(Gunzip(BodyOf(c.LastWriteBytes))));

        c.Send("GET /page HTTP/1.1\r\nHost: x\r\n\r\n"); // no Accept-Encoding: as it is, still with Vary
        c.ExpectRequest("/page").Tell(HttpResponse.Text(text));
        var plain = c.ExpectWrite();
        Assert.DoesNotContain("Content-Encoding", plain);
        Assert.Contains("Vary: Accept-Encoding\r\n", plain);
        Assert.EndsWith(text, plain);
    }

    [Fact]
    public void A_streamed_response_is_compressed_chunk_by_chunk_each_write_decodable_so_far()
    {
        var c = Connect(new RouteSettings(null, Gzip with { MinSize = 0 })); // the 12 bytes declared are not too few
        c.Send("GET /stream HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n");
        var slot = c.ExpectRequest("/stream");
        var producer = CreateTestProbe();
        slot.Tell(HttpResponse.StreamedHead(contentType: "text/plain", contentLength: 12), producer.Ref);
        var head = c.ExpectWrite();
        Assert.Contains("Transfer-Encoding: chunked\r\n", head); // the coded length is not known in advance
        Assert.DoesNotContain("Content-Length", head);
        Assert.Contains("Content-Encoding: gzip\r\n", head);

        var received = new MemoryStream();
        foreach (var piece in new[] { "first ", "second" })
        {
            slot.Tell(new ResponseStream.Chunk(ByteString.FromString(piece)), producer.Ref);
            received.Write(Dechunk(c.ExpectWrite(), c.LastWriteBytes));
            producer.ExpectMsg<ResponseStream.Ack>();
            // A sync flush: everything sent so far decodes without the end of the stream.
            using var partial = new GZipStream(new MemoryStream(received.ToArray()), CompressionMode.Decompress);
            var buffer = new byte[64];
            var n = 0;
            int read;
            while (n < buffer.Length && (read = partial.Read(buffer, n, buffer.Length - n)) > 0) n += read;
            Assert.EndsWith(piece, Encoding.ASCII.GetString(buffer, 0, n));
        }
        slot.Tell(ResponseStream.End.Instance, producer.Ref);
        var last = c.ExpectWrite();
        Assert.EndsWith("0\r\n\r\n", last);
        received.Write(Dechunk(last, c.LastWriteBytes));
        Assert.Equal("first second", Encoding.ASCII.GetString(Gunzip(received.ToArray())));
    }

    [Fact]
    public void A_compressed_stream_still_checks_the_length_its_producer_declared()
    {
        var c = Connect(new RouteSettings(null, Gzip));
        c.Send("GET /stream HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n");
        var slot = c.ExpectRequest("/stream");
        var producer = CreateTestProbe();
        slot.Tell(HttpResponse.StreamedHead(contentType: "text/plain", contentLength: 200), producer.Ref);
        c.ExpectWrite();
        slot.Tell(ResponseStream.End.Instance, producer.Ref); // 200 bytes short
        c.Expect<Tcp.ConfirmedClose>(allowWrites: true); // truncated: the client sees no last chunk
    }

    [Theory]
    [InlineData("HEAD /page HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n")]
    [InlineData("GET /page HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nRange: bytes=0-9\r\n\r\n")]
    [InlineData("GET /page HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip;q=0, identity\r\n\r\n")]
    [InlineData("GET /page HTTP/1.1\r\nHost: x\r\nAccept-Encoding: compress, zstd\r\n\r\n")]
    public void Responses_that_must_not_or_need_not_be_compressed_go_out_as_they_are(string request)
    {
        var c = Connect(new RouteSettings(null, Gzip));
        c.Send(request);
        c.ExpectRequest().Slot.Tell(HttpResponse.Text(new string('x', 1000)));
        var text = c.ExpectWrite();
        Assert.DoesNotContain("Content-Encoding", text);
        Assert.Contains("Content-Length: 1000\r\n", text);
    }

    [Fact]
    public void A_gzip_request_body_reaches_the_handler_decoded_and_a_zip_bomb_gets_413()
    {
        var server = Slow with { Parsing = Slow.Parsing with { MaxBodySize = 100_000 } };
        var c = Connect(new RouteSettings(null, Gzip), server);
        var json = Encoding.UTF8.GetBytes("{\"hello\":\"world\"}");
        SendBody(c, "gzip", Gzipped(json));
        var (request, slot) = c.ExpectRequest();
        Assert.Equal(json, request.Body.ToArray());
        Assert.False(request.Headers.Contains("Content-Encoding"));
        Assert.False(request.Headers.Contains("Content-Length"));
        slot.Tell(HttpResponse.Text("ok"));
        c.ExpectWrite();

        var bomb = Gzipped(new byte[10_000_000]); // about 10 KB that would decode to 10 MB
        Assert.True(bomb.Length < 100_000);
        SendBody(c, "gzip", bomb);
        var refused = c.ExpectWrite();
        Assert.StartsWith("HTTP/1.1 413 Content Too Large", refused);
        Assert.Contains("decodes to more than 100000 bytes", refused);
        Assert.DoesNotContain("Connection: close", refused); // the coded body was read whole: the connection goes on
        c.ExpectNoRequest();
    }

    [Fact]
    public void A_body_in_an_unknown_coding_gets_415_with_accept_encoding_and_a_corrupt_one_400()
    {
        var c = Connect(new RouteSettings(null, Gzip));
        SendBody(c, "zstd", [1, 2, 3]);
        var text = c.ExpectWrite();
        Assert.StartsWith("HTTP/1.1 415 Unsupported Media Type", text);
        Assert.Contains("Accept-Encoding: gzip, br, deflate\r\n", text);
        SendBody(c, "gzip", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        Assert.StartsWith("HTTP/1.1 400 Bad Request", c.ExpectWrite());
        c.ExpectNoRequest();
    }

    [Fact]
    public void A_streamed_gzip_body_is_decoded_part_by_part_and_a_streamed_zip_bomb_fails_at_the_limit()
    {
        var server = Slow with { Parsing = Slow.Parsing with { MaxBodySize = 1_000_000 } };
        var c = Connect(new RouteSettings(new RouteLimits { StreamRequestBody = true }, Gzip), server);
        var text = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 20_000).Select(i => $"line {i}\n")));
        var coded = Gzipped(text);
        c.Send($"POST /in HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: {coded.Length}\r\n\r\n");
        var (request, slot) = c.ExpectRequest();
        Assert.True(request.BodyStreamed);
        Assert.False(request.Headers.Contains("Content-Encoding"));
        for (var at = 0; at < coded.Length; at += 1000) // the client's bytes arrive a piece at a time
            c.Actor.Tell(new Tcp.Received(ByteString.FromBytes(coded[at..Math.Min(at + 1000, coded.Length)])), c.Tcp.Ref);
        Assert.Equal(text, ReadStreamedBody(c, slot));
        slot.Tell(HttpResponse.Text("ok"));
        Assert.StartsWith("HTTP/1.1 200 OK", c.ExpectWrite());

        // A bomb: decoded as the handler reads, a window at a time, never more; past the route's limit its Read fails
        // with 413 and so does the request.
        var bomb = Gzipped(new byte[5_000_000]);
        c.Send($"POST /in HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: {bomb.Length}\r\n\r\n");
        (_, slot) = c.ExpectRequest();
        c.Actor.Tell(new Tcp.Received(ByteString.FromBytes(bomb)), c.Tcp.Ref);
        var parts = 0;
        RequestBodyStream.Failed? failed = null;
        for (var reads = 0; reads < 1000 && failed == null; reads++)
        {
            slot.Tell(RequestBodyStream.Read.Instance, c.Handler.Ref);
            switch (c.Handler.ExpectMsg<object>(Wait))
            {
                case RequestBodyStream.Part part:
                    Assert.True(part.Bytes.Count <= RequestBodyPump.Window, $"a part of {part.Bytes.Count} bytes");
                    parts++;
                    break;
                case RequestBodyStream.Failed f:
                    failed = f;
                    break;
                case var other:
                    Assert.Fail($"unexpected {other}");
                    break;
            }
        }
        Assert.Equal(413, failed?.Status);
        Assert.True(parts >= 1_000_000 / RequestBodyPump.Window, $"{parts} parts before the limit");
        var refused = c.ExpectWrite();
        Assert.StartsWith("HTTP/1.1 413 Content Too Large", refused);
        Assert.Contains("Connection: close", refused);
    }

    [Fact]
    public void A_whole_body_that_decodes_past_the_stream_threshold_reaches_its_handler_streamed()
    {
        var server = Slow with { Parsing = Slow.Parsing with { MaxBodySize = 4_000_000, StreamBodyThreshold = 100_000 } };
        var c = Connect(new RouteSettings(null, Gzip), server);
        var text = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 30_000).Select(i => $"line {i % 100},")));
        var coded = Gzipped(text);
        Assert.True(coded.Length < 100_000 && text.Length > 100_000); // parsed whole; too large to hold decoded
        SendBody(c, "gzip", coded);
        var (request, slot) = c.ExpectRequest();
        Assert.True(request.BodyStreamed);
        Assert.False(request.Headers.Contains("Content-Encoding"));
        Assert.Equal(text, ReadStreamedBody(c, slot));
        slot.Tell(HttpResponse.Text("ok"));
        Assert.StartsWith("HTTP/1.1 200 OK", c.ExpectWrite());
        c.Send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n"); // the connection goes on
        c.ExpectRequest("/next");
    }

    /// <summary>Plays the handler: reads a streamed body through <paramref name="slot"/> to its end (at most 1,000 Reads).</summary>
    private static byte[] ReadStreamedBody(Conn c, IActorRef slot)
    {
        var received = new MemoryStream();
        for (var reads = 0; reads < 1000; reads++)
        {
            slot.Tell(RequestBodyStream.Read.Instance, c.Handler.Ref);
            var answer = c.Handler.ExpectMsg<object>(Wait);
            if (answer is RequestBodyStream.Completed) return received.ToArray();
            received.Write(Assert.IsType<RequestBodyStream.Part>(answer).Bytes.ToArray());
        }
        Assert.Fail("the body did not complete within 1,000 Reads");
        return [];
    }

    private static void SendBody(Conn c, string coding, byte[] body)
    {
        var head = Encoding.ASCII.GetBytes($"POST /in HTTP/1.1\r\nHost: x\r\nContent-Encoding: {coding}\r\nContent-Length: {body.Length}\r\n\r\n");
        c.Actor.Tell(new Tcp.Received(ByteString.FromBytes([.. head, .. body])), c.Tcp.Ref);
    }

    private static byte[] Gzipped(byte[] bytes)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true)) gzip.Write(bytes);
        return output.ToArray();
    }

    /// <summary>The data of the chunks in one write (after the head, if the write starts with one).</summary>
    private static byte[] Dechunk(string text, byte[] bytes)
    {
        var at = text.StartsWith("HTTP/1.1", StringComparison.Ordinal) ? text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4 : 0;
        var data = new MemoryStream();
        while (at < bytes.Length)
        {
            var lineEnd = text.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = Convert.ToInt32(text[at..lineEnd], 16);
            if (size == 0) break;
            data.Write(bytes, lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
        }
        return data.ToArray();
    }
}
