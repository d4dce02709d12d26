using GameBackend.Data.History;
using GameBackend.Data.Privacy;
using GameBackend.Data.Tests.Infrastructure;
using Npgsql;
using static GameBackend.Data.Tests.History.HistoryTestData;

namespace GameBackend.Data.Tests.Migrations;

/// <summary>
/// Issue 12, finding 6: the owner migrates, the server works as <c>gamebackend_app</c> (made by
/// scripts/services.sh, granted by migration 0008). The app role can do everything the game does
/// -- history, day partitions, retention, erasure -- and no DDL at all.
/// </summary>
public sealed class AppRoleTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private string AppConnectionString
    {
        get
        {
            var app = new NpgsqlConnectionStringBuilder(TestEnvironment.AppRoleConnectionString);
            return new NpgsqlConnectionStringBuilder(db.ConnectionString) { Username = app.Username, Password = app.Password }.ConnectionString;
        }
    }

    [Fact]
    public async Task The_app_role_is_not_a_superuser_and_can_neither_create_nor_drop_nor_alter_tables()
    {
        await using var app = GameDataSource.Create(AppConnectionString);
        await using (var who = app.CreateCommand("select current_user, rolsuper, rolcreatedb, rolcreaterole from pg_roles where rolname = current_user"))
        await using (var reader = await who.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal("gamebackend_app", reader.GetString(0));
            Assert.False(reader.GetBoolean(1), "superuser");
            Assert.False(reader.GetBoolean(2), "createdb");
            Assert.False(reader.GetBoolean(3), "createrole");
        }

        foreach (var ddl in new[]
        {
            "create table app_made (id int)",
            "drop table captures",
            "drop table position_samples_default",
            "alter table captures add column sneaky int",
            "truncate audit_log",
            "create function app_fn() returns int language sql as 'select 1'",
            "insert into schema_migrations (version, name) values (9999, 'forged')",
        })
        {
            await using var cmd = app.CreateCommand(ddl);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteNonQueryAsync());
            Assert.True(refused.SqlState == PostgresErrorCodes.InsufficientPrivilege, $"{ddl}: {refused.SqlState} {refused.MessageText}");
        }

        // The owner keeps its rights: the table it still has.
        Assert.Equal(1L, await db.ScalarAsync<long>("select count(*) from pg_tables where tablename = 'captures'"));
    }

    [Fact]
    public async Task The_app_role_writes_history_makes_and_drops_partitions_and_erases_a_player()
    {
        await using var app = GameDataSource.Create(AppConnectionString);
        var now = new DateTimeOffset(2026, 10, 1, 12, 0, 0, TimeSpan.Zero);
        var player = "app-" + Guid.NewGuid().ToString("N")[..8];

        // Day partitions ahead of time (the maintenance loop, as the app role).
        var partitions = await new PositionPartitions(app).EnsureAroundAsync(now).WaitAsync(Timeout);
        Assert.Equal(PositionPartitions.NameFor(DateOnly.FromDateTime(now.UtcDateTime)), partitions[1]);
        Assert.Equal(4L, await db.ScalarAsync<long>("select count(*) from pg_tables where tablename = any(@names)", ("names", partitions.ToArray())));

        // History through the writer, as the app role (binary COPY, and the staging path for a repeat).
        var spill = Path.Combine(Path.GetTempPath(), "gb-approle-" + Guid.NewGuid().ToString("N"));
        await using (var writer = new HistoryWriter(Options(AppConnectionString, spill)))
        {
            await writer.StartAsync(default);
            for (var seq = 1; seq <= 5; seq++)
            {
                Assert.True(writer.TryAppend(Sample(player, seq, now)));
            }

            await TestEnvironment.WaitUntilAsync(async () =>
                await db.ScalarAsync<long>("select count(*) from position_samples where player_id = @p", ("p", player)) == 5, Timeout, "5 rows written");
            Assert.True(writer.TryAppend(Sample(player, 3, now)));
            Assert.True(writer.TryAppend(Sample(player, 6, now)));
            await TestEnvironment.WaitUntilAsync(async () =>
                await db.ScalarAsync<long>("select count(*) from position_samples where player_id = @p", ("p", player)) == 6, Timeout, "the new row after a repeat");
            await writer.StopAsync(default);
            Assert.Equal(0, writer.Statistics.Dropped);
        }

        Directory.Delete(spill, recursive: true);

        // Erasure, as the app role.
        var deleted = await new PlayerDataStore(app).DeletePlayerAsync(player, now.AddHours(1)).WaitAsync(Timeout);
        Assert.Equal(6, deleted.Positions);
        Assert.Equal(0L, await db.ScalarAsync<long>("select count(*) from position_samples where player_id = @p", ("p", player)));

        // Retention drops whole day partitions, as the app role, through the owner's function.
        var expired = await new PlayerDataStore(app).DropExpiredPositionsAsync(now.AddDays(40), retentionDays: 30).WaitAsync(Timeout);
        Assert.Contains(partitions[0], expired);
        Assert.Equal(0L, await db.ScalarAsync<long>("select count(*) from pg_tables where tablename = @t", ("t", partitions[0])));
    }

    [Fact]
    public async Task Tables_of_later_migrations_are_granted_to_the_app_role_by_default()
    {
        // What a later migration (run by the owner) creates, the app role can use without a grant.
        var table = "later_" + Guid.NewGuid().ToString("N")[..8];
        await db.ExecuteAsync($"create table {table} (id bigserial primary key, note text)");
        await using var app = GameDataSource.Create(AppConnectionString);
        await using var insert = app.CreateCommand($"insert into {table} (note) values (@n) returning id");
        insert.Parameters.AddWithValue("n", "from the app role");
        Assert.Equal(1L, (long)(await insert.ExecuteScalarAsync())!);
        await using var drop = app.CreateCommand($"drop table {table}");
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, (await Assert.ThrowsAsync<PostgresException>(() => drop.ExecuteNonQueryAsync())).SqlState);
    }
}
