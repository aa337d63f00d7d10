using Akka.Actor;
using Akka.Configuration;

namespace ActorHttp.Server;

/// <summary>
/// The entry point: <c>HttpServer.Get(system).BindAsync(router)</c> binds a listener and returns its
/// <see cref="ServerBinding"/>. Loading the extension adds ActorHttp's reference.conf as a fallback of the system's config.
/// </summary>
public sealed class HttpServer : IExtension
{
    private readonly ExtendedActorSystem _system;
    private int _bindings;

    public HttpServer(ExtendedActorSystem system)
    {
        _system = system;
        system.Settings.InjectTopLevelFallback(DefaultConfig());
        Settings = ServerSettings.Create(system.Settings.Config);
    }

    /// <summary>The extension for <paramref name="system"/>.</summary>
    public static HttpServer Get(ActorSystem system) => system.WithExtension<HttpServer, HttpServerProvider>();

    /// <summary>ActorHttp's embedded reference.conf: every setting with its default.</summary>
    public static Config DefaultConfig() => ReferenceConfig.Value;

    /// <summary>The actor system this extension belongs to.</summary>
    public ActorSystem System => _system;

    /// <summary>The settings read from the system's <c>actor-http.server</c> section.</summary>
    public ServerSettings Settings { get; }

    /// <summary>
    /// Binds a listener that hands each request to <paramref name="router"/>'s choice of handler.
    /// Completes once the port is bound; fails with <see cref="BindFailedException"/> when it cannot be.
    /// </summary>
    public async Task<ServerBinding> BindAsync(IRequestRouter router, ServerSettings? settings = null)
    {
        settings ??= Settings;
        if (settings.ForwardedHeaders.Enabled) router = new ForwardedHeadersRouter(router, settings.ForwardedHeaders);
        var bound = new TaskCompletionSource<ServerBinding>(TaskCreationOptions.RunContinuationsAsynchronously);
        var id = Interlocked.Increment(ref _bindings);
        _system.ActorOf(HttpListenerActor.Props(settings, router, bound), $"http-listener-{id}");
        var binding = await bound.Task.ConfigureAwait(false);

        if (settings.CoordinatedShutdown)
        {
            var shutdown = Akka.Actor.CoordinatedShutdown.Get(_system);
            shutdown.AddTask(Akka.Actor.CoordinatedShutdown.PhaseServiceUnbind, $"http-unbind-{id}", async () =>
            {
                await binding.UnbindAsync().ConfigureAwait(false);
                return Akka.Done.Instance;
            });
            shutdown.AddTask(Akka.Actor.CoordinatedShutdown.PhaseServiceRequestsDone, $"http-drain-{id}", async () =>
            {
                await binding.TerminateAsync(settings.ShutdownDeadline).ConfigureAwait(false);
                return Akka.Done.Instance;
            });
        }
        return binding;
    }
}

/// <summary>Creates the <see cref="HttpServer"/> extension.</summary>
public sealed class HttpServerProvider : ExtensionIdProvider<HttpServer>
{
    public override HttpServer CreateExtension(ExtendedActorSystem system) => new(system);
}
