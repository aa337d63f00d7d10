using Akka.Cluster.Hosting;
using Akka.Hosting;
using Akka.Remote.Hosting;
using ActorHttp.Hosting;
using ActorHttp.Observability;
using ActorHttp.Protocol;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ActorHttp.Samples.Hosting;

/// <summary>
/// The sample's host: services, the actor system (a cluster of one) and its HTTP routes. The parts are public so a
/// test host (e.g. Akka.Hosting.TestKit's) can build the same application: <see cref="AddServices"/> and
/// <see cref="ConfigureActors"/>.
/// </summary>
public static class SampleHost
{
    /// <summary>The service name traces and metrics are reported under.</summary>
    public const string ServiceName = "actorhttp-hosted-sample";

    /// <summary>
    /// The host builder, configured from appsettings.json next to the program, environment variables and
    /// <paramref name="args"/> (e.g. <c>--ActorHttp:server:port=0</c>, or <c>ActorHttp__server__port=0</c> in the environment).
    /// </summary>
    public static HostApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        AddServices(builder.Services, builder.Configuration);
        builder.Services.AddAkka("hosted-sample", akka => ConfigureActors(akka
            // Akka's log events, ActorHttp's included, go to Microsoft.Extensions.Logging (the console here).
            .ConfigureLoggers(logging =>
            {
                logging.ClearLoggers();
                logging.AddLoggerFactory();
            }), builder.Configuration));
        return builder;
    }

    /// <summary>
    /// The application's services: its store, health checks, the injectable binding, and OpenTelemetry: ActorHttp's
    /// spans and metrics, exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (e.g. <c>http://localhost:4317</c>).
    /// </summary>
    public static IServiceCollection AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<IGreetingStore, GreetingStore>();
        services.AddHealthChecks(); // runs the readiness and liveness checks that WithActorHttp and WithClustering register
        services.AddActorHttpBinding(); // IActorHttpBinding for constructor injection

        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName))
            .WithTracing(tracing => tracing.AddSource(HttpTracing.SourceName))
            .WithMetrics(metrics => metrics.AddMeter(HttpMetrics.MeterName));
        if (!string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"])) telemetry.UseOtlpExporter();
        return services;
    }

    /// <summary>The actor system: remoting on 127.0.0.1, a cluster, and the HTTP routes (these, and appsettings.json's).</summary>
    public static AkkaConfigurationBuilder ConfigureActors(AkkaConfigurationBuilder akka, IConfiguration configuration) => akka
        .WithRemoting(new RemoteOptions { HostName = "127.0.0.1", Port = 0 })
        .WithClustering(new ClusterOptions { LogInfo = false })
        .WithActorHttp(routes => routes
                .Get("/greetings/{name}", Handler.FromServices<GreetingHandler>())
                .MapSharded<VoteEntity>([HttpMethods.Get, HttpMethods.Post], "/votes/{id}", "votes", Handler.FromServices<VoteEntity>())
                .Get("/votes/{id}/summary", Handler.FromServices<VoteSummaryHandler>().PerRequest()),
            options => options.Configuration = configuration.GetSection("ActorHttp"));
}
