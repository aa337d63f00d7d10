using Akka.Actor;
using ActorHttp.Handlers;
using ActorHttp.Testing;
using Xunit;
using TestKit = Akka.TestKit.Xunit2.TestKit;

namespace ActorHttp.Tests.Handlers;

/// <summary>
/// The readiness handler of nodes outside a cluster. CoordinatedShutdown is run for real, with the system's
/// termination left out so that the handler can still be asked afterwards.
/// </summary>
[Trait("Category", "Handlers")]
public sealed class ReadinessHandlerTests() : TestKit("""
    akka.coordinated-shutdown.terminate-actor-system = off
    akka.coordinated-shutdown.run-by-actor-system-terminate = off
    akka.coordinated-shutdown.run-by-clr-shutdown = off
    """)
{
    [Fact]
    public async Task Reports_ok_until_shutdown_starts_then_503_with_retry_after()
    {
        var handler = Sys.ActorOf(ReadinessHandler.Props());
        this.Send(handler, HttpRequests.Get("/health/ready")).ShouldHaveStatus(200).ShouldHaveBody("{\"status\":\"ok\"}");

        await CoordinatedShutdown.Get(Sys).Run(CoordinatedShutdown.ClrExitReason.Instance).WaitAsync(TimeSpan.FromSeconds(30));

        this.Send(handler, HttpRequests.Get("/health/ready"))
            .ShouldHaveStatus(503)
            .ShouldHaveHeader("Retry-After", "1")
            .ShouldHaveBody("{\"status\":\"unavailable\",\"shuttingDown\":true}");
    }
}
