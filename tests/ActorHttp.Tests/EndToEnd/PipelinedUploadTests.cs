using System.Text;
using ActorHttp.Handlers;
using ActorHttp.Protocol;
using ActorHttp.Routing;
using Xunit;

namespace ActorHttp.Tests.EndToEnd;

/// <summary>
/// Regression (found by the connection fuzz test): a streamed upload pipelined right behind another one. The second head
/// used to be parsed as soon as the first body's parts were read, before its handler's last Read; that Read was then
/// answered "this request has no streamed body", the first (echo) stream failed, and the connection closed with the
/// second request unanswered.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class PipelinedUploadTests
{
    [Fact]
    public async Task Streamed_uploads_pipelined_back_to_back_are_all_echoed_on_one_connection()
    {
        var routes = new Routes().Map([HttpMethods.Post], "/echo", EchoHandler.Props()).Get("/plaintext", TextHandler.Props("p"));
        await using var server = await TestServer.StartAsync(s => s with { Parsing = s.Parsing with { StreamBodyThreshold = 64 } }, routes);
        using var connection = await RawHttpConnection.OpenAsync(server.Port);
        for (var round = 0; round < 5; round++)
        {
            var bodies = Enumerable.Range(0, 3).Select(i => new string((char)('a' + i), 100 + i)).ToArray();
            var batch = new StringBuilder();
            foreach (var body in bodies) batch.Append($"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: {body.Length}\r\n\r\n{body}");
            batch.Append("GET /plaintext HTTP/1.1\r\nHost: h\r\n\r\n");
            await connection.SendAsync(batch.ToString());
            foreach (var body in bodies)
            {
                var response = await connection.ReadResponseAsync();
                Assert.Equal(200, response.Status);
                Assert.Equal(body, response.BodyText);
                Assert.False(response.ConnectionClose, response.ToString());
            }
            Assert.Equal("p", (await connection.ReadResponseAsync()).BodyText);
        }
    }
}
