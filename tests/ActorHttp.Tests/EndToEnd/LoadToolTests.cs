using System.Globalization;
using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace ActorHttp.Tests.EndToEnd;

/// <summary>
/// Load tools (installed by scripts/install-tools.sh) against the in-process server. A missing tool fails the test:
/// CI installs them, so their absence is an environment error, not a reason to skip.
/// </summary>
[Trait("Category", "Tools")]
public sealed class LoadToolTests(EndToEndFixture fixture, ITestOutputHelper output) : IClassFixture<EndToEndFixture>
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(60);

    private static string RequireTool(string tool) =>
        RepoPaths.FindOnPath(tool)
        ?? throw new InvalidOperationException($"'{tool}' is not on PATH; run scripts/install-tools.sh (it installs ab and httperf)");

    [Fact]
    public async Task ApacheBench_keep_alive_20000_requests_all_succeed()
    {
        var ab = RequireTool("ab");
        var (code, stdout, stderr) = await ChildProcess.RunAsync(ab,
            ["-k", "-n", "20000", "-c", "50", "-s", "30", $"http://127.0.0.1:{fixture.Server.Port}/plaintext"], ToolTimeout);
        output.WriteLine(stdout);
        output.WriteLine(stderr);
        Assert.True(code == 0, $"ab exited with {code}\n{stdout}\n{stderr}");
        Assert.Matches(new Regex(@"^Complete requests:\s+20000\s*$", RegexOptions.Multiline), stdout);
        Assert.Matches(new Regex(@"^Failed requests:\s+0\s*$", RegexOptions.Multiline), stdout);
        Assert.Matches(new Regex(@"^Keep-Alive requests:\s+20000\s*$", RegexOptions.Multiline), stdout);
        Assert.DoesNotMatch(new Regex(@"^Non-2xx responses:", RegexOptions.Multiline), stdout);
        var rate = Regex.Match(stdout, @"Requests per second:\s+([\d.]+)");
        Assert.True(rate.Success, stdout);
        output.WriteLine($"ab: {double.Parse(rate.Groups[1].Value, CultureInfo.InvariantCulture)} req/s");
    }

    [Fact]
    public async Task Httperf_500_calls_on_one_connection_all_2xx_without_errors()
    {
        var httperf = RequireTool("httperf");
        var (code, stdout, stderr) = await ChildProcess.RunAsync(httperf,
            ["--server", "127.0.0.1", "--port", fixture.Server.Port.ToString(), "--uri", "/plaintext",
             "--num-conns=1", "--num-calls=500", "--timeout=10"], ToolTimeout);
        output.WriteLine(stdout);
        output.WriteLine(stderr);
        Assert.True(code == 0, $"httperf exited with {code}\n{stdout}\n{stderr}");
        var status = Regex.Match(stdout, @"Reply status: 1xx=(\d+) 2xx=(\d+) 3xx=(\d+) 4xx=(\d+) 5xx=(\d+)");
        Assert.True(status.Success, $"no 'Reply status' line:\n{stdout}");
        Assert.Equal("0", status.Groups[1].Value);
        Assert.Equal("500", status.Groups[2].Value);
        Assert.Equal("0", status.Groups[4].Value);
        Assert.Equal("0", status.Groups[5].Value);
        Assert.Matches(new Regex(@"^Errors: total 0 ", RegexOptions.Multiline), stdout);
        Assert.Matches(new Regex(@"^Total: connections 1 requests 500 replies 500 ", RegexOptions.Multiline), stdout);
        var rate = Regex.Match(stdout, @"Request rate: ([\d.]+) req/s");
        Assert.True(rate.Success, stdout);
        output.WriteLine($"httperf: {rate.Groups[1].Value} req/s");
    }
}
