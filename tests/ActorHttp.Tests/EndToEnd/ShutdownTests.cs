using System.Collections.Concurrent;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Configuration;
using ActorHttp.Handlers;
using ActorHttp.Protocol;
using ActorHttp.Server;
using Xunit;

namespace ActorHttp.Tests.EndToEnd;

/// <summary>Graceful termination under load, over real sockets on 127.0.0.1.</summary>
[Trait("Category", "EndToEnd")]
public sealed class ShutdownTests
{
    private static string Get(string target) => RawHttpConnection.Request(target);

    [Fact]
    public async Task Terminating_under_load_loses_no_in_flight_request()
    {
        var server = await TestServer.StartAsync();
        try
        {
            var connections = new List<RawHttpConnection>();
            for (var i = 0; i < 20; i++)
            {
                var connection = await RawHttpConnection.OpenAsync(server.Port);
                connections.Add(connection);
                Assert.Equal(200, (await connection.RoundTripAsync(Get("/plaintext"))).Status); // established, keep-alive
                await connection.SendAsync(Get($"/gated?id={i}&ms={20 * i}")); // answered 20·i ms after the gate opens
            }
            // Every request with its handler before the termination starts, and every answer held until every connection
            // has been told to drain: all 20 are in flight during the drain, however slow the machine.
            await server.Signals.WaitForAsync("/gated", connections.Count);
            var terminating = server.TerminateAsync(TimeSpan.FromSeconds(10));
            await server.WaitUntilTerminatingAsync();
            server.Signals.OpenGate();

            for (var i = 0; i < connections.Count; i++)
            {
                var response = await connections[i].ReadResponseAsync();
                Assert.True(response.Status == 200, $"request {i}: {response}");
                Assert.Equal($"gated {i}", response.BodyText);
                Assert.True(response.ConnectionClose, $"request {i} should say Connection: close");
                Assert.True(await connections[i].WaitForServerCloseAsync(), $"connection {i} was not closed cleanly");
                connections[i].Dispose();
            }
            await terminating.WaitAsync(TimeSpan.FromSeconds(20));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Terminate_releases_the_port_after_the_drain_while_clients_keep_connecting()
    {
        var arrived = new TaskCompletionSource<IActorRef>(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = await TestServer.StartAsync(routes: TestServer.DefaultRoutes().Get("/held", Props.Create(() => new HeldHandler(arrived))));
        using var stopClients = new CancellationTokenSource(TimeSpan.FromSeconds(45)); // the clients' own bound
        var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var answers = new ConcurrentQueue<RawResponse>();
        Task[] clients = [];
        try
        {
            using var inFlight = await RawHttpConnection.OpenAsync(server.Port);
            await inFlight.SendAsync(Get("/held"));
            var replyTo = await arrived.Task.WaitAsync(TimeSpan.FromSeconds(10)); // the request is with its handler

            // A deadline far beyond the wait below: only releasing the port after the drain can end termination in time.
            var terminating = server.TerminateAsync(TimeSpan.FromSeconds(60));
            clients = [.. Enumerable.Range(0, 2).Select(_ => Task.Run(() => ReconnectUntilRefused(server.Port, answers, answered, stopClients.Token)))];
            await answered.Task.WaitAsync(TimeSpan.FromSeconds(10)); // new clients are being answered while the request is in flight

            replyTo.Tell(HttpResponse.Text("held"));
            var response = await inFlight.ReadResponseAsync();
            Assert.True(response.Status == 200, response.ToString());
            Assert.Equal("held", response.BodyText);
            Assert.True(response.ConnectionClose);
            inFlight.Dispose();

            await terminating.WaitAsync(TimeSpan.FromSeconds(15));
            stopClients.Cancel();
            await Task.WhenAll(clients).WaitAsync(TimeSpan.FromSeconds(15));
            Assert.All(answers, r =>
            {
                Assert.True(r.Status == 503, r.ToString());
                Assert.Equal("1", r.Header("Retry-After"));
            });
        }
        finally
        {
            stopClients.Cancel();
            try { await Task.WhenAll(clients).WaitAsync(TimeSpan.FromSeconds(15)); }
            catch (TimeoutException) { } // the test has failed already; the clients' bound ends them
            await server.DisposeAsync();
        }
    }

    [Fact]
    public void Release_max_delay_defaults_to_a_second_and_is_read_from_config()
    {
        Assert.Equal(TimeSpan.FromSeconds(1), ServerSettings.Create(ConfigurationFactory.Empty).ShutdownReleaseMaxDelay);
        var configured = ServerSettings.Create(ConfigurationFactory.ParseString("actor-http.server.shutdown-release-max-delay = 250ms"));
        Assert.Equal(TimeSpan.FromMilliseconds(250), configured.ShutdownReleaseMaxDelay);
    }

    /// <summary>
    /// A client that keeps opening connections and reading their answer until the port is closed (connection refused) or
    /// <paramref name="stop"/>; a connection reset by the port's release is not an answer.
    /// </summary>
    private static async Task ReconnectUntilRefused(int port, ConcurrentQueue<RawResponse> answers, TaskCompletionSource answered, CancellationToken stop)
    {
        for (var attempt = 0; attempt < 100_000 && !stop.IsCancellationRequested; attempt++)
        {
            RawHttpConnection connection;
            try
            {
                connection = await RawHttpConnection.OpenAsync(port, TimeSpan.FromSeconds(5));
            }
            catch (SocketException)
            {
                return; // refused: the port is released
            }
            using (connection)
            {
                try
                {
                    await connection.SendAsync(Get("/plaintext"), TimeSpan.FromSeconds(5));
                    answers.Enqueue(await connection.ReadResponseAsync(timeout: TimeSpan.FromSeconds(5)));
                    answered.TrySetResult();
                }
                catch (Exception e) when (e is IOException or SocketException or EndOfStreamException or TimeoutException or OperationCanceledException) { }
            }
        }
    }

    /// <summary>Hands the test whom to answer its request, so the test decides when the request completes.</summary>
    private sealed class HeldHandler(TaskCompletionSource<IActorRef> arrived) : HttpHandlerActor
    {
        protected override void OnRequest(HttpRequest request) => arrived.TrySetResult(Sender);
    }

    [Fact]
    public async Task A_request_outliving_the_shutdown_deadline_gets_503_not_a_reset()
    {
        var server = await TestServer.StartAsync();
        try
        {
            using var connection = await RawHttpConnection.OpenAsync(server.Port);
            Assert.Equal(200, (await connection.RoundTripAsync(Get("/plaintext"))).Status);
            await connection.SendAsync(Get("/gated?id=late")); // answered only once the gate opens, which it never does
            await server.Signals.WaitForAsync("/gated"); // the request is with its handler

            var terminating = server.TerminateAsync(TimeSpan.FromMilliseconds(500));
            var response = await connection.ReadResponseAsync();
            Assert.True(response.Status == 503, response.ToString());
            Assert.True(response.ConnectionClose);
            Assert.Equal("1", response.Header("Retry-After"));
            Assert.True(await connection.WaitForServerCloseAsync());
            await terminating.WaitAsync(TimeSpan.FromSeconds(20));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
