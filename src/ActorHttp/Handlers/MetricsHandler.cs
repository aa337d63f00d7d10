using System.Text;
using Akka.Actor;
using Akka.IO;
using ActorHttp.Observability;
using ActorHttp.Protocol;

namespace ActorHttp.Handlers;

/// <summary>Serves the server's metrics in the Prometheus text format (the <c>/metrics</c> route).</summary>
public sealed class MetricsHandler : HttpHandlerActor
{
    private readonly PrometheusExporter _exporter = PrometheusExporter.Shared;

    public static Props Props() => Akka.Actor.Props.Create<MetricsHandler>();

    protected override void OnRequest(HttpRequest request) => Respond(new HttpResponse
    {
        ContentType = "text/plain; version=0.0.4; charset=utf-8",
        Body = ByteString.FromString(_exporter.Render(), Encoding.UTF8),
    });
}
