using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using GameBackend.Contracts;
using GameBackend.Domain.Geo;
using GameBackend.Server.Tests.Infrastructure;
using GameBackend.Server.Tests.Rest;
using Microsoft.AspNetCore.SignalR.Client;
using Npgsql;

namespace GameBackend.Server.Tests;

/// <summary>
/// Operator moderation through the whole stack on real PostgreSQL: zone approval gating spawning,
/// removal request → exclusion zone → live despawn, bans closing connections and refusing logins,
/// and the append-only audit log. Zones need approval here (<c>Moderation:AutoApproveZones=false</c>,
/// as in production); ambient spawning is off so every creature seen is a zone's.
/// </summary>
public sealed class ModerationTests : IAsyncLifetime
{
    private const string AdminKey = "moderation-tests-admin-key-0123";
    private TestDatabase _database = null!;
    private TestServer _server = null!;

    private long Now => _server.Time.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync("gb_moderation").WaitAsync(TestServer.Timeout);
        _server = await StartAsync(new Dictionary<string, string?>());
    }

    private Task<TestServer> StartAsync(Dictionary<string, string?> extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = _database.ConnectionString,
            ["Operators:AdminKey"] = AdminKey,
            ["Moderation:AutoApproveZones"] = "false",
            ["Game:Spawning:TickInterval"] = "00:00:00.050",
            ["Game:Spawning:AmbientPerSquareKm"] = "0",
            ["Game:Spawning:Seed"] = "14",
        };
        foreach (var (k, v) in extra)
        {
            settings[k] = v;
        }

        return TestServer.StartAsync(settings);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _database.DisposeAsync().AsTask().WaitAsync(TestServer.Timeout);
    }

    [Fact]
    public async Task A_new_zone_waits_for_approval_does_not_spawn_until_approved_and_a_change_waits_again()
    {
        var shop = new GeoPoint(52.5290, 13.4010);
        var neighbour = new GeoPoint(52.5290, 13.4016); // ~40 m east, the same player's view
        var (sponsorId, apiKey) = await CreateSponsorAsync();
        var zoneId = await CreateZoneAsync(sponsorId, apiKey, shop, "Corner bakery");
        // The control: an approved zone next door proves the spawner ran while the pending one stayed silent.
        var controlId = await CreateZoneAsync(sponsorId, apiKey, neighbour, "Approved kiosk");

        // Pending: both listed for the operator with their area.
        var pending = (await (await Operator(HttpMethod.Get, "/api/operator/zones")).ReadJsonAsync()).AsArray();
        Assert.Equal([zoneId, controlId], pending.Select(z => z!["id"]!.GetValue<string>()));
        Assert.All(pending, z => Assert.Equal("pending_approval", z!["status"]!.GetValue<string>()));
        Assert.Equal("Polygon", pending[0]!["area"]!["type"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NoContent, (await Operator(HttpMethod.Post, $"/api/operator/zones/{controlId}/approve", new { })).StatusCode);

        await using var player = await _server.ConnectPlayerAsync(WireProtocol.Json);
        var spawned = new ConcurrentDictionary<string, CreatureSpawned>();
        player.Connection.On<CreatureSpawned>(GameEvents.CreatureSpawned, s => spawned[s.CreatureId] = s);
        Assert.True((await player.MoveToAsync(shop.Latitude, shop.Longitude, Now)).Accepted);
        await Until(() => spawned.Values.Count(s => s.SponsorZoneId == controlId) >= 5, TimeSpan.FromMinutes(1));
        Assert.DoesNotContain(spawned.Values, s => s.SponsorZoneId == zoneId);

        // A rejection needs a reason; an approval lets it spawn.
        await Rest.Rest.AssertProblemAsync(await Operator(HttpMethod.Post, $"/api/operator/zones/{zoneId}/reject", new { }), HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.NoContent, (await Operator(HttpMethod.Post, $"/api/operator/zones/{zoneId}/approve", new { reason = "looks fine" })).StatusCode);
        await Until(() => spawned.Values.Any(s => s.SponsorZoneId == zoneId), TimeSpan.FromMinutes(1));
        Assert.Empty((await (await Operator(HttpMethod.Get, "/api/operator/zones")).ReadJsonAsync()).AsArray());
        Assert.Equal(HttpStatusCode.NotFound, (await Operator(HttpMethod.Post, $"/api/operator/zones/{zoneId}/approve", new { })).StatusCode);

        // A change goes back to review; rejected, it stays out of the spawner.
        var change = await _server.Http.SendJsonAsync(HttpMethod.Put, $"/api/sponsors/{sponsorId}/zones/{zoneId}", ZoneBody(shop, "Corner bakery, bigger"), Rest.Rest.Sponsor(apiKey));
        Assert.Equal(HttpStatusCode.OK, change.StatusCode);
        Assert.Equal("pending_approval", await StatusOfAsync(zoneId));
        Assert.Equal(HttpStatusCode.NoContent, (await Operator(HttpMethod.Post, $"/api/operator/zones/{zoneId}/reject", new { reason = "covers the school entrance" })).StatusCode);
        Assert.Equal("rejected", await StatusOfAsync(zoneId));
        var cache = _server.Services.GetRequiredService<Spawning.WorldCache>();
        await cache.ReloadAsync(CancellationToken.None).WaitAsync(TestServer.Timeout);
        Assert.DoesNotContain(cache.Zones, z => z.Zone.Id == zoneId);
        var rejected = Assert.Single((await (await Operator(HttpMethod.Get, "/api/operator/zones?status=rejected")).ReadJsonAsync()).AsArray());
        Assert.Equal("covers the school entrance", rejected!["reason"]!.GetValue<string>());

        var audit = await AuditAsync($"target={zoneId}");
        Assert.Equal(
            ["zone.created", "zone.approved", "zone.changed", "zone.rejected"],
            audit.Select(a => a["action"]!.GetValue<string>()).Reverse());
        Assert.Equal($"sponsor:{sponsorId}", audit[^1]["actor"]!.GetValue<string>());
        Assert.Equal("operator:admin", audit[0]["actor"]!.GetValue<string>());
        Assert.Equal("covers the school entrance", audit[0]["detail"]!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_removal_request_becomes_an_exclusion_zone_in_one_step_and_the_creatures_there_despawn_live()
    {
        var shop = new GeoPoint(52.5310, 13.4110);
        var (sponsorId, apiKey) = await CreateSponsorAsync();
        var zoneId = await CreateZoneAsync(sponsorId, apiKey, shop, "Memorial café");
        Assert.Equal(HttpStatusCode.NoContent, (await Operator(HttpMethod.Post, $"/api/operator/zones/{zoneId}/approve", new { })).StatusCode);

        await using var player = await _server.ConnectPlayerAsync(WireProtocol.MessagePack);
        var spawned = new ConcurrentDictionary<string, CreatureSpawned>();
        var despawned = new ConcurrentDictionary<string, CreatureDespawned>();
        player.Connection.On<CreatureSpawned>(GameEvents.CreatureSpawned, s => spawned[s.CreatureId] = s);
        player.Connection.On<CreatureDespawned>(GameEvents.CreatureDespawned, d => despawned[d.CreatureId] = d);
        Assert.True((await player.MoveToAsync(shop.Latitude, shop.Longitude, Now)).Accepted);
        await Until(() => spawned.Count >= 3, TimeSpan.FromMinutes(1));

        // Anyone, without a key: a point and radius covering the whole zone (60 m) around the memorial.
        var filed = await _server.Http.SendJsonAsync(HttpMethod.Post, "/api/removal-requests", new
        {
            point = new { latitude = shop.Latitude, longitude = shop.Longitude, radiusMeters = 200 },
            reason = "A memorial: please no games here.",
            contact = "caretaker@example.org",
        });
        Assert.Equal(HttpStatusCode.Created, filed.StatusCode);
        var requestId = (await filed.ReadJsonAsync())["id"]!.GetValue<string>();
        var open = Assert.Single((await (await Operator(HttpMethod.Get, "/api/operator/removal-requests")).ReadJsonAsync()).AsArray());
        Assert.Equal("caretaker@example.org", open!["contact"]!.GetValue<string>());

        var alive = spawned.Keys.Except(despawned.Keys).ToList();
        Assert.NotEmpty(alive);
        var accepted = await Operator(HttpMethod.Post, $"/api/operator/removal-requests/{requestId}/accept", new { reason = "agreed" });
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        var body = await accepted.ReadJsonAsync();
        Assert.Equal("accepted", body["status"]!.GetValue<string>());
        var exclusionId = body["exclusionZoneId"]!.GetValue<string>();
        await Until(() => alive.All(id => despawned.TryGetValue(id, out var d) && d.Reason == DespawnReasons.Excluded), advance: null);

        var exclusions = (await (await Operator(HttpMethod.Get, "/api/exclusion-zones")).ReadJsonAsync()).AsArray();
        Assert.Contains(exclusions, e => e!["id"]!.GetValue<string>() == exclusionId);
        Assert.Equal(HttpStatusCode.NotFound, (await Operator(HttpMethod.Post, $"/api/operator/removal-requests/{requestId}/accept", new { })).StatusCode);
        Assert.Empty((await (await Operator(HttpMethod.Get, "/api/operator/removal-requests")).ReadJsonAsync()).AsArray());
        Assert.Equal(["removal.accepted"], (await AuditAsync($"target={requestId}")).Select(a => a["action"]!.GetValue<string>()));
        Assert.Equal(requestId, (await AuditAsync($"target={exclusionId}")).Single()["detail"]!["removalRequestId"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_removal_request_is_size_bounded_and_validated()
    {
        var tooWide = await _server.Http.SendJsonAsync(HttpMethod.Post, "/api/removal-requests", new
        {
            point = new { latitude = 52.5, longitude = 13.4, radiusMeters = 501 }, reason = "x",
        });
        await Rest.Rest.AssertProblemAsync(tooWide, HttpStatusCode.BadRequest);
        // About 2.2 km × 2.2 km: more than the 1 km² default bound.
        var tooBig = await _server.Http.SendJsonAsync(HttpMethod.Post, "/api/removal-requests", new
        {
            polygon = SponsorZoneTests.Square(52.5, 13.4, 0.01), reason = "the whole district",
        });
        Assert.Contains("smaller place", await tooBig.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var noReason = await _server.Http.SendJsonAsync(HttpMethod.Post, "/api/removal-requests", new { point = new { latitude = 52.5, longitude = 13.4 } });
        Assert.Contains("reason", (await noReason.ReadJsonAsync())["errors"]!.AsObject().Select(e => e.Key));
        var both = await _server.Http.SendJsonAsync(HttpMethod.Post, "/api/removal-requests", new
        {
            point = new { latitude = 52.5, longitude = 13.4 }, polygon = SponsorZoneTests.Square(52.5, 13.4, 0.0005), reason = "both",
        });
        Assert.Contains("area", (await both.ReadJsonAsync())["errors"]!.AsObject().Select(e => e.Key));
    }

    [Fact]
    public async Task Removal_requests_are_rate_limited_per_client_address()
    {
        await using var server = await StartAsync(new() { ["Moderation:RemovalRequestsPerHour"] = "2" });
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            statuses.Add((await server.Http.SendJsonAsync(HttpMethod.Post, "/api/removal-requests", new
            {
                point = new { latitude = 52.5, longitude = 13.4 + (i * 0.01) }, reason = "request " + i,
            })).StatusCode);
        }

        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task A_ban_closes_the_players_connections_with_the_reason_and_refuses_new_logins_until_lifted()
    {
        var device = "banned-phone-" + Guid.NewGuid().ToString("N");
        using var first = await _server.Http.PostAsJsonAsync("/api/players/login", new { deviceId = device }).WaitAsync(TestServer.Timeout);
        var login = await first.ReadJsonAsync();
        var playerId = login["playerId"]!.GetValue<string>();
        var secret = login["deviceSecret"]!.GetValue<string>();
        await using var connection = _server.BuildConnection(login["token"]!.GetValue<string>(), WireProtocol.Json);
        var banned = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.On<JsonObject>("banned", b => banned.TrySetResult(b["reason"]!.GetValue<string>()));
        connection.Closed += e => { closed.TrySetResult(e); return Task.CompletedTask; };
        await connection.StartAsync().WaitAsync(TestServer.Timeout);

        var ban = await Operator(HttpMethod.Put, $"/api/operator/bans/{playerId}", new { reason = "GPS spoofing" });
        Assert.Equal(HttpStatusCode.OK, ban.StatusCode);
        Assert.Equal("banned: GPS spoofing", await banned.Task.WaitAsync(TestServer.Timeout));
        await closed.Task.WaitAsync(TestServer.Timeout);

        // The token it still holds no longer opens the hub: the close frame carries the reason.
        await using var again = _server.BuildConnection(login["token"]!.GetValue<string>(), WireProtocol.Json);
        var refused = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        again.Closed += e => { refused.TrySetResult(e); return Task.CompletedTask; };
        var startError = await Record.ExceptionAsync(() => again.StartAsync().WaitAsync(TestServer.Timeout));
        var reason = startError ?? await refused.Task.WaitAsync(TestServer.Timeout);
        Assert.Contains("banned: GPS spoofing", reason!.Message, StringComparison.Ordinal);

        var relogin = await _server.Http.PostAsJsonAsync("/api/players/login", new { deviceId = device, deviceSecret = secret }).WaitAsync(TestServer.Timeout);
        var problem = await Rest.Rest.AssertProblemAsync(relogin, HttpStatusCode.Forbidden);
        Assert.Equal("banned: GPS spoofing", problem["detail"]!.GetValue<string>());
        var listed = Assert.Single((await (await Operator(HttpMethod.Get, "/api/operator/bans")).ReadJsonAsync()).AsArray());
        Assert.Equal(playerId, listed!["playerId"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.NoContent, (await Operator(HttpMethod.Delete, $"/api/operator/bans/{playerId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Operator(HttpMethod.Delete, $"/api/operator/bans/{playerId}")).StatusCode);
        var back = await _server.Http.PostAsJsonAsync("/api/players/login", new { deviceId = device, deviceSecret = secret }).WaitAsync(TestServer.Timeout);
        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
        await using var reconnected = _server.BuildConnection((await back.ReadJsonAsync())["token"]!.GetValue<string>(), WireProtocol.Json);
        await reconnected.StartAsync().WaitAsync(TestServer.Timeout);
        Assert.NotNull(await reconnected.InvokeAsync<PlayerState>(HubMethods.GetState).WaitAsync(TestServer.Timeout));

        Assert.Equal(["player.banned", "player.unbanned"], (await AuditAsync($"target={playerId}")).Select(a => a["action"]!.GetValue<string>()).Reverse());
    }

    [Fact]
    public async Task Every_operator_and_sponsor_action_is_audited_and_the_log_is_append_only()
    {
        var (sponsorId, apiKey) = await CreateSponsorAsync();
        var rotated = await _server.Http.SendJsonAsync(HttpMethod.Post, $"/api/sponsors/{sponsorId}/api-key", null, Rest.Rest.Sponsor(apiKey));
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Operator(HttpMethod.Post, $"/api/operator/sponsors/{sponsorId}/api-key")).StatusCode);
        var apiKey2 = (await (await Operator(HttpMethod.Post, $"/api/operator/sponsors/{sponsorId}/api-key")).ReadJsonAsync())["apiKey"]!.GetValue<string>();
        var zoneId = await CreateZoneAsync(sponsorId, apiKey2, new GeoPoint(48.85, 2.35), "Audit café");
        Assert.Equal(HttpStatusCode.NoContent, (await _server.Http.SendJsonAsync(HttpMethod.Delete, $"/api/sponsors/{sponsorId}/zones/{zoneId}", null, Rest.Rest.Sponsor(apiKey2))).StatusCode);
        var exclusion = await (await Operator(HttpMethod.Post, "/api/exclusion-zones", new { name = "Yard", polygon = SponsorZoneTests.Square(48.80, 2.30, 0.001) })).ReadJsonAsync();
        var exclusionId = exclusion["id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.NoContent, (await Operator(HttpMethod.Delete, $"/api/exclusion-zones/{exclusionId}")).StatusCode);
        var player = await _server.LoginAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await _server.Http.SendJsonAsync(HttpMethod.Delete, "/api/players/me/history", null, Rest.Rest.Bearer(player.Token))).StatusCode);

        var sponsorActions = await AuditAsync($"target={sponsorId}");
        Assert.Equal(
            [("sponsor.created", "operator:admin"), ("sponsor.key_rotated", $"sponsor:{sponsorId}"), ("sponsor.key_rotated", "operator:admin"), ("sponsor.key_rotated", "operator:admin")],
            sponsorActions.Select(a => (a["action"]!.GetValue<string>(), a["actor"]!.GetValue<string>())).Reverse());
        Assert.Equal(["zone.created", "zone.deleted"], (await AuditAsync($"target={zoneId}")).Select(a => a["action"]!.GetValue<string>()).Reverse());
        Assert.Equal(["exclusion.created", "exclusion.deleted"], (await AuditAsync($"target={exclusionId}")).Select(a => a["action"]!.GetValue<string>()).Reverse());
        var erased = Assert.Single(await AuditAsync($"action=player.data_erased&actor=player:{player.PlayerId}"));
        Assert.Equal(player.PlayerId, erased["target"]!.GetValue<string>());
        // Times are game time; the filter's range is half-open.
        var at = erased["at"]!.GetValue<DateTimeOffset>();
        Assert.Equal(_server.Time.GetUtcNow(), at, TimeSpan.FromSeconds(1));
        Assert.Empty(await AuditAsync($"action=player.data_erased&to={Uri.EscapeDataString(at.ToString("O"))}"));
        Assert.Single(await AuditAsync($"action=player.data_erased&from={Uri.EscapeDataString(at.ToString("O"))}"));
        var page = await AuditAsync("limit=2");
        Assert.Equal(2, page.Count);
        var next = await AuditAsync($"limit=2&beforeId={page[^1]["id"]!.GetValue<long>()}");
        Assert.True(next[0]["id"]!.GetValue<long>() < page[^1]["id"]!.GetValue<long>());
        await Rest.Rest.AssertProblemAsync(await Operator(HttpMethod.Get, "/api/operator/audit?limit=501"), HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _server.Http.SendJsonAsync(HttpMethod.Get, "/api/operator/audit")).StatusCode);

        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync().WaitAsync(TestServer.Timeout);
        foreach (var sql in new[] { "update audit_log set actor = 'someone else'", "delete from audit_log", "truncate audit_log" })
        {
            await using var cmd = new NpgsqlCommand(sql, connection);
            var error = await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteNonQueryAsync().WaitAsync(TestServer.Timeout));
            Assert.Contains("append-only", error.MessageText, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_strikes_list_reads_the_stored_strikes_of_every_player_in_pages_and_another_node_sees_the_same()
    {
        // Stored by other nodes' player grains (and before any restart): none of them is online here.
        var now = Now;
        var decayed = now - (long)TimeSpan.FromMinutes(25).TotalMilliseconds; // StrikeDecay 10 min: two periods gone
        foreach (var (player, strikes, at, bannedUntil) in new[]
        {
            ("struck-a", 5, now, now + 3_600_000), ("struck-b", 3, now, 0L), ("struck-c", 3, now, 0L), ("faded", 2, decayed, 0L), ("clean", 0, now, 0L),
        })
        {
            await _database.ExecuteAsync(
                "insert into player_fair_play (player_id, strikes, strikes_at_ms, banned_until_ms, trusted_at_ms, trusted_lat, trusted_lon) values (@p, @s, @at, @b, @at, 52.5, 13.4)",
                ("p", player), ("s", strikes), ("at", at), ("b", bannedUntil)).WaitAsync(TestServer.Timeout);
        }

        // And one earned here and now: a teleport, which the player grain stores before it answers.
        await using var cheat = await _server.ConnectPlayerAsync(WireProtocol.Json);
        Assert.True((await cheat.MoveToAsync(40.0, -74.0, Now)).Accepted);
        _server.Time.Advance(TimeSpan.FromSeconds(10));
        var jump = GeoMath.Destination(new GeoPoint(40.0, -74.0), 45, 10_000);
        Assert.Equal(RejectReasons.ImplausibleSpeed, (await cheat.MoveToAsync(jump.Latitude, jump.Longitude, Now)).Reason);

        var all = await StrikesAsync(_server, "");
        Assert.Equal([("struck-a", 5), ("struck-b", 3), ("struck-c", 3), (cheat.PlayerId, 1)], all.Select(Row));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(now + 3_600_000), all[0]["captureBannedUntil"]!.GetValue<DateTimeOffset>());
        Assert.Null(all[1]["captureBannedUntil"]);
        Assert.Equal((52.5, 13.4), (all[1]["latitude"]!.GetValue<double>(), all[1]["longitude"]!.GetValue<double>()));

        // Pages: the next one starts after the previous page's last row.
        var first = await StrikesAsync(_server, "limit=2");
        Assert.Equal([("struck-a", 5), ("struck-b", 3)], first.Select(Row));
        var second = await StrikesAsync(_server, "limit=2&afterStrikes=3&afterPlayerId=struck-b");
        Assert.Equal([("struck-c", 3), (cheat.PlayerId, 1)], second.Select(Row));
        Assert.Equal(["struck-a", "struck-b", "struck-c"], (await StrikesAsync(_server, "minStrikes=3")).Select(r => Row(r).Player));

        // A node that never saw any of these players (a restart, or another node) lists the same.
        await using (var other = await StartAsync(new Dictionary<string, string?>()))
        {
            Assert.Equal(all.Select(Row), (await StrikesAsync(other, "")).Select(Row));
        }

        foreach (var bad in new[] { "limit=0", "limit=501", "afterStrikes=3", "afterPlayerId=struck-b", "afterStrikes=x&afterPlayerId=y", "minStrikes=0" })
        {
            await Rest.Rest.AssertProblemAsync(await Operator(HttpMethod.Get, "/api/operator/strikes?" + bad), HttpStatusCode.BadRequest);
        }

        static (string Player, int Strikes) Row(JsonNode r) => (r["playerId"]!.GetValue<string>(), r["strikes"]!.GetValue<int>());
    }

    [Fact]
    public async Task Two_operators_act_under_their_own_names_in_the_audit_log_and_a_wrong_key_is_refused()
    {
        const string aliceKey = "alice-operator-key-0123456789";
        const string bobKey = "bob-operator-key-9876543210";
        var bobHash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(bobKey)));
        await using var server = await StartAsync(new Dictionary<string, string?>
        {
            ["Operators:Accounts:0:Name"] = "alice",
            ["Operators:Accounts:0:Key"] = aliceKey,
            ["Operators:Accounts:1:Name"] = "bob",
            ["Operators:Accounts:1:KeyHash"] = bobHash,
        });

        // Alice over REST with her key.
        var banned = await server.Http.SendJsonAsync(HttpMethod.Put, "/api/operator/bans/player-alice-banned", new { reason = "spoofing" }, Rest.Rest.Admin(aliceKey));
        Assert.Equal(HttpStatusCode.OK, banned.StatusCode);

        // Bob in the console: his key buys a session that carries his name, and the hub acts as him.
        var handler = new HttpClientHandler { UseCookies = false };
        using var browser = new HttpClient(handler) { BaseAddress = server.BaseAddress, Timeout = TestServer.Timeout };
        using var signIn = await browser.PostAsJsonAsync("/api/operator/session", new { adminKey = bobKey }).WaitAsync(TestServer.Timeout);
        Assert.Equal(HttpStatusCode.NoContent, signIn.StatusCode);
        var cookie = signIn.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        using var status = new HttpRequestMessage(HttpMethod.Get, "/api/operator/session");
        status.Headers.Add("Cookie", cookie);
        var session = await (await browser.SendAsync(status).WaitAsync(TestServer.Timeout)).ReadJsonAsync();
        Assert.Equal((true, "bob"), (session["signedIn"]!.GetValue<bool>(), session["name"]!.GetValue<string>()));
        await using (var console = server.OperatorConnection(cookie))
        {
            await console.StartAsync().WaitAsync(TestServer.Timeout);
            Assert.Equal("bob", await console.InvokeAsync<string>("GetOperator").WaitAsync(TestServer.Timeout));
            await console.InvokeAsync<JsonObject>("Ban", "player-bob-banned", "bot farm").WaitAsync(TestServer.Timeout);
            Assert.True(await console.InvokeAsync<bool>("Unban", "player-alice-banned").WaitAsync(TestServer.Timeout));
        }

        // The single admin key still works, as the account "admin".
        Assert.Equal(HttpStatusCode.Created, (await server.Http.SendJsonAsync(HttpMethod.Post, "/api/sponsors", new { name = "Admin's sponsor" }, Rest.Rest.Admin(AdminKey))).StatusCode);

        var log = await (await server.Http.SendJsonAsync(HttpMethod.Get, "/api/operator/audit", null, Rest.Rest.Admin(aliceKey))).ReadJsonAsync();
        Assert.Equal(
            [("player.banned", "player-alice-banned", "operator:alice"), ("player.banned", "player-bob-banned", "operator:bob"),
             ("player.unbanned", "player-alice-banned", "operator:bob"), ("sponsor.created", null, "operator:admin")],
            log.AsArray().Reverse().Select(a => (a!["action"]!.GetValue<string>(),
                a["action"]!.GetValue<string>() == "sponsor.created" ? null : a["target"]!.GetValue<string>(), a["actor"]!.GetValue<string>())));
        var bobs = await (await server.Http.SendJsonAsync(HttpMethod.Get, "/api/operator/audit?actor=operator:bob", null, Rest.Rest.Admin(bobKey))).ReadJsonAsync();
        Assert.Equal(2, bobs.AsArray().Count);

        // A wrong key opens nothing: not REST, not a session, not the hub.
        const string wrong = "mallory-operator-key-000000000";
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Http.SendJsonAsync(HttpMethod.Put, "/api/operator/bans/someone", new { reason = "x" }, Rest.Rest.Admin(wrong))).StatusCode);
        using var refused = await browser.PostAsJsonAsync("/api/operator/session", new { adminKey = wrong }).WaitAsync(TestServer.Timeout);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.False(refused.Headers.Contains("Set-Cookie"));
        await using (var hub = new HubConnectionBuilder().WithUrl(new Uri(server.BaseAddress, "/hubs/operator?adminKey=" + wrong)).Build())
        {
            var ex = await Assert.ThrowsAsync<HttpRequestException>(() => hub.StartAsync().WaitAsync(TestServer.Timeout));
            Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
        }

        // Bob's session ends where bob is no longer an operator (the same signing key, a node without his account).
        await using var withoutBob = await StartAsync(new Dictionary<string, string?> { ["Operators:Accounts:0:Name"] = "alice", ["Operators:Accounts:0:Key"] = aliceKey });
        using var stale = new HttpRequestMessage(HttpMethod.Get, "/api/operator/session");
        stale.Headers.Add("Cookie", cookie);
        Assert.False((await (await withoutBob.Http.SendAsync(stale).WaitAsync(TestServer.Timeout)).ReadJsonAsync())["signedIn"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("bob", "alice-operator-key-0123456789", "same key")]
    [InlineData("admin", "another-operator-key-0123456", "Operators:Accounts:1:Name 'admin' is taken by Operators:AdminKey")]
    [InlineData("b o b", "another-operator-key-0123456", "Operators:Accounts:1:Name must be")]
    [InlineData("bob", "short", "Operators:Accounts:1:Key must be at least 16")]
    public async Task Operator_accounts_are_validated_at_start(string name, string key, string message)
    {
        var ex = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => StartAsync(new Dictionary<string, string?>
        {
            ["Operators:Accounts:0:Name"] = "alice",
            ["Operators:Accounts:0:Key"] = "alice-operator-key-0123456789",
            ["Operators:Accounts:1:Name"] = name,
            ["Operators:Accounts:1:Key"] = key,
        }));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    private static async Task<List<JsonNode>> StrikesAsync(TestServer server, string query)
    {
        var response = await server.Http.SendJsonAsync(HttpMethod.Get, "/api/operator/strikes?" + query, null, Rest.Rest.Admin(AdminKey));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await response.ReadJsonAsync()).AsArray().Select(n => n!)];
    }

    private Task<HttpResponseMessage> Operator(HttpMethod method, string url, object? body = null) =>
        _server.Http.SendJsonAsync(method, url, body, Rest.Rest.Admin(AdminKey));

    private async Task<List<JsonNode>> AuditAsync(string query)
    {
        var response = await Operator(HttpMethod.Get, "/api/operator/audit?" + query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await response.ReadJsonAsync()).AsArray().Select(n => n!)];
    }

    private Task<string> StatusOfAsync(string zoneId) =>
        _database.ScalarAsync<string>("select status from sponsor_zones where id = @id", ("id", Guid.Parse(zoneId))).WaitAsync(TestServer.Timeout);

    private async Task<(Guid Id, string ApiKey)> CreateSponsorAsync()
    {
        var response = await Operator(HttpMethod.Post, "/api/sponsors", new { name = "Kiosk " + Guid.NewGuid().ToString("N")[..6] });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.ReadJsonAsync();
        return (Guid.Parse(body["sponsorId"]!.GetValue<string>()), body["apiKey"]!.GetValue<string>());
    }

    private static object ZoneBody(GeoPoint at, string name) => new
    {
        name,
        circle = new { latitude = at.Latitude, longitude = at.Longitude, radiusMeters = 60 },
        species = new[] { new { speciesId = Domain.Spawning.SpeciesCatalog.Default.Species[0].Id, weight = 1 } },
        spawnsPerHour = 3600,
        maxAlive = 5,
    };

    private async Task<string> CreateZoneAsync(Guid sponsorId, string apiKey, GeoPoint at, string name)
    {
        var create = await _server.Http.SendJsonAsync(HttpMethod.Post, $"/api/sponsors/{sponsorId}/zones", ZoneBody(at, name), Rest.Rest.Sponsor(apiKey));
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        return (await create.ReadJsonAsync())["id"]!.GetValue<string>();
    }

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
