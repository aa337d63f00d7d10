using Akka.Cluster.Hosting;
using Akka.Hosting;
using Akka.Remote.Hosting;
using ActorHttp.Hosting;
using ActorHttp.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ActorHttp.Samples.Hosting;

/// <summary>The sample's host: services, the actor system (a cluster of one) and its HTTP routes.</summary>
public static class SampleHost
{
    /// <summary>
    /// The host builder, configured from appsettings.json next to the program, environment variables and
    /// <paramref name="args"/> (e.g. <c>--ActorHttp:server:port=0</c>, or <c>ActorHttp__server__port=0</c> in the environment).
    /// </summary>
    public static HostApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });

        builder.Services.AddSingleton<IGreetingStore, GreetingStore>();
        builder.Services.AddHealthChecks(); // runs the readiness and liveness checks that WithActorHttp and WithClustering register
        builder.Services.AddActorHttpBinding(); // IActorHttpBinding for constructor injection

        // OpenTelemetry: tracing and metrics are wired here (builder.Services.AddOpenTelemetry()...).

        builder.Services.AddAkka("hosted-sample", akka => akka
            // Akka's log events, ActorHttp's included, go to Microsoft.Extensions.Logging (the console here).
            .ConfigureLoggers(logging =>
            {
                logging.ClearLoggers();
                logging.AddLoggerFactory();
            })
            .WithRemoting(new RemoteOptions { HostName = "127.0.0.1", Port = 0 })
            .WithClustering(new ClusterOptions { LogInfo = false })
            .WithActorHttp(routes => routes
                    .Get("/greetings/{name}", Handler.FromServices<GreetingHandler>())
                    .MapSharded<VoteEntity>([HttpMethods.Get, HttpMethods.Post], "/votes/{id}", "votes", Handler.FromServices<VoteEntity>())
                    .Get("/votes/{id}/summary", Handler.FromServices<VoteSummaryHandler>().PerRequest()),
                options => options.Configuration = builder.Configuration.GetSection("ActorHttp")));
        return builder;
    }
}
