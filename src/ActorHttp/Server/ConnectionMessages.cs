using Akka.IO;

namespace ActorHttp.Server;

/// <summary>Ack token of the connection's writes: one write is outstanding at a time.</summary>
internal sealed class WriteAck : Tcp.Event
{
    public static readonly WriteAck Instance = new();
    private WriteAck() { }
}

/// <summary>Sent by a connection to itself: the write it held back for replies on their way is due now.</summary>
internal sealed class WriteDeferred
{
    public static readonly WriteDeferred Instance = new();
    private WriteDeferred() { }
}

/// <summary>Timer message: check the connection's deadlines.</summary>
internal sealed class CheckTimeouts
{
    public static readonly CheckTimeouts Instance = new();
    private CheckTimeouts() { }
}

/// <summary>Sent by the listener on shutdown: finish in-flight requests with <c>Connection: close</c>, then close.</summary>
internal sealed class DrainConnection
{
    public static readonly DrainConnection Instance = new();
    private DrainConnection() { }
}

/// <summary>Sent by a connection actor to its listener when it stops.</summary>
internal sealed class ConnectionStopped
{
    public static readonly ConnectionStopped Instance = new();
    private ConnectionStopped() { }
}

/// <summary>
/// Sent by the listener, after it registered the connection with Akka.IO, to a connection accepted over
/// max-connections: write 503 and close. (Writing before the registration could reach the transport first.)
/// </summary>
internal sealed class RejectOverCapacity
{
    public static readonly RejectOverCapacity Instance = new();
    private RejectOverCapacity() { }
}

/// <summary>
/// Sent by the listener when the shutdown deadline passes: answer every request still waiting, and any that
/// arrives from now on, with 503 and <c>Connection: close</c>, then close.
/// </summary>
internal sealed class ShutdownDeadlinePassed
{
    public static readonly ShutdownDeadlinePassed Instance = new();
    private ShutdownDeadlinePassed() { }
}
