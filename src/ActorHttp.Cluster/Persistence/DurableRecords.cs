using Akka.IO;
using ActorHttp.Protocol;

namespace ActorHttp.Cluster.Persistence;

/// <summary>
/// Marks what durable entities write to the journal and the snapshot store; reference.conf binds it to
/// <see cref="Serialization.DurableEntitySerializer"/>, whose format is versioned.
/// </summary>
public interface IDurableRecord;

/// <summary>
/// The answer a durable entity gave to a write request, kept with its events so that a copy of the request (the route
/// handler's resend after a node failed, or a client's retry with the same <c>Idempotency-Key</c>) gets the same answer
/// instead of being applied twice, also by the entity's next incarnation on another node.
/// </summary>
public sealed record StoredReply(int Status, string? ContentType, IReadOnlyList<HttpHeader> Headers, ByteString Body)
{
    /// <summary>The complete response <paramref name="response"/> as stored.</summary>
    public static StoredReply From(HttpResponse response) => new(response.Status, response.ContentType, response.Headers, response.Body);

    /// <summary>The response again.</summary>
    public HttpResponse ToResponse() => new() { Status = Status, ContentType = ContentType, Headers = Headers, Body = Body };

    /// <inheritdoc />
    public bool Equals(StoredReply? other) => other is not null && Status == other.Status && ContentType == other.ContentType
        && Headers.SequenceEqual(other.Headers) && Body.Equals(other.Body);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Status, ContentType, Body.Count);
}

/// <summary>
/// One journal entry of a durable entity: the events one request produced, written atomically, with the request's key
/// and its answer when the request had a key (see <see cref="StoredReply"/>).
/// </summary>
/// <param name="RequestKey">The request's key (its route handler and correlation id, or its Idempotency-Key), or null.</param>
/// <param name="Reply">The answer sent once the entry was written; null when <paramref name="RequestKey"/> is.</param>
/// <param name="Events">The entity's own events, serialized by whatever serializer Akka binds to each.</param>
public sealed record DurableEntry(string? RequestKey, StoredReply? Reply, IReadOnlyList<object> Events) : IDurableRecord
{
    /// <inheritdoc />
    public bool Equals(DurableEntry? other) => other is not null && RequestKey == other.RequestKey && Equals(Reply, other.Reply)
        && Events.SequenceEqual(other.Events);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(RequestKey, Events.Count);
}

/// <summary>
/// A durable entity's snapshot: its state, and the requests it remembers with their answers (oldest first), so that a
/// copy is recognised after a recovery from the snapshot too.
/// </summary>
public sealed record DurableSnapshot(object State, IReadOnlyList<(string Key, StoredReply Reply)> Remembered) : IDurableRecord
{
    /// <inheritdoc />
    public bool Equals(DurableSnapshot? other) => other is not null && State.Equals(other.State) && Remembered.SequenceEqual(other.Remembered);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(State, Remembered.Count);
}
