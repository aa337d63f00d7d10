using System.Text.Json;
using Akka.IO;
using ActorHttp.Protocol;

namespace ActorHttp.Cluster.Endpoints;

/// <summary>
/// Builds a JSON response with <see cref="Utf8JsonWriter"/> straight into its body, for JSON whose shape is decided as
/// it is written. Shapes known in advance are records written with <c>HttpResponse.Json</c> and <see cref="ClusterJson"/>
/// (as the endpoints here are); ActorHttp.Hosting's health check writes with this.
/// </summary>
internal static class JsonResponse
{
    public static HttpResponse Write(Action<Utf8JsonWriter> write, int status = StatusCodes.Ok)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            write(json);
        }
        return new HttpResponse { Status = status, ContentType = "application/json", Body = ByteString.FromBytes(buffer.WrittenSpan.ToArray()) };
    }
}
