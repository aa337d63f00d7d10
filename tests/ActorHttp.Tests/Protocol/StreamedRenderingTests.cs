using System.Text;
using ActorHttp.Protocol;
using ActorHttp.Protocol.Rendering;
using Akka.IO;
using Xunit;

namespace ActorHttp.Tests.Protocol;

/// <summary>The head of a streamed response: its framing by protocol, method, status and known length.</summary>
[Trait("Category", "Renderer")]
public sealed class StreamedRenderingTests
{
    private static (string Head, BodyFraming Framing) RenderHead(HttpResponse response, HttpProtocol protocol = HttpProtocol.Http11,
        bool head = false, bool close = false)
    {
        var output = new OutputBuffer();
        var framing = new HttpResponseRenderer("T").RenderStreamedHead(response, new RenderContext(protocol, head, close), output);
        var text = Encoding.Latin1.GetString(output.ToByteString().ToArray());
        output.Release();
        Assert.EndsWith("\r\n\r\n", text);
        return (text, framing);
    }

    [Theory]
    [InlineData(HttpProtocol.Http11, false, null, BodyFraming.Chunked, "Transfer-Encoding: chunked", null)]
    [InlineData(HttpProtocol.Http11, false, 42L, BodyFraming.ContentLength, "Content-Length: 42", null)]
    [InlineData(HttpProtocol.Http10, false, null, BodyFraming.CloseDelimited, "Connection: close", "Content-Length")]
    [InlineData(HttpProtocol.Http10, false, 42L, BodyFraming.ContentLength, "Connection: keep-alive", "Transfer-Encoding")]
    [InlineData(HttpProtocol.Http11, true, null, BodyFraming.None, "Transfer-Encoding: chunked", null)]
    [InlineData(HttpProtocol.Http11, true, 42L, BodyFraming.None, "Content-Length: 42", null)]
    [InlineData(HttpProtocol.Http10, true, null, BodyFraming.None, "Connection: keep-alive", "Connection: close")]
    public void Framing_follows_protocol_method_and_known_length(HttpProtocol protocol, bool isHead, long? length,
        object expected, string mustContain, string? mustNotContain) // a BodyFraming: internal, so a public test cannot name it
    {
        var (head, framing) = RenderHead(HttpResponse.StreamedHead(contentType: "text/plain", contentLength: length), protocol, isHead);
        Assert.Equal((BodyFraming)expected, framing);
        Assert.Contains(mustContain + "\r\n", head);
        if (mustNotContain != null) Assert.DoesNotContain(mustNotContain, head);
    }

    [Theory]
    [InlineData(204)]
    [InlineData(304)]
    public void A_status_without_a_body_has_no_framing(int status)
    {
        var (head, framing) = RenderHead(HttpResponse.StreamedHead(status));
        Assert.Equal(BodyFraming.None, framing);
        Assert.DoesNotContain("Transfer-Encoding", head);
        Assert.DoesNotContain("Content-Length", head);
    }

    [Fact]
    public void A_handler_cannot_set_its_own_framing_headers_on_a_stream()
    {
        var (head, _) = RenderHead(HttpResponse.StreamedHead() with
        {
            Headers = [new HttpHeader("Content-Length", "5"), new HttpHeader("Transfer-Encoding", "gzip"), new HttpHeader("X-Ok", "1")],
        });
        Assert.Equal(1, head.Split("Transfer-Encoding").Length - 1);
        Assert.DoesNotContain("Content-Length", head);
        Assert.Contains("X-Ok: 1\r\n", head);
    }

    [Fact]
    public void Chunks_are_framed_with_hex_sizes_and_the_end_is_the_last_chunk()
    {
        var output = new OutputBuffer();
        HttpResponseRenderer.RenderBodyPart(ByteString.FromString(new string('a', 26)), BodyFraming.Chunked, output);
        HttpResponseRenderer.RenderBodyPart(ByteString.Empty, BodyFraming.Chunked, output); // never a premature last chunk
        HttpResponseRenderer.RenderBodyPart(ByteString.FromString(new string('b', 70_000)), BodyFraming.Chunked, output);
        HttpResponseRenderer.RenderBodyEnd(BodyFraming.Chunked, output);
        var text = Encoding.Latin1.GetString(output.ToByteString().ToArray());
        Assert.Equal($"1A\r\n{new string('a', 26)}\r\n11170\r\n{new string('b', 70_000)}\r\n0\r\n\r\n", text);

        var raw = new OutputBuffer();
        HttpResponseRenderer.RenderBodyPart(ByteString.FromString("xyz"), BodyFraming.ContentLength, raw);
        HttpResponseRenderer.RenderBodyEnd(BodyFraming.ContentLength, raw);
        Assert.Equal("xyz", Encoding.Latin1.GetString(raw.ToByteString().ToArray()));
    }
}
