using System.Collections.Concurrent;
using GameBackend.Contracts;
using GameBackend.Domain.Geo;
using GameBackend.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace GameBackend.Server.Tests;

/// <summary>A server with a dense ambient spawn so creatures appear within a few fake seconds.</summary>
public sealed class SpawningServerFixture : IAsyncLifetime
{
    public TestServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await TestServer.StartAsync(new Dictionary<string, string?>
    {
        ["Game:Spawning:TickInterval"] = "00:00:00.050",
        ["Game:Spawning:AmbientPerSquareKm"] = "1500",
        ["Game:Spawning:Seed"] = "1234",
    });

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class SpawningCollection : ICollectionFixture<SpawningServerFixture>
{
    public const string Name = "spawning";
}

[Collection(SpawningCollection.Name)]
public sealed class CaptureRaceTests(SpawningServerFixture fixture)
{
    private static readonly string[] Rarities = ["common", "uncommon", "rare", "epic", "legendary"];

    private TestServer Server => fixture.Server;
    private long Now => Server.Time.GetUtcNow().ToUnixTimeMilliseconds();

    [Fact]
    public async Task Creatures_spawn_around_an_active_player_and_are_pushed_and_listed_nearest_first()
    {
        await using var player = await Server.ConnectPlayerAsync(WireProtocol.MessagePack);
        var spawned = new ConcurrentQueue<CreatureSpawned>();
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var pushes = new SemaphoreSlim(0);
        player.Connection.On<CreatureSpawned>(GameEvents.CreatureSpawned, s => { spawned.Enqueue(s); first.TrySetResult(); pushes.Release(); });
        var here = new GeoPoint(35.6812, 139.7671);
        Assert.True((await player.MoveToAsync(here.Latitude, here.Longitude, Now)).Accepted);

        // Nothing spawns while game time stands still; ten fake seconds fill the cells.
        Server.Time.Advance(TimeSpan.FromSeconds(10));
        await first.Task.WaitAsync(TestServer.Timeout);

        // Cells tick on their own timers, so the cells around may still be spawning for those ten
        // seconds after the first push arrived. With game time standing still, the ack and
        // GetNearby at the same position differ only by creatures that reached the player grain
        // between the two calls, and each of those is pushed: wait for that push, ask again.
        LocationAck ack;
        NearbyCreature[] nearby;
        // An ack carries the list only when it changed since this connection's last one.
        IReadOnlyList<NearbyCreature> acked = [];
        var attempts = 0;
        while (true)
        {
            while (pushes.Wait(0))
            {
            }

            ack = await player.MoveToAsync(here.Latitude, here.Longitude, Now);
            Assert.True(ack.Accepted, ack.Reason);
            acked = ack.Nearby ?? acked;
            nearby = await player.Connection.InvokeAsync<NearbyCreature[]>(HubMethods.GetNearby).WaitAsync(TestServer.Timeout);
            if (acked.Select(n => n.CreatureId).SequenceEqual(nearby.Select(n => n.CreatureId)) || ++attempts == 8)
            {
                break;
            }

            Assert.True(await pushes.WaitAsync(TestServer.Timeout), "the ack and GetNearby differ, yet no creatureSpawned push explains it");
        }

        Assert.Equal(acked.Select(n => n.CreatureId), nearby.Select(n => n.CreatureId));
        Assert.NotEmpty(nearby);
        Assert.Equal(nearby.OrderBy(n => n.DistanceMeters).Select(n => n.CreatureId), nearby.Select(n => n.CreatureId));
        foreach (var n in nearby)
        {
            var at = new GeoPoint(n.Latitude, n.Longitude);
            Assert.InRange(n.DistanceMeters, 0, 200);
            Assert.Equal(GeoMath.DistanceMeters(here, at), n.DistanceMeters, 0.1);
            Assert.Equal(GeoMath.InitialBearingDegrees(here, at), n.BearingDegrees, 0.1);
            Assert.Contains(n.Rarity, Rarities);
            Assert.True(n.ExpiresAt > Now);
            Assert.Null(n.SponsorZoneId);
        }

        Assert.Contains(spawned, s => acked.Any(n => n.CreatureId == s.CreatureId));

        // A cell 2 km away, which nobody watches, spawned nothing in the same time.
        var grid = new Domain.Cells.CellGrid(200);
        var far = grid.CellOf(GeoMath.Destination(here, 90, 2_000)).ToString();
        var snapshot = await Server.Services.GetRequiredService<IGrainFactory>().GetGrain<Cells.ICellGrain>(far).GetSnapshot();
        Assert.Empty(snapshot.Creatures);
        Assert.Equal(0, snapshot.Watchers);
    }

    [Fact]
    public async Task A_cell_that_missed_a_players_goodbye_forgets_it_when_it_publishes()
    {
        // What a goodbye lost while a node stopped leaves behind: a cell that believes a player
        // watches it through this node, while nothing on this node watches the cell.
        var grains = Server.Services.GetRequiredService<IGrainFactory>();
        var cellId = new Domain.Cells.CellGrid(200).CellOf(new GeoPoint(-12.0464, -77.0428)).ToString();
        var cell = grains.GetGrain<Cells.ICellGrain>(cellId);
        var ghost = "g-ghost-" + Guid.NewGuid().ToString("N");
        await cell.Watch(ghost, Cells.CellInterest.Watching, Server.Services.GetRequiredService<Cells.CellReplicas>().Node);
        Assert.Equal(1, (await cell.GetSnapshot()).Watchers);

        // The cell keeps ticking for it; its first spawn event finds no replica on this node, so the ghost goes.
        var deadline = DateTime.UtcNow + TestServer.Timeout;
        while ((await cell.GetSnapshot()).Watchers > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "The cell still counts the player as a watcher.");
            Server.Time.Advance(TimeSpan.FromSeconds(10));
            await Task.Delay(100);
        }

        Assert.Empty((await cell.GetSnapshot()).PresentPlayers);
    }

    [Fact]
    public async Task Two_hundred_throwers_at_once_make_exactly_one_winner_and_everyone_is_answered()
    {
        var (scout, target) = await FindCreatureAsync(new GeoPoint(-33.8688, 151.2093));
        await using var _ = scout;

        // Each thrower's first fix puts it on the creature (a first fix has no speed check).
        var throwers = await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
        {
            var p = await Server.ConnectPlayerAsync(i % 2 == 0 ? WireProtocol.Json : WireProtocol.MessagePack);
            var ack = await p.MoveToAsync(target.Latitude, target.Longitude, Now);
            // A connection's first accepted fix always carries the list.
            Assert.NotNull(ack.Nearby);
            Assert.Contains(ack.Nearby, n => n.CreatureId == target.CreatureId);
            return p;
        }));
        var captured = new ConcurrentBag<CreatureCaptured>();
        foreach (var t in throwers)
        {
            t.Connection.On<CreatureCaptured>(GameEvents.CreatureCaptured, c => captured.Add(c));
        }

        try
        {
            using var start = new SemaphoreSlim(0);
            var throws = throwers.Select(async (t, i) =>
            {
                await start.WaitAsync(TestServer.Timeout);
                return await t.Connection.InvokeAsync<CaptureResult>(HubMethods.TryCapture,
                    new CaptureRequest { CreatureId = target.CreatureId, AttemptId = "attempt-" + i }).WaitAsync(TestServer.Timeout);
            }).ToList();
            start.Release(throwers.Length);
            var results = await Task.WhenAll(throws);

            Assert.Equal(200, results.Length);
            var winners = results.Where(r => r.Outcome == CaptureOutcomes.Captured).ToList();
            var winner = Assert.Single(winners);
            Assert.All(results, r => Assert.Contains(r.Outcome, new[] { CaptureOutcomes.Captured, CaptureOutcomes.AlreadyCaptured, CaptureOutcomes.Escaped }));
            Assert.All(results.Where(r => r.Outcome == CaptureOutcomes.AlreadyCaptured), r => Assert.Equal(winner.WinnerPlayerId, r.WinnerPlayerId));
            var winnerIndex = results.ToList().IndexOf(winner);
            Assert.Equal(throwers[winnerIndex].PlayerId, winner.WinnerPlayerId);

            // Retrying an attempt id gets the same answer.
            var retry = await throwers[winnerIndex].Connection.InvokeAsync<CaptureResult>(HubMethods.TryCapture,
                new CaptureRequest { CreatureId = target.CreatureId, AttemptId = "attempt-" + winnerIndex }).WaitAsync(TestServer.Timeout);
            Assert.Equal(winner, retry);

            // Gone from every view, and everyone watching was told who won.
            foreach (var t in throwers.Take(20))
            {
                var nearby = await t.Connection.InvokeAsync<NearbyCreature[]>(HubMethods.GetNearby).WaitAsync(TestServer.Timeout);
                Assert.DoesNotContain(nearby, n => n.CreatureId == target.CreatureId);
            }

            await Eventually(() => captured.Count(c => c.CreatureId == target.CreatureId) >= throwers.Length);
            Assert.All(captured, c => Assert.Equal(winner.WinnerPlayerId, c.WinnerPlayerId));

            var late = await throwers[0].Connection.InvokeAsync<CaptureResult>(HubMethods.TryCapture,
                new CaptureRequest { CreatureId = target.CreatureId, AttemptId = "late" }).WaitAsync(TestServer.Timeout);
            Assert.Equal(winnerIndex == 0 ? CaptureOutcomes.Captured : CaptureOutcomes.AlreadyCaptured, winnerIndex == 0 ? retry.Outcome : late.Outcome);
        }
        finally
        {
            await Task.WhenAll(throwers.Select(t => t.DisposeAsync().AsTask()));
        }
    }

    [Fact]
    public async Task Too_far_unknown_expired_and_spoof_flagged_throws_are_refused()
    {
        var (scout, target) = await FindCreatureAsync(new GeoPoint(51.5007, -0.1246));
        await using var _ = scout;

        // 120 m away: sees it (200 m view) but is out of the 50 m encounter range.
        var away = GeoMath.Destination(new GeoPoint(target.Latitude, target.Longitude), 180, 120);
        await using var far = await Server.ConnectPlayerAsync(WireProtocol.Json);
        Assert.True((await far.MoveToAsync(away.Latitude, away.Longitude, Now)).Accepted);
        var tooFar = await Throw(far, target.CreatureId, "far-1");
        Assert.Equal(CaptureOutcomes.TooFar, tooFar.Outcome);
        Assert.InRange(tooFar.DistanceMeters!.Value, 119, 121);

        Assert.Equal(CaptureOutcomes.NotFound, (await Throw(far, "no-such-creature", "far-2")).Outcome);

        // Three implausible jumps make a spoofer; it may not throw even standing on the creature.
        await using var spoofer = await Server.ConnectPlayerAsync(WireProtocol.MessagePack);
        Assert.True((await spoofer.MoveToAsync(target.Latitude, target.Longitude, Now)).Accepted);
        for (var i = 0; i < 3; i++)
        {
            Server.Time.Advance(TimeSpan.FromSeconds(1));
            Assert.Equal(RejectReasons.ImplausibleSpeed, (await spoofer.MoveToAsync(target.Latitude + 1, target.Longitude, Now)).Reason);
        }

        Assert.Equal(CaptureOutcomes.Rejected, (await Throw(spoofer, target.CreatureId, "spoof-1")).Outcome);

        // Past its lifetime the creature has expired for everyone.
        Server.Time.Advance(TimeSpan.FromMinutes(16));
        var expired = await Throw(scout, target.CreatureId, "scout-late");
        Assert.Contains(expired.Outcome, new[] { CaptureOutcomes.Expired });
    }

    /// <summary>
    /// Once a node heard who won, late throws are answered at the hub without a grain call; that
    /// shortcut must not change an answer already given: a retried attempt keeps its first answer
    /// (here <c>tooFar</c>) and the winner's retry stays <c>captured</c>.
    /// </summary>
    [Fact]
    public async Task After_a_capture_late_throws_get_the_winner_and_retried_attempts_keep_their_first_answer()
    {
        var (scout, target) = await FindCreatureAsync(new GeoPoint(41.9028, 12.4964));
        await using var _ = scout;
        var away = GeoMath.Destination(new GeoPoint(target.Latitude, target.Longitude), 0, 120);
        await using var far = await Server.ConnectPlayerAsync(WireProtocol.MessagePack);
        Assert.True((await far.MoveToAsync(away.Latitude, away.Longitude, Now)).Accepted);
        Assert.Equal(CaptureOutcomes.TooFar, (await Throw(far, target.CreatureId, "far-1")).Outcome);

        await using var catcher = await Server.ConnectPlayerAsync(WireProtocol.Json);
        Assert.True((await catcher.MoveToAsync(target.Latitude, target.Longitude, Now)).Accepted);
        CaptureResult won = null!;
        for (var i = 0; i < 50; i++)
        {
            won = await Throw(catcher, target.CreatureId, $"catch-{i}");
            if (won.Outcome != CaptureOutcomes.Escaped)
            {
                break;
            }
        }

        Assert.Equal(CaptureOutcomes.Captured, won.Outcome);
        Assert.Equal(catcher.PlayerId, won.WinnerPlayerId);

        // The far player's node hears of the capture (its replica of the cell): a new throw is answered with the winner.
        await Eventually(() => Server.Services.GetRequiredService<Cells.CellReplicas>().TryRecentCapture(target.CreatureId, out var v) && v.WinnerPlayerId == catcher.PlayerId);
        var late = await Throw(far, target.CreatureId, "far-2");
        Assert.Equal(CaptureOutcomes.AlreadyCaptured, late.Outcome);
        Assert.Equal(catcher.PlayerId, late.WinnerPlayerId);
        Assert.Equal(won.CapturedAt, late.CapturedAt);

        // Retries keep their first answers.
        Assert.Equal(CaptureOutcomes.TooFar, (await Throw(far, target.CreatureId, "far-1")).Outcome);
        Assert.Equal(won, await Throw(catcher, target.CreatureId, won.AttemptId));
    }

    private static Task<CaptureResult> Throw(TestPlayer player, string creatureId, string attemptId) =>
        player.Connection.InvokeAsync<CaptureResult>(HubMethods.TryCapture, new CaptureRequest { CreatureId = creatureId, AttemptId = attemptId })
            .WaitAsync(TestServer.Timeout);

    /// <summary>A scout stands at <paramref name="place"/> until a creature appears, then reports it.</summary>
    [Theory]
    [InlineData(WireProtocol.Json)]
    [InlineData(WireProtocol.MessagePack)]
    public async Task An_ack_carries_the_nearby_list_only_when_it_changed_and_the_client_view_stays_right(WireProtocol protocol)
    {
        var place = protocol == WireProtocol.Json ? new GeoPoint(35.6762, 139.6503) : new GeoPoint(-34.6037, -58.3816);
        var (scout, target) = await FindCreatureAsync(place);
        await using var _ = scout;
        var login = await Server.LoginAsync();
        var player = new TestPlayer(login, Server.BuildConnection(login.Token, protocol));
        await player.Connection.StartAsync().WaitAsync(TestServer.Timeout);
        try
        {
            // What a client holds: the last list an ack carried. Invariant on every ack: no list
            // means the same version as the held list; a list means a new version.
            IReadOnlyList<NearbyCreature> held = [];
            long? heldVersion = null;
            var unchanged = 0;
            var versions = new List<long>();
            async Task<LocationAck> Fix(GeoPoint at)
            {
                var ack = await player.MoveToAsync(at.Latitude, at.Longitude, Now);
                Assert.True(ack.Accepted, ack.Reason);
                if (ack.Nearby is null)
                {
                    Assert.Equal(heldVersion, ack.NearbyVersion);
                    unchanged++;
                }
                else
                {
                    Assert.NotEqual(heldVersion, ack.NearbyVersion);
                    (held, heldVersion) = (ack.Nearby, ack.NearbyVersion);
                }

                versions.Add(ack.NearbyVersion);
                return ack;
            }

            // Cells keep spawning on their own ticks, so a GetNearby taken after an ack may already
            // see a newer creature: the acks must catch up once asked again.
            async Task Converge(GeoPoint at)
            {
                using var cts = new CancellationTokenSource(TestServer.Timeout);
                while (true)
                {
                    await Fix(at);
                    var current = await player.Connection.InvokeAsync<NearbyCreature[]>(HubMethods.GetNearby, cts.Token);
                    if (current.Select(c => c.CreatureId).Order().SequenceEqual(held.Select(c => c.CreatureId).Order()))
                    {
                        return;
                    }

                    await Task.Delay(50, cts.Token);
                }
            }

            // The first fix of a connection carries the list.
            var on = new GeoPoint(target.Latitude, target.Longitude);
            var first = await Fix(on);
            Assert.NotNull(first.Nearby);
            Assert.Contains(first.Nearby, c => c.CreatureId == target.CreatureId);
            await Converge(on);

            // A capture changes the set: the next ack says so, with a list without the creature.
            var outcome = CaptureOutcomes.Escaped;
            for (var i = 0; outcome == CaptureOutcomes.Escaped && i < 50; i++)
            {
                outcome = (await Throw(player, target.CreatureId, $"delta-{i}")).Outcome;
            }

            Assert.Equal(CaptureOutcomes.Captured, outcome);
            var afterCapture = await Fix(on);
            Assert.NotNull(afterCapture.Nearby);
            Assert.DoesNotContain(afterCapture.Nearby, c => c.CreatureId == target.CreatureId);
            await Converge(on);

            // Crossing into cells far away (within the speed limit) changes the set; coming back too.
            Server.Time.Advance(TimeSpan.FromSeconds(40));
            await Converge(GeoMath.Destination(on, 90, 1_500));
            Server.Time.Advance(TimeSpan.FromSeconds(40));
            await Converge(on);

            // Spawns while the player stands still reach a later ack.
            for (var i = 0; i < 20; i++)
            {
                Server.Time.Advance(TimeSpan.FromSeconds(3));
                await Fix(on);
            }

            await Converge(on);
            Assert.True(unchanged > 0, "fixes that changed nothing in sight carried no list");
            Assert.True(versions.Distinct().Count() >= 4, "each change of the set got a new version");

            // A new connection of the same player starts with the list again.
            var lastSeq = player.NextSeq();
            await player.Connection.DisposeAsync();
            player = new TestPlayer(login, Server.BuildConnection(login.Token, protocol));
            await player.Connection.StartAsync().WaitAsync(TestServer.Timeout);
            while (player.NextSeq() < lastSeq)
            {
            }

            heldVersion = null;
            var resumed = await Fix(on);
            Assert.NotNull(resumed.Nearby);
            await Converge(on);
        }
        finally
        {
            await player.DisposeAsync();
        }
    }

    [Theory]
    [InlineData(WireProtocol.Json)]
    [InlineData(WireProtocol.MessagePack)]
    public async Task A_burst_of_in_order_fixes_is_accepted_then_rate_limited_never_stale_and_a_throw_is_not_held_up(WireProtocol protocol)
    {
        await using var player = await Server.ConnectPlayerAsync(protocol);
        var start = protocol == WireProtocol.Json ? new GeoPoint(41.9028, 12.4964) : new GeoPoint(40.4168, -3.7038);
        var now = Now;
        var burst = new List<Task<LocationAck>>();
        for (var seq = 1; seq <= 40; seq++)
        {
            var at = GeoMath.Destination(start, 90, seq);
            burst.Add(player.Connection.InvokeAsync<LocationAck>(HubMethods.UpdateLocation,
                new LocationUpdate { Seq = seq, Timestamp = now, Latitude = at.Latitude, Longitude = at.Longitude }));
        }

        var thrown = player.Connection.InvokeAsync<CaptureResult>(HubMethods.TryCapture, new CaptureRequest { CreatureId = "nothing-here", AttemptId = "burst-1" });
        var acks = await Task.WhenAll(burst).WaitAsync(TestServer.Timeout);

        Assert.All(acks, a => Assert.True(a.Accepted || a.Reason == RejectReasons.RateLimited, $"fix {a.Seq}: {a.Reason}"));
        var accepted = acks.Where(a => a.Accepted).Select(a => a.Seq).ToList();
        Assert.Equal(1, accepted.FirstOrDefault());
        Assert.True(accepted.Count > 1, "a burst within the rate burst allowance gets more than one fix in");
        Assert.Equal(accepted.Max(), (await player.GetStateAsync()).Seq);
        // Answered beside the burst (rejected if it was judged before the first fix was applied).
        Assert.Contains((await thrown.WaitAsync(TestServer.Timeout)).Outcome, new[] { CaptureOutcomes.NotFound, CaptureOutcomes.Rejected });
    }

    private Task<(TestPlayer Scout, NearbyCreature Creature)> FindCreatureAsync(GeoPoint place) => FindCreatureAsync(Server, place);

    /// <summary>A scout stands at <paramref name="place"/>, game time runs, until a creature appears.</summary>
    internal static async Task<(TestPlayer Scout, NearbyCreature Creature)> FindCreatureAsync(TestServer server, GeoPoint place)
    {
        var scout = await server.ConnectPlayerAsync(WireProtocol.Json);
        Assert.True((await scout.MoveToAsync(place.Latitude, place.Longitude, server.Time.GetUtcNow().ToUnixTimeMilliseconds())).Accepted);
        using var cts = new CancellationTokenSource(TestServer.Timeout);
        while (true)
        {
            server.Time.Advance(TimeSpan.FromSeconds(1));
            var nearby = await scout.Connection.InvokeAsync<NearbyCreature[]>(HubMethods.GetNearby, cts.Token);
            if (nearby.Length > 0)
            {
                return (scout, nearby[0]);
            }

            await Task.Delay(20, cts.Token);
        }
    }

    private static async Task Eventually(Func<bool> condition)
    {
        using var cts = new CancellationTokenSource(TestServer.Timeout);
        while (!condition())
        {
            await Task.Delay(20, cts.Token);
        }
    }
}
