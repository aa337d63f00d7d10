using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace SocketLoad;

/// <summary>
/// sse-fanout: SUBSCRIBERS server-sent event streams on EVENTS-PATH (a counter's events) and one driver that resets the
/// counter (DELETE POST-PATH) and then POSTs to it, one request at a time (or paced to RATE per second), WARMUP seconds
/// unmeasured, DURATION seconds measured. The k-th POST after the reset makes value k, so each subscriber times the
/// event carrying value k from that POST's send. Reports the updates delivered over all subscribers per second and
/// the delivery latency of the updates POSTed in the measured seconds.
/// <para>
/// The value of an event is the integer after <c>"value":</c> in its data (the counter's JSON, {"id":"a","value":3}),
/// else its data if that is a whole number, else its id if that is one. Exits 3, printing <c>skipped=</c> and the
/// reason, when the route does not answer with an event stream.
/// </para>
/// </summary>
internal static class SseFanout
{
    private sealed class Run
    {
        public long MeasureStart = long.MaxValue, MeasureEnd = long.MaxValue;
        public required long[] SentAt;
        public readonly Histogram Latency = new();
        public volatile bool Stopping;
    }

    private sealed class Subscriber(Socket socket, byte[] buffer, int leftoverStart, int leftoverEnd, bool chunked)
    {
        private enum Chunk : byte { Size, Extension, Data, DataEnd, End }

        public long Delivered, Events, Skipped, LastValue;
        public string? Failure;
        private Chunk _chunk = Chunk.Size;
        private long _chunkLeft;
        private readonly byte[] _line = new byte[1024];
        private int _lineLength;
        private bool _skipLf;
        private long _dataValue = -1, _idValue = -1;
        private Run _run = null!;
        private long _now;

        public async Task RunAsync(Run run)
        {
            _run = run;
            try
            {
                _now = Stopwatch.GetTimestamp();
                Feed(buffer.AsSpan(leftoverStart, leftoverEnd - leftoverStart));
                while (_chunk != Chunk.End)
                {
                    var n = await socket.ReceiveAsync(buffer, SocketFlags.None);
                    if (n == 0)
                    {
                        if (!run.Stopping) Failure ??= "the server ended the stream";
                        return;
                    }
                    _now = Stopwatch.GetTimestamp();
                    Feed(buffer.AsSpan(0, n));
                }
                if (!run.Stopping) Failure ??= "the server ended the stream (last chunk)";
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
            {
                if (!run.Stopping) Failure ??= e.Message;
            }
        }

        public void Abort() => socket.Dispose();

        /// <summary>Body bytes of the response: de-chunked when it is chunked, then split into event-stream lines.</summary>
        private void Feed(ReadOnlySpan<byte> data)
        {
            if (!chunked)
            {
                Lines(data);
                return;
            }
            while (!data.IsEmpty && _chunk != Chunk.End)
            {
                switch (_chunk)
                {
                    case Chunk.Data:
                        var take = (int)Math.Min(_chunkLeft, data.Length);
                        Lines(data[..take]);
                        data = data[take..];
                        _chunkLeft -= take;
                        if (_chunkLeft == 0) _chunk = Chunk.DataEnd;
                        continue;
                    case Chunk.Size:
                        var b = data[0];
                        var digit = b is >= (byte)'0' and <= (byte)'9' ? b - '0' : (b | 0x20) is >= 'a' and <= 'f' ? (b | 0x20) - 'a' + 10 : -1;
                        if (digit >= 0) _chunkLeft = _chunkLeft * 16 + digit;
                        else if (b == ';') _chunk = Chunk.Extension;
                        else if (b == '\n') _chunk = _chunkLeft == 0 ? Chunk.End : Chunk.Data;
                        break;
                    case Chunk.Extension:
                        if (data[0] == '\n') _chunk = _chunkLeft == 0 ? Chunk.End : Chunk.Data;
                        break;
                    case Chunk.DataEnd: // the CR LF after a chunk's data
                        if (data[0] == '\n') { _chunk = Chunk.Size; _chunkLeft = 0; }
                        break;
                }
                data = data[1..];
            }
        }

        private void Lines(ReadOnlySpan<byte> data)
        {
            foreach (var b in data)
            {
                if (_skipLf)
                {
                    _skipLf = false;
                    if (b == '\n') continue;
                }
                if (b is (byte)'\r' or (byte)'\n')
                {
                    Line(_line.AsSpan(0, Math.Min(_lineLength, _line.Length)));
                    _lineLength = 0;
                    _skipLf = b == '\r';
                    continue;
                }
                if (_lineLength < _line.Length) _line[_lineLength] = b;
                _lineLength++;
            }
        }

        private void Line(ReadOnlySpan<byte> line)
        {
            if (line.IsEmpty)
            {
                var value = _dataValue >= 0 ? _dataValue : _idValue;
                (_dataValue, _idValue) = (-1, -1);
                if (value >= 0) OnValue(value);
                return;
            }
            if (line.StartsWith("data:"u8)) _dataValue = ValueOfData(line[5..]) is var v and >= 0 ? v : _dataValue;
            else if (line.StartsWith("id:"u8)) _idValue = WholeNumber(line[3..]);
        }

        private void OnValue(long value)
        {
            Events++;
            if (value > LastValue + 1 && LastValue > 0) Skipped += value - LastValue - 1; // values coalesced or lost
            if (value > LastValue) LastValue = value;
            if (value <= 0 || value >= _run.SentAt.Length) return;
            var sent = Volatile.Read(ref _run.SentAt[value]);
            if (sent == 0 || sent < _run.MeasureStart || sent >= _run.MeasureEnd) return;
            Delivered++;
            _run.Latency.RecordShared(_now - sent);
        }

        private static long ValueOfData(ReadOnlySpan<byte> data)
        {
            var at = data.IndexOf("\"value\":"u8);
            if (at < 0) return WholeNumber(data);
            data = data[(at + 8)..].TrimStart((byte)' ');
            var end = data.IndexOfAnyExceptInRange((byte)'0', (byte)'9');
            return WholeNumber(end < 0 ? data : data[..end]);
        }

        private static long WholeNumber(ReadOnlySpan<byte> text)
        {
            text = text.Trim((byte)' ');
            if (text.IsEmpty || text.Length > 18) return -1;
            long v = 0;
            foreach (var b in text)
            {
                if (b is < (byte)'0' or > (byte)'9') return -1;
                v = v * 10 + (b - '0');
            }
            return v;
        }
    }

    public static async Task<int> MainAsync(Options o)
    {
        var host = o.Get("host", "127.0.0.1");
        var port = o.Int("port", 0);
        var id = o.Get("id", "bench");
        var eventsPath = o.Get("events-path", "/counters/{id}/events").Replace("{id}", id);
        var postPath = o.Get("post-path", "/counters/{id}").Replace("{id}", id);
        var subscribers = o.Int("subscribers", 1000);
        var warmup = o.Double("warmup", 1);
        var duration = o.Double("duration", 5);
        var rate = o.Double("rate", 0);
        if (port <= 0 || subscribers <= 0 || duration <= 0 || warmup < 0 || rate < 0)
            return Options.Usage("sse-fanout needs --port; --subscribers > 0, --duration > 0, --rate >= 0");
        using var setup = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var subscribe = RawHttp.Request("GET", host, port, eventsPath, "Accept: text/event-stream", "Cache-Control: no-cache");

        async Task<(Subscriber? Subscriber, string? Problem)> SubscribeAsync()
        {
            var socket = await RawHttp.ConnectAsync(host, port, setup.Token);
            try
            {
                await socket.SendAsync(subscribe, SocketFlags.None, setup.Token);
                var head = await RawHttp.ReadHeadAsync(socket, new byte[16384], setup.Token);
                var type = head.Header("Content-Type") ?? "";
                if (head.Status != 200 || !type.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase))
                {
                    socket.Dispose();
                    return (null, $"GET {eventsPath} answered {head.Status} {type} (no event stream: has the SSE route landed?)");
                }
                var chunked = head.Header("Transfer-Encoding")?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true;
                return (new Subscriber(socket, head.Buffer, head.LeftoverStart, head.LeftoverEnd, chunked), null);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        // Is there an event stream at all?
        try
        {
            var (probe, problem) = await SubscribeAsync();
            if (probe == null)
            {
                Console.WriteLine($"skipped={problem}");
                return 3;
            }
            probe.Abort();
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            Console.WriteLine($"skipped=GET {eventsPath}: {e.Message}");
            return 3;
        }

        // The driver resets the counter: the k-th POST from here on makes value k.
        var driver = await RawHttp.ConnectAsync(host, port, setup.Token);
        var driverBuffer = new byte[16384];
        var reset = await RawHttp.ExchangeAsync(driver, RawHttp.Request("DELETE", host, port, postPath, "Content-Length: 0"), driverBuffer, setup.Token);
        if (reset.Status != 200)
        {
            Console.WriteLine($"error=DELETE {postPath} answered {reset.Status}: {reset.Body}");
            return 1;
        }

        // Capacity for the fastest sequential POSTs over warm-up, measurement and more: 100,000 a second.
        var run = new Run { SentAt = new long[(int)Math.Min(50_000_000, (warmup + duration + 2) * 100_000)] };
        var subs = new List<Subscriber>(subscribers);
        var loops = new List<Task>(subscribers);
        try
        {
            for (var opened = 0; opened < subscribers;)
            {
                var batch = await Task.WhenAll(Enumerable.Range(0, Math.Min(100, subscribers - opened)).Select(_ => SubscribeAsync()));
                foreach (var (sub, problem) in batch)
                {
                    if (sub == null) throw new IOException(problem);
                    subs.Add(sub);
                    loops.Add(Task.Run(() => sub.RunAsync(run)));
                }
                opened += batch.Length;
            }
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            run.Stopping = true;
            foreach (var s in subs) s.Abort();
            Console.WriteLine($"error=only {subs.Count} of {subscribers} subscribers could subscribe: {e.Message}");
            return 1;
        }
        await Task.Delay(500); // every subscriber's first event (the value at subscription), if the route sends one

        var post = RawHttp.Request("POST", host, port, postPath, "Content-Length: 0");
        var postLatency = new Histogram();
        long posts = 0, badPosts = 0, foreign = 0, k = 0;
        string? postProblem = null;
        var start = Stopwatch.GetTimestamp();
        run.MeasureStart = start + (long)(warmup * Stopwatch.Frequency);
        run.MeasureEnd = start + (long)((warmup + duration) * Stopwatch.Frequency);
        var process = Process.GetCurrentProcess();
        TimeSpan cpu0 = default;
        var cpuTaken = false;
        try
        {
            while (true)
            {
                var now = Stopwatch.GetTimestamp();
                if (now >= run.MeasureEnd || k + 1 >= run.SentAt.Length) break;
                if (!cpuTaken && now >= run.MeasureStart) { cpu0 = process.TotalProcessorTime; cpuTaken = true; }
                if (rate > 0)
                {
                    var due = start + (long)(k / rate * Stopwatch.Frequency);
                    if (due > now) { await Task.Delay(TimeSpan.FromSeconds((double)(due - now) / Stopwatch.Frequency)); continue; }
                }
                k++;
                now = Stopwatch.GetTimestamp();
                Volatile.Write(ref run.SentAt[k], now);
                var (status, body) = await RawHttp.ExchangeAsync(driver, post, driverBuffer, setup.Token);
                var measured = now >= run.MeasureStart && now < run.MeasureEnd;
                if (measured) { posts++; postLatency.Record(Stopwatch.GetTimestamp() - now); }
                if (status != 200) { badPosts++; postProblem ??= $"POST {postPath} answered {status}"; continue; }
                var at = body.IndexOf("\"value\":", StringComparison.Ordinal);
                if (at < 0 || !long.TryParse(new string(body.AsSpan(at + 8).TrimStart(' ').ToArray().TakeWhile(char.IsAsciiDigit).ToArray()), out var value) || value != k)
                    foreign++; // someone else POSTs too, or the counter restarted: the value-to-send mapping is off
            }
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            postProblem ??= $"driver: {e.Message}";
        }
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;

        // Deliveries still on their way get 2 s more, then the streams are closed.
        var last = k;
        var grace = Stopwatch.GetTimestamp() + 2 * Stopwatch.Frequency;
        while (Stopwatch.GetTimestamp() < grace && subs.Any(s => s.Failure == null && s.LastValue < last)) await Task.Delay(20);
        run.Stopping = true;
        driver.Dispose();
        foreach (var s in subs) s.Abort();
        await Task.WhenAll(loops);

        var delivered = subs.Sum(s => s.Delivered);
        var failed = subs.Count(s => s.Failure != null);
        var expected = posts * subscribers;
        Console.WriteLine($"# sse-fanout http://{host}:{port}{eventsPath}: {subscribers} subscribers, POST {postPath} " +
                          $"{(rate > 0 ? $"paced to {rate:0}/s" : "one at a time")}, {warmup:0.#} s warm-up, {duration:0.#} s measured");
        Console.WriteLine($"subscribers={subscribers}");
        Console.WriteLine($"duration_s={duration:0.###}");
        Console.WriteLine($"posts={posts}");
        Console.WriteLine($"posts_per_s={posts / duration:0.0}");
        Console.WriteLine($"post_p50_ms={postLatency.PercentileMs(50):0.0000}");
        Console.WriteLine($"post_p99_ms={postLatency.PercentileMs(99):0.0000}");
        Console.WriteLine($"delivered={delivered}");
        Console.WriteLine($"expected={expected}");
        Console.WriteLine($"updates_per_s={delivered / duration:0.0}");
        Console.WriteLine($"p50_ms={run.Latency.PercentileMs(50):0.0000}");
        Console.WriteLine($"p90_ms={run.Latency.PercentileMs(90):0.0000}");
        Console.WriteLine($"p99_ms={run.Latency.PercentileMs(99):0.0000}");
        Console.WriteLine($"max_ms={run.Latency.PercentileMs(100):0.0000}");
        Console.WriteLine($"skipped_values={subs.Sum(s => s.Skipped)}");
        Console.WriteLine($"errors={failed + badPosts + foreign}");
        Console.WriteLine($"failed_subscribers={failed}");
        Console.WriteLine($"foreign_values={foreign}");
        Console.WriteLine($"client_cpu_pct={(cpuTaken ? 100 * cpu / duration : 0):0.0}");
        Console.WriteLine($"client_cores={Environment.ProcessorCount}");
        if (postProblem != null) Console.WriteLine($"failure=driver: {postProblem}");
        foreach (var reason in subs.Where(s => s.Failure != null).GroupBy(s => s.Failure))
            Console.WriteLine($"failure={reason.Count()} subscriber(s): {reason.Key}");
        return delivered > 0 ? 0 : 1;
    }
}
