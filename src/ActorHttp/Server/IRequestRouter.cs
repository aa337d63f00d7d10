using Akka.Actor;
using ActorHttp.Protocol;

namespace ActorHttp.Server;

/// <summary>
/// Decides, for each parsed request, which actor handles it, or answers at once (404, 405, 501…).
/// Called on the connection actor for every request, so it must be cheap, thread-safe and non-blocking;
/// the routing layer's route table implements it.
/// </summary>
public interface IRequestRouter
{
    /// <summary>Chooses the handler for <paramref name="request"/>.</summary>
    RouteDecision Route(HttpRequest request);

    /// <summary>
    /// The settings of the route that serves <paramref name="method"/> on <paramref name="path"/>, asked once the head of
    /// a request with a body is parsed, before its body is read (the route's body limits apply to it). Null: the
    /// server's. Asked only when <see cref="HasBodyLimits"/>.
    /// </summary>
    RouteSettings? SettingsFor(string method, string path) => null;

    /// <summary>Some route has body limits of its own (<see cref="SettingsFor"/> is worth asking).</summary>
    bool HasBodyLimits => false;
}

/// <summary>
/// The outcome of routing: send <see cref="Request"/> to <see cref="Handler"/>, or answer <see cref="Response"/>.
/// <see cref="Route"/> names the matched route for metrics and logs (a template, so its values stay few).
/// <see cref="WebSocket"/>: the route accepts WebSocket upgrades, so the connection checks the request's handshake.
/// <see cref="Settings"/>: the route's limits and compression, applied by the connection (null: the server's, no compression).
/// </summary>
public readonly record struct RouteDecision(IActorRef? Handler, HttpRequest? Request, HttpResponse? Response, string? Route = null, bool WebSocket = false,
    RouteSettings? Settings = null)
{
    /// <summary>Deliver <paramref name="request"/> (possibly enriched, e.g. with route values) to <paramref name="handler"/>.</summary>
    public static RouteDecision Dispatch(IActorRef handler, HttpRequest request, string? route = null, bool webSocket = false) =>
        new(handler, request, null, route, webSocket);

    /// <summary>Answer without involving a handler.</summary>
    public static RouteDecision Respond(HttpResponse response, string? route = null) => new(null, null, response, route);
}
