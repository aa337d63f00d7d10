using Akka.Actor;
using Akka.Configuration;
using Akka.IO;
using ActorHttp.Cluster.Demo;
using ActorHttp.Cluster.Persistence;
using ActorHttp.Protocol;
using ActorHttp.Testing;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using Xunit;
using Xunit.Abstractions;
using TestKit = Akka.TestKit.Xunit2.TestKit;

namespace ActorHttp.Cluster.Tests.Persistence;

/// <summary>
/// A durable entity (the demo counter) on a real store (SQLite in a file of its own, PostgreSQL in a server of its own): writes are answered once stored and
/// survive the entity stopping; copies of a write (same route-handler key, or the same Idempotency-Key) are answered as
/// the first and never applied twice, also after a recovery; snapshots are written every snapshot-every writes and
/// recovery starts from them.
/// </summary>
public abstract class DurableEntityTests(Config store, ITestOutputHelper output, bool deletesEvents = false)
    : TestKit(ConfigurationFactory.ParseString($"""
            actor-http.cluster.persistence.snapshot-every = 3
            actor-http.cluster.persistence.delete-events-on-snapshot = {(deletesEvents ? "on" : "off")}
            """)
        .WithFallback(store).WithFallback(ClusterHttp.DefaultConfig()), output: output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    /// <summary>A connection to the store's database, to look at the rows the plugin wrote.</summary>
    protected abstract DbConnection Connect();

    private static HttpRequest Counter(string method, string id, string? requestKey = null, string? idempotencyKey = null)
    {
        var request = HttpRequests.Create(method, $"/counters/{id}", ByteString.Empty) with { RouteValues = new Dictionary<string, string> { ["id"] = id } };
        if (idempotencyKey is not null) request = request with { Headers = HttpHeaders.From([new HttpHeader("Idempotency-Key", idempotencyKey)]) };
        return requestKey is null ? request : request.WithItem(DurableHttpEntity<CounterState>.RequestKeyItem, requestKey);
    }

    private static string Value(string id, long value) => $"{{\"id\":\"{id}\",\"value\":{value}}}";

    /// <summary>Starts the counter actor named <paramref name="name"/> (its persistence id is its path).</summary>
    private IActorRef Start(string name)
    {
        IActorRef? entity = null;
        // The guardian frees a stopped actor's name just after its Terminated reached us: retried until it has.
        AwaitAssert(() => entity = Sys.ActorOf(CounterEntity.Props(), name), Wait);
        return entity!;
    }

    /// <summary>The rows of <paramref name="table"/> written for entity <paramref name="name"/> (its persistence id is its path).</summary>
    private long Rows(string table, string name, string what = "COUNT(*)") =>
        Count($"SELECT {what} FROM {table} WHERE persistence_id = '/user/{name}'");

    /// <summary>The events of entity <paramref name="name"/> the journal still holds (the plugin marks the deleted ones, or removes them).</summary>
    private long Events(string name) => Rows("journal", name, "COUNT(CASE WHEN deleted THEN NULL ELSE 1 END)");

    /// <summary>Stops <paramref name="entity"/> and waits for it, so that the next one of the same name recovers.</summary>
    private void Stop(IActorRef entity)
    {
        Watch(entity);
        Sys.Stop(entity);
        ExpectTerminated(entity, Wait);
    }

    private long Count(string sql)
    {
        using var connection = Connect();
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar());
    }

    [Fact]
    public void Writes_are_answered_once_stored_and_survive_the_entity_stopping()
    {
        var entity = Start("a");
        for (var i = 1; i <= 2; i++) this.Send(entity, Counter(HttpMethods.Post, "a"), Wait).ShouldHaveBody(Value("a", i));
        Assert.Equal(2, Events("a"));
        Stop(entity);

        entity = Start("a");
        this.Send(entity, Counter(HttpMethods.Get, "a"), Wait).ShouldHaveBody(Value("a", 2));
        this.Send(entity, Counter(HttpMethods.Delete, "a"), Wait).ShouldHaveBody(Value("a", 0));
        Stop(entity);
        this.Send(Start("a"), Counter(HttpMethods.Get, "a"), Wait).ShouldHaveBody(Value("a", 0));
        AwaitAssert(() => Assert.Equal(1, Rows("snapshot", "a")), Wait); // the third write saved one
    }

    [Fact]
    public void A_copy_of_a_write_gets_the_first_answer_and_is_not_applied_again_also_after_recovery()
    {
        var entity = Start("b");
        this.Send(entity, Counter(HttpMethods.Post, "b", requestKey: "node-1/handler#1"), Wait).ShouldHaveBody(Value("b", 1));
        this.Send(entity, Counter(HttpMethods.Post, "b", requestKey: "node-1/handler#1"), Wait).ShouldHaveBody(Value("b", 1));
        this.Send(entity, Counter(HttpMethods.Post, "b", requestKey: "node-1/handler#2"), Wait).ShouldHaveBody(Value("b", 2));
        this.Send(entity, Counter(HttpMethods.Post, "b", idempotencyKey: "client-retry-7"), Wait).ShouldHaveBody(Value("b", 3));
        this.Send(entity, Counter(HttpMethods.Post, "b", idempotencyKey: "client-retry-7"), Wait).ShouldHaveBody(Value("b", 3));
        Stop(entity);

        // The next incarnation (here, or on another node after this one died) knows both keys from the store.
        entity = Start("b");
        this.Send(entity, Counter(HttpMethods.Post, "b", requestKey: "node-1/handler#1"), Wait).ShouldHaveBody(Value("b", 1));
        this.Send(entity, Counter(HttpMethods.Post, "b", idempotencyKey: "client-retry-7"), Wait).ShouldHaveBody(Value("b", 3));
        this.Send(entity, Counter(HttpMethods.Get, "b"), Wait).ShouldHaveBody(Value("b", 3));
        // Deleting, the events go once the third write's snapshot is saved, if the entity still runs then (else with
        // the next snapshot): the keys came from the events or from that snapshot.
        if (!deletesEvents) Assert.Equal(3, Events("b"));
    }

    [Fact]
    public void Every_third_write_saves_a_snapshot_and_recovery_starts_from_it_remembering_its_keys()
    {
        var entity = Start("c");
        for (var i = 1; i <= 7; i++)
            this.Send(entity, Counter(HttpMethods.Post, "c", requestKey: $"k{i}"), Wait).ShouldHaveBody(Value("c", i));
        AwaitAssert(() =>
        {
            Assert.Equal(6, Rows("snapshot", "c", "MAX(sequence_number)")); // after the 6th write
            Assert.Equal(1, Rows("snapshot", "c")); // the 3rd's is deleted
            Assert.Equal(deletesEvents ? 1 : 7, Events("c")); // deleting: only the 7th is after the snapshot
        }, Wait);
        Stop(entity);

        entity = Start("c");
        this.Send(entity, Counter(HttpMethods.Get, "c"), Wait).ShouldHaveBody(Value("c", 7));
        this.Send(entity, Counter(HttpMethods.Post, "c", requestKey: "k2"), Wait).ShouldHaveBody(Value("c", 2)); // from the snapshot
        this.Send(entity, Counter(HttpMethods.Post, "c", requestKey: "k7"), Wait).ShouldHaveBody(Value("c", 7)); // from the event after it
        this.Send(entity, Counter(HttpMethods.Post, "c", requestKey: "k8"), Wait).ShouldHaveBody(Value("c", 8));
        Stop(entity);
        this.Send(Start("c"), Counter(HttpMethods.Get, "c"), Wait).ShouldHaveBody(Value("c", 8)); // the sequence went on after the snapshot
    }
}

/// <summary>The durable entity on SQLite, the default store: a file of its own, deleted after.</summary>
[Trait("Category", "Cluster")]
public class SqliteDurableEntityTests : DurableEntityTests, IDisposable
{
    private readonly string _file;

    public SqliteDurableEntityTests(ITestOutputHelper output) : this(output, deletesEvents: false) { }

    protected SqliteDurableEntityTests(ITestOutputHelper output, bool deletesEvents) : this(DurableStoreFile.Create(), output, deletesEvents) { }

    private SqliteDurableEntityTests(string file, ITestOutputHelper output, bool deletesEvents)
        : base(file.Config(), output, deletesEvents) => _file = file;

    protected override DbConnection Connect() => new SqliteConnection($"Data Source={_file}");

    void IDisposable.Dispose()
    {
        Shutdown();
        SqliteConnection.ClearAllPools();
        DurableStoreFile.Delete(_file);
    }
}

/// <summary>
/// The same with <c>delete-events-on-snapshot = on</c>: the journal keeps only the events after the latest snapshot,
/// and nothing else changes (copies are still recognised, recovery reads the snapshot and what follows).
/// </summary>
[Trait("Category", "Cluster")]
public sealed class SqliteDurableEntityDeletingEventsTests(ITestOutputHelper output) : SqliteDurableEntityTests(output, deletesEvents: true);

/// <summary>The durable entity on PostgreSQL, the production store: a real server on 127.0.0.1 for the class.</summary>
[Trait("Category", "Cluster")]
public sealed class PostgreSqlDurableEntityTests(PostgreSqlServer server, ITestOutputHelper output)
    : DurableEntityTests(server.StoreConfig, output), IClassFixture<PostgreSqlServer>
{
    protected override DbConnection Connect() => new NpgsqlConnection(server.ConnectionString);
}

/// <summary>The store's settings: what is created on first start, and errors that name their keys.</summary>
[Trait("Category", "Cluster")]
public sealed class DurableStoreSettingsTests
{
    [Fact]
    public void The_sqlite_file_and_its_directory_are_created_on_first_start()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"actorhttp-data-{Guid.NewGuid():N}", "nested");
        try
        {
            var config = ConfigurationFactory.ParseString($"actor-http.cluster.persistence.sqlite-file = \"{Path.Combine(directory, "store.db")}\"");
            var settings = DurableStoreSettings.Create(config);
            DurableStore.PrepareSqlite(settings.SqliteFile, Akka.Event.NoLogger.Instance);
            Assert.True(File.Exists(Path.Combine(directory, "store.db")));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(Path.GetDirectoryName(directory)!, recursive: true);
        }
    }

    [Theory]
    [InlineData("store = mongo", "actor-http.cluster.persistence.store must be sqlite, postgresql or plugins")]
    [InlineData("store = postgresql", "actor-http.cluster.persistence.postgresql-connection-string must be set")]
    [InlineData("store = sqlite\nsqlite-file = \"\"", "actor-http.cluster.persistence.sqlite-file must name a file")]
    [InlineData("snapshot-every = 0", "actor-http.cluster.persistence.snapshot-every must be between 1 and")]
    [InlineData("delete-events-on-snapshot = maybe", "actor-http.cluster.persistence.delete-events-on-snapshot: invalid value 'maybe'")]
    public void Bad_settings_are_named_in_the_error(string section, string message)
    {
        var e = Assert.Throws<ConfigurationException>(() =>
            DurableStoreSettings.Create(ConfigurationFactory.ParseString($"actor-http.cluster.persistence {{\n{section}\n}}")));
        Assert.Contains(message, e.Message);
    }
}
