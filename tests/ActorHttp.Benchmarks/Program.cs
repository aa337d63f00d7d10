// Micro-benchmarks of the byte-level parser and renderer, the two pieces every request crosses.
//   ./build.sh bench --micro                      all of them, short job (about a minute)
//   dotnet run -c Release --project tests/ActorHttp.Benchmarks -- --filter '*Parse*' [--job short]
// Any BenchmarkDotNet argument works; without --filter it asks which to run.

using BenchmarkDotNet.Running;
using ActorHttp.Benchmarks;

MessageSize.Print();
BenchmarkSwitcher.FromAssembly(typeof(ParserBenchmarks).Assembly).Run(args);
