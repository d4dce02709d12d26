using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using GameBackend.Contracts;
using GameBackend.Domain.Geo;
using GameBackend.Server.Spawning;
using GameBackend.Server.Tests.Infrastructure;
using GameBackend.Server.Tests.Rest;
using Microsoft.AspNetCore.SignalR.Client;

namespace GameBackend.Server.Tests;

/// <summary>
/// Pay per visit through the whole stack: a player's fix → zone visit → history writer → billing in
/// PostgreSQL → zone status → zone grain → no more spawns; and back on a top-up or a new UTC day
/// (game time on the fake clock). Ambient spawning is off so every creature seen is the zone's.
/// </summary>
public sealed class SponsorBillingTests : IAsyncLifetime
{
    private const string AdminKey = "billing-tests-admin-key-0123";
    private static readonly GeoPoint Shop = new(52.5290, 13.4010);
    private TestDatabase _database = null!;
    private TestServer _server = null!;

    private long Now => _server.Time.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync("gb_billing");
        _server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = _database.ConnectionString,
            ["Operators:AdminKey"] = AdminKey,
            ["Game:Spawning:TickInterval"] = "00:00:00.050",
            ["Game:Spawning:AmbientPerSquareKm"] = "0",
            ["Game:Spawning:Seed"] = "91",
            ["History:FlushInterval"] = "00:00:00.050",
            ["Billing:StatusRefreshInterval"] = "00:01:00",
        });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task A_spent_budget_stops_spawning_at_once_and_a_top_up_resumes_it()
    {
        var (sponsorId, apiKey) = await CreateSponsorAsync();
        var zoneId = await CreateZoneAsync(sponsorId, apiKey);

        // Free at first: the zone spawns for the first player (whose visit is recorded at price 0).
        await using var first = await _server.ConnectPlayerAsync(WireProtocol.Json);
        var spawned = Count(first);
        Assert.True((await first.MoveToAsync(Shop.Latitude, Shop.Longitude, Now)).Accepted);
        await Until(() => !spawned.IsEmpty, advance: TimeSpan.FromSeconds(10));

        var priced = await PutBudgetAsync(sponsorId, zoneId, apiKey, new { pricePerVisit = 2.00m, dailyBudget = 2.00m, totalBudget = (decimal?)null, minDwellSeconds = 0 });
        Assert.Equal("active", priced["status"]!.GetValue<string>());

        // A second player's visit spends the whole day's budget: the zone pauses without a tick of game time.
        await using var second = await _server.ConnectPlayerAsync(WireProtocol.MessagePack);
        Assert.True((await second.MoveToAsync(Shop.Latitude + 0.0001, Shop.Longitude, Now)).Accepted);
        await Until(() => ZoneStatus(zoneId) == "paused_budget", advance: null);
        var budget = await GetBudgetAsync(sponsorId, zoneId, apiKey);
        Assert.Equal(("paused_budget", 2.00m, 0.00m), (budget["status"]!.GetValue<string>(), budget["spentToday"]!.GetValue<decimal>(), budget["leftToday"]!.GetValue<decimal>()));

        // Ten minutes of game time with both players standing in the zone: nothing spawns. (Game
        // time stood still until the pause, so every creature drawn before it is stamped no later.)
        var pausedAt = Now;
        for (var i = 0; i < 20; i++)
        {
            _server.Time.Advance(TimeSpan.FromSeconds(30));
            Assert.True((await first.MoveToAsync(Shop.Latitude, Shop.Longitude, Now)).Accepted);
            Assert.True((await second.MoveToAsync(Shop.Latitude + 0.0001, Shop.Longitude, Now)).Accepted);
        }

        Assert.DoesNotContain(spawned.Values, s => s.SpawnedAt > pausedAt);

        // A top-up answers with the zone active again, and spawning resumes.
        var toppedUp = await PutBudgetAsync(sponsorId, zoneId, apiKey, new { pricePerVisit = 2.00m, dailyBudget = 10.00m, totalBudget = (decimal?)null, minDwellSeconds = 0 });
        Assert.Equal(("active", 8.00m), (toppedUp["status"]!.GetValue<string>(), toppedUp["leftToday"]!.GetValue<decimal>()));
        Assert.Equal("active", ZoneStatus(zoneId));
        await Until(() => spawned.Values.Any(s => s.SpawnedAt > pausedAt), advance: TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_zone_paused_for_its_daily_budget_spawns_again_the_next_UTC_day()
    {
        var (sponsorId, apiKey) = await CreateSponsorAsync();
        var zoneId = await CreateZoneAsync(sponsorId, apiKey);
        // Ten minutes' dwell qualifies a visit: hour-long jumps of game time below never do (each
        // one ends the visit at the last sighting), so only the first visit is ever charged.
        await PutBudgetAsync(sponsorId, zoneId, apiKey, new { pricePerVisit = 5.00m, dailyBudget = 5.00m, totalBudget = 100.00m, minDwellSeconds = 600 });

        await using var player = await _server.ConnectPlayerAsync(WireProtocol.Json);
        var spawned = Count(player);
        for (var i = 0; i < 11; i++)
        {
            Assert.True((await player.MoveToAsync(Shop.Latitude, Shop.Longitude, Now)).Accepted);
            _server.Time.Advance(TimeSpan.FromMinutes(1));
        }

        await Until(() => !spawned.IsEmpty, advance: null); // the zone spawns while its budget lasts
        var outside = GeoMath.Destination(Shop, 0, 150);
        Assert.True((await player.MoveToAsync(outside.Latitude, outside.Longitude, Now)).Accepted);
        await Until(() => ZoneStatus(zoneId) == "paused_budget", advance: null);

        // Back inside for the rest of the day: nothing spawns.
        var day = _server.Time.GetUtcNow().UtcDateTime.Date;
        var pausedAt = Now;
        while (_server.Time.GetUtcNow().UtcDateTime.AddHours(1).Date == day)
        {
            _server.Time.Advance(TimeSpan.FromHours(1));
            Assert.True((await player.MoveToAsync(Shop.Latitude, Shop.Longitude, Now)).Accepted);
        }

        Assert.DoesNotContain(spawned.Values, s => s.SpawnedAt > pausedAt);
        Assert.Equal("paused_budget", ZoneStatus(zoneId));

        // Past midnight the budget sweep (every game minute here) resumes the zone.
        _server.Time.Advance(day.AddDays(1).AddMinutes(1) - _server.Time.GetUtcNow().UtcDateTime);
        var midnight = new DateTimeOffset(day.AddDays(1), TimeSpan.Zero).ToUnixTimeMilliseconds();
        await Until(() => spawned.Values.Any(s => s.SpawnedAt > pausedAt), advance: TimeSpan.FromSeconds(30), move: player);
        Assert.DoesNotContain(spawned.Values, s => s.SpawnedAt > pausedAt && s.SpawnedAt < midnight);
        var budget = await GetBudgetAsync(sponsorId, zoneId, apiKey);
        Assert.Equal(("active", 0.00m, 5.00m), (budget["status"]!.GetValue<string>(), budget["spentToday"]!.GetValue<decimal>(), budget["spentTotal"]!.GetValue<decimal>()));
    }

    [Fact]
    public async Task A_visit_left_open_by_a_dead_node_is_billed_by_the_sweep_and_a_live_visit_stays_open()
    {
        var (sponsorId, apiKey) = await CreateSponsorAsync();
        var zoneId = await CreateZoneAsync(sponsorId, apiKey);
        await PutBudgetAsync(sponsorId, zoneId, apiKey, new { pricePerVisit = 2.00m, dailyBudget = (decimal?)null, totalBudget = 4.00m, minDwellSeconds = 60 });

        // What a node that died left behind: a qualifying visit, open, never billed, last seen 25 min ago.
        var ghost = "ghost-" + Guid.NewGuid().ToString("N")[..8];
        var start = _server.Time.GetUtcNow();
        await _database.ExecuteAsync("insert into zone_visits (zone_id, player_id, entered_at, last_seen_at) values (@z, @p, @e, @s)",
            ("z", zoneId), ("p", ghost), ("e", start.AddMinutes(-30)), ("s", start.AddMinutes(-25))).WaitAsync(TestServer.Timeout);

        // A live player stands in the zone for 15 minutes of game time (Billing:OpenVisitTimeout is
        // 10): its node refreshes the open visit, so the sweeps that run every game minute leave it alone.
        await using var player = await _server.ConnectPlayerAsync(WireProtocol.Json);
        for (var i = 0; i <= 30; i++)
        {
            Assert.True((await player.MoveToAsync(Shop.Latitude, Shop.Longitude, Now)).Accepted);
            // The refresh is in PostgreSQL before game time moves on (the writer flushes on real time).
            var due = _server.Time.GetUtcNow().AddMinutes(-1.5);
            await UntilAsync(async () => await LastSeenOfAsync(zoneId, player.PlayerId) >= due);
            _server.Time.Advance(TimeSpan.FromSeconds(30));
        }

        await UntilAsync(async () => (await BilledAsync(zoneId)).Count == 2);
        Assert.Equal(new[] { ghost, player.PlayerId }.Order(StringComparer.Ordinal), (await BilledAsync(zoneId)).Order(StringComparer.Ordinal));
        var ghostExit = await _database.ScalarAsync<DateTime>(
            "select exited_at from zone_visits where zone_id = @z and player_id = @p", ("z", zoneId), ("p", ghost)).WaitAsync(TestServer.Timeout);
        Assert.Equal(start.AddMinutes(-25).UtcDateTime, ghostExit, TimeSpan.FromMilliseconds(1));
        Assert.Equal(1L, await _database.ScalarAsync<long>(
            "select count(*) from zone_visits where zone_id = @z and player_id = @p and exited_at is null", ("z", zoneId), ("p", player.PlayerId)).WaitAsync(TestServer.Timeout));

        // The sweep's charge counts against the budget like any other: the total is spent, the zone pauses.
        await Until(() => ZoneStatus(zoneId) == "paused_budget", advance: null);
        var budget = await GetBudgetAsync(sponsorId, zoneId, apiKey);
        Assert.Equal(4.00m, budget["spentTotal"]!.GetValue<decimal>());
    }

    private async Task<DateTimeOffset?> LastSeenOfAsync(Guid zoneId, string playerId) =>
        await _database.ScalarOrNullAsync("select max(last_seen_at) from zone_visits where zone_id = @z and player_id = @p", ("z", zoneId), ("p", playerId))
            .WaitAsync(TestServer.Timeout) is DateTime t ? new DateTimeOffset(t, TimeSpan.Zero) : null;

    private Task<List<string>> BilledAsync(Guid zoneId) =>
        _database.ColumnAsync("select player_id from billed_visits where zone_id = @z", ("z", zoneId)).WaitAsync(TestServer.Timeout);

    /// <summary>Polls (real time, no game time) until the condition holds; bounded by the test timeout.</summary>
    private static async Task UntilAsync(Func<Task<bool>> condition)
    {
        using var cts = new CancellationTokenSource(TestServer.Timeout);
        while (!await condition())
        {
            await Task.Delay(50, cts.Token);
        }
    }

    [Fact]
    public async Task A_sponsor_sees_and_changes_only_its_own_budgets_and_statements()
    {
        var (ownerId, ownerKey) = await CreateSponsorAsync();
        var (otherId, otherKey) = await CreateSponsorAsync();
        var zoneId = await CreateZoneAsync(ownerId, ownerKey);
        var body = new { pricePerVisit = 1.00m, dailyBudget = 5.00m, totalBudget = (decimal?)null, minDwellSeconds = 0 };

        // Another sponsor's key on the owner's paths, and the owner's zone under the other sponsor: 404 like a missing zone.
        (await _server.Http.SendJsonAsync(HttpMethod.Put, $"/api/sponsors/{ownerId}/zones/{zoneId}/budget", body, Rest.Rest.Sponsor(otherKey))).EnsureNotFound();
        (await _server.Http.SendJsonAsync(HttpMethod.Put, $"/api/sponsors/{otherId}/zones/{zoneId}/budget", body, Rest.Rest.Sponsor(otherKey))).EnsureNotFound();
        (await _server.Http.SendJsonAsync(HttpMethod.Get, $"/api/sponsors/{otherId}/zones/{zoneId}/budget", null, Rest.Rest.Sponsor(otherKey))).EnsureNotFound();
        (await _server.Http.SendJsonAsync(HttpMethod.Get, $"/api/sponsors/{ownerId}/statements/2030-01", null, Rest.Rest.Sponsor(otherKey))).EnsureNotFound();
        (await _server.Http.SendJsonAsync(HttpMethod.Get, $"/api/sponsors/{ownerId}/budgets", null, Rest.Rest.Sponsor(otherKey))).EnsureNotFound();
        Assert.Equal(HttpStatusCode.Unauthorized, (await _server.Http.SendJsonAsync(HttpMethod.Get, $"/api/sponsors/{ownerId}/budgets")).StatusCode);
        var others = await (await _server.Http.SendJsonAsync(HttpMethod.Get, $"/api/sponsors/{otherId}/budgets", null, Rest.Rest.Sponsor(otherKey))).ReadJsonAsync();
        Assert.Empty(others.AsArray());

        // The owner's price is unchanged by the attempts.
        var own = await GetBudgetAsync(ownerId, zoneId, ownerKey);
        Assert.Equal(0m, own["pricePerVisit"]!.GetValue<decimal>());

        // Validation lists every bad field at once.
        var bad = await _server.Http.SendJsonAsync(HttpMethod.Put, $"/api/sponsors/{ownerId}/zones/{zoneId}/budget",
            new { pricePerVisit = -1m, dailyBudget = 1.005m, totalBudget = -3m, minDwellSeconds = 90_000 }, Rest.Rest.Sponsor(ownerKey));
        var problem = await bad.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(["dailyBudget", "minDwellSeconds", "pricePerVisit", "totalBudget"], problem["errors"]!.AsObject().Select(e => e.Key).Order());
    }

    [Fact]
    public async Task The_statement_comes_as_JSON_and_as_CSV_with_the_same_lines()
    {
        var (sponsorId, apiKey) = await CreateSponsorAsync();
        var zoneId = await CreateZoneAsync(sponsorId, apiKey, name: "=HYPERLINK(\"x\")");
        await PutBudgetAsync(sponsorId, zoneId, apiKey, new { pricePerVisit = 0.35m, dailyBudget = (decimal?)null, totalBudget = (decimal?)null, minDwellSeconds = 0 });
        var players = new List<TestPlayer>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var player = await _server.ConnectPlayerAsync(WireProtocol.Json);
                players.Add(player);
                Assert.True((await player.MoveToAsync(Shop.Latitude, Shop.Longitude + (i * 1e-5), Now)).Accepted);
            }

            await Until(() => _database.ScalarAsync<long>("select count(*) from billed_visits where zone_id = @z", ("z", zoneId)).Result == 3, advance: null);
        }
        finally
        {
            foreach (var p in players)
            {
                await p.DisposeAsync();
            }
        }

        var month = _server.Time.GetUtcNow().ToString("yyyy-MM", CultureInfo.InvariantCulture);
        var json = await (await _server.Http.SendJsonAsync(HttpMethod.Get, $"/api/sponsors/{sponsorId}/statements/{month}", null, Rest.Rest.Sponsor(apiKey))).ReadJsonAsync();
        Assert.Equal((3, 1.05m), (json["visits"]!.GetValue<int>(), json["amount"]!.GetValue<decimal>()));
        var line = json["lines"]!.AsArray().Single()!;
        Assert.Equal(zoneId.ToString(), line["zoneId"]!.GetValue<string>());

        var csvResponse = await _server.Http.SendJsonAsync(HttpMethod.Get, $"/api/sponsors/{sponsorId}/statements/{month}?format=csv", null, Rest.Rest.Sponsor(apiKey));
        Assert.Equal("text/csv", csvResponse.Content.Headers.ContentType?.MediaType);
        var rows = (await csvResponse.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("day,zoneId,zoneName,visits,chargedVisits,amount", rows[0]);
        // The zone name is sponsor text: escaped so a spreadsheet shows it instead of running it.
        Assert.Equal($"{line["day"]!.GetValue<string>()},{zoneId},\"'=HYPERLINK(\"\"x\"\")\",3,3,1.05", rows[1]);
        Assert.Equal(2, rows.Length);

        var viaAccept = new HttpRequestMessage(HttpMethod.Get, $"/api/sponsors/{sponsorId}/statements/{month}");
        viaAccept.Headers.Add("X-Api-Key", apiKey);
        viaAccept.Headers.Add("Accept", "text/csv");
        Assert.Equal("text/csv", (await _server.Http.SendAsync(viaAccept).WaitAsync(TestServer.Timeout)).Content.Headers.ContentType?.MediaType);
        (await _server.Http.SendJsonAsync(HttpMethod.Get, $"/api/sponsors/{sponsorId}/statements/2030-13", null, Rest.Rest.Sponsor(apiKey))).EnsureBadRequest();
    }

    [Fact]
    public async Task OpenAPI_lists_the_billing_endpoints_and_the_statement_as_JSON_and_CSV()
    {
        var paths = (await (await _server.Http.SendJsonAsync(HttpMethod.Get, "/openapi/v1.json")).ReadJsonAsync())["paths"]!.AsObject();
        foreach (var path in new[]
        {
            "/api/sponsors/{sponsorId}/budgets", "/api/sponsors/{sponsorId}/zones/{zoneId}/budget", "/api/sponsors/{sponsorId}/statements/{month}",
            "/api/sponsors/{sponsorId}/analytics/funnel", "/api/sponsors/{sponsorId}/analytics/dwell-histogram",
        })
        {
            Assert.True(paths.ContainsKey(path), $"OpenAPI is missing {path}");
        }

        var content = paths["/api/sponsors/{sponsorId}/statements/{month}"]!["get"]!["responses"]!["200"]!["content"]!.AsObject();
        Assert.Contains("application/json", content.Select(c => c.Key));
        Assert.Contains("text/csv", content.Select(c => c.Key));
        Assert.NotNull(paths["/api/sponsors/{sponsorId}/zones/{zoneId}/budget"]!["put"]!["requestBody"]);
    }

    private string? ZoneStatus(Guid zoneId) => _server.Services.GetRequiredService<WorldCache>().FindZone(zoneId.ToString())?.Status;

    private static ConcurrentDictionary<string, CreatureSpawned> Count(TestPlayer player)
    {
        var spawned = new ConcurrentDictionary<string, CreatureSpawned>();
        player.Connection.On<CreatureSpawned>(GameEvents.CreatureSpawned, s => spawned[s.CreatureId] = s);
        return spawned;
    }

    private async Task<(Guid Id, string ApiKey)> CreateSponsorAsync()
    {
        var response = await _server.Http.SendJsonAsync(HttpMethod.Post, "/api/sponsors", new { name = "Billing " + Guid.NewGuid().ToString("N")[..6] }, Rest.Rest.Admin(AdminKey));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.ReadJsonAsync();
        return (Guid.Parse(body["sponsorId"]!.GetValue<string>()), body["apiKey"]!.GetValue<string>());
    }

    private async Task<Guid> CreateZoneAsync(Guid sponsorId, string apiKey, string name = "Cafe door")
    {
        var create = await _server.Http.SendJsonAsync(HttpMethod.Post, $"/api/sponsors/{sponsorId}/zones", new
        {
            name,
            circle = new { latitude = Shop.Latitude, longitude = Shop.Longitude, radiusMeters = 60 },
            species = new[] { new { speciesId = Domain.Spawning.SpeciesCatalog.Default.Species[0].Id, weight = 1 } },
            spawnsPerHour = 3600,
            maxAlive = 200,
        }, Rest.Rest.Sponsor(apiKey));
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        return Guid.Parse((await create.ReadJsonAsync())["id"]!.GetValue<string>());
    }

    private async Task<JsonNode> PutBudgetAsync(Guid sponsorId, Guid zoneId, string apiKey, object body)
    {
        var response = await _server.Http.SendJsonAsync(HttpMethod.Put, $"/api/sponsors/{sponsorId}/zones/{zoneId}/budget", body, Rest.Rest.Sponsor(apiKey));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.ReadJsonAsync();
    }

    private async Task<JsonNode> GetBudgetAsync(Guid sponsorId, Guid zoneId, string apiKey) =>
        await (await _server.Http.SendJsonAsync(HttpMethod.Get, $"/api/sponsors/{sponsorId}/zones/{zoneId}/budget", null, Rest.Rest.Sponsor(apiKey))).ReadJsonAsync();

    /// <summary>Advances game time (if asked, moving the player to keep it present) until the condition holds; bounded by the test timeout.</summary>
    private async Task Until(Func<bool> condition, TimeSpan? advance, TestPlayer? move = null)
    {
        using var cts = new CancellationTokenSource(TestServer.Timeout);
        while (!condition())
        {
            if (advance is { } step)
            {
                _server.Time.Advance(step);
                if (move is not null)
                {
                    await move.MoveToAsync(Shop.Latitude, Shop.Longitude, Now);
                }
            }

            await Task.Delay(50, cts.Token);
        }
    }
}

internal static class ResponseAssertions
{
    public static void EnsureNotFound(this HttpResponseMessage response) => Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);

    public static void EnsureBadRequest(this HttpResponseMessage response) => Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
}
