using System.Text;
using Akka.Actor;
using Akka.IO;
using ActorHttp.Protocol;

namespace ActorHttp.Handlers;

/// <summary>Answers every request with the same text (e.g. <c>/plaintext</c>'s <c>Hello, World!</c>).</summary>
public sealed class TextHandler : HttpHandlerActor
{
    private readonly ByteString _body;
    private readonly string _contentType;
    private readonly int _status;

    public TextHandler(string text, string contentType, int status)
    {
        _body = ByteString.FromString(text, Encoding.UTF8);
        _contentType = contentType;
        _status = status;
    }

    public static Props Props(string text, string contentType = "text/plain", int status = 200) =>
        Akka.Actor.Props.Create(() => new TextHandler(text, contentType, status));

    protected override void OnRequest(HttpRequest request) =>
        Respond(new HttpResponse { Status = _status, ContentType = _contentType, Body = _body });
}
