using System.Net;
using GameBackend.Server.Tests.Infrastructure;

namespace GameBackend.Server.Tests.Rest;

/// <summary>Issue 12, finding 5: a zone's area is bounded at the API and each sponsor has quotas.</summary>
public sealed class ZoneBoundsTests
{
    private const string AdminKey = "zone-bounds-admin-key-0123456789";

    private static async Task<(TestServer Server, TestDatabase Database)> StartAsync(Dictionary<string, string?> settings)
    {
        var database = await TestDatabase.CreateAsync("gb_quota");
        settings["ConnectionStrings:Postgres"] = database.ConnectionString;
        settings["Operators:AdminKey"] = AdminKey;
        return (await TestServer.StartAsync(settings), database);
    }

    private static async Task<(Guid Id, string Key)> CreateSponsorAsync(TestServer server)
    {
        var body = await (await server.Http.SendJsonAsync(HttpMethod.Post, "/api/sponsors", new { name = "Big Co" }, Rest.Admin(AdminKey))).ReadJsonAsync();
        return (Guid.Parse(body["sponsorId"]!.GetValue<string>()), body["apiKey"]!.GetValue<string>());
    }

    private static object Circle(double lat, double lon, double radius) => new
    {
        name = "Cafe",
        circle = new { latitude = lat, longitude = lon, radiusMeters = radius },
        species = new[] { new { speciesId = "latte-bird", weight = 1.0 } },
        spawnsPerHour = 4,
        maxAlive = 3,
    };

    [Fact]
    public async Task A_polygon_spanning_a_continent_is_refused_and_one_of_ten_thousand_zones_is_refused_by_quota()
    {
        var (server, database) = await StartAsync([]);
        await using var _ = database;
        await using var __ = server;
        var sponsor = await CreateSponsorAsync(server);

        // Most of Europe, well-formed: only the area is wrong.
        var europe = new
        {
            name = "Europe",
            polygon = new { type = "Polygon", coordinates = new[] { new[] { new[] { -10.0, 36.0 }, new[] { 30.0, 36.0 }, new[] { 30.0, 60.0 }, new[] { -10.0, 60.0 }, new[] { -10.0, 36.0 } } } },
            species = new[] { new { speciesId = "oak-owl", weight = 1.0 } },
            spawnsPerHour = 4,
            maxAlive = 3,
        };
        var refused = await (await server.Http.SendJsonAsync(HttpMethod.Post, $"/api/sponsors/{sponsor.Id}/zones", europe, Rest.Sponsor(sponsor.Key)))
            .AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("km²", refused["errors"]!["polygon"]![0]!.GetValue<string>());

        // 10,000 small zones of one sponsor, written straight to the database (the API would refuse them past its quota).
        await using (var connection = new Npgsql.NpgsqlConnection(database.ConnectionString))
        {
            await connection.OpenAsync().WaitAsync(TestServer.Timeout);
            await using var seed = new Npgsql.NpgsqlCommand("""
                insert into sponsor_zones (id, sponsor_id, name, kind, geog, requested_geog, spawns_per_hour, max_alive)
                select gen_random_uuid(), @sponsor, 'z' || i, 'polygon', z, z, 1, 1
                from generate_series(1, 10000) i,
                     lateral (select ST_Buffer(ST_SetSRID(ST_MakePoint(18 + (i % 100) * 0.01, 59 + (i / 100) * 0.01), 4326)::geography, 5, 2) as z) b
                """, connection) { CommandTimeout = 120 };
            seed.Parameters.AddWithValue("sponsor", sponsor.Id);
            await seed.ExecuteNonQueryAsync().WaitAsync(TimeSpan.FromMinutes(2));
        }

        var quota = await (await server.Http.SendJsonAsync(HttpMethod.Post, $"/api/sponsors/{sponsor.Id}/zones", Circle(59.5, 18.5, 100), Rest.Sponsor(sponsor.Key)))
            .AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("at most 1000 zones", quota["errors"]!["quota"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task A_sponsors_zones_together_stay_within_the_area_quota()
    {
        var (server, database) = await StartAsync(new Dictionary<string, string?> { ["Limits:MaxZoneAreaPerSponsorSquareKm"] = "1" });
        await using var _ = database;
        await using var __ = server;
        var sponsor = await CreateSponsorAsync(server);

        var first = await server.Http.SendJsonAsync(HttpMethod.Post, $"/api/sponsors/{sponsor.Id}/zones", Circle(59.3, 18.0, 500), Rest.Sponsor(sponsor.Key));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode); // 0.79 km²
        var second = await (await server.Http.SendJsonAsync(HttpMethod.Post, $"/api/sponsors/{sponsor.Id}/zones", Circle(59.4, 18.0, 500), Rest.Sponsor(sponsor.Key)))
            .AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("at most 1 km²", second["errors"]!["quota"]![0]!.GetValue<string>());

        // Replacing the zone counts the new area instead of the old one.
        var id = (await first.ReadJsonAsync())["id"]!.GetValue<string>();
        var resized = await server.Http.SendJsonAsync(HttpMethod.Put, $"/api/sponsors/{sponsor.Id}/zones/{id}", Circle(59.3, 18.0, 550), Rest.Sponsor(sponsor.Key));
        Assert.Equal(HttpStatusCode.OK, resized.StatusCode);
    }
}
