using System.Text;
using Akka.Actor;
using ActorHttp.Protocol;

namespace ActorHttp.Handlers;

/// <summary>
/// Echo: a request with a body gets the body back with its Content-Type; a GET gets its request line and
/// headers as text, one per line. A streamed request body is echoed as a streamed response, part by part as it is
/// read, so an upload of any size passes through in bounded memory.
/// </summary>
public sealed class EchoHandler : HttpHandlerActor
{
    public static Props Props() => Akka.Actor.Props.Create<EchoHandler>();

    protected override void OnRequest(HttpRequest request)
    {
        var contentType = request.Headers["Content-Type"] ?? "application/octet-stream";
        if (request.BodyStreamed)
        {
            long? length = long.TryParse(request.Headers["Content-Length"], out var n) ? n : null;
            RespondWithStream(HttpResponse.StreamedHead(contentType: contentType, contentLength: length), RequestBodyReader.ReadAsync(Sender));
            return;
        }
        if (!request.Body.IsEmpty || request.Method != HttpMethods.Get)
        {
            Respond(new HttpResponse
            {
                ContentType = contentType,
                Body = request.Body,
            });
            return;
        }
        var text = new StringBuilder();
        text.Append(request.Method).Append(' ').Append(request.Target).Append(' ')
            .Append(request.Protocol == HttpProtocol.Http11 ? "HTTP/1.1" : "HTTP/1.0").Append('\n');
        foreach (var header in request.Headers) text.Append(header.Name).Append(": ").Append(header.Value).Append('\n');
        Respond(HttpResponse.Text(text.ToString()));
    }
}
