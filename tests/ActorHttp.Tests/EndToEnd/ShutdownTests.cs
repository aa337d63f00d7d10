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
