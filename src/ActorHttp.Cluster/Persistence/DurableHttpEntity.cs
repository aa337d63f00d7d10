using Akka.Event;
using Akka.Persistence;
using ActorHttp.Protocol;

namespace ActorHttp.Cluster.Persistence;

/// <summary>
/// Base class of an event-sourced sharded entity, with the same model as any handler: an <see cref="HttpRequest"/> in,
/// an <see cref="HttpResponse"/> out. For each request <see cref="Decide"/> returns either a reply (a read) or events and
/// the reply to send once they are written; the events are persisted (Akka.Persistence, the journal of
/// <c>actor-http.cluster.persistence</c>: SQLite by default), applied to the state with <see cref="Apply"/>, and only
/// then is the reply sent: a 200 means the write is durable. The state is rebuilt from the events (and the latest
/// snapshot, saved every <c>snapshot-every</c> writes) when the entity starts again, on this node or another. With
/// <c>delete-events-on-snapshot = on</c> the events a snapshot covers are then deleted from the journal.
/// <para>
/// Copies are answered, not applied again: each write is stored with the request's key and its answer. The key is the
/// client's <c>Idempotency-Key</c> header when it sent one (a client may retry a POST after a 503 with the same key),
/// otherwise the accepting node's route handler and correlation id (a request that route handler sent again because
/// the entity's node died before answering). The last <c>remembered-requests</c> keys of an entity are kept, in its
/// snapshots too, so a copy reaching the entity's next incarnation gets the answer the first one got.
/// </para>
/// <para>
/// A write that fails (the database is down) is answered 503 with Retry-After and the entity stops; its next request
/// starts it again, recovered from what was written. The events need a serializer bound in the config (a stable
/// format: they are read back by later versions of the application); the demo's are in
/// <see cref="Serialization.DurableEntitySerializer"/>.
/// </para>
/// </summary>
/// <typeparam name="TState">The entity's state: immutable, replaced by <see cref="Apply"/>.</typeparam>
public abstract class DurableHttpEntity<TState> : UntypedPersistentActor where TState : notnull
{
    /// <summary>The key under which the sharded entity's host puts a request's route-handler key in <see cref="HttpRequest.Items"/>.</summary>
    public const string RequestKeyItem = "actor-http.cluster.request-key";

    private readonly DurableStoreSettings _settings = DurableStore.Get(Context.System).Settings;
    private readonly Dictionary<string, StoredReply> _remembered = new(StringComparer.Ordinal);
    private readonly Queue<string> _rememberedOrder = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private int _writesSinceSnapshot;
    private Akka.Actor.IActorRef? _writing;
    private string? _persistenceId;

    /// <summary>What to do with one request: reply at once, or persist events and reply once they are written.</summary>
    protected readonly record struct Decision(IReadOnlyList<object> Events, Func<TState, HttpResponse> Reply);

    /// <summary>A decision without events: <paramref name="response"/> is sent at once.</summary>
    protected static Decision Reply(HttpResponse response) => new([], _ => response);

    /// <summary>A decision without events whose reply is made from the current state.</summary>
    protected static Decision Reply(Func<TState, HttpResponse> reply) => new([], reply);

    /// <summary>Persist <paramref name="event"/>, then reply with <paramref name="reply"/> of the new state.</summary>
    protected static Decision Persist(object @event, Func<TState, HttpResponse> reply) => new([@event], reply);

    /// <summary>Persist <paramref name="events"/> in one atomic write, then reply with <paramref name="reply"/> of the new state.</summary>
    protected static Decision PersistAll(IReadOnlyList<object> events, Func<TState, HttpResponse> reply) => new(events, reply);

    /// <summary>The state before any event.</summary>
    protected abstract TState InitialState { get; }

    /// <summary>The state after <paramref name="event"/>: a pure function, also run on recovery.</summary>
    protected abstract TState Apply(TState state, object @event);

    /// <summary>What <paramref name="request"/> does in <paramref name="state"/>. Throwing answers 500 (nothing is written).</summary>
    protected abstract Decision Decide(HttpRequest request, TState state);

    /// <summary>Called after events were written and applied (and once after recovery, with no events): e.g. tell subscribers.</summary>
    protected virtual void OnChanged(TState before, TState after) { }

    /// <summary>Handles anything that is not a request (with the state as it is); unhandled by default.</summary>
    protected virtual void OnOtherMessage(object message) => Unhandled(message);

    /// <summary>The current state.</summary>
    protected TState State { get; private set; } = default!;

    /// <summary>
    /// <c>{entity type}/{entity id}</c>, read from the actor's place under sharding (region / shard / entity / handler);
    /// outside sharding (a test), its path.
    /// Override to name it otherwise (it must never change for an entity, or its history is lost).
    /// </summary>
    public override string PersistenceId => _persistenceId ??= DefaultPersistenceId();

    /// <summary>Writes to the journal and snapshot store of <c>actor-http.cluster.persistence</c>.</summary>
    protected DurableHttpEntity()
    {
        JournalPluginId = _settings.JournalPluginId;
        SnapshotPluginId = _settings.SnapshotPluginId;
    }

    /// <inheritdoc />
    protected override void PreStart()
    {
        State = InitialState;
        DurableStore.Get(Context.System).EnsureReady(); // before the recovery's first read
        base.PreStart();
    }

    private string DefaultPersistenceId()
    {
        // Under sharding: /system/sharding/{type}/{shard}/{entity}/handler. Elsewhere (a test), the path itself.
        var elements = Self.Path.Elements;
        return elements is ["system", "sharding", var type, _, var entity, ..]
            ? $"{Uri.UnescapeDataString(type)}/{Uri.UnescapeDataString(entity)}"
            : Self.Path.ToStringWithoutAddress();
    }

    /// <inheritdoc />
    protected sealed override void OnRecover(object message)
    {
        switch (message)
        {
            case SnapshotOffer { Snapshot: DurableSnapshot snapshot }:
                State = (TState)snapshot.State;
                _remembered.Clear();
                _rememberedOrder.Clear();
                foreach (var (key, reply) in snapshot.Remembered) Remember(key, reply);
                break;
            case DurableEntry entry:
                State = ApplyAll(State, entry.Events);
                Remember(entry.RequestKey, entry.Reply);
                _writesSinceSnapshot++;
                break;
            case RecoveryCompleted:
                OnChanged(InitialState, State);
                break;
        }
    }

    /// <inheritdoc />
    protected sealed override void OnCommand(object message)
    {
        switch (message)
        {
            case HttpRequest request:
                Handle(request);
                break;
            case SaveSnapshotSuccess saved:
                DeleteSnapshots(new SnapshotSelectionCriteria(saved.Metadata.SequenceNr - 1)); // the older ones are no longer read
                if (_settings.DeleteEventsOnSnapshot) DeleteMessages(saved.Metadata.SequenceNr); // nor are the events it covers
                break;
            case SaveSnapshotFailure failed:
                _log.Warning("entity {0}: saving a snapshot failed ({1}); recovery reads the events instead", PersistenceId, failed.Cause.Message);
                break;
            case DeleteMessagesFailure failed:
                _log.Warning("entity {0}: deleting the events up to its snapshot failed ({1}); the next snapshot tries again", PersistenceId, failed.Cause.Message);
                break;
            case DeleteSnapshotsSuccess or DeleteSnapshotsFailure or DeleteMessagesSuccess:
                break;
            default:
                OnOtherMessage(message);
                break;
        }
    }

    private void Handle(HttpRequest request)
    {
        var key = KeyOf(request);
        if (key is not null && _remembered.TryGetValue(key, out var stored))
        {
            Sender.Tell(stored.ToResponse(), Self); // a copy: answered as the first one was, not applied again
            return;
        }
        Decision decision;
        TState after;
        HttpResponse response;
        try
        {
            decision = Decide(request, State);
            after = ApplyAll(State, decision.Events);
            response = decision.Reply(after);
        }
        catch (Exception e)
        {
            _log.Error(e, "entity {0} failed to handle {1} {2}", PersistenceId, request.Method, request.Path);
            Sender.Tell(HttpResponse.Error(StatusCodes.InternalServerError), Self);
            return;
        }
        if (decision.Events.Count == 0)
        {
            Sender.Tell(response, Self);
            return;
        }
        var reply = key is null ? null : StoredReply.From(response);
        _writing = Sender;
        Persist(new DurableEntry(key, reply, decision.Events), _ =>
        {
            var before = State;
            State = after;
            Remember(key, reply);
            _writing = null;
            Sender.Tell(response, Self); // only now: the write is durable
            OnChanged(before, after);
            if (++_writesSinceSnapshot < _settings.SnapshotEvery) return;
            _writesSinceSnapshot = 0;
            SaveSnapshot(new DurableSnapshot(State, _rememberedOrder.Select(k => (k, _remembered[k])).ToList()));
        });
    }

    /// <summary>The key that recognises a copy of <paramref name="request"/>: the client's Idempotency-Key, else the route handler's.</summary>
    private static string? KeyOf(HttpRequest request)
    {
        if (request.Headers["Idempotency-Key"] is { Length: > 0 } idempotencyKey) return "idempotency-key:" + idempotencyKey;
        return request.Items.TryGetValue(RequestKeyItem, out var key) ? key as string : null;
    }

    private TState ApplyAll(TState state, IReadOnlyList<object> events)
    {
        foreach (var e in events) state = Apply(state, e);
        return state;
    }

    private void Remember(string? key, StoredReply? reply)
    {
        if (key is null || reply is null || _settings.RememberedRequests == 0) return;
        if (!_remembered.TryAdd(key, reply)) return;
        _rememberedOrder.Enqueue(key);
        while (_rememberedOrder.Count > _settings.RememberedRequests) _remembered.Remove(_rememberedOrder.Dequeue());
    }

    /// <summary>The write failed (the store is unreachable): the request is answered 503, and the entity stops (Akka.Persistence's rule).</summary>
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _writing?.Tell(HttpResponse.Error(StatusCodes.ServiceUnavailable, "the entity's store is unavailable") with
        {
            Headers = [new HttpHeader("Retry-After", "2")],
        }, Self);
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    /// <summary>The journal refused the write (e.g. an event without a serializer): 500, and the entity goes on.</summary>
    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        _writing?.Tell(HttpResponse.Error(StatusCodes.InternalServerError), Self);
        _writing = null;
        base.OnPersistRejected(cause, @event, sequenceNr);
    }
}
