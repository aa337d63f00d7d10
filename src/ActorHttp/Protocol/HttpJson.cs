using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using ActorHttp.Observability;

namespace ActorHttp.Protocol;

/// <summary>
/// Typed JSON bodies with System.Text.Json: <see cref="ReadJson{T}"/> / <see cref="TryReadJson{T}"/> read a request's
/// body, <see cref="HttpResponse.Json{T}"/> writes a response's. Without a <see cref="JsonTypeInfo{T}"/> they use
/// <see cref="Options"/> (reflection); pass one from a source-generated <see cref="JsonSerializerContext"/> for
/// trimming, AOT and speed: <c>request.ReadJson(ShopJson.Default.Order)</c>.
/// <para>
/// A body that is not JSON, or not of the expected shape, is the client's mistake: <see cref="ReadJson{T}"/> throws a
/// <see cref="JsonBodyException"/>, which <c>HttpHandlerActor</c> and <c>AsyncHttpHandlerActor</c> answer with
/// <c>400 Bad Request</c> and a short reason (and without restarting the actor); elsewhere, use
/// <see cref="TryReadJson{T}"/> and send its <c>badRequest</c>.
/// </para>
/// </summary>
public static class HttpJson
{
    /// <summary>The options used without a type info: <see cref="JsonSerializerDefaults.Web"/> (camelCase names, case-insensitive reading, numbers from strings).</summary>
    public static JsonSerializerOptions Options => JsonSerializerOptions.Web;

    /// <summary>The body as a <typeparamref name="T"/>.</summary>
    /// <exception cref="JsonBodyException">
    /// The body is empty, not JSON, JSON <c>null</c>, or not of the shape of <typeparamref name="T"/> (400); or it is
    /// streamed (<see cref="HttpRequest.BodyStreamed"/>: larger than <c>parsing.stream-body-threshold</c>, 413).
    /// </exception>
    public static T ReadJson<T>(this HttpRequest request, JsonTypeInfo<T>? typeInfo = null)
    {
        if (request.BodyStreamed)
            throw new JsonBodyException(StatusCodes.PayloadTooLarge, "the body is too large to be read as JSON");
        if (request.Body.IsEmpty) throw new JsonBodyException(StatusCodes.BadRequest, "a JSON body is required");
        T? value;
        try
        {
            var bytes = request.Body.ToReadOnlySpan();
            value = typeInfo is null ? JsonSerializer.Deserialize<T>(bytes, Options) : JsonSerializer.Deserialize(bytes, typeInfo);
        }
        catch (JsonException e)
        {
            throw new JsonBodyException(StatusCodes.BadRequest, $"invalid JSON body: {Shorten(e)}", e);
        }
        return value ?? throw new JsonBodyException(StatusCodes.BadRequest, "the JSON body is null");
    }

    /// <summary>
    /// Reads the body as a <typeparamref name="T"/>; false, with the response to send, when it cannot (see
    /// <see cref="ReadJson{T}"/>).
    /// </summary>
    public static bool TryReadJson<T>(this HttpRequest request, out T value, out HttpResponse badRequest, JsonTypeInfo<T>? typeInfo = null)
    {
        try
        {
            value = request.ReadJson(typeInfo);
            badRequest = null!;
            return true;
        }
        catch (JsonBodyException e)
        {
            value = default!;
            badRequest = e.Response;
            return false;
        }
    }

    /// <summary>System.Text.Json's message, which says what and where ("'x' is an invalid start of a value. Path: $ | LineNumber: 0 | BytePositionInLine: 0."), cut at 300 characters.</summary>
    private static string Shorten(JsonException e)
    {
        var message = e.Message;
        return message.Length <= 300 ? message : message[..300] + "…";
    }

    /// <summary>Serializes for <see cref="HttpResponse.Json{T}"/>.</summary>
    internal static byte[] Serialize<T>(T value, JsonTypeInfo<T>? typeInfo) =>
        typeInfo is null ? JsonSerializer.SerializeToUtf8Bytes(value, Options) : JsonSerializer.SerializeToUtf8Bytes(value, typeInfo);
}

/// <summary>
/// A request's JSON body could not be read (see <see cref="HttpJson.ReadJson{T}"/>): the client's mistake, answered
/// with <see cref="Response"/> (<c>400 Bad Request</c>, or <c>413</c> for a streamed body) by the handler base classes.
/// </summary>
public sealed class JsonBodyException : Exception
{
    /// <summary>A failure to answer with <paramref name="status"/> and the short <paramref name="reason"/>.</summary>
    public JsonBodyException(int status, string reason, Exception? inner = null) : base(reason, inner) => Status = status;

    /// <summary>The status to answer with.</summary>
    public int Status { get; }

    /// <summary>The response to send: the status and the reason as a plain-text body.</summary>
    public HttpResponse Response => HttpResponse.Error(Status, Message);
}

/// <summary>Source-generated JSON of the server's own handlers.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ActorCount))]
internal sealed partial class CoreJson : JsonSerializerContext;
