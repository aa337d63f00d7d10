using System.Text;

namespace ActorHttp.Protocol.Rendering;

/// <summary>
/// The rendered <c>Date: …\r\n</c> line (RFC 9110 §6.6.1, IMF-fixdate), rebuilt at most once per second and
/// shared by every connection: rendering a response costs one comparison and one copy, no formatting.
/// </summary>
internal static class DateHeader
{
    private sealed record Rendered(long ValidUntilTick, byte[] Bytes);

    private static volatile Rendered _current = Render(DateTimeOffset.UtcNow);

    /// <summary>The current header line, CRLF included.</summary>
    public static ReadOnlySpan<byte> Current
    {
        get
        {
            var current = _current;
            if (Environment.TickCount64 < current.ValidUntilTick) return current.Bytes;
            var fresh = Render(DateTimeOffset.UtcNow);
            _current = fresh;
            return fresh.Bytes;
        }
    }

    private static Rendered Render(DateTimeOffset now)
    {
        // Valid until the next whole second of wall-clock time.
        var untilNextSecond = 1000 - now.Millisecond;
        var bytes = Encoding.ASCII.GetBytes($"Date: {now.UtcDateTime:R}\r\n");
        return new Rendered(Environment.TickCount64 + untilNextSecond, bytes);
    }
}
