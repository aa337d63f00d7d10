using System.Diagnostics.Metrics;
using Akka.Actor;
using Akka.Configuration;
using ActorHttp.Handlers;
using ActorHttp.Observability;
using ActorHttp.Protocol;
using ActorHttp.Routing;
using ActorHttp.Server;
using Xunit;

namespace ActorHttp.Tests.EndToEnd;

/// <summary>
/// An in-process ActorHttp server on 127.0.0.1 with a random port, serving the routes the end-to-end tests use.
/// Dispose terminates the binding and the actor system.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    public const string PlainText = "Hello, World!";

    private static readonly Config SystemConfig = ConfigurationFactory.ParseString("""
        akka {
          loglevel = WARNING
          stdout-loglevel = WARNING
          log-dead-letters = 0
          log-dead-letters-during-shutdown = off
          coordinated-shutdown.run-by-clr-shutdown = off
        }
        """);

    private TestServer(ActorSystem system, ServerBinding binding, HandlerSignals signals)
    {
        System = system;
        Binding = binding;
        Signals = signals;
    }

    public ActorSystem System { get; }
    public ServerBinding Binding { get; }

    /// <summary>What the handlers of the default routes (and of test routes given the same instance) report to the test.</summary>
    public HandlerSignals Signals { get; }
    public int Port => Binding.LocalAddress.Port;
    public Uri BaseUri => new($"http://127.0.0.1:{Port}");

    /// <summary>The routes every test server serves; <c>/gated</c> reports to <paramref name="signals"/> (a fresh instance when null).</summary>
    public static Routes DefaultRoutes(HandlerSignals? signals = null) => new Routes()
        .Get("/plaintext", TextHandler.Props(PlainText))
        .Map([HttpMethods.Get, HttpMethods.Post, HttpMethods.Put], "/echo", EchoHandler.Props())
        .Get("/health", HealthHandler.Props())
        .Get("/fragile/{mode}", Props.Create<FragileHandler>())
        .Get("/slow", Props.Create<SlowHandler>())
        .Get("/gated", GatedProps(signals ?? new HandlerSignals()))
        .Get("/items/{id}", Props.Create<ItemsHandler>());

    private static Props GatedProps(HandlerSignals signals) => Props.Create(() => new GatedHandler(signals));

    /// <summary>
    /// Starts a server; <paramref name="configure"/> adjusts the settings (the port is always 0, loopback only).
    /// <paramref name="signals"/> is the instance the handlers report to (with custom routes, the one given to
    /// <see cref="DefaultRoutes"/> and the test's own handlers); it becomes <see cref="Signals"/>.
    /// <paramref name="clock"/>, when given, is the server's clock (<see cref="ServerSettings.Clock"/>: every connection
    /// deadline and the Date header): a test passes a <c>FakeTimeProvider</c> and advances it instead of waiting out a
    /// timeout, once the server has processed what it was sent (<see cref="ReceivedBytes.WaitUntilProcessedAsync"/>).
    /// <paramref name="config"/> comes before the test systems' own (e.g. to raise the log level).
    /// </summary>
    public static async Task<TestServer> StartAsync(Func<ServerSettings, ServerSettings>? configure = null, Routes? routes = null,
        HandlerSignals? signals = null, TimeProvider? clock = null, Config? config = null)
    {
        signals ??= new HandlerSignals();
        routes ??= DefaultRoutes(signals);
        var system = ActorSystem.Create($"e2e-{Guid.NewGuid():N}", config is null ? SystemConfig : config.WithFallback(SystemConfig));
        try
        {
            var server = HttpServer.Get(system);
            var settings = server.Settings with
            {
                Hostname = "127.0.0.1",
                Port = 0,
                CoordinatedShutdown = false,
                ShutdownDeadline = TimeSpan.FromSeconds(3),
            };
            if (configure != null) settings = configure(settings) with { Hostname = "127.0.0.1", Port = 0 };
            if (clock != null) settings = settings with { Clock = clock };
            var binding = await server.BindAsync(routes, settings).WaitAsync(TimeSpan.FromSeconds(20));
            Assert.NotEqual(0, binding.LocalAddress.Port);
            return new TestServer(system, binding, signals);
        }
        catch
        {
            await system.Terminate().WaitAsync(TimeSpan.FromSeconds(10));
            throw;
        }
    }

    private int _terminated;

    /// <summary>
    /// Call after <see cref="TerminateAsync"/>: completes once the listener has taken the termination in, i.e. has told
    /// every open connection to drain (a new connection is then answered 503, which is what this waits for). A handler
    /// answering after this answers a connection that already knows it is draining.
    /// </summary>
    public async Task WaitUntilTerminatingAsync()
    {
        // The termination was sent to the listener before this connection was opened, so the listener handles it first.
        using var probe = await RawHttpConnection.OpenAsync(Port);
        var response = await probe.ReadResponseAsync();
        Assert.True(response.Status == 503, $"a connection opened after TerminateAsync was answered {response}");
    }

    /// <summary>Starts counting the bytes this server's connections receive (and send) from now on (see <see cref="ReceivedBytes"/>).</summary>
    public ReceivedBytes CountReceivedBytes() => new(System.Name);

    /// <summary>
    /// Terminates the binding once. (A second <see cref="ServerBinding.TerminateAsync"/> on a stopped listener
    /// would wait for its ask timeout, deadline + 5 s, so Dispose does not repeat it.)
    /// </summary>
    public Task TerminateAsync(TimeSpan deadline) =>
        Interlocked.Exchange(ref _terminated, 1) == 0 ? Binding.TerminateAsync(deadline) : Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        try
        {
            await TerminateAsync(TimeSpan.FromSeconds(3)).WaitAsync(TimeSpan.FromSeconds(15));
        }
        catch (TimeoutException) { }
        finally
        {
            try { await System.Terminate().WaitAsync(TimeSpan.FromSeconds(15)); }
            catch (TimeoutException) { }
        }
    }
}

/// <summary>Serves <c>/fragile/{mode}</c>: throws for mode <c>throw</c>, otherwise answers <c>fine</c>.</summary>
public sealed class FragileHandler : HttpHandlerActor
{
    protected override void OnRequest(HttpRequest request)
    {
        if (request.RouteValues.TryGetValue("mode", out var mode) && mode == "throw")
            throw new InvalidOperationException("FragileHandler was told to throw (expected by the test)");
        Respond(HttpResponse.Text("fine"));
    }
}

/// <summary>
/// Serves <c>/slow?ms=N</c>: answers <c>slow N</c> after N milliseconds (default 200, at most 5000), without
/// blocking a thread: the reply is scheduled.
/// </summary>
public sealed class SlowHandler : HttpHandlerActor
{
    protected override void OnRequest(HttpRequest request)
    {
        var ms = 200;
        foreach (var part in request.Query.Split('&', StringSplitOptions.RemoveEmptyEntries))
            if (part.StartsWith("ms=", StringComparison.Ordinal) && int.TryParse(part.AsSpan(3), out var parsed))
                ms = Math.Clamp(parsed, 0, 5000);
        Context.System.Scheduler.ScheduleTellOnce(TimeSpan.FromMilliseconds(ms), Sender, HttpResponse.Text($"slow {ms}"), Self);
    }
}

/// <summary>
/// Serves <c>/gated?id=X[&amp;ms=N]</c>: records the request in <see cref="HandlerSignals"/> (under <c>/gated</c>), holds
/// its answer until the test opens the gate, then answers <c>gated X</c> (N milliseconds later when <c>ms</c> is given).
/// A request in flight for exactly as long as the test needs, instead of a <c>/slow</c> that must outlast whatever the
/// test does meanwhile.
/// </summary>
public sealed class GatedHandler(HandlerSignals signals) : HttpHandlerActor
{
    protected override void OnRequest(HttpRequest request)
    {
        string id = "", ms = "0";
        foreach (var part in request.Query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.StartsWith("id=", StringComparison.Ordinal)) id = part[3..];
            else if (part.StartsWith("ms=", StringComparison.Ordinal)) ms = part[3..];
        }
        var delay = TimeSpan.FromMilliseconds(Math.Clamp(int.Parse(ms), 0, 5000));
        var client = Sender;
        var self = Self;
        var scheduler = Context.System.Scheduler;
        signals.Gate.ContinueWith(_ => scheduler.ScheduleTellOnce(delay, client, HttpResponse.Text($"gated {id}"), self),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        signals.Record(request.Path);
    }
}

/// <summary>
/// What a test server's handlers report to their test, one instance per server: the requests that reached a handler,
/// counted by key (usually the request's path; handlers call <see cref="Record"/>), which a test awaits with
/// <see cref="WaitForAsync"/> instead of sleeping "long enough for the request to reach its handler"; and the gate that
/// <see cref="GatedHandler"/> holds its answers behind until the test calls <see cref="OpenGate"/>. Thread-safe.
/// </summary>
public sealed class HandlerSignals
{
    /// <summary>How long <see cref="WaitForAsync"/> waits by default: generous, for a busy machine; only a failure waits that long.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly object _lock = new();
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly List<(string Key, int Count, TaskCompletionSource Signal)> _waiters = [];
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the test opens the gate.</summary>
    public Task Gate => _gate.Task;

    /// <summary>Lets the answers held behind the gate go (those held now and any later).</summary>
    public void OpenGate() => _gate.TrySetResult();

    /// <summary>Counts one arrival under <paramref name="key"/> and wakes the waiters it satisfies.</summary>
    public void Record(string key)
    {
        List<TaskCompletionSource>? ready = null;
        lock (_lock)
        {
            var count = _counts[key] = _counts.GetValueOrDefault(key) + 1;
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Key != key || _waiters[i].Count > count) continue;
                (ready ??= []).Add(_waiters[i].Signal);
                _waiters.RemoveAt(i);
            }
        }
        if (ready != null)
            foreach (var signal in ready) signal.TrySetResult();
    }

    /// <summary>The arrivals counted under <paramref name="key"/> so far.</summary>
    public int Count(string key)
    {
        lock (_lock) return _counts.GetValueOrDefault(key);
    }

    /// <summary>
    /// Completes once <paramref name="count"/> arrivals have been counted under <paramref name="key"/>; throws a
    /// <see cref="TimeoutException"/> saying how many came if that takes longer than <paramref name="timeout"/>.
    /// </summary>
    public async Task WaitForAsync(string key, int count = 1, TimeSpan? timeout = null)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (_counts.GetValueOrDefault(key) >= count) return;
            _waiters.Add((key, count, signal));
        }
        var wait = timeout ?? DefaultTimeout;
        try
        {
            await signal.Task.WaitAsync(wait);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Count(key)} of {count} arrivals at '{key}' within {wait}");
        }
    }
}

/// <summary>
/// The bytes one server's connections have received from clients since this was made: what they record on
/// <see cref="HttpMetrics.BytesReceived"/> as they read, told apart from other servers in the process (tests run in
/// parallel) by the actor system of the actor recording it. A connection records what it reads in the step that parses
/// it, so once the count includes a request, anything the connection is sent afterwards is handled after that request's
/// bytes are in. A connection records only while it still reads requests: after an error response, a timeout or a
/// close, what it is sent is drained unread and uncounted, so bytes that are counted show that it still reads.
/// <para>
/// Also counted: the bytes these connections write (<see cref="Sent"/>, <see cref="HttpMetrics.BytesSent"/>, recorded
/// in the step that hands the write to the transport), and which connection actors recorded, so that
/// <see cref="SettleAsync"/> can wait until they have finished the step that recorded. Dispose to stop counting.
/// </para>
/// </summary>
public sealed class ReceivedBytes : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly object _lock = new();
    private readonly List<(long Bytes, TaskCompletionSource Signal)> _waiters = [];
    private readonly HashSet<IActorRef> _connections = [];
    private long _total, _sent;
    private const string BytesReceivedName = "actorhttp.bytes.received";
    private const string BytesSentName = "actorhttp.bytes.sent";

    internal ReceivedBytes(string systemName)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            // By name: this may run inside HttpMetrics' static initializer, when its fields are still null.
            if (instrument.Meter.Name == HttpMetrics.MeterName && instrument.Name is BytesReceivedName or BytesSentName)
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            // Called on the recording thread: inside the connection actor that read (or wrote) the bytes.
            if (ActorCell.GetCurrentSelfOrNoSender() is { } self && self.Path.Address.System == systemName)
            {
                if (instrument.Name == BytesReceivedName) Add(value, self);
                else AddSent(value, self);
            }
        });
        _listener.Start();
    }

    /// <summary>The bytes counted so far.</summary>
    public long Total
    {
        get { lock (_lock) return _total; }
    }

    /// <summary>The bytes the connections have handed to the transport to write so far.</summary>
    public long Sent
    {
        get { lock (_lock) return _sent; }
    }

    private void AddSent(long bytes, IActorRef connection)
    {
        lock (_lock)
        {
            _sent += bytes;
            _connections.Add(connection);
        }
    }

    private void Add(long bytes, IActorRef connection)
    {
        List<TaskCompletionSource>? ready = null;
        lock (_lock)
        {
            _total += bytes;
            _connections.Add(connection);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Bytes > _total) continue;
                (ready ??= []).Add(_waiters[i].Signal);
                _waiters.RemoveAt(i);
            }
        }
        if (ready != null)
            foreach (var signal in ready) signal.TrySetResult();
    }

    /// <summary>Completes once at least <paramref name="bytes"/> have been counted; throws a <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public async Task WaitForAsync(long bytes, TimeSpan? timeout = null)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (_total >= bytes) return;
            _waiters.Add((bytes, signal));
        }
        var wait = timeout ?? HandlerSignals.DefaultTimeout;
        try
        {
            await signal.Task.WaitAsync(wait);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"the server received {Total} of {bytes} bytes within {wait} and wrote {Sent} " +
                                       "(a connection that has answered an error or timed out no longer reads)");
        }
    }

    /// <summary>
    /// Completes once every connection that has recorded bytes here has finished handling all it had been sent before
    /// this call: two <see cref="Identify"/> round trips to each, which its mailbox delivers in order with everything
    /// else (the second covers a message a connection sent itself in the first turn, such as a deferred write). A
    /// connection reads its clock only while it handles a message, so after this, the deadlines it has set from what it
    /// had received are set, and its timer is armed for them: a fake clock may be advanced. A stopped connection answers
    /// from the dead letters at once.
    /// </summary>
    public async Task SettleAsync(TimeSpan? timeout = null)
    {
        IActorRef[] connections;
        lock (_lock) connections = [.. _connections];
        var wait = timeout ?? HandlerSignals.DefaultTimeout;
        for (var round = 0; round < 2; round++)
            await Task.WhenAll(connections.Select(c => c.Ask<ActorIdentity>(new Identify(round), wait)));
    }

    /// <summary>
    /// <see cref="WaitForAsync"/> then <see cref="SettleAsync"/>: the connections have received and processed at least
    /// <paramref name="bytes"/>, with the clock as it is now; advancing a fake clock afterwards cannot be lost.
    /// </summary>
    public async Task WaitUntilProcessedAsync(long bytes, TimeSpan? timeout = null)
    {
        await WaitForAsync(bytes, timeout);
        await SettleAsync(timeout);
    }

    public void Dispose() => _listener.Dispose();
}

/// <summary>Serves <c>/items/{id}</c>: answers the decoded route value.</summary>
public sealed class ItemsHandler : HttpHandlerActor
{
    protected override void OnRequest(HttpRequest request) => Respond(HttpResponse.Text(request.RouteValues["id"]));
}

/// <summary>xunit class fixture: one shared <see cref="TestServer"/> and a pooled HttpClient for it.</summary>
public sealed class EndToEndFixture : IAsyncLifetime
{
    public TestServer Server { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await TestServer.StartAsync();
        Client = HttpClients.Create(Server.BaseUri);
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (Server != null) await Server.DisposeAsync();
    }
}

public static class HttpClients
{
    /// <summary>A pooled client on 127.0.0.1 without proxy; <paramref name="onConnect"/> runs for every new TCP connection.</summary>
    public static HttpClient Create(Uri baseUri, Action? onConnect = null)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            MaxConnectionsPerServer = 16,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            ConnectCallback = async (context, ct) =>
            {
                onConnect?.Invoke();
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork,
                    System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, context.DnsEndPoint.Port), ct);
                    return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(20) };
    }
}
