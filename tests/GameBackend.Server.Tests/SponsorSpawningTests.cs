using System.Collections.Concurrent;
using System.Net;
using GameBackend.Contracts;
using GameBackend.Domain.Geo;
using GameBackend.Server.Tests.Infrastructure;
using GameBackend.Server.Tests.Rest;
using Microsoft.AspNetCore.SignalR.Client;

namespace GameBackend.Server.Tests;

/// <summary>
/// Sponsor zones spawning through the whole stack: REST → PostgreSQL → zone cache → cell ticks →
/// zone grain → pushes. Ambient spawning is off so every creature seen is the zone's.
/// </summary>
public sealed class SponsorSpawningTests : IAsyncLifetime
{
    private const string AdminKey = "spawning-tests-admin-key-0123";
    private static readonly GeoPoint Shop = new(52.5290, 13.4010);
    private TestDatabase _database = null!;
    private TestServer _server = null!;

    private long Now => _server.Time.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync("gb_spawn");
        _server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = _database.ConnectionString,
            ["Operators:AdminKey"] = AdminKey,
            ["Game:Spawning:TickInterval"] = "00:00:00.050",
            ["Game:Spawning:AmbientPerSquareKm"] = "0",
            ["Game:Spawning:Seed"] = "77",
        });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task A_zone_spawns_inside_its_area_up_to_its_cap_and_an_exclusion_despawns_and_blocks()
    {
        var (sponsorId, apiKey) = await CreateSponsorAsync();
        var create = await _server.Http.SendJsonAsync(HttpMethod.Post, $"/api/sponsors/{sponsorId}/zones", new
        {
            name = "Coffee door",
            circle = new { latitude = Shop.Latitude, longitude = Shop.Longitude, radiusMeters = 60 },
            species = new[] { new { speciesId = SpeciesIds()[0], weight = 1 } },
            spawnsPerHour = 3600,
            maxAlive = 5,
        }, Rest.Rest.Sponsor(apiKey));
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        var zoneId = (await create.ReadJsonAsync())["id"]!.GetValue<string>();

        await using var player = await _server.ConnectPlayerAsync(WireProtocol.Json);
        var spawned = new ConcurrentDictionary<string, CreatureSpawned>();
        var despawned = new ConcurrentDictionary<string, CreatureDespawned>();
        var order = new ConcurrentQueue<CreatureSpawned>();
        player.Connection.On<CreatureSpawned>(GameEvents.CreatureSpawned, s => { spawned[s.CreatureId] = s; order.Enqueue(s); });
        player.Connection.On<CreatureDespawned>(GameEvents.CreatureDespawned, d => despawned[d.CreatureId] = d);
        Assert.True((await player.MoveToAsync(Shop.Latitude, Shop.Longitude, Now)).Accepted);

        // An hour's worth of game time in one-minute steps: the rate would give 3,600, the cap allows 5 alive.
        await Until(() => spawned.Count >= 5, advance: TimeSpan.FromMinutes(1));
        for (var i = 0; i < 10; i++)
        {
            _server.Time.Advance(TimeSpan.FromSeconds(30));
            await Task.Delay(60);
        }

        var alive = spawned.Keys.Except(despawned.Keys).ToList();
        Assert.InRange(alive.Count, 1, 5);
        Assert.All(spawned.Values, s =>
        {
            Assert.Equal(zoneId, s.SponsorZoneId);
            Assert.InRange(GeoMath.DistanceMeters(Shop, new GeoPoint(s.Latitude, s.Longitude)), 0, 60.5);
        });

        // The north half of the zone becomes an exclusion zone: creatures there go at once, none spawn there again.
        var north = Polygon(Shop.Latitude, Shop.Latitude + 0.01, Shop.Longitude - 0.01, Shop.Longitude + 0.01);
        var inNorth = spawned.Values.Where(s => s.Latitude >= Shop.Latitude && !despawned.ContainsKey(s.CreatureId)).Select(s => s.CreatureId).ToList();
        var exclusion = await _server.Http.SendJsonAsync(HttpMethod.Post, "/api/exclusion-zones", new { name = "School yard", polygon = north }, Rest.Rest.Admin(AdminKey));
        Assert.Equal(HttpStatusCode.Created, exclusion.StatusCode);
        await Until(() => inNorth.All(id => despawned.TryGetValue(id, out var d) && d.Reason == DespawnReasons.Excluded), advance: null);

        var before = order.Count;
        await Until(() => order.Count >= before + 5, advance: TimeSpan.FromMinutes(15));
        Assert.All(order.Skip(before), s => Assert.True(s.Latitude < Shop.Latitude, $"{s.CreatureId} spawned in the excluded half"));
    }

    [Fact]
    public async Task A_zone_spawns_only_inside_its_weekly_schedule()
    {
        var (sponsorId, apiKey) = await CreateSponsorAsync();
        // A window written as one day's "HH:mm" range cannot cross midnight: a run late in the UTC day
        // (CI failed at 22:00) first moves the game clock past it.
        if (_server.Time.GetUtcNow().AddHours(3).Date != _server.Time.GetUtcNow().AddHours(2).Date)
        {
            _server.Time.Advance(TimeSpan.FromHours(4));
        }

        var opens = _server.Time.GetUtcNow().AddHours(2);
        var create = await _server.Http.SendJsonAsync(HttpMethod.Post, $"/api/sponsors/{sponsorId}/zones", new
        {
            name = "Happy hour",
            circle = new { latitude = Shop.Latitude, longitude = Shop.Longitude, radiusMeters = 50 },
            species = new[] { new { speciesId = SpeciesIds()[1], weight = 1 } },
            spawnsPerHour = 600,
            maxAlive = 3,
            schedule = new
            {
                timeZone = "UTC",
                windows = new[] { new { day = opens.DayOfWeek.ToString().ToLowerInvariant(), start = opens.ToString("HH:mm"), end = opens.AddHours(1).ToString("HH:mm") } },
            },
        }, Rest.Rest.Sponsor(apiKey));
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);

        await using var player = await _server.ConnectPlayerAsync(WireProtocol.MessagePack);
        var spawned = new ConcurrentQueue<CreatureSpawned>();
        player.Connection.On<CreatureSpawned>(GameEvents.CreatureSpawned, s => spawned.Enqueue(s));
        Assert.True((await player.MoveToAsync(Shop.Latitude, Shop.Longitude, Now)).Accepted);

        // Through the closed 110 minutes of game time, the player staying (each fix answered), and on
        // until the zone spawns. Each creature carries the game time it was spawned at, so one spawned
        // while closed is caught however late its push arrives: no wait for "nothing happened".
        for (var i = 0; i < 22; i++)
        {
            _server.Time.Advance(TimeSpan.FromMinutes(5));
            Assert.True((await player.MoveToAsync(Shop.Latitude, Shop.Longitude, Now)).Accepted);
        }

        await Until(() => !spawned.IsEmpty, advance: TimeSpan.FromMinutes(1));
        Assert.All(spawned, s => Assert.True(DateTimeOffset.FromUnixTimeMilliseconds(s.SpawnedAt) >= opens.AddMinutes(-1),
            $"spawned at {DateTimeOffset.FromUnixTimeMilliseconds(s.SpawnedAt):O}, before the window at {opens:O}"));
    }

    [Fact]
    public async Task Entering_and_leaving_a_zone_is_recorded_as_one_visit()
    {
        var (sponsorId, apiKey) = await CreateSponsorAsync();
        var create = await _server.Http.SendJsonAsync(HttpMethod.Post, $"/api/sponsors/{sponsorId}/zones", new
        {
            name = "Bakery",
            circle = new { latitude = Shop.Latitude, longitude = Shop.Longitude, radiusMeters = 40 },
            species = new[] { new { speciesId = SpeciesIds()[2], weight = 1 } },
            spawnsPerHour = 1,
            maxAlive = 1,
        }, Rest.Rest.Sponsor(apiKey));
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        var zoneId = Guid.Parse((await create.ReadJsonAsync())["id"]!.GetValue<string>());

        await using var player = await _server.ConnectPlayerAsync(WireProtocol.Json);
        DateTimeOffset? enteredAt = null;
        DateTimeOffset? exitedAt = null;

        // Walk due north through the zone: from 150 m south to 150 m north in 30 m steps.
        for (var d = -150; d <= 150; d += 30)
        {
            _server.Time.Advance(TimeSpan.FromSeconds(10));
            var at = GeoMath.Destination(Shop, d < 0 ? 180 : 0, Math.Abs(d));
            Assert.True((await player.MoveToAsync(at.Latitude, at.Longitude, Now)).Accepted);
            if (Math.Abs(d) <= 40)
            {
                enteredAt ??= _server.Time.GetUtcNow();
            }
            else if (enteredAt is not null)
            {
                exitedAt ??= _server.Time.GetUtcNow();
            }
        }

        using var cts = new CancellationTokenSource(TestServer.Timeout);
        while (await _database.ScalarAsync<long>(
            "select count(*) from zone_visits where zone_id = @z and player_id = @p and exited_at is not null", ("z", zoneId), ("p", player.PlayerId)) < 1)
        {
            await Task.Delay(50, cts.Token);
        }

        Assert.Equal(1L, await _database.ScalarAsync<long>("select count(*) from zone_visits where zone_id = @z and player_id = @p", ("z", zoneId), ("p", player.PlayerId)));
        var entered = await _database.ScalarAsync<DateTime>("select entered_at from zone_visits where zone_id = @z and player_id = @p", ("z", zoneId), ("p", player.PlayerId));
        var exited = await _database.ScalarAsync<DateTime>("select exited_at from zone_visits where zone_id = @z and player_id = @p", ("z", zoneId), ("p", player.PlayerId));
        Assert.Equal(enteredAt!.Value.ToUnixTimeMilliseconds(), new DateTimeOffset(entered, TimeSpan.Zero).ToUnixTimeMilliseconds());
        Assert.Equal(exitedAt!.Value.ToUnixTimeMilliseconds(), new DateTimeOffset(exited, TimeSpan.Zero).ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task Five_zones_at_one_place_spawn_distinct_creatures_and_each_watcher_gets_each_spawn_exactly_once()
    {
        // Zones created together share their UUIDv7 prefix, and with fake time every spawn of a tick
        // happens in the same millisecond: the two things that made ids collide.
        var (sponsorId, apiKey) = await CreateSponsorAsync();
        var zones = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var create = await _server.Http.SendJsonAsync(HttpMethod.Post, $"/api/sponsors/{sponsorId}/zones", new
            {
                name = "Stall " + i,
                circle = new { latitude = Shop.Latitude, longitude = Shop.Longitude, radiusMeters = 80 },
                species = new[] { new { speciesId = SpeciesIds()[i % 3], weight = 1 } },
                spawnsPerHour = 3600,
                maxAlive = 4,
            }, Rest.Rest.Sponsor(apiKey));
            Assert.Equal(HttpStatusCode.Created, create.StatusCode);
            zones.Add((await create.ReadJsonAsync())["id"]!.GetValue<string>());
        }

        // Twenty watchers on both protocols; each counts every delivery of every creature.
        var players = new List<(TestPlayer Player, ConcurrentDictionary<string, int> Deliveries)>();
        var zoneOf = new ConcurrentDictionary<string, ConcurrentBag<string?>>();
        for (var i = 0; i < 20; i++)
        {
            var player = await _server.ConnectPlayerAsync(i % 2 == 0 ? WireProtocol.Json : WireProtocol.MessagePack);
            var deliveries = new ConcurrentDictionary<string, int>();
            player.Connection.On<CreatureSpawned>(GameEvents.CreatureSpawned, s =>
            {
                deliveries.AddOrUpdate(s.CreatureId, 1, (_, n) => n + 1);
                zoneOf.GetOrAdd(s.CreatureId, _ => []).Add(s.SponsorZoneId);
            });
            Assert.True((await player.MoveToAsync(Shop.Latitude + (i * 1e-5), Shop.Longitude, Now)).Accepted);
            players.Add((player, deliveries));
        }

        try
        {
            // Game time moves only here, after every watcher joined: every spawn happens while all watch.
            await Until(() => zoneOf.Count >= 15, advance: TimeSpan.FromSeconds(20));
            var all = zoneOf.Keys.ToHashSet();
            await Until(() => players.All(p => p.Deliveries.Count >= all.Count), advance: null);

            Assert.All(zoneOf, c => Assert.Single(c.Value.Distinct()));
            Assert.All(zoneOf, c => Assert.Contains(c.Value.First(), zones));
            Assert.True(zoneOf.Values.Select(v => v.First()).Distinct().Count() >= 2, "the test needs creatures of several zones");
            foreach (var (_, deliveries) in players)
            {
                Assert.Equal(all.Order(), deliveries.Keys.Order());
                Assert.All(deliveries, d => Assert.Equal(1, d.Value));
            }
        }
        finally
        {
            foreach (var (player, _) in players)
            {
                await player.DisposeAsync();
            }
        }
    }

    private async Task<(Guid Id, string ApiKey)> CreateSponsorAsync()
    {
        var response = await _server.Http.SendJsonAsync(HttpMethod.Post, "/api/sponsors", new { name = "Kaffee " + Guid.NewGuid().ToString("N")[..6] }, Rest.Rest.Admin(AdminKey));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.ReadJsonAsync();
        return (Guid.Parse(body["sponsorId"]!.GetValue<string>()), body["apiKey"]!.GetValue<string>());
    }

    private static string[] SpeciesIds() => [.. Domain.Spawning.SpeciesCatalog.Default.Species.Select(s => s.Id)];

    private static object Polygon(double south, double north, double west, double east) => new
    {
        type = "Polygon",
        coordinates = new[] { new[] { new[] { west, south }, new[] { east, south }, new[] { east, north }, new[] { west, north }, new[] { west, south } } },
    };

    /// <summary>Advances game time (if asked) until the condition holds; bounded by the test timeout.</summary>
    private async Task Until(Func<bool> condition, TimeSpan? advance)
    {
        using var cts = new CancellationTokenSource(TestServer.Timeout);
        while (!condition())
        {
            if (advance is { } step)
            {
                _server.Time.Advance(step);
            }

            await Task.Delay(50, cts.Token);
        }
    }
}
