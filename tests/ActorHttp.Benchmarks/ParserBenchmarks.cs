using System.Text;
using ActorHttp.Protocol;
using ActorHttp.Protocol.Parsing;
using BenchmarkDotNet.Attributes;

namespace ActorHttp.Benchmarks;

/// <summary>
/// The parser as a keep-alive connection uses it: one parser, the same client sending request after request.
/// The buffers are never written after the first parse (requests refer to them, as the parser requires).
/// Target: no allocation beyond the request message itself (see <see cref="MessageSize"/>).
/// </summary>
[MemoryDiagnoser]
public class ParserBenchmarks
{
    /// <summary>A browser's GET: request line and 8 header fields.</summary>
    internal static readonly byte[] TypicalGet = Encoding.ASCII.GetBytes(
        "GET /plaintext HTTP/1.1\r\n" +
        "Host: localhost:8080\r\n" +
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
        "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n" +
        "Accept-Language: en-US,en;q=0.5\r\n" +
        "Accept-Encoding: gzip, deflate, br\r\n" +
        "Connection: keep-alive\r\n" +
        "Cookie: session=4f2a9c81e0b7d3a5\r\n" +
        "Upgrade-Insecure-Requests: 1\r\n" +
        "\r\n");

    public const int PipelineDepth = 16;

    /// <summary>16 of wrk's plaintext requests back to back, as the pipelined scenario sends them in one write.</summary>
    private static readonly byte[] Pipelined = Enumerable.Repeat(
        Encoding.ASCII.GetBytes("GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:18080\r\n\r\n"), PipelineDepth)
        .SelectMany(r => r).ToArray();

    private readonly HttpRequestParser _parser = new(ParserSettings.Default);

    [Benchmark(Description = "parse GET with 8 headers")]
    public HttpRequest ParseTypicalGet() => ParseOne(TypicalGet, 0, TypicalGet.Length, out _);

    /// <summary>Per request: the batch's time and allocations divided by 16.</summary>
    [Benchmark(Description = "parse pipelined batch of 16 (per request)", OperationsPerInvoke = PipelineDepth)]
    public HttpRequest ParsePipelinedBatch()
    {
        HttpRequest last = null!;
        var offset = 0;
        while (offset < Pipelined.Length)
        {
            last = ParseOne(Pipelined, offset, Pipelined.Length - offset, out var consumed);
            offset += consumed;
        }
        return last;
    }

    private HttpRequest ParseOne(byte[] buffer, int offset, int count, out int consumed)
    {
        var status = _parser.Parse(buffer, offset, count, out consumed);
        if (status != ParseStatus.RequestReady) throw new InvalidOperationException($"parser said {status}: {_parser.Error}");
        return _parser.Request.Request;
    }
}
