using GameBackend.Data.Analytics;
using GameBackend.Data.Tests.Infrastructure;
using GameBackend.Data.Zones;
using Microsoft.Extensions.Time.Testing;
using NetTopologySuite.Geometries;

namespace GameBackend.Data.Tests.Analytics;

/// <summary>
/// Sponsor analytics count zone-hours of k or more players only (issue 13, finding 3): across zones,
/// below the minimum area, and against the zone's shape at the time. Own database, own sponsor per test.
/// </summary>
public sealed class AnalyticsCellTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private static readonly DateTimeOffset Ten = new(2026, 7, 1, 10, 0, 0, TimeSpan.Zero);
    private static readonly Dictionary<string, double> Weights = new() { ["sparkmouse"] = 1 };

    private static Polygon Box(double lon, double lat, double size) => new GeometryFactory(new PrecisionModel(), 4326).CreatePolygon(
        [new(lon, lat), new(lon + size, lat), new(lon + size, lat + size), new(lon, lat + size), new(lon, lat)]);

    private Task VisitAsync(Guid zone, string player, DateTimeOffset at) => db.ExecuteAsync(
        "insert into zone_visits (zone_id, player_id, entered_at, exited_at, last_seen_at) values (@z, @p, @t, @t, @t)",
        ("z", zone), ("p", player), ("t", at));

    private Task CaptureAsync(string id, string player, double lon, double lat, DateTimeOffset at) => db.ExecuteAsync("""
        insert into captures (creature_id, player_id, species, rarity, geog, captured_at, attempts, losers)
        values (@c, @p, 'sparkmouse', 'common', ST_SetSRID(ST_MakePoint(@lon, @lat), 4326)::geography, @t, 1, 0)
        """, ("c", id), ("p", player), ("lon", lon), ("lat", lat), ("t", at));

    [Fact]
    public async Task A_lone_player_in_another_zone_does_not_show_in_the_sponsors_all_zones_answer()
    {
        var sponsor = (await new SponsorStore(db.DataSource).CreateAsync("S1")).Sponsor.Id;
        var zones = new ZoneStore(db.DataSource);
        var busy = (await zones.CreateAsync(sponsor, SponsorZoneInput.ForPolygon("busy", Box(30.0, 40.0, 0.01), Weights, 10, 5))).Zone!.Id;
        var quiet = (await zones.CreateAsync(sponsor, SponsorZoneInput.ForPolygon("quiet", Box(30.1, 40.0, 0.01), Weights, 10, 5))).Zone!.Id;
        for (var i = 0; i < 5; i++)
        {
            await VisitAsync(busy, $"busy-{sponsor:N}-{i}", Ten.AddMinutes(i));
        }

        await VisitAsync(quiet, $"target-{sponsor:N}", Ten.AddMinutes(30));
        var analytics = new AnalyticsQueries(db.DataSource);

        var one = await analytics.SponsorVisitsAsync(sponsor, busy, Ten, Ten.AddHours(1), TimeBucket.Hour);
        var all = await analytics.SponsorVisitsAsync(sponsor, null, Ten, Ten.AddHours(1), TimeBucket.Hour);
        // Before: all zones answered 6 players, one zone 5: the difference was the target.
        Assert.Equal(one, all);
        Assert.Equal(5, all.Single().UniquePlayers);
        Assert.Equal(
            await analytics.SponsorDwellAsync(sponsor, busy, Ten, Ten.AddHours(1)),
            await analytics.SponsorDwellAsync(sponsor, null, Ten, Ten.AddHours(1)));
    }

    [Fact]
    public async Task Zones_below_the_minimum_area_count_for_nothing()
    {
        var sponsor = (await new SponsorStore(db.DataSource).CreateAsync("S2")).Sponsor.Id;
        // 0.0005° at 40°N: about 43 m × 56 m, 2,400 m².
        var small = (await new ZoneStore(db.DataSource).CreateAsync(sponsor,
            SponsorZoneInput.ForPolygon("doorstep", Box(31.0, 40.0, 0.0005), Weights, 10, 5))).Zone!.Id;
        for (var i = 0; i < 5; i++)
        {
            await VisitAsync(small, $"door-{sponsor:N}-{i}", Ten.AddMinutes(i));
        }

        var analytics = new AnalyticsQueries(db.DataSource);
        Assert.Single(await analytics.SponsorVisitsAsync(sponsor, null, Ten, Ten.AddHours(1), TimeBucket.Hour, minZoneAreaSquareMeters: 1_000));
        Assert.Empty(await analytics.SponsorVisitsAsync(sponsor, null, Ten, Ten.AddHours(1), TimeBucket.Hour, minZoneAreaSquareMeters: 10_000));
        Assert.InRange((await analytics.SponsorZoneAreaAsync(sponsor, small))!.Value, 2_000, 3_000);
    }

    [Fact]
    public async Task Captures_are_matched_with_the_zone_shape_in_force_when_they_happened()
    {
        var sponsor = (await new SponsorStore(db.DataSource).CreateAsync("S3")).Sponsor.Id;
        var time = new FakeTimeProvider(Ten.AddDays(1));
        var zones = new ZoneStore(db.DataSource, time);
        var zone = (await zones.CreateAsync(sponsor, SponsorZoneInput.ForPolygon("park", Box(32.0, 40.0, 0.01), Weights, 10, 5))).Zone!.Id;
        for (var i = 0; i < 5; i++)
        {
            await CaptureAsync($"in-{sponsor:N}-{i}", $"in-{sponsor:N}-{i}", 32.005, 40.005, Ten.AddMinutes(i));
            await CaptureAsync($"out-{sponsor:N}-{i}", $"out-{sponsor:N}-{i}", 32.025, 40.005, Ten.AddMinutes(i));
            // After the re-shape, inside the new shape only.
            await CaptureAsync($"late-{sponsor:N}-{i}", $"late-{sponsor:N}-{i}", 32.025, 40.005, Ten.AddDays(2).AddMinutes(i));
        }

        var analytics = new AnalyticsQueries(db.DataSource);
        Assert.Equal(5, (await analytics.SponsorCapturesBySpeciesAsync(sponsor, zone, Ten, Ten.AddDays(3))).Single().Captures);

        time.Advance(TimeSpan.FromHours(1));
        await zones.UpdateAsync(sponsor, zone, SponsorZoneInput.ForPolygon("park", Box(32.0, 40.0, 0.03), Weights, 10, 5));

        // Before: the past captures made outside moved in (5 → 10). Now only the later ones join.
        Assert.Equal(5, (await analytics.SponsorCapturesBySpeciesAsync(sponsor, zone, Ten, Ten.AddHours(1))).Single().Captures);
        Assert.Equal(10, (await analytics.SponsorCapturesBySpeciesAsync(sponsor, zone, Ten, Ten.AddDays(3))).Single().Captures);
        Assert.Equal(2, await db.ScalarAsync<long>("select count(*) from sponsor_zone_versions where zone_id = @z", ("z", zone)));
    }
}
