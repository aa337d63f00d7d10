using System.Net;
using System.Text;
using Akka.Actor;
using Akka.Configuration;
using Akka.IO;
using ActorHttp.Handlers;
using ActorHttp.Observability;
using ActorHttp.Protocol.Rendering;
using ActorHttp.Routing;
using ActorHttp.Server;
using ActorHttp.Server.Connection;
using BenchmarkDotNet.Attributes;

namespace ActorHttp.Benchmarks;

/// <summary>
/// One connection's whole loop with a fake transport: the bytes of wrk's plaintext requests arrive as a
/// <see cref="Tcp.Received"/>, the connection actor parses them, routes each to the route's <see cref="TextHandler"/>
/// actor, takes its reply, renders the responses and hands them to the transport in a <see cref="Tcp.Write"/>, which
/// the fake transport acknowledges as Akka.IO would. Everything the node does per request except the socket calls.
/// <para>
/// The Allocated column counts every thread (BenchmarkDotNet reads <c>GC.GetTotalAllocatedBytes</c>), so it includes
/// what Akka allocates to deliver the messages. Target: the request object and nothing else per pipelined request.
/// <c>Metrics</c> = true listens to the server's meter as the node's <c>/metrics</c> route does.
/// </para>
/// </summary>
[MemoryDiagnoser]
public class ConnectionLoopBenchmarks
{
    private const int Depth = ParserBenchmarks.PipelineDepth;

    private static readonly ByteString OneRequest =
        ByteString.FromBytes(Encoding.ASCII.GetBytes("GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:18080\r\n\r\n"));

    private static readonly ByteString Pipelined =
        ByteString.FromBytes(Enumerable.Repeat(OneRequest.ToArray(), Depth).SelectMany(r => r).ToArray());

    private ActorSystem _system = null!;
    private IActorRef _connection = null!, _transport = null!;
    private FakeTransport.Counter _written = null!;
    private PrometheusExporter? _exporter;
    private long _responseLength;

    /// <summary>Whether a listener records the server's metrics (the node's <c>/metrics</c> route starts one).</summary>
    [Params(false, true)]
    public bool Metrics { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        if (Metrics) _exporter = new PrometheusExporter();
        _system = ActorSystem.Create("loop", ConfigurationFactory.ParseString("akka.loglevel = WARNING").WithFallback(HttpServer.DefaultConfig()));
        var handler = _system.ActorOf(TextHandler.Props("Hello, World!"), "plaintext");
        var route = new RouteDefinition("plaintext", ["GET"], PathTemplate.Parse("/plaintext"), null, handler);
        var router = new RouteTable([(route, handler)]);
        var settings = ServerSettings.Default;
        _written = new FakeTransport.Counter();
        _transport = _system.ActorOf(Props.Create(() => new FakeTransport(_written)), "transport");
        var local = new IPEndPoint(IPAddress.Loopback, 18080);
        _connection = _system.ActorOf(HttpConnectionActor.Props(_transport, new IPEndPoint(IPAddress.Loopback, 40000), settings, router,
            new HttpResponseRenderer(settings.ServerHeader, settings.Clock), new ListenerTelemetry(local), rejectOverCapacity: false), "connection");
        _responseLength = Exchange(OneRequest, 1, 0); // the Date header is fixed-width: every response has this length
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _system.Terminate().Wait(TimeSpan.FromSeconds(10));
        _exporter?.Dispose();
    }

    /// <summary>One keep-alive request at a time (the plaintext scenario's shape).</summary>
    [Benchmark(Description = "keep-alive request: parse, handler, render, write")]
    public long KeepAlive() => Exchange(OneRequest, 1, _responseLength);

    /// <summary>16 pipelined requests in one read (the pipelined16 scenario's shape); per request.</summary>
    [Benchmark(Description = "pipelined 16 (per request)", OperationsPerInvoke = Depth)]
    public long PipelinedBatch() => Exchange(Pipelined, Depth, _responseLength);

    /// <summary>Delivers <paramref name="requests"/> and waits until their responses are written (or, with no length known yet, one write).</summary>
    private long Exchange(ByteString requests, int count, long responseLength)
    {
        var before = _written.Bytes;
        _connection.Tell(new Tcp.Received(requests), _transport);
        return _written.WaitFor(before + count * responseLength, responseLength == 0, before);
    }

    /// <summary>Stands in for Akka.IO's connection actor: counts what is written and acknowledges it.</summary>
    private sealed class FakeTransport : UntypedActor
    {
        private readonly Counter _counter;

        public FakeTransport(Counter counter) => _counter = counter;

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case Tcp.Write write:
                    if (write.Ack is not Tcp.NoAck) Sender.Tell(write.Ack);
                    _counter.Add(write.Data.Count);
                    break;
                // ResumeReading: the benchmark decides when bytes arrive.
            }
        }

        /// <summary>Bytes written so far; the benchmark thread waits on it.</summary>
        public sealed class Counter
        {
            private readonly object _gate = new();
            private long _bytes, _target = long.MaxValue;

            public long Bytes { get { lock (_gate) return _bytes; } }

            public void Add(int count)
            {
                lock (_gate)
                {
                    _bytes += count;
                    if (_bytes >= _target) Monitor.Pulse(_gate);
                }
            }

            /// <summary>Blocks until <paramref name="target"/> bytes are written in all (or, <paramref name="oneWrite"/>, one write happens); returns the bytes waited for.</summary>
            public long WaitFor(long target, bool oneWrite, long before)
            {
                var goal = oneWrite ? before + 1 : target;
                for (var spins = 0; spins < 20_000 && Volatile.Read(ref _bytes) < goal; spins++) Thread.SpinWait(20); // the answer is microseconds away
                lock (_gate)
                {
                    _target = oneWrite ? before + 1 : target;
                    while (_bytes < _target)
                        if (!Monitor.Wait(_gate, TimeSpan.FromSeconds(10))) throw new TimeoutException($"only {_bytes} of {_target} bytes written");
                    _target = long.MaxValue;
                    return _bytes - before;
                }
            }
        }
    }
}
