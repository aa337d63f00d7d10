using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;

namespace ActorHttp.Cluster.Tests;

/// <summary>
/// The test nodes' logger: writes to stdout like Akka's default one, except for systems being torn down. Stopping
/// several nodes at once makes remoting log errors about peers that went away, which are expected and say nothing
/// about the test.
/// </summary>
public sealed class TestLogger : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private static readonly ConcurrentDictionary<ActorSystem, bool> Muted = new();

    public TestLogger()
    {
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(e =>
        {
            if (!Muted.ContainsKey(Context.System)) Console.WriteLine(e);
        });
    }

    /// <summary>Drops <paramref name="system"/>'s log events from now on.</summary>
    public static void Mute(ActorSystem system)
    {
        Muted[system] = true;
        _ = system.WhenTerminated.ContinueWith(_ => Muted.TryRemove(system, out bool _), TaskScheduler.Default);
    }
}
