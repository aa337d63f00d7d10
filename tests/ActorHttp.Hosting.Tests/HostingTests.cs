using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using ActorHttp.Handlers;
using ActorHttp.Protocol;
using ActorHttp.Routing;
using ActorHttp.Server;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit;

namespace ActorHttp.Hosting.Tests;

/// <summary>A Generic Host with an actor system (not clustered) serving WithActorHttp on a free port of 127.0.0.1.</summary>
public sealed class TestHost : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private TestHost(IHost host) => Host = host;

    public IHost Host { get; }
    public ActorSystem System => Host.Services.GetRequiredService<ActorSystem>();
    public ServerBinding Binding => ActorHttpBinding.For(System).Current!;
    public HttpClient Client { get; private set; } = null!;

    /// <summary>The host, built: not started.</summary>
    public static TestHost Build(Action<HostedRoutes> routes, IDictionary<string, string?>? configuration = null,
        Action<IServiceCollection>? services = null, Action<AkkaConfigurationBuilder>? akka = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ActorHttp:server:port"] = "0" });
        if (configuration != null) builder.Configuration.AddInMemoryCollection(configuration);
        services?.Invoke(builder.Services);
        builder.Services.AddAkka($"hosting-test", akkaBuilder =>
        {
            akkaBuilder.AddHocon("akka.coordinated-shutdown.run-by-clr-shutdown = off", HoconAddMode.Prepend);
            akka?.Invoke(akkaBuilder);
            akkaBuilder.WithActorHttp(routes, options => options.Configuration = builder.Configuration.GetSection("ActorHttp"));
        });
        return new TestHost(builder.Build());
    }

    public static async Task<TestHost> StartAsync(Action<HostedRoutes> routes, IDictionary<string, string?>? configuration = null,
        Action<IServiceCollection>? services = null, Action<AkkaConfigurationBuilder>? akka = null)
    {
        var host = Build(routes, configuration, services, akka);
        try
        {
            await host.Host.StartAsync().WaitAsync(Timeout);
            var binding = await ActorHttpBinding.For(host.System).GetAsync().WaitAsync(Timeout);
            host.Client = new HttpClient { BaseAddress = new Uri(binding.Url), Timeout = Timeout };
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        using var stopping = new CancellationTokenSource(Timeout);
        await Host.StopAsync(stopping.Token);
        Host.Dispose();
    }
}

/// <summary>Counts the calls of the handlers that take it from the container.</summary>
public sealed class CallCounter
{
    private int _calls;
    public int Calls => _calls;
    public int Add() => Interlocked.Increment(ref _calls);
}

/// <summary>A handler with a service and a fixed argument.</summary>
public sealed class CountingHandler(string label, CallCounter counter) : HttpHandlerActor
{
    protected override void OnRequest(HttpRequest request) => Respond(HttpResponse.Text($"{label} {counter.Add()}"));
}

/// <summary>A handler a configured route names, taking both its route's Config and a service.</summary>
public sealed class ConfiguredHandler(Config route, CallCounter counter) : HttpHandlerActor
{
    protected override void OnRequest(HttpRequest request) => Respond(HttpResponse.Text($"{route.GetString("greeting")} {counter.Add()}"));
}

/// <summary>An actor the application starts and registers itself (WithActors), then serves a route.</summary>
public sealed class RegisteredActor : ReceiveActor
{
    public RegisteredActor() => Receive<HttpRequest>(request => Sender.Tell(HttpResponse.Text($"registered {request.Path}")));
}

/// <summary>Holds its answer until the test opens the gate; tells the test when a request has arrived.</summary>
public sealed class GatedHandler(TaskCompletionSource arrived, Task gate) : HttpHandlerActor
{
    protected override void OnRequest(HttpRequest request)
    {
        var client = Sender;
        var self = Self;
        gate.ContinueWith(_ => client.Tell(HttpResponse.Text("released"), self), TaskScheduler.Default);
        arrived.TrySetResult();
    }
}

[Trait("Category", "Hosting")]
public sealed class HostingTests
{
    [Fact]
    public async Task Handlers_come_from_services_from_the_registry_and_from_type_names_in_configuration()
    {
        var counter = new CallCounter();
        await using var host = await TestHost.StartAsync(
            routes => routes
                .Get("/counted", Handler.FromServices<CountingHandler>("counted"))
                .Get("/pooled", Handler.FromServices<CountingHandler>("pooled").Pool(2))
                .Get("/registered", Handler.FromRegistry<RegisteredActor>())
                .Add(new Routes().Get("/plain", TextHandler.Props("plain"))),
            new Dictionary<string, string?>
            {
                ["ActorHttp:routes:configured:path"] = "/configured",
                ["ActorHttp:routes:configured:handler"] = typeof(ConfiguredHandler).AssemblyQualifiedName,
                ["ActorHttp:routes:configured:greeting"] = "hello from appsettings",
                ["ActorHttp:routes:configured:kind"] = "per-request",
            },
            services => services.AddSingleton(counter),
            akka => akka.WithActors((system, registry) => registry.Register<RegisteredActor>(system.ActorOf(Props.Create<RegisteredActor>(), "registered"))));

        Assert.Equal("counted 1", await host.Client.GetStringAsync("/counted"));
        Assert.Equal("pooled 2", await host.Client.GetStringAsync("/pooled"));
        Assert.Equal("hello from appsettings 3", await host.Client.GetStringAsync("/configured"));
        Assert.Equal("registered /registered", await host.Client.GetStringAsync("/registered"));
        Assert.Equal("plain", await host.Client.GetStringAsync("/plain"));
        Assert.Equal(3, counter.Calls);

        // Without AddHealthChecks the probe runs ActorHttp's own readiness check.
        var ready = await host.Client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Contains($"serving {host.Binding.Url}", await ready.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Stopping_the_host_drains_in_flight_requests_then_releases_the_port()
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var host = await TestHost.StartAsync(routes => routes.Get("/gated", Props.Create(() => new GatedHandler(arrived, gate.Task))));
        var port = host.Binding.LocalAddress.Port;
        var system = host.System;
        // The gate opens in the drain phase: after ActorHttp stopped accepting (service-unbind), beside its drain task
        // (which of the two runs first is not fixed, so whether the answer carries Connection: close is not either).
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceRequestsDone, "open-the-gate", () =>
        {
            gate.TrySetResult();
            return Task.FromResult(Akka.Done.Instance);
        });

        var inFlight = host.Client.GetAsync("/gated");
        await arrived.Task.WaitAsync(TestHost.Timeout);
        var stopping = host.Host.StopAsync(); // the host's shutdown runs CoordinatedShutdown

        var response = await inFlight.WaitAsync(TestHost.Timeout);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("released", await response.Content.ReadAsStringAsync());
        await stopping.WaitAsync(TestHost.Timeout);
        await host.DisposeAsync();

        await system.WhenTerminated.WaitAsync(TestHost.Timeout);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var refused = await Assert.ThrowsAsync<SocketException>(() => socket.ConnectAsync(IPAddress.Loopback, port).WaitAsync(TestHost.Timeout));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    [Fact]
    public async Task Readiness_turns_unhealthy_as_soon_as_shutdown_starts()
    {
        var host = await TestHost.StartAsync(routes => routes.Get("/plain", TextHandler.Props("plain")), services: s => s.AddHealthChecks());
        try
        {
            var health = host.Host.Services.GetRequiredService<HealthCheckService>();
            Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync(r => r.Tags.Contains(ActorHttpHealth.ReadyTag))).Status);

            var shutdown = CoordinatedShutdown.Get(host.System).Run(CoordinatedShutdown.ClrExitReason.Instance);
            var during = await new ActorHttpReadinessCheck().CheckHealthAsync(new AkkaHealthCheckContext(host.System));
            Assert.Equal(HealthStatus.Unhealthy, during.Status);
            Assert.StartsWith("shutting down", during.Description);
            await shutdown.WaitAsync(TestHost.Timeout);
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_bad_value_stops_the_host_with_an_error_naming_the_configuration_key()
    {
        var portError = await StartFailureAsync(new Dictionary<string, string?> { ["ActorHttp:Server:Port"] = "70000" });
        Assert.Contains("ActorHttp:Server:Port (actor-http.server.port) must be between 0 and 65535 (was 70000)", portError.Message);

        var timeoutError = await StartFailureAsync(new Dictionary<string, string?> { ["ActorHttp:Server:IdleTimeout"] = "soon" });
        Assert.Contains("ActorHttp:Server:IdleTimeout (actor-http.server.idle-timeout): invalid value 'soon'", timeoutError.Message);

        var routeError = await StartFailureAsync(new Dictionary<string, string?> { ["ActorHttp:Routes:broken:Path"] = "/broken" });
        Assert.Contains("ActorHttp:Routes:broken:handler (actor-http.routes.broken.handler) is missing", routeError.Message);
    }

    [Fact]
    public async Task A_sharded_route_without_a_cluster_stops_the_host_with_an_error()
    {
        var host = TestHost.Build(routes => routes.MapSharded([HttpMethods.Get], "/items/{id}", "items", Handler.FromServices<CountingHandler>("item")));
        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.Host.StartAsync().WaitAsync(TestHost.Timeout));
        Assert.Contains("route '/items/{id}' is sharded: the actor system needs the cluster provider (WithClustering)", error.Message);
        host.Host.Dispose();
    }

    private static async Task<ConfigurationException> StartFailureAsync(IDictionary<string, string?> configuration)
    {
        var host = TestHost.Build(routes => routes.Get("/plain", TextHandler.Props("plain")), configuration);
        try
        {
            var error = await Assert.ThrowsAnyAsync<Exception>(() => host.Host.StartAsync().WaitAsync(TestHost.Timeout));
            return Assert.IsType<ConfigurationException>(error);
        }
        finally
        {
            host.Host.Dispose();
        }
    }
}
