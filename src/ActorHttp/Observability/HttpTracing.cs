using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using ActorHttp.Protocol;

namespace ActorHttp.Observability;

/// <summary>
/// The server's spans, on the <see cref="ActivitySource"/> named <c>ActorHttp</c>: one <see cref="ActivityKind.Server"/>
/// span per request, a child of the client's W3C <c>traceparent</c> (and <c>tracestate</c>) when it sent one, read with
/// <see cref="DistributedContextPropagator.Current"/>. Its name is <c>{method} {route}</c> (<c>HTTP</c> for a
/// non-standard method, the method alone when no route matched) and its attributes follow the OpenTelemetry HTTP
/// semantic conventions. It starts when the request is dispatched and ends when its response's last byte is handed to
/// the connection's write (a streamed response: its end), not when the kernel acknowledges the write: the same
/// moment <c>http.server.request.duration</c> is measured to, and a write carries the responses of several pipelined
/// requests. A 5xx status, or a request the connection closed before answering, sets the error status.
/// <para>
/// Handlers receive the span's context as <see cref="HttpRequest.TraceContext"/> (actors run on other threads, so
/// <see cref="Activity.Current"/> does not reach them): start child spans with
/// <c>source.StartActivity(name, kind, request.TraceContext)</c>. Sharded requests carry it to the entity's node,
/// whose entity host starts a child span there (<c>entity {type}</c>).
/// </para>
/// <para>
/// With no listener on the source (no OpenTelemetry tracer provider naming it, no <see cref="ActivityListener"/>) none
/// of this runs: one flag check per request, no header read, no allocation.
/// </para>
/// </summary>
public static class HttpTracing
{
    /// <summary>The activity source's name: <c>.AddSource(HttpTracing.SourceName)</c> in OpenTelemetry.</summary>
    public const string SourceName = "ActorHttp";

    /// <summary>The source of the server's spans (and of the cluster's entity spans).</summary>
    internal static readonly ActivitySource Source = new(SourceName, "1.0");

    private static readonly ConcurrentDictionary<(string Method, string Route), string> Names = new();

    /// <summary>
    /// Starts the server span of <paramref name="request"/>, matched to <paramref name="route"/> (null: none), or returns
    /// null when nobody listens or the sampler declines. Leaves <see cref="Activity.Current"/> as it was: the span
    /// outlives this message.
    /// </summary>
    internal static Activity? StartServerSpan(HttpRequest request, string? route, EndPoint? local)
    {
        if (!Source.HasListeners()) return null;
        var parent = default(ActivityContext);
        DistributedContextPropagator.Current.ExtractTraceIdAndState(request.Headers, ReadHeader, out var traceParent, out var traceState);
        if (traceParent != null) ActivityContext.TryParse(traceParent, traceState, isRemote: true, out parent);

        var method = HttpMetrics.MethodTag(request.Method);
        var activity = StartDetached(SpanName(method, route), ActivityKind.Server, parent);
        if (activity is null || !activity.IsAllDataRequested) return activity;

        activity.SetTag(SemanticTags.HttpRequestMethod, method);
        if (ReferenceEquals(method, HttpMetrics.OtherMethod)) activity.SetTag(SemanticTags.HttpRequestMethodOriginal, request.Method);
        activity.SetTag(SemanticTags.UrlScheme, "http");
        activity.SetTag(SemanticTags.UrlPath, request.Path);
        if (request.Query.Length > 0) activity.SetTag(SemanticTags.UrlQuery, request.Query);
        if (route != null) activity.SetTag(SemanticTags.HttpRoute, route);
        activity.SetTag(SemanticTags.NetworkProtocolVersion, HttpMetrics.ProtocolVersion(request.Protocol));
        SetServerAddress(activity, request.Headers["Host"], local);
        switch (request.RemoteAddress)
        {
            case IPEndPoint ip:
                activity.SetTag(SemanticTags.ClientAddress, ip.Address.ToString());
                break;
            case DnsEndPoint dns:
                activity.SetTag(SemanticTags.ClientAddress, dns.Host);
                break;
        }
        if (request.Headers["User-Agent"] is { } agent) activity.SetTag(SemanticTags.UserAgentOriginal, agent);
        return activity;
    }

    /// <summary>Ends a server span with its response's status; a 5xx, or an <paramref name="errorType"/>, makes it an error.</summary>
    internal static void EndServerSpan(Activity activity, int status, string? errorType = null)
    {
        if (activity.IsAllDataRequested)
        {
            activity.SetTag(SemanticTags.HttpResponseStatusCode, HttpMetrics.StatusCodeTag(status));
            if (errorType != null || status >= 500)
            {
                activity.SetTag(SemanticTags.ErrorType, errorType ?? status.ToString(CultureInfo.InvariantCulture));
                activity.SetStatus(ActivityStatusCode.Error);
            }
        }
        Stop(activity);
    }

    /// <summary>Ends a server span whose request got no response: <paramref name="errorType"/> says why.</summary>
    internal static void AbandonServerSpan(Activity activity, string errorType)
    {
        if (activity.IsAllDataRequested) activity.SetTag(SemanticTags.ErrorType, errorType);
        activity.SetStatus(ActivityStatusCode.Error, "no response was sent");
        Stop(activity);
    }

    /// <summary>
    /// Stops a span that may not be this thread's <see cref="Activity.Current"/> (it was started in another message,
    /// maybe on another thread): <see cref="Activity.Stop"/> would set <see cref="Activity.Current"/> to what was current
    /// when the span started, so the caller's own current span is put back.
    /// </summary>
    internal static void Stop(Activity activity)
    {
        var current = Activity.Current;
        activity.Stop();
        if (!ReferenceEquals(current, activity) && !ReferenceEquals(Activity.Current, current)) Activity.Current = current;
    }

    /// <summary>
    /// Starts a span on the <c>ActorHttp</c> source without making it <see cref="Activity.Current"/> (it ends in a later
    /// message, maybe on another thread); null when nobody listens or the sampler declines.
    /// </summary>
    internal static Activity? StartDetached(string name, ActivityKind kind, ActivityContext parent)
    {
        var previous = Activity.Current;
        var activity = Source.StartActivity(name, kind, parent);
        if (activity != null) Activity.Current = previous;
        return activity;
    }

    /// <summary><c>{method} {route}</c>, <c>HTTP {route}</c> for a non-standard method, the method alone without a route; made once per pair.</summary>
    internal static string SpanName(string methodTag, string? route)
    {
        var method = ReferenceEquals(methodTag, HttpMetrics.OtherMethod) ? "HTTP" : methodTag;
        if (route is null) return method;
        return Names.TryGetValue((method, route), out var name) ? name : Names.GetOrAdd((method, route), static k => $"{k.Method} {k.Route}");
    }

    /// <summary>server.address and server.port from the Host header (as the conventions prefer), else the local endpoint.</summary>
    private static void SetServerAddress(Activity activity, string? host, EndPoint? local)
    {
        if (!string.IsNullOrEmpty(host))
        {
            var portStart = host.StartsWith('[') ? host.IndexOf("]:", StringComparison.Ordinal) + 1 : host.LastIndexOf(':');
            if (portStart > 0 && int.TryParse(host.AsSpan(portStart + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
            {
                activity.SetTag(SemanticTags.ServerAddress, host[..portStart]);
                activity.SetTag(SemanticTags.ServerPort, port);
            }
            else
            {
                activity.SetTag(SemanticTags.ServerAddress, host);
                activity.SetTag(SemanticTags.ServerPort, 80);
            }
            return;
        }
        if (local is IPEndPoint ip)
        {
            activity.SetTag(SemanticTags.ServerAddress, ip.Address.ToString());
            activity.SetTag(SemanticTags.ServerPort, ip.Port);
        }
    }

    /// <summary>The propagator's getter: header values by name from <see cref="HttpHeaders"/>.</summary>
    private static readonly DistributedContextPropagator.PropagatorGetterCallback ReadHeader =
        static (object? carrier, string name, out string? value, out IEnumerable<string>? values) =>
        {
            values = null;
            value = ((HttpHeaders)carrier!)[name];
        };
}
