using Akka.Actor;
using ActorHttp.Protocol;

namespace ActorHttp.Handlers;

/// <summary>
/// Readiness of a node that is not in a cluster: <c>200 {"status":"ok"}</c>, and from the moment CoordinatedShutdown
/// starts (SIGTERM) <c>503 {"status":"unavailable","shuttingDown":true}</c> with Retry-After, so that a load balancer
/// sends traffic elsewhere while the node drains. (A connection opened after the listener unbound is answered 503 by the
/// listener itself.) Cluster nodes use the cluster's <c>cluster-health</c>, which also waits for membership.
/// </summary>
public sealed class ReadinessHandler : HttpHandlerActor
{
    private static readonly HttpResponse Ready = HttpResponse.Json("{\"status\":\"ok\"}");
    private static readonly HttpResponse ShuttingDown =
        HttpResponse.Json("{\"status\":\"unavailable\",\"shuttingDown\":true}", StatusCodes.ServiceUnavailable) with { Headers = [new HttpHeader("Retry-After", "1")] };

    private readonly CoordinatedShutdown _shutdown = CoordinatedShutdown.Get(Context.System);

    /// <summary>Props of the handler.</summary>
    public static Props Props() => Akka.Actor.Props.Create<ReadinessHandler>();

    /// <inheritdoc />
    protected override void OnRequest(HttpRequest request) => Respond(_shutdown.ShutdownReason is null ? Ready : ShuttingDown);
}
