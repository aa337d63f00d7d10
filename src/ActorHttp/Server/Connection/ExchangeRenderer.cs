using System.Net;
using Akka.Event;
using Akka.IO;
using ActorHttp.Observability;
using ActorHttp.Protocol;
using ActorHttp.Protocol.Rendering;

namespace ActorHttp.Server.Connection;

/// <summary>What rendering the front exchange came to (see <see cref="ExchangeRenderer.RenderFront"/>).</summary>
internal enum RenderOutcome : byte
{
    /// <summary>No response yet: later exchanges wait for it.</summary>
    Unanswered,
    /// <summary>A streamed response whose producer owes more: later exchanges wait until it ends.</summary>
    AwaitingChunks,
    /// <summary>Fully rendered; the connection goes on.</summary>
    Complete,
    /// <summary>Fully rendered, and it is the last: the connection closes after it.</summary>
    CompleteAndClose,
    /// <summary>A streamed response broke after its head (<see cref="ResponseStreamState.Problem"/>): it can only be truncated.</summary>
    Broken,
}

/// <summary>
/// Renders a connection's front exchange into its <see cref="ResponseWriter"/>: the interim 100 Continue, a whole
/// response, or a streamed one's head and then the chunks its producer sent; decides whether the connection closes after
/// it; and records its metrics and access log line.
/// </summary>
internal sealed class ExchangeRenderer(
    HttpResponseRenderer renderer, ResponseWriter writer, RequestBodyPump upload, long responseTimeout,
    ILoggingAdapter log, EndPoint remote, bool accessLog)
{
    private static readonly object[] StatusTags = Enumerable.Range(0, 600).Select(s => (object)s).ToArray(); // boxed once

    /// <summary>
    /// Renders what it can of <paramref name="exchange"/>. <paramref name="isLast"/>: nothing more will be parsed and
    /// nothing else is queued, so this response says <c>Connection: close</c>.
    /// </summary>
    public RenderOutcome RenderFront(ref Exchange exchange, bool isLast, long now)
    {
        if (exchange.IsContinue)
        {
            writer.Pending.Write(HttpResponseRenderer.Continue);
            return RenderOutcome.Complete;
        }
        if (exchange.Response is not { } response) return RenderOutcome.Unanswered;
        var stream = exchange.Stream;
        if (stream is not { HeadRendered: true })
        {
            var close = !exchange.KeepAlive || response.CloseConnection || isLast;
            // A response complete with its head ends its request's streamed body (a streamed one does when it ends: it may
            // be echoing the body as it arrives); a body not all received is never read, so the connection closes.
            var completesHere = stream == null || exchange.IsHead || StatusCodes.ForbidsBody(response.Status);
            if (completesHere) close |= upload.EndFor(exchange.Sequence);

            var output = writer.Pending;
            var before = output.Length;
            var context = new RenderContext(exchange.Protocol, exchange.IsHead, close);
            var framing = BodyFraming.None;
            if (stream == null) renderer.Render(response, context, output);
            else framing = renderer.RenderStreamedHead(response, context, output);
            writer.ResponseRendered();
            Record(ref exchange, response, output.Length - before, now);

            if (framing == BodyFraming.None)
            {
                stream?.Cancel(); // HEAD, or a status without a body: the head is all there is
                return close ? RenderOutcome.CompleteAndClose : RenderOutcome.Complete;
            }
            stream!.Begin(framing, response.ContentLength ?? 0, close);
            exchange.Deadline = now + responseTimeout;
        }
        return RenderChunks(ref exchange, stream, isLast);
    }

    /// <summary>Moves the chunks the producer sent into the output, until it owes more, ends, or breaks the stream.</summary>
    private RenderOutcome RenderChunks(ref Exchange exchange, ResponseStreamState stream, bool isLast)
    {
        while (true)
        {
            switch (stream.TakeNext(out var bytes))
            {
                case StreamStep.Waiting:
                    return RenderOutcome.AwaitingChunks;
                case StreamStep.Chunk:
                    HttpResponseRenderer.RenderBodyPart(bytes, stream.Framing, writer.Pending);
                    writer.OweAck(stream.Producer!);
                    break;
                case StreamStep.End:
                    HttpResponseRenderer.RenderBodyEnd(stream.Framing, writer.Pending);
                    // Close if it said so, if its request's body was not all read, or if parsing stopped meanwhile (legal
                    // after a complete chunked or sized body, even without Connection: close).
                    return stream.CloseAfter | upload.EndFor(exchange.Sequence) | isLast ? RenderOutcome.CompleteAndClose : RenderOutcome.Complete;
                default:
                    return RenderOutcome.Broken;
            }
        }
    }

    /// <summary>Metrics and the optional access log line of one response.</summary>
    private void Record(ref Exchange exchange, HttpResponse response, long bytes, long now)
    {
        var seconds = (now - exchange.StartedAt) / 1000.0;
        var route = new KeyValuePair<string, object?>("route", exchange.Route ?? "none");
        var status = response.Status is >= 200 and <= 599 ? response.Status : StatusCodes.InternalServerError;
        HttpMetrics.Requests.Add(1, route,
            new KeyValuePair<string, object?>("method", HttpMetrics.MethodTag(exchange.Request?.Method)),
            new KeyValuePair<string, object?>("status", StatusTags[status]));
        HttpMetrics.RequestDuration.Record(seconds, route);
        if (accessLog)
            log.Info("{0} \"{1}\" {2} {3} {4:F1}ms", remote, exchange.Request?.ToString() ?? "-", status, bytes, seconds * 1000);
    }
}
