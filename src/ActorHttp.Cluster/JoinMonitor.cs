using Akka.Actor;
using Akka.Cluster;
using Akka.Event;

namespace ActorHttp.Cluster;

/// <summary>
/// Warns, at an interval, while this node is not Up: Akka retries the seed nodes quietly (or waits forever for a
/// manual join when there are none), and an operator looking at a node that serves 503s should see why.
/// Stops once the node is Up.
/// </summary>
internal sealed class JoinMonitor : ReceiveActor, IWithTimers
{
    private sealed class Check
    {
        public static readonly Check Instance = new();
    }

    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly DateTime _started = DateTime.UtcNow;
    private readonly TimeSpan _interval;

    public JoinMonitor(IReadOnlyList<Address> seeds, TimeSpan interval)
    {
        _interval = interval;
        Receive<Check>(_ =>
        {
            if (_cluster.SelfMember.Status is MemberStatus.Up or MemberStatus.WeaklyUp)
            {
                Context.Stop(Self);
                return;
            }
            var waited = (int)(DateTime.UtcNow - _started).TotalSeconds;
            if (seeds.Count == 0)
                _log.Warning("this node ({0}) is not in a cluster after {1}s: no seed nodes are configured (actor-http.cluster.seed-nodes " +
                             "or akka.cluster.seed-nodes) and join-self is off, so it waits for a manual join", _cluster.SelfAddress, waited);
            else
                _log.Warning("this node ({0}) has not joined the cluster after {1}s: none of the seed nodes [{2}] has let it in. " +
                             "Is the first seed node running, and are these remoting addresses (host, port, system name) right? Still retrying.",
                    _cluster.SelfAddress, waited, string.Join(", ", seeds));
        });
        Receive<ClusterEvent.MemberUp>(up =>
        {
            if (up.Member.UniqueAddress.Equals(_cluster.SelfUniqueAddress)) Context.Stop(Self);
        });
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IReadOnlyList<Address> seeds, TimeSpan interval) =>
        Akka.Actor.Props.Create(() => new JoinMonitor(seeds, interval));

    protected override void PreStart()
    {
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.MemberUp));
        Timers.StartPeriodicTimer(nameof(Check), Check.Instance, _interval);
    }

    protected override void PostStop() => _cluster.Unsubscribe(Self);
}
