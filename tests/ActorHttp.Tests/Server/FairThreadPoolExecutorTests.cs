using Akka.Configuration;
using ActorHttp.Tests.EndToEnd;
using Xunit;

namespace ActorHttp.Tests.Server;

/// <summary>
/// The opt-in first-in first-out executor (reference.conf, server.dispatcher): a server whose every actor, Akka.IO's
/// included, runs on it serves many connections and pipelined requests as with Akka's own executor.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class FairThreadPoolExecutorTests
{
    private static readonly Config Fair = ConfigurationFactory.ParseString(
        """akka.actor.default-dispatcher.executor = "ActorHttp.Server.Dispatch.FairThreadPoolExecutor, ActorHttp" """);

    [Fact]
    public async Task A_server_on_the_fair_executor_answers_50_connections_each_pipelining_8_requests_in_order()
    {
        await using var server = await TestServer.StartAsync(config: Fair);
        Assert.StartsWith("ActorHttp.Server.Dispatch.FairThreadPoolExecutor", server.System.Settings.Config.GetString("akka.actor.default-dispatcher.executor"));
        var clients = Enumerable.Range(0, 50).Select(async c =>
        {
            using var connection = await RawHttpConnection.OpenAsync(server.Port);
            await connection.SendAsync(string.Concat(Enumerable.Range(0, 8).Select(i => $"GET /items/{c}-{i} HTTP/1.1\r\nHost: h\r\n\r\n")));
            for (var i = 0; i < 8; i++)
            {
                var response = await connection.ReadResponseAsync();
                Assert.Equal(200, response.Status);
                Assert.Contains($"{c}-{i}", response.BodyText);
            }
        });
        await Task.WhenAll(clients).WaitAsync(TimeSpan.FromSeconds(60));
    }
}
