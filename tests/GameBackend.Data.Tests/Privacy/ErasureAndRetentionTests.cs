using System.Text.Json;
using GameBackend.Data.FairPlay;
using GameBackend.Data.History;
using GameBackend.Data.Privacy;
using GameBackend.Data.Tests.Infrastructure;
using GameBackend.Domain.Movement;
using Microsoft.Extensions.Time.Testing;
using static GameBackend.Data.Tests.History.HistoryTestData;

namespace GameBackend.Data.Tests.Privacy;

/// <summary>
/// Issue 13, finding 4: erasure covers every table and beats rows still on their way (buffered,
/// spilled), retention covers every history table, the export holds every stored field. Real
/// PostgreSQL; every player id is unique to its test.
/// </summary>
public sealed class ErasureAndRetentionTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static string NewPlayer(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    private Task<long> CountAsync(string table, string player) =>
        db.ScalarAsync<long>($"select count(*) from {table} where player_id = @p", ("p", player));

    [Fact]
    public async Task Rows_spilled_before_an_erasure_are_dropped_when_replayed_and_later_play_is_kept()
    {
        var erased = NewPlayer("erased");
        var other = NewPlayer("other");
        var zone = Guid.NewGuid();
        var erasedAt = Noon.AddHours(1);
        var spill = Path.Combine(Path.GetTempPath(), "gb-erasure-" + Guid.NewGuid().ToString("N"));
        try
        {
            // A node that cannot reach PostgreSQL holds the rows and spills them at its stop.
            await using (var down = new HistoryWriter(Options(UnreachableConnectionString, spill)))
            {
                await down.StartAsync(default);
                for (var i = 1; i <= 50; i++)
                {
                    Assert.True(down.TryAppend(Sample(erased, i)));
                    Assert.True(down.TryAppend(Sample(other, i)));
                }

                // Played on after the erasure: not the erased past, so it stays.
                Assert.True(down.TryAppend(Sample(erased, 1_000, Noon.AddHours(2))));
                Assert.True(down.TryAppend(new ZoneVisitEvent(zone, erased, Noon, Noon.AddMinutes(5), null)));
                Assert.True(down.TryAppend(new CreatureSighting(zone, erased, Noon)));
                Assert.True(down.TryAppend(new CaptureRecord("c-" + erased, erased, "sparkmouse", "common", 48.85, 2.35, Noon, 1, 0)));
                await TestEnvironment.WaitUntilAsync(() => Task.FromResult(down.Statistics.Failures > 0), Timeout, "a failed write");
                await down.StopAsync(new CancellationTokenSource(Timeout).Token);
            }

            Assert.NotEmpty(Directory.GetFiles(spill, "*.jsonl"));

            // The player asks for erasure while those rows sit on disk.
            await new PlayerDataStore(db.DataSource).DeletePlayerAsync(erased, erasedAt);

            await using var up = new HistoryWriter(Options(db.ConnectionString, spill));
            await up.StartAsync(default);
            await TestEnvironment.WaitUntilAsync(
                () => Task.FromResult(Directory.GetFiles(spill).Length == 0 && up.Statistics.SpillBytes == 0), Timeout, "spill replayed");

            Assert.Equal(50, await CountAsync("position_samples", other));
            Assert.Equal(1, await CountAsync("position_samples", erased));
            Assert.Equal(1_000, await db.ScalarAsync<long>("select seq from position_samples where player_id = @p", ("p", erased)));
            Assert.Equal(0, await CountAsync("zone_visits", erased));
            Assert.Equal(0, await CountAsync("creature_sightings", erased));
            Assert.Equal(0, await CountAsync("captures", erased));
            Assert.Equal(53, up.RowsErased);
        }
        finally
        {
            if (Directory.Exists(spill))
            {
                Directory.Delete(spill, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Rows_buffered_in_the_writer_when_the_player_is_erased_are_not_written()
    {
        var erased = NewPlayer("buffered");
        var kept = NewPlayer("kept");
        var time = new FakeTimeProvider(Noon);
        await using var writer = new HistoryWriter(Options(db.ConnectionString), timeProvider: time);

        // The rows are queued before the write loop starts, so none can reach PostgreSQL before the
        // erasure (a loop already running could pick them up first on a busy machine: CI saw it, and
        // then the erasure's delete removed them instead of the writer dropping them).
        Assert.True(writer.TryAppend(Sample(erased, 1)));
        Assert.True(writer.TryAppend(Sample(erased, 2)));
        Assert.True(writer.TryAppend(Sample(kept, 1)));
        Assert.True(writer.TryAppend(new ZoneVisitEvent(Guid.NewGuid(), erased, Noon, Noon, null)));

        await new PlayerDataStore(db.DataSource).DeletePlayerAsync(erased, Noon.AddMinutes(1));
        await writer.StartAsync(default);

        // Each lane flushes on its own fake-clock timer, which a lane still starting its wait when the
        // clock moved would miss: keep the clock moving while polling (a busy machine lost that race).
        async Task<bool> Flushed(Func<Task<bool>> done)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            return await done();
        }

        await TestEnvironment.WaitUntilAsync(() => Flushed(async () => await CountAsync("position_samples", kept) == 1), Timeout, "the batch written");
        await TestEnvironment.WaitUntilAsync(() => Flushed(() => Task.FromResult(writer.RowsErased == 3)), Timeout, "the erased rows dropped");

        Assert.Equal(0, await CountAsync("position_samples", erased));
        Assert.Equal(0, await CountAsync("zone_visits", erased));

        // The loop sleeps on the fake clock: keep it moving until the stop is through.
        var stop = writer.StopAsync(new CancellationTokenSource(Timeout).Token);
        while (!stop.IsCompleted)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(stop, Task.Delay(20));
        }

        await stop;
    }

    [Fact]
    public async Task Erasure_covers_every_table_of_play_and_keeps_account_and_strikes()
    {
        var player = NewPlayer("all");
        var zone = Guid.NewGuid();
        await db.ExecuteAsync("""
            insert into position_samples (player_id, seq, server_time, device_time, geog, cell_id)
            values (@p, 1, @t, @t, ST_SetSRID(ST_MakePoint(2.35, 48.85), 4326)::geography, 'c')
            """, ("p", player), ("t", Noon));
        await db.ExecuteAsync("insert into zone_visits (zone_id, player_id, entered_at, last_seen_at) values (@z, @p, @t, @t)", ("z", zone), ("p", player), ("t", Noon));
        await db.ExecuteAsync("insert into creature_sightings values (@z, @p, @t)", ("z", zone), ("p", player), ("t", Noon));
        await db.ExecuteAsync("""
            insert into captures (creature_id, player_id, species, rarity, geog, captured_at, attempts, losers)
            values (@c, @p, 'sparkmouse', 'common', ST_SetSRID(ST_MakePoint(2.35, 48.85), 4326)::geography, @t, 1, 0)
            """, ("c", "cap-" + player), ("p", player), ("t", Noon));
        await db.ExecuteAsync("insert into player_accounts (device_id, player_id, secret_hash) values (@d, @p, '\\x00')", ("d", "dev-" + player), ("p", player));
        var fairPlay = new PostgresFairPlayStore(db.DataSource);
        await fairPlay.SaveAsync(player, new FairPlayState(3, 1_000, 0, new TrustedPosition(1_000, 48.85, 2.35, 5)));

        var deleted = await new PlayerDataStore(db.DataSource).DeletePlayerAsync(player, Noon.AddMinutes(1));

        Assert.Equal(new PlayerDeletion(1, 1, 1, 1), deleted);
        foreach (var table in new[] { "position_samples", "zone_visits", "creature_sightings", "captures" })
        {
            Assert.Equal(0, await CountAsync(table, player));
        }

        // Strikes are fraud prevention, kept; the trusted position is location data, gone.
        Assert.Equal(new FairPlayState(3, 1_000, 0, null), await fairPlay.LoadAsync(player));
        Assert.Equal(1, await CountAsync("player_accounts", player));
        Assert.Equal(1, await CountAsync("erased_players", player));
    }

    [Fact]
    public async Task Retention_applies_to_every_history_table()
    {
        var now = new DateTimeOffset(2026, 9, 30, 12, 0, 0, TimeSpan.Zero);
        var old = now.AddDays(-40);
        var recent = now.AddDays(-2);
        var player = NewPlayer("retention");
        var zone = Guid.NewGuid();
        foreach (var (suffix, at) in new[] { ("old", old), ("new", recent) })
        {
            await db.ExecuteAsync("insert into zone_visits (zone_id, player_id, entered_at, last_seen_at, exited_at) values (@z, @p, @t, @t, @t)",
                ("z", zone), ("p", player), ("t", at));
            await db.ExecuteAsync("insert into creature_sightings values (@z, @p, @t)", ("z", zone), ("p", player), ("t", at));
            await db.ExecuteAsync("""
                insert into spawns (creature_id, species, rarity, geog, spawned_at, expires_at, cell_id)
                values (@c, 'sparkmouse', 'common', ST_SetSRID(ST_MakePoint(2.3456789, 48.8567891), 4326)::geography, @t, @t, 'c')
                """, ("c", $"spawn-{suffix}-{player}"), ("t", at));
            await db.ExecuteAsync("""
                insert into captures (creature_id, player_id, species, rarity, geog, captured_at, attempts, losers)
                values (@c, @p, 'sparkmouse', 'common', ST_SetSRID(ST_MakePoint(2.3456789, 48.8567891), 4326)::geography, @t, 1, 0)
                """, ("c", $"cap-{suffix}-{player}"), ("p", player), ("t", at));
            await db.ExecuteAsync("insert into erased_players values (@p, @t) on conflict (player_id) do nothing", ("p", $"{suffix}-{player}"), ("t", at));
            await db.ExecuteAsync("""
                insert into player_fair_play (player_id, strikes, strikes_at_ms, updated_at) values (@p, 1, 0, @t)
                """, ("p", $"{suffix}-{player}"), ("t", at));
        }

        var result = await new PlayerDataStore(db.DataSource).ApplyRetentionAsync(now, retentionDays: 30);

        Assert.Equal(1, await CountAsync("zone_visits", player));
        Assert.Equal(1, await CountAsync("creature_sightings", player));
        Assert.Equal(1, await db.ScalarAsync<long>("select count(*) from spawns where creature_id like '%' || @p", ("p", player)));
        Assert.Equal(0, await db.ScalarAsync<long>("select count(*) from erased_players where player_id = @p", ("p", "old-" + player)));
        Assert.Equal(1, await db.ScalarAsync<long>("select count(*) from erased_players where player_id = @p", ("p", "new-" + player)));
        Assert.Equal(0, await db.ScalarAsync<long>("select count(*) from player_fair_play where player_id = @p", ("p", "old-" + player)));
        Assert.Equal(1, await db.ScalarAsync<long>("select count(*) from player_fair_play where player_id = @p", ("p", "new-" + player)));

        // Captures are the collection: kept, but the old one only knows its place to 0.01°.
        Assert.Equal(2, await CountAsync("captures", player));
        Assert.Equal(2.35, await db.ScalarAsync<double>("select ST_X(geog::geometry) from captures where creature_id = @c", ("c", "cap-old-" + player)), 9);
        Assert.Equal(2.3456789, await db.ScalarAsync<double>("select ST_X(geog::geometry) from captures where creature_id = @c", ("c", "cap-new-" + player)), 9);
        Assert.True(result.CapturesCoarsened >= 1);

        // Coarsened once: a second pass finds nothing left to do for this player.
        await new PlayerDataStore(db.DataSource).ApplyRetentionAsync(now, retentionDays: 30);
        Assert.Equal(1, await db.ScalarAsync<long>("select count(*) from captures where player_id = @p and location_coarsened", ("p", player)));
    }

    [Fact]
    public async Task The_export_holds_every_stored_column_of_every_table_about_the_player()
    {
        var player = NewPlayer("export");
        var zone = Guid.NewGuid();
        await db.ExecuteAsync("""
            insert into position_samples (player_id, seq, server_time, device_time, geog, accuracy, heading, speed, course, accel_x, accel_y, accel_z, cell_id)
            values (@p, 1, @t, @t, ST_SetSRID(ST_MakePoint(2.35, 48.85), 4326)::geography, 4, 90, 1.5, 91, 0.25, -0.5, 9.75, 'c')
            """, ("p", player), ("t", Noon));
        await db.ExecuteAsync("insert into zone_visits (zone_id, player_id, entered_at, last_seen_at, exited_at) values (@z, @p, @t, @t, @t)", ("z", zone), ("p", player), ("t", Noon));
        await db.ExecuteAsync("insert into creature_sightings values (@z, @p, @t)", ("z", zone), ("p", player), ("t", Noon));
        await db.ExecuteAsync("""
            insert into captures (creature_id, player_id, species, rarity, geog, captured_at, attempts, losers)
            values (@c, @p, 'sparkmouse', 'common', ST_SetSRID(ST_MakePoint(2.35, 48.85), 4326)::geography, @t, 3, 2)
            """, ("c", "cap-" + player), ("p", player), ("t", Noon));
        await db.ExecuteAsync("insert into player_accounts (device_id, player_id, secret_hash) values (@d, @p, '\\x00')", ("d", "dev-" + player), ("p", player));
        await new PostgresFairPlayStore(db.DataSource).SaveAsync(player, new FairPlayState(2, 1_000, 5_000, new TrustedPosition(1_000, 48.85, 2.35, 5)));

        using var output = new MemoryStream();
        await new PlayerDataStore(db.DataSource).ExportPlayerAsync(player, output);
        using var json = JsonDocument.Parse(output.ToArray());
        var byKind = json.RootElement.GetProperty("features").EnumerateArray()
            .GroupBy(f => f.GetProperty("properties").GetProperty("kind").GetString()!)
            .ToDictionary(g => g.Key, g => g.First());

        var position = byKind["position"].GetProperty("properties");
        Assert.Equal(0.25, position.GetProperty("accelX").GetDouble(), 6);
        Assert.Equal(-0.5, position.GetProperty("accelY").GetDouble(), 6);
        Assert.Equal(9.75, position.GetProperty("accelZ").GetDouble(), 6);
        Assert.Equal(3, byKind["capture"].GetProperty("properties").GetProperty("attempts").GetInt32());
        Assert.Equal(2, byKind["capture"].GetProperty("properties").GetProperty("losers").GetInt32());
        Assert.Equal(2, byKind["fairPlay"].GetProperty("properties").GetProperty("strikes").GetInt32());
        Assert.Equal("dev-" + player, byKind["account"].GetProperty("properties").GetProperty("deviceId").GetString());

        // Every column the schema has for these tables appears in the export (a new column without
        // an export field fails here). Columns that are not fields of their own are listed.
        var exported = new Dictionary<string, string>
        {
            ["position_samples"] = "position", ["captures"] = "capture", ["zone_visits"] = "zoneVisit",
            ["creature_sightings"] = "sighting", ["player_fair_play"] = "fairPlay", ["player_accounts"] = "account",
        };
        var notFields = new HashSet<string>
        {
            "player_id", // whose export it is
            "id", // zone_visits: an internal row number
            "geog", "trusted_lat", "trusted_lon", // the feature's geometry
            "first_seen_at", // sighting: seenAt
            "strikes_at_ms", "banned_until_ms", "trusted_at_ms", // as strikesAt, bannedUntil, trustedAt
            "secret_hash", // a credential, not play data
        };
        foreach (var (table, kind) in exported)
        {
            var properties = byKind[kind].GetProperty("properties");
            await using var cmd = db.DataSource.CreateCommand(
                "select column_name from information_schema.columns where table_schema = 'public' and table_name = @t");
            cmd.Parameters.AddWithValue("t", table);
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync())
            {
                var column = r.GetString(0);
                if (notFields.Contains(column))
                {
                    continue;
                }

                var camel = string.Concat(column.Split('_').Select((part, i) => i == 0 ? part : char.ToUpperInvariant(part[0]) + part[1..]));
                Assert.True(properties.TryGetProperty(camel, out _), $"{table}.{column} is not in the export as {camel}");
            }
        }
    }
}
