// Micro-benchmarks of the byte-level parser and renderer, the two pieces every request crosses, and of a connection's whole loop.
//   ./build.sh bench --micro                      all of them, short job (about a minute)
//   dotnet run -c Release --project tests/ActorHttp.Benchmarks -- --filter '*Parse*' [--job short]
//   dotnet run -c Release --project tests/ActorHttp.Benchmarks -- --allocations [batches]
//                                                 which types the connection loop allocates (sampled)
// Any BenchmarkDotNet argument works; without --filter it asks which to run.

using BenchmarkDotNet.Running;
using ActorHttp.Benchmarks;

if (args is ["--allocations", ..])
{
    var batches = args.Length > 1 ? int.Parse(args[1]) : 50_000;
    AllocationSampler.Run(metrics: false, batches);
    AllocationSampler.Run(metrics: true, batches);
    return;
}

MessageSize.Print();
BenchmarkSwitcher.FromAssembly(typeof(ParserBenchmarks).Assembly).Run(args);
