using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using LinqToDB;
using Microsoft.Data.Sqlite;

namespace ActorHttp.Cluster.Persistence;

/// <summary>
/// The store of durable entities for one actor system: reads <see cref="DurableStoreSettings"/> and, for the SQLite and
/// PostgreSQL stores, points Akka.Persistence.Sql's journal and snapshot store at the database (their connection string
/// and provider), unless the application's config sets them itself. For SQLite it also creates the file's directory and
/// puts the database in WAL mode (readers never block the writer; every node of a local cluster may share the file),
/// when the store is first used (<see cref="EnsureReady"/>).
/// Tables are created on first use by the plugin (<c>auto-initialize</c>). <see cref="ClusterHttp"/> gets it at start,
/// before any journal is started, so the connection settings are in place when the first entity recovers.
/// </summary>
public sealed class DurableStore : IExtension
{
    /// <summary>Created by <see cref="Get"/>.</summary>
    public DurableStore(ExtendedActorSystem system)
    {
        Settings = DurableStoreSettings.Create(system.Settings.Config);
        _log = system.Log;
        _ready = new Lazy<bool>(() =>
        {
            if (Settings.Store == DurableStoreKind.Sqlite) PrepareSqlite(Settings.SqliteFile, _log);
            return true;
        });
        var connection = Settings.Store switch
        {
            DurableStoreKind.Sqlite => (Provider: LinqToDB.ProviderName.SQLiteMS, ConnectionString: SqliteConnectionString(Path.GetFullPath(Settings.SqliteFile))),
            DurableStoreKind.PostgreSql => (Provider: LinqToDB.ProviderName.PostgreSQL15, ConnectionString: Settings.PostgreSqlConnectionString),
            _ => default,
        };
        if (connection.Provider is null) return;
        var plugin = $"connection-string = {Quote(connection.ConnectionString)}\nprovider-name = {Quote(connection.Provider)}\n";
        // SQLite has one writer at a time: parallel writers of one process only wait for each other's locks (measured
        // on one node: 1,330 persisted POSTs/s with one writer against 830 with the plugin's three).
        var journal = Settings.Store == DurableStoreKind.Sqlite ? plugin + "parallelism = 1\n" : plugin;
        // Top-level fallbacks: the last injected one comes first. So the plugin's own defaults first, then ours above
        // them; an application that sets akka.persistence.journal.sql.* itself keeps its values.
        Akka.Persistence.Sql.SqlPersistence.Get(system);
        system.Settings.InjectTopLevelFallback(ConfigurationFactory.ParseString(
            $"{DurableStoreSettings.SqlJournal} {{\n{journal}}}\n{DurableStoreSettings.SqlSnapshotStore} {{\n{plugin}}}"));
    }

    /// <summary>The extension for <paramref name="system"/>.</summary>
    public static DurableStore Get(ActorSystem system) => system.WithExtension<DurableStore, DurableStoreProvider>();

    /// <summary>The settings read from <c>actor-http.cluster.persistence</c>.</summary>
    public DurableStoreSettings Settings { get; }

    private readonly ILoggingAdapter _log;
    private readonly Lazy<bool> _ready;

    /// <summary>
    /// Makes the store ready before its first use (a durable entity starting, a region remembering its entities): for
    /// SQLite, the file's directory and WAL mode. Only then, so that a cluster without durable entities writes nothing.
    /// </summary>
    /// <exception cref="ConfigurationException">The SQLite file cannot be created or opened; the message names the key.</exception>
    public void EnsureReady() => _ = _ready.Value;

    /// <summary>
    /// A setup to give the actor system at its creation when the store is SQLite (null otherwise): every connection the
    /// plugin opens waits for the database's write lock inside SQLite (busy_timeout, in steps of a few milliseconds)
    /// instead of Microsoft.Data.Sqlite's retries every 150 ms, which is what nodes sharing the file meet on each write
    /// (measured on two nodes sharing one file: see the README's benchmark section). The node passes it; an application
    /// creating its own actor system may add it to its <c>BootstrapSetup</c> the same way.
    /// </summary>
    public static Akka.Actor.Setup.Setup? ConnectionSetup(Config config)
    {
        var settings = DurableStoreSettings.Create(config);
        if (settings.Store != DurableStoreKind.Sqlite) return null;
        var options = new LinqToDB.DataOptions()
            .UseConnectionString(LinqToDB.ProviderName.SQLiteMS, SqliteConnectionString(Path.GetFullPath(settings.SqliteFile)))
            .UseInterceptor(new SqliteBusyTimeout());
        var setup = new Akka.Persistence.Sql.Config.MultiDataOptionsSetup();
        setup.AddDataOptions(DurableStoreSettings.SqlJournal, options);
        setup.AddDataOptions(DurableStoreSettings.SqlSnapshotStore, options);
        return setup;
    }

    private static string SqliteConnectionString(string path) =>
        new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();

    /// <summary>Sets busy_timeout on each connection as it opens (a per-connection setting SQLite does not keep).</summary>
    private sealed class SqliteBusyTimeout : LinqToDB.Interceptors.ConnectionInterceptor
    {
        private const string Pragma = "PRAGMA busy_timeout = 30000;";

        public override void ConnectionOpened(LinqToDB.Interceptors.ConnectionEventData eventData, System.Data.Common.DbConnection connection)
        {
            using var command = connection.CreateCommand();
            command.CommandText = Pragma;
            command.ExecuteNonQuery();
        }

        public override async Task ConnectionOpenedAsync(LinqToDB.Interceptors.ConnectionEventData eventData,
            System.Data.Common.DbConnection connection, CancellationToken cancellationToken)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = Pragma;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Makes the store of <paramref name="config"/> ready before an actor system starts (what <see cref="EnsureReady"/>
    /// does on first use), so that a node can refuse to start on a file it cannot open.
    /// </summary>
    /// <exception cref="ConfigurationException">A setting is wrong, or the SQLite file cannot be created or opened.</exception>
    public static void Prepare(Config config)
    {
        var settings = DurableStoreSettings.Create(config);
        if (settings.Store == DurableStoreKind.Sqlite) PrepareSqlite(settings.SqliteFile, NoLogger.Instance);
    }

    /// <summary>Creates SQLite file <paramref name="file"/>'s directory and turns on WAL mode.</summary>
    internal static void PrepareSqlite(string file, ILoggingAdapter log)
    {
        var path = Path.GetFullPath(file);
        var directory = Path.GetDirectoryName(path);
        try
        {
            if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
            var connectionString = SqliteConnectionString(path);
            using var connection = new SqliteConnection(connectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL;";
            command.ExecuteNonQuery();
            log.Info("durable entities keep their events in SQLite file {0}", path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SqliteException)
        {
            // No inner exception: the node reports the innermost one's message, and this one names the key.
            throw new ConfigurationException($"actor-http.cluster.persistence.sqlite-file: cannot open SQLite database '{path}': {e.Message}");
        }
    }

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}

/// <summary>Creates the <see cref="DurableStore"/> extension.</summary>
public sealed class DurableStoreProvider : ExtensionIdProvider<DurableStore>
{
    /// <inheritdoc />
    public override DurableStore CreateExtension(ExtendedActorSystem system) => new(system);
}
