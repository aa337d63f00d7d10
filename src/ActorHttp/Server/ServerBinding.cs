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

    /// <summary>The address and port actually bound (the chosen port when 0 was configured).</summary>
    public IPEndPoint LocalAddress { get; }

    /// <summary>The base URL, e.g. <c>http://127.0.0.1:8080</c>.</summary>
    public string Url => $"http://{(LocalAddress.Address.Equals(IPAddress.IPv6Loopback) ? "[::1]" : LocalAddress.Address.ToString())}:{LocalAddress.Port}";

    /// <summary>Stops accepting new connections; open connections go on being served.</summary>
    public Task UnbindAsync() => _listener.Ask<ListenerCommands.Done>(ListenerCommands.Unbind.Instance, TimeSpan.FromSeconds(10));

    /// <summary>
    /// Unbinds, closes idle connections at once, lets in-flight requests finish within <paramref name="deadline"/>
    /// (their responses carry <c>Connection: close</c>), then aborts whatever is left and stops the listener.
    /// </summary>
    public async Task TerminateAsync(TimeSpan deadline)
    {
        if (_listener.IsNobody()) return;
        try
        {
            await _listener.Ask<ListenerCommands.Done>(new ListenerCommands.Terminate(deadline), deadline + TimeSpan.FromSeconds(5));
        }
        catch (AskTimeoutException) { }
        catch (ActorNotFoundException) { }
    }

    public override string ToString() => Url;
}

/// <summary>Messages the binding sends its listener actor.</summary>
internal static class ListenerCommands
{
    public sealed class Unbind { public static readonly Unbind Instance = new(); }
    public sealed record Terminate(TimeSpan Deadline);
    public sealed class Done { public static readonly Done Instance = new(); }
    public sealed class HardDeadline { public static readonly HardDeadline Instance = new(); }
}

/// <summary>The listener could not bind its address (in use, not permitted, no such interface).</summary>
public sealed class BindFailedException(string message, Exception? cause) : Exception(message, cause);
