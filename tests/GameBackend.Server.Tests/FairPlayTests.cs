using GameBackend.Contracts;
using GameBackend.Domain.Geo;
using GameBackend.Server.Players;
using GameBackend.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace GameBackend.Server.Tests;

/// <summary>
/// Issue 13, findings 1 and 2 through the real hub: the cadence teleport is refused, and strikes,
/// ban and the trusted position outlive the player's grain (deactivated, or its node replaced).
/// </summary>
public sealed class FairPlayTests
{
    private static readonly GeoPoint Home = new(52.5200, 13.4050);

    private static Task<LocationAck> SendAsync(TestServer server, TestPlayer player, GeoPoint at) =>
        player.UpdateAsync(new LocationUpdate
        {
            Seq = player.NextSeq(), Timestamp = server.Time.GetUtcNow().ToUnixTimeMilliseconds(),
            Latitude = at.Latitude, Longitude = at.Longitude, Accuracy = 5,
        });

    /// <summary>Home, then three teleports 10 km away a second apart: three strikes.</summary>
    private static async Task EarnThreeStrikesAsync(TestServer server, TestPlayer player)
    {
        Assert.True((await SendAsync(server, player, Home)).Accepted);
        for (var i = 0; i < 3; i++)
        {
            server.Time.Advance(TimeSpan.FromSeconds(1));
            var ack = await SendAsync(server, player, GeoMath.Destination(Home, 90, 10_000));
            Assert.Equal(RejectReasons.ImplausibleSpeed, ack.Reason);
        }

        Assert.Equal(3, (await player.GetStateAsync()).Strikes);
    }

    private static async Task<TestPlayer> ReconnectAsync(TestServer server, TestPlayer player)
    {
        // The token is signed with the key every test server shares, so it opens the other node too.
        var login = new LoginResponse { PlayerId = player.PlayerId, Token = player.Token };
        var connection = server.BuildConnection(login.Token, WireProtocol.Json);
        await connection.StartAsync().WaitAsync(TestServer.Timeout);
        return new TestPlayer(login, connection);
    }

    [Fact]
    public async Task Ten_fixes_a_second_at_60_m_steps_are_rejected_with_strikes_over_signalr()
    {
        await using var server = await TestServer.StartAsync();
        await using var player = await server.ConnectPlayerAsync(WireProtocol.MessagePack);
        Assert.True((await SendAsync(server, player, Home)).Accepted);

        var accepted = 0;
        for (var i = 1; i <= 20; i++)
        {
            server.Time.Advance(TimeSpan.FromMilliseconds(100));
            var ack = await SendAsync(server, player, GeoMath.Destination(Home, 0, 60.0 * i));
            accepted += ack.Accepted ? 1 : 0;
        }

        Assert.True(accepted <= 1, $"{accepted} of 20 steps of 600 m/s accepted");
        Assert.True((await player.GetStateAsync()).Strikes >= 3);
        var state = await player.GetStateAsync();
        Assert.True(GeoMath.DistanceMeters(Home, new GeoPoint(state.Latitude!.Value, state.Longitude!.Value)) <= 75);
    }

    [Fact]
    public async Task Without_postgres_strikes_and_the_trusted_position_survive_the_grains_deactivation()
    {
        await using var server = await TestServer.StartAsync();
        await using (var first = await server.ConnectPlayerAsync(WireProtocol.Json))
        {
            await EarnThreeStrikesAsync(server, first);
            await first.Connection.StopAsync().WaitAsync(TestServer.Timeout);
            await DeactivateAsync(server, first.PlayerId);

            // Idle until collected, then back: the record is there and a far fix is still a teleport.
            server.Time.Advance(TimeSpan.FromMinutes(2));
            await using var back = await ReconnectAsync(server, first);
            var state = await back.GetStateAsync();
            Assert.Null(state.CellId); // a new activation: no cell, no last fix of its own yet
            Assert.Equal(3, state.Strikes);
            var ack = await SendAsync(server, back, GeoMath.Destination(Home, 90, 1_000_000));
            Assert.Equal(RejectReasons.ImplausibleSpeed, ack.Reason);
            Assert.Equal(4, (await back.GetStateAsync()).Strikes);
        }
    }

    [Fact]
    public async Task With_postgres_strikes_and_the_trusted_position_survive_a_replaced_node()
    {
        await using var database = await TestDatabase.CreateAsync("gb_fairplay");
        var settings = new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = database.ConnectionString };
        TestPlayer player;
        await using (var first = await TestServer.StartAsync(settings))
        {
            player = await first.ConnectPlayerAsync(WireProtocol.Json);
            await EarnThreeStrikesAsync(first, player);
            // The strike is stored before the answer, not at deactivation: what a killed node leaves.
            Assert.Equal(3, await database.ScalarAsync<int>("select strikes from player_fair_play where player_id = @p", ("p", player.PlayerId)));
            await player.DisposeAsync();
        }

        // Another node (another cluster, nothing in memory) on the same database.
        await using var second = await TestServer.StartAsync(settings);
        second.Time.Advance(TimeSpan.FromMinutes(2));
        await using var back = await ReconnectAsync(second, player);
        Assert.Equal(3, (await back.GetStateAsync()).Strikes);
        var ack = await SendAsync(second, back, GeoMath.Destination(Home, 90, 1_000_000));
        Assert.Equal(RejectReasons.ImplausibleSpeed, ack.Reason);
        Assert.Equal(4, await database.ScalarAsync<int>("select strikes from player_fair_play where player_id = @p", ("p", back.PlayerId)));

        // An honest step from home is still fine: the position restored is the trusted one.
        Assert.True((await SendAsync(second, back, GeoMath.Destination(Home, 0, 100))).Accepted);
    }

    private static async Task DeactivateAsync(TestServer server, string playerId)
    {
        var grains = server.Services.GetRequiredService<IGrainFactory>();
        var grain = grains.GetGrain<IPlayerGrain>(playerId);
        await grains.GetGrain<IManagementGrain>(0).DeactivateGrain(grain.GetGrainId()).WaitAsync(TestServer.Timeout);
    }
}
