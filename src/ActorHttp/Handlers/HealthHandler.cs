using Akka.Actor;
using ActorHttp.Protocol;

namespace ActorHttp.Handlers;

/// <summary>Liveness: <c>200 {"status":"ok"}</c> while the actor system processes messages.</summary>
public sealed class HealthHandler : HttpHandlerActor
{
    public static Props Props() => Akka.Actor.Props.Create<HealthHandler>();

    protected override void OnRequest(HttpRequest request) => Respond(HttpResponse.Json("{\"status\":\"ok\"}"));
}
