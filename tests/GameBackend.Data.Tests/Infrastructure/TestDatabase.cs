using GameBackend.Data;
using GameBackend.Data.Migrations;
using Npgsql;

namespace GameBackend.Data.Tests.Infrastructure;

/// <summary>Where the tests find PostgreSQL and the services script.</summary>
public static class TestEnvironment
{
    public const string DefaultConnectionString =
        "Host=127.0.0.1;Port=54329;Username=gamebackend;Password=gamebackend;Database=gamebackend";

    public static string AdminConnectionString =>
        Environment.GetEnvironmentVariable("GAMEBACKEND_POSTGRES") is { Length: > 0 } value ? value : DefaultConnectionString;

    /// <summary>The least-privilege role the server works as (scripts/services.sh makes it); only its user and password are used.</summary>
    public static string AppRoleConnectionString =>
        Environment.GetEnvironmentVariable("GAMEBACKEND_POSTGRES_APP") is { Length: > 0 } value
            ? value
            : "Host=127.0.0.1;Port=54329;Username=gamebackend_app;Password=gamebackend_app;Database=gamebackend";

    public static string ServicesScript
    {
        get
        {
            if (Environment.GetEnvironmentVariable("GAMEBACKEND_SERVICES_SCRIPT") is { Length: > 0 } value)
            {
                return value;
            }

            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "scripts", "services.sh");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            throw new InvalidOperationException("scripts/services.sh not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or <paramref name="timeout"/> passes.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (NpgsqlException) when (DateTime.UtcNow < deadline)
            {
                // The database may be restarting; keep polling until the deadline.
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException($"Timed out after {timeout} waiting for {what}.");
            }

            await Task.Delay(50);
        }
    }
}

/// <summary>
/// A fresh, migrated database per test class (<c>gb_test_&lt;guid&gt;</c>), dropped at the end, so test
/// classes never see each other's rows and can run repeatedly.
/// </summary>
public sealed class TestDatabase : IAsyncLifetime
{
    public string Name { get; } = "gb_test_" + Guid.NewGuid().ToString("N");

    public string ConnectionString { get; private set; } = "";

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await CreateEmptyAsync();
        await new DatabaseMigrator(ConnectionString).MigrateAsync().WaitAsync(TimeSpan.FromSeconds(60));
        DataSource = GameDataSource.Create(ConnectionString);
    }

    /// <summary>Creates the database without migrating it (for migrator tests).</summary>
    public async Task CreateEmptyAsync()
    {
        await using (var admin = new NpgsqlConnection(TestEnvironment.AdminConnectionString))
        {
            await admin.OpenAsync();
            // Identifiers cannot be parameters; the name is generated here from a GUID.
            await using var cmd = new NpgsqlCommand($"create database \"{Name}\"", admin);
            await cmd.ExecuteNonQueryAsync();
        }

        ConnectionString = new NpgsqlConnectionStringBuilder(TestEnvironment.AdminConnectionString) { Database = Name }.ConnectionString;
    }

    public async Task DisposeAsync()
    {
        if (DataSource is not null)
        {
            await DataSource.DisposeAsync();
        }

        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(TestEnvironment.AdminConnectionString);
        await admin.OpenAsync();
        await using var cmd = new NpgsqlCommand($"drop database if exists \"{Name}\" with (force)", admin);
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql, params (string Name, object Value)[] parameters)
    {
        await using var cmd = DataSource.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value);
        }

        var result = await cmd.ExecuteScalarAsync();
        return (T)Convert.ChangeType(result!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var cmd = DataSource.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value);
        }

        await cmd.ExecuteNonQueryAsync();
    }
}
