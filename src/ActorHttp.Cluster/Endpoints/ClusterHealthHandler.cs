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

    /// <summary>
    /// This node as a member, or null before it has joined (Akka then reports its own status as Removed, which misleads).
    /// </summary>
    internal static Member? SelfMember(Akka.Cluster.Cluster cluster) =>
        cluster.State.Members.FirstOrDefault(m => m.UniqueAddress.Equals(cluster.SelfUniqueAddress));

    /// <summary>Whether <paramref name="self"/> (see <see cref="SelfMember"/>) can serve: Up or WeaklyUp.</summary>
    internal static bool IsUp(Member? self) => self?.Status is MemberStatus.Up or MemberStatus.WeaklyUp;

    /// <inheritdoc />
    protected override void OnRequest(HttpRequest request)
    {
        var self = SelfMember(_cluster);
        var shuttingDown = _shutdown.ShutdownReason is not null;
        var up = IsUp(self) && !shuttingDown;
        var response = HttpResponse.Json(
            new ClusterHealth(up ? "ok" : "unavailable", self?.Status.ToString() ?? "NotJoined", shuttingDown),
            ClusterJson.Info<ClusterHealth>(), up ? StatusCodes.Ok : StatusCodes.ServiceUnavailable);
        Respond(up ? response : response with { Headers = [RetryAfter] });
    }
}
