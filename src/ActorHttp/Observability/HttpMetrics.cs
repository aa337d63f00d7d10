using System.Diagnostics.Metrics;
using ActorHttp.Protocol;

namespace ActorHttp.Observability;

/// <summary>
/// The server's instruments, on the <see cref="System.Diagnostics.Metrics.Meter"/> named <c>ActorHttp</c>
/// (watch live with <c>dotnet-counters monitor -n ActorHttp.Host --counters ActorHttp</c>). Recording costs next to
/// nothing while nobody listens.
/// </summary>
public static class HttpMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "ActorHttp";

    private static readonly Meter Meter = new(MeterName, "1.0");

    /// <summary>
    /// The <c>method</c> tag of a request whose method is not one of <see cref="HttpMethods.Standard"/>, as in the
    /// OpenTelemetry HTTP semantic conventions.
    /// </summary>
    public const string OtherMethod = "_OTHER";

    /// <summary>
    /// The <c>method</c> tag for <paramref name="method"/>: the interned standard method, <see cref="OtherMethod"/> for any
    /// other, <c>none</c> when there is no request (a parse error). Clients name methods freely and every tag value makes
    /// a series that exporters keep for good, so only these few values may reach a tag. Allocates nothing.
    /// </summary>
    public static string MethodTag(string? method) => method is null ? "none" : HttpMethods.Interned(method) ?? OtherMethod;

    /// <summary>Responses sent, by route, method (<see cref="MethodTag"/>) and status.</summary>
    public static readonly Counter<long> Requests = Meter.CreateCounter<long>("actorhttp.requests", "{request}", "Responses sent, by route, method and status");

    /// <summary>Time from a complete request to its rendered response, by route.</summary>
    public static readonly Histogram<double> RequestDuration = Meter.CreateHistogram<double>("actorhttp.request.duration", "s", "Time from a complete request to its rendered response");

    /// <summary>Connections open now.</summary>
    public static readonly UpDownCounter<long> ActiveConnections = Meter.CreateUpDownCounter<long>("actorhttp.connections.active", "{connection}", "Connections open now");

    /// <summary>Connections accepted since start.</summary>
    public static readonly Counter<long> Connections = Meter.CreateCounter<long>("actorhttp.connections", "{connection}", "Connections accepted");

    /// <summary>Bytes received from clients.</summary>
    public static readonly Counter<long> BytesReceived = Meter.CreateCounter<long>("actorhttp.bytes.received", "By", "Bytes received from clients");

    /// <summary>Bytes written to clients.</summary>
    public static readonly Counter<long> BytesSent = Meter.CreateCounter<long>("actorhttp.bytes.sent", "By", "Bytes written to clients");

    /// <summary>Requests rejected by the parser, by reason.</summary>
    public static readonly Counter<long> ParseErrors = Meter.CreateCounter<long>("actorhttp.parse.errors", "{error}", "Requests rejected by the parser, by reason");
}
