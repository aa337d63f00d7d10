using Akka.Actor;
using Akka.IO;
using ActorHttp.Handlers;
using ActorHttp.Observability;
using ActorHttp.Protocol;
using ActorHttp.Routing;
using ActorHttp.Testing;
using Xunit;
using TestKit = Akka.TestKit.Xunit2.TestKit;

namespace ActorHttp.Tests.Handlers;

/// <summary>The built-in handlers, tested the way users test theirs: with ActorHttp.TestKit, no sockets.</summary>
[Trait("Category", "Handlers")]
public sealed class BuiltInHandlerTests : TestKit
{
    [Fact]
    public void Text_handler_answers_its_text()
    {
        var handler = Sys.ActorOf(TextHandler.Props("Hello, World!"));
        this.Send(handler, HttpRequests.Get("/plaintext"))
            .ShouldHaveStatus(200)
            .ShouldHaveHeader("Content-Type", "text/plain")
            .ShouldHaveBody("Hello, World!");
    }

    [Fact]
    public void Echo_handler_returns_a_body_with_its_content_type()
    {
        var handler = Sys.ActorOf(EchoHandler.Props());
        this.Send(handler, HttpRequests.Post("/echo", "{\"a\":1}", "application/json"))
            .ShouldHaveStatus(200)
            .ShouldHaveHeader("Content-Type", "application/json")
            .ShouldHaveBody("{\"a\":1}");
    }

    [Fact]
    public void Echo_handler_describes_a_get()
    {
        var handler = Sys.ActorOf(EchoHandler.Props());
        this.Send(handler, HttpRequests.Get("/echo?x=1", ("X-Trace", "abc")))
            .ShouldHaveBodyContaining("GET /echo?x=1 HTTP/1.1\n")
            .ShouldHaveBodyContaining("X-Trace: abc\n");
    }

    [Fact]
    public void Health_handler_reports_ok()
    {
        var handler = Sys.ActorOf(HealthHandler.Props());
        this.Send(handler, HttpRequests.Get("/health")).ShouldHaveStatus(200).ShouldHaveBody("{\"status\":\"ok\"}");
    }

    [Fact]
    public void Raw_requests_are_parsed_as_the_server_parses_them()
    {
        var handler = Sys.ActorOf(EchoHandler.Props());
        var request = HttpRequests.Parse("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n");
        this.Send(handler, request).ShouldHaveBody("hi");
        var error = Assert.Throws<FormatException>(() => HttpRequests.Parse("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"));
        Assert.Contains("400", error.Message);
    }

    [Fact]
    public void A_whole_route_table_answers_like_a_connection()
    {
        var routes = this.Materialize(new Routes()
            .Get("/plaintext", TextHandler.Props("Hello, World!"))
            .Map([HttpMethods.Get, HttpMethods.Post], "/echo/{name}", EchoHandler.Props()));

        this.Send(routes, HttpRequests.Get("/plaintext")).ShouldHaveBody("Hello, World!");
        this.Send(routes, HttpRequests.Post("/echo/x", "body")).ShouldHaveBody("body");
        this.Send(routes, HttpRequests.Get("/missing")).ShouldHaveStatus(404);
        this.Send(routes, HttpRequests.Delete("/plaintext")).ShouldHaveStatus(405).ShouldHaveHeader("Allow", "GET, HEAD");
    }

    [Fact]
    public void A_head_request_made_at_run_time_reaches_the_get_route()
    {
        var routes = this.Materialize(new Routes().Get("/echo", EchoHandler.Props()));
        // Equal to "HEAD" but not the interned literal, as a deserializer or ToUpperInvariant would make it.
        var head = new string(HttpMethods.Head.AsSpan());
        Assert.NotSame(HttpMethods.Head, head);

        this.Send(routes, HttpRequests.Create(head, "/echo", ByteString.Empty))
            .ShouldHaveStatus(200).ShouldHaveBodyContaining("GET /echo HTTP/1.1\n");
        this.Send(routes, HttpRequests.Get("/echo") with { Method = head })
            .ShouldHaveStatus(200).ShouldHaveBodyContaining("GET /echo HTTP/1.1\n");
    }

    [Fact]
    public void A_handler_that_throws_answers_500_and_keeps_serving()
    {
        var handler = Sys.ActorOf(Props.Create<FlakyHandler>());
        this.Send(handler, HttpRequests.Get("/boom")).ShouldHaveStatus(500);
        this.Send(handler, HttpRequests.Get("/fine")).ShouldHaveStatus(200);
    }

    [Fact]
    public void The_kit_reports_a_handler_that_never_answers()
    {
        var silent = CreateTestProbe();
        var e = Assert.ThrowsAny<Exception>(() => this.Send(silent.Ref, HttpRequests.Get("/"), TimeSpan.FromMilliseconds(200)));
        Assert.Contains("did not answer", e.Message);
    }

    private sealed class FlakyHandler : HttpHandlerActor
    {
        protected override void OnRequest(HttpRequest request)
        {
            if (request.Path == "/boom") throw new InvalidOperationException("boom");
            Respond(HttpResponse.Text("fine"));
        }
    }
}

/// <summary>The README's test-kit example, kept compiling and passing as written.</summary>
[Trait("Category", "Handlers")]
public sealed class ReadmeExampleTests : TestKit
{
    [Fact]
    public void Answers_the_order()
    {
        var handler = Sys.ActorOf(Props.Create<OrderHandler>());
        this.Send(handler, HttpRequests.Get("/orders/7") with { RouteValues = new Dictionary<string, string> { ["id"] = "7" } })
            .ShouldHaveStatus(200)
            .ShouldHaveBody("{\"id\":\"7\"}");
    }

    private sealed class OrderHandler : HttpHandlerActor
    {
        protected override void OnRequest(HttpRequest request) =>
            Respond(HttpResponse.Json($"{{\"id\":\"{request.RouteValues["id"]}\"}}"));
    }
}

/// <summary>The README's async and streaming handler examples, kept compiling and working as written.</summary>
[Trait("Category", "Handlers")]
public sealed class ReadmeStreamingExampleTests : TestKit
{
    [Fact]
    public void The_ticker_streams_five_ticks()
    {
        this.SendStreamed(Sys.ActorOf(Props.Create<TickerHandler>()), HttpRequests.Get("/ticks"))
            .ShouldHaveChunks(5)
            .ShouldHaveBody("tick 1\ntick 2\ntick 3\ntick 4\ntick 5\n");
    }

    [Fact]
    public void The_quote_handler_answers_after_awaiting()
    {
        this.Send(Sys.ActorOf(Props.Create<QuoteHandler>()), HttpRequests.Get("/quote"))
            .ShouldHaveBody("{\"quote\":\"Let it crash\"}");
    }

    public sealed class QuoteHandler : AsyncHttpHandlerActor
    {
        protected override async Task<HttpResponse> OnRequestAsync(HttpRequest request)
        {
            await Task.Delay(10); // a database or service call
            return HttpResponse.Json("{\"quote\":\"Let it crash\"}");
        }
    }

    public sealed class TickerHandler : HttpHandlerActor
    {
        protected override void OnRequest(HttpRequest request) =>
            RespondWithStream(HttpResponse.StreamedHead(contentType: "text/plain"), Ticks());

        private static async IAsyncEnumerable<Akka.IO.ByteString> Ticks()
        {
            for (var i = 1; i <= 5; i++)
            {
                await Task.Delay(100);
                yield return Akka.IO.ByteString.FromString($"tick {i}\n");
            }
        }
    }

    /// <summary>An actor with a child with a child… <c>length</c> actors in a line.</summary>
    private sealed class Chain : ReceiveActor
    {
        public Chain(int length)
        {
            if (length > 1) Context.ActorOf(Props.Create(() => new Chain(length - 1)), "link");
        }
    }

    private sealed class Parent : ReceiveActor
    {
        public Parent(int children)
        {
            for (var i = 0; i < children; i++) Context.ActorOf(Props.Create(() => new Parent(0)), $"child-{i}");
        }
    }

    [Fact]
    public async Task Actor_census_counts_every_level_and_sees_actors_go()
    {
        var before = await ActorCensus.CountAsync(Sys);
        Assert.True(before.Depth < 12, $"the system's tree is already {before.Depth} deep");
        // Three parents with two children each (9 actors), and a chain of 12 nested actors: the deepest level is 12.
        var parents = Enumerable.Range(0, 3).Select(i => Sys.ActorOf(Props.Create(() => new Parent(2)), $"census-{i}")).ToList();
        Sys.ActorOf(Props.Create(() => new Chain(12)), "census-chain");
        var during = await ActorCensus.CountAsync(Sys);
        Assert.Equal(before.User + 9 + 12, during.User);
        Assert.Equal(before.System, during.System);
        Assert.Equal(12, during.Depth);

        foreach (var parent in parents) await parent.GracefulStop(TimeSpan.FromSeconds(3));
        var after = await ActorCensus.CountAsync(Sys);
        Assert.Equal(before.User + 12, after.User);
    }

    [Fact]
    public void Actor_census_route_answers_json_counts()
    {
        var handler = Sys.ActorOf(ActorCensusHandler.Props());
        var body = this.Send(handler, HttpRequests.Get("/debug/actors"), TimeSpan.FromSeconds(10))
            .ShouldHaveStatus(200)
            .ShouldHaveHeader("Content-Type", "application/json")
            .BodyAsString();
        using var json = System.Text.Json.JsonDocument.Parse(body);
        var user = json.RootElement.GetProperty("user").GetInt32();
        Assert.True(user >= 1, body); // at least the handler
        Assert.Equal(user + json.RootElement.GetProperty("system").GetInt32(), json.RootElement.GetProperty("total").GetInt32());
    }
}
