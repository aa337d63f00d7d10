using System.Text;
using Akka.IO;

namespace ActorHttp.Protocol;

/// <summary>
/// A response as handler actors send it back. Immutable. The server adds the framing headers
/// (<c>Content-Length</c>), <c>Date</c>, <c>Server</c> and <c>Connection</c>; handler-supplied framing headers
/// are ignored so a handler can never produce an ambiguous message.
/// </summary>
public sealed record HttpResponse
{
    /// <summary>The status code, 100–599.</summary>
    public int Status { get; init; } = 200;

    /// <summary>The <c>Content-Type</c> of the body, or null for none.</summary>
    public string? ContentType { get; init; }

    /// <summary>Further header fields, rendered in order.</summary>
    public IReadOnlyList<HttpHeader> Headers { get; init; } = [];

    /// <summary>The body. Dropped when rendering HEAD responses and 1xx/204/304 statuses.</summary>
    public ByteString Body { get; init; } = ByteString.Empty;

    /// <summary>When true the server closes the connection after sending this response.</summary>
    public bool CloseConnection { get; init; }

    /// <summary>
    /// True for the head of a streamed response: <see cref="Body"/> is ignored and the body follows as
    /// <c>ResponseStream.Chunk</c> messages from the actor that sent this head (the server's streaming messages, in
    /// <c>ActorHttp.Server</c>).
    /// </summary>
    public bool Streamed { get; init; }

    /// <summary>
    /// The length of a streamed body when known in advance (e.g. a file): it is then sent with
    /// <c>Content-Length</c> instead of chunked. Ignored unless <see cref="Streamed"/>.
    /// </summary>
    public long? ContentLength { get; init; }

    /// <summary>A response with a text body (UTF-8) and the given content type.</summary>
    public static HttpResponse Text(string text, int status = 200, string contentType = "text/plain; charset=utf-8") =>
        new() { Status = status, ContentType = contentType, Body = ByteString.FromString(text, Encoding.UTF8) };

    /// <summary>A response with a JSON body already serialized to <paramref name="json"/>.</summary>
    [System.Runtime.CompilerServices.OverloadResolutionPriority(1)] // a string is JSON text, not a value to serialize
    public static HttpResponse Json(string json, int status = 200) => Text(json, status, "application/json");

    /// <summary>
    /// A response with <paramref name="value"/> serialized as its JSON body (UTF-8, <c>application/json</c>): with
    /// <paramref name="typeInfo"/> from a source-generated <see cref="System.Text.Json.Serialization.JsonSerializerContext"/>,
    /// else with <see cref="HttpJson.Options"/> (camelCase). A string is written as JSON text as it is (the overload
    /// above); wrap it to serialize it as a JSON string.
    /// </summary>
    public static HttpResponse Json<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>? typeInfo = null, int status = 200) =>
        new() { Status = status, ContentType = "application/json", Body = ByteString.FromBytes(HttpJson.Serialize(value, typeInfo)) };

    /// <summary>The head of a streamed response; its body follows as <c>ResponseStream.Chunk</c> messages (see <see cref="Streamed"/>).</summary>
    public static HttpResponse StreamedHead(int status = 200, string? contentType = null, long? contentLength = null) =>
        new() { Status = status, ContentType = contentType, Streamed = true, ContentLength = contentLength };

    /// <summary>
    /// The head of an event stream (server-sent events): <c>200</c>, <c>Content-Type: text/event-stream</c>,
    /// <c>Cache-Control: no-cache</c>, streamed (chunked). Its body is events rendered by <see cref="ServerSentEvent"/>;
    /// <c>ActorHttp.Handlers.EventStreams</c> sends this head and the events told to it. See <see cref="IsEventStream"/>.
    /// </summary>
    public static HttpResponse EventStream(int status = 200) =>
        new() { Status = status, ContentType = ServerSentEvent.MediaType, Headers = NoCache, Streamed = true };

    private static readonly IReadOnlyList<HttpHeader> NoCache = [new("Cache-Control", "no-cache")];

    /// <summary>
    /// True for the head of an event stream: streamed, of no declared length, with a <c>text/event-stream</c> content
    /// type. Such a stream has no end of its own: the connection lets its producer stay quiet for as long as it likes
    /// (no response-timeout between chunks; the send-timeout still applies to a client that does not read), ends it
    /// (its producer gets <c>ResponseStream.Cancelled</c>) when the client closes its side or the server shuts down, and
    /// ends it cleanly (last chunk) rather than truncating it.
    /// </summary>
    public bool IsEventStream => Streamed && ContentLength is null && ServerSentEvent.IsEventStreamType(ContentType);

    /// <summary>A response with a status and no body.</summary>
    public static HttpResponse Empty(int status) => new() { Status = status };

    /// <summary>An error response: the status, its reason phrase as a plain-text body and an optional detail line.</summary>
    public static HttpResponse Error(int status, string? detail = null) =>
        Text(detail is null ? $"{StatusCodes.ReasonPhrase(status)}\n" : $"{StatusCodes.ReasonPhrase(status)}: {detail}\n", status);

    /// <summary>The body decoded as UTF-8.</summary>
    public string BodyAsString() => Body.IsEmpty ? "" : Encoding.UTF8.GetString(Body.ToReadOnlySpan());

    /// <summary>The first value of a header set by the handler (case-insensitive), or null.</summary>
    public string? Header(string name)
    {
        foreach (var h in Headers)
            if (h.Is(name)) return h.Value;
        return null;
    }
}
