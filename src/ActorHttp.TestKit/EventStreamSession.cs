using Akka.Actor;
using Akka.TestKit;
using ActorHttp.Protocol;
using ActorHttp.Protocol.Rendering;
using ActorHttp.Routing;
using ActorHttp.Server;
using ActorHttp.Server.Connection;
using Xunit.Sdk;

namespace ActorHttp.Testing;

/// <summary>Opens server-sent event streams from an Akka TestKit, without sockets (see <see cref="EventStreamSession"/>).</summary>
public static class EventStreamTestKitExtensions
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Sends <paramref name="request"/> to <paramref name="handler"/>, which must answer with an event stream
    /// (<see cref="HttpResponse.IsEventStream"/>, e.g. through <c>EventStreams.Start</c>), and returns the open stream to
    /// read events from.
    /// </summary>
    /// <exception cref="XunitException">No answer within <paramref name="timeout"/>, or an answer that is not an event stream.</exception>
    public static EventStreamSession OpenEventStream(this TestKitBase kit, IActorRef handler, HttpRequest request, TimeSpan? timeout = null)
    {
        var wait = timeout ?? DefaultTimeout;
        var probe = kit.CreateTestProbe();
        handler.Tell(request, probe.Ref);
        while (true)
        {
            var message = probe.ReceiveOne(wait) ?? throw new XunitException($"the handler did not answer within {wait}");
            switch (message)
            {
                case RequestBodyStream.Read:
                    probe.LastSender.Tell(RequestBodyStream.Completed.Instance, probe.Ref); // only buffered bodies here
                    break;
                case HttpResponse { IsEventStream: true } head:
                    return new EventStreamSession(probe, head, probe.LastSender);
                case HttpResponse response:
                    if (response.Streamed) probe.LastSender.Tell(ResponseStream.Cancelled.Instance, probe.Ref);
                    throw new XunitException($"the handler answered {response.Status} {response.ContentType ?? "(no content type)"}" +
                                             $"{(response.Streamed ? " streamed" : "")}, not an event stream (streamed text/event-stream of no declared length)");
                case Status.Failure failure:
                    throw new XunitException($"the handler replied with a failure (the client would get 500): {failure.Cause}");
                default:
                    throw new XunitException($"the handler sent {message.GetType().Name} instead of a response (the client would get 500)");
            }
        }
    }

    /// <summary>Routes <paramref name="request"/> through <paramref name="routes"/> as a connection would, then <see cref="OpenEventStream(TestKitBase, IActorRef, HttpRequest, TimeSpan?)"/>.</summary>
    /// <exception cref="XunitException">The router answered by itself (404, 405…), or the handler did not answer with an event stream.</exception>
    public static EventStreamSession OpenEventStream(this TestKitBase kit, IRequestRouter routes, HttpRequest request, TimeSpan? timeout = null)
    {
        var decision = routes.Route(request);
        if (decision.Response is { } immediate) throw new XunitException($"the router answered {immediate.Status} itself: {immediate.BodyAsString().TrimEnd()}");
        return kit.OpenEventStream(decision.Handler!, decision.Request!, timeout);
    }
}

/// <summary>
/// An event stream as a client reads it, its connection played by a test probe: each chunk is acknowledged as soon as
/// it arrives (a fast client), parsed (<see cref="ServerSentEventParser"/>) and judged by the connection's own code, so
/// a producer that floods chunks without waiting for Acks, or fails, fails the test as it would abort a real connection.
/// Heartbeat comments are kept apart: <see cref="ExpectEvent"/> skips them, <see cref="ExpectComment"/> waits for one.
/// Unlike a connection, the session never cuts a stream off; every wait is bounded by its timeout.
/// </summary>
public sealed class EventStreamSession
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan DefaultQuiet = TimeSpan.FromMilliseconds(100);

    private readonly TestProbe _probe;
    private readonly ResponseStreamState _stream;
    private readonly ServerSentEventParser _parser = new();
    private readonly Queue<(ServerSentEvent? Event, string? Comment)> _unread = new();
    private readonly List<ServerSentEvent> _events = [];
    private readonly List<string> _comments = [];
    private IActorRef _producer;
    private bool _disconnected;

    internal EventStreamSession(TestProbe probe, HttpResponse head, IActorRef producer)
    {
        _probe = probe;
        Head = head;
        _producer = producer;
        _stream = new ResponseStreamState(producer, isEventStream: true);
        _stream.Begin(BodyFraming.Chunked, null, closeAfter: false);
    }

    /// <summary>The head the handler answered with.</summary>
    public HttpResponse Head { get; }

    /// <summary>Who sends the stream's chunks (it gets the Acks): the event stream actor. Watch it to see it stop.</summary>
    public IActorRef Producer => _producer;

    /// <summary>Every event received so far, in order (also those not yet taken by an Expect).</summary>
    public IReadOnlyList<ServerSentEvent> Events => _events;

    /// <summary>Every comment line received so far (a heartbeat is an empty one).</summary>
    public IReadOnlyList<string> Comments => _comments;

    /// <summary>The last event id a browser would now send back as <c>Last-Event-ID</c> ("" before any).</summary>
    public string LastEventId => _parser.LastEventId;

    /// <summary>The producer ended the stream.</summary>
    public bool Ended { get; private set; }

    /// <summary>The next event (skipping comments).</summary>
    /// <exception cref="XunitException">None within <paramref name="timeout"/>, or the stream ended first.</exception>
    public ServerSentEvent ExpectEvent(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            while (_unread.TryDequeue(out var item))
                if (item.Event is { } e) return e;
            if (Ended) throw new XunitException($"the stream ended after {_events.Count} events; expected another");
            if (!Pump(deadline)) throw new XunitException($"no event within {timeout ?? DefaultTimeout} (after {_events.Count} events)");
        }
    }

    /// <summary>The next <paramref name="count"/> events (skipping comments).</summary>
    public IReadOnlyList<ServerSentEvent> ExpectEvents(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        var events = new List<ServerSentEvent>(count);
        for (var i = 0; i < count; i++) events.Add(ExpectEvent(Remaining(deadline)));
        return events;
    }

    /// <summary>The next comment line's text (a heartbeat's is ""); an event before it fails.</summary>
    /// <exception cref="XunitException">None within <paramref name="timeout"/>, an event came first, or the stream ended.</exception>
    public string ExpectComment(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            if (_unread.TryDequeue(out var item))
            {
                if (item.Comment is { } comment) return comment;
                throw new XunitException($"expected a comment, got the event {item.Event}");
            }
            if (Ended) throw new XunitException("the stream ended; expected a comment");
            if (!Pump(deadline)) throw new XunitException($"no comment within {timeout ?? DefaultTimeout}");
        }
    }

    /// <summary>Waits <paramref name="duration"/> (100 ms by default) and fails if an event is or becomes unread meanwhile (comments do not count).</summary>
    public void ExpectNoEvent(TimeSpan? duration = null)
    {
        var deadline = DateTime.UtcNow + (duration ?? DefaultQuiet);
        while (!Ended && Pump(deadline)) { }
        if (_unread.FirstOrDefault(i => i.Event is not null).Event is { } e) throw new XunitException($"expected no event, got {e}");
    }

    /// <summary>Waits for the producer to end the stream; an unread event fails.</summary>
    public void ExpectEnd(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            if (_unread.FirstOrDefault(i => i.Event is not null).Event is { } e) throw new XunitException($"expected the end of the stream, got the event {e}");
            if (Ended) return;
            if (!Pump(deadline)) throw new XunitException($"the stream did not end within {timeout ?? DefaultTimeout}");
        }
    }

    /// <summary>
    /// The client goes away: the producer is told <see cref="ResponseStream.Cancelled"/>, as a connection would (it should
    /// answer End and stop: <see cref="ExpectEnd"/>); chunks it still sends are answered Cancelled and dropped.
    /// </summary>
    public void Disconnect()
    {
        if (_disconnected || Ended) return;
        _disconnected = true;
        _producer.Tell(ResponseStream.Cancelled.Instance, _probe.Ref);
    }

    private static TimeSpan Remaining(DateTime deadline) => deadline - DateTime.UtcNow is var left && left > TimeSpan.Zero ? left : TimeSpan.Zero;

    /// <summary>Takes the next message from the stream, waiting until <paramref name="deadline"/>; false when none came.</summary>
    private bool Pump(DateTime deadline)
    {
        var message = _probe.ReceiveOne(Remaining(deadline));
        if (message is null) return false;
        var sender = _probe.LastSender;
        switch (message)
        {
            case ResponseStream.Chunk when _disconnected:
                sender.Tell(ResponseStream.Cancelled.Instance, _probe.Ref);
                return true;
            case ResponseStream.Chunk or ResponseStream.End or Status.Failure:
                _producer = sender;
                _stream.Offer(message, sender);
                while (true)
                {
                    switch (_stream.TakeNext(out var bytes))
                    {
                        case StreamStep.Chunk:
                            _parser.Feed(bytes.ToReadOnlySpan(), e =>
                            {
                                _events.Add(e);
                                _unread.Enqueue((e, null));
                            }, c =>
                            {
                                _comments.Add(c);
                                _unread.Enqueue((null, c));
                            });
                            sender.Tell(ResponseStream.Ack.Instance, _probe.Ref);
                            continue;
                        case StreamStep.End:
                            Ended = true;
                            return true;
                        case StreamStep.Broken:
                            throw new XunitException($"the event stream failed after {_events.Count} events (the connection would abort): the producer {_stream.Problem}");
                        default:
                            return true;
                    }
                }
            default:
                throw new XunitException($"the producer sent {message.GetType().Name} in the middle of an event stream (the connection would ignore or refuse it)");
        }
    }
}
