using Akka.Actor;
using Akka.TestKit;
using ActorHttp.Protocol;
using ActorHttp.Routing;
using ActorHttp.Server;

namespace ActorHttp.Testing;

/// <summary>
/// Sends requests to handler actors or whole route tables from an Akka TestKit, without sockets, and returns the
/// response the connection would render. Replies are awaited from a test probe, so a handler that answers
/// <c>Sender.Tell(response)</c> (now, later, or from another actor) works exactly as on a live connection.
/// </summary>
public static class HttpTestKitExtensions
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Sends <paramref name="request"/> to <paramref name="handler"/> and returns its response.</summary>
    /// <exception cref="Xunit.Sdk.XunitException">No response within <paramref name="timeout"/>, or a reply that is not a response.</exception>
    public static HttpResponse Send(this TestKitBase kit, IActorRef handler, HttpRequest request, TimeSpan? timeout = null)
    {
        var probe = kit.CreateTestProbe();
        handler.Tell(request, probe.Ref);
        return ExpectResponse(probe, timeout);
    }

    /// <summary>
    /// Routes <paramref name="request"/> through <paramref name="routes"/> as a connection would (404, 405, 501,
    /// transparent HEAD, route values) and returns the response, from the handler or from the router itself.
    /// </summary>
    public static HttpResponse Send(this TestKitBase kit, IRequestRouter routes, HttpRequest request, TimeSpan? timeout = null)
    {
        var decision = routes.Route(request);
        if (decision.Response is { } immediate) return immediate;
        var probe = kit.CreateTestProbe();
        decision.Handler!.Tell(decision.Request, probe.Ref);
        return ExpectResponse(probe, timeout);
    }

    /// <summary>Creates the handler actors of <paramref name="routes"/> in the kit's actor system, ready for <see cref="Send(TestKitBase, IRequestRouter, HttpRequest, TimeSpan?)"/>.</summary>
    public static RouteTable Materialize(this TestKitBase kit, Routes routes) =>
        RoutingExtensions.MaterializeAsync(kit.Sys, routes).GetAwaiter().GetResult();

    private static HttpResponse ExpectResponse(TestProbe probe, TimeSpan? timeout)
    {
        var reply = probe.ReceiveOne(timeout ?? DefaultTimeout)
                    ?? throw new Xunit.Sdk.XunitException($"the handler did not answer within {timeout ?? DefaultTimeout}");
        return reply switch
        {
            HttpResponse response => response,
            Status.Failure failure => throw new Xunit.Sdk.XunitException($"the handler replied with a failure (the client would get 500): {failure.Cause}"),
            _ => throw new Xunit.Sdk.XunitException($"the handler replied with {reply.GetType().Name}, not an HttpResponse (the client would get 500)"),
        };
    }
}
