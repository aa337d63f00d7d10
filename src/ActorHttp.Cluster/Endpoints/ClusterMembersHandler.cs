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
        Respond(JsonResponse.Write(json =>
        {
            json.WriteStartObject();
            json.WriteString("self", _cluster.SelfAddress.ToString());
            if (state.Leader is { } leader) json.WriteString("leader", leader.ToString());
            else json.WriteNull("leader");
            json.WriteStartArray("members");
            foreach (var member in state.Members)
            {
                json.WriteStartObject();
                json.WriteString("address", member.Address.ToString());
                json.WriteString("status", member.Status.ToString());
                json.WriteStartArray("roles");
                foreach (var role in member.Roles.Order(StringComparer.Ordinal)) json.WriteStringValue(role);
                json.WriteEndArray();
                json.WriteBoolean("reachable", !state.Unreachable.Contains(member));
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }));
    }
}
