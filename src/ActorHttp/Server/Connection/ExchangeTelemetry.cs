using System.Diagnostics;
using System.Net;
using Akka.Event;
using ActorHttp.Observability;
using ActorHttp.Protocol;

namespace ActorHttp.Server.Connection;

/// <summary>
/// What a connection tells about its exchanges: the request's server span (<see cref="HttpTracing"/>),
/// <c>http.server.active_requests</c> and <c>http.server.request.duration</c> (<see cref="HttpMetrics"/>), and the
/// access log event. An exchange is begun when its request is dispatched, finished when its response's last byte is
/// rendered into the write (<see cref="ExchangeRenderer"/>), or abandoned when the connection drops it unanswered.
/// Each step checks first whether anyone listens: with no listener, no tracing and the access log off, a request
/// costs three flag checks here and allocates nothing.
/// </summary>
internal sealed class ExchangeTelemetry(ILoggingAdapter log, EndPoint remote, EndPoint? local, bool accessLog, TimeProvider clock)
{
    /// <summary>
    /// The access log event's message template. Named placeholders: Akka keeps them as the log event's properties
    /// (<c>LogEvent.TryGetProperties</c>), and Akka.Hosting's logger bridge hands them to Microsoft.Extensions.Logging
    /// as structured state.
    /// </summary>
    internal const string AccessLogTemplate = "{Remote} \"{Method} {Target} {Protocol}\" {Status} {Bytes} {DurationMs:F1}ms {TraceId}";

    /// <summary>The request of <paramref name="exchange"/> is dispatched: starts its span and counts it active. Returns the span's context for the handler.</summary>
    public ActivityContext Begin(ref Exchange exchange, HttpRequest request, string? route)
    {
        var activity = HttpTracing.StartServerSpan(request, route, local);
        exchange.Activity = activity;
        if (HttpMetrics.ActiveRequests.Enabled)
        {
            HttpMetrics.ActiveRequests.Add(1, HttpMetrics.ActiveRequestTags(HttpMetrics.MethodTag(request.Method)));
            exchange.CountedActive = true;
        }
        if (activity != null || accessLog || HttpMetrics.RequestDuration.Enabled) exchange.DispatchedAt = clock.GetTimestamp();
        return activity?.Context ?? default;
    }

    /// <summary>
    /// The response's last byte is rendered (<paramref name="brokenStream"/>: a streamed response broke after its head
    /// and is truncated): ends the span, records the duration, writes the access log event.
    /// </summary>
    public void Finish(ref Exchange exchange, int status, long now, string? brokenStream = null)
    {
        status = status is >= 200 and <= 599 ? status : StatusCodes.InternalServerError;
        var request = exchange.Request;
        var activity = exchange.Activity;
        var seconds = exchange.DispatchedAt != 0 ? clock.GetElapsedTime(exchange.DispatchedAt).TotalSeconds : (now - exchange.StartedAt) / 1000.0;
        if (request != null)
        {
            var method = HttpMetrics.MethodTag(request.Method);
            if (exchange.CountedActive) HttpMetrics.ActiveRequests.Add(-1, HttpMetrics.ActiveRequestTags(method));
            if (exchange.DispatchedAt != 0 && HttpMetrics.RequestDuration.Enabled)
                HttpMetrics.RequestDuration.Record(seconds, HttpMetrics.DurationTags(method, exchange.Route, status, request.Protocol));
        }
        exchange.CountedActive = false;
        exchange.Activity = null;
        if (accessLog && log.IsInfoEnabled) AccessLog(request, activity, status, exchange.ResponseBytes, seconds);
        if (activity != null) HttpTracing.EndServerSpan(activity, status, brokenStream is null ? null : "response_stream_broken");
    }

    /// <summary>The exchange is dropped unanswered (the connection closes): no longer active; its span ends in error.</summary>
    public void Abandon(ref Exchange exchange)
    {
        if (exchange.CountedActive) HttpMetrics.ActiveRequests.Add(-1, HttpMetrics.ActiveRequestTags(HttpMetrics.MethodTag(exchange.Request?.Method)));
        if (exchange.Activity is { } activity) HttpTracing.AbandonServerSpan(activity, "connection_closed");
        exchange.CountedActive = false;
        exchange.Activity = null;
    }

    /// <summary>
    /// One access log event at info level. While it is made, <see cref="Activity.Current"/> is the request's span, so the
    /// event carries its trace context too (Akka captures it in <c>LogEvent.ActivityContext</c>).
    /// </summary>
    private void AccessLog(HttpRequest? request, Activity? activity, int status, long bytes, double seconds)
    {
        var previous = Activity.Current;
        if (activity != null) Activity.Current = activity;
        try
        {
            log.Info(AccessLogTemplate, [
                remote,
                request?.Method ?? "-",
                request?.Target ?? "-",
                request is null ? "-" : request.Protocol == HttpProtocol.Http11 ? "HTTP/1.1" : "HTTP/1.0",
                status,
                bytes,
                seconds * 1000,
                activity?.TraceId.ToHexString() ?? "-",
            ]);
        }
        finally
        {
            if (activity != null) Activity.Current = previous;
        }
    }
}

/// <summary>
/// A listener's bound address, for the connection instruments' <c>server.address</c> and <c>server.port</c> tags (made
/// once per listener) and for spans of requests without a Host header.
/// </summary>
internal sealed class ListenerTelemetry(IPEndPoint local)
{
    /// <summary>The bound address.</summary>
    public IPEndPoint Local { get; } = local;

    /// <summary>The tags of the connection instruments.</summary>
    public KeyValuePair<string, object?>[] Tags { get; } =
        [new(SemanticTags.ServerAddress, local.Address.ToString()), new(SemanticTags.ServerPort, local.Port)];
}
