using System.Net;
using System.Net.Sockets;
using System.Text;
using ActorHttp.Protocol;
using ActorHttp.Testing;

namespace ActorHttp.Tests.EndToEnd;

/// <summary>
/// A server-sent events client on a raw socket to 127.0.0.1, as a browser's <c>EventSource</c> reads a stream: it sends
/// the GET, reads the head, takes the chunked body apart and parses it with the test kit's
/// <see cref="ServerSentEventParser"/>. Every read is bounded by a timeout.
/// </summary>
public sealed class EventStreamClient : IDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket _socket;
    private readonly ServerSentEventParser _parser = new();
    private readonly Queue<ServerSentEvent> _events = new();
    private readonly List<string> _comments = [];
    private byte[] _buffer = new byte[16 * 1024];
    private int _start, _end;
    private bool _eof;

    private EventStreamClient(Socket socket) => _socket = socket;

    public int Status { get; private set; }
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The body of a response that is not an event stream (read whole by <see cref="OpenAsync"/>).</summary>
    public string? Body { get; private set; }

    /// <summary>Comment lines received so far (heartbeats are empty ones).</summary>
    public IReadOnlyList<string> Comments => _comments;

    /// <summary>The server sent the last chunk.</summary>
    public bool Ended { get; private set; }

    public string LastEventId => _parser.LastEventId;

    /// <summary>Connects, sends <c>GET <paramref name="target"/></c> (with <paramref name="lastEventId"/> when given) and reads the head.</summary>
    public static async Task<EventStreamClient> OpenAsync(int port, string target, string? lastEventId = null, TimeSpan? timeout = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var client = new EventStreamClient(socket);
        try
        {
            using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cts.Token);
            var request = $"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n" +
                          (lastEventId is null ? "" : $"Last-Event-ID: {lastEventId}\r\n") + "\r\n";
            await socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None, cts.Token);
            await client.ReadHeadAsync(cts.Token);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>The next event (comments are collected in <see cref="Comments"/>).</summary>
    public async Task<ServerSentEvent> NextEventAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        while (!_events.TryPeek(out _))
        {
            if (Ended) throw new EndOfStreamException("the event stream ended");
            await ReadChunkAsync(cts.Token, timeout ?? DefaultTimeout);
        }
        return _events.Dequeue();
    }

    /// <summary>Reads until at least <paramref name="count"/> comments have arrived in all.</summary>
    public async Task WaitForCommentsAsync(int count, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        while (_comments.Count < count)
        {
            if (Ended) throw new EndOfStreamException("the event stream ended");
            await ReadChunkAsync(cts.Token, timeout ?? DefaultTimeout);
        }
    }

    /// <summary>Reads until the last chunk (events meanwhile stay queued), then expects the server to close.</summary>
    public async Task WaitForEndAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        while (!Ended) await ReadChunkAsync(cts.Token, timeout ?? DefaultTimeout);
    }

    /// <summary>The client goes away: the socket is closed (FIN).</summary>
    public void Close()
    {
        try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
        _socket.Close();
    }

    public void Dispose() => _socket.Dispose();

    private async Task ReadHeadAsync(CancellationToken ct)
    {
        int headEnd;
        while ((headEnd = Buffered.IndexOf("\r\n\r\n"u8)) < 0)
            if (!await FillAsync(ct)) throw new EndOfStreamException("closed before the head was complete");
        var lines = Encoding.Latin1.GetString(Buffered[..headEnd]).Split("\r\n");
        _start += headEnd + 4;
        Status = int.Parse(lines[0].Split(' ')[1]);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':');
            Headers[line[..colon]] = line[(colon + 1)..].Trim();
        }
        if (Headers.GetValueOrDefault("Transfer-Encoding") == "chunked") return;
        var length = int.Parse(Headers.GetValueOrDefault("Content-Length", "0"));
        while (Buffered.Length < length)
            if (!await FillAsync(ct)) throw new EndOfStreamException("closed before the body was complete");
        Body = Encoding.UTF8.GetString(Buffered[..length]);
        _start += length;
        Ended = true;
    }

    /// <summary>Reads one whole chunk and parses it.</summary>
    private async Task ReadChunkAsync(CancellationToken ct, TimeSpan timeout)
    {
        try
        {
            while (true)
            {
                var lineEnd = Buffered.IndexOf("\r\n"u8);
                if (lineEnd >= 0)
                {
                    var size = Convert.ToInt32(Encoding.ASCII.GetString(Buffered[..lineEnd]), 16);
                    if (Buffered.Length >= lineEnd + 2 + size + 2)
                    {
                        var data = Buffered.Slice(lineEnd + 2, size).ToArray();
                        _start += lineEnd + 2 + size + 2;
                        if (size == 0)
                        {
                            Ended = true;
                            return;
                        }
                        _parser.Feed(data, _events.Enqueue, _comments.Add);
                        return;
                    }
                }
                if (!await FillAsync(ct)) throw new EndOfStreamException("the server closed without the last chunk");
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw new TimeoutException($"nothing more within {timeout}; {_comments.Count} comments so far");
        }
    }

    private Span<byte> Buffered => _buffer.AsSpan(_start, _end - _start);

    private async Task<bool> FillAsync(CancellationToken ct)
    {
        if (_eof) return false;
        if (_start == _end) _start = _end = 0;
        if (_end == _buffer.Length)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
            if (_end == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
        }
        var n = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, ct);
        if (n == 0)
        {
            _eof = true;
            return false;
        }
        _end += n;
        return true;
    }
}
