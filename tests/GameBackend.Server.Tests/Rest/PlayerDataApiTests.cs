using System.Net;
using System.Text.Json.Nodes;
using GameBackend.Server.Tests.Infrastructure;

namespace GameBackend.Server.Tests.Rest;

public sealed class PlayerDataApiTests(RestFixture fixture) : IClassFixture<RestFixture>
{
    private TestServer Server => fixture.Server;

    private Task SeedCaptureAsync(string playerId, string creatureId, DateTimeOffset at) => fixture.ExecuteAsync("""
        insert into captures (creature_id, player_id, species, rarity, geog, captured_at, attempts, losers)
        values (@c, @p, 'oak-owl', 'rare', ST_SetSRID(ST_MakePoint(2.35, 48.85), 4326)::geography, @t, 2, 1)
        """, ("c", creatureId), ("p", playerId), ("t", at));

    private Task SeedPositionAsync(string playerId, long seq, DateTimeOffset at) => fixture.ExecuteAsync("""
        insert into position_samples (player_id, seq, server_time, device_time, geog, cell_id)
        values (@p, @s, @t, @t, ST_SetSRID(ST_MakePoint(2.35, 48.85), 4326)::geography, 'cell')
        """, ("p", playerId), ("s", seq), ("t", at));

    private async Task<JsonNode> HistoryAsync(string token)
    {
        var response = await Server.Http.SendJsonAsync(HttpMethod.Get, "/api/players/me/history", null, Rest.Bearer(token));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/geo+json", response.Content.Headers.ContentType?.MediaType);
        var json = await response.ReadJsonAsync();
        Assert.Equal("FeatureCollection", json["type"]!.GetValue<string>());
        return json;
    }

    private static int CountKind(JsonNode history, string kind) =>
        history["features"]!.AsArray().Count(f => f!["properties"]!["kind"]!.GetValue<string>() == kind);

    [Theory]
    [InlineData("GET", "/api/players/me/collection")]
    [InlineData("GET", "/api/players/me/history")]
    [InlineData("DELETE", "/api/players/me/history")]
    public async Task Player_endpoints_need_a_token(string method, string path)
    {
        var response = await Server.Http.SendJsonAsync(new HttpMethod(method), path);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var forged = await Server.Http.SendJsonAsync(new HttpMethod(method), path, null, Rest.Bearer("not.a.jwt"));
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
    }

    [Fact]
    public async Task The_collection_lists_only_this_players_captures_newest_first()
    {
        var me = await Server.LoginAsync();
        var other = await Server.LoginAsync();
        var t = DateTimeOffset.UtcNow.AddMinutes(-10);
        await SeedCaptureAsync(me.PlayerId, "c-old-" + me.PlayerId, t);
        await SeedCaptureAsync(me.PlayerId, "c-new-" + me.PlayerId, t.AddMinutes(1));
        await SeedCaptureAsync(other.PlayerId, "c-other-" + other.PlayerId, t);

        var response = await Server.Http.SendJsonAsync(HttpMethod.Get, "/api/players/me/collection", null, Rest.Bearer(me.Token));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var items = (await response.ReadJsonAsync()).AsArray();
        Assert.Equal(["c-new-" + me.PlayerId, "c-old-" + me.PlayerId], items.Select(i => i!["creatureId"]!.GetValue<string>()));
        var first = items[0]!;
        Assert.Equal("oak-owl", first["species"]!.GetValue<string>());
        Assert.Equal("rare", first["rarity"]!.GetValue<string>());
        Assert.Equal(48.85, first["latitude"]!.GetValue<double>(), 6);
        Assert.Equal(2.35, first["longitude"]!.GetValue<double>(), 6);
        Assert.Equal(t.AddMinutes(1).ToUnixTimeMilliseconds(), DateTimeOffset.Parse(first["capturedAt"]!.GetValue<string>()).ToUnixTimeMilliseconds());

        var limited = await Server.Http.SendJsonAsync(HttpMethod.Get, "/api/players/me/collection?limit=1", null, Rest.Bearer(me.Token));
        Assert.Single((await limited.ReadJsonAsync()).AsArray());
        await (await Server.Http.SendJsonAsync(HttpMethod.Get, "/api/players/me/collection?limit=0", null, Rest.Bearer(me.Token)))
            .AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task History_is_exported_as_geojson_and_deleting_it_erases_captures_too()
    {
        var me = await Server.LoginAsync();
        var t = DateTimeOffset.UtcNow.AddMinutes(-5);
        await SeedPositionAsync(me.PlayerId, 1, t);
        await SeedPositionAsync(me.PlayerId, 2, t.AddSeconds(5));
        await SeedCaptureAsync(me.PlayerId, "c-hist-" + me.PlayerId, t.AddSeconds(6));

        var before = await HistoryAsync(me.Token);
        Assert.Equal(2, CountKind(before, "position"));
        Assert.Equal(1, CountKind(before, "capture"));
        var point = before["features"]![0]!["geometry"]!;
        Assert.Equal("Point", point["type"]!.GetValue<string>());
        Assert.Equal(2.35, point["coordinates"]![0]!.GetValue<double>(), 6); // [lon, lat]

        var deleted = await Server.Http.SendJsonAsync(HttpMethod.Delete, "/api/players/me/history", null, Rest.Bearer(me.Token));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);

        // Captures are play history too (issue 13): erasure takes them, and the collection with them.
        var after = await HistoryAsync(me.Token);
        Assert.Equal(0, CountKind(after, "position"));
        Assert.Equal(0, CountKind(after, "capture"));
    }

    [Fact]
    public async Task Locations_sent_over_signalr_reach_the_export()
    {
        await using var player = await Server.ConnectPlayerAsync(WireProtocol.Json);
        var ack = await player.MoveToAsync(48.8566, 2.3522, Server.Time.GetUtcNow().ToUnixTimeMilliseconds());
        Assert.True(ack.Accepted);

        await Rest.EventuallyAsync(async () => CountKind(await HistoryAsync(player.Token), "position") == 1, "the position to be written");
        var deleted = await Server.Http.SendJsonAsync(HttpMethod.Delete, "/api/players/me/history", null, Rest.Bearer(player.Token));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(0, CountKind(await HistoryAsync(player.Token), "position"));
    }
}
