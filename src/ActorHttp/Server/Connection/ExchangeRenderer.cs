using ActorHttp.Protocol;
using ActorHttp.Protocol.Rendering;
using ActorHttp.Protocol.WebSockets;

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
    /// <summary>The 101 of an accepted WebSocket upgrade is rendered: the connection speaks WebSocket from here on.</summary>
    Upgraded,
}

/// <summary>
/// Renders a connection's front exchange into its <see cref="ResponseWriter"/>: the interim 100 Continue, a whole
/// response, or a streamed one's head and then the chunks its producer sent; decides whether the connection closes after
/// it; and tells <see cref="ExchangeTelemetry"/> when a response is complete (its last byte rendered), counting its bytes.
/// </summary>
internal sealed class ExchangeRenderer(HttpResponseRenderer renderer, ResponseWriter writer, RequestBodyPump upload, ExchangeTelemetry telemetry)
{
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
        if (exchange.Upgrade is { } upgrade)
        {
            var before = writer.Pending.Length;
            WebSocketHandshake.RenderAccepted(exchange.Request!.WebSocket!, upgrade.Subprotocol, writer.Pending);
            writer.ResponseRendered();
            exchange.ResponseBytes += writer.Pending.Length - before;
            telemetry.Finish(ref exchange, StatusCodes.SwitchingProtocols, now);
            return RenderOutcome.Upgraded;
        }
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
            var declaredLength = response.ContentLength;
            if (exchange.Compressor is { } compressor)
            {
                // The route compresses: the whole body now, or a stream's chunks as they come (its encoder).
                if (stream == null) response = compressor.Compress(response, exchange.Coding, exchange.IsHead);
                else
                {
                    response = compressor.BeginStream(response, exchange.Coding, exchange.IsHead, out var encoder);
                    stream.Encoder = encoder;
                }
            }
            if (stream == null) renderer.Render(response, context, output);
            else framing = renderer.RenderStreamedHead(response, context, output);
            writer.ResponseRendered();
            exchange.ResponseBytes += output.Length - before;

            if (framing == BodyFraming.None)
            {
                stream?.Cancel(); // HEAD, or a status without a body: the head is all there is
                telemetry.Finish(ref exchange, response.Status, now);
                return close ? RenderOutcome.CompleteAndClose : RenderOutcome.Complete;
            }
            stream!.Begin(framing, declaredLength, close);
            exchange.Deadline = now + exchange.Timeout;
        }
        return RenderChunks(ref exchange, stream, isLast, now);
    }

    /// <summary>Moves the chunks the producer sent into the output, until it owes more, ends, or breaks the stream.</summary>
    private RenderOutcome RenderChunks(ref Exchange exchange, ResponseStreamState stream, bool isLast, long now)
    {
        var output = writer.Pending;
        while (true)
        {
            var before = output.Length;
            switch (stream.TakeNext(out var bytes))
            {
                case StreamStep.Waiting:
                    return RenderOutcome.AwaitingChunks;
                case StreamStep.Chunk:
                    if (stream.Encoder is { } encoder) bytes = encoder.Encode(bytes, flush: true); // the client can read what came so far
                    HttpResponseRenderer.RenderBodyPart(bytes, stream.Framing, output);
                    writer.OweAck(stream.Producer!);
                    exchange.ResponseBytes += output.Length - before;
                    break;
                case StreamStep.End:
                    if (stream.TakeEncoder() is { } last) HttpResponseRenderer.RenderBodyPart(last.Finish(), stream.Framing, output);
                    HttpResponseRenderer.RenderBodyEnd(stream.Framing, output);
                    exchange.ResponseBytes += output.Length - before;
                    telemetry.Finish(ref exchange, exchange.Response!.Status, now);
                    // Close if it said so, if its request's body was not all read, or if parsing stopped meanwhile (legal
                    // after a complete chunked or sized body, even without Connection: close).
                    return stream.CloseAfter | upload.EndFor(exchange.Sequence) | isLast ? RenderOutcome.CompleteAndClose : RenderOutcome.Complete;
                default:
                    telemetry.Finish(ref exchange, exchange.Response!.Status, now, brokenStream: stream.Problem ?? "broken");
                    return RenderOutcome.Broken;
            }
        }
    }
}
