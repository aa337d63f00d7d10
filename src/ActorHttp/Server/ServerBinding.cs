using System.Net;
using Akka.Actor;

namespace ActorHttp.Server;

/// <summary>A bound listener: where it listens, and how to stop it.</summary>
public sealed class ServerBinding
{
    private readonly IActorRef _listener;

    internal ServerBinding(IActorRef listener, IPEndPoint localAddress)
    {
        _listener = listener;
        LocalAddress = localAddress;
    }

    /// <summary>The listener actor (for a host to register and watch; its messages are internal).</summary>
    internal IActorRef Listener => _listener;

    /// <summary>The address and port actually bound (the chosen port when 0 was configured).</summary>
    public IPEndPoint LocalAddress { get; }

    /// <summary>The base URL, e.g. <c>http://127.0.0.1:8080</c>.</summary>
    public string Url => $"http://{(LocalAddress.Address.Equals(IPAddress.IPv6Loopback) ? "[::1]" : LocalAddress.Address.ToString())}:{LocalAddress.Port}";

    /// <summary>
    /// Stops accepting: from now on a new connection is answered 503 with <c>Connection: close</c>, while open
    /// connections go on being served. The port itself is released by <see cref="TerminateAsync"/> (Akka.IO would
    /// reset the open connections if it were released now).
    /// </summary>
    public Task UnbindAsync()
    {
        lock (_gate)
        {
            if (_termination != null) return Task.CompletedTask;
        }
        return _listener.Ask<ListenerCommands.Done>(ListenerCommands.Unbind.Instance, TimeSpan.FromSeconds(10));
    }

    /// <summary>
    /// Stops accepting, closes idle connections at once, lets in-flight requests finish within <paramref name="deadline"/>
    /// (their responses carry <c>Connection: close</c>), then closes whatever is left, releases the port, stops the
    /// listener and runs the <see cref="OnTerminated"/> cleanups. New connections meanwhile get 503; once the in-flight
    /// requests are done they delay the port's release by at most <see cref="ServerSettings.ShutdownReleaseMaxDelay"/>.
    /// Calling it again returns the same task.
    /// </summary>
    public Task TerminateAsync(TimeSpan deadline)
    {
        lock (_gate)
        {
            return _termination ??= Terminate(deadline);
        }
    }

    /// <summary>
    /// Registers <paramref name="cleanup"/> to run once the binding has terminated (<see cref="TerminateAsync"/>: no
    /// connection left, port released), before the task of TerminateAsync completes; for what served this binding's
    /// requests and nothing else, e.g. the routes' handler actors (<c>BindAsync(routes)</c> registers their stopping).
    /// Cleanups run one after the other, in the order registered; one registered after termination runs at once.
    /// <see cref="UnbindAsync"/> runs none: the open connections are still being served.
    /// </summary>
    public void OnTerminated(Func<Task> cleanup)
    {
        ArgumentNullException.ThrowIfNull(cleanup);
        lock (_gate)
        {
            if (_cleanups != null)
            {
                _cleanups.Add(cleanup);
                return;
            }
        }
        _ = cleanup(); // too late to hold up TerminateAsync, whose task has completed or is running the others
    }

    private async Task Terminate(TimeSpan deadline)
    {
        try
        {
            await _listener.Ask<ListenerCommands.Done>(new ListenerCommands.Terminate(deadline), deadline + TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (AskTimeoutException) { }
        catch (ActorNotFoundException) { }

        List<Func<Task>> cleanups;
        lock (_gate)
        {
            cleanups = _cleanups!;
            _cleanups = null;
        }
        List<Exception>? failures = null;
        foreach (var cleanup in cleanups)
        {
            try
            {
                await cleanup().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // One failing cleanup must not leave the others undone; TerminateAsync reports them all at the end.
                (failures ??= []).Add(e);
            }
        }
        if (failures != null) throw new AggregateException("a cleanup of the terminated binding failed", failures);
    }

    /// <summary>
    /// How many connections the listener counts as open, and how many connection actors are alive (they differ only
    /// briefly, while one stops). For monitoring, and for checking that connections are not leaked.
    /// </summary>
    public Task<ConnectionCounts> GetConnectionCountsAsync(TimeSpan? timeout = null) =>
        _listener.Ask<ConnectionCounts>(ListenerCommands.GetConnectionCounts.Instance, timeout ?? TimeSpan.FromSeconds(10));

    private readonly object _gate = new();
    private Task? _termination;
    private List<Func<Task>>? _cleanups = []; // null once termination has taken them

    public override string ToString() => Url;
}

/// <summary>Messages the binding sends its listener actor.</summary>
internal static class ListenerCommands
{
    public sealed class Unbind { public static readonly Unbind Instance = new(); }
    public sealed record Terminate(TimeSpan Deadline);
    public sealed class Done { public static readonly Done Instance = new(); }
    public sealed class HardDeadline { public static readonly HardDeadline Instance = new(); }
    public sealed class GraceOver { public static readonly GraceOver Instance = new(); }
    public sealed class ReleasePort { public static readonly ReleasePort Instance = new(); }
    public sealed class ReleaseWaitOver { public static readonly ReleaseWaitOver Instance = new(); }
    public sealed class GetConnectionCounts { public static readonly GetConnectionCounts Instance = new(); }
}

/// <summary>What <see cref="ServerBinding.GetConnectionCountsAsync"/> reports.</summary>
/// <param name="Open">Connections accepted and not yet stopped (those over max-connections included until they close).</param>
/// <param name="Actors">Connection actors alive now.</param>
public sealed record ConnectionCounts(int Open, int Actors);

/// <summary>The listener could not bind its address (in use, not permitted, no such interface).</summary>
public sealed class BindFailedException(string message, Exception? cause) : Exception(message, cause);
