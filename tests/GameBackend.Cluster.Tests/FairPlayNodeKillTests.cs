using GameBackend.Contracts;
using Microsoft.AspNetCore.SignalR.Client;

namespace GameBackend.Cluster.Tests;

/// <summary>
/// Issue 13, finding 2 with a real SIGKILL: the node holding a player's grain dies without any
/// deactivation, and the player comes back to a node that never saw it.
/// </summary>
public sealed class FairPlayNodeKillTests
{
    private const double Lat = 41.3851, Lon = 2.1734;

    [Fact]
    public async Task Strikes_and_the_trusted_position_survive_a_sigkill_of_the_grains_node()
    {
        await using var cluster = await TestCluster.StartAsync("fairkill", 2);
        await using var player = await ClusterPlayer.ConnectAsync(cluster.Router, WireProtocol.Json);
        Assert.True((await player.UpdateAsync(Lat, Lon)).Accepted);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(RejectReasons.ImplausibleSpeed, (await player.UpdateAsync(Lat + 0.1, Lon)).Reason);
        }

        // The first strike is stored before its answer (later ones within the same second are
        // coalesced): that, and the trusted position with it, is what a kill cannot take away.
        var stored = (await cluster.Database.PairsAsync("select player_id, strikes::bigint from player_fair_play"))
            .Single(p => p.Item1 == player.PlayerId).Item2;
        Assert.True(stored >= 1);

        // Which node holds the grain is Orleans' choice: kill both, one after the other, so the
        // node that held it has certainly died without deactivating anything.
        foreach (var victim in cluster.Nodes.ToList())
        {
            cluster.Router.TakeOut(victim);
            victim.Kill();
            await victim.WaitForExitAsync(TestCluster.Timeout);
            cluster.Router.Add(await cluster.RestartAsync(victim));
        }

        // Reconnecting re-sends the last position sent, the teleport 11 km away: a fresh grain
        // without the record would accept it (the old behaviour), this one judges it from home.
        await player.EnsureConnectedAsync();
        var state = await player.Connection.InvokeAsync<PlayerState>(HubMethods.GetState).WaitAsync(TestCluster.Timeout);
        Assert.True(state.Strikes >= stored + 1, $"strikes {state.Strikes}, stored before the kill {stored}");
        Assert.Equal(RejectReasons.ImplausibleSpeed, (await player.UpdateAsync(Lat + 10, Lon)).Reason);
        Assert.True((await player.UpdateAsync(Lat + 0.0005, Lon)).Accepted);
    }
}
