using System.Net;
using ActorHttp.Cluster.Tests.Persistence;
using Xunit;
using Xunit.Abstractions;

namespace ActorHttp.Cluster.Tests.Deploy;

/// <summary>
/// The production store end to end: two node processes started by <c>deploy/local/cluster.sh</c> keep the durable
/// counters in a real PostgreSQL server (started on 127.0.0.1 by <c>scripts/postgres.sh</c>), chosen with the
/// environment variables a deployment sets; a counter's value survives the node it lived on being killed.
/// </summary>
[Trait("Category", "Fault")]
public sealed class LocalClusterPostgreSqlTests(PostgreSqlServer server, ITestOutputHelper output) : IClassFixture<PostgreSqlServer>
{
    [Fact]
    public async Task Counters_kept_in_postgresql_survive_the_node_they_lived_on()
    {
        await using var cluster = await LocalCluster.StartAsync(output, 2, environment: new Dictionary<string, string>
        {
            ["ACTORHTTP_PERSISTENCE_STORE"] = "postgresql",
            ["ACTORHTTP_POSTGRESQL_CONNECTION_STRING"] = server.ConnectionString,
        });
        var one = cluster.Client(1);
        var ids = Enumerable.Range(0, 20).Select(i => $"pg{i}").ToArray();
        foreach (var id in ids)
            for (var value = 1; value <= 3; value++)
            {
                using var post = await one.PostAsync($"/counters/{id}", null);
                Assert.Equal($"{{\"id\":\"{id}\",\"value\":{value}}}", await post.Content.ReadAsStringAsync());
            }

        // Some of the counters live on node 2; after its kill they start on node 1 from what PostgreSQL holds.
        cluster.Signal(2, "KILL");
        Assert.True(await cluster.WaitForExitAsync(2, TimeSpan.FromSeconds(10)), "node 2 survived SIGKILL");
        foreach (var id in ids)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            string? body = null;
            while (body is null && DateTime.UtcNow < deadline)
            {
                using var response = await one.GetAsync($"/counters/{id}");
                if (response.StatusCode == HttpStatusCode.OK) body = await response.Content.ReadAsStringAsync();
                else await Task.Delay(200);
            }
            Assert.Equal($"{{\"id\":\"{id}\",\"value\":3}}", body);
        }

        // The events are PostgreSQL's rows, not a local file's: one per acknowledged POST.
        await using var connection = new Npgsql.NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var count = new Npgsql.NpgsqlCommand("SELECT COUNT(*) FROM journal WHERE persistence_id LIKE 'counters/pg%'", connection);
        Assert.Equal(ids.Length * 3L, Convert.ToInt64(await count.ExecuteScalarAsync()));
        Assert.False(File.Exists(Path.Combine(cluster.StateDir, "actor-http.db")), "the nodes wrote a SQLite file");
    }
}
