using System.Diagnostics;
using System.Net;
using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.IO;
using Akka.Serialization;
using ActorHttp.Cluster.Demo;
using ActorHttp.Cluster.Serialization;
using ActorHttp.Cluster.Sharding;
using ActorHttp.Handlers;
using ActorHttp.Protocol;
using Xunit;

namespace ActorHttp.Cluster.Tests.Serialization;

/// <summary>
/// The wire format of cross-node HTTP messages: every message type round-trips through the serializer Akka picks for
/// it (bound in reference.conf), including empty and large bodies and non-ASCII headers; bad input fails clearly.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class HttpMessageSerializerTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("serialization", ClusterHttp.DefaultConfig());
    private Akka.Serialization.Serialization Serialization => _system.Serialization;

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    private static HttpRequest FullRequest(ByteString body) => new()
    {
        Method = HttpMethods.Post,
        Target = "/counters/caf%C3%A9?x=1&y=%20",
        Path = "/counters/caf%C3%A9",
        Query = "x=1&y=%20",
        Protocol = HttpProtocol.Http10,
        Headers = HttpHeaders.From(("Host", "127.0.0.1"), ("X-Latin1", "naïve façade"), ("Content-Type", "text/plain"), ("X-Empty", "")),
        Body = body,
        RouteValues = new Dictionary<string, string> { ["id"] = "café", ["emoji"] = "😀/☃" },
        RemoteAddress = new IPEndPoint(IPAddress.Parse("127.0.0.1"), 51234),
    };

    private static HttpResponse FullResponse(ByteString body) => new()
    {
        Status = 201,
        ContentType = "application/json; charset=utf-8",
        Headers = [new HttpHeader("X-Unicode", "日本語 ✓"), new HttpHeader("Set-Cookie", "a=1"), new HttpHeader("Set-Cookie", "b=2")],
        Body = body,
        CloseConnection = true,
    };

    private static ByteString Bytes(int count)
    {
        var bytes = new byte[count];
        new Random(count).NextBytes(bytes);
        return ByteString.FromBytes(bytes);
    }

    private T RoundTrip<T>(T message) where T : notnull
    {
        var serializer = Serialization.FindSerializerFor(message);
        Assert.IsType<HttpMessageSerializer>(serializer);
        var bytes = serializer.ToBinary(message);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
        return Assert.IsType<T>(Serialization.Deserialize(bytes, serializer.Identifier, manifest));
    }

    private static void AssertSame(HttpRequest expected, HttpRequest actual)
    {
        Assert.Equal(expected.Method, actual.Method);
        Assert.Same(HttpMethods.Normalize(expected.Method), actual.Method); // interned again, so reference comparisons work
        Assert.Equal(expected.Target, actual.Target);
        Assert.Equal(expected.Path, actual.Path);
        Assert.Equal(expected.Query, actual.Query);
        Assert.Equal(expected.Protocol, actual.Protocol);
        Assert.Equal(expected.Headers.ToList(), actual.Headers.ToList());
        Assert.Equal(expected.Body.ToArray(), actual.Body.ToArray());
        Assert.Equal(expected.RouteValues.OrderBy(v => v.Key), actual.RouteValues.OrderBy(v => v.Key));
        Assert.Equal(expected.RemoteAddress?.ToString(), actual.RemoteAddress?.ToString());
        Assert.False(actual.BodyStreamed);
    }

    private static void AssertSame(HttpResponse expected, HttpResponse actual)
    {
        Assert.Equal(expected.Status, actual.Status);
        Assert.Equal(expected.ContentType, actual.ContentType);
        Assert.Equal(expected.Headers, actual.Headers);
        Assert.Equal(expected.Body.ToArray(), actual.Body.ToArray());
        Assert.Equal(expected.CloseConnection, actual.CloseConnection);
        Assert.False(actual.Streamed);
    }

    [Fact]
    public void Is_the_serializer_of_every_cross_node_message_with_identifier_8090()
    {
        object[] messages =
        [
            new EntityRequest("a", 1, FullRequest(ByteString.Empty)),
            new EntityResponse(1, HttpResponse.Text("x")),
            FullRequest(ByteString.Empty),
            HttpResponse.Text("x"),
            new ServerSentEvent("x"),
            EventStreams.Complete.Instance,
            new CounterSubscription.Subscribe(_system.DeadLetters),
            new CounterSubscription.Unsubscribe(_system.DeadLetters),
            new CounterSubscription.Changed("a", 1),
        ];
        foreach (var message in messages)
        {
            var serializer = Serialization.FindSerializerFor(message);
            Assert.IsType<HttpMessageSerializer>(serializer);
            Assert.Equal(8090, serializer.Identifier);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(65_536)]
    [InlineData(4 * 1024 * 1024)]
    public void Requests_round_trip_with_any_body_size(int bodySize)
    {
        var request = FullRequest(Bytes(bodySize));
        AssertSame(request, RoundTrip(request));
    }

    [Fact]
    public void A_minimal_request_round_trips_with_its_defaults()
    {
        var request = new HttpRequest { Method = "GET", Target = "*", Path = "*" };
        var copy = RoundTrip(request);
        AssertSame(request, copy);
        Assert.Empty(copy.RouteValues);
        Assert.Null(copy.RemoteAddress);
        Assert.Equal(HttpHeaders.Empty, copy.Headers);
    }

    [Fact]
    public void Remote_addresses_keep_their_form()
    {
        foreach (var address in new EndPoint[] { new IPEndPoint(IPAddress.IPv6Loopback, 8080), new DnsEndPoint("client.example", 0) })
        {
            var request = FullRequest(ByteString.Empty) with { RemoteAddress = address };
            Assert.Equal(address.ToString(), RoundTrip(request).RemoteAddress?.ToString());
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(2 * 1024 * 1024)]
    public void Responses_round_trip_with_any_body_size(int bodySize)
    {
        var response = FullResponse(Bytes(bodySize));
        AssertSame(response, RoundTrip(response));
    }

    [Fact]
    public void A_response_without_content_type_or_headers_round_trips()
    {
        var response = HttpResponse.Empty(204);
        AssertSame(response, RoundTrip(response));
    }

    [Fact]
    public void Envelopes_round_trip()
    {
        var request = new EntityRequest("caf\u00e9 \u65e5\u672c", long.MaxValue, FullRequest(Bytes(1000)));
        var requestCopy = RoundTrip(request);
        Assert.Equal(request.EntityId, requestCopy.EntityId);
        Assert.Equal(request.CorrelationId, requestCopy.CorrelationId);
        AssertSame(request.Request, requestCopy.Request);

        var response = new EntityResponse(42, FullResponse(Bytes(1000)));
        var responseCopy = RoundTrip(response);
        Assert.Equal(42, responseCopy.CorrelationId);
        AssertSame(response.Response, responseCopy.Response);
    }

    [Fact]
    public void The_format_is_compact()
    {
        var request = new EntityRequest("a", 7, new HttpRequest
        {
            Method = "GET", Target = "/counters/a", Path = "/counters/a",
            Headers = HttpHeaders.From(("Host", "127.0.0.1:18080")),
            RouteValues = new Dictionary<string, string> { ["id"] = "a" },
        });
        var bytes = Serialization.FindSerializerFor(request).ToBinary(request);
        Assert.True(bytes.Length < 80, $"{bytes.Length} bytes for a small GET");
    }

    [Fact]
    public void Another_format_version_is_refused_with_a_clear_message()
    {
        var serializer = (SerializerWithStringManifest)Serialization.FindSerializerFor(HttpResponse.Text("x"));
        var bytes = serializer.ToBinary(HttpResponse.Text("x"));
        bytes[0] = 3;
        var e = Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes, "R"));
        Assert.Contains("format version 3", e.Message);
        Assert.Contains("reads versions 1 and 2", e.Message);
    }

    /// <summary>A small sharded request: entity "a", correlation 7, GET /p/a with route value id=a.</summary>
    private static EntityRequest SmallEnvelope(ActivityContext trace = default) => new("a", 7, new HttpRequest
    {
        Method = "GET", Target = "/p/a", Path = "/p/a",
        RouteValues = new Dictionary<string, string> { ["id"] = "a" },
        TraceContext = trace,
    });

    // Version 1, byte for byte: version, entity id, correlation id, method, target, path, query, protocol, no headers,
    // empty body, one route value, no remote address.
    private const string SmallEnvelopeV1 = "01" + "0261" + "07" + "04474554" + "052f702f61" + "052f702f61" + "01" + "01" + "00" + "00" + "01" + "036964" + "0261" + "00";

    private static readonly ActivityContext PinnedTrace = new(
        ActivityTraceId.CreateFromBytes(Enumerable.Range(1, 16).Select(b => (byte)b).ToArray()),
        ActivitySpanId.CreateFromBytes(Enumerable.Range(0x11, 8).Select(b => (byte)b).ToArray()),
        ActivityTraceFlags.Recorded, "k=v");

    // Version 2: version 1's request, then the trace id (16 bytes), the span id (8 bytes), the flags and the trace state.
    private const string SmallEnvelopeV2 = "02" + "0261" + "07" + "04474554" + "052f702f61" + "052f702f61" + "01" + "01" + "00" + "00" + "01" + "036964" + "0261" + "00"
        + "0102030405060708090a0b0c0d0e0f10" + "1112131415161718" + "01" + "046b3d76";

    private static byte[] Hex(string hex) => Convert.FromHexString(hex);

    [Fact]
    public void A_request_without_trace_context_is_written_in_version_1_byte_for_byte()
    {
        var serializer = Serialization.FindSerializerFor(SmallEnvelope());
        Assert.Equal(Hex(SmallEnvelopeV1), serializer.ToBinary(SmallEnvelope()));
    }

    [Fact]
    public void A_request_with_trace_context_is_written_in_version_2_byte_for_byte()
    {
        var serializer = Serialization.FindSerializerFor(SmallEnvelope());
        Assert.Equal(Hex(SmallEnvelopeV2), serializer.ToBinary(SmallEnvelope(PinnedTrace)));
    }

    [Fact]
    public void Both_versions_are_read_and_the_trace_context_comes_back_as_remote()
    {
        var serializer = (SerializerWithStringManifest)Serialization.FindSerializerFor(SmallEnvelope());
        var old = Assert.IsType<EntityRequest>(serializer.FromBinary(Hex(SmallEnvelopeV1), "EQ"));
        Assert.Equal(default, old.Request.TraceContext);
        Assert.Equal("a", old.Request.RouteValues["id"]);

        var traced = Assert.IsType<EntityRequest>(serializer.FromBinary(Hex(SmallEnvelopeV2), "EQ"));
        var context = traced.Request.TraceContext;
        Assert.Equal(PinnedTrace.TraceId, context.TraceId);
        Assert.Equal(PinnedTrace.SpanId, context.SpanId);
        Assert.Equal(ActivityTraceFlags.Recorded, context.TraceFlags);
        Assert.Equal("k=v", context.TraceState);
        Assert.True(context.IsRemote);
        Assert.Equal("/p/a", traced.Request.Path);
    }

    [Fact]
    public void A_traced_request_without_trace_state_round_trips_and_responses_stay_version_1()
    {
        var trace = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.None);
        var copy = RoundTrip(FullRequest(Bytes(10)) with { TraceContext = trace });
        Assert.Equal(trace.TraceId, copy.TraceContext.TraceId);
        Assert.Equal(trace.SpanId, copy.TraceContext.SpanId);
        Assert.Null(copy.TraceContext.TraceState);
        var serializer = Serialization.FindSerializerFor(HttpResponse.Text("x"));
        Assert.Equal(1, serializer.ToBinary(new EntityResponse(1, HttpResponse.Text("x")))[0]);
    }

    [Fact]
    public void Truncated_trailing_or_unknown_input_is_a_serialization_exception()
    {
        var serializer = (SerializerWithStringManifest)Serialization.FindSerializerFor(HttpResponse.Text("x"));
        var bytes = serializer.ToBinary(new EntityResponse(1, FullResponse(Bytes(100))));
        for (var length = 0; length < bytes.Length; length++)
            Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes[..length], "ER"));
        Assert.Throws<SerializationException>(() => serializer.FromBinary([.. bytes, 0], "ER"));
        Assert.Contains("unknown", Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes, "ZZ")).Message);
    }

    [Fact]
    public void Streamed_messages_cannot_cross_nodes()
    {
        var serializer = (SerializerWithStringManifest)Serialization.FindSerializerFor(HttpResponse.Text("x"));
        Assert.Contains("streamed", Assert.Throws<SerializationException>(
            () => serializer.ToBinary(FullRequest(ByteString.Empty) with { BodyStreamed = true })).Message);
        Assert.Contains("streamed", Assert.Throws<SerializationException>(
            () => serializer.ToBinary(HttpResponse.StreamedHead())).Message);
    }

    [Fact]
    public void Bodies_made_of_several_pieces_are_written_whole()
    {
        var body = ByteString.FromString("hello, ", Encoding.UTF8) + ByteString.FromString("world", Encoding.UTF8);
        Assert.Equal("hello, world", RoundTrip(HttpResponse.Text("") with { Body = body }).BodyAsString());
    }

    // ------------------------------------------------------------------ event streams and counter subscriptions

    private byte[] Bytes(object message) => Serialization.FindSerializerFor(message).ToBinary(message);

    private static string Utf8Hex(string text) => Convert.ToHexString(Encoding.UTF8.GetBytes(text)).ToLowerInvariant();

    // Version 1: data, event, id (length + 1, then UTF-8; 0 = null), retry in ms + 1 (LEB128; 0 = none).
    private const string FullEventV1 = "01" + "04610a62" + "057469636b" + "0237" + "c513";
    private const string MinimalEventV1 = "01" + "0278" + "00" + "00" + "00";

    [Fact]
    public void A_server_sent_event_is_written_byte_for_byte()
    {
        Assert.Equal(Hex(FullEventV1), Bytes(new ServerSentEvent("a\nb", Event: "tick", Id: "7", Retry: TimeSpan.FromMilliseconds(2500))));
        Assert.Equal(Hex(MinimalEventV1), Bytes(new ServerSentEvent("x")));
        Assert.Equal(Hex("01"), Bytes(EventStreams.Complete.Instance));
    }

    [Fact]
    public void Server_sent_events_round_trip_and_bad_ones_are_refused_when_read()
    {
        var full = new ServerSentEvent("line 1\r\nline 2 \u65e5\u672c", Event: "", Id: "", Retry: TimeSpan.Zero);
        Assert.Equal(full, RoundTrip(full));
        Assert.Equal(new ServerSentEvent(""), RoundTrip(new ServerSentEvent("")));
        Assert.Same(EventStreams.Complete.Instance, RoundTrip(EventStreams.Complete.Instance));

        var serializer = (SerializerWithStringManifest)Serialization.FindSerializerFor(new ServerSentEvent("x"));
        // An id with a line break would split the event on the wire: refused on the way in, as on creation.
        var e = Assert.Throws<SerializationException>(() => serializer.FromBinary(Hex("01" + "0278" + "00" + "0461" + "0a62" + "00"), "SE"));
        Assert.Contains("CR or LF", e.Message);
        for (var length = 0; length < Hex(FullEventV1).Length; length++)
            Assert.Throws<SerializationException>(() => serializer.FromBinary(Hex(FullEventV1)[..length], "SE"));
    }

    [Fact]
    public void Counter_changes_are_written_byte_for_byte()
    {
        Assert.Equal(Hex("01" + "0261" + "03"), Bytes(new CounterSubscription.Changed("a", 3)));
        Assert.Equal(Hex("01" + "06" + Utf8Hex("caf\u00e9") + "ac02"), Bytes(new CounterSubscription.Changed("caf\u00e9", 300)));
        Assert.Equal(new CounterSubscription.Changed("b", long.MaxValue), RoundTrip(new CounterSubscription.Changed("b", long.MaxValue)));
    }

    [Fact]
    public void Subscriptions_carry_the_subscriber_as_its_actor_path_and_resolve_it_back()
    {
        var subscriber = _system.ActorOf(Props.Empty, "subscriber");
        var path = Akka.Serialization.Serialization.SerializedActorPath(subscriber); // with its uid: a later incarnation is another actor
        Assert.EndsWith($"/user/subscriber#{subscriber.Path.Uid}", path);
        var pathBytes = Encoding.UTF8.GetByteCount(path) + 1;
        Assert.True(pathBytes < 128);
        var expected = Hex("01" + pathBytes.ToString("x2") + Utf8Hex(path));
        Assert.Equal(expected, Bytes(new CounterSubscription.Subscribe(subscriber)));
        Assert.Equal(expected, Bytes(new CounterSubscription.Unsubscribe(subscriber)));

        Assert.Equal(subscriber, RoundTrip(new CounterSubscription.Subscribe(subscriber)).Subscriber);
        Assert.Equal(subscriber, RoundTrip(new CounterSubscription.Unsubscribe(subscriber)).Subscriber);
    }
}
