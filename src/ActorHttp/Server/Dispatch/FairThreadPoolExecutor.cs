using Akka.Configuration;
using Akka.Dispatch;

namespace ActorHttp.Server.Dispatch;

/// <summary>
/// An Akka executor on the .NET thread pool that queues every mailbox run at the back of the pool's global queue.
/// Akka's own thread-pool executor queues with <c>preferLocal: true</c>: a mailbox scheduled from a pool thread goes on
/// that thread's local queue, which the thread pops last-in first-out. With thousands of connection actors that means
/// the actor woken most recently runs first and the ones woken earlier wait behind each newcomer: the tail latency of
/// a many-connection load grows with the number of connections. First-in first-out keeps every connection's wait
/// about the same. Use it with <c>executor = "ActorHttp.Server.Dispatch.FairThreadPoolExecutor, ActorHttp"</c> in a
/// dispatcher's config (the node sets it for <c>akka.actor.default-dispatcher</c>, where Akka.IO's connection actors
/// run too).
/// </summary>
public sealed class FairThreadPoolExecutor : ExecutorServiceConfigurator
{
    /// <summary>Called by Akka with the dispatcher's config.</summary>
    public FairThreadPoolExecutor(Config config, IDispatcherPrerequisites prerequisites) : base(config, prerequisites) { }

    /// <inheritdoc />
    public override ExecutorService Produce(string id) => new Service(id);

    private sealed class Service(string id) : ExecutorService(id)
    {
        public override void Execute(IRunnable run) => ThreadPool.UnsafeQueueUserWorkItem(run, preferLocal: false);

        public override void Shutdown() { }
    }
}
