using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace GameBackend.Data.Migrations;

/// <summary>
/// Applies the embedded, versioned SQL files (<c>Migrations/NNNN_name.sql</c>) in order and records
/// each one in <c>schema_migrations</c>. Safe to run from several server nodes at once: the whole run
/// holds a session advisory lock, so one node migrates and the others then find nothing to do.
/// </summary>
public sealed partial class DatabaseMigrator
{
    // Arbitrary constant shared by every node; advisory locks are scoped to the current database.
    private const long AdvisoryLockKey = 0x47616D654D696772; // "GameMigr"

    private readonly string _connectionString;
    private readonly ILogger _logger;

    public DatabaseMigrator(string connectionString, ILogger<DatabaseMigrator>? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _connectionString = connectionString;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>The embedded migrations, ordered by version.</summary>
    public static IReadOnlyList<Migration> Migrations { get; } = LoadEmbedded();

    /// <summary>Applies every migration not yet recorded. Returns the versions applied by this call.</summary>
    public async Task<IReadOnlyList<int>> MigrateAsync(CancellationToken cancellationToken = default)
    {
        var applied = new List<int>();
        // A plain (non-pooled) connection: the session lock must die with this connection, and the
        // PostGIS types may not exist yet, so no type plugins are loaded here.
        var builder = new NpgsqlConnectionStringBuilder(_connectionString) { Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);

        await using (var lockCmd = new NpgsqlCommand("select pg_advisory_lock(@key)", connection))
        {
            lockCmd.Parameters.AddWithValue("key", AdvisoryLockKey);
            // Waiting nodes block here until the first node finishes; no timeout on purpose.
            lockCmd.CommandTimeout = 0;
            await lockCmd.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            await ExecuteAsync(connection, null, """
                create extension if not exists postgis;
                create table if not exists schema_migrations (
                    version    int         primary key,
                    name       text        not null,
                    applied_at timestamptz not null default now());
                """, cancellationToken);

            var done = new HashSet<int>();
            await using (var cmd = new NpgsqlCommand("select version from schema_migrations", connection))
            await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    done.Add(reader.GetInt32(0));
                }
            }

            foreach (var migration in Migrations)
            {
                if (done.Contains(migration.Version))
                {
                    continue;
                }

                await using var tx = await connection.BeginTransactionAsync(cancellationToken);
                await ExecuteAsync(connection, tx, migration.Sql, cancellationToken);
                await using (var record = new NpgsqlCommand(
                    "insert into schema_migrations (version, name) values (@version, @name)", connection, tx))
                {
                    record.Parameters.AddWithValue("version", migration.Version);
                    record.Parameters.AddWithValue("name", migration.Name);
                    await record.ExecuteNonQueryAsync(cancellationToken);
                }

                await tx.CommitAsync(cancellationToken);
                applied.Add(migration.Version);
                Log.Applied(_logger, migration.Version, migration.Name);
            }
        }
        finally
        {
            // Closing the connection would release the lock too; unlocking explicitly keeps the
            // hand-over to the next waiting node immediate.
            if (connection.State == System.Data.ConnectionState.Open)
            {
                await using var unlock = new NpgsqlCommand("select pg_advisory_unlock(@key)", connection);
                unlock.Parameters.AddWithValue("key", AdvisoryLockKey);
                await unlock.ExecuteNonQueryAsync(CancellationToken.None);
            }
        }

        if (applied.Count == 0)
        {
            Log.UpToDate(_logger);
        }

        return applied;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, connection, tx) { CommandTimeout = 0 };
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static List<Migration> LoadEmbedded()
    {
        var assembly = typeof(DatabaseMigrator).Assembly;
        var list = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            var match = MigrationName().Match(resource);
            if (!match.Success)
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            list.Add(new Migration(
                int.Parse(match.Groups["version"].Value, CultureInfo.InvariantCulture),
                match.Groups["name"].Value,
                reader.ReadToEnd()));
        }

        list.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 1; i < list.Count; i++)
        {
            if (list[i].Version == list[i - 1].Version)
            {
                throw new InvalidOperationException($"Duplicate migration version {list[i].Version}.");
            }
        }

        return list;
    }

    [GeneratedRegex(@"\.Migrations\.(?<version>\d{4})_(?<name>[A-Za-z0-9_]+)\.sql$")]
    private static partial Regex MigrationName();

    private static partial class Log
    {
        [LoggerMessage(EventId = 110, Level = LogLevel.Information, Message = "Applied migration {Version} ({Name})")]
        public static partial void Applied(ILogger logger, int version, string name);

        [LoggerMessage(EventId = 111, Level = LogLevel.Debug, Message = "Database schema is up to date")]
        public static partial void UpToDate(ILogger logger);
    }
}

/// <summary>One embedded migration.</summary>
public sealed record Migration(int Version, string Name, string Sql);
