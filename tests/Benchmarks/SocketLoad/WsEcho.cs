using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;

namespace SocketLoad;

/// <summary>
/// ws-echo: CONNECTIONS WebSockets, each keeps PIPELINE text messages of SIZE bytes in flight (1: send, wait for the
/// echo, send again), for WARMUP seconds unmeasured and then DURATION seconds measured. Each echo received is a round
/// trip timed from its message's send; when k echoes arrive in one read, k messages go out in one write. Frames are
/// built once (masked with a fixed key: the server unmasks whatever the key is), echoes parsed in place: nothing is
/// allocated per message.
/// </summary>
internal static class WsEcho
{
    private const string Key = "dGhlIHNhbXBsZSBub25jZQ==";      // RFC 6455's sample key
    private const string Accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="; // and its Sec-WebSocket-Accept
    private static readonly byte[] Mask = [0x37, 0xfa, 0x21, 0x3d];

    private sealed class Run
    {
        public long MeasureStart, MeasureEnd;
        public volatile bool Stopping;
    }

    private sealed class Connection(Socket socket, byte[] leftover, int pipeline, byte[] frames, int frameLength, int size)
    {
        public readonly Histogram Latency = new();
        public long Messages, Errors;
        public string? Failure;
        private readonly long[] _sentAt = new long[pipeline];
        private readonly byte[] _buffer = new byte[Math.Max(65536, 2 * pipeline * (size + 14))];

        public async Task RunAsync(Run run)
        {
            int head = 0, tail = 0, inFlight = 0, filled = 0, fragmentBytes = 0;
            leftover.CopyTo(_buffer, 0);
            filled = leftover.Length;
            try
            {
                var now = Stopwatch.GetTimestamp();
                for (var i = 0; i < pipeline; i++) _sentAt[i] = now;
                head = 0;
                inFlight = pipeline;
                await socket.SendAsync(frames.AsMemory(0, pipeline * frameLength), SocketFlags.None);
                while (true)
                {
                    if (filled == 0 || !HasFrame(_buffer.AsSpan(0, filled)))
                    {
                        var n = await socket.ReceiveAsync(_buffer.AsMemory(filled), SocketFlags.None);
                        if (n == 0)
                        {
                            if (!run.Stopping) Fail("the server closed the connection");
                            return;
                        }
                        filled += n;
                    }
                    now = Stopwatch.GetTimestamp();
                    var measured = now >= run.MeasureStart && now < run.MeasureEnd;
                    var done = 0;
                    var offset = 0;
                    while (TryFrame(_buffer.AsSpan(offset, filled - offset), out var fin, out var opcode, out var payload, out var length))
                    {
                        offset += length;
                        switch (opcode)
                        {
                            case 0 or 1 or 2:
                                fragmentBytes += payload;
                                if (!fin) continue;
                                if (fragmentBytes != size) Errors++;
                                fragmentBytes = 0;
                                var sent = _sentAt[tail];
                                tail = tail + 1 == pipeline ? 0 : tail + 1;
                                done++;
                                if (measured)
                                {
                                    Latency.Record(now - sent);
                                    Messages++;
                                }
                                break;
                            case 8:
                                if (!run.Stopping) Fail("the server sent a Close frame");
                                return;
                            default:
                                break; // ping or pong: a keep-alive of the server, not an echo
                        }
                    }
                    if (offset > 0)
                    {
                        _buffer.AsSpan(offset, filled - offset).CopyTo(_buffer);
                        filled -= offset;
                    }
                    if (filled == _buffer.Length) { Fail("a frame larger than the receive buffer"); return; }
                    inFlight -= done;
                    if (now >= run.MeasureEnd || run.Stopping)
                    {
                        if (inFlight == 0) return;
                        continue;
                    }
                    if (done == 0) continue;
                    for (var i = 0; i < done; i++)
                    {
                        _sentAt[head] = now;
                        head = head + 1 == pipeline ? 0 : head + 1;
                    }
                    inFlight += done;
                    await socket.SendAsync(frames.AsMemory(0, done * frameLength), SocketFlags.None);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
            {
                if (!run.Stopping) Fail(e.Message);
            }
        }

        private void Fail(string reason)
        {
            Errors++;
            Failure ??= reason;
        }

        /// <summary>Says goodbye with a Close frame (1000) and waits briefly for the server's; then drops the socket.</summary>
        public async Task CloseAsync()
        {
            try
            {
                byte[] close = [0x88, 0x82, Mask[0], Mask[1], Mask[2], Mask[3], (byte)(0x03 ^ Mask[0]), (byte)(0xe8 ^ Mask[1])];
                await socket.SendAsync(close, SocketFlags.None);
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                while (await socket.ReceiveAsync(_buffer, SocketFlags.None, cts.Token) > 0) { }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException or OperationCanceledException) { }
            finally
            {
                socket.Dispose();
            }
        }

        public void Abort() => socket.Dispose();
    }

    private static bool HasFrame(ReadOnlySpan<byte> data) => TryFrame(data, out _, out _, out _, out _);

    /// <summary>A whole server frame (unmasked) at the start of <paramref name="data"/>: its FIN bit, opcode, payload length, total length.</summary>
    private static bool TryFrame(ReadOnlySpan<byte> data, out bool fin, out int opcode, out int payload, out int length)
    {
        fin = false; opcode = 0; payload = 0; length = 0;
        if (data.Length < 2) return false;
        fin = (data[0] & 0x80) != 0;
        opcode = data[0] & 0x0f;
        var len7 = data[1] & 0x7f;
        int header;
        long size;
        switch (len7)
        {
            case 126:
                if (data.Length < 4) return false;
                header = 4;
                size = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
                break;
            case 127:
                if (data.Length < 10) return false;
                header = 10;
                size = (long)BinaryPrimitives.ReadUInt64BigEndian(data[2..]);
                break;
            default:
                header = 2;
                size = len7;
                break;
        }
        if ((data[1] & 0x80) != 0) header += 4; // a masked server frame is a protocol error; skip it all the same
        if (size > int.MaxValue - header || data.Length < header + size) return false;
        payload = (int)size;
        length = header + payload;
        return true;
    }

    /// <summary>One masked text frame of <paramref name="size"/> ASCII bytes, <paramref name="count"/> times over.</summary>
    private static byte[] Frames(int size, int count, out int frameLength)
    {
        var header = size <= 125 ? 2 : 4;
        frameLength = header + 4 + size;
        var frame = new byte[frameLength];
        frame[0] = 0x81;
        if (size <= 125) frame[1] = (byte)(0x80 | size);
        else
        {
            frame[1] = 0x80 | 126;
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)size);
        }
        Mask.CopyTo(frame, header);
        for (var i = 0; i < size; i++) frame[header + 4 + i] = (byte)("abcdefghijklmnopqrstuvwxyz"[i % 26] ^ Mask[i % 4]);
        var frames = new byte[frameLength * count];
        for (var i = 0; i < count; i++) frame.CopyTo(frames, i * frameLength);
        return frames;
    }

    public static async Task<int> MainAsync(Options o)
    {
        var host = o.Get("host", "127.0.0.1");
        var port = o.Int("port", 0);
        var path = o.Get("path", "/ws/echo");
        var connections = o.Int("connections", 64);
        var pipeline = o.Int("pipeline", 1);
        var size = o.Int("size", 32);
        var warmup = o.Double("warmup", 1);
        var duration = o.Double("duration", 5);
        if (port <= 0 || connections <= 0 || pipeline <= 0 || size is < 0 or > 65535 || duration <= 0 || warmup < 0)
            return Options.Usage("ws-echo needs --port; --connections, --pipeline > 0, --size 0..65535, --duration > 0");

        var frames = Frames(size, pipeline, out var frameLength);
        var request = RawHttp.Request("GET", host, port, path, "Upgrade: websocket", "Connection: Upgrade",
            $"Sec-WebSocket-Key: {Key}", "Sec-WebSocket-Version: 13");

        // Every socket open and upgraded before the clock starts.
        using var setup = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var opening = Enumerable.Range(0, connections).Select(async _ =>
        {
            var socket = await RawHttp.ConnectAsync(host, port, setup.Token);
            try
            {
                await socket.SendAsync(request, SocketFlags.None, setup.Token);
                var response = await RawHttp.ReadHeadAsync(socket, new byte[8192], setup.Token);
                if (response.Status != 101) throw new IOException($"upgrade answered {response.Status}, not 101");
                if (response.Header("Sec-WebSocket-Accept") != Accept) throw new IOException("wrong Sec-WebSocket-Accept");
                var leftover = response.Buffer.AsSpan(response.LeftoverStart, response.LeftoverEnd - response.LeftoverStart).ToArray();
                return new Connection(socket, leftover, pipeline, frames, frameLength, size);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }).ToArray();
        try
        {
            await Task.WhenAll(opening);
        }
        catch (Exception e)
        {
            foreach (var t in opening) if (t.IsCompletedSuccessfully) t.Result.Abort();
            var failed = opening.Count(t => !t.IsCompletedSuccessfully);
            Console.WriteLine($"error=could not open {failed} of {connections} WebSockets: {(e is AggregateException a ? a.InnerException : e)?.Message}");
            return 1;
        }
        var conns = opening.Select(t => t.Result).ToArray();

        var start = Stopwatch.GetTimestamp();
        var run = new Run
        {
            MeasureStart = start + (long)(warmup * Stopwatch.Frequency),
            MeasureEnd = start + (long)((warmup + duration) * Stopwatch.Frequency),
        };
        var loops = conns.Select(c => Task.Run(() => c.RunAsync(run))).ToArray();

        // The client's own CPU and allocations over the measured seconds: it must not be what limits the rate.
        await Task.Delay(TimeSpan.FromSeconds(warmup));
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var alloc0 = GC.GetTotalAllocatedBytes();
        var gc0 = GC.CollectionCount(0);
        var wall0 = Stopwatch.GetTimestamp();
        await Task.Delay(TimeSpan.FromSeconds(duration));
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
        var wall = Stopwatch.GetElapsedTime(wall0).TotalSeconds;
        var allocated = GC.GetTotalAllocatedBytes() - alloc0;
        var gcs = GC.CollectionCount(0) - gc0;

        // The last echoes in flight come back; a connection still waiting after 5 s is dropped.
        var allLoops = Task.WhenAll(loops);
        if (await Task.WhenAny(allLoops, Task.Delay(TimeSpan.FromSeconds(5))) != allLoops)
        {
            run.Stopping = true;
            foreach (var c in conns) c.Abort();
            await Task.WhenAll(loops);
        }
        run.Stopping = true;
        await Task.WhenAll(conns.Select(c => c.CloseAsync()));

        var latency = new Histogram();
        foreach (var c in conns) latency.Add(c.Latency);
        var messages = conns.Sum(c => c.Messages);
        var errors = conns.Sum(c => c.Errors);
        var seconds = duration;
        Console.WriteLine($"# ws-echo ws://{host}:{port}{path}: {connections} connections, {pipeline} in flight each, {size}-byte text messages, {warmup:0.#} s warm-up, {duration:0.#} s measured");
        Console.WriteLine($"connections={connections}");
        Console.WriteLine($"pipeline={pipeline}");
        Console.WriteLine($"message_bytes={size}");
        Console.WriteLine($"duration_s={seconds:0.###}");
        Console.WriteLine($"messages={messages}");
        Console.WriteLine($"msgs_per_s={messages / seconds:0.0}");
        Console.WriteLine($"p50_ms={latency.PercentileMs(50):0.0000}");
        Console.WriteLine($"p90_ms={latency.PercentileMs(90):0.0000}");
        Console.WriteLine($"p99_ms={latency.PercentileMs(99):0.0000}");
        Console.WriteLine($"max_ms={latency.PercentileMs(100):0.0000}");
        Console.WriteLine($"errors={errors}");
        Console.WriteLine($"client_cpu_pct={100 * cpu / wall:0.0}");
        Console.WriteLine($"client_cores={Environment.ProcessorCount}");
        Console.WriteLine($"client_alloc_bytes_per_msg={(messages > 0 ? (double)allocated / messages : 0):0.0}");
        Console.WriteLine($"client_gen0_gcs={gcs}");
        foreach (var reason in conns.Where(c => c.Failure != null).GroupBy(c => c.Failure))
            Console.WriteLine($"failure={reason.Count()} connection(s): {reason.Key}");
        return messages > 0 ? 0 : 1;
    }
}
