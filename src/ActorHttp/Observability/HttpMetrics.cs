using System.Diagnostics;
using System.Diagnostics.Metrics;
using ActorHttp.Protocol;

namespace ActorHttp.Observability;

/// <summary>
/// The server's instruments, on the <see cref="System.Diagnostics.Metrics.Meter"/> named <c>ActorHttp</c>
/// (watch live with <c>dotnet-counters monitor -n ActorHttp.Host --counters ActorHttp</c>). The request instruments
/// follow the OpenTelemetry HTTP semantic conventions (<c>http.server.*</c>, the names ASP.NET Core's Kestrel uses);
/// the connection instruments follow Kestrel's (<c>kestrel.*</c> there, <c>actorhttp.*</c> here). Recording costs a
/// flag check while nobody listens, and never allocates: tags are <see cref="TagList"/> structs of interned or
/// cached values.
/// </summary>
public static class HttpMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "ActorHttp";

    private static readonly Meter Meter = new(MeterName, "1.0");

    /// <summary>
    /// The <c>http.request.method</c> tag of a request whose method is not one of <see cref="HttpMethods.Standard"/>,
    /// as in the OpenTelemetry HTTP semantic conventions.
    /// </summary>
    public const string OtherMethod = "_OTHER";

    /// <summary>
    /// The <c>http.request.method</c> tag for <paramref name="method"/>: the interned standard method,
    /// <see cref="OtherMethod"/> for any other, <c>none</c> when there is no request. Clients name methods freely and
    /// every tag value makes a series that exporters keep for good, so only these few values may reach a tag.
    /// Allocates nothing.
    /// </summary>
    public static string MethodTag(string? method) => method is null ? "none" : HttpMethods.Interned(method) ?? OtherMethod;

    /// <summary>The bucket boundaries the semantic conventions recommend for <c>http.server.request.duration</c>, in seconds.</summary>
    public static IReadOnlyList<double> DurationBuckets { get; } = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

    /// <summary>
    /// <c>http.server.request.duration</c>: from the request's dispatch to its handler (its head parsed, and its body
    /// received unless it is streamed) to its response's last byte handed to the connection's write (a streamed
    /// response: its end), by <c>http.request.method</c>, <c>http.route</c> (absent when
    /// no route matched), <c>http.response.status_code</c>, <c>network.protocol.version</c> and <c>url.scheme</c>.
    /// Requests that were never answered (the connection closed first) are not recorded.
    /// </summary>
    public static readonly Histogram<double> RequestDuration = Meter.CreateHistogram<double>(
        "http.server.request.duration", "s", "Duration of HTTP server requests",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    /// <summary>
    /// <c>http.server.active_requests</c>: requests dispatched and not yet fully answered, by <c>http.request.method</c>
    /// and <c>url.scheme</c>.
    /// </summary>
    public static readonly UpDownCounter<long> ActiveRequests = Meter.CreateUpDownCounter<long>(
        "http.server.active_requests", "{request}", "Number of active HTTP server requests");

    /// <summary><c>actorhttp.active_connections</c>: connections open now, by <c>server.address</c> and <c>server.port</c> of the listener.</summary>
    public static readonly UpDownCounter<long> ActiveConnections = Meter.CreateUpDownCounter<long>(
        "actorhttp.active_connections", "{connection}", "Number of connections that are currently active on the server");

    /// <summary>
    /// <c>actorhttp.upgraded_connections</c>: connections upgraded to WebSockets and open now (they count in
    /// <c>actorhttp.active_connections</c> too), by <c>server.address</c> and <c>server.port</c>; as Kestrel's
    /// <c>kestrel.upgraded_connections</c>.
    /// </summary>
    public static readonly UpDownCounter<long> UpgradedConnections = Meter.CreateUpDownCounter<long>(
        "actorhttp.upgraded_connections", "{connection}", "Number of connections that are currently upgraded (WebSockets)");

    /// <summary>
    /// <c>actorhttp.connection.duration</c>: how long connections stayed open, by <c>server.address</c> and
    /// <c>server.port</c> of the listener.
    /// </summary>
    public static readonly Histogram<double> ConnectionDuration = Meter.CreateHistogram<double>(
        "actorhttp.connection.duration", "s", "The duration of connections on the server",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300] });

    /// <summary>
    /// <c>actorhttp.rejected_connections</c>: connections answered 503 and closed because <c>max-connections</c> were
    /// open, or because the server was shutting down, by <c>server.address</c> and <c>server.port</c>.
    /// </summary>
    public static readonly Counter<long> RejectedConnections = Meter.CreateCounter<long>(
        "actorhttp.rejected_connections", "{connection}", "Number of connections rejected by the server");

    /// <summary><c>actorhttp.bytes.received</c>: bytes received from clients.</summary>
    public static readonly Counter<long> BytesReceived = Meter.CreateCounter<long>("actorhttp.bytes.received", "By", "Bytes received from clients");

    /// <summary><c>actorhttp.bytes.sent</c>: bytes written to clients.</summary>
    public static readonly Counter<long> BytesSent = Meter.CreateCounter<long>("actorhttp.bytes.sent", "By", "Bytes written to clients");

    /// <summary><c>actorhttp.parse.errors</c>: requests rejected by the parser, by <c>reason</c>.</summary>
    public static readonly Counter<long> ParseErrors = Meter.CreateCounter<long>("actorhttp.parse.errors", "{error}", "Requests rejected by the parser, by reason");

    private static readonly object[] StatusCodes = Enumerable.Range(0, 600).Select(s => (object)s).ToArray(); // boxed once

    /// <summary>A status code boxed once for tags (codes outside 0–599 are boxed anew).</summary>
    internal static object StatusCodeTag(int status) => (uint)status < (uint)StatusCodes.Length ? StatusCodes[status] : status;

    /// <summary>The <c>network.protocol.version</c> tag.</summary>
    internal static string ProtocolVersion(HttpProtocol protocol) => protocol == HttpProtocol.Http11 ? "1.1" : "1.0";

    /// <summary>The tags of <see cref="RequestDuration"/>; a struct, nothing allocated.</summary>
    internal static TagList DurationTags(string method, string? route, int status, HttpProtocol protocol)
    {
        var tags = new TagList { { SemanticTags.HttpRequestMethod, method } };
        if (route != null) tags.Add(SemanticTags.HttpRoute, route);
        tags.Add(SemanticTags.HttpResponseStatusCode, StatusCodeTag(status));
        tags.Add(SemanticTags.NetworkProtocolVersion, ProtocolVersion(protocol));
        tags.Add(SemanticTags.UrlScheme, "http");
        return tags;
    }

    /// <summary>The tags of <see cref="ActiveRequests"/>.</summary>
    internal static TagList ActiveRequestTags(string method) => new()
    {
        { SemanticTags.HttpRequestMethod, method },
        { SemanticTags.UrlScheme, "http" },
    };
}

/// <summary>Attribute names of the OpenTelemetry semantic conventions used by the server's metrics and spans.</summary>
internal static class SemanticTags
{
    public const string HttpRequestMethod = "http.request.method";
    public const string HttpRequestMethodOriginal = "http.request.method_original";
    public const string HttpResponseStatusCode = "http.response.status_code";
    public const string HttpRoute = "http.route";
    public const string NetworkProtocolVersion = "network.protocol.version";
    public const string UrlScheme = "url.scheme";
    public const string UrlPath = "url.path";
    public const string UrlQuery = "url.query";
    public const string ServerAddress = "server.address";
    public const string ServerPort = "server.port";
    public const string ClientAddress = "client.address";
    public const string UserAgentOriginal = "user_agent.original";
    public const string ErrorType = "error.type";
}
