using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using ActorHttp.Protocol;
using ActorHttp.Routing;
using ActorHttp.Server;
using ActorHttp.Tests.EndToEnd;
using Xunit;
using TestKit = Akka.TestKit.Xunit2.TestKit;

namespace ActorHttp.Tests.Routing;

/// <summary>The handler actors of <c>BindAsync(routes)</c> live as long as their binding, over real sockets on 127.0.0.1.</summary>
[Trait("Category", "Routing")]
public sealed class BindingLifetimeTests : TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    /// <summary>Tells <c>reportTo</c> its own ref and its parent's (the routes' supervisor) when started; answers "ok".</summary>
    private sealed class ReportingHandler(IActorRef reportTo) : UntypedActor
    {
        public sealed record Started(IActorRef Handler, IActorRef Supervisor);

        protected override void PreStart() => reportTo.Tell(new Started(Self, Context.Parent));

        protected override void OnReceive(object message)
        {
            if (message is HttpRequest) Sender.Tell(HttpResponse.Text("ok"));
        }
    }

    /// <summary>Binds one route served by a <see cref="ReportingHandler"/>; returns its Started report.</summary>
    private async Task<(ServerBinding Binding, ReportingHandler.Started Actors)> BindReportingRouteAsync()
    {
        var reports = CreateTestProbe();
        var server = HttpServer.Get(Sys);
        var binding = await server.BindAsync(new Routes().Get("/ok", Props.Create(() => new ReportingHandler(reports.Ref))),
            server.Settings with { Hostname = "127.0.0.1", Port = 0, CoordinatedShutdown = false }).WaitAsync(Wait);
        return (binding, reports.ExpectMsg<ReportingHandler.Started>(Wait));
    }

    [Fact]
    public async Task Terminating_the_binding_stops_the_route_handlers_and_their_supervisor()
    {
        var (binding, actors) = await BindReportingRouteAsync();
        var supervisorWatch = CreateTestProbe();
        var handlerWatch = CreateTestProbe();
        supervisorWatch.Watch(actors.Supervisor);
        handlerWatch.Watch(actors.Handler);
        using (var connection = await RawHttpConnection.OpenAsync(binding.LocalAddress.Port))
            Assert.Equal("ok", (await connection.RoundTripAsync(RawHttpConnection.Request("/ok"))).BodyText);

        await binding.TerminateAsync(TimeSpan.FromSeconds(5)).WaitAsync(TimeSpan.FromSeconds(30));

        handlerWatch.ExpectTerminated(actors.Handler, Wait);
        supervisorWatch.ExpectTerminated(actors.Supervisor, Wait);
    }

    [Fact]
    public async Task Unbinding_keeps_the_handlers_serving_open_connections()
    {
        var (binding, _) = await BindReportingRouteAsync();
        try
        {
            using var connection = await RawHttpConnection.OpenAsync(binding.LocalAddress.Port);
            Assert.Equal("ok", (await connection.RoundTripAsync(RawHttpConnection.Request("/ok"))).BodyText);

            await binding.UnbindAsync().WaitAsync(Wait);

            Assert.Equal("ok", (await connection.RoundTripAsync(RawHttpConnection.Request("/ok"))).BodyText);
        }
        finally
        {
            await binding.TerminateAsync(TimeSpan.FromSeconds(5)).WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    [Fact]
    public async Task A_failed_bind_stops_the_handlers_it_created()
    {
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((IPEndPoint)occupant.LocalEndpoint).Port;
        var reports = CreateTestProbe();
        var server = HttpServer.Get(Sys);

        await Assert.ThrowsAsync<BindFailedException>(() =>
            server.BindAsync(new Routes().Get("/ok", Props.Create(() => new ReportingHandler(reports.Ref))),
                server.Settings with { Hostname = "127.0.0.1", Port = port, CoordinatedShutdown = false }).WaitAsync(Wait));

        var actors = reports.ExpectMsg<ReportingHandler.Started>(Wait);
        Watch(actors.Supervisor);
        ExpectTerminated(actors.Supervisor, Wait);
    }
}
