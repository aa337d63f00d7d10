using ActorHttp.Tests.EndToEnd;
using Xunit;
using Xunit.Abstractions;

namespace ActorHttp.Tests.Conformance;

/// <summary>
/// Runs every <see cref="ConformanceCases"/> row over a real socket against one shared server (default settings),
/// each on its own connection: the statuses must match in order, a required close must happen cleanly (FIN, no
/// reset, no byte after the last expected response), and a connection that must stay open must go on serving.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class ConformanceTests(EndToEndFixture fixture, ITestOutputHelper output) : IClassFixture<EndToEndFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public static TheoryData<string> Names
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var c in ConformanceCases.All) data.Add(c.Name);
            return data;
        }
    }

    [Fact]
    public void The_table_has_at_least_150_unique_cases_each_with_an_RFC_section_and_a_reason()
    {
        var all = ConformanceCases.All;
        Assert.True(all.Count >= 150, $"only {all.Count} cases");
        Assert.Equal(all.Count, all.Select(c => c.Name).Distinct().Count());
        Assert.All(all, c =>
        {
            Assert.Matches(@"RFC \d+", c.Rfc);
            Assert.False(string.IsNullOrWhiteSpace(c.Why), c.Name);
        });
        var sections = all.SelectMany(c => Sections(c.Rfc)).Distinct().Order(StringComparer.Ordinal).ToList();
        output.WriteLine($"{all.Count} cases: {all.Count(c => c.Statuses.Any(s => s >= 400))} rejections, {all.Count(c => c.Close)} must close");
        output.WriteLine($"sections cited: {string.Join(", ", sections)}");
    }

    /// <summary>"RFC 9112 §7.1, §2.2, RFC 3986 §2.1" → RFC 9112 §7.1, RFC 9112 §2.2, RFC 3986 §2.1.</summary>
    private static IEnumerable<string> Sections(string rfc)
    {
        var current = "";
        foreach (var part in rfc.Split(", "))
        {
            var m = System.Text.RegularExpressions.Regex.Match(part, @"^(RFC \d+ )?(§[\d.]+)$");
            if (!m.Success) continue;
            if (m.Groups[1].Success) current = m.Groups[1].Value;
            yield return current + m.Groups[2].Value;
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Case(string name)
    {
        var c = ConformanceCases.All.Single(x => x.Name == name);
        output.WriteLine($"{c.Name}: expect [{string.Join(", ", c.Statuses)}]{(c.Close ? " then close" : ", connection kept")} ({c.Rfc}: {c.Why})");

        using var connection = await RawHttpConnection.OpenAsync(fixture.Server.Port);
        var raw = c.Probe ? c.Raw + ConformanceCases.ProbeRequest : c.Raw;
        await connection.SendAsync(System.Text.Encoding.Latin1.GetBytes(raw), TimeSpan.FromSeconds(20));
        if (c.Fin) connection.ShutdownSend();

        var responses = new List<RawResponse>();
        var expected = c.Close || !c.Probe ? c.Statuses : [.. c.Statuses, 200];
        for (var i = 0; i < expected.Length; i++)
        {
            RawResponse response;
            do
            {
                try
                {
                    response = await connection.ReadResponseAsync(isHeadRequest: i == 0 && c.FirstIsHead, Timeout);
                }
                catch (Exception e) when (e is EndOfStreamException or TimeoutException or IOException or System.Net.Sockets.SocketException)
                {
                    Assert.Fail($"{c.Name}: expected [{string.Join(", ", expected)}], got [{string.Join(", ", responses.Select(r => r.Status))}] and then: {e.Message}");
                    return;
                }
            } while (response.Status is >= 100 and < 200); // interim responses (100 Continue) are not counted
            responses.Add(response);
        }
        Assert.True(expected.SequenceEqual(responses.Select(r => r.Status)),
            $"{c.Name}: expected [{string.Join(", ", expected)}], got [{string.Join(", ", responses.Select(r => r.Status))}]: {string.Join(" | ", responses)}");
        if (c.Body != null) Assert.Equal(c.Body, responses[0].BodyText);

        if (c.Close)
        {
            // Closing responses say so; after the client's FIN a response may already be out before the server learns of it.
            if (responses.Count > 0 && !c.Fin) Assert.True(responses[^1].ConnectionClose, $"{c.Name}: the last response lacks Connection: close: {responses[^1]}");
            // A clean close, with nothing (no answer to the probe) before it.
            bool closed;
            try
            {
                closed = await connection.WaitForServerCloseAsync(Timeout);
            }
            catch (InvalidDataException e)
            {
                Assert.Fail($"{c.Name}: something after the last expected response was answered: {e.Message}");
                return;
            }
            Assert.True(closed, $"{c.Name}: the server did not close the connection within {Timeout}");
        }
        else
        {
            Assert.All(responses, r => Assert.False(r.ConnectionClose, $"{c.Name}: unexpected Connection: close in {r}"));
            if (c.Probe) Assert.Equal("Hello, World!", responses[^1].BodyText);
            // And it goes on serving.
            var again = await connection.RoundTripAsync(RawHttpConnection.Request("/items/again"));
            Assert.Equal(200, again.Status);
            Assert.Equal("again", again.BodyText);
        }
    }
}
