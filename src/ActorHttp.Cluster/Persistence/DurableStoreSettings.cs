using Akka.Configuration;

namespace ActorHttp.Cluster.Persistence;

/// <summary>Where durable entities keep their events and snapshots (<c>actor-http.cluster.persistence.store</c>).</summary>
public enum DurableStoreKind
{
    /// <summary>A SQLite file (<see cref="DurableStoreSettings.SqliteFile"/>), created on first use: nothing to install.</summary>
    Sqlite,

    /// <summary>A PostgreSQL database (<see cref="DurableStoreSettings.PostgreSqlConnectionString"/>).</summary>
    PostgreSql,

    /// <summary>Akka.Persistence plugins the application configures itself (<see cref="DurableStoreSettings.JournalPluginId"/>).</summary>
    Plugins,
}

/// <summary>
/// The <c>actor-http.cluster.persistence</c> section (documented, with its defaults, in this assembly's reference.conf).
/// Immutable.
/// </summary>
public sealed record DurableStoreSettings
{
    /// <summary>The store.</summary>
    public required DurableStoreKind Store { get; init; }

    /// <summary>The SQLite database file, for <see cref="DurableStoreKind.Sqlite"/>; relative to the working directory.</summary>
    public required string SqliteFile { get; init; }

    /// <summary>The Npgsql connection string, for <see cref="DurableStoreKind.PostgreSql"/>.</summary>
    public required string PostgreSqlConnectionString { get; init; }

    /// <summary>The journal durable entities write to: the SQL plugin's, or the application's own for <see cref="DurableStoreKind.Plugins"/>.</summary>
    public required string JournalPluginId { get; init; }

    /// <summary>The snapshot store durable entities write to.</summary>
    public required string SnapshotPluginId { get; init; }

    /// <summary>An entity saves a snapshot of its state after this many persisted requests (its recovery reads at most this many).</summary>
    public required int SnapshotEvery { get; init; }

    /// <summary>Whether an entity deletes its events up to a snapshot once the snapshot is saved (a journal bounded per entity).</summary>
    public required bool DeleteEventsOnSnapshot { get; init; }

    /// <summary>How many of its latest write requests an entity remembers, with their answers, to answer a copy the same way.</summary>
    public required int RememberedRequests { get; init; }

    /// <summary>The SQL plugin's journal and snapshot store (Akka.Persistence.Sql), used by the SQLite and PostgreSQL stores.</summary>
    internal const string SqlJournal = "akka.persistence.journal.sql";

    internal const string SqlSnapshotStore = "akka.persistence.snapshot-store.sql";

    /// <summary>Reads the section from <paramref name="config"/>, falling back to reference.conf.</summary>
    /// <exception cref="ConfigurationException">A value is missing or malformed; the message names the key.</exception>
    public static DurableStoreSettings Create(Config config)
    {
        const string prefix = "actor-http.cluster.persistence";
        var keys = new ConfigKeys(config.WithFallback(ClusterHttp.DefaultConfig()).GetConfig(prefix), prefix);
        var store = keys.Read("store", (k, c) => c.GetString(k)?.Trim().ToLowerInvariant()) switch
        {
            "sqlite" => DurableStoreKind.Sqlite,
            "postgresql" or "postgres" => DurableStoreKind.PostgreSql,
            "plugins" => DurableStoreKind.Plugins,
            var other => throw new ConfigurationException($"{prefix}.store must be sqlite, postgresql or plugins (was '{other}')"),
        };
        var settings = new DurableStoreSettings
        {
            Store = store,
            SqliteFile = keys.Read("sqlite-file", (k, c) => c.GetString(k) ?? ""),
            PostgreSqlConnectionString = keys.Read("postgresql-connection-string", (k, c) => c.GetString(k) ?? ""),
            JournalPluginId = store == DurableStoreKind.Plugins ? keys.Read("journal-plugin-id", (k, c) => c.GetString(k) ?? "") : SqlJournal,
            SnapshotPluginId = store == DurableStoreKind.Plugins ? keys.Read("snapshot-plugin-id", (k, c) => c.GetString(k) ?? "") : SqlSnapshotStore,
            SnapshotEvery = keys.Int("snapshot-every", 1, 1_000_000),
            DeleteEventsOnSnapshot = keys.Bool("delete-events-on-snapshot"),
            RememberedRequests = keys.Int("remembered-requests", 0, 100_000),
        };
        if (store == DurableStoreKind.Sqlite && string.IsNullOrWhiteSpace(settings.SqliteFile))
            throw new ConfigurationException($"{prefix}.sqlite-file must name a file for store = sqlite");
        if (store == DurableStoreKind.PostgreSql && string.IsNullOrWhiteSpace(settings.PostgreSqlConnectionString))
            throw new ConfigurationException(
                $"{prefix}.postgresql-connection-string must be set for store = postgresql, e.g. \"Host=127.0.0.1;Port=5432;Database=actorhttp;Username=actorhttp;Password=...\"");
        return settings;
    }
}
