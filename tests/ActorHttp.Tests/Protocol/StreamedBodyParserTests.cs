using System.Text;
using ActorHttp.Protocol.Parsing;
using Xunit;
using static ActorHttp.Tests.Protocol.ParserTestKit;

namespace ActorHttp.Tests.Protocol;

/// <summary>
/// Bodies over the stream threshold come as a request first, then parts. Every case runs split at every byte, byte by
/// byte and in random pieces: the request and the concatenated parts must not depend on how the bytes arrived.
/// </summary>
[Trait("Category", "Parser")]
public sealed class StreamedBodyParserTests
{
    private static readonly ParserSettings Streaming = Small with { StreamBodyThreshold = 16, MaxBodySize = 1000 };

    private static string Body(int n) => new(Enumerable.Range(0, n).Select(i => (char)('a' + i % 26)).ToArray());

    [Fact]
    public void Content_length_up_to_the_threshold_is_buffered()
    {
        var request = ParseAllWays($"POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 16\r\n\r\n{Body(16)}", Streaming).Single();
        Assert.False(request.Streamed);
        Assert.Equal(Body(16), request.BodyText);
    }

    [Fact]
    public void Content_length_over_the_threshold_is_streamed_in_parts()
    {
        var outcome = ParseAllWays($"POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 300\r\n\r\n{Body(300)}", Streaming);
        var request = outcome.Single();
        Assert.True(request.Streamed);
        Assert.Equal(Body(300), request.BodyText);
        Assert.True(outcome.StreamEnded[0]);
        Assert.False(outcome.InProgress);
    }

    [Fact]
    public void The_request_of_a_streamed_body_is_handed_out_before_any_body_byte()
    {
        var outcome = ParseWhole($"POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 300\r\n\r\n", Streaming);
        var request = outcome.Single();
        Assert.True(request.Streamed);
        Assert.Empty(request.Body);
        Assert.False(outcome.StreamEnded[0]);
        Assert.True(outcome.InProgress);
    }

    [Fact]
    public void A_chunked_body_is_buffered_until_it_outgrows_the_threshold()
    {
        var small = ParseAllWays("POST /u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", Streaming).Single();
        Assert.False(small.Streamed);
        Assert.Equal("helloworld", small.BodyText);

        var large = ParseAllWays("POST /u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" +
                                 "a\r\n0123456789\r\n14\r\nabcdefghijklmnopqrst\r\n3;x=y\r\nxyz\r\n0\r\nX-Trailer: ok\r\n\r\n", Streaming).Single();
        Assert.True(large.Streamed);
        Assert.Equal("0123456789abcdefghijklmnopqrstxyz", large.BodyText);
    }

    [Fact]
    public void Requests_after_a_streamed_body_are_parsed_as_usual()
    {
        var outcome = ParseAllWays($"POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 40\r\n\r\n{Body(40)}" +
                                   "GET /b HTTP/1.1\r\nHost: a\r\n\r\n" +
                                   "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n" + Body(32) + "\r\n0\r\n\r\n", Streaming);
        Assert.Null(outcome.Error);
        Assert.Equal(["/a", "/b", "/c"], outcome.Requests.Select(r => r.Path));
        Assert.Equal([true, false, true], outcome.Requests.Select(r => r.Streamed));
        Assert.Equal(Body(40), outcome.Requests[0].BodyText);
        Assert.Equal(Body(32), outcome.Requests[2].BodyText);
    }

    [Fact]
    public void Expect_continue_is_signalled_before_the_streamed_request()
    {
        // 100 Continue must go out before the request is handed to its handler, or the two would wait on each other.
        var outcome = ParseWhole("POST /u HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 300\r\n\r\n", Streaming);
        Assert.Equal(["continue", "request"], outcome.Events);
        outcome = Feed([Bytes("POST /u HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 20\r\n\r\n"), Bytes(Body(20))], Streaming);
        Assert.Equal(["continue", "request"], outcome.Events);
        Assert.Equal(Body(20), outcome.Single().BodyText);
    }

    [Fact]
    public void A_streamed_chunked_body_over_the_size_limit_fails_with_413()
    {
        var chunks = string.Concat(Enumerable.Repeat("C8\r\n" + Body(200) + "\r\n", 6)); // 1200 bytes > 1000
        var outcome = ParseAllWays("POST /u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + "0\r\n\r\n", Streaming);
        Assert.Equal(413, outcome.Error?.Status);
        Assert.True(outcome.Requests.Single().Streamed);
    }

    [Fact]
    public void A_malformed_chunk_in_a_streamed_body_fails_with_400()
    {
        var outcome = ParseAllWays("POST /u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n" + Body(32) + "XX0\r\n\r\n", Streaming);
        Assert.Equal(400, outcome.Error?.Status);
        Assert.Equal(Encoding.ASCII.GetBytes(Body(32)), outcome.Requests.Single().Body);
    }
}
