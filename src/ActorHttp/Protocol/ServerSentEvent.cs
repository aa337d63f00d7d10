using System.Globalization;
using System.Text;
using Akka.IO;

namespace ActorHttp.Protocol;

/// <summary>
/// One event of a <c>text/event-stream</c> response (server-sent events, WHATWG HTML "Server-sent events"), checked
/// when it is made so that it always renders to exactly the event it says. Immutable; send it to an
/// <c>ActorHttp.Handlers.EventStreams</c> actor, from this node or another (the cluster serializer carries it).
/// <para>
/// Rendered (<see cref="ToBytes"/>) as <c>id:</c>, <c>event:</c> and <c>retry:</c> lines when set, one <c>data:</c>
/// line per line of <see cref="Data"/>, and the blank line that ends the event, in UTF-8:
/// <c>new ServerSentEvent("a\nb", Event: "tick", Id: "7")</c> is <c>"id: 7\nevent: tick\ndata: a\ndata: b\n\n"</c>.
/// A browser's <c>EventSource</c> then fires a <c>tick</c> event with data <c>"a\nb"</c> and remembers <c>7</c> as the
/// last event id, which it sends back as <c>Last-Event-ID</c> when it reconnects (<see cref="HttpRequest.LastEventId"/>).
/// </para>
/// </summary>
public sealed record ServerSentEvent
{
    /// <summary>The media type of an event stream.</summary>
    public const string MediaType = "text/event-stream";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>An event.</summary>
    /// <param name="Data">The event's data; may span lines (CR LF, LF or CR), each becomes a <c>data:</c> line and arrives joined by LF.</param>
    /// <param name="Event">The event type (<c>addEventListener(type, …)</c> in a browser), or null for the default <c>message</c>; no CR or LF.</param>
    /// <param name="Id">The event id, remembered by the client as its last event id; no CR, LF or NUL. Null sends none (the client keeps the previous one); empty resets it.</param>
    /// <param name="Retry">How long the client waits before reconnecting after the stream ends, sent in whole milliseconds; null sends none.</param>
    /// <exception cref="ArgumentException">A value the format cannot carry: CR or LF in <paramref name="Event"/> or <paramref name="Id"/>, NUL in
    /// <paramref name="Id"/>, a negative <paramref name="Retry"/>, a string that is not valid UTF-16 (a lone surrogate).</exception>
    public ServerSentEvent(string Data, string? Event = null, string? Id = null, TimeSpan? Retry = null)
    {
        this.Data = Data;
        this.Event = Event;
        this.Id = Id;
        this.Retry = Retry;
    }

    /// <summary>The event's data (lines separated by CR LF, LF or CR; the client sees them joined by LF).</summary>
    public string Data
    {
        get;
        init
        {
            ArgumentNullException.ThrowIfNull(value, nameof(Data));
            field = CheckUtf16(value, nameof(Data));
        }
    }

    /// <summary>The event type, or null (the client's default, <c>message</c>).</summary>
    public string? Event
    {
        get;
        init => field = CheckLine(value, nameof(Event), allowNul: true);
    }

    /// <summary>The event id, or null for none.</summary>
    public string? Id
    {
        get;
        init => field = CheckLine(value, nameof(Id), allowNul: false);
    }

    /// <summary>The reconnection time to send with this event (whole milliseconds), or null for none.</summary>
    public TimeSpan? Retry
    {
        get;
        init => field = value is { } retry && retry < TimeSpan.Zero
            ? throw new ArgumentOutOfRangeException(nameof(Retry), retry, "a server-sent event's retry must not be negative")
            : value;
    }

    /// <summary>The event as it goes on the wire (UTF-8), blank line included.</summary>
    public ByteString ToBytes()
    {
        var bytes = new byte[RenderedLength()];
        var written = Render(bytes);
        System.Diagnostics.Debug.Assert(written == bytes.Length);
        return ByteString.FromBytes(bytes);
    }

    /// <summary>
    /// A comment: <c>": text"</c>, one line per line of <paramref name="text"/> (<c>":"</c> alone for empty text). Clients
    /// ignore it; it keeps a quiet stream's connection busy (heartbeats), through proxies that close idle connections.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="text"/> is not valid UTF-16.</exception>
    public static ByteString Comment(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        CheckUtf16(text, nameof(text));
        if (text.Length == 0) return ByteString.FromBytes(":\n"u8.ToArray());
        var builder = new StringBuilder(text.Length + 4);
        foreach (var (start, length) in Lines(text)) builder.Append(": ").Append(text, start, length).Append('\n');
        return ByteString.FromString(builder.ToString(), Encoding.UTF8);
    }

    /// <summary>
    /// True when <paramref name="contentType"/> is <c>text/event-stream</c> (any case, any parameters): the connection
    /// then lets the stream stay quiet indefinitely (see <see cref="HttpResponse.IsEventStream"/>).
    /// </summary>
    public static bool IsEventStreamType(string? contentType)
    {
        if (contentType is null) return false;
        var type = contentType.AsSpan();
        var semicolon = type.IndexOf(';');
        if (semicolon >= 0) type = type[..semicolon];
        return type.Trim().Equals(MediaType, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The start and length of each line of <paramref name="text"/>, split at CR LF, LF and CR; "" is one empty line.</summary>
    internal static IEnumerable<(int Start, int Length)> Lines(string text)
    {
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is not ('\r' or '\n')) continue;
            yield return (start, i - start);
            if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
            start = i + 1;
        }
        yield return (start, text.Length - start);
    }

    private const int IdPrefix = 4, EventPrefix = 7, RetryPrefix = 7, DataPrefix = 6; // "id: ", "event: ", "retry: ", "data: "

    private int RenderedLength()
    {
        var length = 1; // the blank line
        if (Id is not null) length += IdPrefix + Encoding.UTF8.GetByteCount(Id) + 1;
        if (Event is not null) length += EventPrefix + Encoding.UTF8.GetByteCount(Event) + 1;
        if (Retry is { } retry) length += RetryPrefix + RetryMilliseconds(retry).ToString(CultureInfo.InvariantCulture).Length + 1;
        foreach (var (start, count) in Lines(Data)) length += DataPrefix + Encoding.UTF8.GetByteCount(Data.AsSpan(start, count)) + 1;
        return length;
    }

    private int Render(Span<byte> output)
    {
        var at = 0;
        void Line(ReadOnlySpan<byte> prefix, ReadOnlySpan<char> value, Span<byte> o)
        {
            prefix.CopyTo(o[at..]);
            at += prefix.Length;
            at += Encoding.UTF8.GetBytes(value, o[at..]);
            o[at++] = (byte)'\n';
        }
        if (Id is not null) Line("id: "u8, Id, output);
        if (Event is not null) Line("event: "u8, Event, output);
        if (Retry is { } retry) Line("retry: "u8, RetryMilliseconds(retry).ToString(CultureInfo.InvariantCulture), output);
        foreach (var (start, count) in Lines(Data)) Line("data: "u8, Data.AsSpan(start, count), output);
        output[at++] = (byte)'\n';
        return at;
    }

    private static long RetryMilliseconds(TimeSpan retry) => retry.Ticks / TimeSpan.TicksPerMillisecond;

    private static string? CheckLine(string? value, string name, bool allowNul)
    {
        if (value is null) return null;
        if (value.AsSpan().IndexOfAny('\r', '\n') >= 0)
            throw new ArgumentException($"a server-sent event's {name.ToLowerInvariant()} must not contain CR or LF", name);
        if (!allowNul && value.Contains('\0'))
            throw new ArgumentException($"a server-sent event's {name.ToLowerInvariant()} must not contain NUL", name);
        return CheckUtf16(value, name);
    }

    private static string CheckUtf16(string value, string name)
    {
        try
        {
            StrictUtf8.GetByteCount(value);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException($"a server-sent event's {name.ToLowerInvariant()} is not valid UTF-16 (a lone surrogate)", name, e);
        }
        return value;
    }
}
