using Akka.Actor;
using Akka.IO;
using ActorHttp.Protocol;
using ActorHttp.Server;

namespace ActorHttp.Handlers;

/// <summary>
/// Streams a response body from an <see cref="IAsyncEnumerable{T}"/> (or a <see cref="Stream"/>) to a request's
/// sender, running the <see cref="ResponseStream"/> protocol: one chunk in flight, the next fetched while it goes out,
/// paced by the connection's acks. A slow client therefore slows the source instead of filling memory.
/// </summary>
public static class ResponseStreams
{
    /// <summary>Default size of the pieces read from a <see cref="Stream"/>: large enough for throughput, below the large-object heap.</summary>
    public const int DefaultChunkSize = 64 * 1024;

    /// <summary>
    /// Starts an actor (in <paramref name="context"/>: the actor system, or an actor's context for a child) that sends
    /// <paramref name="head"/> (marked streamed) to <paramref name="client"/>, then the pieces of <paramref name="body"/>.
    /// It stops when the body ends or the connection cancels; the enumerator is disposed either way. Prefer the system:
    /// a child would be restarted or stopped with its parent, cutting the stream off.
    /// </summary>
    public static IActorRef Start(IActorRefFactory context, IActorRef client, HttpResponse head, IAsyncEnumerable<ByteString> body) =>
        context.ActorOf(Props(client, head, body));

    /// <summary>Props of the actor <see cref="Start"/> creates.</summary>
    public static Props Props(IActorRef client, HttpResponse head, IAsyncEnumerable<ByteString> body) =>
        Akka.Actor.Props.Create(() => new ResponseStreamProducer(client, head, body));

    /// <summary>
    /// Reads <paramref name="stream"/> in pieces of <paramref name="chunkSize"/> bytes, at most <paramref name="length"/>
    /// bytes in all (to its end when null), and disposes it when done or abandoned.
    /// </summary>
    public static async IAsyncEnumerable<ByteString> FromStream(Stream stream, long? length = null, int chunkSize = DefaultChunkSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        await using (stream.ConfigureAwait(false))
        {
            var remaining = length ?? long.MaxValue;
            while (remaining > 0)
            {
                // A fresh array per piece: the transport may still read the previous one after it was acknowledged.
                var buffer = new byte[(int)Math.Min(chunkSize, remaining)];
                var n = await stream.ReadAsync(buffer).ConfigureAwait(false);
                if (n == 0) yield break;
                remaining -= n;
                yield return ByteString.FromBytes(buffer, 0, n);
            }
        }
    }
}

/// <summary>The actor behind <see cref="ResponseStreams.Start"/>: one streamed response.</summary>
internal sealed class ResponseStreamProducer : UntypedActor
{
    private sealed record Fetched(ByteString Bytes);

    private sealed class SourceDone
    {
        public static readonly SourceDone Instance = new();
    }

    /// <summary>
    /// A safety net only: the connection cancels the stream when it stops, and aborts a client that does not read
    /// within its send-timeout; a producer that hears nothing for this long stops.
    /// </summary>
    private static readonly TimeSpan AbandonedAfter = TimeSpan.FromMinutes(5);

    private readonly IActorRef _client;
    private readonly HttpResponse _head;
    private readonly IAsyncEnumerator<ByteString> _source;
    private Task? _fetch;
    private ByteString? _ready;
    private bool _awaitingAck, _sourceDone, _ended;

    public ResponseStreamProducer(IActorRef client, HttpResponse head, IAsyncEnumerable<ByteString> body)
    {
        _client = client;
        _head = head.Streamed ? head : head with { Streamed = true };
        _source = body.GetAsyncEnumerator();
    }

    protected override void PreStart()
    {
        _client.Tell(_head, Self);
        Context.SetReceiveTimeout(AbandonedAfter);
        Fetch();
    }

    protected override void PostStop()
    {
        // Stopped without End (abandoned, or its parent stopped): a failure tells the connection to cut the body short
        // and a per-request wrapper that the exchange is over.
        if (!_ended) _client.Tell(new Status.Failure(new InvalidOperationException("the response stream was stopped before its end")), Self);
        // Dispose only once no MoveNextAsync is running (async iterators forbid disposing in the middle of one).
        var source = _source;
        if (_fetch is { IsCompleted: false } fetch) fetch.ContinueWith(_ => source.DisposeAsync().AsTask(), TaskScheduler.Default);
        else _ = source.DisposeAsync().AsTask();
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Fetched fetched:
                _fetch = null;
                if (fetched.Bytes.IsEmpty) Fetch();
                else _ready = fetched.Bytes;
                Advance();
                break;
            case SourceDone:
                _fetch = null;
                _sourceDone = true;
                Advance();
                break;
            case ResponseStream.Ack:
                _awaitingAck = false;
                Advance();
                break;
            case ResponseStream.Cancelled:
                End(); // lets a per-request wrapper know the exchange is over; the connection ignores it
                break;
            case Status.Failure failure:
                _ended = true;
                _client.Tell(failure, Self); // after the head: the connection truncates the body
                Context.Stop(Self);
                break;
            case ReceiveTimeout:
                Context.Stop(Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>Sends what is ready when the previous chunk was acknowledged, ends after the last, and keeps one piece fetched ahead.</summary>
    private void Advance()
    {
        if (!_awaitingAck && _ready is { } ready)
        {
            _client.Tell(new ResponseStream.Chunk(ready), Self);
            _ready = null;
            _awaitingAck = true;
        }
        if (_sourceDone && _ready == null)
        {
            End();
            return;
        }
        if (_ready == null && _fetch == null && !_sourceDone) Fetch();
    }

    private void End()
    {
        _ended = true;
        _client.Tell(ResponseStream.End.Instance, Self);
        Context.Stop(Self);
    }

    private void Fetch()
    {
        var source = _source;
        var fetch = source.MoveNextAsync().AsTask();
        _fetch = fetch;
        fetch.PipeTo(Self, success: more => more ? new Fetched(source.Current) : SourceDone.Instance,
            failure: e => new Status.Failure(e));
    }
}
