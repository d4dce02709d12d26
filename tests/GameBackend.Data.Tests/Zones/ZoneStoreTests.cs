using GameBackend.Data.Tests.Infrastructure;
using GameBackend.Data.Zones;
using NetTopologySuite.Geometries;

namespace GameBackend.Data.Tests.Zones;

public sealed class ZoneStoreTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private static readonly GeometryFactory Factory = new(new PrecisionModel(), 4326);
    private static readonly Dictionary<string, double> Weights = new() { ["sparkmouse"] = 3, ["leafcat"] = 1 };

    private readonly SponsorStore _sponsors = new(db.DataSource);
    private readonly ZoneStore _zones = new(db.DataSource);

    /// <summary>Axis-aligned box in lon/lat.</summary>
    private static Polygon Box(double minLon, double minLat, double maxLon, double maxLat) => Factory.CreatePolygon(
    [
        new(minLon, minLat), new(maxLon, minLat), new(maxLon, maxLat), new(minLon, maxLat), new(minLon, minLat),
    ]);

    [Fact]
    public async Task Api_keys_verify_to_their_sponsor_and_only_a_hash_is_stored()
    {
        var a = await _sponsors.CreateAsync("Café A");
        var b = await _sponsors.CreateAsync("Shop B");

        Assert.Equal(a.Sponsor.Id, await _sponsors.VerifyApiKeyAsync(a.ApiKey));
        Assert.Equal(b.Sponsor.Id, await _sponsors.VerifyApiKeyAsync(b.ApiKey));
        Assert.Null(await _sponsors.VerifyApiKeyAsync(a.ApiKey[..^1] + (a.ApiKey[^1] == 'x' ? 'y' : 'x')));
        Assert.Null(await _sponsors.VerifyApiKeyAsync(""));
        Assert.Null(await _sponsors.VerifyApiKeyAsync("not-a-key"));
        Assert.Equal("Café A", (await _sponsors.GetAsync(a.Sponsor.Id))!.Name);
        Assert.Equal(0, await db.ScalarAsync<long>("select count(*) from sponsors where encode(api_key_hash, 'escape') like '%' || @k || '%'", ("k", a.ApiKey)));
        Assert.Equal(32, await db.ScalarAsync<int>("select length(api_key_hash) from sponsors where id = @id", ("id", a.Sponsor.Id)));
    }

    [Fact]
    public async Task A_sponsor_is_found_by_name_oldest_first_and_unknown_names_are_null()
    {
        var name = "Demo " + Guid.NewGuid().ToString("N")[..8];
        var first = await _sponsors.CreateAsync(name);
        await _sponsors.CreateAsync(name);

        Assert.Equal(first.Sponsor.Id, await _sponsors.FindByNameAsync(name));
        Assert.Null(await _sponsors.FindByNameAsync(name + " (none)"));
    }

    [Fact]
    public async Task A_circle_is_stored_as_a_polygon_with_its_center_and_radius()
    {
        var sponsor = (await _sponsors.CreateAsync("Circle Co")).Sponsor;

        var result = await _zones.CreateAsync(sponsor.Id, SponsorZoneInput.ForCircle("Plaza", 40.4168, -3.7038, 100, Weights, 12, 4));

        Assert.False(result.Clipped);
        var zone = Assert.IsType<SponsorZone>(result.Zone);
        Assert.Equal(ZoneKind.Circle, zone.Kind);
        Assert.Equal(100, zone.RadiusMeters);
        Assert.Equal(-3.7038, zone.Center!.X, 9);
        Assert.Equal(40.4168, zone.Center.Y, 9);
        Assert.Equal(3, zone.SpeciesWeights["sparkmouse"]);
        var area = await db.ScalarAsync<double>("select ST_Area(geog) from sponsor_zones where id = @id", ("id", zone.Id));
        Assert.InRange(area, Math.PI * 100 * 100 * 0.98, Math.PI * 100 * 100 * 1.01);
        Assert.True(zone.Area.Contains(new Point(-3.7038, 40.4168)));
    }

    [Fact]
    public async Task A_zone_overlapping_an_exclusion_zone_is_clipped_and_one_inside_it_is_refused()
    {
        var sponsor = (await _sponsors.CreateAsync("Clip Co")).Sponsor;
        var school = await _zones.CreateExclusionAsync("School", Box(10.000, 50.000, 10.001, 50.001));

        var overlapping = await _zones.CreateAsync(sponsor.Id, SponsorZoneInput.ForPolygon("Half", Box(10.0005, 50.000, 10.002, 50.001), Weights, 6, 3));
        var inside = await _zones.CreateAsync(sponsor.Id, SponsorZoneInput.ForPolygon("Inside", Box(10.0002, 50.0002, 10.0008, 50.0008), Weights, 6, 3));
        var apart = await _zones.CreateAsync(sponsor.Id, SponsorZoneInput.ForPolygon("Apart", Box(10.01, 50.01, 10.02, 50.02), Weights, 6, 3));

        Assert.True(overlapping.Clipped);
        var clipped = overlapping.Zone!;
        Assert.True(clipped.Clipped);
        Assert.Equal(0.0015 * 0.001, clipped.RequestedArea.Area, 9);
        Assert.Equal(0.0010 * 0.001, clipped.Area.Area, 9);
        Assert.Equal(0, clipped.Area.Intersection(school.Area).Area, 12);
        Assert.True(inside.FullyExcluded);
        Assert.Null(inside.Zone);
        Assert.False(apart.Clipped);
        Assert.Equal(2, (await _zones.ListAsync(sponsor.Id)).Count);
        Assert.Single(await _zones.ListExclusionsAsync(), e => e.Id == school.Id);
        Assert.True(await _zones.DeleteExclusionAsync(school.Id));
        Assert.DoesNotContain(await _zones.ListExclusionsAsync(), e => e.Id == school.Id);
    }

    [Fact]
    public async Task Sponsors_cannot_see_or_change_each_others_zones()
    {
        var a = (await _sponsors.CreateAsync("A")).Sponsor;
        var b = (await _sponsors.CreateAsync("B")).Sponsor;
        var zoneA = (await _zones.CreateAsync(a.Id, SponsorZoneInput.ForCircle("A zone", 1, 1, 50, Weights, 1, 1))).Zone!;
        var edit = SponsorZoneInput.ForCircle("hijacked", 1, 1, 60, Weights, 1, 1);

        Assert.Null(await _zones.GetAsync(b.Id, zoneA.Id));
        Assert.DoesNotContain(await _zones.ListAsync(b.Id), z => z.Id == zoneA.Id);
        Assert.Null(await _zones.UpdateAsync(b.Id, zoneA.Id, edit));
        Assert.False(await _zones.DeleteAsync(b.Id, zoneA.Id));
        Assert.Equal("A zone", (await _zones.GetAsync(a.Id, zoneA.Id))!.Name);

        var updated = await _zones.UpdateAsync(a.Id, zoneA.Id, edit with { Name = "A renamed" });
        Assert.Equal("A renamed", updated!.Zone!.Name);
        Assert.Equal(60, updated.Zone.RadiusMeters);
        Assert.Contains(await _zones.ListActiveInEnvelopeAsync(new Envelope(0.99, 1.01, 0.99, 1.01), DateTimeOffset.UtcNow), z => z.Id == zoneA.Id);
        Assert.True(await _zones.DeleteAsync(a.Id, zoneA.Id));
        Assert.Null(await _zones.GetAsync(a.Id, zoneA.Id));
    }

    [Fact]
    public async Task Invalid_zone_definitions_are_rejected()
    {
        var sponsor = (await _sponsors.CreateAsync("Bad")).Sponsor;
        await Assert.ThrowsAsync<ArgumentException>(() => _zones.CreateAsync(sponsor.Id, SponsorZoneInput.ForCircle("r0", 1, 1, 0, Weights, 1, 1)));
        await Assert.ThrowsAsync<ArgumentException>(() => _zones.CreateAsync(sponsor.Id, SponsorZoneInput.ForCircle("neg", 1, 1, 10, Weights, -1, 1)));
        var bowtie = Factory.CreatePolygon([new(0, 0), new(1, 1), new(1, 0), new(0, 1), new(0, 0)]);
        await Assert.ThrowsAsync<ArgumentException>(() => _zones.CreateAsync(sponsor.Id, SponsorZoneInput.ForPolygon("bowtie", bowtie, Weights, 1, 1)));
    }
}
