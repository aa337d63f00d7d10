using Akka.Actor;
using ActorHttp.Observability;
using ActorHttp.Protocol;

namespace ActorHttp.Handlers;

/// <summary>
/// Diagnostics: <c>200 {"user":N,"system":M,"total":N+M,"depth":D}</c>, the live actors of the node counted by
/// <see cref="ActorCensus"/> (about a second; one message per actor). For leak checks such as the soak benchmark;
/// not meant for a public route.
/// </summary>
public sealed class ActorCensusHandler : HttpHandlerActor
{
    private readonly Dictionary<IActorRef, IActorRef> _waiting = new(); // census → client

    /// <summary>Props of the handler.</summary>
    public static Props Props() => Akka.Actor.Props.Create<ActorCensusHandler>();

    /// <inheritdoc />
    protected override void OnRequest(HttpRequest request)
    {
        var census = Context.ActorOf(Akka.Actor.Props.Create(() => new CensusRelay(Self)));
        _waiting[census] = Sender;
    }

    /// <inheritdoc />
    protected override void OnOtherMessage(object message)
    {
        if (message is not (ActorCount or CensusTimedOut) || !_waiting.Remove(Sender, out var client))
        {
            Unhandled(message);
            return;
        }
        client.Tell(message is ActorCount count
            ? HttpResponse.Json($"{{\"user\":{count.User},\"system\":{count.System},\"total\":{count.Total},\"depth\":{count.Depth}}}")
            : HttpResponse.Error(StatusCodes.ServiceUnavailable, "the actor census did not finish in time"), Self);
    }

    private sealed class CensusTimedOut
    {
        public static readonly CensusTimedOut Instance = new();
    }

    /// <summary>
    /// Runs one census and hands its count to the handler as itself, so that the handler knows which request it
    /// answers; gives up after a while (a census that cannot run, e.g. while the system shuts down).
    /// </summary>
    private sealed class CensusRelay : ReceiveActor
    {
        public CensusRelay(IActorRef handler)
        {
            Receive<ActorCount>(count =>
            {
                handler.Tell(count, Self);
                Context.Stop(Self);
            });
            Receive<ReceiveTimeout>(_ =>
            {
                handler.Tell(CensusTimedOut.Instance, Self);
                Context.Stop(Self);
            });
        }

        protected override void PreStart()
        {
            SetReceiveTimeout(TimeSpan.FromSeconds(20));
            ActorCensus.Start(Context.System, Self);
        }
    }
}
