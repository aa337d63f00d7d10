using Xunit;
using static ActorHttp.Tests.Protocol.ParserTestKit;

namespace ActorHttp.Tests.Protocol;

/// <summary>
/// The Host value must be uri-host [":" port] (RFC 9110 §7.2); RFC 9112 §3.2 requires 400 for an invalid one.
/// </summary>
[Trait("Category", "Parser")]
public class HostValidationTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("example.com")]
    [InlineData("example.com:8080")]
    [InlineData("example.com:")]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:80")]
    [InlineData("[::1]")]
    [InlineData("[::1]:8080")]
    [InlineData("[2001:db8::ffff:192.0.2.1]")]
    [InlineData("xn--caf-dma.example")]
    [InlineData("under_score.local")]
    [InlineData("h%41")]
    [InlineData("")]
    public void Valid_host_is_accepted(string host)
    {
        var r = ParseAllWays($"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n").Single();
        Assert.Equal(host, r.Headers.Single(h => h.Is("host")).Value);
    }

    [Theory]
    [InlineData("a,b")]
    [InlineData("a, b")]
    [InlineData("a:b")]
    [InlineData("a:80:81")]
    [InlineData("a:123456")]
    [InlineData(":80")]
    [InlineData("[::1")]
    [InlineData("[::g]")]
    [InlineData("[127.0.0.1]")]
    [InlineData("[::1]x")]
    [InlineData("[::1]:x")]
    [InlineData("[fe80::1%25eth0]")]
    [InlineData("[v1.fe]")]
    [InlineData("a%zz")]
    [InlineData("a%4")]
    [InlineData("a]")]
    [InlineData("a[")]
    [InlineData("a/b")]
    [InlineData("u@a")]
    public void Invalid_host_is_400(string host)
    {
        var outcome = ParseAllWays($"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n");
        Assert.Equal(400, outcome.Error?.Status);
        Assert.Equal("invalid Host", outcome.Error?.Reason);
    }

    [Fact]
    public void Absolute_form_must_match_a_valid_host()
    {
        Assert.Equal("/p", ParseAllWays("GET http://h:8080/p HTTP/1.1\r\nHost: h:8080\r\n\r\n").Single().Path);
        Assert.Equal(400, ParseAllWays("GET http://h:x/p HTTP/1.1\r\nHost: h:x\r\n\r\n").Error?.Status);
    }
}
