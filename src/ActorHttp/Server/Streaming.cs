using Akka.IO;
using ActorHttp.Protocol;

namespace ActorHttp.Server;

/// <summary>
/// Messages of a streamed response. A handler answers the request with a head whose
/// <see cref="HttpResponse.Streamed"/> is true, then sends <see cref="Chunk"/>s and finally <see cref="End"/> to the
/// same recipient (the request's <c>Sender</c>). Each chunk is acknowledged with <see cref="Ack"/> once the connection
/// has handed it to the socket: send a chunk, wait for its Ack, send the next. The connection therefore holds at most
/// about two chunks of a stream, however slowly the client reads, and the producer is paced by the client.
/// <para>
/// The first chunk may follow the head without waiting. <see cref="End"/> needs no Ack before it. After
/// <see cref="Cancelled"/> (the client went away, the request was HEAD, or the status allows no body) send End and stop
/// producing (End tells a per-request handler's wrapper that the exchange is over, so its actor is stopped); further
/// chunks are answered with Cancelled again. A producer that sends chunks without waiting for Acks is cancelled. A <c>Status.Failure</c> after the head aborts the connection: the
/// client sees a truncated body, which is all HTTP/1.1 can say once the head is out.
/// </para>
/// <para>
/// Framing: with <see cref="HttpResponse.ContentLength"/> set, the chunks must add up to exactly that many bytes
/// (a producer that sends more, or ends short, gets the connection aborted); otherwise HTTP/1.1 clients get chunked
/// transfer coding and HTTP/1.0 clients a body delimited by closing the connection.
/// </para>
/// <c>ActorHttp.Handlers.ResponseStreams</c> (a layer above this one) runs this protocol for an <see cref="IAsyncEnumerable{T}"/> or a
/// <see cref="Stream"/>, so most handlers never see these messages.
/// </summary>
public static class ResponseStream
{
    /// <summary>Producer → connection: the next piece of the body. An empty chunk is ignored (and acknowledged).</summary>
    public sealed record Chunk(ByteString Bytes);

    /// <summary>Producer → connection: the body is complete.</summary>
    public sealed class End
    {
        public static readonly End Instance = new();
        private End() { }
    }

    /// <summary>
    /// Connection → producer: the previous chunk went out; send the next. (The last one's Ack may reach a producer that
    /// has already stopped: not worth a dead-letter log line.)
    /// </summary>
    public sealed class Ack : Akka.Event.IDeadLetterSuppression
    {
        public static readonly Ack Instance = new();
        private Ack() { }
    }

    /// <summary>Connection → producer: nothing more will be sent; stop producing, and answer with <see cref="End"/>.</summary>
    public sealed class Cancelled : Akka.Event.IDeadLetterSuppression
    {
        public static readonly Cancelled Instance = new();
        private Cancelled() { }
    }
}

/// <summary>
/// Messages of a streamed request body. A request whose body is larger than
/// <c>actor-http.server.parsing.stream-body-threshold</c> reaches its handler with <see cref="HttpRequest.BodyStreamed"/>
/// true and an empty <see cref="HttpRequest.Body"/>; the handler pulls the body by telling the request's
/// <c>Sender</c> <see cref="Read"/>, and gets one <see cref="Part"/>, <see cref="Completed"/> or <see cref="Failed"/> back
/// for each Read. The connection reads from the socket only as fast as the handler pulls, so an upload of any size
/// costs a bounded amount of memory.
/// <para>
/// The handler may answer before it has read the whole body (e.g. to reject it); the connection then closes after the
/// response, since the rest of the body is never read. The response timeout restarts with every Read.
/// </para>
/// </summary>
public static class RequestBodyStream
{
    /// <summary>Handler → connection: send me the next part of the body.</summary>
    public sealed class Read
    {
        public static readonly Read Instance = new();
        private Read() { }
    }

    /// <summary>Connection → handler: the next part of the body (never empty).</summary>
    public sealed record Part(ByteString Bytes);

    /// <summary>Connection → handler: the body is complete; nothing more follows.</summary>
    public sealed class Completed
    {
        public static readonly Completed Instance = new();
        private Completed() { }
    }

    /// <summary>
    /// Connection → handler: the body cannot be completed (malformed chunked framing, over the size limit, too slow, the
    /// client closed). The client has already been answered with <paramref name="Status"/>; a later response is dropped.
    /// </summary>
    public sealed record Failed(int Status, string Reason);
}
