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
                if (nearby.FirstOrDefault(n => n.DistanceMeters <= 50) is { } target)
                {
                    result = await player.Connection.InvokeAsync<CaptureResult>(HubMethods.TryCapture,
                        new CaptureRequest { CreatureId = target.CreatureId, AttemptId = "a" + ++attempt }, cts.Token);
                    Assert.Contains(result.Outcome, new[] { CaptureOutcomes.Captured, CaptureOutcomes.Escaped });
                }

                await Task.Delay(20, cts.Token);
            }

            creatureId = result.CreatureId;
            Assert.Equal(player.PlayerId, result.WinnerPlayerId);
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
    }
}
