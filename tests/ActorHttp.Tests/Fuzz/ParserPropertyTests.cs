using System.Reflection;
using ActorHttp.Protocol.Parsing;
using ActorHttp.Tests.Protocol;
using CsCheck;
using Xunit;
using Xunit.Abstractions;

namespace ActorHttp.Tests.Fuzz;

/// <summary>
/// Properties of <see cref="HttpRequestParser"/> over generated inputs (<see cref="FuzzInputs"/>): splitting never changes the
/// outcome, nothing escapes as an exception, and what the parser retains stays within its limits.
/// Iteration counts are modest so each property runs in a few seconds; a failure prints the shrunk input and its seed.
/// </summary>
[Trait("Category", "Fuzz")]
public sealed class ParserPropertyTests(ITestOutputHelper output)
{
    /// <summary>Small limits, and a low streaming threshold so that streamed bodies are reached too.</summary>
    private static readonly ParserSettings Fuzz = new(
        MaxRequestLineLength: 128,
        MaxHeaderCount: 10,
        MaxHeaderSectionSize: 512,
        MaxBodySize: 1000,
        MaxChunkLineLength: 64,
        MaxMethodLength: 32,
        StreamBodyThreshold: 64);

    private static readonly FieldInfo BodyField = typeof(HttpRequestParser).GetField("_body", BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new InvalidOperationException("HttpRequestParser._body not found: update the memory property");

    public static TheoryData<string> SettingNames => new() { "fuzz", "small" };

    private static ParserSettings SettingsNamed(string name) => name == "fuzz" ? Fuzz : ParserTestKit.Small;

    [Theory]
    [MemberData(nameof(SettingNames))]
    public void Any_bytes_split_anywhere_give_the_same_outcome_as_unsplit(string settingsName)
    {
        var settings = SettingsNamed(settingsName);
        FuzzInputs.Split.Sample(split =>
        {
            // Feed also checks that an error is terminal and that requests handed out never change afterwards.
            var whole = ParserTestKit.Feed([split.Input], settings).Describe();
            var pieces = ParserTestKit.Feed(split.Pieces, settings).Describe();
            if (whole != pieces) throw new Xunit.Sdk.XunitException($"split outcome differs:\n--- whole:\n{whole}--- split:\n{pieces}");
        }, iter: 10_000, threads: 1, print: FuzzInputs.Show, writeLine: output.WriteLine);
    }

    [Theory]
    [MemberData(nameof(SettingNames))]
    public void Retained_bytes_and_body_buffers_stay_within_the_limits(string settingsName)
    {
        var settings = SettingsNamed(settingsName);
        // Unconsumed bytes: at most a few empty lines, a request line and a header section (or a chunk line / trailer
        // section, which are smaller), whatever arrives; the connection holds no more than that plus one read.
        var maxUnconsumed = 8 + settings.MaxRequestLineLength + 2 + settings.MaxHeaderSectionSize + 2;
        // A buffered body grows by doubling from 4 KB but never past max-body-size, and stops being buffered past the threshold.
        var maxBodyBuffer = Math.Max(settings.StreamBodyThreshold,
            Math.Min(settings.MaxBodySize, Math.Max(4096, 2 * settings.StreamBodyThreshold)));
        FuzzInputs.Split.Sample(split =>
        {
            var outcome = ParserTestKit.Feed(split.Pieces, settings, (parser, unconsumed) =>
            {
                if (unconsumed > maxUnconsumed)
                    throw new Xunit.Sdk.XunitException($"{unconsumed} bytes left unconsumed (bound {maxUnconsumed})");
                var buffer = (byte[]?)BodyField.GetValue(parser);
                if (buffer != null && buffer.Length > maxBodyBuffer)
                    throw new Xunit.Sdk.XunitException($"body buffer of {buffer.Length} bytes (bound {maxBodyBuffer})");
            });
            foreach (var request in outcome.Requests)
            {
                var bound = request.Streamed ? settings.MaxBodySize : Math.Min(settings.MaxBodySize, settings.StreamBodyThreshold);
                if (request.Body.Length > bound)
                    throw new Xunit.Sdk.XunitException($"a {(request.Streamed ? "streamed" : "buffered")} body of {request.Body.Length} bytes (bound {bound})");
            }
        }, iter: 10_000, threads: 1, print: FuzzInputs.Show, writeLine: output.WriteLine);
    }

    [Fact]
    public void Valid_requests_are_found_by_the_generator()
    {
        // Guards the generators themselves: unmutated seeds parse, and mutated inputs reach both outcomes.
        foreach (var seed in FuzzInputs.Seeds)
            Assert.True(ParserTestKit.Feed([seed], Fuzz).Error is null, $"seed {FuzzInputs.Show(seed)} does not parse");
        int requests = 0, errors = 0, streamed = 0;
        FuzzInputs.Any.Sample(input =>
        {
            var outcome = ParserTestKit.Feed([input], Fuzz);
            Interlocked.Add(ref requests, outcome.Requests.Count);
            Interlocked.Add(ref streamed, outcome.Requests.Count(r => r.Streamed));
            if (outcome.Error != null) Interlocked.Increment(ref errors);
        }, iter: 2000, threads: 1, seed: "bagcRDSjMVK1", print: FuzzInputs.Show);
        output.WriteLine($"2000 inputs: {requests} requests ({streamed} streamed), {errors} errors");
        Assert.True(requests > 400 && errors > 200 && streamed > 10, $"{requests} requests ({streamed} streamed), {errors} errors");
    }
}
