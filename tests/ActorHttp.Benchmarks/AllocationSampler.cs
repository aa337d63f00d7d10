using System.Diagnostics.Tracing;

namespace ActorHttp.Benchmarks;

/// <summary>
/// Which types the connection loop allocates: runs <see cref="ConnectionLoopBenchmarks"/> for a number of batches
/// while listening to the runtime's allocation ticks (one event per ~100 KB allocated, naming the type that crossed
/// the mark), and prints the sampled share of each type. Run with <c>-- --allocations</c>. A sample, not a count:
/// BenchmarkDotNet's Allocated column gives the bytes; this says whose they are.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const int AllocationTickId = 10;
    private readonly Dictionary<string, (long Samples, long Bytes)> _byType = [];
    private bool _on;

    protected override void OnEventSourceCreated(EventSource source)
    {
        // GC keyword (0x1) at verbose level carries GCAllocationTick.
        if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (!_on || e.EventId != AllocationTickId || e.Payload is null) return;
        var name = e.PayloadNames!.IndexOf("TypeName") is var t and >= 0 ? e.Payload[t] as string ?? "?" : "?";
        var amount = e.PayloadNames.IndexOf("AllocationAmount64") is var a and >= 0 ? Convert.ToInt64(e.Payload[a]) : 100_000;
        lock (_byType)
        {
            _byType.TryGetValue(name, out var seen);
            _byType[name] = (seen.Samples + 1, seen.Bytes + amount);
        }
    }

    public static void Run(bool metrics, int batches)
    {
        var loop = new ConnectionLoopBenchmarks { Metrics = metrics };
        loop.Setup();
        for (var i = 0; i < 2_000; i++) loop.PipelinedBatch(); // warm up (JIT, pools)
        using var sampler = new AllocationSampler();
        Thread.Sleep(500); // the listener attaches asynchronously
        var before = GC.GetTotalAllocatedBytes(precise: true);
        sampler._on = true;
        for (var i = 0; i < batches; i++) loop.PipelinedBatch();
        sampler._on = false;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        loop.Cleanup();
        var requests = (long)batches * ParserBenchmarks.PipelineDepth;
        Console.WriteLine($"{requests:N0} pipelined requests (metrics {(metrics ? "on" : "off")}): {allocated / (double)requests:F0} B allocated per request, all threads");
        long total;
        lock (sampler._byType) total = sampler._byType.Values.Sum(v => v.Samples);
        foreach (var (type, (samples, _)) in sampler._byType.OrderByDescending(kv => kv.Value.Samples).Take(25))
            Console.WriteLine($"  {samples * 100.0 / total,5:F1}%  ~{allocated * samples / (double)total / requests,5:F0} B/request  {type}");
    }
}
