using Akka.Actor;
using ActorHttp.Protocol;
using ActorHttp.Server;

namespace ActorHttp.Handlers;

/// <summary>
/// Serves each request with a fresh child actor made from the route's props, stopped as soon as its exchange is over
/// (its response sent, or its streamed response ended): per-request state and isolation. A child that stops or fails
/// before answering gets its client a 500.
/// </summary>
internal sealed class PerRequestHandler : ReceiveActor
{
    /// <summary>Sent by a child's <see cref="ExchangeRelay"/> when the exchange is over.</summary>
    private sealed record Finished(IActorRef Child);

    private readonly Dictionary<IActorRef, IActorRef> _clients = new(); // child → the request's sender, until answered

    public PerRequestHandler(Props handler)
    {
        Receive<HttpRequest>(request =>
        {
            var child = Context.ActorOf(handler);
            Context.Watch(child);
            _clients[child] = Sender;
            child.Tell(request, new ExchangeRelay(Sender, Self, child));
        });
        Receive<Finished>(finished =>
        {
            _clients.Remove(finished.Child);
            Context.Unwatch(finished.Child);
            Context.Stop(finished.Child);
        });
        Receive<Terminated>(terminated =>
        {
            // Terminated overtakes ordinary messages, so a child that answered and then stopped may land here before
            // its Finished: the 500 then reaches an exchange that already has its response, and is dropped there.
            if (_clients.Remove(terminated.ActorRef, out var client))
                client.Tell(HttpResponse.Error(StatusCodes.InternalServerError, "the request's handler stopped without answering"));
        });
    }

    /// <summary>A failing child is stopped, not restarted: its request is answered 500 through <see cref="Terminated"/>.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => Akka.Actor.SupervisorStrategy.StoppingStrategy;

    /// <summary>
    /// The sender a child sees: passes everything to the client with the original sender (so stream acks and body
    /// parts go straight to whoever sent the chunk or the read), and tells the parent when the exchange is over.
    /// </summary>
    private sealed class ExchangeRelay(IActorRef client, IActorRef parent, IActorRef child) : MinimalActorRef
    {
        public override IActorRefProvider Provider => ((IInternalActorRef)parent).Provider;
        public override ActorPath Path => child.Path / "relay";

        protected override void TellInternal(object message, IActorRef sender)
        {
            client.Tell(message, sender);
            if (message is HttpResponse { Streamed: false } or ResponseStream.End or Status.Failure)
                parent.Tell(new Finished(child));
        }
    }
}
