using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ActorHttp.Tests.EndToEnd;

/// <summary>A response as read off the wire by <see cref="RawHttpConnection"/>.</summary>
public sealed record RawResponse(string Version, int Status, string Reason, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body)
{
    /// <summary>The first value of header <paramref name="name"/> (case-insensitive), or null.</summary>
    public string? Header(string name)
    {
        foreach (var h in Headers)
            if (string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)) return h.Value;
        return null;
    }

    public int HeaderCount(string name) => Headers.Count(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase));

    public string BodyText => Encoding.UTF8.GetString(Body);

    public bool ConnectionClose => Header("Connection")?.Contains("close", StringComparison.OrdinalIgnoreCase) == true;

    public override string ToString() =>
        $"{Version} {Status} {Reason} [{string.Join("; ", Headers.Select(h => $"{h.Key}: {h.Value}"))}] body={Body.Length}B";
}

/// <summary>
/// A raw TCP connection to 127.0.0.1 that writes bytes as given and reads HTTP/1.1 responses framed by
/// Content-Length (this server never sends chunked responses). Every read has a timeout.
/// </summary>
public sealed class RawHttpConnection : IDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket _socket;
    private byte[] _buffer = new byte[16 * 1024];
    private int _start, _end;
    private bool _eof;

    private RawHttpConnection(Socket socket) => _socket = socket;

    public static async Task<RawHttpConnection> OpenAsync(int port, TimeSpan? timeout = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cts.Token);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new RawHttpConnection(socket);
    }

    /// <summary>A GET (or other bodiless) request with a Host header.</summary>
    public static string Request(string target, string method = "GET", string extraHeaders = "") =>
        $"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extraHeaders}\r\n";

    public int Buffered => _end - _start;

    public Task SendAsync(string text, TimeSpan? timeout = null) => SendAsync(Encoding.Latin1.GetBytes(text), timeout);

    public async Task SendAsync(ReadOnlyMemory<byte> data, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        var sent = 0;
        while (sent < data.Length)
            sent += await _socket.SendAsync(data[sent..], SocketFlags.None, cts.Token);
    }

    /// <summary>Sends <paramref name="text"/> then reads one response.</summary>
    public async Task<RawResponse> RoundTripAsync(string text, bool isHead = false)
    {
        await SendAsync(text);
        return await ReadResponseAsync(isHead);
    }

    /// <summary>Reads one response. Set <paramref name="isHeadRequest"/> when it answers a HEAD (no body follows).</summary>
    public async Task<RawResponse> ReadResponseAsync(bool isHeadRequest = false, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        using var cts = new CancellationTokenSource(limit);
        try
        {
            int headEnd;
            while ((headEnd = IndexOfHeadEnd()) < 0)
                if (!await FillAsync(cts.Token))
                    throw new EndOfStreamException($"connection closed before a complete response head; buffered: '{Dump()}'");

            var head = Encoding.Latin1.GetString(_buffer, _start, headEnd - _start);
            _start = headEnd + 4;
            var lines = head.Split("\r\n");
            var statusLine = lines[0].Split(' ', 3);
            if (statusLine.Length < 2 || !statusLine[0].StartsWith("HTTP/", StringComparison.Ordinal) || !int.TryParse(statusLine[1], out var status))
                throw new InvalidDataException($"malformed status line '{lines[0]}'");
            var headers = new List<KeyValuePair<string, string>>();
            foreach (var line in lines.Skip(1))
            {
                var colon = line.IndexOf(':');
                if (colon <= 0) throw new InvalidDataException($"malformed header line '{line}' in response '{head}'");
                headers.Add(new(line[..colon], line[(colon + 1)..].Trim()));
            }
            var response = new RawResponse(statusLine[0], status, statusLine.Length > 2 ? statusLine[2] : "", headers, []);

            if (isHeadRequest || status < 200 || status == 204 || status == 304) return response;
            if (response.Header("Transfer-Encoding")?.Equals("chunked", StringComparison.OrdinalIgnoreCase) == true)
                return response with { Body = await ReadChunkedBodyAsync(cts.Token) };
            var contentLength = response.Header("Content-Length");
            if (contentLength == null)
            {
                // No framing: the body runs to the end of the connection.
                while (await FillAsync(cts.Token)) { }
                return response with { Body = Take(Buffered) };
            }
            var length = int.Parse(contentLength);
            while (Buffered < length)
                if (!await FillAsync(cts.Token))
                    throw new EndOfStreamException($"connection closed after {Buffered} of {length} body bytes of {response}");
            return response with { Body = Take(length) };
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"no complete response within {limit}; buffered: '{Dump()}'");
        }
    }

    /// <summary>De-chunks a chunked body (RFC 9112 §7.1), failing if the connection ends before the last chunk.</summary>
    private async Task<byte[]> ReadChunkedBodyAsync(CancellationToken ct)
    {
        var body = new MemoryStream();
        while (true)
        {
            int lineEnd;
            while ((lineEnd = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8)) < 0)
                if (!await FillAsync(ct)) throw new EndOfStreamException($"connection closed inside a chunked body after {body.Length} bytes");
            var line = Encoding.ASCII.GetString(_buffer, _start, lineEnd);
            _start += lineEnd + 2;
            var size = Convert.ToInt32(line.Split(';')[0], 16);
            while (Buffered < size + 2)
                if (!await FillAsync(ct)) throw new EndOfStreamException($"connection closed inside a chunk after {body.Length} bytes");
            if (size == 0)
            {
                _start += 2; // no trailers are sent: CRLF ends the body
                return body.ToArray();
            }
            body.Write(_buffer, _start, size);
            _start += size + 2;
        }
    }

    /// <summary>
    /// Waits for the server to close its side: true when a read returns 0 (end of stream) with no further bytes
    /// buffered. Throws when unexpected bytes arrive or the connection is reset; false on timeout.
    /// </summary>
    public async Task<bool> WaitForServerCloseAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            while (await FillAsync(cts.Token)) { }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            return false;
        }
        catch (SocketException e)
        {
            throw new IOException($"connection failed ({e.SocketErrorCode}) instead of being closed cleanly", e);
        }
        if (Buffered > 0) throw new InvalidDataException($"unexpected bytes before the close: '{Dump()}'");
        return true;
    }

    /// <summary>
    /// Reads until the bytes buffered and not yet consumed contain <paramref name="text"/> (e.g. the first chunk of a
    /// streamed body); they stay buffered for the next <see cref="ReadResponseAsync"/>. Throws on timeout or end of stream.
    /// </summary>
    public async Task WaitForTextAsync(string text, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var marker = Encoding.Latin1.GetBytes(text);
        using var cts = new CancellationTokenSource(limit);
        try
        {
            while (_buffer.AsSpan(_start, _end - _start).IndexOf(marker) < 0)
                if (!await FillAsync(cts.Token))
                    throw new EndOfStreamException($"connection closed before '{text}' arrived; buffered: '{Dump()}'");
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"'{text}' did not arrive within {limit}; buffered: '{Dump()}'");
        }
    }

    /// <summary>Reads whatever arrives within <paramref name="window"/>; returns the number of bytes buffered and not consumed.</summary>
    public async Task<int> DrainForAsync(TimeSpan window)
    {
        using var cts = new CancellationTokenSource(window);
        try
        {
            while (await FillAsync(cts.Token)) { }
        }
        catch (OperationCanceledException) { }
        return Buffered;
    }

    /// <summary>The next <paramref name="count"/> bytes (after what earlier reads consumed), e.g. a WebSocket frame's.</summary>
    public async Task<byte[]> ReadExactlyAsync(int count, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        while (Buffered < count)
            if (!await FillAsync(cts.Token))
                throw new EndOfStreamException($"connection closed after {Buffered} of {count} bytes");
        return Take(count);
    }

    /// <summary>Half-closes the sending side (FIN), as a client that has nothing more to send.</summary>
    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    private async Task<bool> FillAsync(CancellationToken ct)
    {
        if (_eof) return false;
        if (_start == _end) _start = _end = 0;
        if (_end == _buffer.Length)
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            else Array.Resize(ref _buffer, _buffer.Length * 2);
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

    private int IndexOfHeadEnd()
    {
        var index = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8);
        return index < 0 ? -1 : _start + index;
    }

    private byte[] Take(int count)
    {
        var bytes = _buffer.AsSpan(_start, count).ToArray();
        _start += count;
        return bytes;
    }

    private string Dump()
    {
        var text = Encoding.Latin1.GetString(_buffer, _start, Math.Min(Buffered, 512));
        return text.Replace("\r", "\\r").Replace("\n", "\\n");
    }

    public void Dispose()
    {
        try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
        _socket.Dispose();
    }
}
