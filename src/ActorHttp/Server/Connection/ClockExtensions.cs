namespace ActorHttp.Server.Connection;

/// <summary>Milliseconds from a <see cref="TimeProvider"/>'s monotonic timestamp: the unit of every connection deadline.</summary>
internal static class ClockExtensions
{
    /// <summary>
    /// The timestamp in milliseconds. Divides by the ticks per millisecond rather than multiplying by 1000 first, which
    /// would overflow a nanosecond timestamp after about 100 days of uptime.
    /// </summary>
    public static long GetMilliseconds(this TimeProvider clock) =>
        clock.GetTimestamp() / Math.Max(1, clock.TimestampFrequency / 1000);
}
