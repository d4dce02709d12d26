using System.Net;
using System.Text.Json.Nodes;

namespace GameBackend.Server.Tests.Rest;

/// <summary>
/// Issue 13, finding 3: the differencing attacks an analyst mounted (k = 5), mounted again against
/// the real server and a real database. Each pair of queries must give the same answer, so the
/// difference teaches nothing about the sixth player. Rows are seeded two days back on the game
/// clock (closed hours); every test makes its own sponsor and zones.
/// </summary>
public sealed class AnalyticsDifferencingTests(RestFixture fixture) : IClassFixture<RestFixture>
{
    private HttpClient Http => fixture.Server.Http;

    private DateTimeOffset T0
    {
        get
        {
            var now = fixture.Server.Time.GetUtcNow().AddDays(-2);
            return new DateTimeOffset(now.Year, now.Month, now.Day, 10, 0, 0, TimeSpan.Zero);
        }
    }

    private static string At(DateTimeOffset t) => Uri.EscapeDataString(t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"));

    private async Task<(Guid Sponsor, string Key, Guid Zone)> SponsorWithZoneAsync(double lat, double lon, double half = 0.005)
    {
        var (id, key) = await fixture.CreateSponsorAsync();
        var response = await Http.SendJsonAsync(HttpMethod.Post, $"/api/sponsors/{id}/zones",
            SponsorZoneTests.PolygonZone(SponsorZoneTests.Square(lat, lon, half)), Rest.Sponsor(key));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (id, key, Guid.Parse((await response.ReadJsonAsync())["id"]!.GetValue<string>()));
    }

    private Task VisitAsync(Guid zone, string player, DateTimeOffset entered, TimeSpan dwell) => fixture.ExecuteAsync(
        "insert into zone_visits (zone_id, player_id, entered_at, exited_at, last_seen_at) values (@z, @p, @e, @x, @x)",
        ("z", zone), ("p", player), ("e", entered), ("x", entered + dwell));

    private Task CaptureAsync(string creature, string player, double lat, double lon, DateTimeOffset at) => fixture.ExecuteAsync("""
        insert into captures (creature_id, player_id, species, rarity, geog, captured_at, attempts, losers)
        values (@c, @p, 'oak-owl', 'common', ST_SetSRID(ST_MakePoint(@lon, @lat), 4326)::geography, @t, 1, 0)
        """, ("c", creature), ("p", player), ("lon", lon), ("lat", lat), ("t", at));

    private async Task<JsonNode> GetAsync(Guid sponsor, string key, string metric, Guid zone, DateTimeOffset from, DateTimeOffset to, string extra = "")
    {
        var response = await Http.SendJsonAsync(HttpMethod.Get,
            $"/api/sponsors/{sponsor}/analytics/{metric}?zoneId={zone}&from={At(from)}&to={At(to)}{extra}", null, Rest.Sponsor(key));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.ReadJsonAsync();
    }

    private static string Data(JsonNode answer) => answer["data"]!.ToJsonString();

    [Fact]
    public async Task The_differencing_attacks_of_issue_13_learn_nothing()
    {
        const double Lat = 47.37, Lon = 8.54;
        var (sponsor, key, zone) = await SponsorWithZoneAsync(Lat, Lon);
        var t0 = T0;
        var crowd = Enumerable.Range(0, 5).Select(i => $"crowd-{zone:N}-{i}").ToArray();
        var target = $"target-{zone:N}";
        for (var i = 0; i < crowd.Length; i++)
        {
            await VisitAsync(zone, crowd[i], t0.AddMinutes(5 + i), TimeSpan.FromMinutes(10));
            await CaptureAsync($"c-{zone:N}-{i}", crowd[i], Lat, Lon, t0.AddMinutes(20));
        }

        // The sixth player enters 30 min later (still 10:xx), stays 20.01 s and catches two.
        var entered = t0.AddMinutes(30);
        await VisitAsync(zone, target, entered, TimeSpan.FromSeconds(20.01));
        await CaptureAsync($"t1-{zone:N}", target, Lat, Lon, entered.AddSeconds(5));
        await CaptureAsync($"t2-{zone:N}", target, Lat, Lon, entered.AddSeconds(10));
        // ... and comes back alone at 12:xx.
        await VisitAsync(zone, target, t0.AddHours(2).AddMinutes(7), TimeSpan.FromMinutes(3));

        // 1. Two /visits windows 200 ms apart around the entry.
        Assert.Equal(
            Data(await GetAsync(sponsor, key, "visits", zone, t0, entered.AddMilliseconds(-100))),
            Data(await GetAsync(sponsor, key, "visits", zone, t0, entered.AddMilliseconds(100))));

        // 2. Two dwell means, with and without the sixth (by time) — and with and without its lone visit.
        Assert.Equal(
            Data(await GetAsync(sponsor, key, "dwell", zone, t0, entered.AddMilliseconds(-1))),
            Data(await GetAsync(sponsor, key, "dwell", zone, t0, entered.AddSeconds(1))));
        Assert.Equal(
            Data(await GetAsync(sponsor, key, "dwell", zone, t0, t0.AddHours(1))),
            Data(await GetAsync(sponsor, key, "dwell", zone, t0, t0.AddHours(3))));

        // 3. Capture windows before and after its two captures.
        Assert.Equal(
            Data(await GetAsync(sponsor, key, "captures", zone, t0, entered)),
            Data(await GetAsync(sponsor, key, "captures", zone, t0, entered.AddMinutes(1))));

        // 4. A window holding only its lone visit says nothing at all (not even "suppressed").
        var lone = await GetAsync(sponsor, key, "visits", zone, t0.AddHours(2), t0.AddHours(3));
        Assert.Empty(lone["data"]!.AsArray());
        Assert.Equal(
            Data(await GetAsync(sponsor, key, "visits", zone, t0, t0.AddHours(2))),
            Data(await GetAsync(sponsor, key, "visits", zone, t0, t0.AddHours(3))));
        Assert.Equal(
            Data(await GetAsync(sponsor, key, "visits", zone, t0, t0.AddHours(1), "&bucket=day")),
            Data(await GetAsync(sponsor, key, "visits", zone, t0, t0.AddHours(3), "&bucket=day")));

        // 5. Captures made elsewhere, then the zone re-shaped over them: the past does not move in.
        const double ElsewhereLat = Lat + 0.02;
        for (var i = 0; i < 5; i++)
        {
            await CaptureAsync($"e-{zone:N}-{i}", $"elsewhere-{zone:N}-{i}", ElsewhereLat, Lon, t0.AddMinutes(40));
        }

        var before = Data(await GetAsync(sponsor, key, "captures", zone, t0, t0.AddHours(3)));
        var reshaped = await Http.SendJsonAsync(HttpMethod.Put, $"/api/sponsors/{sponsor}/zones/{zone}",
            SponsorZoneTests.PolygonZone(SponsorZoneTests.Square(Lat + 0.01, Lon, 0.02), "Reshaped"), Rest.Sponsor(key));
        Assert.Equal(HttpStatusCode.OK, reshaped.StatusCode);
        Assert.Equal(before, Data(await GetAsync(sponsor, key, "captures", zone, t0, t0.AddHours(3))));

        // What the caller does learn: the crowd's hour (6 players counted with k = 5), whole seconds.
        var visits = (await GetAsync(sponsor, key, "visits", zone, t0, t0.AddHours(3)))["data"]!.AsArray();
        Assert.Equal(6, visits.Single()!["uniquePlayers"]!.GetValue<long>());
        var captures = (await GetAsync(sponsor, key, "captures", zone, t0, t0.AddHours(3)))["data"]!.AsArray();
        Assert.Equal(7, captures.Single()!["captures"]!.GetValue<long>());
    }

    [Fact]
    public async Task Ranges_snap_to_closed_buckets_and_tiny_zones_are_refused()
    {
        var (sponsor, key, zone) = await SponsorWithZoneAsync(47.40, 8.54);
        var t0 = T0;

        var snapped = await GetAsync(sponsor, key, "visits", zone, t0.AddMinutes(10).AddSeconds(13), t0.AddHours(1).AddMinutes(5));
        Assert.Equal(t0, snapped["from"]!.GetValue<DateTimeOffset>());
        Assert.Equal(t0.AddHours(2), snapped["to"]!.GetValue<DateTimeOffset>());

        // The hour now running is not answered until it is over.
        var now = fixture.Server.Time.GetUtcNow();
        var hour = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 6; i++)
        {
            await VisitAsync(zone, $"now-{zone:N}-{i}", hour.AddSeconds(i), TimeSpan.FromSeconds(1));
        }

        var open = await GetAsync(sponsor, key, "visits", zone, hour, hour.AddHours(1));
        Assert.Empty(open["data"]!.AsArray());
        Assert.Equal(hour, open["to"]!.GetValue<DateTimeOffset>());
        fixture.Server.Time.Advance(TimeSpan.FromHours(1));
        var closed = await GetAsync(sponsor, key, "visits", zone, hour, hour.AddHours(1));
        Assert.Equal(6, closed["data"]!.AsArray().Single()!["uniquePlayers"]!.GetValue<long>());

        // A zone of ~40 m × 45 m is too small to be asked about.
        var (tinySponsor, tinyKey, tiny) = await SponsorWithZoneAsync(47.45, 8.54, half: 0.0002);
        var refused = await Http.SendJsonAsync(HttpMethod.Get,
            $"/api/sponsors/{tinySponsor}/analytics/visits?zoneId={tiny}&from={At(t0)}&to={At(t0.AddHours(1))}", null, Rest.Sponsor(tinyKey));
        var problem = await refused.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["zoneId"]);
    }
}
