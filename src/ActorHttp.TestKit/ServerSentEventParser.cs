using System.Globalization;
using System.Text;
using ActorHttp.Protocol;

namespace ActorHttp.Testing;

/// <summary>
/// Reads a <c>text/event-stream</c> body back into events, incrementally, as the WHATWG "event stream interpretation"
/// does: bytes may arrive split anywhere (inside a UTF-8 sequence, between CR and LF); lines end at CR LF, LF or CR;
/// a leading BOM is skipped; <c>data</c> lines are joined by LF; a blank line ends an event, and an event without
/// <c>data</c> is not one; <c>id</c> with a NUL and <c>retry</c> that is not all digits are ignored; unknown fields are
/// ignored; comment lines (<c>:</c>) are reported apart.
/// <para>
/// Each event comes back as the fields its own block carried: <see cref="ServerSentEvent.Event"/>,
/// <see cref="ServerSentEvent.Id"/> and <see cref="ServerSentEvent.Retry"/> are null when the block had no such line
/// (what was rendered comes back equal). What a browser would make of them is kept too: <see cref="LastEventId"/> (it
/// persists from block to block) and <see cref="ReconnectionTime"/>.
/// </para>
/// </summary>
public sealed class ServerSentEventParser
{
    private readonly Decoder _decoder = new UTF8Encoding(false, throwOnInvalidBytes: false).GetDecoder();
    private readonly StringBuilder _line = new();
    private readonly StringBuilder _data = new();
    private bool _started, _afterCr, _hasData;
    private string? _event, _id;
    private TimeSpan? _retry;

    /// <summary>The last event id a browser would remember (and send back as <c>Last-Event-ID</c>): "" until an <c>id</c> line.</summary>
    public string LastEventId { get; private set; } = "";

    /// <summary>The last valid <c>retry</c> the stream sent, or null.</summary>
    public TimeSpan? ReconnectionTime { get; private set; }

    /// <summary>
    /// Reads <paramref name="bytes"/>, the next part of the stream: each event they complete goes to
    /// <paramref name="onEvent"/>, each comment line (its text, one leading space dropped) to <paramref name="onComment"/>,
    /// in stream order.
    /// </summary>
    public void Feed(ReadOnlySpan<byte> bytes, Action<ServerSentEvent> onEvent, Action<string>? onComment = null)
    {
        var chars = new char[_decoder.GetCharCount(bytes, flush: false)];
        var count = _decoder.GetChars(bytes, chars, flush: false);
        foreach (var c in chars.AsSpan(0, count))
        {
            if (!_started)
            {
                _started = true;
                if (c == '\uFEFF') continue;
            }
            if (_afterCr)
            {
                _afterCr = false;
                if (c == '\n') continue; // CR LF is one line end
            }
            switch (c)
            {
                case '\r':
                    _afterCr = true;
                    EndLine(onEvent, onComment);
                    break;
                case '\n':
                    EndLine(onEvent, onComment);
                    break;
                default:
                    _line.Append(c);
                    break;
            }
        }
    }

    /// <summary>Every event (and comment) of a whole stream.</summary>
    public static IReadOnlyList<ServerSentEvent> ParseAll(ReadOnlySpan<byte> stream, List<string>? comments = null)
    {
        var events = new List<ServerSentEvent>();
        new ServerSentEventParser().Feed(stream, events.Add, comments is null ? null : comments.Add);
        return events;
    }

    /// <summary>Every event of a whole stream given as text.</summary>
    public static IReadOnlyList<ServerSentEvent> ParseAll(string stream, List<string>? comments = null) =>
        ParseAll(Encoding.UTF8.GetBytes(stream), comments);

    private void EndLine(Action<ServerSentEvent> onEvent, Action<string>? onComment)
    {
        var line = _line.ToString();
        _line.Clear();
        if (line.Length == 0)
        {
            Dispatch(onEvent);
            return;
        }
        if (line[0] == ':')
        {
            onComment?.Invoke(line.Length > 1 && line[1] == ' ' ? line[2..] : line[1..]);
            return;
        }
        var colon = line.IndexOf(':');
        var field = colon < 0 ? line : line[..colon];
        var value = colon < 0 ? "" : line[(colon + 1)..];
        if (value.StartsWith(' ')) value = value[1..];
        switch (field)
        {
            case "event":
                _event = value;
                break;
            case "data":
                _data.Append(value).Append('\n');
                _hasData = true;
                break;
            case "id" when !value.Contains('\0'):
                _id = value;
                LastEventId = value;
                break;
            case "retry" when value.Length > 0 && value.All(char.IsAsciiDigit)
                              && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms <= (long)TimeSpan.MaxValue.TotalMilliseconds:
                _retry = TimeSpan.FromMilliseconds(ms);
                ReconnectionTime = _retry;
                break;
        }
    }

    private void Dispatch(Action<ServerSentEvent> onEvent)
    {
        if (_hasData)
        {
            var data = _data.ToString(0, _data.Length - 1); // the last LF is not part of the data
            onEvent(new ServerSentEvent(data, _event, _id, _retry));
        }
        _data.Clear();
        _hasData = false;
        _event = null;
        _id = null;
        _retry = null;
    }
}
