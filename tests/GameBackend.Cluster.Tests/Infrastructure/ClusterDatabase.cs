using Npgsql;

namespace GameBackend.Cluster.Tests.Infrastructure;

/// <summary>A freshly created PostgreSQL database for one cluster, dropped afterwards. The nodes migrate it at start.</summary>
public sealed class ClusterDatabase : IAsyncDisposable
{
    public static string AdminConnectionString =>
        Environment.GetEnvironmentVariable("GAMEBACKEND_POSTGRES")
        ?? "Host=127.0.0.1;Port=54329;Username=gamebackend;Password=gamebackend;Database=gamebackend";

    /// <summary>The least-privilege role the nodes work as (scripts/services.sh makes it); only user and password are used.</summary>
    public static string AppRoleConnectionString =>
        Environment.GetEnvironmentVariable("GAMEBACKEND_POSTGRES_APP")
        ?? "Host=127.0.0.1;Port=54329;Username=gamebackend_app;Password=gamebackend_app;Database=gamebackend";

    private ClusterDatabase(string name, string connectionString)
    {
        Name = name;
        ConnectionString = connectionString;
        var app = new NpgsqlConnectionStringBuilder(AppRoleConnectionString);
        AppConnectionString = new NpgsqlConnectionStringBuilder(connectionString) { Username = app.Username, Password = app.Password }.ConnectionString;
    }

    public string Name { get; }

    /// <summary>The owner: the nodes' migrations and the tests' own reads.</summary>
    public string ConnectionString { get; }

    /// <summary>The app role on this database: what the nodes work as.</summary>
    public string AppConnectionString { get; }

    public static async Task<ClusterDatabase> CreateAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}";
        await using (var admin = new NpgsqlConnection(AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"create database \"{name}\"", admin);
            await create.ExecuteNonQueryAsync();
        }

        var builder = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name, Pooling = false };
        return new ClusterDatabase(name, builder.ConnectionString);
    }

    /// <summary>Rows of a two-column query, read in one round trip.</summary>
    public async Task<List<(string, long)>> PairsAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, long)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetInt64(1)));
        }

        return rows;
    }

    /// <summary>(player_id, seq) of every stored position fix.</summary>
    public async Task<HashSet<(string PlayerId, long Seq)>> PositionKeysAsync() =>
        [.. await PairsAsync("select player_id, seq from position_samples")];

    /// <summary>creature_id → winner, and the number of rows per creature (the primary key makes it 1).</summary>
    public async Task<List<(string CreatureId, string PlayerId)>> CapturesAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select creature_id, player_id from captures", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, string)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetString(1)));
        }

        return rows;
    }

    public async ValueTask DisposeAsync()
    {
        await using var admin = new NpgsqlConnection(AdminConnectionString);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"drop database if exists \"{Name}\" with (force)", admin);
        await drop.ExecuteNonQueryAsync();
    }
}
