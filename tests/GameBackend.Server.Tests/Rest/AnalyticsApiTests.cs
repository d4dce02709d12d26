using System.Net;

namespace GameBackend.Server.Tests.Rest;

public sealed class AnalyticsApiTests : IClassFixture<RestFixture>
{
    private static readonly DateTimeOffset Day = new(2030, 3, 10, 0, 0, 0, TimeSpan.Zero);

    private readonly RestFixture fixture;

    public AnalyticsApiTests(RestFixture fixture)
    {
        this.fixture = fixture;
        // Sponsor analytics answer only hours that are over by the game clock: move it past the seeded day.
        if (fixture.Server.Time.GetUtcNow() < Day.AddDays(2))
        {
            fixture.Server.Time.SetUtcNow(Day.AddDays(2));
        }
    }

    private HttpClient Http => fixture.Server.Http;

    private static string Range(DateTimeOffset from, DateTimeOffset to) =>
        $"from={from.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}&to={to.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}";

    private async Task<(Guid Sponsor, string Key, Guid Zone)> SponsorWithZoneAsync(double lat, double lon)
    {
        var (id, key) = await fixture.CreateSponsorAsync();
        var zone = await (await Http.SendJsonAsync(HttpMethod.Post, $"/api/sponsors/{id}/zones",
            SponsorZoneTests.PolygonZone(SponsorZoneTests.Square(lat, lon)), Rest.Sponsor(key))).ReadJsonAsync();
        return (id, key, Guid.Parse(zone["id"]!.GetValue<string>()));
    }

    private async Task SeedVisitsAsync(Guid zone, int players, DateTimeOffset at)
    {
        for (var i = 0; i < players; i++)
        {
            await fixture.ExecuteAsync(
                "insert into zone_visits (zone_id, player_id, entered_at, exited_at, last_seen_at) values (@z, @p, @e, @x, @x)",
                ("z", zone), ("p", $"g-{zone:N}-{i}"), ("e", at.AddMinutes(i)), ("x", at.AddMinutes(i + 10)));
        }
    }

    [Fact]
    public async Task Visits_and_dwell_are_k_anonymous_per_sponsor()
    {
        var (sponsor, key, zone) = await SponsorWithZoneAsync(50.10, 8.68);
        var (_, _, sparse) = await SponsorWithZoneAsync(50.20, 8.68);
        await SeedVisitsAsync(zone, 6, Day.AddHours(9));
        await SeedVisitsAsync(sparse, 3, Day.AddHours(9));

        var visits = await Http.SendJsonAsync(HttpMethod.Get,
            $"/api/sponsors/{sponsor}/analytics/visits?zoneId={zone}&{Range(Day, Day.AddDays(1))}&bucket=hour", null, Rest.Sponsor(key));
        Assert.Equal(HttpStatusCode.OK, visits.StatusCode);
        var v = await visits.ReadJsonAsync();
        Assert.Equal(5, v["minUniquePlayers"]!.GetValue<int>());
        Assert.Equal(zone.ToString(), v["zoneId"]!.GetValue<string>());
        var bucket = v["data"]!.AsArray().Single()!;
        Assert.Equal(6, bucket["uniquePlayers"]!.GetValue<long>());
        Assert.Equal(6, bucket["visits"]!.GetValue<long>());
        Assert.False(bucket["suppressed"]!.GetValue<bool>());

        var dwell = await (await Http.SendJsonAsync(HttpMethod.Get,
            $"/api/sponsors/{sponsor}/analytics/dwell?{Range(Day, Day.AddDays(1))}", null, Rest.Sponsor(key))).ReadJsonAsync();
        Assert.Equal(600, dwell["data"]!["meanDwellSeconds"]!.GetValue<double>(), 3);

        var captures = await Http.SendJsonAsync(HttpMethod.Get,
            $"/api/sponsors/{sponsor}/analytics/captures?zoneId={zone}&{Range(Day, Day.AddDays(1))}", null, Rest.Sponsor(key));
        Assert.Equal(HttpStatusCode.OK, captures.StatusCode);
        var conversion = await Http.SendJsonAsync(HttpMethod.Get,
            $"/api/sponsors/{sponsor}/analytics/conversion?zoneId={zone}&{Range(Day, Day.AddDays(1))}&windowMinutes=30", null, Rest.Sponsor(key));
        Assert.True((await conversion.ReadJsonAsync())["data"]!["suppressed"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Another_sponsors_zone_is_not_found()
    {
        var (a, keyA, _) = await SponsorWithZoneAsync(50.30, 8.68);
        var (_, _, zoneB) = await SponsorWithZoneAsync(50.40, 8.68);
        await SeedVisitsAsync(zoneB, 6, Day.AddHours(9));
        foreach (var metric in new[] { "visits", "dwell", "captures", "conversion" })
        {
            var response = await Http.SendJsonAsync(HttpMethod.Get,
                $"/api/sponsors/{a}/analytics/{metric}?zoneId={zoneB}&{Range(Day, Day.AddDays(1))}", null, Rest.Sponsor(keyA));
            await response.AssertProblemAsync(HttpStatusCode.NotFound);
        }

        // Without zoneId the sponsor sees only its own zones: B's visits are not counted.
        var all = await (await Http.SendJsonAsync(HttpMethod.Get,
            $"/api/sponsors/{a}/analytics/visits?{Range(Day, Day.AddDays(1))}", null, Rest.Sponsor(keyA))).ReadJsonAsync();
        Assert.Empty(all["data"]!.AsArray());
        await (await Http.SendJsonAsync(HttpMethod.Get, $"/api/sponsors/{a}/analytics/visits?{Range(Day, Day.AddDays(1))}"))
            .AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("visits?to=2030-03-11T00:00:00Z", "from")]
    [InlineData("visits?from=yesterday&to=2030-03-11T00:00:00Z", "from")]
    [InlineData("visits?from=2030-03-11T00:00:00Z&to=2030-03-10T00:00:00Z", "to")]
    [InlineData("visits?from=2030-01-01T00:00:00Z&to=2030-03-01T00:00:00Z", "to")]
    [InlineData("visits?from=2030-03-10T00:00:00Z&to=2030-03-11T00:00:00Z&bucket=week", "bucket")]
    [InlineData("visits?from=2030-03-10T00:00:00Z&to=2030-03-11T00:00:00Z&zoneId=nope", "zoneId")]
    [InlineData("conversion?from=2030-03-10T00:00:00Z&to=2030-03-11T00:00:00Z&windowMinutes=0", "windowMinutes")]
    [InlineData("conversion?from=2030-03-10T00:00:00Z&to=2030-03-11T00:00:00Z&windowMinutes=2000", "windowMinutes")]
    public async Task Bad_sponsor_analytics_parameters_are_400(string pathAndQuery, string field)
    {
        var (id, key) = await fixture.CreateSponsorAsync();
        var response = await Http.SendJsonAsync(HttpMethod.Get, $"/api/sponsors/{id}/analytics/{pathAndQuery}", null, Rest.Sponsor(key));
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]![field]);
    }

    [Fact]
    public async Task Operator_heatmap_is_a_geojson_feature_collection()
    {
        for (var i = 0; i < 3; i++)
        {
            await fixture.ExecuteAsync("""
                insert into position_samples (player_id, seq, server_time, device_time, geog, cell_id)
                values (@p, 1, @t, @t, ST_SetSRID(ST_MakePoint(@lon, @lat), 4326)::geography, 'c')
                """, ("p", $"g-heat-{i}"), ("t", Day.AddHours(3)), ("lon", -70.005 + (i * 0.0001)), ("lat", -30.005));
        }

        var url = $"/api/operator/heatmap?minLon=-70.01&minLat=-30.01&maxLon=-70&maxLat=-30&cellDegrees=0.01&{Range(Day, Day.AddDays(1))}";
        await (await Http.SendJsonAsync(HttpMethod.Get, url)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        var response = await Http.SendJsonAsync(HttpMethod.Get, url, null, Rest.Admin(RestFixture.AdminKey));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var map = await response.ReadJsonAsync();
        Assert.Equal("FeatureCollection", map["type"]!.GetValue<string>());
        var feature = map["features"]!.AsArray().Single()!;
        Assert.Equal("Feature", feature["type"]!.GetValue<string>());
        Assert.Equal("Polygon", feature["geometry"]!["type"]!.GetValue<string>());
        Assert.Equal(5, feature["geometry"]!["coordinates"]![0]!.AsArray().Count);
        Assert.Equal(3, feature["properties"]!["count"]!.GetValue<long>());
        Assert.Equal(3, feature["properties"]!["players"]!.GetValue<long>());

        var active = await Http.SendJsonAsync(HttpMethod.Get, $"/api/operator/active-players?{Range(Day, Day.AddDays(1))}&bucket=day", null, Rest.Admin(RestFixture.AdminKey));
        Assert.Equal(3, (await active.ReadJsonAsync())["data"]![0]!["players"]!.GetValue<long>());
        var spawns = await Http.SendJsonAsync(HttpMethod.Get, $"/api/operator/spawns-captures?{Range(Day, Day.AddDays(1))}", null, Rest.Admin(RestFixture.AdminKey));
        Assert.Equal(HttpStatusCode.OK, spawns.StatusCode);
    }

    [Theory]
    [InlineData("heatmap?minLon=10&minLat=0&maxLon=5&maxLat=1&from=2030-03-10T00:00:00Z&to=2030-03-11T00:00:00Z", "bbox")]
    [InlineData("heatmap?minLon=-181&minLat=0&maxLon=5&maxLat=1&from=2030-03-10T00:00:00Z&to=2030-03-11T00:00:00Z", "minLon")]
    [InlineData("heatmap?minLat=0&maxLon=5&maxLat=1&from=2030-03-10T00:00:00Z&to=2030-03-11T00:00:00Z", "minLon")]
    [InlineData("heatmap?minLon=0&minLat=0&maxLon=5&maxLat=1&from=2030-03-10T00:00:00Z&to=2030-03-11T00:00:00Z&cellDegrees=0", "cellDegrees")]
    [InlineData("heatmap?minLon=-180&minLat=-90&maxLon=180&maxLat=90&from=2030-03-10T00:00:00Z&to=2030-03-11T00:00:00Z&cellDegrees=0.01", "cellDegrees")]
    [InlineData("heatmap?minLon=0&minLat=0&maxLon=1&maxLat=1&from=2030-01-01T00:00:00Z&to=2030-03-11T00:00:00Z", "to")]
    [InlineData("spawns-captures?from=2030-03-11T00:00:00Z&to=2030-03-10T00:00:00Z", "to")]
    [InlineData("active-players?from=2030-03-10T00:00:00Z&to=2030-03-11T00:00:00Z&bucket=minute", "bucket")]
    public async Task Bad_operator_analytics_parameters_are_400(string pathAndQuery, string field)
    {
        var response = await Http.SendJsonAsync(HttpMethod.Get, "/api/operator/" + pathAndQuery, null, Rest.Admin(RestFixture.AdminKey));
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]![field]);
    }
}
