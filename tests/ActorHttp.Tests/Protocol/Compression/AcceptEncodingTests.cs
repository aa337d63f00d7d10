using ActorHttp.Protocol.Compression;
using Xunit;

namespace ActorHttp.Tests.Protocol.Compression;

[Trait("Category", "Compression")]
public sealed class AcceptEncodingTests
{
    private static readonly ContentCoding[] BrThenGzip = [ContentCoding.Brotli, ContentCoding.Gzip];

    private static ContentCoding Pick(string? header, params ContentCoding[] offered) =>
        AcceptEncoding.Negotiate(header, offered.Length == 0 ? BrThenGzip : offered).Coding;

    [Theory]
    [InlineData(null, ContentCoding.Identity)]                        // nothing said: identity
    [InlineData("", ContentCoding.Identity)]                          // empty: identity only
    [InlineData("gzip", ContentCoding.Gzip)]
    [InlineData("GZIP", ContentCoding.Gzip)]                          // tokens are case-insensitive
    [InlineData("x-gzip", ContentCoding.Gzip)]
    [InlineData("gzip, deflate, br", ContentCoding.Brotli)]           // equal q: the server's order
    [InlineData("br;q=0.5, gzip", ContentCoding.Gzip)]
    [InlineData("br;q=0.9, gzip;q=0.8", ContentCoding.Brotli)]
    [InlineData("gzip;q=0", ContentCoding.Identity)]                  // refused
    [InlineData("*", ContentCoding.Brotli)]                           // anything
    [InlineData("*;q=0.1, br;q=0", ContentCoding.Gzip)]               // anything but br
    [InlineData("gzip;q=0.5, identity", ContentCoding.Identity)]       // identity named and ranked higher
    [InlineData("gzip, identity;q=0.5", ContentCoding.Gzip)]
    [InlineData("compress, zstd, snappy", ContentCoding.Identity)]    // unknown codings only
    [InlineData("zstd;q=1, gzip;q=0.001", ContentCoding.Gzip)]
    [InlineData("gzip;q=1.5", ContentCoding.Identity)]                // a malformed q: the entry is ignored
    [InlineData("gzip;q=abc, br", ContentCoding.Brotli)]
    [InlineData("gzip;q=0.1234", ContentCoding.Identity)]             // at most three decimals
    [InlineData(" , ,gzip ;  q=0.3 ,", ContentCoding.Gzip)]           // empty items and spaces
    [InlineData("gzip;level=9;q=0.5", ContentCoding.Gzip)]            // other parameters ignored
    [InlineData("gzip;q=1.000", ContentCoding.Gzip)]
    [InlineData("gzip;q=0.", ContentCoding.Identity)]                 // "0." is zero: refused
    public void The_client_s_preference_decides_among_the_offered_codings(string? header, ContentCoding expected)
    {
        Assert.Equal(expected, Pick(header));
    }

    [Fact]
    public void Only_offered_codings_are_chosen()
    {
        Assert.Equal(ContentCoding.Gzip, Pick("br, gzip;q=0.5", ContentCoding.Gzip));
        Assert.Equal(ContentCoding.Identity, Pick("br", ContentCoding.Gzip));
        Assert.Equal(ContentCoding.Gzip, Pick("br, gzip", ContentCoding.Gzip, ContentCoding.Brotli)); // the server's order
    }

    [Theory]
    [InlineData("identity;q=0, gzip", true)]
    [InlineData("*;q=0, gzip", true)]
    [InlineData("*;q=0, identity, gzip", false)]
    [InlineData("gzip", false)]
    [InlineData("identity;q=0", true)] // and nothing acceptable: identity all the same
    public void Identity_can_be_refused(string header, bool refused)
    {
        var negotiated = AcceptEncoding.Negotiate(header, BrThenGzip);
        Assert.Equal(refused, negotiated.IdentityRefused);
        if (header == "identity;q=0") Assert.Equal(ContentCoding.Identity, negotiated.Coding);
    }
}
