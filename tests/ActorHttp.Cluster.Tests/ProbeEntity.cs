using System.Security.Cryptography;
using System.Text.Json;
using Akka.Actor;
using Akka.IO;
using ActorHttp.Handlers;
using ActorHttp.Protocol;

namespace ActorHttp.Cluster.Tests;

/// <summary>
/// A sharded test entity. By default it answers where it runs: <c>{"node":…,"id":…,"instance":…,"bodyLength":…,
/// "bodySha256":…,"header":…,"count":…}</c> (instance is new for each incarnation, so passivation and moves show).
/// <c>trace</c> is the trace and span id of <see cref="HttpRequest.TraceContext"/> (null without one).
/// <c>?do=</c> changes its behaviour: <c>silent</c> never answers, <c>stream</c> answers with a streamed response,
/// <c>throw</c> throws, <c>fail</c> replies Status.Failure, <c>big</c> answers a 100 KB body.
/// </summary>
public sealed class ProbeEntity : HttpHandlerActor
{
    private readonly string _instance = Guid.NewGuid().ToString("N");
    private int _count;

    public static Props Props() => Akka.Actor.Props.Create<ProbeEntity>();

    protected override void OnRequest(HttpRequest request)
    {
        _count++;
        switch (request.Query)
        {
            case "do=silent":
                return;
            case "do=stream":
                RespondWithStream(HttpResponse.StreamedHead(contentType: "text/plain"), Chunks());
                return;
            case "do=throw":
                throw new InvalidOperationException("ProbeEntity was told to throw (expected by the test)");
            case "do=fail":
                Sender.Tell(new Status.Failure(new InvalidOperationException("told to fail (expected by the test)")));
                return;
            case "do=big":
                Respond(new HttpResponse { Body = ByteString.FromBytes(new byte[100_000]) });
                return;
        }
        Respond(HttpResponse.Json(JsonSerializer.Serialize(new ProbeAnswer(
            Akka.Cluster.Cluster.Get(Context.System).SelfAddress.ToString(),
            request.RouteValues.Values.Single(), // the entity id, whatever the template calls it
            _instance,
            request.Body.Count,
            Convert.ToHexString(SHA256.HashData(request.Body.ToReadOnlySpan())),
            request.Headers["X-Test"],
            _count,
            request.TraceContext == default ? null : $"{request.TraceContext.TraceId.ToHexString()}-{request.TraceContext.SpanId.ToHexString()}"))));
    }

    private static async IAsyncEnumerable<ByteString> Chunks()
    {
        for (var i = 0; i < 3; i++)
        {
            await Task.Yield();
            yield return ByteString.FromString($"chunk {i}\n");
        }
    }
}

/// <summary>What <see cref="ProbeEntity"/> answers (JSON property names in camelCase).</summary>
public sealed record ProbeAnswer(string Node, string Id, string Instance, int BodyLength, string BodySha256, string? Header, int Count, string? Trace = null)
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static ProbeAnswer Parse(string json) => JsonSerializer.Deserialize<ProbeAnswer>(json, Options)
                                                    ?? throw new FormatException($"not a probe answer: {json}");
}
