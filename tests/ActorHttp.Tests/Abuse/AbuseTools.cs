using System.Globalization;
using System.Text.RegularExpressions;
using ActorHttp.Server;
using ActorHttp.Tests.EndToEnd;
using Xunit;

namespace ActorHttp.Tests.Abuse;

/// <summary>
/// The abuse tests run alone (no other test class in parallel): they measure throughput ratios and use thousands of
/// sockets, which other tests running at the same time would distort. Each is bounded well under 60 s.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AbuseCollection
{
    public const string Name = "Abuse";
}

public static partial class AbuseTools
{
    /// <summary>The full path of a tool installed by scripts/install-tools.sh; its absence fails the test (CI installs it).</summary>
    public static string RequireTool(string tool) =>
        RepoPaths.FindOnPath(tool)
        ?? throw new InvalidOperationException($"'{tool}' is not on PATH; run scripts/install-tools.sh");

    /// <summary>What one bounded wrk run measured.</summary>
    public sealed record WrkResult(long Requests, long Non2xx, long SocketErrors, string Output);

    [GeneratedRegex(@"(\d+) requests in ")]
    private static partial Regex WrkRequests();

    [GeneratedRegex(@"Non-2xx or 3xx responses: (\d+)")]
    private static partial Regex WrkNon2xx();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex WrkSocketErrors();

    /// <summary>
    /// Runs wrk (one thread, <paramref name="connections"/> keep-alive connections) for <paramref name="seconds"/> against
    /// 127.0.0.1 and returns the number of requests completed: a count over a fixed window, compared between windows.
    /// </summary>
    public static async Task<WrkResult> WrkAsync(int port, string path, int seconds, int connections = 8)
    {
        var wrk = RequireTool("wrk");
        var (code, stdout, stderr) = await ChildProcess.RunAsync(wrk,
            ["-t1", $"-c{connections}", $"-d{seconds}s", "--timeout", "5s", $"http://127.0.0.1:{port}{path}"], TimeSpan.FromSeconds(seconds + 20));
        Assert.True(code == 0, $"wrk exited with {code}\n{stdout}\n{stderr}");
        var requests = WrkRequests().Match(stdout);
        Assert.True(requests.Success, $"no request count in wrk's output:\n{stdout}");
        var non2xx = WrkNon2xx().Match(stdout);
        var errors = WrkSocketErrors().Match(stdout);
        long socketErrors = errors.Success ? Enumerable.Range(1, 4).Sum(i => long.Parse(errors.Groups[i].Value, CultureInfo.InvariantCulture)) : 0;
        return new WrkResult(long.Parse(requests.Groups[1].Value, CultureInfo.InvariantCulture),
            non2xx.Success ? long.Parse(non2xx.Groups[1].Value, CultureInfo.InvariantCulture) : 0, socketErrors, stdout);
    }

    /// <summary>Polls the binding's connection counts until <paramref name="condition"/> holds; returns the last counts.</summary>
    public static async Task<ConnectionCounts> WaitForCountsAsync(ServerBinding binding, Func<ConnectionCounts, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var counts = await binding.GetConnectionCountsAsync();
            if (condition(counts) || DateTime.UtcNow >= deadline) return counts;
            await Task.Delay(100);
        }
    }

    /// <summary>A field of /proc/PID/status in kB (VmRSS: resident now; VmHWM: the peak resident size).</summary>
    public static long ProcStatusKb(int pid, string field)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        throw new InvalidOperationException($"no {field} in /proc/{pid}/status");
    }

    /// <summary>The soft limit on open files of process <paramref name="pid"/>, from /proc/PID/limits.</summary>
    public static long OpenFilesLimit(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/limits"))
            if (line.StartsWith("Max open files", StringComparison.Ordinal))
                return long.Parse(line["Max open files".Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);
        throw new InvalidOperationException($"no open-files limit in /proc/{pid}/limits");
    }
}
