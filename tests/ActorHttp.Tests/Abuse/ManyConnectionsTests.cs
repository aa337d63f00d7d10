using System.Text.Json;
using System.Text.RegularExpressions;
using ActorHttp.Tests.EndToEnd;
using Xunit;
using Xunit.Abstractions;

namespace ActorHttp.Tests.Abuse;

/// <summary>
/// 10,000 concurrent keep-alive connections against the standalone node, run as its own process so that its memory is its
/// own: every request answered, no reset, and the node's peak resident memory stays within <see cref="MaxRssGrowthMb"/>
/// of what it used idle. Server and client (tests/ActorHttp.Tests/Abuse/many_connections.py) each raise their soft limit on
/// open files to the hard limit, which must allow 10,000 sockets plus some.
/// </summary>
[Collection(AbuseCollection.Name)]
[Trait("Category", "Abuse")]
public sealed class ManyConnectionsTests(ITestOutputHelper output)
{
    private const int Connections = 10_000;

    /// <summary>The bound: peak RSS growth over the idle node for 10,000 open connections (measured here: about 280 MB).</summary>
    private const long MaxRssGrowthMb = 512;

    /// <summary>Runs <paramref name="arguments"/> after raising the soft fd limit to the hard one.</summary>
    private static ChildProcess StartWithRaisedFdLimit(string program, IEnumerable<string> arguments, string? workingDirectory = null) =>
        ChildProcess.Start("bash", ["-c", "ulimit -n \"$(ulimit -Hn)\" && exec \"$0\" \"$@\"", program, .. arguments], workingDirectory);

    [Fact]
    public async Task Ten_thousand_concurrent_connections_are_all_answered_without_resets_within_the_memory_bound()
    {
        var python = AbuseTools.RequireTool("python3");
        using var node = StartWithRaisedFdLimit(RepoPaths.DotnetHost,
            [RepoPaths.HostDll, "--config", RepoPaths.StandaloneConf, "--port", "0",
             "--set", "actor-http.server.max-connections=12000", "--set", "akka.loglevel=WARNING"], RepoPaths.Root);
        var port = await node.WaitForListeningAsync(TimeSpan.FromSeconds(30));
        var fdLimit = AbuseTools.OpenFilesLimit(node.Id);
        Assert.True(fdLimit >= Connections + 200,
            $"the node may open only {fdLimit} files: 10,000 connections need {Connections + 200} (raise the hard limit: ulimit -Hn, LimitNOFILE, docker --ulimit nofile)");

        using var http = HttpClients.Create(new Uri($"http://127.0.0.1:{port}"));
        for (var i = 0; i < 200; i++) await http.GetStringAsync("/plaintext"); // warm up before the idle measurement
        var idleKb = AbuseTools.ProcStatusKb(node.Id, "VmRSS");

        using var client = StartWithRaisedFdLimit(python,
            [Path.Combine(RepoPaths.Root, "tests", "ActorHttp.Tests", "Abuse", "many_connections.py"),
             "--port", port.ToString(), "--connections", Connections.ToString(), "--no-wait"]);
        var code = await client.WaitForExitAsync(TimeSpan.FromSeconds(50));
        var peakKb = AbuseTools.ProcStatusKb(node.Id, "VmHWM");
        output.WriteLine($"client: {client.Stdout}");
        if (!string.IsNullOrWhiteSpace(client.Stderr)) output.WriteLine($"client stderr: {client.Stderr}");

        var line = client.Stdout.Split('\n').LastOrDefault(l => l.StartsWith('{')) ?? throw new Xunit.Sdk.XunitException($"no result from the client (exit {code}):\n{client.Stdout}\n{client.Stderr}");
        using var result = JsonDocument.Parse(line);
        var root = result.RootElement;
        Assert.False(root.TryGetProperty("error", out var error), error.ToString());
        Assert.Equal("{}", root.GetProperty("failures").GetRawText()); // no reset, refusal, timeout or early close
        Assert.Equal(Connections, root.GetProperty("open").GetInt32());
        Assert.Equal(Connections, root.GetProperty("round1_ok").GetInt32());
        Assert.Equal(Connections, root.GetProperty("round2_ok").GetInt32()); // all 10,000 open at once, each answered again
        Assert.Equal(0, code);

        var growthMb = (peakKb - idleKb) / 1024;
        output.WriteLine($"node RSS: idle {idleKb / 1024} MB, peak {peakKb / 1024} MB with {Connections} connections: +{growthMb} MB " +
                         $"({(peakKb - idleKb) * 1024 / Connections / 1024} KB per connection; bound {MaxRssGrowthMb} MB)");
        Assert.True(growthMb <= MaxRssGrowthMb, $"the node grew by {growthMb} MB for {Connections} connections (bound {MaxRssGrowthMb} MB)");

        // Once the client has gone, the node counts no connection but the one asking.
        var active = -1L;
        for (var i = 0; i < 100 && active != 1; i++)
        {
            var metrics = await http.GetStringAsync("/metrics");
            var match = Regex.Match(metrics, @"^actorhttp_active_connections\{[^}]*\} (\d+)", RegexOptions.Multiline);
            Assert.True(match.Success, metrics);
            active = long.Parse(match.Groups[1].Value);
            if (active != 1) await Task.Delay(100);
        }
        Assert.Equal(1, active);
    }
}
