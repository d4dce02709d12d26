using System.Text.Json;
using GameBackend.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace GameBackend.Server.Tests;

public sealed class OperatorLiveMapTests
{
    private const string AdminKey = "live-map-admin-key-0123456789";

    [Fact]
    public async Task Operators_with_the_admin_key_see_players_move_and_others_are_refused()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?> { ["Operators:AdminKey"] = AdminKey });

        // A wrong key is refused before any connection exists: 401 at negotiate.
        await using var intruder = Operator(server, "wrong-key-wrong-key-wrong");
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => intruder.StartAsync().WaitAsync(TestServer.Timeout));
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, refused.StatusCode);
        using (var anonymous = await server.Http.PostAsync("/hubs/operator/negotiate?negotiateVersion=1", null))
        {
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        await using var watcher = Operator(server, AdminKey);
        await watcher.StartAsync().WaitAsync(TestServer.Timeout);
        await using var player = await server.ConnectPlayerAsync(WireProtocol.MessagePack);
        var seen = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        watcher.On<JsonElement>("liveSnapshot", snapshot =>
        {
            if (snapshot.GetProperty("players").EnumerateArray().Any(p => p.GetProperty("playerId").GetString() == player.PlayerId))
            {
                seen.TrySetResult(snapshot);
            }
        });

        // Keep moving until a snapshot (sent once a second) carries the player.
        using var cts = new CancellationTokenSource(TestServer.Timeout);
        while (!seen.Task.IsCompleted)
        {
            server.Time.Advance(TimeSpan.FromSeconds(1));
            Assert.True((await player.MoveToAsync(48.2082, 16.3738, server.Time.GetUtcNow().ToUnixTimeMilliseconds())).Accepted);
            await Task.WhenAny(seen.Task, Task.Delay(200, cts.Token));
        }

        var dot = (await seen.Task).GetProperty("players").EnumerateArray().First(p => p.GetProperty("playerId").GetString() == player.PlayerId);
        Assert.Equal(48.2082, dot.GetProperty("latitude").GetDouble());
        Assert.Equal(16.3738, dot.GetProperty("longitude").GetDouble());
        var zones = await watcher.InvokeAsync<JsonElement>("GetZones").WaitAsync(TestServer.Timeout);
        Assert.Equal(JsonValueKind.Array, zones.ValueKind);
    }

    private static HubConnection Operator(TestServer server, string key) =>
        new HubConnectionBuilder().WithUrl(new Uri(server.BaseAddress, "/hubs/operator?adminKey=" + Uri.EscapeDataString(key))).Build();
}
