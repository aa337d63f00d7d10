using Akka.Actor;
using ActorHttp.Protocol;

namespace ActorHttp.Handlers;

/// <summary>
/// Base class for handler actors. Implement <see cref="OnRequest"/> and reply with <see cref="Respond"/> (or
/// <c>Sender.Tell(response)</c>, also later or from another actor the request was forwarded to). If
/// <see cref="OnRequest"/> throws, the client gets 500 for that request only, and the exception goes on to the
/// supervisor, which restarts the actor so its state is fresh for the next request.
/// </summary>
public abstract class HttpHandlerActor : UntypedActor
{
    protected sealed override void OnReceive(object message)
    {
        if (message is not HttpRequest request)
        {
            OnOtherMessage(message);
            return;
        }
        try
        {
            OnRequest(request);
        }
        catch
        {
            Sender.Tell(HttpResponse.Error(StatusCodes.InternalServerError), Self);
            throw;
        }
    }

    /// <summary>Handles one request; reply with <see cref="Respond"/>.</summary>
    protected abstract void OnRequest(HttpRequest request);

    /// <summary>Handles anything that is not a request; unhandled by default.</summary>
    protected virtual void OnOtherMessage(object message) => Unhandled(message);

    /// <summary>Sends <paramref name="response"/> to the sender of the current request.</summary>
    protected void Respond(HttpResponse response) => Sender.Tell(response, Self);
}
