using System.Text;
using Akka.Actor;
using Akka.IO;
using ActorHttp.Protocol;

namespace ActorHttp.Handlers;

/// <summary>Answers every request with the same text (e.g. <c>/plaintext</c>'s <c>Hello, World!</c>).</summary>
public sealed class TextHandler : HttpHandlerActor
{
    /// <summary>The one answer, made once: a response is immutable, so every request can be sent the same object.</summary>
    private readonly HttpResponse _response;

    public TextHandler(string text, string contentType, int status) =>
        _response = new HttpResponse { Status = status, ContentType = contentType, Body = ByteString.FromString(text, Encoding.UTF8) };

    public static Props Props(string text, string contentType = "text/plain", int status = 200) =>
        Akka.Actor.Props.Create(() => new TextHandler(text, contentType, status));

    protected override void OnRequest(HttpRequest request) => Respond(_response);
}
