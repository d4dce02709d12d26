using System.Net.Http.Headers;
using System.Text.Json;
using GameBackend.Contracts;
using GameBackend.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace GameBackend.Server.Tests;

/// <summary>A capture is committed to PostgreSQL and the collection survives a server restart.</summary>
public sealed class CollectionTests
{
    [Fact]
    public async Task A_captured_creature_is_in_the_collection_after_a_restart()
    {
        await using var database = await TestDatabase.CreateAsync("gb_collection");
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = database.ConnectionString,
            ["Game:Spawning:TickInterval"] = "00:00:00.050",
            ["Game:Spawning:AmbientPerSquareKm"] = "3000",
        };
        string token;
        string creatureId;
        string playerId;
        string cellId;
        NearbyCreature? target = null;
        await using (var server = await TestServer.StartAsync(settings))
        {
            await using var player = await server.ConnectPlayerAsync(WireProtocol.MessagePack);
            token = player.Token;
            Assert.True((await player.MoveToAsync(41.3851, 2.1734, server.Time.GetUtcNow().ToUnixTimeMilliseconds())).Accepted);
            using var cts = new CancellationTokenSource(TestServer.Timeout);
            CaptureResult? result = null;
            var attempt = 0;
            while (result?.Outcome != CaptureOutcomes.Captured)
            {
                server.Time.Advance(TimeSpan.FromSeconds(1));
                var nearby = await player.Connection.InvokeAsync<NearbyCreature[]>(HubMethods.GetNearby, cts.Token);
                target = nearby.FirstOrDefault(n => n.DistanceMeters <= 50);
                if (target is not null)
                {
                    result = await player.Connection.InvokeAsync<CaptureResult>(HubMethods.TryCapture,
                        new CaptureRequest { CreatureId = target.CreatureId, AttemptId = "a" + ++attempt }, cts.Token);
                    Assert.Contains(result.Outcome, new[] { CaptureOutcomes.Captured, CaptureOutcomes.Escaped });
                }

                await Task.Delay(20, cts.Token);
            }

            creatureId = result.CreatureId;
            Assert.Equal(player.PlayerId, result.WinnerPlayerId);
            playerId = player.PlayerId;
            cellId = new Domain.Cells.CellGrid(200).CellOf(new Domain.Geo.GeoPoint(target!.Latitude, target.Longitude)).ToString();
        }

        await using var restarted = await TestServer.StartAsync(settings);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/players/me/collection");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await restarted.Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(body);
        var entry = Assert.Single(json.RootElement.EnumerateArray());
        Assert.Equal(creatureId, entry.GetProperty("creatureId").GetString());
        Assert.False(string.IsNullOrEmpty(entry.GetProperty("species").GetString()));

        // The cell is a new activation that never knew the creature, as after its node stopped or
        // died: a retried throw (new attempt id) still gets the recorded outcome, not "notFound".
        var cell = restarted.Services.GetRequiredService<IGrainFactory>().GetGrain<Cells.ICellGrain>(cellId);
        var retried = await cell.TryCapture(new Cells.CaptureAttempt(creatureId, "retry-after-restart", playerId, target!.Latitude, target.Longitude, 0));
        Assert.Equal(CaptureOutcomes.Captured, retried.Outcome);
        Assert.Equal(playerId, retried.WinnerPlayerId);
        var late = await cell.TryCapture(new Cells.CaptureAttempt(creatureId, "late-thrower", "someone-else", target.Latitude, target.Longitude, 0));
        Assert.Equal(CaptureOutcomes.AlreadyCaptured, late.Outcome);
        Assert.Equal(playerId, late.WinnerPlayerId);
        Assert.NotNull(late.CapturedAtMs);
        var unknown = await cell.TryCapture(new Cells.CaptureAttempt(creatureId + "-never", "x", playerId, target.Latitude, target.Longitude, 0));
        Assert.Equal(CaptureOutcomes.NotFound, unknown.Outcome);
    }
}
