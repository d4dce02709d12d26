using GameBackend.Contracts;
using Xunit.Abstractions;

namespace GameBackend.Cluster.Tests;

/// <summary>Each test breaks its own three-node cluster: one node is SIGKILLed or stopped gracefully under load.</summary>
public sealed class NodeFailureTests(ITestOutputHelper output)
{
    private const int WalkerCount = 12;
    private const double VisibilityRadiusMeters = 200; // The server's default (Game:World:VisibilityRadiusMeters).

    [Fact]
    public async Task Sigkill_of_a_node_survivors_keep_serving_its_clients_move_and_no_creature_gets_a_second_winner()
    {
        await using var cluster = await TestCluster.StartAsync("sigkill", 3);
        await using var load = await Load.StartAsync(cluster, 40.7580, -73.9855);
        await load.WaitForAcceptedAsync(5, DateTimeOffset.MinValue, "every walker warmed up");

        var victim = cluster.Nodes[2];
        var moved = load.WalkersOn(victim);
        Assert.NotEmpty(moved);
        // A load balancer would notice the dead node within a probe or two; taking it out at once keeps reconnects fast.
        cluster.Router.TakeOut(victim);
        var killedAt = DateTimeOffset.UtcNow;
        victim.Kill();
        await victim.WaitForExitAsync(TestCluster.Timeout);
        // For the report: a busy machine may take a moment to deliver the signal.
        var deadAt = DateTimeOffset.UtcNow;

        foreach (var node in cluster.Router.InRotation)
        {
            await node.WaitReadyAsync(TestCluster.Timeout);
        }

        await load.WaitForAcceptedAsync(5, killedAt, "every walker served again after the kill");
        var recoveredIn = DateTimeOffset.UtcNow - killedAt;

        // Observers standing together see the same creatures again: cells that lived on the killed
        // node are re-activated elsewhere, and every view follows them.
        await load.WaitForIdenticalObserverViewsAsync();
        await load.StopAsync();

        Assert.All(moved, w => Assert.NotSame(victim, w.Player.Node));
        Assert.All(moved, w => Assert.True(w.Player.Reconnects >= 1));

        // Exactly one winner per creature: the captures primary key, and every "captured" a client was told matches it.
        var captures = await cluster.Database.CapturesAsync();
        Assert.Equal(captures.Count, captures.Select(c => c.CreatureId).Distinct().Count());
        var told = load.Throws.Where(t => t.Outcome == CaptureOutcomes.Captured).ToList();
        Assert.All(told.GroupBy(t => t.CreatureId), g => Assert.Single(g.Select(t => t.PlayerId).Distinct()));
        Assert.All(told, t => Assert.Contains((t.CreatureId, t.PlayerId), captures));

        // History: no accepted fix is lost. Rows the killed process still held in memory are in its
        // journal (written before each ack), which the node replays when it comes back on its volume.
        var accepted = load.Accepted;
        var restarted = await cluster.RestartAsync(victim);
        var stored = await Load.WaitForStoredAsync(cluster, accepted);
        var missing = accepted.Where(a => !stored.Contains((a.PlayerId, a.Seq))).ToList();
        output.WriteLine($"killed at {killedAt:HH:mm:ss.fff}, exited by {deadAt:HH:mm:ss.fff}; recovered in {recoveredIn.TotalSeconds:F1} s; " +
            $"accepted {accepted.Count} fixes, missing {missing.Count}; " +
            $"server errors {load.ServerErrors.Count} ({string.Join("; ", load.ServerErrors.Select(e => $"+{(e.At - killedAt).TotalSeconds:F1}s {e.Error}").Distinct().Take(5))}); " +
            $"transport errors {load.TransportErrors.Count}; captures {captures.Count}, throws {load.Throws.Count}");
        output.WriteLine(cluster.Logs);
        Assert.Empty(missing);
        Assert.False(restarted.HasExited);
        Assert.Empty(load.Rejections);
    }

    [Fact]
    public async Task Graceful_stop_under_load_clients_move_without_errors_and_every_accepted_fix_is_in_history()
    {
        await using var cluster = await TestCluster.StartAsync("sigterm", 3);
        await using var load = await Load.StartAsync(cluster, 51.5007, -0.1246);
        await load.WaitForAcceptedAsync(5, DateTimeOffset.MinValue, "every walker warmed up");

        var victim = cluster.Nodes[1];
        var moved = load.WalkersOn(victim);
        Assert.NotEmpty(moved);
        // What a readiness probe failing on SIGTERM (or a preStop hook) does in Kubernetes.
        cluster.Router.TakeOut(victim);
        var stoppedAt = DateTimeOffset.UtcNow;
        victim.Terminate();
        await victim.WaitForExitAsync(TimeSpan.FromSeconds(45));
        var stopTook = DateTimeOffset.UtcNow - stoppedAt;

        await load.WaitForAcceptedAsync(5, stoppedAt + stopTook, "every walker served after the node stopped");
        await load.WaitForIdenticalObserverViewsAsync();
        await load.StopAsync();

        Assert.All(moved, w => Assert.NotSame(victim, w.Player.Node));
        Assert.All(moved, w => Assert.True(w.Player.ShutdownNotices >= 1 || w.Player.Reconnects >= 1));
        output.WriteLine($"stop took {stopTook.TotalSeconds:F1} s (exit code {victim.ExitCode}); {moved.Count} clients moved, " +
            $"{moved.Count(w => w.Player.ShutdownNotices >= 1)} got serverShutdown; transport errors {load.TransportErrors.Count} " +
            $"({string.Join("; ", load.TransportErrors.Select(e => e.Error).Distinct().Take(3))})");
        output.WriteLine(cluster.Logs); // Warnings and errors only: shown when the test fails.
        Assert.Empty(load.ServerErrors);
        Assert.Empty(load.Rejections);
        // Only the moved clients may have lost a call, and only to the reconnect.
        Assert.All(load.Walkers.Except(moved), w => Assert.Empty(w.TransportErrors));

        // Graceful stop flushes: every accepted fix, including those the stopped node acked, is stored.
        var accepted = load.Accepted;
        var stored = await Load.WaitForStoredAsync(cluster, accepted);
        Assert.All(accepted, a => Assert.Contains((a.PlayerId, a.Seq), stored));
        Assert.Contains(accepted, a => a.Node == victim.Name);
    }

    /// <summary>Walkers spread over the nodes (both protocols), each driven by its own loop until stopped.</summary>
    private sealed class Load : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private List<Task> _runs = [];

        private Load(IReadOnlyList<Walker> walkers) => Walkers = walkers;

        public IReadOnlyList<Walker> Walkers { get; }

        public List<AcceptedFix> Accepted => [.. Walkers.SelectMany(w => w.Player.Accepted)];

        public List<ThrowResult> Throws => [.. Walkers.SelectMany(w => w.Throws)];

        public List<(DateTimeOffset At, string Error)> ServerErrors => [.. Walkers.SelectMany(w => w.ServerErrors)];

        public List<(DateTimeOffset At, string Error)> TransportErrors => [.. Walkers.SelectMany(w => w.TransportErrors)];

        public List<string> Rejections => [.. Walkers.SelectMany(w => w.Rejections)];

        public static async Task<Load> StartAsync(TestCluster cluster, double latitude, double longitude)
        {
            var players = await Task.WhenAll(Enumerable.Range(0, WalkerCount).Select(i => ClusterPlayer.ConnectAsync(
                cluster.Router, i / 3 % 2 == 0 ? WireProtocol.Json : WireProtocol.MessagePack, cluster.Nodes[i % cluster.Nodes.Count])));
            // Every node gets both protocols; every fourth player (one per node) stands still at the spot, the rest chase creatures.
            var load = new Load([.. players.Select((p, i) => new Walker(p, latitude, longitude, chase: i % 4 != 3))]);
            load._runs = [.. load.Walkers.Select(w => Task.Run(() => w.RunAsync(load._stop.Token)))];
            return load;
        }

        public List<Walker> Observers => [.. Walkers.Where((_, i) => i % 4 == 3)];

        /// <summary>
        /// Waits until the observers see the same creatures. They stand a metre or two apart, so the
        /// order by distance may differ and a creature right at the edge of the visibility radius
        /// may be in one view only: every creature well inside one observer's radius must be in
        /// every other observer's view.
        /// </summary>
        public async Task WaitForIdenticalObserverViewsAsync()
        {
            const double wellInside = VisibilityRadiusMeters - 10;
            NearbyCreature[][] last = [];
            try
            {
                await Poll.UntilAsync(async () =>
                {
                    last = await Task.WhenAll(Observers.Select(o => o.Player.GetNearbyAsync()));
                    var ids = last.Select(n => n.Select(c => c.CreatureId).ToHashSet()).ToList();
                    var agree = last.All(n => n.Length > 0) &&
                        last.All(n => n.Where(c => c.DistanceMeters <= wellInside).All(c => ids.All(other => other.Contains(c.CreatureId))));
                    return agree ? last : null;
                }, "identical views for the observers standing together", TimeSpan.FromSeconds(15));
            }
            catch (TimeoutException ex)
            {
                // Only the disagreement: what each observer sees well inside its radius that another lacks.
                var ids = last.Select(n => n.Select(c => c.CreatureId).ToHashSet()).ToList();
                var views = string.Join("\n", last.Select((n, i) => $"{Observers[i].Player.PlayerId} on {Observers[i].Player.Node.Name} sees {n.Length}, " +
                    $"others lack: {string.Join(' ', n.Where(c => c.DistanceMeters <= wellInside && ids.Any(o => !o.Contains(c.CreatureId))).Select(c => $"{c.CreatureId}@{c.DistanceMeters:F0}m"))}"));
                throw new TimeoutException(ex.Message + "\n" + views, ex);
            }
        }

        public List<Walker> WalkersOn(ClusterNode node) => [.. Walkers.Where(w => w.Player.Node == node)];

        public Task WaitForAcceptedAsync(int count, DateTimeOffset after, string what) =>
            Poll.UntilAsync(() => Walkers.All(w => w.Player.Accepted.Count(a => a.AckedAt > after) >= count), what);

        /// <summary>Polls PostgreSQL until every fix in <paramref name="expected"/> is stored (history is flushed in the background).</summary>
        public static async Task<HashSet<(string PlayerId, long Seq)>> WaitForStoredAsync(TestCluster cluster, IReadOnlyCollection<AcceptedFix> expected)
        {
            HashSet<(string, long)> stored = [];
            try
            {
                await Poll.UntilAsync(async () =>
                {
                    stored = await cluster.Database.PositionKeysAsync();
                    return expected.All(a => stored.Contains((a.PlayerId, a.Seq))) ? stored : null;
                }, "accepted fixes in position_samples", TimeSpan.FromSeconds(15));
            }
            catch (TimeoutException)
            {
                // The caller's assertions say which rows are missing.
            }

            return stored;
        }

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_runs).WaitAsync(TestCluster.Timeout);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(Walkers.Select(w => w.Player.DisposeAsync().AsTask()));
            _stop.Dispose();
        }
    }
}
