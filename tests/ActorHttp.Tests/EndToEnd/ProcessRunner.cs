using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace ActorHttp.Tests.EndToEnd;

/// <summary>
/// A child process with captured stdout/stderr (line by line), bounded waits, and a Dispose that kills it
/// (with its children) if it is still running.
/// </summary>
public sealed partial class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new(), _stderr = new();
    private readonly TaskCompletionSource<int> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChildProcess(Process process) => _process = process;

    private string? _store;

    public int Id => _process.Id;
    public string Stdout => string.Join("\n", _stdout);
    public string Stderr => string.Join("\n", _stderr);
    public IReadOnlyList<string> StderrLines => _stderr.ToArray();
    public bool HasExited => _process.HasExited;

    [GeneratedRegex(@"listening on http://127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningLine();

    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            CreateNoWindow = true,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        // A node keeps its durable counters in a SQLite file of its own (hocon/*.conf read the variable), deleted after:
        // never the repository's data/, and never what an earlier run left.
        var store = Path.Combine(Path.GetTempPath(), $"actorhttp-node-{Guid.NewGuid():N}.db");
        info.Environment["ACTORHTTP_SQLITE_FILE"] = store;

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process) { _store = store };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data == null) return;
            child._stdout.Enqueue(e.Data);
            var match = ListeningLine().Match(e.Data);
            if (match.Success) child._listening.TrySetResult(int.Parse(match.Groups[1].Value));
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data != null) child._stderr.Enqueue(e.Data);
        };
        if (!process.Start()) throw new InvalidOperationException($"could not start {fileName}");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits for the <c>listening on http://127.0.0.1:PORT</c> line and returns the port.</summary>
    public async Task<int> WaitForListeningAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var exited = _process.WaitForExitAsync(cts.Token);
        var first = await Task.WhenAny(_listening.Task, exited, Task.Delay(Timeout.Infinite, cts.Token));
        if (_listening.Task.IsCompletedSuccessfully) return _listening.Task.Result;
        if (first == exited && exited.IsCompletedSuccessfully)
            throw new InvalidOperationException($"process exited with {_process.ExitCode} before listening.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        throw new TimeoutException($"no 'listening on' line within {timeout}.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
    }

    /// <summary>
    /// Waits until the process exits (returns its code) or reports that it is listening (returns Listening = true;
    /// the process keeps running and is killed by Dispose). Throws on timeout.
    /// </summary>
    public async Task<(bool Listening, int? ExitCode)> WaitForExitOrListeningAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var exited = _process.WaitForExitAsync(cts.Token);
        await Task.WhenAny(_listening.Task, exited);
        if (exited.IsCompletedSuccessfully) return (_listening.Task.IsCompletedSuccessfully, _process.ExitCode);
        if (_listening.Task.IsCompletedSuccessfully) return (true, null);
        Kill();
        throw new TimeoutException($"process {Id} neither exited nor listened within {timeout}; killed.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
    }

    /// <summary>Waits for the process to exit (output drained) and returns its exit code; kills it and throws on timeout.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException($"process {Id} did not exit within {timeout}; killed.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }
        return _process.ExitCode;
    }

    /// <summary>Sends a POSIX signal with <c>kill</c>.</summary>
    public void Signal(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { $"-{signal}", Id.ToString() }, UseShellExecute = false })
                         ?? throw new InvalidOperationException("could not start kill");
        if (!kill.WaitForExit(10_000))
        {
            kill.Kill();
            throw new TimeoutException("kill did not finish");
        }
        if (kill.ExitCode != 0) throw new InvalidOperationException($"kill -{signal} {Id} failed with {kill.ExitCode}");
    }

    private void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { }
        catch (System.ComponentModel.Win32Exception) { }
    }

    public void Dispose()
    {
        Kill();
        try { _process.WaitForExit(5000); } catch (InvalidOperationException) { }
        _process.Dispose();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            try { File.Delete(_store + suffix); }
            catch (IOException) { }
        }
    }

    /// <summary>Runs a command to completion within <paramref name="timeout"/> (killed on timeout) and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan timeout)
    {
        using var child = Start(fileName, arguments);
        var code = await child.WaitForExitAsync(timeout);
        return (code, child.Stdout, child.Stderr);
    }
}

/// <summary>Locations of the repository and the built node.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string StandaloneConf => Path.Combine(Root, "hocon", "standalone.conf");

    /// <summary>ActorHttp.Host.dll, copied next to the test assembly through the project reference.</summary>
    public static string HostDll
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "ActorHttp.Host.dll");
            if (!File.Exists(path)) throw new FileNotFoundException($"ActorHttp.Host.dll not found next to the test assembly in {AppContext.BaseDirectory}", path);
            return path;
        }
    }

    /// <summary>The dotnet host that runs the tests (DOTNET_HOST_PATH when set by the SDK), else dotnet from PATH.</summary>
    public static string DotnetHost
    {
        get
        {
            var hostPath = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            return !string.IsNullOrEmpty(hostPath) && File.Exists(hostPath) ? hostPath : "dotnet";
        }
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        for (var i = 0; dir != null && i < 20; i++, dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ActorHttp.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"no ActorHttp.sln above {AppContext.BaseDirectory}");
    }

    /// <summary>The full path of <paramref name="tool"/> on PATH, or null.</summary>
    public static string? FindOnPath(string tool)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
