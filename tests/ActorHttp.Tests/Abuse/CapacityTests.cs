using Akka.Actor;
using ActorHttp.Handlers;
using ActorHttp.Protocol;
using ActorHttp.Routing;
using ActorHttp.Tests.EndToEnd;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using Xunit.Abstractions;

namespace ActorHttp.Tests.Abuse;

/// <summary>Connections beyond max-connections, and handlers that never answer: bounded, counted, nothing leaks.</summary>
[Collection(AbuseCollection.Name)]
[Trait("Category", "Abuse")]
public sealed class CapacityTests(ITestOutputHelper output)
{
    private static string Get(string path) => RawHttpConnection.Request(path);

    [Fact]
    public async Task Connections_above_max_connections_get_503_and_are_closed_while_the_server_stays_responsive()
    {
        const int max = 50;
        await using var server = await TestServer.StartAsync(s => s with { MaxConnections = max });
        var held = new List<RawHttpConnection>();
        try
        {
            for (var i = 0; i < max; i++)
            {
                var c = await RawHttpConnection.OpenAsync(server.Port);
                held.Add(c);
                Assert.Equal(200, (await c.RoundTripAsync(Get("/plaintext"))).Status);
            }
            Assert.Equal(max, (await server.Binding.GetConnectionCountsAsync()).Open);

            // 30 more: each is accepted, answered 503 with Retry-After and Connection: close, and closed cleanly.
            var refused = await Task.WhenAll(Enumerable.Range(0, 30).Select(async i =>
            {
                using var extra = await RawHttpConnection.OpenAsync(server.Port);
                if (i % 2 == 0) await extra.SendAsync(Get("/plaintext")); // with a request or without: the same answer
                var response = await extra.ReadResponseAsync();
                Assert.Equal(503, response.Status);
                Assert.Equal("1", response.Header("Retry-After"));
                Assert.True(response.ConnectionClose, response.ToString());
                Assert.True(await extra.WaitForServerCloseAsync(), "an over-capacity connection was not closed");
                return response.Status;
            }));
            output.WriteLine($"{refused.Length} connections over max-connections={max}: all 503 + close");

            // The connections within the limit were never affected.
            foreach (var c in held) Assert.Equal(200, (await c.RoundTripAsync(Get("/plaintext"))).Status);

            // Room again once some leave: new connections are served.
            foreach (var c in held.Take(20)) c.Dispose();
            held.RemoveRange(0, 20);
            var counts = await AbuseTools.WaitForCountsAsync(server.Binding, c => c.Open <= max - 20, TimeSpan.FromSeconds(10));
            Assert.True(counts.Open <= max - 20, $"closed connections are still counted: {counts}");
            for (var i = 0; i < 20; i++)
            {
                var c = await RawHttpConnection.OpenAsync(server.Port);
                held.Add(c);
                Assert.Equal(200, (await c.RoundTripAsync(Get("/plaintext"))).Status);
            }
        }
        finally
        {
            foreach (var c in held) c.Dispose();
        }
        var end = await AbuseTools.WaitForCountsAsync(server.Binding, c => c is { Open: 0, Actors: 0 }, TimeSpan.FromSeconds(10));
        Assert.Equal(new ActorHttp.Server.ConnectionCounts(0, 0), end);
    }

    /// <summary>Takes every request and never answers.</summary>
    private sealed class BlackHole : ReceiveActor
    {
        public BlackHole() => ReceiveAny(_ => { });
    }

    /// <summary>Answers <c>p</c>, then records the request: once recorded, its answer is in the connection's mailbox.</summary>
    private sealed class AnswerThenRecord(HandlerSignals signals) : HttpHandlerActor
    {
        protected override void OnRequest(HttpRequest request)
        {
            Respond(HttpResponse.Text("p"));
            signals.Record(request.Path);
        }
    }

    [Fact]
    public async Task A_handler_that_never_answers_gets_503_after_the_response_timeout_and_no_connection_actor_is_leaked()
    {
        var signals = new HandlerSignals();
        var routes = new Routes().Get("/blackhole", Props.Create<BlackHole>()).Get("/plaintext", Props.Create(() => new AnswerThenRecord(signals)));
        // The server's clock moves only when the test advances it: the response timeout falls exactly when the test says,
        // however long 100 connections take to be served on a busy machine.
        var clock = new FakeTimeProvider();
        await using var server = await TestServer.StartAsync(s => s with { ResponseTimeout = TimeSpan.FromSeconds(1) }, routes, signals, clock);
        using var traffic = server.CountReceivedBytes();
        const int clients = 100;

        // Each client pipelines two requests to the black hole and one that is answered: 503, 503, 200, in order,
        // and the connection stays usable.
        var pipelined = Get("/blackhole") + Get("/blackhole") + Get("/plaintext");
        var connections = await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => RawHttpConnection.OpenAsync(server.Port)));
        try
        {
            await Task.WhenAll(connections.Select(c => c.SendAsync(pipelined)));
            // Every connection has read and dispatched its three requests at the server's "now" (their deadlines are set),
            // and has the answer to the third: only the black holes are late when the clock reaches their deadline.
            await traffic.WaitForAsync(clients * pipelined.Length);
            await signals.WaitForAsync("/plaintext", clients);
            await traffic.SettleAsync();
            clock.Advance(TimeSpan.FromMilliseconds(999));
            await traffic.SettleAsync();
            // 1 ms before the response timeout nothing is answered (each /plaintext answer waits behind its black holes).
            Assert.Equal(0, traffic.Sent);
            clock.Advance(TimeSpan.FromMilliseconds(1));
            await Task.WhenAll(connections.Select(async c =>
            {
                for (var i = 0; i < 2; i++)
                {
                    var timedOut = await c.ReadResponseAsync();
                    Assert.Equal(503, timedOut.Status);
                    Assert.Equal("1", timedOut.Header("Retry-After"));
                    Assert.False(timedOut.ConnectionClose, timedOut.ToString());
                }
                Assert.Equal("p", (await c.ReadResponseAsync()).BodyText);
                Assert.Equal(200, (await c.RoundTripAsync(Get("/plaintext"))).Status);
            })).WaitAsync(TimeSpan.FromSeconds(30));
            var during = await server.Binding.GetConnectionCountsAsync();
            output.WriteLine($"while {clients} clients are connected: {during}");
            Assert.Equal(new ActorHttp.Server.ConnectionCounts(clients, clients), during);

            // Clients that leave while their request waits for the black hole: their connection actors stop too, once
            // the response timeout has answered the request (a client that half-closes may still read its answers).
            var leaving = Get("/blackhole");
            var before = traffic.Total;
            await Task.WhenAll(Enumerable.Range(0, 50).Select(async _ =>
            {
                using var c = await RawHttpConnection.OpenAsync(server.Port);
                await c.SendAsync(leaving);
            }));
            await traffic.WaitUntilProcessedAsync(before + 50 * leaving.Length);
            clock.Advance(TimeSpan.FromSeconds(1));
        }
        finally
        {
            foreach (var c in connections) c.Dispose();
        }

        // Nothing is left: every connection actor stopped, the listener's count is back to zero.
        var end = await AbuseTools.WaitForCountsAsync(server.Binding, c => c is { Open: 0, Actors: 0 }, TimeSpan.FromSeconds(15));
        output.WriteLine($"after all clients left: {end}");
        Assert.Equal(new ActorHttp.Server.ConnectionCounts(0, 0), end);
    }
}
