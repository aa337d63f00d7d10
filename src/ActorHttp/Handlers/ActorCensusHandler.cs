using Akka.Actor;
using ActorHttp.Observability;
using ActorHttp.Protocol;

namespace ActorHttp.Handlers;

/// <summary>
/// Diagnostics: <c>200 {"user":N,"system":M,"total":N+M,"depth":D}</c>, the live actors of the node counted by
/// <see cref="ActorCensus"/> (about a second; one message per actor), or 503 if the census cannot finish. For leak
/// checks such as the soak benchmark; not meant for a public route.
/// </summary>
public sealed class ActorCensusHandler : HttpHandlerActor
{
    /// <summary>A census that takes longer than this (one that cannot run, e.g. while the system shuts down) gets 503.</summary>
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    /// <summary>Props of the handler.</summary>
    public static Props Props() => Akka.Actor.Props.Create<ActorCensusHandler>();

    /// <inheritdoc />
    protected override void OnRequest(HttpRequest request) =>
        ActorCensus.CountAsync(Context.System).WaitAsync(Limit).PipeTo(Sender, Self,
            success: count => HttpResponse.Json(count, CoreJson.Default.ActorCount),
            failure: _ => HttpResponse.Error(StatusCodes.ServiceUnavailable, "the actor census did not finish in time"));
}
