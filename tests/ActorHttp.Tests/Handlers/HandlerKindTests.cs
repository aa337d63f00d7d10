using System.Diagnostics;
using System.Net;
using Akka.Actor;
using Akka.Configuration;
using ActorHttp.Handlers;
using ActorHttp.Protocol;
using ActorHttp.Routing;
using ActorHttp.Server;
using ActorHttp.Testing;
using Xunit;
using Xunit.Abstractions;
using TestKit = Akka.TestKit.Xunit2.TestKit;

namespace ActorHttp.Tests.Handlers;

[Trait("Category", "Handlers")]
public sealed class HandlerKindTests : TestKit
{
    private readonly ITestOutputHelper _output;

    public HandlerKindTests(ITestOutputHelper output) : base(output: output) => _output = output;

    /// <summary>Answers with the name of the actor that served the request.</summary>
    private sealed class WhoAmI : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            if (message is not HttpRequest request) return;
            if (request.Path == "/throw") throw new InvalidOperationException("boom");
            if (request.Path == "/stop") { Context.Stop(Self); return; }
            Sender.Tell(HttpResponse.Text(Self.Path.ToString()));
        }
    }

    [Fact]
    public void Per_request_handler_serves_each_request_with_a_fresh_actor_stopped_after_answering()
    {
        var handler = Sys.ActorOf(HandlerProps.PerRequest(Props.Create<WhoAmI>()));
        var first = this.Send(handler, HttpRequests.Get("/")).ShouldHaveStatus(200).BodyAsString();
        var second = this.Send(handler, HttpRequests.Get("/")).ShouldHaveStatus(200).BodyAsString();
        Assert.NotEqual(first, second);
        AwaitAssert(() => Assert.Empty(Sys.ActorSelection(first).ResolveOne(TimeSpan.FromMilliseconds(200)).ContinueWith(t => t.IsFaulted ? "" : "alive").Result));
    }

    [Theory]
    [InlineData("/throw")]
    [InlineData("/stop")]
    public void Per_request_actor_that_fails_or_stops_before_answering_gives_500(string path)
    {
        var handler = Sys.ActorOf(HandlerProps.PerRequest(Props.Create<WhoAmI>()));
        this.Send(handler, HttpRequests.Get(path)).ShouldHaveStatus(500);
        this.Send(handler, HttpRequests.Get("/")).ShouldHaveStatus(200); // the route keeps working
    }

    [Fact]
    public void Pool_spreads_requests_over_its_instances()
    {
        var handler = Sys.ActorOf(HandlerProps.Pool(Props.Create<WhoAmI>(), 3));
        var servedBy = Enumerable.Range(0, 6).Select(_ => this.Send(handler, HttpRequests.Get("/")).BodyAsString()).ToHashSet();
        Assert.Equal(3, servedBy.Count);
    }

    [Fact]
    public void Hocon_kinds_build_the_same_props()
    {
        var routes = RouteConfig.Load(ConfigurationFactory.ParseString("""
            actor-http.routes {
              a { path = "/a", handler = echo, kind = per-request, dispatcher = actor-http.blocking-dispatcher }
              b { path = "/b", handler = echo, kind = pool, instances = 2 }
            }
            """));
        var a = routes.Definitions.Single(d => d.Name == "a").HandlerProps!;
        Assert.Equal(typeof(PerRequestHandler), a.Type);
        Assert.Equal(HandlerProps.BlockingDispatcher, ((Props)a.Arguments[0]).Dispatcher);
        Assert.IsType<Akka.Routing.RoundRobinPool>(routes.Definitions.Single(d => d.Name == "b").HandlerProps!.RouterConfig);
    }

    [Theory]
    [InlineData("kind = forever", "is not long-lived, per-request or pool")]
    [InlineData("kind = pool, instances = 0", "instances must be between 1 and 1024")]
    public void Hocon_kind_mistakes_are_named(string options, string expected)
    {
        var e = Assert.Throws<ConfigurationException>(() =>
            RouteConfig.Load(ConfigurationFactory.ParseString($"actor-http.routes.r {{ path = \"/r\", handler = echo, {options} }}")));
        Assert.Contains("actor-http.routes.r", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public async Task Unknown_dispatcher_is_a_startup_error_naming_the_route()
    {
        var routes = new Routes().Get("/x", HandlerProps.PerRequest(EchoHandler.Props().WithDispatcher("no-such-dispatcher")));
        var e = await Assert.ThrowsAsync<ConfigurationException>(() => RoutingExtensions.MaterializeAsync(Sys, routes));
        Assert.Contains("no-such-dispatcher", e.Message);
    }

    /// <summary>
    /// 50 requests to a route that blocks its thread for 2 s (per-request actors on the blocking dispatcher) do not
    /// hold up /plaintext: every /plaintext request completes while the blocking ones are all still in flight.
    /// The claim is about order (none of the 2 s requests has finished yet), not about a duration.
    /// </summary>
    [Fact]
    public async Task Blocking_route_under_load_does_not_stall_other_routes()
    {
        var routes = new Routes()
            .Get("/plaintext", TextHandler.Props("Hello, World!"))
            .Get("/block", HandlerProps.PerRequest(HandlerProps.Blocking(SleepHandler.Props(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2)))));
        var server = HttpServer.Get(Sys);
        var binding = await server.BindAsync(routes, server.Settings with { Port = 0 });
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 100 }) { Timeout = TimeSpan.FromSeconds(30) };
        var baseUrl = $"http://127.0.0.1:{binding.LocalAddress.Port}";
        try
        {
            var blockingDone = 0;
            var blocking = Enumerable.Range(0, 50).Select(async _ =>
            {
                var response = await client.GetAsync($"{baseUrl}/block");
                Interlocked.Increment(ref blockingDone);
                return response.StatusCode;
            }).ToList();

            var latencies = new List<double>();
            for (var i = 0; i < 20; i++)
            {
                var watch = Stopwatch.StartNew();
                Assert.Equal("Hello, World!", await client.GetStringAsync($"{baseUrl}/plaintext"));
                latencies.Add(watch.Elapsed.TotalMilliseconds);
            }
            var doneWhenPlaintextFinished = Volatile.Read(ref blockingDone);
            _output.WriteLine($"/plaintext under blocking load: median {latencies.Order().ElementAt(10):F1} ms, max {latencies.Max():F1} ms; blocking requests finished by then: {doneWhenPlaintextFinished}");

            Assert.Equal(0, doneWhenPlaintextFinished);
            Assert.All(await Task.WhenAll(blocking), status => Assert.Equal(HttpStatusCode.OK, status));
        }
        finally
        {
            await binding.TerminateAsync(TimeSpan.FromSeconds(5));
        }
    }
}
