using ActorHttp.Protocol;
using Xunit.Sdk;

namespace ActorHttp.Testing;

/// <summary>Chainable assertions on a response: <c>response.ShouldHaveStatus(200).ShouldHaveBody("Hello")</c>.</summary>
public static class HttpResponseAssertions
{
    public static HttpResponse ShouldHaveStatus(this HttpResponse response, int status) =>
        response.Status == status ? response : throw new XunitException($"expected status {status}, got {response.Status}: {Preview(response)}");

    public static HttpResponse ShouldHaveBody(this HttpResponse response, string body) =>
        response.BodyAsString() == body ? response : throw new XunitException($"expected body \"{body}\", got \"{Preview(response)}\"");

    public static HttpResponse ShouldHaveBodyContaining(this HttpResponse response, string part) =>
        response.BodyAsString().Contains(part, StringComparison.Ordinal) ? response : throw new XunitException($"expected body containing \"{part}\", got \"{Preview(response)}\"");

    /// <summary>Checks a header as it would be rendered; <c>Content-Type</c> also checks <see cref="HttpResponse.ContentType"/>.</summary>
    public static HttpResponse ShouldHaveHeader(this HttpResponse response, string name, string value)
    {
        var actual = name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase) ? response.ContentType ?? response.Header(name) : response.Header(name);
        return actual == value ? response : throw new XunitException($"expected header {name}: {value}, got {(actual == null ? "none" : actual)}");
    }

    /// <summary>The response is the head of a stream (<see cref="HttpResponse.Streamed"/>), as <c>Send</c> assembles them.</summary>
    public static HttpResponse ShouldBeStreamed(this HttpResponse response) =>
        response.Streamed ? response : throw new XunitException("expected a streamed response, got a complete one");

    private static string Preview(HttpResponse response)
    {
        var body = response.BodyAsString();
        return body.Length <= 200 ? body : body[..200] + "…";
    }
}

/// <summary>Assertions on a <see cref="StreamedResponse"/>.</summary>
public static class StreamedResponseAssertions
{
    /// <summary>The stream came in exactly <paramref name="count"/> chunks.</summary>
    public static StreamedResponse ShouldHaveChunks(this StreamedResponse response, int count) =>
        response.Chunks.Count == count ? response : throw new XunitException($"expected {count} chunks, got {response.Chunks.Count}");

    /// <summary>The chunks joined, decoded as UTF-8, equal <paramref name="body"/>.</summary>
    public static StreamedResponse ShouldHaveBody(this StreamedResponse response, string body)
    {
        response.Assembled.ShouldHaveBody(body);
        return response;
    }
}
