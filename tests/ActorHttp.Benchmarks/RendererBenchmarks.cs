using System.Text;
using Akka.IO;
using ActorHttp.Protocol;
using ActorHttp.Protocol.Rendering;
using BenchmarkDotNet.Attributes;

namespace ActorHttp.Benchmarks;

/// <summary>
/// One response the way a connection writes it: render into the connection's output buffer, take the bytes
/// for the Tcp.Write, release the buffer (as the write's ack does).
/// </summary>
[MemoryDiagnoser]
public class RendererBenchmarks
{
    private static readonly HttpResponse Plaintext = new()
    {
        ContentType = "text/plain",
        Body = ByteString.FromBytes("Hello, World!"u8.ToArray()),
    };

    private static readonly HttpResponse Body10k = new()
    {
        ContentType = "text/plain",
        Body = ByteString.FromBytes(Encoding.ASCII.GetBytes(new string('x', 10_000))),
    };

    private readonly HttpResponseRenderer _renderer = new("ActorHttp");
    private readonly OutputBuffer _output = new();
    private readonly RenderContext _keepAlive = new(HttpProtocol.Http11, IsHead: false, Close: false);

    [Benchmark(Description = "render 13-byte plaintext response")]
    public long RenderPlaintext() => Render(Plaintext);

    [Benchmark(Description = "render 10,000-byte body response")]
    public long RenderBody10k() => Render(Body10k);

    private long Render(HttpResponse response)
    {
        _renderer.Render(response, _keepAlive, _output);
        var bytes = _output.ToByteString();
        _output.Release();
        return bytes.Count;
    }
}
