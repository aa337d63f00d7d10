using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Microsoft.Data.Sqlite;

namespace ActorHttp.Cluster.Persistence;

/// <summary>
/// The store of durable entities for one actor system: reads <see cref="DurableStoreSettings"/> and, for the SQLite and
/// PostgreSQL stores, points Akka.Persistence.Sql's journal and snapshot store at the database (their connection string
/// and provider), unless the application's config sets them itself. For SQLite it also creates the file's directory and
/// puts the database in WAL mode (readers never block the writer; every node of a local cluster may share the file).
/// Tables are created on first use by the plugin (<c>auto-initialize</c>). <see cref="ClusterHttp"/> gets it at start,
/// before any journal is started, so the connection settings are in place when the first entity recovers.
/// </summary>
public sealed class DurableStore : IExtension
{
    /// <summary>Created by <see cref="Get"/>.</summary>
    public DurableStore(ExtendedActorSystem system)
    {
        Settings = DurableStoreSettings.Create(system.Settings.Config);
        var connection = Settings.Store switch
        {
            DurableStoreKind.Sqlite => (Provider: LinqToDB.ProviderName.SQLiteMS, ConnectionString: PrepareSqlite(Settings.SqliteFile, system.Log)),
            DurableStoreKind.PostgreSql => (Provider: LinqToDB.ProviderName.PostgreSQL15, ConnectionString: Settings.PostgreSqlConnectionString),
            _ => default,
        };
        if (connection.Provider is null) return;
        var plugin = $"connection-string = {Quote(connection.ConnectionString)}\nprovider-name = {Quote(connection.Provider)}\n";
        // Top-level fallbacks: the last injected one comes first. So the plugin's own defaults first, then ours above
        // them; an application that sets akka.persistence.journal.sql.* itself keeps its values.
        Akka.Persistence.Sql.SqlPersistence.Get(system);
        system.Settings.InjectTopLevelFallback(ConfigurationFactory.ParseString(
            $"{DurableStoreSettings.SqlJournal} {{\n{plugin}}}\n{DurableStoreSettings.SqlSnapshotStore} {{\n{plugin}}}"));
    }

    /// <summary>The extension for <paramref name="system"/>.</summary>
    public static DurableStore Get(ActorSystem system) => system.WithExtension<DurableStore, DurableStoreProvider>();

    /// <summary>The settings read from <c>actor-http.cluster.persistence</c>.</summary>
    public DurableStoreSettings Settings { get; }

    /// <summary>The connection string of SQLite file <paramref name="file"/>, after creating its directory and turning on WAL mode.</summary>
    internal static string PrepareSqlite(string file, ILoggingAdapter log)
    {
        var path = Path.GetFullPath(file);
        var directory = Path.GetDirectoryName(path);
        try
        {
            if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
            var connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
            using var connection = new SqliteConnection(connectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL;";
            command.ExecuteNonQuery();
            log.Info("durable entities keep their events in SQLite file {0}", path);
            return connectionString;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SqliteException)
        {
            throw new ConfigurationException($"actor-http.cluster.persistence.sqlite-file: cannot open SQLite database '{path}': {e.Message}", e);
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
