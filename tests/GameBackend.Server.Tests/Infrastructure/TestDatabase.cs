using Npgsql;

namespace GameBackend.Server.Tests.Infrastructure;

/// <summary>A freshly created PostgreSQL database for one test class, dropped afterwards. The server migrates it at start.</summary>
public sealed class TestDatabase : IAsyncDisposable
{
    public static string AdminConnectionString =>
        Environment.GetEnvironmentVariable("GAMEBACKEND_POSTGRES")
        ?? "Host=127.0.0.1;Port=54329;Username=gamebackend;Password=gamebackend;Database=gamebackend";

    /// <summary>
    /// The least-privilege app role (<c>scripts/services.sh</c> makes it; migration 0008 grants it
    /// its rights in every database the owner migrates). Only user and password are taken from it.
    /// </summary>
    public static string AppRoleConnectionString =>
        Environment.GetEnvironmentVariable("GAMEBACKEND_POSTGRES_APP")
        ?? "Host=127.0.0.1;Port=54329;Username=gamebackend_app;Password=gamebackend_app;Database=gamebackend";

    private TestDatabase(string name, string connectionString)
    {
        Name = name;
        ConnectionString = connectionString;
        var app = new NpgsqlConnectionStringBuilder(AppRoleConnectionString);
        AppConnectionString = new NpgsqlConnectionStringBuilder(connectionString) { Username = app.Username, Password = app.Password }.ConnectionString;
    }

    public string Name { get; }

    /// <summary>The owner role: migrations, and the tests' own reads.</summary>
    public string ConnectionString { get; }

    /// <summary>The app role on this database: what the server works as.</summary>
    public string AppConnectionString { get; }

    public static async Task<TestDatabase> CreateAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}";
        await using (var admin = new NpgsqlConnection(AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"create database \"{name}\"", admin);
            await create.ExecuteNonQueryAsync();
        }

        var builder = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name };
        return new TestDatabase(name, builder.ConnectionString);
    }

    public async Task<T> ScalarAsync<T>(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (n, v) in parameters)
        {
            command.Parameters.AddWithValue(n, v);
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>The first column of the first row, or null (no row, or SQL null).</summary>
    public async Task<object?> ScalarOrNullAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (n, v) in parameters)
        {
            command.Parameters.AddWithValue(n, v);
        }

        return await command.ExecuteScalarAsync() is { } value and not DBNull ? value : null;
    }

    /// <summary>The first column of every row, as text.</summary>
    public async Task<List<string>> ColumnAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (n, v) in parameters)
        {
            command.Parameters.AddWithValue(n, v);
        }

        var values = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            values.Add(Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)!);
        }

        return values;
    }

    public async Task ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (n, v) in parameters)
        {
            command.Parameters.AddWithValue(n, v);
        }

        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(AdminConnectionString);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"drop database if exists \"{Name}\" with (force)", admin);
        await drop.ExecuteNonQueryAsync();
    }
}
