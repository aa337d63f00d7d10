using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Configuration;
using ActorHttp.Cluster;
using ActorHttp.Cluster.Persistence;
using ActorHttp.Host;
using ActorHttp.Observability;
using ActorHttp.Routing;
using ActorHttp.Server;

// The standalone ActorHttp node: an actor system configured entirely in HOCON, serving the configured routes.
var configOption = new Option<string?>("--config", "-c") { Description = "HOCON config file of the node (e.g. hocon/standalone.conf)" };
var portOption = new Option<int?>("--port", "-p") { Description = "HTTP port; overrides actor-http.server.port" };
var setOption = new Option<string[]>("--set") { Description = "Override one config value: --set path=value (repeatable)", AllowMultipleArgumentsPerToken = false };
var root = new RootCommand("ActorHttp standalone node: an HTTP/1.1 server on Akka.NET, configured in HOCON")
{
    configOption, portOption, setOption,
};
root.SetAction((parse, _) => Node.RunAsync(parse.GetValue(configOption), parse.GetValue(portOption), parse.GetValue(setOption) ?? []));
return await root.Parse(args).InvokeAsync();

internal static class Node
{
    public static async Task<int> RunAsync(string? configPath, int? port, string[] overrides)
    {
        Config config;
        ServerSettings settings;
        Routes routes;
        try
        {
            if (port is < 0 or > 65535) throw new ConfigurationException($"--port must be between 0 and 65535 (was {port})");
            config = NodeConfig.Load(configPath, port, overrides);
            settings = ServerSettings.Create(config);
            ClusterRouteHandlers.ValidateNodeConfig(config);
            routes = RouteConfig.Load(config, ClusterRouteHandlers.Create(config));
        }
        catch (ConfigurationException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }

        // Probe the address first: a clear one-line error beats Akka.IO's logged stack trace for the common mistake.
        if (AddressProbe.CannotBind(settings) is { } reason)
        {
            Console.Error.WriteLine($"error: cannot listen on http://{settings.Hostname}:{settings.Port}: {reason}");
            return 3;
        }
        if (ClusterHttp.UsesClusterProvider(config) && config.GetInt("akka.remote.dot-netty.tcp.port", 0) is var remotePort and > 0
            && AddressProbe.CannotBind(settings with { Hostname = config.GetString("akka.remote.dot-netty.tcp.hostname", "127.0.0.1"), Port = remotePort }) is { } remoteReason)
        {
            Console.Error.WriteLine($"error: cannot start remoting on {config.GetString("akka.remote.dot-netty.tcp.hostname")}:{remotePort}: {remoteReason}");
            return 3;
        }

        ActorSystem system;
        try
        {
            // A store that cannot be opened (an unwritable SQLite path) is a configuration error before anything starts,
            // not a 500 at the first request of a durable entity.
            if (ClusterHttp.UsesClusterProvider(config) && RouteConfigQueries.ServesShardedRoutes(config)) DurableStore.Prepare(config);
            var setup = Akka.Actor.BootstrapSetup.Create().WithConfig(config);
            var name = config.GetString("actor-http.system-name", "actor-http");
            system = ClusterHttp.UsesClusterProvider(config) && DurableStore.ConnectionSetup(config) is { } store
                ? ActorSystem.Create(name, setup.And(store))
                : ActorSystem.Create(name, setup);
            if (ClusterHttp.UsesClusterProvider(config)) ClusterHttp.Get(system); // joins the seed nodes (or itself), warns while not Up
        }
        catch (Exception e) when (StartupFailure.Describe(e) is var (message, code))
        {
            Console.Error.WriteLine($"error: {message}");
            return code;
        }
        ServerBinding binding;
        try
        {
            binding = await HttpServer.Get(system).BindAsync(routes, settings);
        }
        catch (Exception e) when (e is BindFailedException or ConfigurationException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            await system.Terminate();
            return e is BindFailedException ? 3 : 2;
        }

        using var traceAll = TraceAll(config);

        // Ctrl+C and SIGTERM run CoordinatedShutdown: unbind, let in-flight requests finish, terminate.
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Shutdown);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Shutdown);
        Console.WriteLine($"listening on {binding.Url}");
        await system.WhenTerminated;
        return 0;

        void Shutdown(PosixSignalContext context)
        {
            context.Cancel = true;
            _ = CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClrExitReason.Instance);
        }
    }

    /// <summary>
    /// <c>actor-http.diagnostics.trace-all = on</c>: a listener that samples every span of the ActorHttp source with
    /// all its data, and drops it (tracing's cost without an exporter). Null when off.
    /// </summary>
    private static ActivityListener? TraceAll(Config config)
    {
        if (!config.GetBoolean("actor-http.diagnostics.trace-all")) return null;
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == HttpTracing.SourceName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        Console.WriteLine("tracing: every span of the ActorHttp source is sampled (actor-http.diagnostics.trace-all)");
        return listener;
    }
}

internal static class RouteConfigQueries
{
    /// <summary>Whether any route of <c>actor-http.routes</c> is a sharded one (<c>handler = sharded</c>).</summary>
    public static bool ServesShardedRoutes(Config config)
    {
        if (!config.HasPath("actor-http.routes")) return false;
        var routes = config.GetConfig("actor-http.routes");
        return routes.Root.GetObject().Items.Keys.Any(name =>
            routes.GetConfig(name) is { } route && route.GetString("handler", "") == "sharded");
    }
}

internal static class StartupFailure
{
    /// <summary>
    /// One line and an exit code for an actor system that failed to start (the innermost exception says why):
    /// 3 when an address cannot be bound, else 2.
    /// </summary>
    public static (string Message, int Code) Describe(Exception e)
    {
        var innermost = e;
        while (innermost.InnerException != null) innermost = innermost.InnerException;
        return ($"cannot start the actor system: {innermost.Message.Split('\n')[0].Trim()}", innermost is System.Net.Sockets.SocketException ? 3 : 2);
    }
}
