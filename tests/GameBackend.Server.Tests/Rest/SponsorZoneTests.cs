using System.Net;
using System.Text.Json.Nodes;

namespace GameBackend.Server.Tests.Rest;

public sealed class SponsorZoneTests(RestFixture fixture) : IClassFixture<RestFixture>
{
    private HttpClient Http => fixture.Server.Http;

    /// <summary>A square polygon ~1.1 km wide at (lat, lon) as GeoJSON (rings are [lon, lat]).</summary>
    internal static object Square(double lat, double lon, double half = 0.005) => new
    {
        type = "Polygon",
        coordinates = new[]
        {
            new[]
            {
                new[] { lon - half, lat - half }, new[] { lon + half, lat - half }, new[] { lon + half, lat + half },
                new[] { lon - half, lat + half }, new[] { lon - half, lat - half },
            },
        },
    };

    internal static object CircleZone(double lat, double lon, string name = "Cafe") => new
    {
        name,
        circle = new { latitude = lat, longitude = lon, radiusMeters = 150 },
        species = new[] { new { speciesId = "latte-bird", weight = 3.0 }, new { speciesId = "mocha-cat", weight = 1.0 } },
        spawnsPerHour = 12,
        maxAlive = 5,
        schedule = new
        {
            timeZone = "Europe/Paris",
            windows = new[] { new { day = "Monday", start = "08:00", end = "11:00" }, new { day = "saturday", start = "10:00", end = "24:00" } },
        },
        startsAt = "2030-06-01T08:00:00Z",
        endsAt = "2030-07-01T08:00:00+02:00",
    };

    internal static object PolygonZone(object polygon, string name = "Park") => new
    {
        name,
        polygon,
        species = new[] { new { speciesId = "oak-owl", weight = 1.0 } },
        spawnsPerHour = 30.5,
        maxAlive = 20,
    };

    [Fact]
    public async Task Creating_a_sponsor_needs_the_admin_key()
    {
        var missing = await Http.SendJsonAsync(HttpMethod.Post, "/api/sponsors", new { name = "Acme" });
        await missing.AssertProblemAsync(HttpStatusCode.Unauthorized);
        var wrong = await Http.SendJsonAsync(HttpMethod.Post, "/api/sponsors", new { name = "Acme" }, Rest.Admin(RestFixture.AdminKey + "x"));
        await wrong.AssertProblemAsync(HttpStatusCode.Unauthorized);
        var noName = await Http.SendJsonAsync(HttpMethod.Post, "/api/sponsors", new { name = " " }, Rest.Admin(RestFixture.AdminKey));
        var problem = await noName.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["name"]);

        var created = await Http.SendJsonAsync(HttpMethod.Post, "/api/sponsors", new { name = "Acme" }, Rest.Admin(RestFixture.AdminKey));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.ReadJsonAsync();
        Assert.Equal("Acme", body["name"]!.GetValue<string>());
        Assert.StartsWith("gbk_", body["apiKey"]!.GetValue<string>());
        var id = body["sponsorId"]!.GetValue<string>();
        Assert.Equal($"/api/sponsors/{id}", created.Headers.Location?.OriginalString);

        var self = await Http.SendJsonAsync(HttpMethod.Get, $"/api/sponsors/{id}", null, Rest.Sponsor(body["apiKey"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.OK, self.StatusCode);
        var sponsor = await self.ReadJsonAsync();
        Assert.Equal(id, sponsor["sponsorId"]!.GetValue<string>());
        Assert.Null(sponsor["apiKey"]);
    }

    [Fact]
    public async Task Missing_or_unknown_api_key_is_401()
    {
        var (id, key) = await fixture.CreateSponsorAsync();
        await (await Http.SendJsonAsync(HttpMethod.Get, $"/api/sponsors/{id}/zones")).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await (await Http.SendJsonAsync(HttpMethod.Get, $"/api/sponsors/{id}/zones", null, Rest.Sponsor(key + "x"))).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await (await Http.SendJsonAsync(HttpMethod.Get, $"/api/sponsors/{id}/zones", null, Rest.Sponsor("not-a-key"))).AssertProblemAsync(HttpStatusCode.Unauthorized);
        // The admin key is not a sponsor key.
        await (await Http.SendJsonAsync(HttpMethod.Get, $"/api/sponsors/{id}/zones", null, Rest.Sponsor(RestFixture.AdminKey))).AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_sponsor_rotates_its_api_key_and_an_operator_resets_a_lost_one()
    {
        var (id, oldKey) = await fixture.CreateSponsorAsync(name: "Rotating");
        var zone = await (await Http.SendJsonAsync(HttpMethod.Post, $"/api/sponsors/{id}/zones", CircleZone(43.30, 5.37), Rest.Sponsor(oldKey))).ReadJsonAsync();
        var zoneId = zone["id"]!.GetValue<string>();

        var rotated = await Http.SendJsonAsync(HttpMethod.Post, $"/api/sponsors/{id}/api-key", null, Rest.Sponsor(oldKey));
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var body = await rotated.ReadJsonAsync();
        var newKey = body["apiKey"]!.GetValue<string>();
        Assert.Equal(id.ToString(), body["sponsorId"]!.GetValue<string>());
        Assert.StartsWith("gbk_", newKey);
        Assert.NotEqual(oldKey, newKey);

        // The old key is dead at once; the new one owns the same zones.
        await (await Http.SendJsonAsync(HttpMethod.Get, $"/api/sponsors/{id}/zones", null, Rest.Sponsor(oldKey))).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await (await Http.SendJsonAsync(HttpMethod.Post, $"/api/sponsors/{id}/api-key", null, Rest.Sponsor(oldKey))).AssertProblemAsync(HttpStatusCode.Unauthorized);
        var zones = await (await Http.SendJsonAsync(HttpMethod.Get, $"/api/sponsors/{id}/zones", null, Rest.Sponsor(newKey))).ReadJsonAsync();
        Assert.Equal([zoneId], zones.AsArray().Select(z => z!["id"]!.GetValue<string>()));

        // Another sponsor's key cannot rotate this one's.
        var (_, otherKey) = await fixture.CreateSponsorAsync(name: "Other");
        await (await Http.SendJsonAsync(HttpMethod.Post, $"/api/sponsors/{id}/api-key", null, Rest.Sponsor(otherKey))).AssertProblemAsync(HttpStatusCode.NotFound);

        // A lost key: only the admin key resets it, and only for a sponsor that exists.
        var reset = $"/api/operator/sponsors/{id}/api-key";
        await (await Http.SendJsonAsync(HttpMethod.Post, reset, null, Rest.Sponsor(newKey))).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await (await Http.SendJsonAsync(HttpMethod.Post, reset, null, Rest.Admin(RestFixture.AdminKey + "x"))).AssertProblemAsync(HttpStatusCode.Unauthorized);
        await (await Http.SendJsonAsync(HttpMethod.Post, $"/api/operator/sponsors/{Guid.NewGuid()}/api-key", null, Rest.Admin(RestFixture.AdminKey)))
            .AssertProblemAsync(HttpStatusCode.NotFound);
        var byOperator = await (await Http.SendJsonAsync(HttpMethod.Post, reset, null, Rest.Admin(RestFixture.AdminKey))).ReadJsonAsync();
        var resetKey = byOperator["apiKey"]!.GetValue<string>();
        await (await Http.SendJsonAsync(HttpMethod.Get, $"/api/sponsors/{id}", null, Rest.Sponsor(newKey))).AssertProblemAsync(HttpStatusCode.Unauthorized);
        var self = await Http.SendJsonAsync(HttpMethod.Get, $"/api/sponsors/{id}", null, Rest.Sponsor(resetKey));
        Assert.Equal(HttpStatusCode.OK, self.StatusCode);
        Assert.Equal("Rotating", (await self.ReadJsonAsync())["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_sponsor_creates_reads_updates_and_deletes_circle_and_polygon_zones()
    {
        var (id, key) = await fixture.CreateSponsorAsync();
        var zonesUrl = $"/api/sponsors/{id}/zones";
        var changesBefore = fixture.World.Events.Count(e => e == "zones");

        var circle = await Http.SendJsonAsync(HttpMethod.Post, zonesUrl, CircleZone(48.8566, 2.3522), Rest.Sponsor(key));
        Assert.Equal(HttpStatusCode.Created, circle.StatusCode);
        var c = await circle.ReadJsonAsync();
        var circleId = c["id"]!.GetValue<string>();
        Assert.Equal($"{zonesUrl}/{circleId}", circle.Headers.Location?.OriginalString);
        Assert.Equal("circle", c["kind"]!.GetValue<string>());
        Assert.Equal(150, c["circle"]!["radiusMeters"]!.GetValue<double>());
        Assert.Equal(48.8566, c["circle"]!["latitude"]!.GetValue<double>(), 6);
        Assert.Null(c["polygon"]);
        Assert.False(c["clipped"]!.GetValue<bool>());
        Assert.Equal("Polygon", c["effectiveArea"]!["type"]!.GetValue<string>());
        Assert.Equal(12, c["spawnsPerHour"]!.GetValue<double>());
        Assert.Equal(["latte-bird", "mocha-cat"], c["species"]!.AsArray().Select(s => s!["speciesId"]!.GetValue<string>()));
        Assert.Equal("Europe/Paris", c["schedule"]!["timeZone"]!.GetValue<string>());
        Assert.Equal("monday", c["schedule"]!["windows"]![0]!["day"]!.GetValue<string>());
        Assert.Equal(DateTimeOffset.Parse("2030-06-01T08:00:00Z"), DateTimeOffset.Parse(c["startsAt"]!.GetValue<string>()));
        Assert.Equal(DateTimeOffset.Parse("2030-07-01T06:00:00Z"), DateTimeOffset.Parse(c["endsAt"]!.GetValue<string>()));

        var polygon = await Http.SendJsonAsync(HttpMethod.Post, zonesUrl, PolygonZone(Square(48.86, 2.34)), Rest.Sponsor(key));
        Assert.Equal(HttpStatusCode.Created, polygon.StatusCode);
        var p = await polygon.ReadJsonAsync();
        var polygonId = p["id"]!.GetValue<string>();
        Assert.Equal("polygon", p["kind"]!.GetValue<string>());
        Assert.Equal("Polygon", p["polygon"]!["type"]!.GetValue<string>());
        Assert.Equal(30.5, p["spawnsPerHour"]!.GetValue<double>());
        Assert.Null(p["schedule"]);

        var list = await (await Http.SendJsonAsync(HttpMethod.Get, zonesUrl, null, Rest.Sponsor(key))).ReadJsonAsync();
        Assert.Equal([circleId, polygonId], list.AsArray().Select(z => z!["id"]!.GetValue<string>()));

        var one = await Http.SendJsonAsync(HttpMethod.Get, $"{zonesUrl}/{polygonId}", null, Rest.Sponsor(key));
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        Assert.Equal("Park", (await one.ReadJsonAsync())["name"]!.GetValue<string>());

        var updated = await Http.SendJsonAsync(HttpMethod.Put, $"{zonesUrl}/{polygonId}", PolygonZone(Square(48.87, 2.34), "Bigger park"), Rest.Sponsor(key));
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        var u = await updated.ReadJsonAsync();
        Assert.Equal("Bigger park", u["name"]!.GetValue<string>());
        Assert.Equal(polygonId, u["id"]!.GetValue<string>());
        Assert.Equal(48.865, u["polygon"]!["coordinates"]![0]![0]![1]!.GetValue<double>(), 6);

        var deleted = await Http.SendJsonAsync(HttpMethod.Delete, $"{zonesUrl}/{circleId}", null, Rest.Sponsor(key));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await (await Http.SendJsonAsync(HttpMethod.Get, $"{zonesUrl}/{circleId}", null, Rest.Sponsor(key))).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await Http.SendJsonAsync(HttpMethod.Delete, $"{zonesUrl}/{circleId}", null, Rest.Sponsor(key))).AssertProblemAsync(HttpStatusCode.NotFound);

        // create, create, update, delete: each told the running world.
        Assert.True(fixture.World.Events.Count(e => e == "zones") - changesBefore >= 4);
    }

    [Fact]
    public async Task A_bow_tie_polygon_is_rejected_with_the_reason()
    {
        var (id, key) = await fixture.CreateSponsorAsync();
        var bowTie = new { type = "Polygon", coordinates = new[] { new[] { new[] { 2.0, 48.0 }, new[] { 2.01, 48.01 }, new[] { 2.01, 48.0 }, new[] { 2.0, 48.01 }, new[] { 2.0, 48.0 } } } };
        var response = await Http.SendJsonAsync(HttpMethod.Post, $"/api/sponsors/{id}/zones", PolygonZone(bowTie), Rest.Sponsor(key));
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("Self-intersection", problem["errors"]!["polygon"]![0]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
    }

    public static TheoryData<string, string> InvalidBodies => new()
    {
        { """{"name":"x","circle":{"latitude":91,"longitude":2,"radiusMeters":100},"species":[{"speciesId":"a","weight":1}],"spawnsPerHour":1,"maxAlive":1}""", "circle.latitude" },
        { """{"name":"x","circle":{"latitude":48,"longitude":181,"radiusMeters":100},"species":[{"speciesId":"a","weight":1}],"spawnsPerHour":1,"maxAlive":1}""", "circle.longitude" },
        { """{"name":"x","circle":{"latitude":48,"longitude":2,"radiusMeters":0},"species":[{"speciesId":"a","weight":1}],"spawnsPerHour":1,"maxAlive":1}""", "circle.radiusMeters" },
        { """{"name":"x","circle":{"latitude":48,"longitude":2,"radiusMeters":5001},"species":[{"speciesId":"a","weight":1}],"spawnsPerHour":1,"maxAlive":1}""", "circle.radiusMeters" },
        { """{"name":"x","circle":{"latitude":48,"longitude":2,"radiusMeters":100},"species":[{"speciesId":"a","weight":0}],"spawnsPerHour":1,"maxAlive":1}""", "species[0].weight" },
        { """{"name":"x","circle":{"latitude":48,"longitude":2,"radiusMeters":100},"species":[],"spawnsPerHour":1,"maxAlive":1}""", "species" },
        { """{"name":"x","circle":{"latitude":48,"longitude":2,"radiusMeters":100},"species":[{"speciesId":"a","weight":1}],"spawnsPerHour":0,"maxAlive":1}""", "spawnsPerHour" },
        { """{"name":"x","circle":{"latitude":48,"longitude":2,"radiusMeters":100},"species":[{"speciesId":"a","weight":1}],"spawnsPerHour":3601,"maxAlive":1}""", "spawnsPerHour" },
        { """{"name":"x","circle":{"latitude":48,"longitude":2,"radiusMeters":100},"species":[{"speciesId":"a","weight":1}],"spawnsPerHour":1,"maxAlive":0}""", "maxAlive" },
        { """{"name":"x","circle":{"latitude":48,"longitude":2,"radiusMeters":100},"species":[{"speciesId":"a","weight":1}],"spawnsPerHour":1,"maxAlive":501}""", "maxAlive" },
        { """{"name":"x","circle":{"latitude":48,"longitude":2,"radiusMeters":100},"species":[{"speciesId":"a","weight":1}],"spawnsPerHour":1,"maxAlive":1,"schedule":{"timeZone":"Mars/Olympus","windows":[{"day":"monday","start":"08:00","end":"09:00"}]}}""", "schedule.timeZone" },
        { """{"name":"x","circle":{"latitude":48,"longitude":2,"radiusMeters":100},"species":[{"speciesId":"a","weight":1}],"spawnsPerHour":1,"maxAlive":1,"schedule":{"timeZone":"UTC","windows":[{"day":"funday","start":"08:00","end":"09:00"}]}}""", "schedule.windows[0].day" },
        { """{"name":"x","circle":{"latitude":48,"longitude":2,"radiusMeters":100},"species":[{"speciesId":"a","weight":1}],"spawnsPerHour":1,"maxAlive":1,"schedule":{"timeZone":"UTC","windows":[{"day":"monday","start":"11:00","end":"08:00"}]}}""", "schedule.windows[0].end" },
        { """{"name":"x","circle":{"latitude":48,"longitude":2,"radiusMeters":100},"species":[{"speciesId":"a","weight":1}],"spawnsPerHour":1,"maxAlive":1,"startsAt":"2030-01-02T00:00:00Z","endsAt":"2030-01-01T00:00:00Z"}""", "endsAt" },
        { """{"name":"x","species":[{"speciesId":"a","weight":1}],"spawnsPerHour":1,"maxAlive":1}""", "area" },
        { """{"name":"x","circle":{"latitude":48,"longitude":2,"radiusMeters":100},"polygon":{"type":"Polygon","coordinates":[[[2,48],[2.01,48],[2.01,48.01],[2,48]]]},"species":[{"speciesId":"a","weight":1}],"spawnsPerHour":1,"maxAlive":1}""", "area" },
        { """{"name":"x","polygon":{"type":"Polygon","coordinates":[[[2,48],[2.01,48],[2.01,48.01],[2,48.01]]]},"species":[{"speciesId":"a","weight":1}],"spawnsPerHour":1,"maxAlive":1}""", "polygon" },
        { """{"name":"x","polygon":{"type":"Point","coordinates":[2,48]},"species":[{"speciesId":"a","weight":1}],"spawnsPerHour":1,"maxAlive":1}""", "polygon" },
        { """{"name":"x","polygon":{"type":"Polygon","coordinates":[[[2,95],[2.01,95],[2.01,95.01],[2,95]]]},"species":[{"speciesId":"a","weight":1}],"spawnsPerHour":1,"maxAlive":1}""", "polygon" },
        { """{"circle":{"latitude":48,"longitude":2,"radiusMeters":100},"species":[{"speciesId":"a","weight":1}],"spawnsPerHour":1,"maxAlive":1}""", "name" },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task Invalid_zones_get_a_validation_problem_naming_the_field(string body, string field)
    {
        var (id, key) = await fixture.CreateSponsorAsync();
        var response = await Http.SendJsonAsync(HttpMethod.Post, $"/api/sponsors/{id}/zones", body, Rest.Sponsor(key));
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        var errors = problem["errors"]!.AsObject();
        Assert.True(errors.ContainsKey(field), $"Expected an error for {field}, got {errors.ToJsonString()}");
    }

    [Theory]
    [InlineData("{\"name\":")]
    [InlineData("{\"name\":\"x\",\"maxAlive\":\"lots\"}")]
    public async Task Malformed_json_is_a_400_problem(string body)
    {
        var (id, key) = await fixture.CreateSponsorAsync();
        var response = await Http.SendJsonAsync(HttpMethod.Post, $"/api/sponsors/{id}/zones", body, Rest.Sponsor(key));
        await response.AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_sponsor_cannot_see_or_change_another_sponsors_zones()
    {
        var (a, keyA) = await fixture.CreateSponsorAsync(name: "A");
        var (b, keyB) = await fixture.CreateSponsorAsync(name: "B");
        var created = await (await Http.SendJsonAsync(HttpMethod.Post, $"/api/sponsors/{a}/zones", CircleZone(45.76, 4.83), Rest.Sponsor(keyA))).ReadJsonAsync();
        var zoneId = created["id"]!.GetValue<string>();

        // B's key on A's routes: A is "not found", never "forbidden".
        await (await Http.SendJsonAsync(HttpMethod.Get, $"/api/sponsors/{a}", null, Rest.Sponsor(keyB))).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await Http.SendJsonAsync(HttpMethod.Get, $"/api/sponsors/{a}/zones", null, Rest.Sponsor(keyB))).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await Http.SendJsonAsync(HttpMethod.Get, $"/api/sponsors/{a}/zones/{zoneId}", null, Rest.Sponsor(keyB))).AssertProblemAsync(HttpStatusCode.NotFound);
        // A's zone id under B's own routes.
        await (await Http.SendJsonAsync(HttpMethod.Get, $"/api/sponsors/{b}/zones/{zoneId}", null, Rest.Sponsor(keyB))).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await Http.SendJsonAsync(HttpMethod.Put, $"/api/sponsors/{b}/zones/{zoneId}", CircleZone(45.76, 4.83, "Hijacked"), Rest.Sponsor(keyB))).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await Http.SendJsonAsync(HttpMethod.Put, $"/api/sponsors/{b}/zones/{zoneId}", "{}", Rest.Sponsor(keyB))).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await Http.SendJsonAsync(HttpMethod.Delete, $"/api/sponsors/{b}/zones/{zoneId}", null, Rest.Sponsor(keyB))).AssertProblemAsync(HttpStatusCode.NotFound);
        var listB = await (await Http.SendJsonAsync(HttpMethod.Get, $"/api/sponsors/{b}/zones", null, Rest.Sponsor(keyB))).ReadJsonAsync();
        Assert.Empty(listB.AsArray());

        var stillThere = await (await Http.SendJsonAsync(HttpMethod.Get, $"/api/sponsors/{a}/zones/{zoneId}", null, Rest.Sponsor(keyA))).ReadJsonAsync();
        Assert.Equal("Cafe", stillThere["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_exclusion_zone_clips_later_sponsor_zones_and_tells_the_world()
    {
        var exclusion = new { name = "School", polygon = Square(43.30, 5.37, 0.002) };
        await (await Http.SendJsonAsync(HttpMethod.Post, "/api/exclusion-zones", exclusion)).AssertProblemAsync(HttpStatusCode.Unauthorized);
        var bad = await Http.SendJsonAsync(HttpMethod.Post, "/api/exclusion-zones", new { name = "Bad", polygon = new { type = "Point", coordinates = (double[])[5.0, 43.0] } }, Rest.Admin(RestFixture.AdminKey));
        await bad.AssertProblemAsync(HttpStatusCode.BadRequest);

        var created = await Http.SendJsonAsync(HttpMethod.Post, "/api/exclusion-zones", exclusion, Rest.Admin(RestFixture.AdminKey));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var ex = await created.ReadJsonAsync();
        var exclusionId = Guid.Parse(ex["id"]!.GetValue<string>());
        Assert.Equal("Polygon", ex["polygon"]!["type"]!.GetValue<string>());
        Assert.True(fixture.World.CreatedExclusions.ContainsKey(exclusionId));

        var list = await (await Http.SendJsonAsync(HttpMethod.Get, "/api/exclusion-zones", null, Rest.Admin(RestFixture.AdminKey))).ReadJsonAsync();
        Assert.Contains(list.AsArray(), z => z!["id"]!.GetValue<string>() == exclusionId.ToString());

        var (id, key) = await fixture.CreateSponsorAsync();
        var overlapping = await Http.SendJsonAsync(HttpMethod.Post, $"/api/sponsors/{id}/zones", PolygonZone(Square(43.30, 5.375)), Rest.Sponsor(key));
        Assert.Equal(HttpStatusCode.Created, overlapping.StatusCode);
        var zone = await overlapping.ReadJsonAsync();
        Assert.True(zone["clipped"]!.GetValue<bool>());
        Assert.NotEqual(zone["polygon"]!.ToJsonString(), zone["effectiveArea"]!.ToJsonString());

        var inside = await Http.SendJsonAsync(HttpMethod.Post, $"/api/sponsors/{id}/zones", PolygonZone(Square(43.30, 5.37, 0.001)), Rest.Sponsor(key));
        Assert.NotNull((await inside.AssertProblemAsync(HttpStatusCode.BadRequest))["errors"]!["area"]);

        var deleted = await Http.SendJsonAsync(HttpMethod.Delete, $"/api/exclusion-zones/{exclusionId}", null, Rest.Admin(RestFixture.AdminKey));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Contains("exclusion-deleted:" + exclusionId, fixture.World.Events);
        await (await Http.SendJsonAsync(HttpMethod.Delete, $"/api/exclusion-zones/{exclusionId}", null, Rest.Admin(RestFixture.AdminKey))).AssertProblemAsync(HttpStatusCode.NotFound);

        var after = await Http.SendJsonAsync(HttpMethod.Post, $"/api/sponsors/{id}/zones", PolygonZone(Square(43.30, 5.375)), Rest.Sponsor(key));
        Assert.False((await after.ReadJsonAsync())["clipped"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Zones_survive_a_server_restart()
    {
        Guid id;
        string key;
        JsonNode zone;
        await using (var first = await fixture.StartServerAsync())
        {
            (id, key) = await fixture.CreateSponsorAsync(first);
            var created = await first.Http.SendJsonAsync(HttpMethod.Post, $"/api/sponsors/{id}/zones", CircleZone(41.39, 2.17, "Durable"), Rest.Sponsor(key));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            zone = await created.ReadJsonAsync();
        }

        await using var second = await fixture.StartServerAsync();
        var read = await second.Http.SendJsonAsync(HttpMethod.Get, $"/api/sponsors/{id}/zones/{zone["id"]}", null, Rest.Sponsor(key));
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        var again = await read.ReadJsonAsync();
        Assert.Equal(zone.ToJsonString(), again.ToJsonString());
    }
}
