using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Akka.Configuration;
using ActorHttp.Tests.EndToEnd;
using Xunit;

namespace ActorHttp.Cluster.Tests.Persistence;

/// <summary>
/// A real PostgreSQL server for one test class, started by <c>scripts/postgres.sh</c> on a free port of 127.0.0.1 with
/// its data in a temporary directory, stopped and deleted after the class.
/// </summary>
public sealed class PostgreSqlServer : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"actorhttp-pg-{Guid.NewGuid():N}");

    private string DataDir => Path.Combine(_root, "data");

    /// <summary>The Npgsql connection string of the server's database.</summary>
    public string ConnectionString { get; private set; } = "";

    /// <summary>actor-http.cluster.persistence pointing at the server.</summary>
    public Config StoreConfig => ConfigurationFactory.ParseString(
        $"actor-http.cluster.persistence {{ store = postgresql, postgresql-connection-string = \"{ConnectionString}\" }}");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_root); // not a private temp dir: the server may run as the postgres user
        var (code, stdout, stderr) = await RunAsync("start", DataDir, FreePort().ToString());
        if (code != 0) throw new InvalidOperationException($"scripts/postgres.sh start failed ({code}): {stdout}{stderr}");
        ConnectionString = stdout.Trim();
    }

    public async Task DisposeAsync()
    {
        Npgsql.NpgsqlConnection.ClearAllPools();
        await RunAsync("stop", DataDir);
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(RepoPaths.Root, "scripts", "postgres.sh"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start bash");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, await stdout, await stderr + "\n(timed out after 90 s)");
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
