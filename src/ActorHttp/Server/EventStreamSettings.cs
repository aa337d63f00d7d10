namespace ActorHttp.Server;

/// <summary>
/// <c>actor-http.server.event-stream</c>: how <c>ActorHttp.Handlers.EventStreams</c> actors run server-sent event streams
/// (see reference.conf, where each is documented with its default).
/// </summary>
/// <param name="HeartbeatInterval">
/// <c>heartbeat-interval</c>: a comment line is sent after this long without a chunk, so that proxies and load balancers
/// do not close a quiet stream and a client that is gone is noticed (the write fails). Null (<c>off</c>): none.
/// </param>
/// <param name="MaxQueuedBytes">
/// <c>max-queued-bytes</c>: the most bytes of rendered events that may wait for a slow client; an event stream that
/// would hold more is ended (the client reconnects with <c>Last-Event-ID</c> and resumes), never buffered without bound.
/// </param>
public sealed record EventStreamSettings(TimeSpan? HeartbeatInterval, long MaxQueuedBytes)
{
    internal static EventStreamSettings FromConfig(ConfigKeys section) => new(
        HeartbeatInterval: section.DurationOrOff("heartbeat-interval"),
        MaxQueuedBytes: section.Size("max-queued-bytes", 1024, int.MaxValue));
}
