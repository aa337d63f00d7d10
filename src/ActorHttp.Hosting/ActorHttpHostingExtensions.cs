using System.Runtime.CompilerServices;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Hosting;
using ActorHttp.Cluster;
using ActorHttp.Cluster.Sharding;
using ActorHttp.Routing;
using ActorHttp.Server;
using Microsoft.Extensions.Configuration;

namespace ActorHttp.Hosting;

/// <summary>How <c>WithActorHttp</c> reads its settings.</summary>
public sealed class ActorHttpOptions
{
    /// <summary>
    /// A configuration section with the keys of the HOCON <c>actor-http</c> block (<c>server</c>, <c>routes</c>,
    /// <c>cluster</c>, <c>hosting</c>), e.g. <c>builder.Configuration.GetSection("ActorHttp")</c>: appsettings.json and
    /// environment variables such as <c>ActorHttp__server__port=8080</c>. It takes precedence over the actor system's
    /// HOCON; a bad value stops the host at start with an error naming the configuration key. Null: HOCON only.
    /// </summary>
    public IConfiguration? Configuration { get; set; }

    /// <summary>
    /// Changes the server settings read from the configuration, last, e.g. <c>s =&gt; s with { Port = 0 }</c>.
    /// </summary>
    public Func<ServerSettings, ServerSettings>? Server { get; set; }
}

/// <summary>ActorHttp in an Akka.Hosting application: <c>services.AddAkka("name", akka =&gt; akka.WithActorHttp(...))</c>.</summary>
public static class ActorHttpHostingExtensions
{
    private static readonly Lazy<Config> Reference = new(() =>
        ConfigurationFactory.FromResource<ActorHttpBinding>("ActorHttp.Hosting.reference.conf"));

    private static readonly Config ClusterProvider = ConfigurationFactory.ParseString("akka.actor.provider = cluster");

    /// <summary>The builders WithActorHttp has been called on: one hosted server per actor system.</summary>
    private static readonly ConditionalWeakTable<AkkaConfigurationBuilder, object> Configured = new();

    /// <summary>
    /// Serves HTTP from this actor system. When the system has started (after the actors of <c>WithActors</c>, as an
    /// Akka.Hosting startup task) it reads the server settings and the <c>actor-http.routes</c> of its configuration
    /// (HOCON and <see cref="ActorHttpOptions.Configuration"/>), adds the <paramref name="routes"/> declared in code and the
    /// probe routes, and binds. The host's shutdown unbinds and drains the server through CoordinatedShutdown (the
    /// service-unbind and service-requests-done phases). The listener actor is registered in the
    /// <see cref="ActorRegistry"/> under <see cref="ServerBinding"/>; the binding itself is <see cref="ActorHttpBinding.For"/>.
    /// Handlers named by type in the configuration, and <see cref="Handler.FromServices{THandler}"/>, are created through
    /// Akka.DependencyInjection. Registers the health checks <c>actor-http.ready</c> (<see cref="ActorHttpReadinessCheck"/>)
    /// and Akka.Hosting's actor system liveness check; a host with <c>services.AddHealthChecks()</c> runs them.
    /// </summary>
    /// <exception cref="InvalidOperationException">Called twice on one builder.</exception>
    public static AkkaConfigurationBuilder WithActorHttp(this AkkaConfigurationBuilder builder, Action<HostedRoutes>? routes = null,
        Action<ActorHttpOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!Configured.TryAdd(builder, new object())) throw new InvalidOperationException("WithActorHttp was already called on this actor system");
        var hostedRoutes = new HostedRoutes();
        routes?.Invoke(hostedRoutes);
        var options = new ActorHttpOptions();
        configure?.Invoke(options);

        var fromConfiguration = options.Configuration is { } section ? ConfigurationHocon.Translate(section) : null;
        if (fromConfiguration != null) builder.AddHocon(fromConfiguration.Config, HoconAddMode.Prepend);
        builder.AddHocon(Reference.Value, HoconAddMode.Append);
        builder.WithHealthCheck(ActorHttpHealth.ReadinessCheckName, new ActorHttpReadinessCheck(), tags: ["actor-http", ActorHttpHealth.ReadyTag]);
        builder.WithActorSystemLivenessCheck();
        builder.AddStartup(async (system, registry) =>
        {
            try
            {
                await BindAsync(system, registry, hostedRoutes, options).ConfigureAwait(false);
            }
            catch (ConfigurationException e) when (fromConfiguration != null)
            {
                var explained = fromConfiguration.Explain(e);
                ActorHttpBinding.Get(system).Failed(explained);
                throw explained;
            }
            catch (Exception e)
            {
                ActorHttpBinding.Get(system).Failed(e);
                throw;
            }
        });
        return builder;
    }

    private static async Task BindAsync(ActorSystem system, IActorRegistry registry, HostedRoutes hostedRoutes, ActorHttpOptions options)
    {
        var clustered = ClusterHttp.UsesClusterProvider(system);
        // The route loaders read the provider from the config, which does not show one chosen by a setup (WithClustering).
        var config = clustered ? ClusterProvider.WithFallback(system.Settings.Config) : system.Settings.Config;
        var settings = ServerSettings.Create(config);
        if (options.Server is { } change) settings = change(settings);
        ClusterRouteHandlers.ValidateNodeConfig(config);
        if (clustered) ClusterHttp.Get(system); // joins actor-http.cluster's seed nodes (or itself) when configured, warns while not Up

        var actorTypeProps = ServiceProps.ForRoutes(system);
        var shardedEntities = new Dictionary<string, ShardedEntity>(StringComparer.Ordinal);
        var kinds = clustered ? ClusterRouteHandlers.Create(config, actorTypeProps, (entity, _) => shardedEntities[entity.TypeName] = entity) : null;
        var routes = RouteConfig.Load(config, kinds, actorTypeProps);
        routes = hostedRoutes.AddTo(routes, system, registry, shardedEntities);
        if (new ConfigKeys(config.GetConfig("actor-http.hosting"), "actor-http.hosting").Bool("health-routes")) routes = ActorHttpHealth.AddProbeRoutes(routes);
        await hostedRoutes.RegisterShardRegionsAsync(system, registry, shardedEntities).ConfigureAwait(false);

        var binding = await HttpServer.Get(system).BindAsync(routes, settings).ConfigureAwait(false);
        registry.Register<ServerBinding>(binding.Listener);
        ActorHttpBinding.Get(system).Bound(binding);
        Logging.GetLogger(system, typeof(ActorHttpHostingExtensions)).Info("ActorHttp listening on {0} ({1} routes)", binding.Url, routes.Definitions.Count);
    }
}
