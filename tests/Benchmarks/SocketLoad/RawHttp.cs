using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SocketLoad;

/// <summary>An HTTP/1.1 response head read off a raw socket, and the bytes that came after it.</summary>
internal sealed record ResponseHead(int Status, string Head, byte[] Buffer, int LeftoverStart, int LeftoverEnd)
{
    /// <summary>The value of the first header <paramref name="name"/> (case-insensitive), or null.</summary>
    public string? Header(string name)
    {
        foreach (var line in Head.Split("\r\n").Skip(1))
        {
            var colon = line.IndexOf(':');
            if (colon > 0 && line.AsSpan(0, colon).Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
                return line[(colon + 1)..].Trim();
        }
        return null;
    }
}

internal static class RawHttp
{
    public static async Task<Socket> ConnectAsync(string host, int port, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(host), port), ct);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Reads until the end of a response head into <paramref name="buffer"/> (which must hold it).</summary>
    public static async Task<ResponseHead> ReadHeadAsync(Socket socket, byte[] buffer, CancellationToken ct)
    {
        var filled = 0;
        while (true)
        {
            var end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                var head = Encoding.ASCII.GetString(buffer, 0, end);
                var firstLine = head.Split("\r\n", 2)[0].Split(' ');
                var status = firstLine.Length >= 2 && int.TryParse(firstLine[1], out var s) ? s : 0;
                return new ResponseHead(status, head, buffer, end + 4, filled);
            }
            if (filled == buffer.Length) throw new IOException("response head larger than the buffer");
            var n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, ct);
            if (n == 0) throw new IOException("connection closed before the response head");
            filled += n;
        }
    }

    /// <summary>A request with a Content-Length body (or none) and its whole response: status and body.</summary>
    public static async Task<(int Status, string Body)> ExchangeAsync(Socket socket, byte[] request, byte[] buffer, CancellationToken ct)
    {
        await socket.SendAsync(request, SocketFlags.None, ct);
        var head = await ReadHeadAsync(socket, buffer, ct);
        var length = int.TryParse(head.Header("Content-Length"), out var l) ? l : 0;
        var have = head.LeftoverEnd - head.LeftoverStart;
        if (head.LeftoverStart + length > buffer.Length) throw new IOException("response body larger than the buffer");
        var filled = head.LeftoverEnd;
        while (have < length)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, ct);
            if (n == 0) throw new IOException("connection closed inside the response body");
            filled += n;
            have += n;
        }
        return (head.Status, Encoding.UTF8.GetString(buffer, head.LeftoverStart, length));
    }

    public static byte[] Request(string method, string host, int port, string path, params string[] headers)
    {
        var sb = new StringBuilder().Append(method).Append(' ').Append(path).Append(" HTTP/1.1\r\nHost: ")
            .Append(host).Append(':').Append(port).Append("\r\n");
        foreach (var h in headers) sb.Append(h).Append("\r\n");
        return Encoding.ASCII.GetBytes(sb.Append("\r\n").ToString());
    }
}
