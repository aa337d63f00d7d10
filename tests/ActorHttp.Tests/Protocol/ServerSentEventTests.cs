using System.Text;
using System.Text.RegularExpressions;
using ActorHttp.Protocol;
using ActorHttp.Testing;
using CsCheck;
using Xunit;
using Xunit.Abstractions;

namespace ActorHttp.Tests.Protocol;

/// <summary>
/// <see cref="ServerSentEvent"/>: its rendering, byte for byte; what it refuses to carry; and, with the test kit's
/// <see cref="ServerSentEventParser"/> (a reading of the WHATWG event stream interpretation), that any events rendered
/// and parsed back, split anywhere, are the same events.
/// </summary>
[Trait("Category", "Protocol")]
public sealed class ServerSentEventTests(ITestOutputHelper output)
{
    private static string Render(ServerSentEvent e) => Encoding.UTF8.GetString(e.ToBytes().ToArray());

    // ------------------------------------------------------------------ rendering

    [Fact]
    public void Data_only_is_one_data_line_and_the_blank_line() =>
        Assert.Equal("data: hello\n\n", Render(new ServerSentEvent("hello")));

    [Fact]
    public void Every_field_renders_in_order_id_event_retry_data() =>
        Assert.Equal("id: 7\nevent: tick\nretry: 2500\ndata: {\"a\":1}\n\n",
            Render(new ServerSentEvent("{\"a\":1}", Event: "tick", Id: "7", Retry: TimeSpan.FromMilliseconds(2500))));

    [Theory]
    [InlineData("a\nb", "data: a\ndata: b\n\n")]
    [InlineData("a\r\nb", "data: a\ndata: b\n\n")]
    [InlineData("a\rb", "data: a\ndata: b\n\n")]
    [InlineData("a\r\rb", "data: a\ndata: \ndata: b\n\n")]
    [InlineData("a\n\r\nb", "data: a\ndata: \ndata: b\n\n")]
    [InlineData("a\n", "data: a\ndata: \n\n")]
    [InlineData("\n", "data: \ndata: \n\n")]
    [InlineData("", "data: \n\n")]
    [InlineData(" lead", "data:  lead\n\n")]
    [InlineData(": not a comment", "data: : not a comment\n\n")]
    public void Data_of_several_lines_is_one_data_line_per_line(string data, string rendered) =>
        Assert.Equal(rendered, Render(new ServerSentEvent(data)));

    [Fact]
    public void Text_is_utf8_and_an_empty_id_or_event_is_sent_as_empty()
    {
        Assert.Equal("data: café ☃ 😀\n\n"u8.ToArray(), new ServerSentEvent("café ☃ 😀").ToBytes().ToArray());
        Assert.Equal("id: \nevent: \ndata: x\n\n", Render(new ServerSentEvent("x", Event: "", Id: "")));
    }

    [Fact]
    public void Retry_is_sent_in_whole_milliseconds() =>
        Assert.Equal("retry: 0\ndata: x\n\n", Render(new ServerSentEvent("x", Retry: TimeSpan.FromTicks(9_999))));

    [Theory]
    [InlineData("a\nb")]
    [InlineData("a\rb")]
    [InlineData("a\r\n")]
    public void Event_and_id_with_a_line_break_are_refused(string value)
    {
        Assert.Throws<ArgumentException>(() => new ServerSentEvent("x", Event: value));
        Assert.Throws<ArgumentException>(() => new ServerSentEvent("x", Id: value));
        Assert.Throws<ArgumentException>(() => new ServerSentEvent("x") with { Id = value }); // with checks too
    }

    [Fact]
    public void An_id_with_NUL_is_refused_an_event_type_with_NUL_is_not()
    {
        Assert.Contains("NUL", Assert.Throws<ArgumentException>(() => new ServerSentEvent("x", Id: "a\0b")).Message);
        Assert.Equal("event: a\0b\ndata: x\n\n", Render(new ServerSentEvent("x", Event: "a\0b")));
    }

    [Fact]
    public void Negative_retry_null_data_and_lone_surrogates_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ServerSentEvent("x", Retry: TimeSpan.FromMilliseconds(-1)));
        Assert.Throws<ArgumentNullException>(() => new ServerSentEvent(null!));
        Assert.Throws<ArgumentException>(() => new ServerSentEvent("a\ud800b"));
        Assert.Throws<ArgumentException>(() => new ServerSentEvent("x", Event: "\udc00"));
        Assert.Throws<ArgumentException>(() => ServerSentEvent.Comment("\ud800"));
    }

    [Theory]
    [InlineData("", ":\n")]
    [InlineData("heartbeat", ": heartbeat\n")]
    [InlineData("a\r\nb", ": a\n: b\n")]
    public void Comments_are_colon_lines(string text, string rendered) =>
        Assert.Equal(rendered, Encoding.UTF8.GetString(ServerSentEvent.Comment(text).ToArray()));

    [Theory]
    [InlineData("text/event-stream", true)]
    [InlineData("Text/Event-Stream; charset=utf-8", true)]
    [InlineData(" text/event-stream ;x=1", true)]
    [InlineData("text/event-streams", false)]
    [InlineData("text/plain", false)]
    [InlineData(null, false)]
    public void The_media_type_is_recognised_with_any_case_and_parameters(string? contentType, bool expected) =>
        Assert.Equal(expected, ServerSentEvent.IsEventStreamType(contentType));

    [Fact]
    public void The_event_stream_head_is_streamed_uncached_and_recognised()
    {
        var head = HttpResponse.EventStream();
        Assert.Equal(200, head.Status);
        Assert.Equal("text/event-stream", head.ContentType);
        Assert.Equal("no-cache", head.Header("Cache-Control"));
        Assert.True(head.Streamed);
        Assert.Null(head.ContentLength);
        Assert.True(head.IsEventStream);
        Assert.False((head with { ContentLength = 10 }).IsEventStream); // a known length is an ordinary stream
        Assert.False((head with { Streamed = false }).IsEventStream);
        Assert.False(HttpResponse.StreamedHead(contentType: "text/plain").IsEventStream);
        Assert.True(HttpResponse.StreamedHead(contentType: "text/event-stream; charset=utf-8").IsEventStream);
    }

    [Fact]
    public void Last_event_id_is_the_header_or_null()
    {
        Assert.Equal("42", HttpRequests.Get("/e", ("Last-Event-ID", "42")).LastEventId);
        Assert.Equal("42", HttpRequests.Get("/e", ("last-event-id", "42")).LastEventId);
        Assert.Null(HttpRequests.Get("/e").LastEventId);
    }

    // ------------------------------------------------------------------ the test kit's parser

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    [InlineData("\r")]
    public void The_parser_reads_every_line_ending_split_at_every_byte(string eol)
    {
        var stream = $"\uFEFF: hi{eol}id: 1{eol}event: e{eol}data: a{eol}data:b{eol}{eol}retry: 10{eol}data{eol}{eol}";
        var bytes = Encoding.UTF8.GetBytes(stream);
        for (var split = 0; split <= bytes.Length; split++)
        {
            var events = new List<ServerSentEvent>();
            var comments = new List<string>();
            var parser = new ServerSentEventParser();
            parser.Feed(bytes.AsSpan(0, split), events.Add, comments.Add);
            parser.Feed(bytes.AsSpan(split), events.Add, comments.Add);
            Assert.Equal([new ServerSentEvent("a\nb", "e", "1"), new ServerSentEvent("", Retry: TimeSpan.FromMilliseconds(10))], events);
            Assert.Equal(["hi"], comments);
            Assert.Equal("1", parser.LastEventId); // it persists past the block that set it
            Assert.Equal(TimeSpan.FromMilliseconds(10), parser.ReconnectionTime);
        }
    }

    [Fact]
    public void The_parser_ignores_what_browsers_ignore()
    {
        var parser = new ServerSentEventParser();
        var events = new List<ServerSentEvent>();
        parser.Feed("id: 5\nretry: 1x\nfoo: bar\n\n"u8, events.Add); // no data: no event, but the id stays
        parser.Feed("id: a\0b\ndata: x\n\n"u8, events.Add); // an id with NUL is ignored
        Assert.Equal([new ServerSentEvent("x")], events);
        Assert.Equal("5", parser.LastEventId);
        Assert.Null(parser.ReconnectionTime);
        parser.Feed("data: unfinished\n"u8, events.Add); // no blank line yet: not dispatched
        Assert.Single(events);
    }

    // ------------------------------------------------------------------ round trip

    /// <summary>Strings of the characters that matter to the format, and some that do not.</summary>
    private static Gen<string> Text(string alphabet) => Gen.OneOf(
        Gen.Char[alphabet].Array[0, 12].Select(cs => new string(cs)),
        Gen.String[Gen.Char.AlphaNumeric, 0, 20],
        Gen.Const(""));

    private const string Anything = "ab :\r\n\0\u00e9\u2028\uFEFF\u65e5 ";
    private const string NoLineBreaks = "ab :\0\u00e9\u2028\uFEFF\u65e5 ";

    private static readonly Gen<ServerSentEvent> EventGen = Gen.Select(
        Text(Anything),
        Gen.Bool.SelectMany(has => has ? Text(NoLineBreaks).Select(s => (string?)s) : Gen.Const((string?)null)),
        Gen.Bool.SelectMany(has => has ? Text(NoLineBreaks.Replace("\0", "")).Select(s => (string?)s) : Gen.Const((string?)null)),
        Gen.Bool.SelectMany(has => has ? Gen.Long[0, 1_000_000_000].Select(ms => (TimeSpan?)TimeSpan.FromMilliseconds(ms)) : Gen.Const((TimeSpan?)null)),
        (data, type, id, retry) => new ServerSentEvent(data, type, id, retry));

    /// <summary>Events as a client sees them: data lines joined by LF, whatever line breaks the data had.</summary>
    private static ServerSentEvent AsReceived(ServerSentEvent e) => e with { Data = Regex.Replace(e.Data, "\r\n|\r|\n", "\n") };

    [Fact]
    public void Any_events_rendered_and_parsed_back_split_anywhere_are_the_same_events()
    {
        Gen.Select(EventGen.Array[0, 8], Gen.Int[0, 1000].Array[0, 6], Gen.Bool.Array[0, 8]).Sample((events, cuts, heartbeats) =>
        {
            var stream = new List<byte>();
            for (var i = 0; i < events.Length; i++)
            {
                if (i < heartbeats.Length && heartbeats[i]) stream.AddRange(ServerSentEvent.Comment("").ToArray()); // between events: ignored
                stream.AddRange(events[i].ToBytes().ToArray());
            }
            var bytes = stream.ToArray();
            var parsed = new List<ServerSentEvent>();
            var parser = new ServerSentEventParser();
            var at = 0;
            foreach (var cut in cuts.Select(c => bytes.Length == 0 ? 0 : c % (bytes.Length + 1)).Order())
            {
                parser.Feed(bytes.AsSpan(at, cut - at), parsed.Add);
                at = cut;
            }
            parser.Feed(bytes.AsSpan(at), parsed.Add);
            Assert.Equal(events.Select(AsReceived), parsed);
            Assert.Equal(events.LastOrDefault(e => e.Id is not null)?.Id ?? "", parser.LastEventId);
        }, iter: 2_000, writeLine: output.WriteLine);
    }
}
