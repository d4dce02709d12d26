using Npgsql;

namespace GameBackend.Web.Tests.Infrastructure;

/// <summary>
/// A fresh PostgreSQL + PostGIS database (GAMEBACKEND_POSTGRES, default the scripts/services.sh
/// instance), dropped on dispose.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private static string AdminConnectionString =>
        Environment.GetEnvironmentVariable("GAMEBACKEND_POSTGRES") is { Length: > 0 } value
            ? value
            : "Host=127.0.0.1;Port=54329;Username=gamebackend;Password=gamebackend;Database=gamebackend";

    private TestDatabase(string name, string connectionString)
    {
        Name = name;
        ConnectionString = connectionString;
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public static async Task<TestDatabase> CreateAsync()
    {
        var name = "gb_web_" + Guid.NewGuid().ToString("N");
        await using (var admin = new NpgsqlConnection(AdminConnectionString))
        {
            await admin.OpenAsync().WaitAsync(TestServer.Timeout);
            // Identifiers cannot be parameters; the name is generated here from a GUID.
            await using var cmd = new NpgsqlCommand($"create database \"{name}\"", admin);
            await cmd.ExecuteNonQueryAsync().WaitAsync(TestServer.Timeout);
        }

        var connectionString = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
        // PostGIS exists before the server's first connection: a data source that loaded its types
        // earlier cannot bind geography parameters (a fresh-database start-up race in the server).
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync().WaitAsync(TestServer.Timeout);
            await using var cmd = new NpgsqlCommand("create extension if not exists postgis", connection);
            await cmd.ExecuteNonQueryAsync().WaitAsync(TestServer.Timeout);
        }

        return new TestDatabase(name, connectionString);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(AdminConnectionString);
        await admin.OpenAsync().WaitAsync(TestServer.Timeout);
        await using var cmd = new NpgsqlCommand($"drop database if exists \"{Name}\" with (force)", admin);
        await cmd.ExecuteNonQueryAsync().WaitAsync(TestServer.Timeout);
    }
}
