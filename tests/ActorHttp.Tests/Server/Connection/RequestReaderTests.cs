using System.Net;
using System.Text;
using Akka.IO;
using ActorHttp.Protocol.Parsing;
using ActorHttp.Server;
using ActorHttp.Server.Connection;
using Xunit;

namespace ActorHttp.Tests.Server.Connection;

[Trait("Category", "Connection")]
public sealed class RequestReaderTests
{
    private static readonly ServerSettings Settings = ServerSettings.Create(Akka.Configuration.ConfigurationFactory.Empty);
    private readonly RequestReader _reader = new(Settings.Parsing, new IPEndPoint(IPAddress.Loopback, 1234));
    private readonly ConnectionTimeouts _timeouts = new(Settings, static _ => { }, null);

    private ParseStatus Feed(string text, long now)
    {
        _reader.BeginBatch();
        _reader.Append(ByteString.FromString(text, Encoding.ASCII));
        var status = ParseStatus.NeedMoreData;
        while (_reader.HasData && (status = _reader.Next()) != ParseStatus.NeedMoreData) { }
        _reader.EndBatch(_timeouts, now);
        return status;
    }

    [Fact]
    public void A_request_split_across_reads_is_parsed_once_whole()
    {
        Assert.Equal(ParseStatus.NeedMoreData, Feed("GET /a HTTP/1.1\r\nHo", now: 10));
        Assert.True(_reader.Parser.InProgress);
        Assert.Equal(ParseStatus.RequestReady, Feed("st: x\r\n\r\n", now: 20));
        Assert.Equal("/a", _reader.Parser.Request.Request.Path);
        Assert.False(_reader.HasData);
    }

    [Fact]
    public void The_head_clock_starts_with_the_first_byte_of_each_request()
    {
        Feed("GET /a HTTP/1.1\r\n", now: 10);
        Assert.Equal(10, _timeouts.RequestStartedAt);
        Feed("Host: x\r\n", now: 20);
        Assert.Equal(10, _timeouts.RequestStartedAt); // the same request: its clock runs on

        Feed("\r\nGET /b HTTP/1.1\r\n", now: 30); // one complete, the next begun in the same read
        Assert.Equal(30, _timeouts.RequestStartedAt);
    }

    [Fact]
    public void The_body_clock_starts_when_the_body_does()
    {
        Feed("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab", now: 50);
        Assert.True(_reader.Parser.ReadingBody);
        Assert.Equal(50, _timeouts.BodyStartedAt);
        Assert.Equal(ParseStatus.RequestReady, Feed("cd", now: 60));
        Assert.Equal(50, _timeouts.BodyStartedAt);
    }
}
