using System.Text;
using Akka.Actor;
using ActorHttp.Protocol;

namespace ActorHttp.Handlers;

/// <summary>
/// Echo: a request with a body gets the body back with its Content-Type; a GET gets its request line and
/// headers as text, one per line.
/// </summary>
public sealed class EchoHandler : HttpHandlerActor
{
    public static Props Props() => Akka.Actor.Props.Create<EchoHandler>();

    protected override void OnRequest(HttpRequest request)
    {
        if (!request.Body.IsEmpty || request.Method != HttpMethods.Get)
        {
            Respond(new HttpResponse
            {
                ContentType = request.Headers["Content-Type"] ?? "application/octet-stream",
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
