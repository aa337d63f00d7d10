using Akka.Actor;
using Akka.Cluster.Sharding;

namespace ActorHttp.Cluster.Demo;

/// <summary>What <see cref="CounterFollower.Handle"/> made of a message.</summary>
internal enum FollowStep : byte
{
    /// <summary>Not a message of the follower's: the actor handles it.</summary>
    NotMine,
    /// <summary>Taken care of (a resubscription, a stopped entity).</summary>
    Handled,
    /// <summary>The region was found and the first subscription sent: the actor may start its output.</summary>
    Subscribed,
    /// <summary>No region serves the entity type on this node (<see cref="CounterFollower.MissingCause"/>).</summary>
    RegionMissing,
    /// <summary>A value of the followed counter arrived (<see cref="CounterFollower.Value"/>).</summary>
    Value,
}

/// <summary>
/// Follows one <see cref="CounterEntity"/> on behalf of the actor that owns it (an event stream, a WebSocket): finds the
/// shard region of the entity type, subscribes with the actor's own ref, watches the entity and subscribes again when it
/// stops (passivated, moved to another node, its node gone: the new incarnation answers with its value) or when no
/// value confirms the subscription (one lost in a shard's hand-off), and unsubscribes when told to stop. The owner
/// passes it its messages (<see cref="Handle"/>) and acts on the <see cref="FollowStep"/>s: one piece of code for every
/// kind of subscriber.
/// </summary>
internal sealed class CounterFollower(IActorContext context, ITimerScheduler timers, string entityType, IActorRef? givenRegion)
{
    /// <summary>A subscription not confirmed by a value within this long is sent again.</summary>
    internal static readonly TimeSpan ResubscribeAfter = TimeSpan.FromSeconds(2);

    /// <summary>How long the region of the entity type may take to be started by its sharded route.</summary>
    private static readonly TimeSpan RegionWait = TimeSpan.FromSeconds(10);

    private sealed record RegionFound(IActorRef Region);

    private sealed record RegionNotFound(Exception Cause);

    private sealed class Resubscribe
    {
        public static readonly Resubscribe Instance = new();
    }

    private IActorRef? _region, _entity;

    /// <summary>The counter followed.</summary>
    public string Id { get; private set; } = "";

    /// <summary>The entity type whose region is used.</summary>
    public string EntityType => givenRegion is null ? entityType : "(given region)";

    /// <summary>The last value received (after <see cref="FollowStep.Value"/>).</summary>
    public CounterSubscription.Changed? Value { get; private set; }

    /// <summary>Why the region was not found (after <see cref="FollowStep.RegionMissing"/>).</summary>
    public Exception? MissingCause { get; private set; }

    /// <summary>Starts following counter <paramref name="id"/>: the region is looked up, then the actor gets the steps.</summary>
    public void Start(string id)
    {
        Id = id;
        var self = context.Self;
        if (givenRegion is not null)
        {
            self.Tell(new RegionFound(givenRegion));
            return;
        }
        ClusterHttp.Get(context.System).ShardRegionAsync(entityType).WaitAsync(RegionWait)
            .PipeTo(self, success: region => new RegionFound(region), failure: e => new RegionNotFound(e));
    }

    /// <summary>Takes <paramref name="message"/> if it is the follower's (sent by <paramref name="sender"/>).</summary>
    public FollowStep Handle(object message, IActorRef sender)
    {
        switch (message)
        {
            case RegionFound found:
                _region = found.Region;
                Subscribe();
                return FollowStep.Subscribed;
            case RegionNotFound missing:
                MissingCause = missing.Cause;
                return FollowStep.RegionMissing;
            case CounterSubscription.Changed changed when changed.Id == Id && _region is not null:
                timers.Cancel(nameof(Resubscribe));
                if (!sender.Equals(_entity))
                {
                    if (_entity is not null) context.Unwatch(_entity);
                    _entity = sender;
                    context.Watch(_entity);
                }
                Value = changed;
                return FollowStep.Value;
            case Resubscribe when _region is not null:
                Subscribe();
                return FollowStep.Handled;
            case Terminated terminated when terminated.ActorRef.Equals(_entity):
                _entity = null;
                Subscribe(); // starts the entity again, wherever its shard now lives
                return FollowStep.Handled;
            default:
                return FollowStep.NotMine;
        }
    }

    /// <summary>Stops following (call from the owner's PostStop): the entity forgets the owner at once.</summary>
    public void Stop() => _region?.Tell(new ShardingEnvelope(Id, new CounterSubscription.Unsubscribe(context.Self)));

    private void Subscribe()
    {
        _region!.Tell(new ShardingEnvelope(Id, new CounterSubscription.Subscribe(context.Self)));
        timers.StartSingleTimer(nameof(Resubscribe), Resubscribe.Instance, ResubscribeAfter);
    }
}
