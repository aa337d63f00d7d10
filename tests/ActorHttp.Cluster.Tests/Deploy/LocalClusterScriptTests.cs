using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using ActorHttp.Tests.EndToEnd;
using Xunit;
using Xunit.Abstractions;

namespace ActorHttp.Cluster.Tests.Deploy;

/// <summary>
/// <c>deploy/local/cluster.sh</c> end to end: three real node processes on 127.0.0.1 (on free port ranges, so a
/// developer's own cluster on 18080/19080 is left alone), requests through every node, status, stop.
/// </summary>
[Trait("Category", "Host")]
public sealed class LocalClusterScriptTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _stateDir = Path.Combine(Path.GetTempPath(), $"actorhttp-cluster-{Guid.NewGuid():N}");

    private static string Script => Path.Combine(RepoPaths.Root, "deploy", "local", "cluster.sh");

    /// <summary>A base port with <paramref name="count"/> free ports from it (checked by binding each), away from the defaults.</summary>
    private static int FreeRange(int count, int avoid)
    {
        var random = new Random();
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var start = random.Next(21000, 59000);
            if (Math.Abs(start - avoid) < 1000) continue;
            var listeners = new List<TcpListener>();
            try
            {
                for (var p = start; p < start + count; p++)
                {
                    var listener = new TcpListener(IPAddress.Loopback, p);
                    listener.Start();
                    listeners.Add(listener);
                }
                return start;
            }
            catch (SocketException) { }
            finally
            {
                foreach (var listener in listeners) listener.Stop();
            }
        }
        throw new InvalidOperationException("no free port range found");
    }

    private async Task<(int Code, string Stdout, string Stderr)> RunScriptAsync(Dictionary<string, string> environment, TimeSpan timeout, params string[] args)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = RepoPaths.Root };
        info.ArgumentList.Add(Script);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        foreach (var (name, value) in environment) info.Environment[name] = value;
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start bash");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"cluster.sh {string.Join(' ', args)} did not finish within {timeout}");
        }
        var result = (process.ExitCode, await stdout, await stderr);
        output.WriteLine($"$ cluster.sh {string.Join(' ', args)} → {result.ExitCode}\n{result.Item2}{result.Item3}");
        return result;
    }

    [Fact]
    public async Task Starts_three_nodes_that_serve_one_set_of_counters_then_stops_them_all()
    {
        var httpBase = FreeRange(3, 18080);
        var remoteBase = FreeRange(3, 19080);
        var environment = new Dictionary<string, string>
        {
            ["ACTORHTTP_HTTP_BASE"] = httpBase.ToString(),
            ["ACTORHTTP_REMOTE_BASE"] = remoteBase.ToString(),
            ["ACTORHTTP_CLUSTER_DIR"] = _stateDir,
            ["ACTORHTTP_HOST_DLL"] = RepoPaths.HostDll,
        };
        var pids = new List<int>();
        try
        {
            var started = await RunScriptAsync(environment, TimeSpan.FromSeconds(150), "start", "3");
            Assert.True(started.Code == 0, $"start failed ({started.Code}):\n{started.Stdout}\n{started.Stderr}");
            pids.AddRange(Enumerable.Range(1, 3).Select(n => int.Parse(File.ReadAllText(Path.Combine(_stateDir, $"node-{n}.pid")).Trim())));
            var nodes = Enumerable.Range(0, 3).Select(i => HttpClients.Create(new Uri($"http://127.0.0.1:{httpBase + i}"))).ToList();
            foreach (var i in Enumerable.Range(0, 3)) Assert.Contains($"http://127.0.0.1:{httpBase + i}", started.Stdout);

            // Every node increments every counter once: each counter's one entity, wherever it lives, counts 3.
            var ids = Enumerable.Range(0, 12).Select(i => $"script-{i}").ToList();
            foreach (var id in ids)
            foreach (var node in nodes)
            {
                using var post = await node.PostAsync($"/counters/{id}", null);
                Assert.True(post.StatusCode == HttpStatusCode.OK, $"POST /counters/{id} via {node.BaseAddress}: {(int)post.StatusCode} {await post.Content.ReadAsStringAsync()}");
            }
            foreach (var id in ids)
            foreach (var node in nodes)
                Assert.Equal($"{{\"id\":\"{id}\",\"value\":3}}", await node.GetStringAsync($"/counters/{id}"));

            // The entities are spread over the nodes (the ids' shards are allocated to the least loaded region).
            using var shards = JsonDocument.Parse(await nodes[1].GetStringAsync("/cluster/shards"));
            var hosting = shards.RootElement.GetProperty("types")[0].GetProperty("nodes").EnumerateArray()
                .Count(n => n.GetProperty("entities").GetInt32() > 0);
            Assert.True(hosting >= 2, $"entities on {hosting} node(s): {shards.RootElement}");

            var status = await RunScriptAsync(environment, TimeSpan.FromSeconds(30), "status");
            Assert.Equal(0, status.Code);
            Assert.Equal(3, status.Stdout.Split('\n').Count(l => l.Contains("\"status\":\"Up\"")));
            foreach (var node in nodes) node.Dispose();

            var stopped = await RunScriptAsync(environment, TimeSpan.FromSeconds(150), "stop");
            Assert.Equal(0, stopped.Code);
            foreach (var pid in pids) Assert.False(IsRunning(pid), $"node process {pid} is still running after stop");
            Assert.Empty(Directory.GetFiles(_stateDir, "*.pid"));
        }
        finally
        {
            foreach (var pid in pids.Where(IsRunning))
            {
                try { Process.GetProcessById(pid).Kill(entireProcessTree: true); } catch (ArgumentException) { } catch (InvalidOperationException) { }
            }
        }
    }

    [Fact]
    public async Task Refuses_to_start_on_a_port_in_use()
    {
        using var occupier = new TcpListener(IPAddress.Loopback, 0);
        occupier.Start();
        var environment = new Dictionary<string, string>
        {
            ["ACTORHTTP_HTTP_BASE"] = ((IPEndPoint)occupier.LocalEndpoint).Port.ToString(),
            ["ACTORHTTP_REMOTE_BASE"] = FreeRange(2, 19080).ToString(),
            ["ACTORHTTP_CLUSTER_DIR"] = _stateDir,
            ["ACTORHTTP_HOST_DLL"] = RepoPaths.HostDll,
        };
        var result = await RunScriptAsync(environment, TimeSpan.FromSeconds(30), "start", "2");
        Assert.Equal(1, result.Code);
        Assert.Contains("is in use", result.Stderr);
        Assert.Empty(Directory.Exists(_stateDir) ? Directory.GetFiles(_stateDir, "*.pid") : []);
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(_stateDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
