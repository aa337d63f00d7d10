using Akka.Actor;
using Akka.IO;
using ActorHttp.Protocol;

namespace ActorHttp.Handlers;

/// <summary>
/// Base class for handler actors. Implement <see cref="OnRequest"/> and reply with <see cref="Respond"/> (or
/// <c>Sender.Tell(response)</c>, also later or from another actor the request was forwarded to), or stream the body
/// with <see cref="RespondWithStream(HttpResponse, IAsyncEnumerable{ByteString})"/>. If <see cref="OnRequest"/>
/// throws, the client gets 500 for that request only, and the exception goes on to the supervisor, which restarts
/// the actor so its state is fresh for the next request. A <see cref="JsonBodyException"/> (a body
/// <see cref="HttpJson.ReadJson{T}"/> could not read) is the client's mistake instead: it is answered with its 400 (or
/// 413), and the actor goes on as it is. For handlers that await, see <see cref="AsyncHttpHandlerActor"/>.
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
        catch (JsonBodyException e)
        {
            Sender.Tell(e.Response, Self);
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

    /// <summary>
    /// Answers the current request with <paramref name="head"/> and a body streamed from <paramref name="body"/>,
    /// paced by the client (see <see cref="ResponseStreams"/>). The stream runs in an actor of its own, not a child of
    /// this one: a restart of this handler after another request failed must not cut it off (Akka restarts or stops
    /// the children of a restarting actor).
    /// </summary>
    protected void RespondWithStream(HttpResponse head, IAsyncEnumerable<ByteString> body) =>
        ResponseStreams.Start(Context.System, Sender, head, body);

    /// <summary>
    /// Answers the current request with <paramref name="head"/> and <paramref name="length"/> bytes (or all) of
    /// <paramref name="body"/>, which is disposed afterwards. With a length the body is sent with Content-Length.
    /// </summary>
    protected void RespondWithStream(HttpResponse head, Stream body, long? length = null) =>
        RespondWithStream(length is { } n ? head with { ContentLength = n } : head, ResponseStreams.FromStream(body, length));
}

/// <summary>
/// A handler that awaits: implement <see cref="OnRequestAsync"/> and return the response. Requests are handled one
/// at a time per actor (the mailbox waits while a request is awaited, as with Akka's <c>ReceiveAsync</c>); use the
/// per-request or pool kind for concurrency. An exception, thrown at once or after an await, answers that request
/// with 500 and restarts the actor; a <see cref="JsonBodyException"/> answers its 400 and restarts nothing.
/// </summary>
public abstract class AsyncHttpHandlerActor : HttpHandlerActor
{
    protected sealed override void OnRequest(HttpRequest request)
    {
        var client = Sender;
        var self = Self;
        RunTask(async () =>
        {
            HttpResponse response;
            try
            {
                response = await OnRequestAsync(request);
            }
            catch (JsonBodyException e)
            {
                response = e.Response;
            }
            catch
            {
                client.Tell(HttpResponse.Error(StatusCodes.InternalServerError), self);
                throw;
            }
            client.Tell(response, self);
        });
    }

    /// <summary>Handles one request and returns its response.</summary>
    protected abstract Task<HttpResponse> OnRequestAsync(HttpRequest request);
}
