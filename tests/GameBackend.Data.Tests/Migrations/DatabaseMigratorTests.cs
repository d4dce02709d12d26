using GameBackend.Data.Migrations;
using GameBackend.Data.Tests.Infrastructure;

namespace GameBackend.Data.Tests.Migrations;

public sealed class DatabaseMigratorTests : IAsyncLifetime
{
    private readonly TestDatabase _db = new();

    public Task InitializeAsync() => _db.CreateEmptyAsync();

    public Task DisposeAsync() => _db.DisposeAsync();

    [Fact]
    public async Task Applying_twice_applies_each_migration_once()
    {
        var migrator = new DatabaseMigrator(_db.ConnectionString);

        var first = await migrator.MigrateAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var second = await migrator.MigrateAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(DatabaseMigrator.Migrations.Select(m => m.Version), first);
        Assert.Empty(second);
        await AssertRecordedOnceAsync();
    }

    [Fact]
    public async Task Concurrent_nodes_apply_each_migration_exactly_once()
    {
        var runs = Enumerable.Range(0, 3)
            .Select(_ => Task.Run(() => new DatabaseMigrator(_db.ConnectionString).MigrateAsync()))
            .ToArray();

        var results = await Task.WhenAll(runs).WaitAsync(TimeSpan.FromSeconds(90));

        Assert.Equal(DatabaseMigrator.Migrations.Count, results.Sum(r => r.Count));
        await AssertRecordedOnceAsync();
    }

    [Fact]
    public void Migrations_are_embedded_in_version_order()
    {
        Assert.NotEmpty(DatabaseMigrator.Migrations);
        Assert.Equal(1, DatabaseMigrator.Migrations[0].Version);
        Assert.Equal(DatabaseMigrator.Migrations.OrderBy(m => m.Version).Select(m => m.Version), DatabaseMigrator.Migrations.Select(m => m.Version));
    }

    private async Task AssertRecordedOnceAsync()
    {
        await using var source = GameDataSource.Create(_db.ConnectionString);
        await using var cmd = source.CreateCommand("select count(*), count(distinct version) from schema_migrations");
        await using var reader = await cmd.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.Equal(DatabaseMigrator.Migrations.Count, reader.GetInt64(0));
        Assert.Equal(DatabaseMigrator.Migrations.Count, reader.GetInt64(1));
        await reader.DisposeAsync();
        await using var ext = source.CreateCommand("select count(*) from pg_extension where extname = 'postgis'");
        Assert.Equal(1L, (long)(await ext.ExecuteScalarAsync())!);
    }
}
