using Akka.Actor;
using Akka.Cluster;
using ActorHttp.Handlers;
using ActorHttp.Protocol;

namespace ActorHttp.Cluster.Endpoints;

/// <summary>
/// Readiness of a cluster node: <c>200 {"status":"ok","member":"Up"}</c> once this node is Up (or WeaklyUp) in the
/// cluster, else <c>503 {"status":"unavailable","member":"NotJoined"}</c> (or Joining, Leaving…) with Retry-After: a node that is not a member
/// cannot serve sharded routes, so a load balancer (or a Kubernetes readiness probe) should not send it traffic yet.
/// From the moment CoordinatedShutdown starts (SIGTERM) it answers <c>503 {"status":"unavailable","member":"Up","shuttingDown":true}</c>:
/// the node is draining and about to leave, so traffic should go elsewhere before its port closes.
/// </summary>
public sealed class ClusterHealthHandler : HttpHandlerActor
{
    private static readonly HttpHeader RetryAfter = new("Retry-After", "1");
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly CoordinatedShutdown _shutdown = CoordinatedShutdown.Get(Context.System);

    /// <summary>Props of the handler.</summary>
    public static Props Props() => Akka.Actor.Props.Create<ClusterHealthHandler>();

    /// <inheritdoc />
    protected override void OnRequest(HttpRequest request)
    {
        // Before it joins, a node is not among the members (Akka then reports its own status as Removed, which misleads).
        var self = _cluster.State.Members.FirstOrDefault(m => m.UniqueAddress.Equals(_cluster.SelfUniqueAddress));
        var shuttingDown = _shutdown.ShutdownReason is not null;
        var up = (self?.Status is MemberStatus.Up or MemberStatus.WeaklyUp) && !shuttingDown;
        var response = JsonResponse.Write(json =>
        {
            json.WriteStartObject();
            json.WriteString("status", up ? "ok" : "unavailable");
            json.WriteString("member", self?.Status.ToString() ?? "NotJoined");
            if (shuttingDown) json.WriteBoolean("shuttingDown", true);
            json.WriteEndObject();
        }, up ? StatusCodes.Ok : StatusCodes.ServiceUnavailable);
        Respond(up ? response : response with { Headers = [RetryAfter] });
    }
}
