using System.Net;
using System.Text;
using ActorHttp.Protocol;
using ActorHttp.Protocol.Parsing;
using Xunit;
using static ActorHttp.Tests.Protocol.ParserTestKit;

namespace ActorHttp.Tests.Protocol;

[Trait("Category", "Parser")]
public class ParserTests
{
    // ================================================================ valid requests

    [Fact]
    public void Get_with_eight_headers()
    {
        const string raw =
            "GET /index.html?x=1&y=2 HTTP/1.1\r\n" +
            "Host: example.com\r\n" +
            "User-Agent: test/1.0\r\n" +
            "Accept: */*\r\n" +
            "Accept-Language: en-US,en;q=0.5\r\n" +
            "Accept-Encoding: gzip, deflate\r\n" +
            "Cookie: a=b; c=d\r\n" +
            "X-Request-Id: 42\r\n" +
            "Cache-Control: no-cache\r\n" +
            "\r\n";
        var r = ParseAllWays(raw).Single();

        Assert.Same(HttpMethods.Get, r.Method);
        Assert.Equal("/index.html?x=1&y=2", r.Target);
        Assert.Equal("/index.html", r.Path);
        Assert.Equal("x=1&y=2", r.Query);
        Assert.Equal(HttpProtocol.Http11, r.Protocol);
        Assert.True(r.KeepAlive);
        Assert.Empty(r.Body);
        Assert.Equal(
            [
                new HttpHeader("Host", "example.com"),
                new HttpHeader("User-Agent", "test/1.0"),
                new HttpHeader("Accept", "*/*"),
                new HttpHeader("Accept-Language", "en-US,en;q=0.5"),
                new HttpHeader("Accept-Encoding", "gzip, deflate"),
                new HttpHeader("Cookie", "a=b; c=d"),
                new HttpHeader("X-Request-Id", "42"),
                new HttpHeader("Cache-Control", "no-cache"),
            ],
            r.Headers);
    }

    [Fact]
    public void Header_lookup_on_the_parsed_request_is_case_insensitive()
    {
        var parser = new HttpRequestParser(Small);
        var bytes = Bytes("GET / HTTP/1.1\r\nHost: h\r\nX-Thing: v1\r\nx-thing: v2\r\n\r\n");
        Assert.Equal(ParseStatus.RequestReady, parser.Parse(bytes, 0, bytes.Length, out var consumed));
        Assert.Equal(bytes.Length, consumed);
        var headers = parser.Request.Request.Headers;
        Assert.Equal(3, headers.Count);
        Assert.Equal("h", headers["HOST"]);
        Assert.Equal("v1", headers["x-THING"]);
        Assert.True(headers.Contains("x-thing"));
        Assert.False(headers.Contains("x-thin"));
        Assert.Null(headers["Content-Length"]);
        Assert.Equal(["v1", "v2"], headers.GetValues("X-Thing"));
    }

    [Fact]
    public void Parse_at_a_nonzero_offset_reads_only_the_given_range()
    {
        var parser = new HttpRequestParser(Small);
        var bytes = Bytes("garbage!POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcTRAILING");
        Assert.Equal(ParseStatus.RequestReady, parser.Parse(bytes, 8, bytes.Length - 8 - 8, out var consumed));
        Assert.Equal(bytes.Length - 16, consumed);
        var r = parser.Request.Request;
        Assert.Equal("/p", r.Path);
        Assert.Equal("h", r.Headers["Host"]);
        Assert.Equal("abc", r.BodyAsString());
    }

    public static TheoryData<string, string, string> ContentLengthBodies => new()
    {
        { "text", "POST /submit HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world", "hello world" },
        { "zero", "POST /submit HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", "" },
        { "one byte", "PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nZ", "Z" },
        { "exactly max body size", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n" + new string('b', 100), new string('b', 100) },
        { "body holding CRLFs and a fake request", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 31\r\n\r\nGET /evil HTTP/1.1\r\nHost: a\r\n\r\n", "GET /evil HTTP/1.1\r\nHost: a\r\n\r\n" },
        { "binary body", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\n\0\xff\r\n", "\0\xff\r\n" },
        { "header name case", "POST / HTTP/1.1\r\nHost: a\r\ncontent-LENGTH: 2\r\n\r\nok", "ok" },
    };

    [Theory]
    [MemberData(nameof(ContentLengthBodies))]
    public void Content_length_body(string name, string raw, string body)
    {
        _ = name;
        var r = ParseAllWays(raw).Single();
        Assert.Equal(body, r.BodyText);
    }

    [Fact]
    public void Post_with_content_length_body()
    {
        var r = ParseAllWays("POST /submit HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world").Single();
        Assert.Same(HttpMethods.Post, r.Method);
        Assert.Equal("/submit", r.Path);
        Assert.Equal("hello world", r.BodyText);
        Assert.Equal("text/plain", r.Headers.Single(h => h.Is("content-type")).Value);
        Assert.Equal("11", r.Headers.Single(h => h.Is("content-length")).Value);
    }

    [Fact]
    public void Chunked_body_with_extensions_and_trailers()
    {
        const string raw =
            "POST /upload HTTP/1.1\r\n" +
            "Host: a\r\n" +
            "Transfer-Encoding: chunked\r\n" +
            "\r\n" +
            "5;name=val\r\nhello\r\n" +
            "6;ext=\"quoted \\\"val\\\"; x=y\";flag\r\n world\r\n" +
            "A ; a = b\r\n0123456789\r\n" +
            "a\r\nabcdefghij\r\n" +
            "0;last=1\r\n" +
            "X-Checksum: abc\r\n" +
            "X-Other: 1\r\n" +
            "\r\n";
        var r = ParseAllWays(raw).Single();
        Assert.Equal("hello world0123456789abcdefghij", r.BodyText);
        Assert.True(r.KeepAlive);
        // Trailers are validated and dropped: the request carries the head's fields only.
        Assert.Equal([new HttpHeader("Host", "a"), new HttpHeader("Transfer-Encoding", "chunked")], r.Headers);
    }

    public static TheoryData<string, string, string> ChunkedBodies => new()
    {
        { "empty body", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "" },
        { "single chunk", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", "abc" },
        { "coding name case", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", "abc" },
        { "OWS around coding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:  chunked \r\n\r\n3\r\nabc\r\n0\r\n\r\n", "abc" },
        { "leading zeros in size", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n003\r\nabc\r\n000\r\n\r\n", "abc" },
        { "15 hex digits allowed", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n000000000000003\r\nabc\r\n0\r\n\r\n", "abc" },
        { "chunk data holding CRLF", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n\r\n\r\n\r\n0\r\n\r\n", "\r\n\r\n" },
        { "many one-byte chunks", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + string.Concat("abcdefghij".Select(c => $"1\r\n{c}\r\n")) + "0\r\n\r\n", "abcdefghij" },
        { "chunks adding up to max body size", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n32\r\n" + new string('x', 50) + "\r\n32\r\n" + new string('y', 50) + "\r\n0\r\n\r\n", new string('x', 50) + new string('y', 50) },
        { "extension without value and BWS", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2 ;foo\r\nab\r\n0 ; bar = \"\"\r\n\r\n", "ab" },
        { "trailer with empty value", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nq\r\n0\r\nX-Empty:\r\n\r\n", "q" },
    };

    [Theory]
    [MemberData(nameof(ChunkedBodies))]
    public void Chunked_body(string name, string raw, string body)
    {
        _ = name;
        Assert.Equal(body, ParseAllWays(raw).Single().BodyText);
    }

    public static TheoryData<string, string, string, string, string> Targets => new()
    {
        // name, request line target + Host, expected Target, Path, Query
        { "absolute-form", "http://example.com/p?q|example.com", "http://example.com/p?q", "/p", "q" },
        { "absolute-form, Host case differs", "http://Example.COM/p|example.com", "http://Example.COM/p", "/p", "" },
        { "absolute-form with port", "http://example.com:8080/a/b?c=d&e|example.com:8080", "http://example.com:8080/a/b?c=d&e", "/a/b", "c=d&e" },
        { "absolute-form without path", "http://example.com|example.com", "http://example.com", "/", "" },
        { "absolute-form with query only", "http://example.com?x|example.com", "http://example.com?x", "/", "x" },
        { "absolute-form https, scheme case", "HTTPS://example.com/s|example.com", "HTTPS://example.com/s", "/s", "" },
        { "origin-form root", "/|h", "/", "/", "" },
        { "empty query", "/a?|h", "/a?", "/a", "" },
        { "query with ? and /", "/a?b?c/d|h", "/a?b?c/d", "/a", "b?c/d" },
        { "valid percent-encoding stays encoded", "/a%20b/%C3%A9?x=%41|h", "/a%20b/%C3%A9?x=%41", "/a%20b/%C3%A9", "x=%41" },
        { "sub-delims and gen-delims", "/p;x=1,y/!$&'()*+=:@[]~-._|h", "/p;x=1,y/!$&'()*+=:@[]~-._", "/p;x=1,y/!$&'()*+=:@[]~-._", "" },
        { "dot segments are passed as sent", "/a/../b/./c|h", "/a/../b/./c", "/a/../b/./c", "" },
    };

    [Theory]
    [MemberData(nameof(Targets))]
    public void Request_target_forms(string name, string targetAndHost, string target, string path, string query)
    {
        _ = name;
        var parts = targetAndHost.Split('|');
        var r = ParseAllWays($"GET {parts[0]} HTTP/1.1\r\nHost: {parts[1]}\r\n\r\n").Single();
        Assert.Equal(target, r.Target);
        Assert.Equal(path, r.Path);
        Assert.Equal(query, r.Query);
    }

    [Fact]
    public void Options_asterisk()
    {
        var r = ParseAllWays("OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n").Single();
        Assert.Same(HttpMethods.Options, r.Method);
        Assert.Equal("*", r.Target);
        Assert.Equal("*", r.Path);
        Assert.Equal("", r.Query);
    }

    public static TheoryData<string, string, HttpProtocol, bool> KeepAliveCases => new()
    {
        { "1.0 without Connection", "GET / HTTP/1.0\r\n\r\n", HttpProtocol.Http10, false },
        { "1.0 with Host, without Connection", "GET / HTTP/1.0\r\nHost: a\r\n\r\n", HttpProtocol.Http10, false },
        { "1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", HttpProtocol.Http10, true },
        { "1.0 Keep-Alive mixed case in a list", "GET / HTTP/1.0\r\nConnection: foo, Keep-Alive\r\n\r\n", HttpProtocol.Http10, true },
        { "1.0 keep-alive and close", "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", HttpProtocol.Http10, false },
        { "1.0 close", "GET / HTTP/1.0\r\nConnection: close\r\n\r\n", HttpProtocol.Http10, false },
        { "1.1 default", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", HttpProtocol.Http11, true },
        { "1.1 close", "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", HttpProtocol.Http11, false },
        { "1.1 CLOSE in a list", "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade,  CLOSE \r\n\r\n", HttpProtocol.Http11, false },
        { "1.1 close in a second Connection field", "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nConnection: close\r\n\r\n", HttpProtocol.Http11, false },
        { "1.1 keep-alive", "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n", HttpProtocol.Http11, true },
        { "1.1 closed is not close", "GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n", HttpProtocol.Http11, true },
    };

    [Theory]
    [MemberData(nameof(KeepAliveCases))]
    public void Protocol_version_and_keep_alive(string name, string raw, HttpProtocol protocol, bool keepAlive)
    {
        _ = name;
        var r = ParseAllWays(raw).Single();
        Assert.Equal(protocol, r.Protocol);
        Assert.Equal(keepAlive, r.KeepAlive);
    }

    [Fact]
    public void Http10_request_without_headers_has_empty_header_set()
    {
        var r = ParseAllWays("GET /old HTTP/1.0\r\n\r\n").Single();
        Assert.Empty(r.Headers);
        Assert.Equal("/old", r.Path);
    }

    [Fact]
    public void Header_values_are_trimmed_of_optional_whitespace()
    {
        const string raw =
            "GET / HTTP/1.1\r\n" +
            "Host:   a  \r\n" +
            "X-A:   value with  inner  spaces \t \r\n" +
            "X-B:\tv\t\r\n" +
            "X-C:v\r\n" +
            "X-D:\r\n" +
            "X-E: \t \r\n" +
            "X-F: \xe9t\xe9\r\n" +
            "\r\n";
        var r = ParseAllWays(raw).Single();
        Assert.Equal(
            [
                new HttpHeader("Host", "a"),
                new HttpHeader("X-A", "value with  inner  spaces"),
                new HttpHeader("X-B", "v"),
                new HttpHeader("X-C", "v"),
                new HttpHeader("X-D", ""),
                new HttpHeader("X-E", ""),
                new HttpHeader("X-F", "\u00e9t\u00e9"), // obs-text, decoded as Latin-1
            ],
            r.Headers);
    }

    [Fact]
    public void Repeated_headers_are_preserved_in_order()
    {
        const string raw =
            "GET / HTTP/1.1\r\n" +
            "Accept: a\r\n" +
            "Host: h\r\n" +
            "Set-Thing: 1\r\n" +
            "ACCEPT: b\r\n" +
            "Set-Thing: 2\r\n" +
            "accept: c\r\n" +
            "\r\n";
        var r = ParseAllWays(raw).Single();
        Assert.Equal(["Accept", "Host", "Set-Thing", "ACCEPT", "Set-Thing", "accept"], r.Headers.Select(h => h.Name));
        Assert.Equal(["a", "h", "1", "b", "2", "c"], r.Headers.Select(h => h.Value));

        var parsed = ParseRequest(raw);
        Assert.Equal(["a", "b", "c"], parsed.Headers.GetValues("accept"));
        Assert.Equal("a", parsed.Headers["Accept"]);
    }

    [Fact]
    public void More_header_fields_than_the_scratch_array_holds()
    {
        var sb = new StringBuilder("GET / HTTP/1.1\r\nHost: h\r\n");
        for (var i = 0; i < 40; i++) sb.Append("X-H").Append(i).Append(": v").Append(i).Append("\r\n");
        sb.Append("\r\n");
        var r = ParseAllWays(sb.ToString(), ParserSettings.Default).Single();
        Assert.Equal(41, r.Headers.Count);
        for (var i = 0; i < 40; i++) Assert.Equal(new HttpHeader($"X-H{i}", $"v{i}"), r.Headers[i + 1]);
    }

    [Theory]
    [InlineData("\r\n")]
    [InlineData("\r\n\r\n")]
    [InlineData("\r\n\r\n\r\n\r\n")]
    public void Empty_lines_before_the_request_line_are_ignored(string prefix)
    {
        var r = ParseAllWays(prefix + "GET /x HTTP/1.1\r\nHost: a\r\n\r\n").Single();
        Assert.Equal("/x", r.Target);
    }

    [Fact]
    public void Empty_lines_before_a_request_following_a_body_are_ignored()
    {
        // Some clients send a stray CRLF after a POST body.
        var outcome = ParseAllWays("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nok\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Null(outcome.Error);
        Assert.Equal(["/a", "/b"], outcome.Requests.Select(r => r.Target));
        Assert.Equal("ok", outcome.Requests[0].BodyText);
    }

    [Fact]
    public void Too_many_empty_lines_before_the_request_line_are_rejected()
    {
        var outcome = ParseAllWays("\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal(400, outcome.Error?.Status);
    }

    [Theory]
    [InlineData("PURGE")]
    [InlineData("get")]
    [InlineData("M-SEARCH")]
    [InlineData("X!#$%&'*+-.^_`|~9")]
    public void Extension_methods_are_tokens(string method)
    {
        Assert.Equal(method, ParseAllWays($"{method} / HTTP/1.1\r\nHost: a\r\n\r\n").Single().Method);
    }

    [Fact]
    public void Standard_methods_are_the_interned_instances()
    {
        foreach (var method in HttpMethods.Standard.Where(m => m != HttpMethods.Connect))
        {
            var target = method == HttpMethods.Options ? "*" : "/";
            var r = ParseRequest($"{method} {target} HTTP/1.1\r\nHost: a\r\n\r\n");
            Assert.Same(method, r.Method);
        }
    }

    [Fact]
    public void Empty_host_value_is_accepted()
    {
        var r = ParseAllWays("GET / HTTP/1.1\r\nHost:\r\n\r\n").Single();
        Assert.Equal("", r.Headers.Single().Value);
    }

    [Fact]
    public void Remote_address_is_copied_into_the_request()
    {
        var remote = new IPEndPoint(IPAddress.Loopback, 5555);
        var parser = new HttpRequestParser(Small) { RemoteAddress = remote };
        var bytes = Bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal(ParseStatus.RequestReady, parser.Parse(bytes, 0, bytes.Length, out _));
        Assert.Equal(remote, parser.Request.Request.RemoteAddress);
    }

    // ---------------------------------------------------------------- limits (at the limit: accepted)

    [Fact]
    public void Request_line_exactly_at_the_limit_is_accepted()
    {
        var target = "/" + new string('a', Small.MaxRequestLineLength - "GET  HTTP/1.1".Length - 1);
        var line = $"GET {target} HTTP/1.1";
        Assert.Equal(Small.MaxRequestLineLength, line.Length);
        Assert.Equal(target, ParseAllWays(line + "\r\nHost: a\r\n\r\n").Single().Target);
        Assert.Equal(414, ParseAllWays($"GET {target}a HTTP/1.1\r\nHost: a\r\n\r\n").Error?.Status);
    }

    [Fact]
    public void Header_count_exactly_at_the_limit_is_accepted()
    {
        var atLimit = RequestWithHeaders(Small.MaxHeaderCount);
        Assert.Equal(Small.MaxHeaderCount, ParseAllWays(atLimit).Single().Headers.Count);
        Assert.Equal(431, ParseAllWays(RequestWithHeaders(Small.MaxHeaderCount + 1)).Error?.Status);
    }

    [Fact]
    public void Header_section_exactly_at_the_limit_is_accepted_however_it_is_split()
    {
        // Header lines (CRLFs included, final empty line excluded) of exactly MaxHeaderSectionSize bytes.
        var raw = RequestWithHeaderSection(Small.MaxHeaderSectionSize);
        var whole = ParseWhole(raw);
        Assert.Single(whole.Requests); // accepted when it arrives in one piece...
        ParseAllWays(raw).Single();    // ...and so must it be when the last LF arrives on its own.
    }

    [Fact]
    public void Header_section_one_byte_over_the_limit_is_rejected()
    {
        Assert.Equal(431, ParseAllWays(RequestWithHeaderSection(Small.MaxHeaderSectionSize + 1)).Error?.Status);
    }

    [Fact]
    public void Trailer_section_exactly_at_the_limit_is_accepted_however_it_is_split()
    {
        var trailerLine = "X-Fill: " + new string('t', Small.MaxHeaderSectionSize - 10) + "\r\n";
        Assert.Equal(Small.MaxHeaderSectionSize, trailerLine.Length);
        var raw = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n" + trailerLine + "\r\n";
        Assert.Single(ParseWhole(raw).Requests);
        Assert.Equal("z", ParseAllWays(raw).Single().BodyText);
    }

    [Fact]
    public void Chunk_line_below_the_limit_is_accepted_and_a_longer_one_rejected()
    {
        var ext = ";e=" + new string('v', Small.MaxChunkLineLength - 5); // "1" + ext is MaxChunkLineLength - 1 bytes
        Assert.Equal("z", ParseAllWays($"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1{ext}\r\nz\r\n0\r\n\r\n").Single().BodyText);
        var tooLong = ";e=" + new string('v', Small.MaxChunkLineLength + 1);
        Assert.Equal(400, ParseAllWays($"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1{tooLong}\r\nz\r\n0\r\n\r\n").Error?.Status);
    }

    // ---------------------------------------------------------------- 100-continue

    [Fact]
    public void Expect_100_continue_signals_before_the_body()
    {
        const string head = "POST /up HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n";
        var outcome = Feed([Bytes(head), Bytes("hel"), Bytes("lo")]);
        Assert.Null(outcome.Error);
        Assert.Equal(["continue", "request"], outcome.Events);
        Assert.Equal("hello", outcome.Single().BodyText);

        // However the bytes arrive, the request is the same (the signal itself depends on timing).
        ParseAllWays(head + "hello").Single();
    }

    [Fact]
    public void Expect_100_continue_with_chunked_body_signals_before_the_body()
    {
        const string head = "POST /up HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nTransfer-Encoding: chunked\r\n\r\n";
        var outcome = Feed([Bytes(head), Bytes("3\r\nabc\r\n0\r\n\r\n")]);
        Assert.Equal(["continue", "request"], outcome.Events);
        Assert.Equal("abc", outcome.Single().BodyText);
    }

    [Fact]
    public void Expect_100_continue_is_not_signalled_when_the_body_came_with_the_head()
    {
        var outcome = Feed([Bytes("POST /up HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhe"), Bytes("llo")]);
        Assert.Equal(["request"], outcome.Events);
        Assert.Equal("hello", outcome.Single().BodyText);
    }

    [Fact]
    public void Expect_100_continue_signals_once_even_if_called_again_without_data()
    {
        var parser = new HttpRequestParser(Small);
        var head = Bytes("POST /up HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
        Assert.Equal(ParseStatus.ContinueExpected, parser.Parse(head, 0, head.Length, out var consumed));
        Assert.Equal(head.Length, consumed);
        Assert.Equal(ParseStatus.NeedMoreData, parser.Parse(head, head.Length, 0, out consumed));
        Assert.Equal(0, consumed);
        Assert.True(parser.ReadingBody);
        var body = Bytes("ok");
        Assert.Equal(ParseStatus.RequestReady, parser.Parse(body, 0, 2, out consumed));
        Assert.Equal("ok", parser.Request.Request.BodyAsString());
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n")]                        // no body
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n")]   // empty body
    [InlineData("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")]              // ignored in 1.0
    [InlineData("POST / HTTP/1.0\r\nExpect: something-else\r\nContent-Length: 2\r\n\r\n")]            // ignored in 1.0
    public void Expect_without_a_pending_body_does_not_signal(string head)
    {
        var body = head.Contains("Length: 2") ? "ok" : "";
        var outcome = Feed([Bytes(head), Bytes(body)]);
        Assert.Null(outcome.Error);
        Assert.Equal(["request"], outcome.Events);
        Assert.Equal(body, outcome.Single().BodyText);
    }

    // ---------------------------------------------------------------- pipelining

    [Theory]
    [InlineData(3, 1)]
    [InlineData(4, 2)]
    [InlineData(6, 3)]
    [InlineData(8, 4)]
    [InlineData(11, 5)]
    [InlineData(16, 6)]
    public void Pipelined_batch_is_parsed_in_order(int count, int seed)
    {
        var (raw, expected) = BuildPipeline(count, seed);
        var outcome = ParseAllWays(raw, ParserSettings.Default);
        Assert.Null(outcome.Error);
        Assert.False(outcome.InProgress);
        Assert.Equal(0, outcome.Unconsumed);
        Assert.Equal(count, outcome.Requests.Count);
        for (var i = 0; i < count; i++)
        {
            var (e, r) = (expected[i], outcome.Requests[i]);
            Assert.True(e.Method == r.Method, $"#{i} method {r.Method}, expected {e.Method}");
            Assert.True(e.Target == r.Target, $"#{i} target {r.Target}, expected {e.Target}");
            Assert.True(e.Path == r.Path, $"#{i} path {r.Path}, expected {e.Path}");
            Assert.True(e.Query == r.Query, $"#{i} query {r.Query}, expected {e.Query}");
            Assert.True(e.Protocol == r.Protocol, $"#{i} protocol {r.Protocol}, expected {e.Protocol}");
            Assert.True(e.KeepAlive == r.KeepAlive, $"#{i} keepAlive {r.KeepAlive}, expected {e.KeepAlive}");
            Assert.True(e.Body == r.BodyText, $"#{i} body '{r.BodyText}', expected '{e.Body}'");
            Assert.True(e.Id == r.Headers.Single(h => h.Is("X-Seq")).Value, $"#{i} X-Seq mismatch");
        }
    }

    [Fact]
    public void Pipelined_batch_with_a_partial_request_at_the_end()
    {
        var raw = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n" +
                  "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc" +
                  "GET /3 HTTP/1.1\r\nHo";
        var outcome = ParseAllWays(raw);
        Assert.Null(outcome.Error);
        Assert.Equal(["/1", "/2"], outcome.Requests.Select(r => r.Target));
        Assert.True(outcome.InProgress);
        Assert.Equal("GET /3 HTTP/1.1\r\nHo".Length, outcome.Unconsumed);
    }

    [Fact]
    public void Pipelined_batch_with_a_partial_body_at_the_end()
    {
        var outcome = ParseAllWays("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc");
        Assert.Null(outcome.Error);
        Assert.Single(outcome.Requests);
        Assert.True(outcome.InProgress);
        Assert.Equal(0, outcome.Unconsumed); // the partial body is consumed (copied) already
    }

    [Fact]
    public void Error_after_valid_pipelined_requests_keeps_the_earlier_requests()
    {
        var outcome = ParseAllWays("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\n\r\nGET /4 HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal(["/1", "/2"], outcome.Requests.Select(r => r.Target));
        Assert.Equal(400, outcome.Error?.Status);
    }

    [Fact]
    public void Repeated_target_on_a_connection_yields_the_same_values()
    {
        // The parser caches the last target's strings; a different target after it must not reuse them.
        var outcome = ParseAllWays(
            "GET /a?x HTTP/1.1\r\nHost: h\r\n\r\n" +
            "POST /a?x HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\n1" +
            "GET /a?y HTTP/1.1\r\nHost: h\r\n\r\n" +
            "GET http://h/a?y HTTP/1.1\r\nHost: h\r\n\r\n" +
            "GET http://h/a?y HTTP/1.1\r\nHost: h\r\n\r\n" +
            "GET /a?x HTTP/1.1\r\nHost: h\r\n\r\n");
        Assert.Null(outcome.Error);
        Assert.Equal(["/a?x", "/a?x", "/a?y", "http://h/a?y", "http://h/a?y", "/a?x"], outcome.Requests.Select(r => r.Target));
        Assert.Equal(["/a", "/a", "/a", "/a", "/a", "/a"], outcome.Requests.Select(r => r.Path));
        Assert.Equal(["x", "x", "y", "y", "y", "x"], outcome.Requests.Select(r => r.Query));
    }

    [Fact]
    public void Repeated_absolute_target_still_checks_the_host()
    {
        var outcome = ParseAllWays(
            "GET http://h/a HTTP/1.1\r\nHost: h\r\n\r\n" +
            "GET http://h/a HTTP/1.1\r\nHost: other\r\n\r\n");
        Assert.Single(outcome.Requests);
        Assert.Equal(400, outcome.Error?.Status);
    }

    [Fact]
    public void Asterisk_target_is_rejected_for_GET_even_after_an_OPTIONS_asterisk_request()
    {
        // On its own "GET *" is 400; the cached target of the previous request must not bypass that check.
        Assert.Equal(400, ParseAllWays("GET * HTTP/1.1\r\nHost: a\r\n\r\n").Error?.Status);
        var outcome = ParseAllWays("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\nGET * HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Single(outcome.Requests);
        Assert.Equal(400, outcome.Error?.Status);
    }

    // ================================================================ invalid requests

    private const string H = "Host: a\r\n";
    private const string Chunked = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
    private const string ClPost = "POST / HTTP/1.1\r\nHost: a\r\n";

    public static TheoryData<string, string, int> InvalidRequests => new()
    {
        // ---- limits
        { "request line too long", $"GET /{new string('a', 200)} HTTP/1.1\r\n{H}\r\n", 414 },
        { "request line too long, never ending", $"GET /{new string('a', 300)}", 414 },
        { "too many header fields", RequestWithHeaders(11), 431 },
        { "header section too large (one big field)", $"GET / HTTP/1.1\r\n{H}X-Big: {new string('v', 600)}\r\n\r\n", 431 },
        { "header section too large, never ending", $"GET / HTTP/1.1\r\n{H}X-Big: {new string('v', 600)}", 431 },
        { "Content-Length over max body size", $"{ClPost}Content-Length: 101\r\n\r\n{new string('b', 101)}", 413 },
        { "huge Content-Length", $"{ClPost}Content-Length: 999999999999999999\r\n\r\n", 413 },
        { "chunked body over max (second chunk)", $"{Chunked}64\r\n{new string('b', 100)}\r\n1\r\nx\r\n0\r\n\r\n", 413 },
        { "chunked body over max (one chunk)", $"{Chunked}65\r\n{new string('b', 101)}\r\n0\r\n\r\n", 413 },
        { "chunked body over max (huge size)", $"{Chunked}fffffffffffffff\r\n", 413 },
        { "too many trailer fields", $"{Chunked}0\r\n{string.Concat(Enumerable.Range(0, 11).Select(i => $"X-T{i}: v\r\n"))}\r\n", 431 },
        { "trailer section too large", $"{Chunked}0\r\nX-T: {new string('t', 600)}\r\n\r\n", 431 },
        { "chunk line too long", $"{Chunked}1;e={new string('v', 100)}\r\nx\r\n0\r\n\r\n", 400 },

        // ---- transfer coding
        { "TE gzip, chunked", $"{ClPostTe("gzip, chunked")}3\r\nabc\r\n0\r\n\r\n", 501 },
        { "TE gzip then chunked in two fields", $"POST / HTTP/1.1\r\n{H}Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 501 },
        { "TE gzip", $"{ClPostTe("gzip")}abc", 400 },
        { "TE chunked, gzip", $"{ClPostTe("chunked, gzip")}3\r\nabc\r\n0\r\n\r\n", 400 },
        { "TE chunked, chunked", $"{ClPostTe("chunked, chunked")}0\r\n\r\n", 400 },
        { "TE chunked in two fields", $"POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400 },
        { "TE identity", $"{ClPostTe("identity")}0\r\n\r\n", 400 },
        { "TE empty", $"{ClPostTe("")}0\r\n\r\n", 400 },
        { "TE empty list element", $"{ClPostTe(", chunked")}0\r\n\r\n", 400 },
        { "TE with parameter", $"{ClPostTe("chunked;q=1")}0\r\n\r\n", 400 },
        { "TE in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 400 },
        { "CL and TE", $"{ClPost}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400 },
        { "TE and CL", $"{ClPost}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n", 400 },

        // ---- version
        { "HTTP/1.2", $"GET / HTTP/1.2\r\n{H}\r\n", 505 },
        { "HTTP/2.0", $"GET / HTTP/2.0\r\n{H}\r\n", 505 },
        { "HTTP/0.9", $"GET / HTTP/0.9\r\n{H}\r\n", 505 },
        { "HTTP/3.0", $"GET / HTTP/3.0\r\n{H}\r\n", 505 },
        { "lowercase http/1.1", $"GET / http/1.1\r\n{H}\r\n", 400 },
        { "HTTP/1", $"GET / HTTP/1\r\n{H}\r\n", 400 },
        { "HTTP/1.10", $"GET / HTTP/1.10\r\n{H}\r\n", 400 },
        { "HTTP/2", $"GET / HTTP/2\r\n{H}\r\n", 400 },
        { "missing version", $"GET /\r\n{H}\r\n", 400 },
        { "missing version after space", $"GET / \r\n{H}\r\n", 400 },
        { "trailing space after version", $"GET / HTTP/1.1 \r\n{H}\r\n", 400 },
        { "two spaces before target", $"GET  / HTTP/1.1\r\n{H}\r\n", 400 },
        { "space inside target", $"GET /a b HTTP/1.1\r\n{H}\r\n", 400 },
        { "tab as separator", $"GET\t/ HTTP/1.1\r\n{H}\r\n", 400 },
        { "method only", $"GET\r\n{H}\r\n", 400 },

        // ---- line endings and field syntax
        { "bare CR in header value", $"GET / HTTP/1.1\r\n{H}X-A: a\rb\r\n\r\n", 400 },
        { "bare CR ending a header line", $"GET / HTTP/1.1\r\n{H}X-A: a\rX-B: b\r\n\r\n", 400 },
        { "bare LF line endings", "GET / HTTP/1.1\nHost: a\n\n", 400 },
        { "bare LF after request line", $"GET / HTTP/1.1\n{H}\r\n", 400 },
        { "bare LF after a header", "GET / HTTP/1.1\r\nHost: a\n\r\n", 400 },
        { "bare LF as the empty line", "GET / HTTP/1.1\r\nHost: a\r\n\n", 400 },
        { "bare LF before request line", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "obs-fold with space", $"GET / HTTP/1.1\r\n{H}X-A: a\r\n b\r\n\r\n", 400 },
        { "obs-fold with tab", $"GET / HTTP/1.1\r\n{H}X-A: a\r\n\tb\r\n\r\n", 400 },
        { "whitespace before first header", $"GET / HTTP/1.1\r\n {H}\r\n", 400 },
        { "space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400 },
        { "space before colon, unknown field", $"GET / HTTP/1.1\r\n{H}X-A : b\r\n\r\n", 400 },
        { "tab before colon", $"GET / HTTP/1.1\r\n{H}X-A\t: b\r\n\r\n", 400 },
        { "header without colon", $"GET / HTTP/1.1\r\n{H}X-A b\r\n\r\n", 400 },
        { "empty header name", $"GET / HTTP/1.1\r\n{H}: b\r\n\r\n", 400 },
        { "non-token header name", $"GET / HTTP/1.1\r\n{H}X(A): b\r\n\r\n", 400 },
        { "non-ASCII header name", $"GET / HTTP/1.1\r\n{H}X-\xe9: b\r\n\r\n", 400 },
        { "NUL in header name", $"GET / HTTP/1.1\r\n{H}X-\0: b\r\n\r\n", 400 },
        { "NUL in header value", $"GET / HTTP/1.1\r\n{H}X-A: a\0b\r\n\r\n", 400 },
        { "DEL in header value", $"GET / HTTP/1.1\r\n{H}X-A: a\u007fb\r\n\r\n", 400 },
        { "control char in header value", $"GET / HTTP/1.1\r\n{H}X-A: a\u0001b\r\n\r\n", 400 },

        // ---- Content-Length
        { "CL not a number", $"{ClPost}Content-Length: abc\r\n\r\n", 400 },
        { "CL negative", $"{ClPost}Content-Length: -1\r\n\r\n", 400 },
        { "CL with plus sign", $"{ClPost}Content-Length: +5\r\n\r\nhello", 400 },
        { "CL leading zero", $"{ClPost}Content-Length: 05\r\n\r\nhello", 400 },
        { "CL 00", $"{ClPost}Content-Length: 00\r\n\r\n", 400 },
        { "CL comma list of equal values", $"{ClPost}Content-Length: 5, 5\r\n\r\nhello", 400 },
        { "CL comma list without space", $"{ClPost}Content-Length: 5,5\r\n\r\nhello", 400 },
        { "CL empty", $"{ClPost}Content-Length:\r\n\r\n", 400 },
        { "CL inner space", $"{ClPost}Content-Length: 1 2\r\n\r\n", 400 },
        { "CL hex", $"{ClPost}Content-Length: 0x5\r\n\r\nhello", 400 },
        { "CL decimal point", $"{ClPost}Content-Length: 5.0\r\n\r\nhello", 400 },
        { "CL 19 digits", $"{ClPost}Content-Length: 1234567890123456789\r\n\r\n", 400 },
        { "CL duplicate, same value", $"{ClPost}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400 },
        { "CL duplicate, different values", $"{ClPost}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400 },

        // ---- chunked syntax
        { "chunk size xyz", $"{Chunked}xyz\r\nabc\r\n0\r\n\r\n", 400 },
        { "chunk size empty", $"{Chunked}\r\nabc\r\n0\r\n\r\n", 400 },
        { "chunk size 0x5", $"{Chunked}0x5\r\nhello\r\n0\r\n\r\n", 400 },
        { "chunk size 16 hex digits", $"{Chunked}0000000000000005\r\nhello\r\n0\r\n\r\n", 400 },
        { "chunk size 17 hex digits", $"{Chunked}00000000000000005\r\nhello\r\n0\r\n\r\n", 400 },
        { "chunk size negative", $"{Chunked}-5\r\nhello\r\n0\r\n\r\n", 400 },
        { "chunk size with leading space", $"{Chunked} 5\r\nhello\r\n0\r\n\r\n", 400 },
        { "chunk size followed by junk", $"{Chunked}5 x\r\nhello\r\n0\r\n\r\n", 400 },
        { "chunk extension without name", $"{Chunked}5;\r\nhello\r\n0\r\n\r\n", 400 },
        { "chunk extension without value", $"{Chunked}5;a=\r\nhello\r\n0\r\n\r\n", 400 },
        { "chunk extension unterminated quote", $"{Chunked}5;a=\"x\r\nhello\r\n0\r\n\r\n", 400 },
        { "chunk extension junk after quote", $"{Chunked}5;a=\"x\"y\r\nhello\r\n0\r\n\r\n", 400 },
        { "bare LF after chunk size", $"{Chunked}5\nhello\r\n0\r\n\r\n", 400 },
        { "chunk data longer than size", $"{Chunked}5\r\nhelloX\r\n0\r\n\r\n", 400 },
        { "chunk data shorter than size", $"{Chunked}5\r\nhell\r\n0\r\n\r\n", 400 },
        { "chunk data followed by bare LF", $"{Chunked}5\r\nhello\n0\r\n\r\n", 400 },
        { "chunk data followed by CR only", $"{Chunked}5\r\nhello\r0\r\n\r\n", 400 },
        { "bare LF ending the chunked body", $"{Chunked}0\r\n\n", 400 },
        { "trailer Content-Length", $"{Chunked}3\r\nabc\r\n0\r\nContent-Length: 3\r\n\r\n", 400 },
        { "trailer Transfer-Encoding", $"{Chunked}0\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
        { "trailer Host", $"{Chunked}0\r\nHost: b\r\n\r\n", 400 },
        { "trailer Connection", $"{Chunked}0\r\nConnection: close\r\n\r\n", 400 },
        { "trailer Content-Type", $"{Chunked}0\r\nContent-Type: text/html\r\n\r\n", 400 },
        { "trailer Authorization", $"{Chunked}0\r\nAuthorization: Basic eA==\r\n\r\n", 400 },
        { "trailer obs-fold", $"{Chunked}0\r\nX-A: a\r\n b\r\n\r\n", 400 },
        { "trailer without colon", $"{Chunked}0\r\nX-A\r\n\r\n", 400 },
        { "trailer space before colon", $"{Chunked}0\r\nX-A : b\r\n\r\n", 400 },
        { "trailer NUL in value", $"{Chunked}0\r\nX-A: \0\r\n\r\n", 400 },

        // ---- Host
        { "missing Host in 1.1", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400 },
        { "duplicate Host", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400 },
        { "duplicate Host, different case", "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400 },
        { "Host with space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400 },
        { "Host with slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400 },
        { "Host with userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400 },
        { "absolute-form, mismatching Host", "GET http://example.com/p HTTP/1.1\r\nHost: other.com\r\n\r\n", 400 },
        { "absolute-form, Host missing port", "GET http://example.com:8080/p HTTP/1.1\r\nHost: example.com\r\n\r\n", 400 },
        { "absolute-form, missing Host in 1.1", "GET http://example.com/p HTTP/1.1\r\n\r\n", 400 },
        { "absolute-form with userinfo", "GET http://u@example.com/p HTTP/1.1\r\nHost: example.com\r\n\r\n", 400 },
        { "absolute-form with empty authority", "GET http:///p HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "absolute-form with other scheme", "GET ftp://a/p HTTP/1.1\r\nHost: a\r\n\r\n", 400 },

        // ---- target
        { "< in target", $"GET /a<b HTTP/1.1\r\n{H}\r\n", 400 },
        { "> in target", $"GET /a>b HTTP/1.1\r\n{H}\r\n", 400 },
        { "quote in target", $"GET /a\"b HTTP/1.1\r\n{H}\r\n", 400 },
        { "NUL in target", $"GET /a\0b HTTP/1.1\r\n{H}\r\n", 400 },
        { "raw 0xC3 in target", $"GET /caf\xc3\xa9 HTTP/1.1\r\n{H}\r\n", 400 },
        { "fragment in target", $"GET /a#frag HTTP/1.1\r\n{H}\r\n", 400 },
        { "backslash in target", $"GET /a\\b HTTP/1.1\r\n{H}\r\n", 400 },
        { "braces in target", $"GET /a{{b}} HTTP/1.1\r\n{H}\r\n", 400 },
        { "pipe in target", $"GET /a|b HTTP/1.1\r\n{H}\r\n", 400 },
        { "caret in target", $"GET /a^b HTTP/1.1\r\n{H}\r\n", 400 },
        { "backtick in target", $"GET /a`b HTTP/1.1\r\n{H}\r\n", 400 },
        { "DEL in target", $"GET /a\x7f HTTP/1.1\r\n{H}\r\n", 400 },
        { "control char in target", $"GET /a\x01 HTTP/1.1\r\n{H}\r\n", 400 },
        { "relative target", $"GET a/b HTTP/1.1\r\n{H}\r\n", 400 },
        { "authority-form for GET", $"GET example.com:443 HTTP/1.1\r\n{H}\r\n", 400 },
        { "asterisk for GET", $"GET * HTTP/1.1\r\n{H}\r\n", 400 },
        { "asterisk with path for OPTIONS", $"OPTIONS */x HTTP/1.1\r\n{H}\r\n", 400 },
        { "%zz", $"GET /a%zz HTTP/1.1\r\n{H}\r\n", 400 },
        { "%4 at end", $"GET /a%4 HTTP/1.1\r\n{H}\r\n", 400 },
        { "%4 before query", $"GET /a%4?x HTTP/1.1\r\n{H}\r\n", 400 },
        { "% at end", $"GET /a% HTTP/1.1\r\n{H}\r\n", 400 },
        { "%g0", $"GET /a%g0 HTTP/1.1\r\n{H}\r\n", 400 },
        { "%zz in query", $"GET /a?x=%zz HTTP/1.1\r\n{H}\r\n", 400 },
        { "%4 at end of query", $"GET /a?x=%4 HTTP/1.1\r\n{H}\r\n", 400 },
        { "overlong UTF-8 %C0%AE", $"GET /a/%C0%AE%C0%AE/etc HTTP/1.1\r\n{H}\r\n", 400 },
        { "overlong UTF-8 %c0%af lowercase", $"GET /a%c0%afb HTTP/1.1\r\n{H}\r\n", 400 },
        { "%00 in path", $"GET /a%00b HTTP/1.1\r\n{H}\r\n", 400 },
        { "%FF in path", $"GET /a%FF HTTP/1.1\r\n{H}\r\n", 400 },
        { "truncated UTF-8 %C3 in path", $"GET /a%C3 HTTP/1.1\r\n{H}\r\n", 400 },
        { "UTF-16 surrogate %ED%A0%80 in path", $"GET /a%ED%A0%80 HTTP/1.1\r\n{H}\r\n", 400 },
        { "%00 in absolute-form path", "GET http://a/x%00 HTTP/1.1\r\nHost: a\r\n\r\n", 400 },

        // ---- method / expectations
        { "method GE(T", $"GE(T / HTTP/1.1\r\n{H}\r\n", 400 },
        { "method with slash", $"GE/T / HTTP/1.1\r\n{H}\r\n", 400 },
        { "method with non-ASCII", $"G\xc9T / HTTP/1.1\r\n{H}\r\n", 400 },
        { "empty method", $" / HTTP/1.1\r\n{H}\r\n", 400 },
        { "method too long", $"{new string('M', 33)} / HTTP/1.1\r\n{H}\r\n", 400 },
        { "method too long, never ending", new string('M', 40), 400 },
        { "method longer than the request line limit", $"{new string('M', 300)} / HTTP/1.1\r\n{H}\r\n", 400 },
        { "method longer than the request line limit, never ending", new string('M', 300), 400 },
        { "method too long, then CR LF", $"{new string('M', 32)}\r\n{H}\r\n", 400 },
        { "CONNECT authority-form", "CONNECT host:443 HTTP/1.1\r\nHost: host:443\r\n\r\n", 501 },
        { "Expect something-else", $"POST / HTTP/1.1\r\n{H}Expect: something-else\r\nContent-Length: 1\r\n\r\nx", 417 },
        { "Expect 100-continue with junk", $"POST / HTTP/1.1\r\n{H}Expect: 100-continue, foo\r\nContent-Length: 1\r\n\r\nx", 417 },
        { "Expect on GET", $"GET / HTTP/1.1\r\n{H}Expect: 200-ok\r\n\r\n", 417 },
    };

    [Theory]
    [MemberData(nameof(InvalidRequests))]
    public void Invalid_request_is_rejected_with_status(string name, string raw, int status)
    {
        var outcome = ParseAllWays(raw);
        Assert.True(outcome.Error is not null, $"{name}: expected {status}, got no error:\n{outcome.Describe()}");
        Assert.True(status == outcome.Error.Status, $"{name}: expected {status}, got {outcome.Error} ");
        Assert.Empty(outcome.Requests);
    }

    [Fact]
    public void Method_at_the_length_limit_is_accepted()
    {
        var method = new string('M', Small.MaxMethodLength);
        Assert.Equal(method, ParseAllWays($"{method} / HTTP/1.1\r\nHost: a\r\n\r\n").Single().Method);
    }

    [Fact]
    public void A_100_KB_method_is_refused_as_a_method_not_as_a_long_uri()
    {
        // The method is checked while it is scanned: the answer is 400 after max-method-length bytes, not 414 at the end of the line.
        var raw = Bytes($"{new string('M', 100 * 1024)} / HTTP/1.1\r\nHost: a\r\n\r\n");
        foreach (var settings in new[] { Small, ParserSettings.Default })
        {
            Assert.Equal(400, ParseWhole(raw, settings).Error?.Status);
            Assert.Equal(400, Feed(raw.Chunk(4096), settings).Error?.Status);
        }
    }

    [Fact]
    public void A_long_target_after_a_method_at_the_limit_is_still_414()
    {
        var method = new string('M', Small.MaxMethodLength);
        Assert.Equal(414, ParseAllWays($"{method} /{new string('a', 200)} HTTP/1.1\r\nHost: a\r\n\r\n").Error?.Status);
        Assert.Equal(414, ParseAllWays($"GET /{new string('a', 200)}").Error?.Status);
    }

    [Fact]
    public void A_method_limit_above_the_request_line_limit_is_bounded_by_the_line()
    {
        // A method can never be longer than the line it is in: past the line's limit it is a long method (400), however split.
        var settings = Small with { MaxMethodLength = 1024 };
        Assert.Equal(400, ParseAllWays($"{new string('M', 200)} / HTTP/1.1\r\nHost: a\r\n\r\n", settings).Error?.Status);
        Assert.Equal(414, ParseAllWays($"GET /{new string('a', 200)} HTTP/1.1\r\nHost: a\r\n\r\n", settings).Error?.Status);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")]
    [InlineData("GET / HTTP/1.2\r\nHost: a\r\n\r\n")]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\n\r\n")]
    public void After_an_error_the_parser_keeps_returning_error(string raw)
    {
        var parser = new HttpRequestParser(Small);
        var bytes = Bytes(raw);
        var offset = 0;
        ParseStatus status;
        do
        {
            status = parser.Parse(bytes, offset, bytes.Length - offset, out var consumed);
            offset += consumed;
        } while (status == ParseStatus.NeedMoreData && offset < bytes.Length);
        Assert.Equal(ParseStatus.Error, status);
        var error = parser.Error;
        Assert.NotNull(error);

        for (var i = 0; i < 3; i++)
        {
            var valid = Bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            Assert.Equal(ParseStatus.Error, parser.Parse(valid, 0, valid.Length, out var consumed));
            Assert.Equal(0, consumed);
            Assert.Equal(ParseStatus.Error, parser.Parse(valid, 0, 0, out consumed));
            Assert.Equal(0, consumed);
            Assert.Same(error, parser.Error);
        }
        Assert.True(parser.InProgress);
        Assert.False(parser.ReadingBody);
    }

    // ================================================================ helpers

    private static HttpRequest ParseRequest(string raw)
    {
        var parser = new HttpRequestParser(Small);
        var bytes = Bytes(raw);
        Assert.Equal(ParseStatus.RequestReady, parser.Parse(bytes, 0, bytes.Length, out _));
        return parser.Request.Request;
    }

    private static string ClPostTe(string te) => $"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: {te}\r\n\r\n";

    /// <summary>A GET with <paramref name="count"/> header fields, Host included.</summary>
    private static string RequestWithHeaders(int count)
    {
        var sb = new StringBuilder("GET / HTTP/1.1\r\nHost: a\r\n");
        for (var i = 1; i < count; i++) sb.Append("X-").Append(i).Append(": v\r\n");
        return sb.Append("\r\n").ToString();
    }

    /// <summary>A GET whose header lines (with their CRLFs) take exactly <paramref name="size"/> bytes.</summary>
    private static string RequestWithHeaderSection(int size)
    {
        const string host = "Host: a\r\n";
        var fill = size - host.Length - "X-Fill: \r\n".Length;
        var section = host + "X-Fill: " + new string('f', fill) + "\r\n";
        Assert.Equal(size, section.Length);
        return "GET / HTTP/1.1\r\n" + section + "\r\n";
    }

    private sealed record Expected(string Id, string Method, string Target, string Path, string Query, HttpProtocol Protocol, bool KeepAlive, string Body);

    /// <summary>A deterministic mix of GET, POST with Content-Length, chunked POST, HTTP/1.0 and repeated targets.</summary>
    private static (string Raw, List<Expected> Expected) BuildPipeline(int count, int seed)
    {
        var random = new Random(seed);
        var sb = new StringBuilder();
        var expected = new List<Expected>();
        string RandomText(int n) => new(Enumerable.Range(0, n).Select(_ => (char)random.Next('!', '~' + 1)).ToArray());

        var previousTarget = "/start";
        for (var i = 0; i < count; i++)
        {
            var id = i.ToString();
            var kind = i < 3 ? i : random.Next(5); // the first three cover GET, Content-Length and chunked
            var last = i == count - 1;
            var path = $"/r{i}/{RandomText(3).Replace("?", "q").Replace("#", "h").Replace("%", "p").Replace("<", "l").Replace(">", "g").Replace("\"", "d").Replace("\\", "b").Replace("{", "c").Replace("}", "c").Replace("|", "p").Replace("^", "c").Replace("`", "t")}";
            var query = random.Next(2) == 0 ? "" : $"n={i}&m=x";
            var target = query == "" ? path : $"{path}?{query}";
            var connection = last ? "Connection: close\r\n" : "";
            switch (kind)
            {
                case 0: // GET
                    sb.Append($"GET {target} HTTP/1.1\r\nHost: h\r\nX-Seq: {id}\r\n{connection}\r\n");
                    expected.Add(new(id, "GET", target, path, query, HttpProtocol.Http11, !last, ""));
                    break;
                case 1: // POST with Content-Length
                {
                    var body = RandomText(random.Next(0, 60));
                    sb.Append($"POST {target} HTTP/1.1\r\nHost: h\r\nX-Seq: {id}\r\nContent-Length: {body.Length}\r\n{connection}\r\n{body}");
                    expected.Add(new(id, "POST", target, path, query, HttpProtocol.Http11, !last, body));
                    break;
                }
                case 2: // chunked POST, sometimes with extensions and trailers
                {
                    var body = RandomText(random.Next(0, 60));
                    sb.Append($"PUT {target} HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nX-Seq: {id}\r\n{connection}\r\n");
                    for (var pos = 0; pos < body.Length;)
                    {
                        var n = Math.Min(body.Length - pos, random.Next(1, 25));
                        var ext = random.Next(3) == 0 ? ";ext=\"v;1\"" : "";
                        sb.Append($"{n:x}{ext}\r\n{body.Substring(pos, n)}\r\n");
                        pos += n;
                    }
                    sb.Append(random.Next(2) == 0 ? "0\r\n\r\n" : "0\r\nX-Trailer: t\r\n\r\n");
                    expected.Add(new(id, "PUT", target, path, query, HttpProtocol.Http11, !last, body));
                    break;
                }
                case 3: // DELETE of the previous target (exercises the target cache)
                    sb.Append($"DELETE {previousTarget} HTTP/1.1\r\nHost: h\r\nX-Seq: {id}\r\n{connection}\r\n");
                    var q = previousTarget.IndexOf('?');
                    expected.Add(new(id, "DELETE", previousTarget, q < 0 ? previousTarget : previousTarget[..q], q < 0 ? "" : previousTarget[(q + 1)..], HttpProtocol.Http11, !last, ""));
                    target = previousTarget;
                    break;
                default: // HTTP/1.0 keep-alive POST
                {
                    var body = RandomText(random.Next(0, 30));
                    var conn = last ? "" : "Connection: keep-alive\r\n";
                    sb.Append($"POST {target} HTTP/1.0\r\nX-Seq: {id}\r\n{conn}Content-Length: {body.Length}\r\n\r\n{body}");
                    expected.Add(new(id, "POST", target, path, query, HttpProtocol.Http10, !last, body));
                    break;
                }
            }
            previousTarget = target;
        }
        return (sb.ToString(), expected);
    }

    /// <summary>A head declaring a large body must not cost that much memory before the body arrives (even when buffered).</summary>
    [Theory]
    [InlineData("Content-Length: 8000000\r\n", "")]
    [InlineData("Transfer-Encoding: chunked\r\n", "7a1200\r\n")]
    public void Declared_body_size_is_not_allocated_up_front(string framing, string afterHead)
    {
        var parser = new HttpRequestParser(ParserSettings.Default with { StreamBodyThreshold = 8_000_000 });
        var bytes = Encoding.ASCII.GetBytes($"POST /upload HTTP/1.1\r\nHost: x\r\n{framing}\r\n{afterHead}abc");
        var before = GC.GetAllocatedBytesForCurrentThread();
        var status = parser.Parse(bytes, 0, bytes.Length, out _);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(ParseStatus.NeedMoreData, status);
        Assert.True(allocated < 256 * 1024, $"allocated {allocated} bytes for a body of which 3 bytes arrived");
    }
}
