using System.Net;
using Akka.Actor;
using Akka.Configuration;
using ActorHttp.Handlers;
using ActorHttp.Routing;
using ActorHttp.Server;
using ActorHttp.Tests.EndToEnd;
using Xunit;

namespace ActorHttp.Tests.Server;

/// <summary><c>io-frame-size</c>: read from HOCON, checked, and applied to the server's own connections.</summary>
[Trait("Category", "Connection")]
public sealed class IoFrameSizeTests
{
    [Fact]
    public void Is_8k_by_default_takes_a_size_and_refuses_a_tiny_one_naming_the_key()
    {
        Assert.Equal(8 * 1024, ServerSettings.Create(ConfigurationFactory.Empty).IoFrameSize);
        Assert.Equal(64 * 1024, ServerSettings.Create(ConfigurationFactory.ParseString("actor-http.server.io-frame-size = 64k")).IoFrameSize);
        var bad = Assert.Throws<ConfigurationException>(() => ServerSettings.Create(ConfigurationFactory.ParseString("actor-http.server.io-frame-size = 100b")));
        Assert.Contains("actor-http.server.io-frame-size", bad.Message);
    }

    [Theory]
    [InlineData(512)]      // far below a request or response: every one crosses several reads and sends
    [InlineData(65536)]    // above both: each goes in one
    public async Task Any_frame_size_carries_requests_and_responses_larger_or_smaller_than_it_whole(int frame)
    {
        var routes = new Routes().Post("/echo", EchoHandler.Props()).Get("/big", TextHandler.Props(new string('x', 20_000)));
        await using var server = await TestServer.StartAsync(s => s with { IoFrameSize = frame }, routes);
        using var client = HttpClients.Create(server.BaseUri);
        var body = string.Concat(Enumerable.Range(0, 1000).Select(i => $"{i:D4}|")); // 5,000 bytes, each piece distinct
        for (var i = 0; i < 3; i++) // keep-alive: the same connection, several times
        {
            using var echo = await client.PostAsync("/echo", new StringContent(body));
            Assert.Equal(HttpStatusCode.OK, echo.StatusCode);
            Assert.Equal(body, await echo.Content.ReadAsStringAsync());
            Assert.Equal(new string('x', 20_000), await client.GetStringAsync("/big"));
        }
    }
}
