using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using ActorHttp.Handlers;
using ActorHttp.Observability;
using ActorHttp.Protocol;
using ActorHttp.Routing;
using ActorHttp.Tests.EndToEnd;
using Xunit;

namespace ActorHttp.Tests.Observability;

/// <summary>
/// The server's spans over real sockets: a W3C traceparent is continued, the span carries the HTTP semantic
/// conventions' attributes, handlers get its context (their own spans become its children), a declined sample costs the
/// handler nothing, and the access log event is structured and carries the trace id. Requests are told apart from the
/// traffic of tests running in parallel by their trace id.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class TracingTests
{
    private static readonly ActivitySource HandlerSource = new("ActorHttp.Tests.Handler");
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    /// <summary>Answers with the trace and span id its request carries, after starting a span of its own under it.</summary>
    private sealed class TraceEchoHandler : HttpHandlerActor
    {
        protected override void OnRequest(HttpRequest request)
        {
            using (var own = HandlerSource.StartActivity("load item", ActivityKind.Internal, request.TraceContext)) own?.SetTag("item", "42");
            Respond(HttpResponse.Text($"{request.TraceContext.TraceId.ToHexString()} {request.TraceContext.SpanId.ToHexString()}"));
        }
    }

    private static Routes TracingRoutes() => TestServer.DefaultRoutes().Get("/trace/{id}", Props.Create<TraceEchoHandler>());

    /// <summary>Records the spans of the traces it is told to watch; declines to sample those it is told to decline.</summary>
    private sealed class SpanCollector : IDisposable
    {
        private readonly ActivityListener _listener;
        private readonly ConcurrentDictionary<ActivityTraceId, ConcurrentQueue<Activity>> _spans = new();
        private readonly ConcurrentDictionary<ActivityTraceId, bool> _declined = new();
        private readonly SemaphoreSlim _stopped = new(0);

        public SpanCollector()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name is HttpTracing.SourceName || source == HandlerSource,
                Sample = (ref ActivityCreationOptions<ActivityContext> options) =>
                    _declined.ContainsKey(options.Parent.TraceId) ? ActivitySamplingResult.None : ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = activity =>
                {
                    if (!_spans.TryGetValue(activity.TraceId, out var spans)) return;
                    spans.Enqueue(activity);
                    _stopped.Release();
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        /// <summary>A new trace to watch (or to decline), and the traceparent header that starts it.</summary>
        public (ActivityTraceId TraceId, ActivitySpanId ClientSpan, string Header) NewTrace(bool decline = false)
        {
            var traceId = ActivityTraceId.CreateRandom();
            var spanId = ActivitySpanId.CreateRandom();
            _spans[traceId] = new ConcurrentQueue<Activity>();
            if (decline) _declined[traceId] = true;
            return (traceId, spanId, $"traceparent: 00-{traceId.ToHexString()}-{spanId.ToHexString()}-01\r\ntracestate: vendor=1\r\n");
        }

        /// <summary>Waits until <paramref name="count"/> spans of the trace have ended.</summary>
        public async Task<List<Activity>> SpansAsync(ActivityTraceId traceId, int count)
        {
            using var deadline = new CancellationTokenSource(Wait);
            while (_spans[traceId].Count < count) await _stopped.WaitAsync(deadline.Token);
            return [.. _spans[traceId]];
        }

        public int Count(ActivityTraceId traceId) => _spans[traceId].Count;

        public void Dispose() => _listener.Dispose();
    }

    [Fact]
    public async Task A_request_with_a_traceparent_gets_a_server_span_in_that_trace_with_the_semantic_attributes()
    {
        using var collector = new SpanCollector();
        await using var server = await TestServer.StartAsync(routes: TracingRoutes());
        var (traceId, clientSpan, header) = collector.NewTrace();

        using var connection = await RawHttpConnection.OpenAsync(server.Port);
        var response = await connection.RoundTripAsync(RawHttpConnection.Request("/items/42?x=1", extraHeaders: header + "User-Agent: tests/1.0\r\n"));
        Assert.Equal(200, response.Status);

        var span = Assert.Single(await collector.SpansAsync(traceId, 1));
        Assert.Equal(ActivityKind.Server, span.Kind);
        Assert.Equal("GET /items/{id}", span.DisplayName);
        Assert.Equal(clientSpan, span.ParentSpanId);
        Assert.True(span.HasRemoteParent);
        Assert.Equal("vendor=1", span.TraceStateString);
        Assert.Equal(ActivityStatusCode.Unset, span.Status);
        Assert.Equal("GET", span.GetTagItem("http.request.method"));
        Assert.Equal("/items/42", span.GetTagItem("url.path"));
        Assert.Equal("x=1", span.GetTagItem("url.query"));
        Assert.Equal("http", span.GetTagItem("url.scheme"));
        Assert.Equal("/items/{id}", span.GetTagItem("http.route"));
        Assert.Equal(200, span.GetTagItem("http.response.status_code"));
        Assert.Equal("1.1", span.GetTagItem("network.protocol.version"));
        Assert.Equal("127.0.0.1", span.GetTagItem("server.address")); // from the Host header RawHttpConnection sends
        Assert.Equal("127.0.0.1", span.GetTagItem("client.address"));
        Assert.Equal("tests/1.0", span.GetTagItem("user_agent.original"));
        Assert.Null(span.GetTagItem("http.request.method_original"));
    }

    [Fact]
    public async Task The_handler_gets_the_span_context_so_its_own_spans_are_children_of_the_server_span()
    {
        using var collector = new SpanCollector();
        await using var server = await TestServer.StartAsync(routes: TracingRoutes());
        var (traceId, _, header) = collector.NewTrace();

        using var connection = await RawHttpConnection.OpenAsync(server.Port);
        var response = await connection.RoundTripAsync(RawHttpConnection.Request("/trace/7", extraHeaders: header));
        Assert.Equal(200, response.Status);

        var spans = await collector.SpansAsync(traceId, 2);
        var serverSpan = Assert.Single(spans, s => s.Kind == ActivityKind.Server);
        var handlerSpan = Assert.Single(spans, s => s.Source == HandlerSource);
        Assert.Equal($"{traceId.ToHexString()} {serverSpan.SpanId.ToHexString()}", response.BodyText);
        Assert.Equal(serverSpan.SpanId, handlerSpan.ParentSpanId);
        Assert.Equal("load item", handlerSpan.DisplayName);
    }

    [Fact]
    public async Task Unknown_methods_and_server_errors_are_tagged_as_the_conventions_say()
    {
        using var collector = new SpanCollector();
        await using var server = await TestServer.StartAsync(routes: TracingRoutes());
        var (unknown, _, unknownHeader) = collector.NewTrace();
        var (failing, _, failingHeader) = collector.NewTrace();

        using var connection = await RawHttpConnection.OpenAsync(server.Port);
        Assert.Equal(501, (await connection.RoundTripAsync(RawHttpConnection.Request("/plaintext", "FROB", unknownHeader))).Status);
        Assert.Equal(500, (await connection.RoundTripAsync(RawHttpConnection.Request("/fragile/throw", extraHeaders: failingHeader))).Status);

        var other = Assert.Single(await collector.SpansAsync(unknown, 1));
        Assert.Equal("HTTP /plaintext", other.DisplayName);
        Assert.Equal("_OTHER", other.GetTagItem("http.request.method"));
        Assert.Equal("FROB", other.GetTagItem("http.request.method_original"));
        Assert.Equal(501, other.GetTagItem("http.response.status_code"));
        Assert.Equal(ActivityStatusCode.Error, other.Status);

        var error = Assert.Single(await collector.SpansAsync(failing, 1));
        Assert.Equal("GET /fragile/{mode}", error.DisplayName);
        Assert.Equal(500, error.GetTagItem("http.response.status_code"));
        Assert.Equal("500", error.GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Error, error.Status);
    }

    [Fact]
    public async Task A_span_the_sampler_declines_is_not_recorded_and_the_handler_gets_no_trace_context()
    {
        using var collector = new SpanCollector();
        await using var server = await TestServer.StartAsync(routes: TracingRoutes());
        var (declined, _, declinedHeader) = collector.NewTrace(decline: true);
        var (sampled, _, sampledHeader) = collector.NewTrace();

        using var connection = await RawHttpConnection.OpenAsync(server.Port);
        var response = await connection.RoundTripAsync(RawHttpConnection.Request("/trace/1", extraHeaders: declinedHeader));
        Assert.Equal($"{default(ActivityTraceId).ToHexString()} {default(ActivitySpanId).ToHexString()}", response.BodyText);
        // A request after it on the same connection is traced: once its spans are in, the declined one would have been too.
        Assert.Equal(200, (await connection.RoundTripAsync(RawHttpConnection.Request("/trace/2", extraHeaders: sampledHeader))).Status);
        await collector.SpansAsync(sampled, 2);
        Assert.Equal(0, collector.Count(declined));
    }

    [Fact]
    public async Task The_access_log_is_a_structured_event_with_the_trace_id()
    {
        using var collector = new SpanCollector();
        var config = ConfigurationFactory.ParseString("akka.loglevel = INFO");
        await using var server = await TestServer.StartAsync(settings => settings with { AccessLog = true }, TracingRoutes(), config: config);
        var events = new BlockingCollection<LogEvent>();
        var subscriber = server.System.ActorOf(Props.Create(() => new LogCollector(events)));
        server.System.EventStream.Subscribe(subscriber, typeof(Info));
        var (traceId, _, header) = collector.NewTrace();

        using var connection = await RawHttpConnection.OpenAsync(server.Port);
        var response = await connection.RoundTripAsync(RawHttpConnection.Request("/plaintext", extraHeaders: header));
        Assert.Equal(200, response.Status);

        LogEvent? access = null;
        using var deadline = new CancellationTokenSource(Wait);
        while (access is null)
        {
            var next = events.Take(deadline.Token);
            if (next.TryGetProperties(out var candidate) && candidate!.TryGetValue("TraceId", out var id) && Equals(id, traceId.ToHexString())) access = next;
        }
        Assert.True(access.TryGetProperties(out var found));
        var properties = found!;
        Assert.Equal("GET", properties["Method"]);
        Assert.Equal("/plaintext", properties["Target"]);
        Assert.Equal("HTTP/1.1", properties["Protocol"]);
        Assert.Equal(200, properties["Status"]);
        Assert.True((long)properties["Bytes"] > TestServer.PlainText.Length);
        Assert.IsType<double>(properties["DurationMs"]);
        Assert.StartsWith("127.0.0.1:", properties["Remote"].ToString());
        Assert.Equal("{Remote} \"{Method} {Target} {Protocol}\" {Status} {Bytes} {DurationMs:F1}ms {TraceId}", access.GetTemplate());
        Assert.Contains($"\"GET /plaintext HTTP/1.1\" 200 ", access.Message.ToString());
        // The event also carries the span's context, as Akka captures Activity.Current when it is made.
        Assert.Equal(traceId, access.ActivityContext?.TraceId);
    }

    [Fact]
    public void Recording_a_request_allocates_nothing_while_metrics_are_listened_to_and_nobody_traces()
    {
        // Runs in this class so that no span collector of these tests is listening meanwhile (the class's tests run in turn).
        using var meters = new System.Diagnostics.Metrics.MeterListener();
        meters.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == HttpMetrics.MeterName) l.EnableMeasurementEvents(instrument);
        };
        long measured = 0;
        meters.SetMeasurementEventCallback<double>((_, _, _, _) => measured++);
        meters.SetMeasurementEventCallback<long>((_, _, _, _) => measured++);
        meters.Start();

        var telemetry = new ActorHttp.Server.Connection.ExchangeTelemetry(Akka.Event.NoLogger.Instance,
            new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 5000), null, accessLog: false, TimeProvider.System);
        var request = new HttpRequest { Method = "GET", Target = "/items/1", Path = "/items/1" };
        void One()
        {
            var exchange = new ActorHttp.Server.Connection.Exchange { Request = request, Route = "/items/{id}", Protocol = HttpProtocol.Http11 };
            telemetry.Begin(ref exchange, request, exchange.Route);
            telemetry.Finish(ref exchange, 200, now: 0);
        }
        for (var i = 0; i < 100; i++) One(); // first series made by any exporter listening in this process
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++) One();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(measured >= 3 * 1100, $"{measured} measurements"); // active +1, duration, active -1
    }

    private sealed class LogCollector : ReceiveActor
    {
        public LogCollector(BlockingCollection<LogEvent> events) => Receive<LogEvent>(events.Add);
    }
}
