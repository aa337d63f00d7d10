using Akka.Actor;
using ActorHttp.Handlers;
using ActorHttp.Cluster.Endpoints;
using ActorHttp.Protocol;

namespace ActorHttp.Cluster.Demo;

/// <summary>
/// The demo sharded entity behind <c>/counters/{id}</c>: <c>GET</c> returns the value, <c>POST</c> adds one and returns
/// the new value, <c>DELETE</c> resets it to 0; always <c>{"id":"a","value":3}</c>. One actor per id somewhere in the
/// cluster, so every node sees the same value. The value lives in memory only: it starts again from 0 when the
/// entity passivates or its shard moves to another node (a real entity would persist it, e.g. with Akka.Persistence).
/// </summary>
public sealed class CounterEntity : HttpHandlerActor
{
    private long _value;

    /// <summary>Props of one counter.</summary>
    public static Props Props() => Akka.Actor.Props.Create<CounterEntity>();

    /// <inheritdoc />
    protected override void OnRequest(HttpRequest request)
    {
        switch (request.Method)
        {
            case HttpMethods.Get:
                break;
            case HttpMethods.Post:
                _value++;
                break;
            case HttpMethods.Delete:
                _value = 0;
                break;
            default:
                Respond(HttpResponse.Error(StatusCodes.MethodNotAllowed) with { Headers = [new HttpHeader("Allow", "GET, POST, DELETE")] });
                return;
        }
        var id = request.RouteValues.TryGetValue("id", out var value) ? value : Uri.UnescapeDataString(Context.Parent.Path.Name);
        Respond(HttpResponse.Json(new CounterValue(id, _value), ClusterJson.Info<CounterValue>()));
    }
}
