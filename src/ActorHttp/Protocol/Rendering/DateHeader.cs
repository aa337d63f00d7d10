using System.Text;

namespace ActorHttp.Protocol.Rendering;

/// <summary>
/// The rendered <c>Date: …\r\n</c> line (RFC 9110 §6.6.1, IMF-fixdate), rebuilt at most once per second of
/// <paramref name="clock"/> and shared by every connection of a renderer: rendering a response costs one timestamp, one
/// comparison and one copy, no formatting.
/// </summary>
internal sealed class DateHeader(TimeProvider clock)
{
    private sealed record Rendered(long ValidUntil, byte[] Bytes);

    private volatile Rendered? _current;

    /// <summary>The current header line, CRLF included.</summary>
    public ReadOnlySpan<byte> Current
    {
        get
        {
            var current = _current;
            var now = clock.GetTimestamp();
            if (current != null && now < current.ValidUntil) return current.Bytes;
            var fresh = Render(now);
            _current = fresh;
            return fresh.Bytes;
        }
    }

    private Rendered Render(long timestamp)
    {
        // Valid until the next whole second of wall-clock time.
        var utc = clock.GetUtcNow();
        var untilNextSecond = TimeSpan.FromTicks(TimeSpan.TicksPerSecond - utc.Ticks % TimeSpan.TicksPerSecond);
        var bytes = Encoding.ASCII.GetBytes($"Date: {utc.UtcDateTime:R}\r\n");
        return new Rendered(timestamp + (long)(untilNextSecond.TotalSeconds * clock.TimestampFrequency), bytes);
    }
}
