using ActorHttp.Samples.Hosting;
using Microsoft.Extensions.Hosting;

// Ctrl+C or SIGTERM stops the host, whose shutdown runs CoordinatedShutdown: ActorHttp stops accepting, lets in-flight
// requests finish, and the cluster node leaves.
await SampleHost.CreateBuilder(args).Build().RunAsync();
