using Akka.Actor;
using Akka.Cluster;
using ActorHttp.Handlers;
using ActorHttp.Protocol;

namespace ActorHttp.Cluster.Endpoints;

/// <summary>
/// Readiness of a cluster node: <c>200 {"status":"ok","member":"Up"}</c> once this node is Up (or WeaklyUp) in the
/// cluster, else <c>503 {"status":"unavailable","member":"Joining"}</c> with Retry-After: a node that is not a member
/// cannot serve sharded routes, so a load balancer (or a Kubernetes readiness probe) should not send it traffic yet.
/// </summary>
public sealed class ClusterHealthHandler : HttpHandlerActor
{
    private static readonly HttpHeader RetryAfter = new("Retry-After", "1");
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);

    /// <summary>Props of the handler.</summary>
    public static Props Props() => Akka.Actor.Props.Create<ClusterHealthHandler>();

    /// <inheritdoc />
    protected override void OnRequest(HttpRequest request)
    {
        var status = _cluster.SelfMember.Status;
        var up = status is MemberStatus.Up or MemberStatus.WeaklyUp;
        var response = JsonResponse.Write(json =>
        {
            json.WriteStartObject();
            json.WriteString("status", up ? "ok" : "unavailable");
            json.WriteString("member", status.ToString());
            json.WriteEndObject();
        }, up ? StatusCodes.Ok : StatusCodes.ServiceUnavailable);
        Respond(up ? response : response with { Headers = [RetryAfter] });
    }
}
