using Xunit;
using Xunit.Abstractions;

namespace ActorHttp.Tests.EndToEnd;

/// <summary>
/// The benchmark report (tests/Benchmarks/bench_report.py): its wrk/httperf/memory parsers, best-of selection,
/// met/MISSED logic and chart, through its Python unit tests, so a broken report shows up here rather than at
/// the end of a ten-minute benchmark run. Needs python3 (scripts/install-tools.sh installs it).
/// </summary>
[Trait("Category", "Tools")]
public sealed class BenchmarkReportTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Benchmark_report_parsers_and_targets_pass_their_unit_tests()
    {
        var python = RepoPaths.FindOnPath("python3")
                     ?? throw new InvalidOperationException("'python3' is not on PATH; run scripts/install-tools.sh");
        var (code, stdout, stderr) = await ChildProcess.RunAsync(python,
            ["-m", "unittest", "discover", "-s", Path.Combine(RepoPaths.Root, "tests", "Benchmarks"), "-p", "test_*.py"],
            TimeSpan.FromSeconds(60));
        output.WriteLine(stdout);
        output.WriteLine(stderr);
        Assert.True(code == 0, $"python3 -m unittest exited with {code}\n{stdout}\n{stderr}");
        Assert.Matches(@"Ran \d+ tests", stderr);
    }
}
