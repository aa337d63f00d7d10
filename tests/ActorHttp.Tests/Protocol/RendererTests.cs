using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using ActorHttp.Protocol;
using ActorHttp.Protocol.Rendering;
using Akka.IO;
using Xunit;

namespace ActorHttp.Tests.Protocol;

[Trait("Category", "Renderer")]
public class RendererTests
{
    private const string ServerName = "ActorHttp-Test";

    // ---------------------------------------------------------------- helpers

    private sealed record Rendered(string StatusLine, List<(string Name, string Value)> Headers, string Body, string Raw)
    {
        public string[] Values(string name) =>
            Headers.Where(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).ToArray();

        public string? Single(string name)
        {
            var values = Values(name);
            Assert.True(values.Length <= 1, $"header {name} appears {values.Length} times:\n{Raw}");
            return values.Length == 0 ? null : values[0];
        }
    }

    private static byte[] RenderBytes(HttpResponse response, HttpProtocol protocol = HttpProtocol.Http11, bool head = false,
        bool close = false, string server = ServerName)
    {
        var renderer = new HttpResponseRenderer(server);
        var output = new OutputBuffer();
        var context = new RenderContext(protocol, head, close);
        renderer.Render(response, context, output);
        var bytes = output.ToByteString().ToArray();
        Assert.Equal(output.Length, bytes.Length);
        output.Release();
        return bytes;
    }

    private static Rendered Render(HttpResponse response, HttpProtocol protocol = HttpProtocol.Http11, bool head = false,
        bool close = false, string server = ServerName) =>
        Parse(Encoding.Latin1.GetString(RenderBytes(response, protocol, head, close, server)));

    /// <summary>Splits one rendered response into status line, header fields and body, checking the syntax on the way.</summary>
    private static Rendered Parse(string raw)
    {
        var end = raw.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(end > 0, $"no end of head in:\n{raw}");
        var lines = raw[..end].Split("\r\n");
        var headers = new List<(string, string)>();
        foreach (var line in lines.Skip(1))
        {
            Assert.DoesNotContain('\r', line);
            Assert.DoesNotContain('\n', line);
            var colon = line.IndexOf(": ", StringComparison.Ordinal);
            Assert.True(colon > 0, $"malformed header line '{line}'");
            headers.Add((line[..colon], line[(colon + 2)..]));
        }
        return new Rendered(lines[0], headers, raw[(end + 4)..], raw);
    }

    private static HttpResponse Text(string body, int status = 200) => HttpResponse.Text(body, status);

    // ---------------------------------------------------------------- status line and standard headers

    public static TheoryData<int, string> StatusLines => new()
    {
        { 200, "HTTP/1.1 200 OK" },
        { 201, "HTTP/1.1 201 Created" },
        { 202, "HTTP/1.1 202 Accepted" },
        { 301, "HTTP/1.1 301 Moved Permanently" },
        { 302, "HTTP/1.1 302 Found" },
        { 400, "HTTP/1.1 400 Bad Request" },
        { 404, "HTTP/1.1 404 Not Found" },
        { 405, "HTTP/1.1 405 Method Not Allowed" },
        { 408, "HTTP/1.1 408 Request Timeout" },
        { 413, "HTTP/1.1 413 Content Too Large" },
        { 414, "HTTP/1.1 414 URI Too Long" },
        { 417, "HTTP/1.1 417 Expectation Failed" },
        { 431, "HTTP/1.1 431 Request Header Fields Too Large" },
        { 500, "HTTP/1.1 500 Internal Server Error" },
        { 501, "HTTP/1.1 501 Not Implemented" },
        { 503, "HTTP/1.1 503 Service Unavailable" },
        { 505, "HTTP/1.1 505 HTTP Version Not Supported" },
        { 299, "HTTP/1.1 299 Success" },
        { 399, "HTTP/1.1 399 Redirection" },
        { 499, "HTTP/1.1 499 Client Error" },
        { 599, "HTTP/1.1 599 Server Error" },
        { 0, "HTTP/1.1 500 Internal Server Error" },
        { 99, "HTTP/1.1 500 Internal Server Error" },
        { 600, "HTTP/1.1 500 Internal Server Error" },
        { -1, "HTTP/1.1 500 Internal Server Error" },
    };

    [Theory]
    [MemberData(nameof(StatusLines))]
    public void Status_line_and_reason_phrase(int status, string statusLine)
    {
        var r = Render(new HttpResponse { Status = status, Body = ByteString.FromString("x") });
        Assert.Equal(statusLine, r.StatusLine);
    }

    [Theory]
    [InlineData(HttpProtocol.Http10)]
    [InlineData(HttpProtocol.Http11)]
    public void Status_line_is_always_http11(HttpProtocol protocol)
    {
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", Render(Text("x"), protocol).Raw);
    }

    [Fact]
    public void Text_response_has_server_date_content_type_and_length()
    {
        var r = Render(Text("hello world"));
        Assert.Equal("HTTP/1.1 200 OK", r.StatusLine);
        Assert.Equal(ServerName, r.Single("Server"));
        Assert.Equal("text/plain; charset=utf-8", r.Single("Content-Type"));
        Assert.Equal("11", r.Single("Content-Length"));
        Assert.Null(r.Single("Transfer-Encoding"));
        Assert.Null(r.Single("Connection"));
        Assert.Equal("hello world", r.Body);
        Assert.Equal(["Server", "Date", "Content-Type", "Content-Length"], r.Headers.Select(h => h.Name));
    }

    [Fact]
    public void Exact_bytes_of_a_simple_response()
    {
        var r = Render(Text("hi"));
        var date = r.Single("Date");
        Assert.Equal(
            $"HTTP/1.1 200 OK\r\nServer: {ServerName}\r\nDate: {date}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 2\r\n\r\nhi",
            r.Raw);
    }

    [Fact]
    public void Date_header_is_an_imf_fixdate_close_to_now()
    {
        var before = DateTime.UtcNow.AddSeconds(-2);
        var r = Render(Text("x"));
        var after = DateTime.UtcNow.AddSeconds(2);

        var line = r.Raw.Split("\r\n").Single(l => l.StartsWith("Date:", StringComparison.Ordinal));
        Assert.Matches(new Regex(@"^Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$"), line);
        var date = DateTime.ParseExact(line["Date: ".Length..], "ddd, dd MMM yyyy HH:mm:ss 'GMT'", CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        Assert.InRange(date, before, after);
    }

    [Fact]
    public void Date_header_line_is_crlf_terminated_and_shared()
    {
        var current = Encoding.ASCII.GetString(new DateHeader(TimeProvider.System).Current);
        Assert.StartsWith("Date: ", current);
        Assert.EndsWith(" GMT\r\n", current);
        Assert.Equal(37, current.Length); // "Date: " + 29-char IMF-fixdate + CRLF
    }

    [Fact]
    public void Date_header_follows_its_clock_and_changes_on_the_second()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 12, 3, 9, 30, 15, 400, TimeSpan.Zero));
        var date = new DateHeader(clock);
        Assert.Equal("Date: Thu, 03 Dec 2026 09:30:15 GMT\r\n", Encoding.ASCII.GetString(date.Current));
        var first = date.Current.ToArray();

        clock.Advance(TimeSpan.FromMilliseconds(599)); // 15.999: still the same second, the same bytes
        Assert.Equal(first, date.Current.ToArray());

        clock.Advance(TimeSpan.FromMilliseconds(1)); // 16.000
        Assert.Equal("Date: Thu, 03 Dec 2026 09:30:16 GMT\r\n", Encoding.ASCII.GetString(date.Current));

        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal("Date: Thu, 03 Dec 2026 10:30:16 GMT\r\n", Encoding.ASCII.GetString(date.Current));
    }

    [Fact]
    public void Empty_server_header_sends_no_server_field()
    {
        var r = Render(Text("x"), server: "");
        Assert.Null(r.Single("Server"));
        Assert.NotNull(r.Single("Date"));
    }

    [Fact]
    public void Handler_supplied_server_and_date_replace_the_defaults()
    {
        var r = Render(Text("x") with { Headers = [new("Server", "custom/2"), new("date", "Tue, 01 Jan 2030 00:00:00 GMT")] });
        Assert.Equal("custom/2", r.Single("Server"));
        Assert.Equal("Tue, 01 Jan 2030 00:00:00 GMT", r.Single("Date"));
    }

    [Fact]
    public void Handler_headers_are_rendered_in_order_with_repeats()
    {
        var r = Render(Text("x") with
        {
            Headers = [new("Set-Cookie", "a=1"), new("X-One", "1"), new("Set-Cookie", "b=2"), new("Cache-Control", "no-store"), new("X-Empty", "")],
        });
        Assert.Equal(["a=1", "b=2"], r.Values("Set-Cookie"));
        Assert.Equal(["Set-Cookie", "X-One", "Set-Cookie", "Cache-Control", "X-Empty"], r.Headers.Take(5).Select(h => h.Name));
        Assert.Equal("", r.Single("X-Empty"));
    }

    [Fact]
    public void Latin1_header_value_is_rendered_as_single_bytes()
    {
        var bytes = RenderBytes(Text("x") with { Headers = [new("X-Name", "caf\u00e9")] });
        var expected = new byte[] { (byte)'c', (byte)'a', (byte)'f', 0xE9, (byte)'\r', (byte)'\n' };
        Assert.True(bytes.AsSpan().IndexOf(expected) > 0);
    }

    [Fact]
    public void No_content_type_when_none_is_set()
    {
        var r = Render(new HttpResponse { Body = ByteString.FromString("raw") });
        Assert.Null(r.Single("Content-Type"));
        Assert.Equal("3", r.Single("Content-Length"));
        Assert.Equal("raw", r.Body);
    }

    [Fact]
    public void Empty_body_has_content_length_zero()
    {
        var r = Render(HttpResponse.Empty(200));
        Assert.Equal("0", r.Single("Content-Length"));
        Assert.Equal("", r.Body);
        Assert.EndsWith("Content-Length: 0\r\n\r\n", r.Raw);
    }

    [Fact]
    public void Json_and_error_helpers()
    {
        var json = Render(HttpResponse.Json("{\"a\":1}", 201));
        Assert.Equal("HTTP/1.1 201 Created", json.StatusLine);
        Assert.Equal("application/json", json.Single("Content-Type"));
        Assert.Equal("{\"a\":1}", json.Body);

        var error = Render(HttpResponse.Error(404, "no such thing"));
        Assert.Equal("HTTP/1.1 404 Not Found", error.StatusLine);
        Assert.Equal("Not Found: no such thing\n", error.Body);
        Assert.Equal(Encoding.UTF8.GetByteCount(error.Body).ToString(), error.Single("Content-Length"));
    }

    [Fact]
    public void Content_length_counts_utf8_bytes_not_chars()
    {
        var bytes = RenderBytes(Text("h\u00e9llo \u2603"));
        var r = Parse(Encoding.Latin1.GetString(bytes));
        Assert.Equal("10", r.Single("Content-Length"));
        var body = bytes[^10..];
        Assert.Equal("h\u00e9llo \u2603", Encoding.UTF8.GetString(body));
    }

    // ---------------------------------------------------------------- HEAD and bodiless statuses

    [Fact]
    public void Head_keeps_content_length_but_sends_no_body()
    {
        var r = Render(Text("hello world"), head: true);
        Assert.Equal("11", r.Single("Content-Length"));
        Assert.Equal("text/plain; charset=utf-8", r.Single("Content-Type"));
        Assert.Equal("", r.Body);
        Assert.EndsWith("Content-Length: 11\r\n\r\n", r.Raw);
    }

    [Fact]
    public void Head_with_large_body_sends_no_body()
    {
        var body = new byte[40_000];
        new Random(1).NextBytes(body);
        var r = Render(new HttpResponse { Body = ByteString.FromBytes(body) }, head: true);
        Assert.Equal("40000", r.Single("Content-Length"));
        Assert.Equal("", r.Body);
    }

    [Theory]
    [InlineData(100)]
    [InlineData(101)]
    [InlineData(103)]
    public void Informational_status_as_a_final_response_becomes_500(int status)
    {
        // A 1xx is never final: rendering it would leave the client waiting and shift later responses.
        var r = Render(HttpResponse.Text("x", status));
        Assert.StartsWith("HTTP/1.1 500 Internal Server Error\r\n", r.Raw);
    }

    [Theory]
    [InlineData(204, "No Content")]
    [InlineData(304, "Not Modified")]
    public void Bodiless_status_has_no_body_and_no_content_length(int status, string reason)
    {
        foreach (var head in new[] { false, true })
        {
            var r = Render(new HttpResponse { Status = status, ContentType = "text/plain", Body = ByteString.FromString("must not appear") }, head: head);
            Assert.Equal($"HTTP/1.1 {status} {reason}", r.StatusLine);
            Assert.Null(r.Single("Content-Length"));
            Assert.Null(r.Single("Transfer-Encoding"));
            Assert.Equal("", r.Body);
            Assert.EndsWith("\r\n\r\n", r.Raw);
        }
    }

    [Fact]
    public void Bodiless_status_with_empty_body_has_no_content_length()
    {
        var r = Render(HttpResponse.Empty(204));
        Assert.Null(r.Single("Content-Length"));
        Assert.Equal("", r.Body);
    }

    [Fact]
    public void Continue_interim_response_bytes()
    {
        Assert.Equal("HTTP/1.1 100 Continue\r\n\r\n", Encoding.ASCII.GetString(HttpResponseRenderer.Continue));
    }

    // ---------------------------------------------------------------- Connection

    [Theory]
    [InlineData(HttpProtocol.Http10, true, "close")]
    [InlineData(HttpProtocol.Http10, false, "keep-alive")]
    [InlineData(HttpProtocol.Http11, true, "close")]
    [InlineData(HttpProtocol.Http11, false, null)]
    public void Connection_header_matrix(HttpProtocol protocol, bool close, string? expected)
    {
        foreach (var response in new[] { Text("x"), HttpResponse.Empty(204), HttpResponse.Empty(304) })
        {
            var r = Render(response, protocol, close: close);
            Assert.Equal(expected, r.Single("Connection"));
        }
    }

    [Fact]
    public void Connection_follows_the_context_not_the_response_flag()
    {
        // Whether to close is decided by the connection (which folds in CloseConnection) and passed in the context.
        var r = Render(Text("x") with { CloseConnection = true }, HttpProtocol.Http11, close: false);
        Assert.Null(r.Single("Connection"));
    }

    // ---------------------------------------------------------------- handler-supplied framing headers and splitting

    [Fact]
    public void Handler_supplied_framing_headers_are_ignored()
    {
        var r = Render(Text("hello") with
        {
            Headers =
            [
                new("Content-Length", "999"),
                new("content-length", "1"),
                new("Transfer-Encoding", "chunked"),
                new("TRANSFER-ENCODING", "gzip"),
                new("Connection", "upgrade"),
                new("connection", "keep-alive"),
                new("X-Kept", "yes"),
            ],
        }, HttpProtocol.Http11, close: false);

        Assert.Equal("5", r.Single("Content-Length"));
        Assert.Null(r.Single("Transfer-Encoding"));
        Assert.Null(r.Single("Connection"));
        Assert.Equal("yes", r.Single("X-Kept"));
        Assert.Equal("hello", r.Body);
    }

    [Fact]
    public void Handler_supplied_connection_header_does_not_override_close()
    {
        var r = Render(Text("x") with { Headers = [new("Connection", "keep-alive")] }, HttpProtocol.Http11, close: true);
        Assert.Equal("close", r.Single("Connection"));
    }

    [Fact]
    public void Handler_supplied_framing_headers_are_ignored_on_bodiless_statuses()
    {
        var r = Render(HttpResponse.Empty(204) with { Headers = [new("Content-Length", "10"), new("Transfer-Encoding", "chunked")] });
        Assert.Null(r.Single("Content-Length"));
        Assert.Null(r.Single("Transfer-Encoding"));
    }

    [Fact]
    public void Content_type_header_in_the_list_does_not_duplicate_the_property()
    {
        var r = Render(Text("x") with { Headers = [new("Content-Type", "text/html")] });
        Assert.Equal("text/plain; charset=utf-8", r.Single("Content-Type"));
    }

    [Fact]
    public void Content_type_header_in_the_list_is_used_when_the_property_is_not_set()
    {
        var r = Render(new HttpResponse { Body = Akka.IO.ByteString.FromString("<p/>"), Headers = [new("Content-Type", "text/html")] });
        Assert.Equal("text/html", r.Single("Content-Type"));
    }

    public static TheoryData<string, string, string> UnsafeHeaders => new()
    {
        { "CRLF injection", "X-Evil", "a\r\nSet-Cookie: evil=1" },
        { "bare LF", "X-Evil", "a\nSet-Cookie: evil=1" },
        { "bare CR", "X-Evil", "a\rSet-Cookie: evil=1" },
        { "CRLFCRLF body injection", "X-Evil", "a\r\n\r\nHTTP/1.1 200 OK" },
        { "NUL in value", "X-Evil", "a\0b" },
        { "CRLF in name", "X-Evil\r\nSet-Cookie", "evil=1" },
        { "colon in name", "Set-Cookie: evil=1\r\nX", "y" },
        { "space in name", "X Evil", "v" },
        { "empty name", "", "v" },
        { "non-ASCII name", "X-\u00e9", "v" },
        { "non-Latin name", "X-\u0100", "v" },
    };

    [Theory]
    [MemberData(nameof(UnsafeHeaders))]
    public void Unsafe_header_is_dropped(string name, string headerName, string headerValue)
    {
        var r = Render(Text("body") with { Headers = [new("X-Before", "1"), new(headerName, headerValue), new("X-After", "2")] });
        Assert.True(r.Headers.Count(h => h.Name.Contains("Evil") || h.Name.Contains("Set-Cookie") || h.Name == headerName) == 0,
            $"{name}: unsafe header rendered:\n{r.Raw}");
        Assert.DoesNotContain("evil", r.Raw);
        Assert.Equal("1", r.Single("X-Before"));
        Assert.Equal("2", r.Single("X-After"));
        Assert.Equal("4", r.Single("Content-Length"));
        Assert.Equal("body", r.Body);
        Assert.Single(Regex.Matches(r.Raw, "HTTP/1.1"));
    }

    [Theory]
    [InlineData("text/html\r\nSet-Cookie: evil=1")]
    [InlineData("text/html\nX: evil")]
    [InlineData("text/html\0")]
    public void Unsafe_content_type_is_dropped(string contentType)
    {
        var r = Render(new HttpResponse { ContentType = contentType, Body = ByteString.FromString("b") });
        Assert.Null(r.Single("Content-Type"));
        Assert.DoesNotContain("evil", r.Raw);
        Assert.Equal("b", r.Body);
    }

    // ---------------------------------------------------------------- bodies and buffers

    [Theory]
    [InlineData(1)]
    [InlineData(4000)]
    [InlineData(16 * 1024)]      // largest copied body
    [InlineData(16 * 1024 + 1)]  // smallest referenced body
    [InlineData(100_000)]
    [InlineData(1_000_000)]
    public void Body_comes_out_intact(int size)
    {
        var body = new byte[size];
        new Random(size).NextBytes(body);
        var bytes = RenderBytes(new HttpResponse { ContentType = "application/octet-stream", Body = ByteString.FromBytes(body) });
        var head = Parse(Encoding.Latin1.GetString(bytes));
        Assert.Equal(size.ToString(), head.Single("Content-Length"));
        Assert.Equal(body, bytes[^size..]);
        Assert.Equal(size, bytes.Length - (Encoding.Latin1.GetString(bytes).IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4));
    }

    [Fact]
    public void Body_slice_of_a_larger_array_renders_only_the_slice()
    {
        var backing = Encoding.ASCII.GetBytes("XXXXhelloYYYY");
        var r = Render(new HttpResponse { Body = ByteString.FromBytes(backing, 4, 5) });
        Assert.Equal("5", r.Single("Content-Length"));
        Assert.Equal("hello", r.Body);
    }

    [Fact]
    public void Two_responses_render_back_to_back()
    {
        var renderer = new HttpResponseRenderer(ServerName);
        var output = new OutputBuffer();
        renderer.Render(Text("first"), new RenderContext(HttpProtocol.Http11, false, false), output);
        var afterFirst = output.Length;
        renderer.Render(Text("second!", 404), new RenderContext(HttpProtocol.Http11, false, true), output);
        var raw = Encoding.Latin1.GetString(output.ToByteString().ToArray());
        Assert.Equal(output.Length, raw.Length);

        var first = Parse(raw[..(int)afterFirst]);
        Assert.Equal("HTTP/1.1 200 OK", first.StatusLine);
        Assert.Equal("first", first.Body);
        Assert.Null(first.Single("Connection"));

        var second = Parse(raw[(int)afterFirst..]);
        Assert.Equal("HTTP/1.1 404 Not Found", second.StatusLine);
        Assert.Equal("second!", second.Body);
        Assert.Equal("close", second.Single("Connection"));

        var responses = SplitResponses(raw);
        Assert.Equal(2, responses.Count);
        output.Release();
    }

    [Fact]
    public void Pipelined_batch_with_large_bodies_and_head_renders_in_order()
    {
        var renderer = new HttpResponseRenderer(ServerName);
        var output = new OutputBuffer();
        var large = new byte[50_000];
        new Random(7).NextBytes(large);
        var mid = Encoding.ASCII.GetBytes(new string('m', 5000));
        var items = new (HttpResponse Response, bool Head, byte[] Body)[]
        {
            (Text("a"), false, "a"u8.ToArray()),
            (new HttpResponse { Body = ByteString.FromBytes(large) }, false, large),
            (Text("head body"), true, []),
            (HttpResponse.Empty(204), false, []),
            (new HttpResponse { Body = ByteString.FromBytes(mid) }, false, mid),
            (new HttpResponse { Body = ByteString.FromBytes(large) }, false, large),
            (Text("z"), false, "z"u8.ToArray()),
        };
        foreach (var item in items) renderer.Render(item.Response, new RenderContext(HttpProtocol.Http11, item.Head, false), output);

        var bytes = output.ToByteString().ToArray();
        Assert.Equal(output.Length, bytes.Length);
        var responses = SplitResponses(Encoding.Latin1.GetString(bytes), items.Select(i => i.Head || i.Response.Status == 204).ToArray());
        Assert.Equal(items.Length, responses.Count);
        for (var i = 0; i < items.Length; i++)
            Assert.True(items[i].Body.AsSpan().SequenceEqual(Encoding.Latin1.GetBytes(responses[i].Body)), $"response #{i} body differs");
        output.Release();
    }

    [Fact]
    public void Release_empties_the_buffer_and_it_can_be_reused()
    {
        var renderer = new HttpResponseRenderer(ServerName);
        var output = new OutputBuffer();
        Assert.True(output.IsEmpty);
        renderer.Render(Text("one"), new RenderContext(HttpProtocol.Http11, false, false), output);
        renderer.Render(new HttpResponse { Body = ByteString.FromBytes(new byte[20_000]) }, new RenderContext(HttpProtocol.Http11, false, false), output);
        Assert.False(output.IsEmpty);
        Assert.True(output.Length > 20_000);

        output.Release();
        Assert.True(output.IsEmpty);
        Assert.Equal(0, output.Length);

        renderer.Render(Text("two"), new RenderContext(HttpProtocol.Http11, false, false), output);
        var raw = Encoding.Latin1.GetString(output.ToByteString().ToArray());
        Assert.Equal(output.Length, raw.Length);
        var r = Parse(raw);
        Assert.Equal("two", r.Body);
        Assert.DoesNotContain("one", raw);
        Assert.Single(SplitResponses(raw));
        output.Release();
        Assert.True(output.IsEmpty);
    }

    [Fact]
    public void Output_buffer_keeps_write_and_append_order()
    {
        var output = new OutputBuffer();
        output.Write("ab"u8);
        output.Append(ByteString.FromString("CD"));
        output.Write("ef"u8);
        output.Append(ByteString.Empty);
        var span = output.GetSpan(3);
        "ghi"u8.CopyTo(span);
        output.Advance(3);
        output.Write(new byte[10_000]); // larger than one pooled chunk
        output.Append(ByteString.FromString("XY"));
        var bytes = output.ToByteString().ToArray();
        Assert.Equal(output.Length, bytes.Length);
        Assert.Equal(2 + 2 + 2 + 3 + 10_000 + 2, bytes.Length);
        Assert.Equal("abCDefghi", Encoding.ASCII.GetString(bytes, 0, 9));
        Assert.All(bytes[9..^2], b => Assert.Equal(0, b));
        Assert.Equal("XY", Encoding.ASCII.GetString(bytes[^2..]));

        // ToByteString is repeatable and sees later writes.
        output.Write("!"u8);
        var again = output.ToByteString().ToArray();
        Assert.Equal(bytes.Length + 1, again.Length);
        Assert.Equal((byte)'!', again[^1]);
        output.Release();
        Assert.True(output.IsEmpty);
    }

    // ---------------------------------------------------------------- splitting a rendered stream

    private sealed record Message(string Head, string Body);

    /// <summary>Splits back-to-back responses using Content-Length; <paramref name="bodiless"/> marks HEAD/204-style ones.</summary>
    private static List<Message> SplitResponses(string raw, bool[]? bodiless = null)
    {
        var list = new List<Message>();
        var pos = 0;
        while (pos < raw.Length)
        {
            Assert.True(string.CompareOrdinal(raw, pos, "HTTP/1.1 ", 0, 9) == 0, $"response #{list.Count} does not start with a status line");
            var end = raw.IndexOf("\r\n\r\n", pos, StringComparison.Ordinal);
            Assert.True(end > 0);
            var head = raw[pos..end];
            var lengthLine = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length: ", StringComparison.Ordinal));
            var length = lengthLine is null || (bodiless?[list.Count] ?? false) ? 0 : int.Parse(lengthLine["Content-Length: ".Length..]);
            pos = end + 4;
            list.Add(new Message(head, raw.Substring(pos, length)));
            pos += length;
        }
        return list;
    }
}
