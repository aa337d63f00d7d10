using Akka.Actor;
using ActorHttp.Protocol;

namespace ActorHttp.Routing.Filters;

/// <summary>
/// Base class for actor filters (<see cref="FilterDefinition.ForActor(string, Props)"/>): implement
/// <see cref="FilterAsync"/> and return <see cref="FilterResult.Continue"/> or <see cref="FilterResult.Respond"/>; it may
/// await (ask a service or another actor). Requests are filtered one at a time per actor, as with
/// <c>AsyncHttpHandlerActor</c>: for concurrency, create it as a pool (<c>HandlerProps.Pool</c>). An exception, thrown at
/// once or after an await, answers that request 500 and restarts the actor.
/// </summary>
public abstract class RequestFilterActor : UntypedActor
{
    protected sealed override void OnReceive(object message)
    {
        if (message is not HttpRequest request)
        {
            OnOtherMessage(message);
            return;
        }
        var replyTo = Sender;
        var self = Self;
        RunTask(async () =>
        {
            FilterResult result;
            try
            {
                result = await FilterAsync(request);
            }
            catch
            {
                replyTo.Tell(HttpResponse.Error(StatusCodes.InternalServerError), self);
                throw;
            }
            replyTo.Tell(result, self);
        });
    }

    /// <summary>Decides about one request.</summary>
    protected abstract Task<FilterResult> FilterAsync(HttpRequest request);

    /// <summary>Handles anything that is not a request; unhandled by default.</summary>
    protected virtual void OnOtherMessage(object message) => Unhandled(message);
}
