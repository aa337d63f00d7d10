using Akka.Actor;
using ActorHttp.Protocol;

namespace ActorHttp.Handlers;

/// <summary>
/// Serves each request with a fresh child actor made from the route's props, stopped as soon as it has answered:
/// per-request state and isolation. A child that stops or fails before answering gets its client a 500.
/// </summary>
internal sealed class PerRequestHandler : ReceiveActor
{
    private readonly Dictionary<IActorRef, IActorRef> _clients = new(); // child → the request's sender

    public PerRequestHandler(Props handler)
    {
        Receive<HttpRequest>(request =>
        {
            var child = Context.ActorOf(handler);
            Context.Watch(child);
            _clients[child] = Sender;
            child.Tell(request, Self);
        });
        Receive<Terminated>(terminated =>
        {
            if (_clients.Remove(terminated.ActorRef, out var client))
                client.Tell(HttpResponse.Error(StatusCodes.InternalServerError, "the request's handler stopped without answering"));
        });
        ReceiveAny(reply =>
        {
            if (!_clients.Remove(Sender, out var client))
            {
                Unhandled(reply);
                return;
            }
            client.Tell(reply);
            Context.Unwatch(Sender);
            Context.Stop(Sender);
        });
    }

    /// <summary>A failing child is stopped, not restarted: its request is answered 500 through <see cref="Terminated"/>.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => Akka.Actor.SupervisorStrategy.StoppingStrategy;
}
