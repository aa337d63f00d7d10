using System.Net.Sockets;
using Akka.Actor;
using Akka.IO;
using ActorHttp.Handlers;
using ActorHttp.Protocol;
using ActorHttp.Routing;
using ActorHttp.Tests.EndToEnd;
using Xunit;
using Xunit.Abstractions;

namespace ActorHttp.Tests.Abuse;

/// <summary>
/// Slowloris (headers trickled over 1,000 connections, by slowhttptest) and slow readers: the attackers are closed by the
/// server's timeouts, and normal clients (wrk on 8 connections) are still served, without errors, while the attack is
/// in force. How much throughput they keep is printed, not asserted: a rate on a busy 2-core CI machine says more about
/// the machine than the server (a CI run once failed an 80% bound against one lucky baseline window).
/// <para>
/// The slow readers are this test's own sockets, not slowhttptest's slow-read mode: on two cores that mode spends a whole
/// core polling (it would measure the attacker's CPU, not the server), and it reports connections the server has already
/// aborted as connected.
/// </para>
/// </summary>
[Collection(AbuseCollection.Name)]
[Trait("Category", "Abuse")]
public sealed class SlowClientTests(ITestOutputHelper output)
{
    private const int Window = 2; // seconds per throughput window
    private const int WindowsUnderAttack = 2;

    /// <summary>
    /// Normal clients' requests over <see cref="WindowsUnderAttack"/> windows, each of which must complete requests
    /// without a socket error or a non-2xx answer.
    /// </summary>
    private async Task<long> ServedUnderAttackAsync(int port)
    {
        var total = 0L;
        for (var i = 0; i < WindowsUnderAttack; i++)
        {
            var requests = await WindowAsync(port, "under attack", i);
            Assert.True(requests > 0, $"normal clients completed no request in window {i + 1} under attack");
            total += requests;
        }
        return total / WindowsUnderAttack;
    }

    private async Task<long> WindowAsync(int port, string label, int index)
    {
        var run = await AbuseTools.WrkAsync(port, "/plaintext", Window);
        Assert.True(run.Non2xx == 0 && run.SocketErrors == 0, $"normal clients saw errors ({label}):\n{run.Output}");
        output.WriteLine($"{label} window {index + 1}: {run.Requests} requests in {Window} s");
        return run.Requests;
    }

    private void Report(string attack, long baseline, long underAttack) =>
        output.WriteLine($"{attack}: baseline {baseline}, under attack {underAttack} requests per {Window} s window: {(double)underAttack / Math.Max(1, baseline):P0} (reported, not asserted)");

    /// <summary>
    /// slowhttptest under the SCHED_IDLE policy (chrt execs it, same process): it busy-polls its sockets, about 75% of a
    /// core whatever its interval, and a real attacker's CPU is on another machine. On two shared cores it would
    /// otherwise take its share from the server and wrk; idle-class, it runs only on CPU that nothing else wants.
    /// (nice 19 was not enough: it still took 60% of a core during the measurement.)
    /// </summary>
    private static ChildProcess StartSlowHttpTest(string workDir, params string[] args) =>
        ChildProcess.Start("chrt", ["--idle", "0", AbuseTools.RequireTool("slowhttptest"), .. args], workDir);

    private static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"actorhttp-abuse-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>A slowloris of our own: sends a request line, then one header line a second, and returns what the server answered.</summary>
    private static async Task<(RawResponse? Response, bool Closed)> TrickleHeadersAsync(int port, TimeSpan limit)
    {
        using var connection = await RawHttpConnection.OpenAsync(port);
        await connection.SendAsync("GET /plaintext HTTP/1.1\r\nHost: h\r\n");
        var read = connection.ReadResponseAsync(timeout: limit);
        for (var i = 0; !read.IsCompleted && i < limit.TotalSeconds; i++)
        {
            await Task.WhenAny(read, Task.Delay(1000));
            if (read.IsCompleted) break;
            try { await connection.SendAsync($"X-Slow-{i}: {i}\r\n"); }
            catch (SocketException) { break; } // closed under us: the read tells what happened
        }
        RawResponse? response = null;
        try { response = await read; }
        catch (Exception e) when (e is EndOfStreamException or TimeoutException or IOException or SocketException) { }
        var closed = false;
        try { closed = await connection.WaitForServerCloseAsync(TimeSpan.FromSeconds(5)); }
        catch (Exception e) when (e is IOException or InvalidDataException or SocketException) { }
        return (response, closed);
    }

    /// <summary>The server runs in this process and holds every attacking connection: it needs the file descriptors.</summary>
    private static void RequireFdLimit(int needed)
    {
        var limit = AbuseTools.OpenFilesLimit(Environment.ProcessId);
        Assert.True(limit >= needed, $"the test process may open only {limit} files, {needed} are needed: raise `ulimit -n` (./build.sh test does)");
    }

    [Fact]
    public async Task Slowloris_1000_connections_are_closed_by_the_header_timeout_while_normal_clients_are_served()
    {
        RequireFdLimit(4096);
        var headerTimeout = TimeSpan.FromSeconds(20); // room for a slow ramp and the windows while every attacker is held
        await using var server = await TestServer.StartAsync(s => s with { RequestHeaderTimeout = headerTimeout });
        var port = server.Port;
        await AbuseTools.WrkAsync(port, "/plaintext", 2); // warm-up (JIT tiers, pools): the baseline is the settled server
        var baseline = await WindowAsync(port, "baseline", 0);

        var workDir = TempDir();
        try
        {
            // 1,000 connections opened at 1,000/s, each sending a header line every second, for at most 45 s.
            using var attack = StartSlowHttpTest(workDir, "-H", "-c", "1000", "-r", "1000", "-i", "1", "-x", "10", "-p", "3",
                "-l", "45", "-g", "-o", Path.Combine(workDir, "slowloris"), "-u", $"http://127.0.0.1:{port}/plaintext");
            var held = await AbuseTools.WaitForCountsAsync(server.Binding, c => c.Open >= 1000, TimeSpan.FromSeconds(15));
            output.WriteLine($"attack in place: {held}");
            Assert.True(held.Open >= 1000, $"slowhttptest did not get its 1,000 connections in: {held}\n{attack.Stdout}");

            var ours = Enumerable.Range(0, 5).Select(_ => TrickleHeadersAsync(port, TimeSpan.FromSeconds(30))).ToArray();
            var underAttack = await ServedUnderAttackAsync(port);
            var stillHeld = await server.Binding.GetConnectionCountsAsync();
            output.WriteLine($"after the attack windows: {stillHeld}");
            Assert.True(stillHeld.Open >= 1000, $"the attack was not in force during the whole measurement: {stillHeld}");
            Report("slowloris", baseline, underAttack);

            // The server, not the attacker's time limit, ends the attack: every trickling connection is closed (408).
            foreach (var (response, closed) in await Task.WhenAll(ours))
            {
                Assert.True(response?.Status == 408, $"a trickling client got {response?.ToString() ?? "no response"}");
                Assert.True(response!.ConnectionClose && closed, "408 must close the connection");
            }
            var code = await attack.WaitForExitAsync(TimeSpan.FromSeconds(40));
            output.WriteLine($"slowhttptest exited with {code}: {attack.Stdout.Split('\n').LastOrDefault(l => l.Contains("Exit status", StringComparison.Ordinal))}");
            Assert.Contains("No open connections left", attack.Stdout);
            var after = await AbuseTools.WaitForCountsAsync(server.Binding, c => c.Open == 0, TimeSpan.FromSeconds(10));
            Assert.Equal(0, after.Open);
        }
        finally
        {
            Directory.Delete(workDir, recursive: true);
        }
    }

    /// <summary>Streams 4 MB in 64 KB pieces (more than the kernel buffers of a client that reads slowly).</summary>
    private sealed class Big : HttpHandlerActor
    {
        private static readonly byte[] Payload = new byte[4 * 1024 * 1024];

        protected override void OnRequest(HttpRequest request) =>
            RespondWithStream(HttpResponse.StreamedHead(contentType: "application/octet-stream"), new MemoryStream(Payload, writable: false));
    }

    /// <summary>
    /// A slow reader: a receive buffer of 1 KB (a tiny advertised window), three pipelined requests for a 4 MB body, and
    /// 32 bytes read every second until <paramref name="stop"/>. Returns how many bytes it read.
    /// </summary>
    private static async Task<long> SlowReadAsync(int port, CancellationToken stop)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 1024 };
        long read = 0;
        try
        {
            await socket.ConnectAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port), stop);
            var request = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("GET /big HTTP/1.1\r\nHost: h\r\n\r\n", 3)));
            await socket.SendAsync(request, SocketFlags.None, stop);
            var buffer = new byte[32];
            while (!stop.IsCancellationRequested)
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, stop);
                if (n == 0) break;
                read += n;
                await Task.Delay(1000, stop);
            }
        }
        catch (OperationCanceledException) { }
        catch (SocketException) { } // reset by the server's abort
        return read;
    }

    [Fact]
    public async Task Slow_readers_are_aborted_by_the_send_timeout_while_normal_clients_are_served()
    {
        RequireFdLimit(2048);
        var sendTimeout = TimeSpan.FromSeconds(20); // room for a slow ramp, a pause and the windows while every reader is held
        const int readers = 200;
        var routes = new Routes().Get("/big", Props.Create<Big>()).Get("/plaintext", TextHandler.Props(TestServer.PlainText));
        await using var server = await TestServer.StartAsync(s => s with { SendTimeout = sendTimeout }, routes);
        var port = server.Port;
        await AbuseTools.WrkAsync(port, "/plaintext", 2); // warm-up (JIT tiers, pools): the baseline is the settled server
        var baseline = await WindowAsync(port, "baseline", 0);

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(50));
        var attack = Enumerable.Range(0, readers).Select(_ => SlowReadAsync(port, stop.Token)).ToArray();
        try
        {
            var held = await AbuseTools.WaitForCountsAsync(server.Binding, c => c.Open >= readers, TimeSpan.FromSeconds(15));
            output.WriteLine($"slow readers in place: {held}");
            Assert.True(held.Open >= readers, $"the slow readers did not all connect: {held}");
            // Until their kernel buffers are full the server streams to them at full speed (about 1.5 MB each on
            // loopback); the steady state of the attack is what is measured.
            await Task.Delay(TimeSpan.FromSeconds(2));

            var underAttack = await ServedUnderAttackAsync(port);
            var during = await server.Binding.GetConnectionCountsAsync();
            output.WriteLine($"after the attack windows: {during}");
            Assert.True(during.Open >= readers, $"the slow readers were not held during the whole measurement: {during}");
            Report("slow read", baseline, underAttack);

            // None of them drains its responses: the server aborts each once a write has waited send-timeout, while the
            // readers are still reading (they would go on for minutes).
            var after = await AbuseTools.WaitForCountsAsync(server.Binding, c => c.Open == 0, sendTimeout + TimeSpan.FromSeconds(15));
            output.WriteLine($"after send-timeout: {after}; slow readers still running: {attack.Count(t => !t.IsCompleted)}");
            Assert.Equal(0, after.Open);
        }
        finally
        {
            await stop.CancelAsync();
            var bytes = await Task.WhenAll(attack).WaitAsync(TimeSpan.FromSeconds(10));
            output.WriteLine($"the slow readers read {bytes.Sum()} bytes in all, of {readers} x 3 x 4 MB asked for");
        }
    }
}
