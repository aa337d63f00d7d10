using Akka.Actor;
using Akka.Configuration;
using ActorHttp.Handlers;
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

    private TestServer(ActorSystem system, ServerBinding binding)
    {
        System = system;
        Binding = binding;
    }

    public ActorSystem System { get; }
    public ServerBinding Binding { get; }
    public int Port => Binding.LocalAddress.Port;
    public Uri BaseUri => new($"http://127.0.0.1:{Port}");

    /// <summary>The routes every test server serves.</summary>
    public static Routes DefaultRoutes() => new Routes()
        .Get("/plaintext", TextHandler.Props(PlainText))
        .Map([HttpMethods.Get, HttpMethods.Post, HttpMethods.Put], "/echo", EchoHandler.Props())
        .Get("/health", HealthHandler.Props())
        .Get("/fragile/{mode}", Props.Create<FragileHandler>())
        .Get("/slow", Props.Create<SlowHandler>())
        .Get("/items/{id}", Props.Create<ItemsHandler>());

    /// <summary>Starts a server; <paramref name="configure"/> adjusts the settings (the port is always 0, loopback only).</summary>
    public static async Task<TestServer> StartAsync(Func<ServerSettings, ServerSettings>? configure = null, Routes? routes = null)
    {
        var system = ActorSystem.Create($"e2e-{Guid.NewGuid():N}", SystemConfig);
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
            var binding = await server.BindAsync(routes ?? DefaultRoutes(), settings).WaitAsync(TimeSpan.FromSeconds(20));
            Assert.NotEqual(0, binding.LocalAddress.Port);
            return new TestServer(system, binding);
        }
        catch
        {
            await system.Terminate().WaitAsync(TimeSpan.FromSeconds(10));
            throw;
        }
    }

    private int _terminated;

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
