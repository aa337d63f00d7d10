using Akka.Actor;
using Akka.DependencyInjection;
using Akka.Hosting;
using Akka.Hosting.HealthChecks;
using ActorHttp.Cluster;
using ActorHttp.Cluster.Endpoints;
using ActorHttp.Handlers;
using ActorHttp.Protocol;
using ActorHttp.Routing;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ActorHttp.Hosting;

/// <summary>
/// Readiness of the hosted server, as a health check of the host (<c>WithActorHttp</c> registers it as
/// <c>actor-http.ready</c>, tagged <see cref="ActorHttpHealth.ReadyTag"/>): healthy while the server is bound and its
/// listener answers, this node is an Up member when the actor system is clustered, and CoordinatedShutdown has not
/// started (from then on the node drains and load balancers should send traffic elsewhere).
/// </summary>
public sealed class ActorHttpReadinessCheck : IAkkaHealthCheck
{
    /// <summary>How long the listener may take to answer before the server counts as not accepting.</summary>
    private static readonly TimeSpan ListenerTimeout = TimeSpan.FromSeconds(5);

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(AkkaHealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var system = context.ActorSystem;
        var failure = context.Registration?.FailureStatus ?? HealthStatus.Unhealthy;
        if (CoordinatedShutdown.Get(system).ShutdownReason is { } reason)
            return new HealthCheckResult(failure, $"shutting down ({reason.GetType().Name})");
        var hosted = ActorHttpBinding.Get(system);
        if (hosted.Current is not { } binding) return new HealthCheckResult(failure, "not bound yet");
        if (hosted.Terminated) return new HealthCheckResult(failure, "the server has terminated");
        try
        {
            await binding.GetConnectionCountsAsync(ListenerTimeout).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AskTimeoutException or TimeoutException)
        {
            return new HealthCheckResult(failure, $"the listener of {binding.Url} does not answer");
        }
        if (ClusterHttp.UsesClusterProvider(system))
        {
            var self = ClusterHealthHandler.SelfMember(Akka.Cluster.Cluster.Get(system));
            if (!ClusterHealthHandler.IsUp(self))
                return new HealthCheckResult(failure, $"serving {binding.Url}, but this node is not Up in the cluster ({self?.Status.ToString() ?? "NotJoined"})");
        }
        return HealthCheckResult.Healthy($"serving {binding.Url}");
    }
}

/// <summary>
/// The probes of the hosted server: the health-check names and tags <c>WithActorHttp</c> registers, and the
/// <c>/health/ready</c> and <c>/health/live</c> routes that report the host's checks of each tag.
/// </summary>
public static class ActorHttpHealth
{
    /// <summary>The tag of readiness checks (as Akka.Cluster.Hosting's cluster readiness check uses).</summary>
    public const string ReadyTag = "ready";

    /// <summary>The tag of liveness checks (as Akka.Hosting's actor system liveness check uses).</summary>
    public const string LiveTag = "liveness";

    /// <summary>The name of <see cref="ActorHttpReadinessCheck"/>'s registration.</summary>
    public const string ReadinessCheckName = "actor-http.ready";

    /// <summary>The probe route that answers 200 while the actor system answers (as the HOCON nodes' <c>health</c> kind).</summary>
    public const string HealthPath = "/health";

    /// <summary>The probe route that reports the host's liveness checks.</summary>
    public const string LivePath = "/health/live";

    /// <summary>The probe route that reports the host's readiness checks.</summary>
    public const string ReadyPath = "/health/ready";

    /// <summary>Adds the probe routes <paramref name="routes"/> does not serve already.</summary>
    internal static Routes AddProbeRoutes(Routes routes)
    {
        var served = routes.Definitions.Select(d => d.Template.Template).ToHashSet(StringComparer.Ordinal);
        if (!served.Contains(HealthPath)) routes = routes.Map([HttpMethods.Get], HealthPath, HealthHandler.Props(), "health");
        if (!served.Contains(LivePath)) routes = routes.Map([HttpMethods.Get], LivePath, ProbeHandler.Props(LiveTag), "health-live");
        if (!served.Contains(ReadyPath)) routes = routes.Map([HttpMethods.Get], ReadyPath, ProbeHandler.Props(ReadyTag), "health-ready");
        return routes;
    }

    /// <summary>The checks a probe runs when the host has no HealthCheckService (no <c>AddHealthChecks()</c>): ActorHttp's own.</summary>
    internal static IAkkaHealthCheck OwnCheck(string tag) => tag == ReadyTag ? new ActorHttpReadinessCheck() : new ActorSystemLivenessCheck();
}

/// <summary>
/// Answers a probe route with the host's health checks of one tag: <c>200 {"status":"Healthy","checks":{...}}</c> while
/// none is unhealthy (degraded counts as serving, as in ASP.NET Core), else 503 with Retry-After. The host's
/// HealthCheckService runs them when there is one (<c>services.AddHealthChecks()</c>), so the probe also sees the
/// application's checks (a database, Akka's cluster join); without one, ActorHttp's own check of the tag is run.
/// </summary>
internal sealed class ProbeHandler : HttpHandlerActor
{
    private static readonly HttpHeader RetryAfter = new("Retry-After", "1");

    /// <summary>How long a probe waits for the checks: below the default response timeout, so the client gets the 503.</summary>
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    private readonly string _tag;

    public ProbeHandler(string tag) => _tag = tag;

    public static Props Props(string tag) => Akka.Actor.Props.Create(() => new ProbeHandler(tag));

    protected override void OnRequest(HttpRequest request) =>
        ProbeAsync(Context.System).PipeTo(Sender, Self, failure: e => Render(HealthStatus.Unhealthy, [("probe", HealthStatus.Unhealthy, e.Message)]));

    private async Task<HttpResponse> ProbeAsync(ActorSystem system)
    {
        using var timeout = new CancellationTokenSource(Limit);
        if (DependencyResolver.For(system).Resolver.GetService(typeof(HealthCheckService)) is HealthCheckService service)
        {
            var report = await service.CheckHealthAsync(r => r.Tags.Contains(_tag), timeout.Token).ConfigureAwait(false);
            return Render(report.Status, report.Entries.Select(e => (e.Key, e.Value.Status, e.Value.Description)));
        }
        var own = await ActorHttpHealth.OwnCheck(_tag).CheckHealthAsync(new AkkaHealthCheckContext(system), timeout.Token).ConfigureAwait(false);
        return Render(own.Status, [(_tag == ActorHttpHealth.ReadyTag ? ActorHttpHealth.ReadinessCheckName : "akka.actorsystem", own.Status, own.Description)]);
    }

    private static HttpResponse Render(HealthStatus status, IEnumerable<(string Name, HealthStatus Status, string? Description)> checks)
    {
        var serving = status != HealthStatus.Unhealthy;
        var response = JsonResponse.Write(json =>
        {
            json.WriteStartObject();
            json.WriteString("status", status.ToString());
            json.WriteStartObject("checks");
            foreach (var (name, checkStatus, description) in checks)
            {
                json.WriteStartObject(name);
                json.WriteString("status", checkStatus.ToString());
                if (description is not null) json.WriteString("description", description);
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }, serving ? StatusCodes.Ok : StatusCodes.ServiceUnavailable);
        return serving ? response : response with { Headers = [RetryAfter] };
    }
}
