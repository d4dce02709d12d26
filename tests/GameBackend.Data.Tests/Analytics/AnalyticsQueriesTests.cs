using GameBackend.Data.Analytics;
using GameBackend.Data.Tests.Infrastructure;
using GameBackend.Data.Zones;
using NetTopologySuite.Geometries;

namespace GameBackend.Data.Tests.Analytics;

/// <summary>
/// A small hand-computed world on 2026-05-04 (UTC). Sponsor A owns zone A1, sponsor B owns B1.
/// A1 visits: 10:00 players p1..p5 (dwell 60·i s); 11:00 p1, p2 (dwell 600 s) and p6 (still inside).
/// B1 visits: 10:00 players b1..b10. Sightings for A1 at 09:50: p1..p7.
/// Captures: in A1 sparkmouse by p1..p5 (+ a second by p1), leafcat by p1, p2; sparkmouse outside
/// every zone by p9; sparkmouse in B1 by b1..b5.
/// </summary>
public sealed class AnalyticsScenario : IAsyncLifetime
{
    public static readonly DateTimeOffset Day = new(2026, 5, 4, 0, 0, 0, TimeSpan.Zero);

    public TestDatabase Db { get; } = new();

    public Guid SponsorA { get; private set; }

    public Guid SponsorB { get; private set; }

    public Guid ZoneA1 { get; private set; }

    public Guid ZoneB1 { get; private set; }

    private static Polygon Box(double lon, double lat) => new GeometryFactory(new PrecisionModel(), 4326).CreatePolygon(
        [new(lon, lat), new(lon + 0.01, lat), new(lon + 0.01, lat + 0.01), new(lon, lat + 0.01), new(lon, lat)]);

    public async Task InitializeAsync()
    {
        await Db.InitializeAsync();
        var sponsors = new SponsorStore(Db.DataSource);
        var zones = new ZoneStore(Db.DataSource);
        SponsorA = (await sponsors.CreateAsync("A")).Sponsor.Id;
        SponsorB = (await sponsors.CreateAsync("B")).Sponsor.Id;
        var weights = new Dictionary<string, double> { ["sparkmouse"] = 1 };
        ZoneA1 = (await zones.CreateAsync(SponsorA, SponsorZoneInput.ForPolygon("A1", Box(10.0, 50.0), weights, 10, 5))).Zone!.Id;
        ZoneB1 = (await zones.CreateAsync(SponsorB, SponsorZoneInput.ForPolygon("B1", Box(20.0, 50.0), weights, 10, 5))).Zone!.Id;

        var ten = Day.AddHours(10);
        var eleven = Day.AddHours(11);
        for (var i = 1; i <= 5; i++)
        {
            await VisitAsync(ZoneA1, $"p{i}", ten.AddMinutes(i), ten.AddMinutes(i).AddSeconds(60 * i));
            await CaptureAsync($"a-spark-{i}", $"p{i}", "sparkmouse", "common", 10.005, 50.005, ten.AddMinutes(20));
            await SightingAsync(ZoneA1, $"p{i}", Day.AddHours(9).AddMinutes(50));
        }

        await VisitAsync(ZoneA1, "p1", eleven, eleven.AddSeconds(600));
        await VisitAsync(ZoneA1, "p2", eleven.AddMinutes(1), eleven.AddMinutes(1).AddSeconds(600));
        await VisitAsync(ZoneA1, "p6", eleven.AddMinutes(5), null);
        await SightingAsync(ZoneA1, "p6", Day.AddHours(9).AddMinutes(50));
        await SightingAsync(ZoneA1, "p7", Day.AddHours(9).AddMinutes(50));
        await CaptureAsync("a-spark-extra", "p1", "sparkmouse", "common", 10.001, 50.001, ten.AddMinutes(30));
        await CaptureAsync("a-leaf-1", "p1", "leafcat", "rare", 10.002, 50.002, ten.AddMinutes(31));
        await CaptureAsync("a-leaf-2", "p2", "leafcat", "rare", 10.003, 50.003, ten.AddMinutes(32));
        await CaptureAsync("outside", "p9", "sparkmouse", "common", 10.5, 50.5, ten.AddMinutes(33));
        for (var i = 1; i <= 10; i++)
        {
            await VisitAsync(ZoneB1, $"b{i}", ten.AddMinutes(i), ten.AddMinutes(i + 1));
            if (i <= 5)
            {
                await CaptureAsync($"b-spark-{i}", $"b{i}", "sparkmouse", "common", 20.005, 50.005, ten.AddMinutes(40));
                await SightingAsync(ZoneB1, $"b{i}", Day.AddHours(9).AddMinutes(55));
            }
        }

        // Spawns for the operator's species/rarity table.
        await SpawnAsync("s1", "sparkmouse", "common");
        await SpawnAsync("s2", "sparkmouse", "common");
        await SpawnAsync("s3", "sparkmouse", "common");
        await SpawnAsync("s4", "leafcat", "rare");
        await SpawnAsync("s5", "bluefish", "epic");

        // Positions for the heatmap and active players (box 0..1 x 0..1, cells of 0.5°).
        await PositionAsync("p1", 1, 0.1, 0.1, ten);
        await PositionAsync("p1", 2, 0.1, 0.1, ten.AddMinutes(1));
        await PositionAsync("p2", 1, 0.2, 0.3, ten.AddMinutes(2));
        await PositionAsync("p3", 1, 0.7, 0.1, ten.AddMinutes(3));
        await PositionAsync("p4", 1, 1.5, 0.5, ten.AddMinutes(4)); // outside the box, still active
        await PositionAsync("p1", 3, 0.1, 0.1, eleven);
        await PositionAsync("p5", 1, 0.1, 0.1, Day.AddDays(-1)); // outside the time range
    }

    public Task DisposeAsync() => Db.DisposeAsync();

    private Task VisitAsync(Guid zone, string player, DateTimeOffset entered, DateTimeOffset? exited) => Db.ExecuteAsync(
        "insert into zone_visits (zone_id, player_id, entered_at, exited_at, last_seen_at) values (@z, @p, @e, @x, @l)",
        ("z", zone), ("p", player), ("e", entered), ("x", (object?)exited ?? DBNull.Value), ("l", exited ?? entered));

    private Task SightingAsync(Guid zone, string player, DateTimeOffset at) =>
        Db.ExecuteAsync("insert into creature_sightings values (@z, @p, @t)", ("z", zone), ("p", player), ("t", at));

    private Task CaptureAsync(string id, string player, string species, string rarity, double lon, double lat, DateTimeOffset at) => Db.ExecuteAsync(
        "insert into captures values (@id, @p, @s, @r, ST_SetSRID(ST_MakePoint(@lon, @lat), 4326)::geography, @t, 1, 0)",
        ("id", id), ("p", player), ("s", species), ("r", rarity), ("lon", lon), ("lat", lat), ("t", at));

    private Task SpawnAsync(string id, string species, string rarity) => Db.ExecuteAsync(
        "insert into spawns values (@id, @s, @r, ST_SetSRID(ST_MakePoint(1, 1), 4326)::geography, @t, @t, 'c', null)",
        ("id", id), ("s", species), ("r", rarity), ("t", Day.AddHours(9)));

    private Task PositionAsync(string player, long seq, double lon, double lat, DateTimeOffset at) => Db.ExecuteAsync("""
        insert into position_samples (player_id, seq, server_time, device_time, geog, cell_id)
        values (@p, @s, @t, @t, ST_SetSRID(ST_MakePoint(@lon, @lat), 4326)::geography, 'c')
        """, ("p", player), ("s", seq), ("t", at), ("lon", lon), ("lat", lat));
}

public sealed class AnalyticsQueriesTests(AnalyticsScenario world) : IClassFixture<AnalyticsScenario>
{
    private static readonly DateTimeOffset From = AnalyticsScenario.Day;
    private static readonly DateTimeOffset To = AnalyticsScenario.Day.AddDays(1);
    private readonly AnalyticsQueries _analytics = new(world.Db.DataSource);

    [Fact]
    public async Task Hourly_visits_leave_out_buckets_with_fewer_than_k_players()
    {
        var buckets = await _analytics.SponsorVisitsAsync(world.SponsorA, world.ZoneA1, From, To, TimeBucket.Hour);

        // 11:00 (p1, p2, p6: 3 < 5) is not returned at all: a "suppressed" row would prove a visit.
        Assert.Equal([new VisitBucket(From.AddHours(10), 5, 5, false)], buckets);

        // The day is made of counting hours only: 11:00 adds nothing (it did: 6 players, 8 visits),
        // so the day and its hours cannot be subtracted from each other.
        var daily = await _analytics.SponsorVisitsAsync(world.SponsorA, null, From, To, TimeBucket.Day);
        Assert.Equal([new VisitBucket(From, 5, 5, false)], daily);
        var k2 = await _analytics.SponsorVisitsAsync(world.SponsorA, world.ZoneA1, From, To, TimeBucket.Hour, k: 2);
        Assert.Equal(new VisitBucket(From.AddHours(11), 3, 3, false), k2[1]);
    }

    [Fact]
    public async Task Sponsors_only_see_their_own_zones()
    {
        Assert.Empty(await _analytics.SponsorVisitsAsync(world.SponsorA, world.ZoneB1, From, To, TimeBucket.Hour));
        Assert.Empty(await _analytics.SponsorCapturesBySpeciesAsync(world.SponsorA, world.ZoneB1, From, To, k: 1));
        Assert.True((await _analytics.SponsorDwellAsync(world.SponsorA, world.ZoneB1, From, To, k: 1)).Suppressed);
        Assert.True((await _analytics.SponsorConversionAsync(world.SponsorA, world.ZoneB1, From, To, TimeSpan.FromHours(1), k: 1)).Suppressed);
        Assert.Equal([new VisitBucket(From.AddHours(10), 10, 10, false)],
            await _analytics.SponsorVisitsAsync(world.SponsorB, null, From, To, TimeBucket.Hour));
        Assert.Empty(await _analytics.SponsorVisitsAsync(Guid.NewGuid(), null, From, To, TimeBucket.Hour));
    }

    [Fact]
    public async Task Mean_dwell_uses_closed_visits_only()
    {
        // 10:00 only: (60+120+180+240+300) / 5 = 180 s. 11:00 (p1, p2 and p6, still inside: 3 < 5)
        // counts for nothing; it used to make the mean 300 s over 7 visits.
        Assert.Equal(new DwellStatistics(5, 5, 180, false), await _analytics.SponsorDwellAsync(world.SponsorA, world.ZoneA1, From, To));
        Assert.Equal(new DwellStatistics(5, 7, 300, false), await _analytics.SponsorDwellAsync(world.SponsorA, world.ZoneA1, From, To, k: 3));
        Assert.Equal(new DwellStatistics(null, null, null, true), await _analytics.SponsorDwellAsync(world.SponsorA, world.ZoneA1, From, To, k: 6));
    }

    [Fact]
    public async Task Captures_by_species_count_captures_inside_the_zone_and_leave_out_small_groups()
    {
        // leafcat (p1, p2) is left out, not returned suppressed.
        Assert.Equal(
            [new SpeciesCaptures("sparkmouse", 6, 5, false)],
            await _analytics.SponsorCapturesBySpeciesAsync(world.SponsorA, world.ZoneA1, From, To));
        Assert.Equal(
            [new SpeciesCaptures("leafcat", 2, 2, false), new SpeciesCaptures("sparkmouse", 6, 5, false)],
            await _analytics.SponsorCapturesBySpeciesAsync(world.SponsorA, world.ZoneA1, From, To, k: 2));
    }

    [Fact]
    public async Task Conversion_counts_players_entering_within_the_window_after_a_sighting()
    {
        // Sighted 09:50: p1..p7. p1..p5 enter 10:01..10:05 (within 30 min); p6 enters 11:05; p7 never.
        var conversion = await _analytics.SponsorConversionAsync(world.SponsorA, world.ZoneA1, From, To, TimeSpan.FromMinutes(30));
        Assert.Equal(new ZoneConversion(7, 5, 5 / 7.0, false), conversion);
        Assert.True((await _analytics.SponsorConversionAsync(world.SponsorA, world.ZoneA1, From, To, TimeSpan.FromMinutes(30), k: 6)).Suppressed);
        Assert.Equal(new ZoneConversion(7, 6, 6 / 7.0, false),
            await _analytics.SponsorConversionAsync(world.SponsorA, world.ZoneA1, From, To, TimeSpan.FromHours(2)));
    }

    [Fact]
    public async Task Heatmap_counts_samples_and_players_per_grid_cell()
    {
        var cells = await _analytics.HeatmapAsync(0, 0, 1, 1, From, To, 0.5);
        Assert.Equal([new HeatmapCell(0, 0, 0.5, 0.5, 4, 2), new HeatmapCell(0.5, 0, 1, 0.5, 1, 1)], cells);
        Assert.Equal([new HeatmapCell(0, 0, 0.5, 0.5, 4, 2)], await _analytics.HeatmapAsync(0, 0, 1, 1, From, To, 0.5, minUniquePlayers: 2));
        await Assert.ThrowsAsync<ArgumentException>(() => _analytics.HeatmapAsync(0, 0, 100, 100, From, To, 0.001));
    }

    [Fact]
    public async Task Operator_species_table_and_active_players()
    {
        Assert.Equal(
            [
                new SpeciesRarityCounts("bluefish", "epic", 1, 0),
                new SpeciesRarityCounts("leafcat", "rare", 1, 2),
                new SpeciesRarityCounts("sparkmouse", "common", 3, 12),
            ],
            await _analytics.SpawnsAndCapturesAsync(From, To));
        Assert.Equal(
            [new ActivePlayersBucket(From.AddHours(10), 4), new ActivePlayersBucket(From.AddHours(11), 1)],
            await _analytics.ActivePlayersAsync(From, To, TimeBucket.Hour));
    }
}
