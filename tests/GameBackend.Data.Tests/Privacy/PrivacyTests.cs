using System.Text.Json;
using GameBackend.Data.History;
using GameBackend.Data.Privacy;
using GameBackend.Data.Tests.Infrastructure;

namespace GameBackend.Data.Tests.Privacy;

public sealed class PrivacyTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private static readonly DateTimeOffset Now = new(2026, 6, 15, 10, 0, 0, TimeSpan.Zero);

    private Task InsertPositionAsync(string player, long seq, DateTimeOffset at, double lon = 2.35, double lat = 48.85) =>
        db.ExecuteAsync("""
            insert into position_samples (player_id, seq, server_time, device_time, geog, accuracy, cell_id)
            values (@p, @s, @t, @t, ST_SetSRID(ST_MakePoint(@lon, @lat), 4326)::geography, 4, 'c')
            """, ("p", player), ("s", seq), ("t", at), ("lon", lon), ("lat", lat));

    private Task<string> PartitionOfAsync(string player, long seq) =>
        db.ScalarAsync<string>("select tableoid::regclass::text from position_samples where player_id = @p and seq = @s", ("p", player), ("s", seq));

    [Fact]
    public async Task Partitions_are_created_around_today_and_adopt_rows_from_the_default_partition()
    {
        var partitions = new PositionPartitions(db.DataSource);
        // A row for tomorrow arrives before its partition exists: it lands in the default partition.
        await InsertPositionAsync("early", 1, Now.AddDays(1));
        Assert.Equal("position_samples_default", await PartitionOfAsync("early", 1));

        var names = await partitions.EnsureAroundAsync(Now);
        var again = await partitions.EnsureAroundAsync(Now);

        Assert.Equal(["position_samples_p20260614", "position_samples_p20260615", "position_samples_p20260616", "position_samples_p20260617"], names);
        Assert.Equal(names, again);
        Assert.Equal("position_samples_p20260616", await PartitionOfAsync("early", 1));
    }

    [Fact]
    public async Task Retention_drops_day_partitions_older_than_the_window_only()
    {
        var partitions = new PositionPartitions(db.DataSource);
        var old = Now.AddDays(-31);
        var recent = Now.AddDays(-29);
        await partitions.EnsureAsync(DateOnly.FromDateTime(old.UtcDateTime));
        await partitions.EnsureAsync(DateOnly.FromDateTime(recent.UtcDateTime));
        await InsertPositionAsync("ret", 1, old);
        await InsertPositionAsync("ret", 2, recent);
        await InsertPositionAsync("ret", 3, Now.AddDays(-45)); // no partition: default

        var dropped = await new PlayerDataStore(db.DataSource).DropExpiredPositionsAsync(Now, retentionDays: 30);

        Assert.Contains("position_samples_p20260515", dropped);
        Assert.DoesNotContain("position_samples_p20260517", dropped);
        Assert.Equal(2, await db.ScalarAsync<long>("select min(seq) from position_samples where player_id = 'ret'"));
        Assert.Equal(1, await db.ScalarAsync<long>("select count(*) from position_samples where player_id = 'ret'"));
    }

    [Fact]
    public async Task Deleting_a_player_erases_positions_visits_and_sightings_of_that_player_only()
    {
        var zone = Guid.NewGuid();
        foreach (var player in new[] { "erase-me", "keep-me" })
        {
            await InsertPositionAsync(player, 1, Now);
            await InsertPositionAsync(player, 2, Now.AddSeconds(5));
            await db.ExecuteAsync("insert into zone_visits (zone_id, player_id, entered_at, last_seen_at) values (@z, @p, @t, @t)",
                ("z", zone), ("p", player), ("t", Now));
            await db.ExecuteAsync("insert into creature_sightings values (@z, @p, @t)", ("z", zone), ("p", player), ("t", Now));
        }

        var deleted = await new PlayerDataStore(db.DataSource).DeletePlayerAsync("erase-me");

        Assert.Equal(new PlayerDeletion(2, 1, 1, 0), deleted);
        Assert.Equal(0, await db.ScalarAsync<long>("""
            select (select count(*) from position_samples where player_id = 'erase-me')
                 + (select count(*) from zone_visits where player_id = 'erase-me')
                 + (select count(*) from creature_sightings where player_id = 'erase-me')
            """));
        Assert.Equal(4, await db.ScalarAsync<long>("""
            select (select count(*) from position_samples where player_id = 'keep-me')
                 + (select count(*) from zone_visits where player_id = 'keep-me')
                 + (select count(*) from creature_sightings where player_id = 'keep-me')
            """));
    }

    [Fact]
    public async Task Export_is_a_geojson_feature_collection_with_lon_lat_points()
    {
        var zone = Guid.NewGuid();
        await InsertPositionAsync("export", 1, Now, lon: 13.405, lat: 52.52);
        await InsertPositionAsync("export", 2, Now.AddSeconds(3), lon: 13.406, lat: 52.521);
        await InsertPositionAsync("someone-else", 1, Now);
        await db.ExecuteAsync("""
            insert into captures values ('cx', 'export', 'sparkmouse', 'rare', ST_SetSRID(ST_MakePoint(13.4, 52.5), 4326)::geography, @t, 2, 1)
            """, ("t", Now));
        await db.ExecuteAsync("insert into zone_visits (zone_id, player_id, entered_at, last_seen_at) values (@z, 'export', @t, @t)", ("z", zone), ("t", Now));

        using var stream = new MemoryStream();
        await new PlayerDataStore(db.DataSource).ExportPlayerAsync("export", stream);

        using var doc = JsonDocument.Parse(stream.ToArray());
        Assert.Equal("FeatureCollection", doc.RootElement.GetProperty("type").GetString());
        var features = doc.RootElement.GetProperty("features").EnumerateArray().ToList();
        Assert.Equal(4, features.Count);
        var first = features[0];
        Assert.Equal("Feature", first.GetProperty("type").GetString());
        Assert.Equal("Point", first.GetProperty("geometry").GetProperty("type").GetString());
        var coordinates = first.GetProperty("geometry").GetProperty("coordinates").EnumerateArray().Select(c => c.GetDouble()).ToList();
        Assert.Equal([13.405, 52.52], coordinates);
        Assert.Equal("position", first.GetProperty("properties").GetProperty("kind").GetString());
        Assert.Equal(1, first.GetProperty("properties").GetProperty("seq").GetInt64());
        Assert.Equal(Now, first.GetProperty("properties").GetProperty("serverTime").GetDateTimeOffset());
        Assert.Equal("capture", features[2].GetProperty("properties").GetProperty("kind").GetString());
        Assert.Equal(JsonValueKind.Null, features[3].GetProperty("geometry").ValueKind);
        Assert.Equal(zone, features[3].GetProperty("properties").GetProperty("zoneId").GetGuid());
    }
}
