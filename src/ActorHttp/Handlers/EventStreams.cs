using Akka.Actor;
using Akka.Event;
using Akka.IO;
using ActorHttp.Protocol;
using ActorHttp.Server;

namespace ActorHttp.Handlers;

/// <summary>
/// Answers a request with a server-sent event stream (<c>text/event-stream</c>) and writes the
/// <see cref="ServerSentEvent"/>s told to it, from any actor, on this node or another:
/// <code>
/// protected override void OnRequest(HttpRequest request)
/// {
///     var events = EventStreams.Start(Context, Sender);   // sends the head; lives as long as the client (or this actor)
///     events.Tell(new ServerSentEvent("hello", Id: "1"));
/// }
/// </code>
/// The actor sends <see cref="HttpResponse.EventStream"/> (or the given head) to the request's sender, then runs the
/// <see cref="ResponseStream"/> protocol: one chunk per Ack, holding the queued events (as many as fit 64 KB) in each.
/// Events that arrive while the client is slow wait, up to <see cref="EventStreamSettings.MaxQueuedBytes"/>; past that
/// the stream is ended (a client reconnects with <c>Last-Event-ID</c>, <see cref="HttpRequest.LastEventId"/>), so memory
/// stays bounded. After <see cref="EventStreamSettings.HeartbeatInterval"/> without a chunk it sends a comment line, on
/// a timer of <see cref="ServerSettings.Clock"/>.
/// <para>
/// It stops when the client goes away (the connection cancels the stream), after <see cref="Complete"/> once the queued
/// events are out, when the queue overflows, or when it is stopped (then it ends the stream too). Watch it to learn that
/// the stream is over. Start it as a child of the actor that feeds it (<c>Context</c>), so that the stream ends with that
/// actor; the connection never cuts a quiet event stream off on its own.
/// </para>
/// </summary>
public static class EventStreams
{
    /// <summary>Tell it to the event stream: the stream ends once the events already told are out.</summary>
    public sealed class Complete
    {
        /// <summary>The one instance.</summary>
        public static readonly Complete Instance = new();
        private Complete() { }
    }

    /// <summary>
    /// Starts an event stream actor in <paramref name="context"/> (an actor's <c>Context</c>: a child of the actor that
    /// feeds it) that answers <paramref name="client"/> (the request's <c>Sender</c>) and returns it: tell it
    /// <see cref="ServerSentEvent"/>s and, to end, <see cref="Complete"/>.
    /// </summary>
    /// <param name="context">Where to create the actor.</param>
    /// <param name="client">The request's sender: the connection (or a per-request handler's relay to it).</param>
    /// <param name="settings">Heartbeat, queue bound and clock; null: the actor system's (<see cref="HttpServer.Settings"/>).</param>
    /// <param name="head">The head to answer with, e.g. <c>HttpResponse.EventStream() with { Headers = … }</c>; null:
    /// <see cref="HttpResponse.EventStream"/>. It must be an event stream's (<see cref="HttpResponse.IsEventStream"/>).</param>
    /// <exception cref="ArgumentException"><paramref name="head"/> is not an event stream's.</exception>
    public static IActorRef Start(IActorRefFactory context, IActorRef client, ServerSettings? settings = null, HttpResponse? head = null) =>
        context.ActorOf(Props(client, settings, head));

    /// <summary>Props of the actor <see cref="Start"/> creates.</summary>
    /// <exception cref="ArgumentException"><paramref name="head"/> is not an event stream's.</exception>
    public static Props Props(IActorRef client, ServerSettings? settings = null, HttpResponse? head = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (head is { IsEventStream: false })
            throw new ArgumentException("an event stream's head must be streamed, text/event-stream and of no declared length (HttpResponse.EventStream())", nameof(head));
        return Akka.Actor.Props.Create(() => new EventStreamActor(client, settings, head ?? HttpResponse.EventStream()));
    }
}

/// <summary>The actor behind <see cref="EventStreams.Start"/>: one event stream.</summary>
internal sealed class EventStreamActor : UntypedActor
{
    /// <summary>The most bytes of queued events put in one chunk (one event larger than this goes alone).</summary>
    internal const int MaxChunkSize = ResponseStreams.DefaultChunkSize;

    /// <summary>What a heartbeat sends: an empty comment line.</summary>
    internal static readonly ByteString HeartbeatComment = ServerSentEvent.Comment("");

    private sealed class Heartbeat
    {
        public static readonly Heartbeat Instance = new();
        private Heartbeat() { }
    }

    private readonly IActorRef _client;
    private readonly HttpResponse _head;
    private readonly ServerSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Queue<ByteString> _queue = new();
    private long _queuedBytes;
    private bool _awaitingAck, _completing, _ended;
    private ITimer? _heartbeat;

    public EventStreamActor(IActorRef client, ServerSettings? settings, HttpResponse head)
    {
        _client = client;
        _head = head;
        _settings = settings ?? HttpServer.Get(Context.System).Settings;
    }

    private TimeSpan? HeartbeatInterval => _settings.EventStream.HeartbeatInterval;

    protected override void PreStart()
    {
        _client.Tell(_head, Self);
        if (HeartbeatInterval is { } interval)
            _heartbeat = _settings.Clock.CreateTimer(static self => ((IActorRef)self!).Tell(Heartbeat.Instance), Self, interval, Timeout.InfiniteTimeSpan);
    }

    protected override void PostStop()
    {
        _heartbeat?.Dispose();
        // Stopped from outside (its parent stopped): an event stream has no length, so ending it is always well formed.
        if (!_ended) _client.Tell(ResponseStream.End.Instance, Self);
    }

    protected override void OnReceive(object message)
    {
        if (_ended) return; // stopping: nothing more goes to the client
        switch (message)
        {
            case ServerSentEvent sse when !_completing:
                var bytes = sse.ToBytes();
                _queue.Enqueue(bytes);
                _queuedBytes += bytes.Count;
                Advance();
                if (_queuedBytes > _settings.EventStream.MaxQueuedBytes) Overflow();
                break;
            case ServerSentEvent:
                break; // after Complete: the stream is ending
            case ResponseStream.Ack:
                _awaitingAck = false;
                Advance();
                break;
            case Heartbeat:
                if (!_awaitingAck && _queue.Count == 0) Send(HeartbeatComment);
                else ArmHeartbeat(); // a chunk is on its way: that is activity
                break;
            case EventStreams.Complete:
                _completing = true;
                Advance();
                break;
            case ResponseStream.Cancelled:
                End(); // the client went away; End lets a per-request wrapper know the exchange is over
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>Sends the queued events when the previous chunk was acknowledged; ends after the last once completing.</summary>
    private void Advance()
    {
        if (!_awaitingAck && _queue.Count > 0) Send(TakeChunk());
        if (_completing && _queue.Count == 0) End(); // End needs no Ack before it
    }

    /// <summary>The queued events, as many as fit <see cref="MaxChunkSize"/> (at least one), in one piece.</summary>
    private ByteString TakeChunk()
    {
        var first = _queue.Dequeue();
        _queuedBytes -= first.Count;
        if (_queue.Count == 0 || first.Count + _queue.Peek().Count > MaxChunkSize) return first;
        var pieces = new List<ByteString> { first };
        var size = first.Count;
        while (_queue.TryPeek(out var next) && size + next.Count <= MaxChunkSize)
        {
            pieces.Add(_queue.Dequeue());
            _queuedBytes -= next.Count;
            size += next.Count;
        }
        var joined = new byte[size];
        var at = 0;
        foreach (var piece in pieces)
        {
            piece.ToReadOnlySpan().CopyTo(joined.AsSpan(at)); // each event is one piece: no copy to make the span
            at += piece.Count;
        }
        return ByteString.FromBytes(joined);
    }

    private void Send(ByteString chunk)
    {
        _client.Tell(new ResponseStream.Chunk(chunk), Self);
        _awaitingAck = true;
        ArmHeartbeat();
    }

    private void ArmHeartbeat()
    {
        if (HeartbeatInterval is { } interval) _heartbeat?.Change(interval, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The client does not keep up: rather than hold without bound, the stream ends and the queue is dropped.</summary>
    private void Overflow()
    {
        _log.Warning("event stream: {0} bytes of events wait for a slow client (max-queued-bytes = {1}); ending the stream",
            _queuedBytes, _settings.EventStream.MaxQueuedBytes);
        _queue.Clear();
        _queuedBytes = 0;
        End();
    }

    private void End()
    {
        if (_ended) return;
        _ended = true;
        _client.Tell(ResponseStream.End.Instance, Self);
        Context.Stop(Self);
    }
}
