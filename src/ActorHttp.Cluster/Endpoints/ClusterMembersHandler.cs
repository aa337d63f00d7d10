using Akka.Actor;
using ActorHttp.Handlers;
using ActorHttp.Protocol;

namespace ActorHttp.Cluster.Endpoints;

/// <summary>
/// <c>/cluster/members</c>: this node's view of the cluster as JSON, e.g.
/// <c>{"self":"akka.tcp://actor-http@127.0.0.1:19080","leader":"…","members":[{"address":"…","status":"Up","roles":["dc-default"],"reachable":true}]}</c>.
/// A member is unreachable when some node's failure detector has lost it.
/// </summary>
public sealed class ClusterMembersHandler : HttpHandlerActor
{
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);

    /// <summary>Props of the handler.</summary>
    public static Props Props() => Akka.Actor.Props.Create<ClusterMembersHandler>();

    /// <inheritdoc />
    protected override void OnRequest(HttpRequest request)
    {
        var state = _cluster.State;
        var members = state.Members.Select(member => new ClusterMember(
            member.Address.ToString(), member.Status.ToString(), [.. member.Roles.Order(StringComparer.Ordinal)], !state.Unreachable.Contains(member)));
        Respond(HttpResponse.Json(new ClusterMembers(_cluster.SelfAddress.ToString(), state.Leader?.ToString(), [.. members]), ClusterJson.Info<ClusterMembers>()));
    }
}
