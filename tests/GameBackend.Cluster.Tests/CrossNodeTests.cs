using GameBackend.Contracts;

namespace GameBackend.Cluster.Tests;

/// <summary>Three healthy nodes shared by the tests that do not break anything; each test plays at its own spot.</summary>
public sealed class HealthyClusterFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await TestCluster.StartAsync("crossnode", 3);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

public sealed class CrossNodeTests(HealthyClusterFixture fixture) : IClassFixture<HealthyClusterFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task Spawns_reach_players_on_every_node_exactly_once_and_nearby_answers_are_identical_everywhere()
    {
        const double lat = 48.8584, lon = 2.2945;
        // Two players per node, one per protocol.
        var players = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            ClusterPlayer.ConnectAsync(Cluster.Router, i < 3 ? WireProtocol.Json : WireProtocol.MessagePack, Cluster.Nodes[i % 3])));
        try
        {
            Assert.Equal(3, players.Select(p => p.Node).Distinct().Count());
            var acks = await Task.WhenAll(players.Select(p => p.UpdateAsync(lat, lon)));
            Assert.All(acks, a => Assert.True(a.Accepted, a.Reason));
            // Every player now watches the cells around the spot: whatever spawns from here on is pushed to all of them.
            var allIn = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

            var witnessed = await Poll.UntilAsync(() =>
            {
                var fresh = players[0].Spawned.Where(s => s.SpawnedAt > allIn).Select(s => s.CreatureId).Take(3).ToList();
                return fresh.Count == 3 ? fresh : null;
            }, "three creatures spawned after everyone arrived");
            await Poll.UntilAsync(() => players.All(p => witnessed.All(id => p.Spawned.Any(s => s.CreatureId == id))),
                "every player, on every node and protocol, received the same creatureSpawned events");
            // Exactly once each, though the cell sends one group message through Redis and every
            // node delivers it to its own watchers.
            Assert.All(players, p => Assert.All(witnessed, id => Assert.Single(p.Spawned, s => s.CreatureId == id)));
            var first = players[0].Spawned.First(s => s.CreatureId == witnessed[0]);
            Assert.All(players, p => Assert.Equal(first, p.Spawned.First(s => s.CreatureId == witnessed[0])));

            // Creatures keep spawning, so answers taken at slightly different instants may differ;
            // they must agree exactly once asked (near enough) together.
            var answers = await Poll.UntilAsync(async () =>
            {
                var nearby = await Task.WhenAll(players.Select(p => p.GetNearbyAsync()));
                return nearby[0].Length > 0 && nearby.All(n => n.SequenceEqual(nearby[0])) ? nearby : null;
            }, "identical GetNearby answers on every node");
            Assert.All(answers[0], n => Assert.InRange(n.DistanceMeters, 0, 200));
            Assert.Equal(answers[0].OrderBy(n => n.DistanceMeters).Select(n => n.CreatureId), answers[0].Select(n => n.CreatureId));
        }
        finally
        {
            await Task.WhenAll(players.Select(p => p.DisposeAsync().AsTask()));
        }
    }

    [Fact]
    public async Task Sixty_throwers_spread_over_three_nodes_make_exactly_one_winner_and_one_captures_row()
    {
        const double lat = -33.8568, lon = 151.2153;
        await using var scout = await ClusterPlayer.ConnectAsync(Cluster.Router, WireProtocol.Json, Cluster.Nodes[0]);
        Assert.True((await scout.UpdateAsync(lat, lon)).Accepted);
        var target = await Poll.UntilAsync(async () =>
            (await scout.GetNearbyAsync()).FirstOrDefault(n => n.Rarity == "common"), "a common creature near the scout");

        var throwers = await Task.WhenAll(Enumerable.Range(0, 60).Select(async i =>
        {
            var p = await ClusterPlayer.ConnectAsync(Cluster.Router, i % 2 == 0 ? WireProtocol.Json : WireProtocol.MessagePack, Cluster.Nodes[i % 3]);
            var ack = await p.UpdateAsync(target.Latitude, target.Longitude);
            Assert.True(ack.Accepted, ack.Reason);
            Assert.NotNull(ack.Nearby);
            Assert.Contains(ack.Nearby, n => n.CreatureId == target.CreatureId);
            return p;
        }));
        try
        {
            Assert.Equal(3, throwers.Select(t => t.Node).Distinct().Count());
            using var start = new SemaphoreSlim(0);
            var throws = throwers.Select(async (t, i) =>
            {
                await start.WaitAsync(TestCluster.Timeout);
                return await t.TryCaptureAsync(target.CreatureId, "race-" + i);
            }).ToList();
            start.Release(throwers.Length);
            var results = await Task.WhenAll(throws);

            Assert.Equal(60, results.Length);
            var winner = Assert.Single(results, r => r.Outcome == CaptureOutcomes.Captured);
            Assert.Equal(throwers[Array.IndexOf(results, winner)].PlayerId, winner.WinnerPlayerId);
            Assert.All(results, r => Assert.Contains(r.Outcome, new[] { CaptureOutcomes.Captured, CaptureOutcomes.AlreadyCaptured, CaptureOutcomes.Escaped }));
            Assert.All(results.Where(r => r.Outcome == CaptureOutcomes.AlreadyCaptured), r => Assert.Equal(winner.WinnerPlayerId, r.WinnerPlayerId));

            var rows = (await Cluster.Database.CapturesAsync()).Where(c => c.CreatureId == target.CreatureId).ToList();
            var row = Assert.Single(rows);
            Assert.Equal(winner.WinnerPlayerId, row.PlayerId);

            // Everyone watching, on every node, is told who won.
            await Poll.UntilAsync(() => throwers.All(t => t.Captured.Any(c => c.CreatureId == target.CreatureId && c.WinnerPlayerId == winner.WinnerPlayerId)),
                "creatureCaptured on every node");
        }
        finally
        {
            await Task.WhenAll(throwers.Select(t => t.DisposeAsync().AsTask()));
        }
    }
}
