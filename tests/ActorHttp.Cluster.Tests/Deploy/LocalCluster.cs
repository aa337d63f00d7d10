using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ActorHttp.Tests.EndToEnd;
using Xunit.Abstractions;

namespace ActorHttp.Cluster.Tests.Deploy;

/// <summary>
/// A cluster of real node processes started by <c>deploy/local/cluster.sh</c> on free port ranges of 127.0.0.1 (so a
/// developer's own cluster on 18080/19080 is left alone), with its own state directory. Disposing stops what is
/// still running (the script first, then a kill of any process left) and deletes the directory.
/// </summary>
public sealed class LocalCluster : IAsyncDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly List<int> _pids = new();
    private readonly List<HttpClient> _clients = new();

    private LocalCluster(ITestOutputHelper output, int httpBase, int remoteBase, string? nodeSettings)
    {
        _output = output;
        HttpBase = httpBase;
        StateDir = Path.Combine(Path.GetTempPath(), $"actorhttp-cluster-{Guid.NewGuid():N}");
        Environment = new Dictionary<string, string>
        {
            ["ACTORHTTP_HTTP_BASE"] = httpBase.ToString(),
            ["ACTORHTTP_REMOTE_BASE"] = remoteBase.ToString(),
            ["ACTORHTTP_CLUSTER_DIR"] = StateDir,
            ["ACTORHTTP_HOST_DLL"] = RepoPaths.HostDll,
            ["ACTORHTTP_NODE_SETTINGS"] = nodeSettings ?? "",
        };
    }

    private static string Script => Path.Combine(RepoPaths.Root, "deploy", "local", "cluster.sh");

    /// <summary>The script's environment: ports, state directory, node binary and settings.</summary>
    public Dictionary<string, string> Environment { get; }

    /// <summary>Where the script keeps pid and log files.</summary>
    public string StateDir { get; }

    /// <summary>Node 1's HTTP port; node n listens on HttpBase + n - 1.</summary>
    public int HttpBase { get; }

    /// <summary>The process ids of the nodes started, node 1 first.</summary>
    public IReadOnlyList<int> Pids => _pids;

    /// <summary>A cluster helper on free ports, nothing started yet; <paramref name="nodeSettings"/> go to ACTORHTTP_NODE_SETTINGS.</summary>
    public static LocalCluster OnFreePorts(ITestOutputHelper output, int nodes, string? nodeSettings = null)
    {
        var start = FreeRange(2 * nodes); // one range for both, so that they cannot overlap
        return new LocalCluster(output, start, start + nodes, nodeSettings);
    }

    /// <summary>
    /// Starts <paramref name="nodes"/> nodes and waits until they are all Up; fails the test otherwise.
    /// <paramref name="environment"/> adds variables for the script and the nodes (e.g. the durable store's).
    /// </summary>
    public static async Task<LocalCluster> StartAsync(ITestOutputHelper output, int nodes, string? nodeSettings = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var cluster = OnFreePorts(output, nodes, nodeSettings);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) cluster.Environment[name] = value;
        try
        {
            var started = await cluster.RunScriptAsync(TimeSpan.FromSeconds(150), "start", nodes.ToString());
            if (started.Code != 0) throw new InvalidOperationException($"cluster.sh start {nodes} failed ({started.Code}):\n{started.Stdout}\n{started.Stderr}");
            cluster.ReadPids(nodes);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Reads the pid files of nodes 1..<paramref name="nodes"/>.</summary>
    public void ReadPids(int nodes)
    {
        _pids.Clear();
        _pids.AddRange(Enumerable.Range(1, nodes).Select(n => int.Parse(File.ReadAllText(Path.Combine(StateDir, $"node-{n}.pid")).Trim())));
    }

    /// <summary>A client of node <paramref name="node"/> (1-based), disposed with the cluster.</summary>
    public HttpClient Client(int node)
    {
        var client = HttpClients.Create(new Uri($"http://127.0.0.1:{HttpBase + node - 1}"));
        _clients.Add(client);
        return client;
    }

    /// <summary>Sends <paramref name="signal"/> (e.g. "KILL", "TERM") to node <paramref name="node"/>'s process.</summary>
    public void Signal(int node, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { $"-{signal}", _pids[node - 1].ToString() }, UseShellExecute = false })
            ?? throw new InvalidOperationException("could not run kill");
        kill.WaitForExit();
        if (kill.ExitCode != 0) throw new InvalidOperationException($"kill -{signal} {_pids[node - 1]} exited with {kill.ExitCode}");
    }

    /// <summary>Whether node <paramref name="node"/>'s process still runs.</summary>
    public bool IsAlive(int node) => IsRunning(_pids[node - 1]);

    /// <summary>Waits up to <paramref name="timeout"/> for node <paramref name="node"/>'s process to exit.</summary>
    public async Task<bool> WaitForExitAsync(int node, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (IsRunning(_pids[node - 1]))
        {
            if (deadline.Elapsed > timeout) return false;
            await Task.Delay(100);
        }
        return true;
    }

    /// <summary>The end of node <paramref name="node"/>'s log, for failure messages.</summary>
    public string LogTail(int node, int lines = 30)
    {
        var path = Path.Combine(StateDir, $"node-{node}.log");
        return File.Exists(path) ? string.Join('\n', File.ReadLines(path).TakeLast(lines)) : "(no log)";
    }

    /// <summary>The lines of node <paramref name="node"/>'s log that contain any of <paramref name="words"/>.</summary>
    public IEnumerable<string> LogLines(int node, params string[] words)
    {
        var path = Path.Combine(StateDir, $"node-{node}.log");
        return File.Exists(path) ? File.ReadLines(path).Where(l => words.Any(w => l.Contains(w, StringComparison.Ordinal))).ToList() : [];
    }

    /// <summary>Runs cluster.sh with this cluster's environment; kills it after <paramref name="timeout"/>.</summary>
    public async Task<(int Code, string Stdout, string Stderr)> RunScriptAsync(TimeSpan timeout, params string[] args)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = RepoPaths.Root };
        info.ArgumentList.Add(Script);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        foreach (var (name, value) in Environment) info.Environment[name] = value;
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
        _output.WriteLine($"$ cluster.sh {string.Join(' ', args)} → {result.ExitCode}\n{result.Item2}{result.Item3}");
        return result;
    }

    /// <summary>True while process <paramref name="pid"/> runs.</summary>
    public static bool IsRunning(int pid)
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

    /// <summary>
    /// A base port with <paramref name="count"/> free ports from it (checked by binding each), between 21000 and 32000:
    /// away from the defaults (18080.., 19080..) and below the kernel's ephemeral range (32768..), so that no
    /// client's outgoing connection takes one of them meanwhile.
    /// </summary>
    public static int FreeRange(int count)
    {
        var random = new Random();
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var start = random.Next(21000, 32000 - count);
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

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients) client.Dispose();
        if (_pids.Any(IsRunning))
        {
            try { await RunScriptAsync(TimeSpan.FromSeconds(120), "stop"); }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException) { _output.WriteLine($"cluster.sh stop: {e.Message}"); }
        }
        foreach (var pid in _pids.Where(IsRunning))
        {
            try { Process.GetProcessById(pid).Kill(entireProcessTree: true); } catch (ArgumentException) { } catch (InvalidOperationException) { }
        }
        try { Directory.Delete(StateDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
