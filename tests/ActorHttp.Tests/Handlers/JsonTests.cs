using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.IO;
using ActorHttp.Handlers;
using ActorHttp.Protocol;
using ActorHttp.Tests.EndToEnd;
using Xunit;

namespace ActorHttp.Tests.Handlers;

public sealed record Order(string Item, int Quantity, decimal? Total = null);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Order))]
public sealed partial class TestJson : JsonSerializerContext;

/// <summary>
/// Typed JSON bodies over real sockets: ReadJson / HttpResponse.Json with a source-generated context and with the
/// default options; a body that is not JSON, not of the shape, or missing is answered 400 with a short reason, never
/// 500, and the handler keeps its state (it is not restarted).
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class JsonTests
{
    /// <summary>Source-generated: answers the order with its total, and how many orders it has read (its state).</summary>
    private sealed class OrderHandler : HttpHandlerActor
    {
        private int _read;

        protected override void OnRequest(HttpRequest request)
        {
            var order = request.ReadJson(TestJson.Default.Order);
            _read++;
            Respond(HttpResponse.Json(order with { Total = order.Quantity * 2.5m }, TestJson.Default.Order, 201)
                with { Headers = [new HttpHeader("X-Read", _read.ToString())] });
        }
    }

    /// <summary>Reflection-based, awaiting.</summary>
    private sealed class AsyncOrderHandler : AsyncHttpHandlerActor
    {
        protected override async Task<HttpResponse> OnRequestAsync(HttpRequest request)
        {
            await Task.Yield();
            var order = request.ReadJson<Order>();
            return HttpResponse.Json(new { order.Item, Count = order.Quantity });
        }
    }

    private static Task<TestServer> StartAsync() => TestServer.StartAsync(routes: TestServer.DefaultRoutes()
        .Post("/orders", Props.Create<OrderHandler>())
        .Post("/async-orders", Props.Create<AsyncOrderHandler>()));

    private static string Post(string target, string body) =>
        $"POST {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n{body}"; // ASCII bodies

    [Fact]
    public async Task A_typed_body_is_read_and_a_typed_response_written()
    {
        await using var server = await StartAsync();
        using var connection = await RawHttpConnection.OpenAsync(server.Port);

        var created = await connection.RoundTripAsync(Post("/orders", """{"item":"caf\u00e9","quantity":4}"""));
        Assert.Equal(201, created.Status);
        Assert.Equal("application/json", created.Header("Content-Type"));
        Assert.Equal(new Order("café", 4, 10m), JsonSerializer.Deserialize(created.BodyText, TestJson.Default.Order));
        Assert.Contains("\"quantity\":4", created.BodyText); // camelCase

        var viaReflection = await connection.RoundTripAsync(Post("/async-orders", """{"Item":"tea","QUANTITY":"2"}""")); // web defaults
        Assert.Equal(200, viaReflection.Status);
        Assert.Equal("""{"item":"tea","count":2}""", viaReflection.BodyText);
    }

    [Theory]
    [InlineData("/orders", "{not json", "invalid JSON body")]
    [InlineData("/orders", """{"item":"tea","quantity":"many"}""", "invalid JSON body")]
    [InlineData("/orders", "[1,2]", "invalid JSON body")]
    [InlineData("/orders", "null", "the JSON body is null")]
    [InlineData("/orders", "", "a JSON body is required")]
    [InlineData("/async-orders", "{\"item\":", "invalid JSON body")]
    public async Task A_body_that_is_not_the_expected_json_is_answered_400_with_a_reason_and_the_handler_goes_on(string target, string body, string reason)
    {
        await using var server = await StartAsync();
        using var connection = await RawHttpConnection.OpenAsync(server.Port);
        Assert.Equal(201, (await connection.RoundTripAsync(Post("/orders", """{"item":"a","quantity":1}"""))).Status);

        var bad = await connection.RoundTripAsync(Post(target, body));
        Assert.Equal(400, bad.Status);
        Assert.StartsWith($"Bad Request: {reason}", bad.BodyText);
        Assert.True(bad.BodyText.Length < 400, bad.BodyText);

        // Same connection, same handler instance: its state survived (no restart).
        var next = await connection.RoundTripAsync(Post("/orders", """{"item":"b","quantity":1}"""));
        Assert.Equal(201, next.Status);
        Assert.Equal("2", next.Header("X-Read"));
    }

    [Fact]
    public void TryReadJson_gives_the_value_or_the_response_to_send()
    {
        var good = new HttpRequest { Method = "POST", Target = "/", Path = "/", Body = ByteString.FromString("""{"item":"x","quantity":3}""") };
        Assert.True(good.TryReadJson(out Order order, out _, TestJson.Default.Order));
        Assert.Equal(new Order("x", 3), order);

        var bad = good with { Body = ByteString.FromString("""{"item":"x","quantity":3.5}""") };
        Assert.False(bad.TryReadJson(out Order _, out var badRequest, TestJson.Default.Order));
        Assert.Equal(400, badRequest.Status);

        var streamed = good with { Body = ByteString.Empty, BodyStreamed = true };
        Assert.False(streamed.TryReadJson(out Order _, out var tooLarge));
        Assert.Equal(413, tooLarge.Status);
    }

    [Fact]
    public void A_string_given_to_Json_is_json_text_as_before()
    {
        Assert.Equal("{\"a\":1}", HttpResponse.Json("{\"a\":1}").BodyAsString());
        Assert.Equal("\"text\"", HttpResponse.Json<object>("text").BodyAsString());
    }
}
