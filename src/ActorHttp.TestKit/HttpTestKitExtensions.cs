using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using ActorHttp.Protocol;
using ActorHttp.Routing;
using ActorHttp.Protocol.Rendering;
using ActorHttp.Server;
using ActorHttp.Server.Connection;

namespace ActorHttp.Testing;

/// <summary>A streamed response as the test kit received it: the head and each chunk in order.</summary>
/// <param name="Head">The head the handler sent (<see cref="HttpResponse.Streamed"/> is true).</param>
/// <param name="Chunks">The chunks, each acknowledged as a connection would.</param>
public sealed record StreamedResponse(HttpResponse Head, IReadOnlyList<ByteString> Chunks)
{
    /// <summary>The head with the chunks joined as its body, ready for the <see cref="HttpResponseAssertions"/>.</summary>
    public HttpResponse Assembled => Head with { Body = ByteString.FromBytes(Chunks.SelectMany(c => c.ToArray()).ToArray()) };
}

/// <summary>
/// Sends requests to handler actors or whole route tables from an Akka TestKit, without sockets, and returns the
/// response the connection would render. The kit plays the connection's part: replies are awaited from a test probe
/// (so a handler that answers <c>Sender.Tell(response)</c>, now, later, or from another actor, works as on a live
/// connection); a streamed response's chunks are acknowledged one by one; and a request sent with
/// <see cref="HttpRequest.BodyStreamed"/> true has its <see cref="HttpRequest.Body"/> served to the handler's
/// <see cref="RequestBodyStream.Read"/>s in parts of <see cref="StreamedBodyPartSize"/> bytes (the handler sees an
/// empty Body, as from the server).
/// </summary>
public static class HttpTestKitExtensions
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(3);

    /// <summary>The size of the parts a streamed request body is served in.</summary>
    public const int StreamedBodyPartSize = 16 * 1024;

    /// <summary>Sends <paramref name="request"/> to <paramref name="handler"/> and returns its response (a streamed one assembled).</summary>
    /// <exception cref="Xunit.Sdk.XunitException">No response within <paramref name="timeout"/>, or a reply that is not a response.</exception>
    public static HttpResponse Send(this TestKitBase kit, IActorRef handler, HttpRequest request, TimeSpan? timeout = null) =>
        Exchange(kit, handler, request, timeout) switch
        {
            HttpResponse response => response,
            StreamedResponse streamed => streamed.Assembled,
            var other => throw new InvalidOperationException(other.GetType().Name),
        };

    /// <summary>
    /// Routes <paramref name="request"/> through <paramref name="routes"/> as a connection would (404, 405, 501,
    /// transparent HEAD, route values, filters, CORS) and returns the response, from the handler, a filter or the router itself.
    /// A router (or plain filter) that throws fails the test with the exception: a connection would answer 500 and log it.
    /// </summary>
    public static HttpResponse Send(this TestKitBase kit, IRequestRouter routes, HttpRequest request, TimeSpan? timeout = null)
    {
        RouteDecision decision;
        try
        {
            decision = routes.Route(request);
        }
        catch (Exception e)
        {
            throw Fail($"routing failed (the client would get 500): {e}");
        }
        if (decision.Response is { } immediate) return immediate;
        return kit.Send(decision.Handler!, decision.Request!, timeout);
    }

    /// <summary>Sends <paramref name="request"/> to <paramref name="handler"/>, which must answer with a streamed response; returns its chunks.</summary>
    /// <exception cref="Xunit.Sdk.XunitException">The response is not streamed, or the stream breaks or stalls.</exception>
    public static StreamedResponse SendStreamed(this TestKitBase kit, IActorRef handler, HttpRequest request, TimeSpan? timeout = null) =>
        Exchange(kit, handler, request, timeout) as StreamedResponse
        ?? throw new Xunit.Sdk.XunitException("the handler answered with a complete response, not a streamed one");

    /// <summary>
    /// Creates the handler actors (and filters) of <paramref name="routes"/> in the kit's actor system, ready for
    /// <see cref="Send(TestKitBase, IRequestRouter, HttpRequest, TimeSpan?)"/>. <paramref name="clock"/> is what
    /// time-dependent filters read (a rate limit): pass a <c>FakeTimeProvider</c> and advance it instead of waiting.
    /// </summary>
    public static RouteTable Materialize(this TestKitBase kit, Routes routes, TimeProvider? clock = null) =>
        RoutingExtensions.MaterializeAsync(kit.Sys, routes, clock: clock).GetAwaiter().GetResult();

    /// <summary>One exchange, the connection's side played by a probe: an <see cref="HttpResponse"/> or a <see cref="StreamedResponse"/>.</summary>
    private static object Exchange(TestKitBase kit, IActorRef handler, HttpRequest request, TimeSpan? timeout)
    {
        var wait = timeout ?? DefaultTimeout;
        var probe = kit.CreateTestProbe();
        var parts = new Queue<ByteString>();
        if (request.BodyStreamed)
        {
            for (var offset = 0; offset < request.Body.Count; offset += StreamedBodyPartSize)
                parts.Enqueue(request.Body.Slice(offset, Math.Min(StreamedBodyPartSize, request.Body.Count - offset)));
            request = request with { Body = ByteString.Empty };
        }
        handler.Tell(request, probe.Ref);

        HttpResponse? head = null;
        ResponseStreamState? stream = null; // the connection's own check of the stream protocol
        var chunks = new List<ByteString>();
        while (true)
        {
            var message = probe.ReceiveOne(wait)
                          ?? throw Fail(head == null ? $"the handler did not answer within {wait}" : $"the stream stalled: no chunk or End within {wait} (the connection would abort)");
            switch (message)
            {
                case RequestBodyStream.Read:
                    probe.LastSender.Tell(parts.TryDequeue(out var part) ? new RequestBodyStream.Part(part) : RequestBodyStream.Completed.Instance, probe.Ref);
                    break;
                case HttpResponse { Streamed: false } response when head == null:
                    return response;
                case HttpResponse { IsEventStream: true } when head == null:
                    probe.LastSender.Tell(ResponseStream.Cancelled.Instance, probe.Ref);
                    throw Fail("the handler answered with an event stream, which never ends by itself: read it with this.OpenEventStream(handler, request)");
                case HttpResponse response when head == null:
                    head = response;
                    stream = new ResponseStreamState(probe.LastSender);
                    stream.Begin(response.ContentLength is >= 0 ? BodyFraming.ContentLength : BodyFraming.Chunked, response.ContentLength, closeAfter: false);
                    break;
                case ResponseStream.Chunk or ResponseStream.End or Status.Failure when stream != null:
                    stream.Offer(message, probe.LastSender);
                    switch (stream.TakeNext(out var bytes))
                    {
                        case StreamStep.Chunk:
                            chunks.Add(bytes);
                            probe.LastSender.Tell(ResponseStream.Ack.Instance, probe.Ref);
                            break;
                        case StreamStep.End:
                            return new StreamedResponse(head!, chunks);
                        case StreamStep.Broken:
                            throw Fail($"the stream failed after {chunks.Count} chunks (the connection would abort): the producer {stream.Problem}");
                    }
                    break;
                case Status.Failure failure:
                    throw Fail($"the handler replied with a failure (the client would get 500): {failure.Cause}");
                default:
                    throw Fail($"the handler sent {message.GetType().Name} {(head == null ? "instead of a response" : "in the middle of a stream")} (the client would get 500)");
            }
        }
    }

    private static Xunit.Sdk.XunitException Fail(string message) => new(message);
}
