using GameBackend.Data.Analytics;
using GameBackend.Data.Billing;
using GameBackend.Data.History;
using GameBackend.Data.Tests.Infrastructure;
using GameBackend.Data.Zones;
using static GameBackend.Data.Tests.History.HistoryTestData;

namespace GameBackend.Data.Tests.Billing;

/// <summary>
/// Zone visits a dead node left open, on real PostgreSQL: the sweep (<see cref="BillingStore.CloseAbandonedVisitsAsync"/>)
/// closes them at their last sighting and bills the qualifying ones through <c>bill_zone_visits</c>,
/// exactly once however many sweeps run, and leaves live visits alone. "Dead nodes" are history
/// writers fed by a real <see cref="ZoneVisitTracker"/> and stopped without an exit, or rows written
/// directly. Times are fixed (the sweep is handed its cut-off), so nothing depends on the wall clock.
/// </summary>
public sealed class AbandonedVisitTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Refresh = TimeSpan.FromMinutes(1);
    private static readonly DateOnly Day1 = DateOnly.FromDateTime(Noon.UtcDateTime);

    private BillingStore Billing => new(db.DataSource);

    [Fact]
    public async Task A_visit_a_dead_node_left_open_is_closed_at_its_last_sighting_and_billed_once_however_many_sweeps_run()
    {
        var (sponsor, zone) = await CreateZoneAsync(new ZoneBudgetSettings(2.00m, null, null, MinDwellSeconds: 120));

        // The dead node: its tracker saw three players inside, refreshing open visits once a minute,
        // and its writer stored what it had; then the node died, so no exit ever comes.
        var tracker = new ZoneVisitTracker(TimeSpan.FromMinutes(2), Refresh);
        var events = new List<ZoneVisitEvent>();
        foreach (var seconds in new[] { 0, 60, 120, 150 })
        {
            tracker.Observe("dead-long", Noon.AddSeconds(seconds), [zone], events); // stored dwell 120 s: qualifies while open
        }

        foreach (var seconds in new[] { 0, 60, 90 })
        {
            tracker.Observe("dead-short", Noon.AddSeconds(seconds), [zone], events); // stored dwell 60 s: does not
        }

        await WriteAsync(events);
        Assert.Equal(2L, await OpenCountAsync(zone));
        Assert.Equal(["dead-long"], await BilledPlayersAsync(zone)); // billed while open, as soon as its stored dwell qualified

        // A qualifying open visit nobody billed (left by a node from before open visits were
        // refreshed, or the zone's minimum was lowered since), and a live node's visit, refreshed a
        // minute before the sweep.
        await InsertOpenVisitAsync(zone, "dead-unbilled", Noon, Noon.AddMinutes(5));
        var now = Noon.AddMinutes(30);
        await InsertOpenVisitAsync(zone, "live", Noon.AddMinutes(20), now.AddMinutes(-1));

        // Sweeps on two nodes at once, then another: together they close the three dead visits once.
        var cutoff = now.AddMinutes(-10);
        var sweeps = await Task.WhenAll(
            Billing.CloseAbandonedVisitsAsync(cutoff, 100), Billing.CloseAbandonedVisitsAsync(cutoff, 100)).WaitAsync(Wait);
        var again = await Billing.CloseAbandonedVisitsAsync(cutoff, 100).WaitAsync(Wait);
        Assert.Equal(3, sweeps.Sum(s => s.Closed) + again.Closed);
        Assert.Equal(0, again.Closed);
        Assert.Equal([zone], sweeps.SelectMany(s => s.ChargedZones).Distinct());

        Assert.Equal(["dead-long", "dead-unbilled"], await BilledPlayersAsync(zone));
        Assert.Equal(Noon.AddSeconds(120), await ExitOfAsync(zone, "dead-long"));
        Assert.Equal(Noon.AddSeconds(60), await ExitOfAsync(zone, "dead-short"));
        Assert.Equal(Noon.AddMinutes(5), await ExitOfAsync(zone, "dead-unbilled"));
        Assert.Null(await ExitOfAsync(zone, "live"));
        var line = Assert.Single(await Billing.StatementAsync(sponsor, Day1, Day1.AddDays(1)));
        Assert.Equal((2, 2, 4.00m), (line.Visits, line.ChargedVisits, line.Amount));
    }

    [Fact]
    public async Task Concurrent_sweeps_of_many_abandoned_visits_charge_each_once_and_stay_within_the_budget()
    {
        var (sponsor, zone) = await CreateZoneAsync(new ZoneBudgetSettings(1.00m, DailyBudget: 30m, null, MinDwellSeconds: 60));
        for (var p = 0; p < 40; p++)
        {
            await InsertOpenVisitAsync(zone, $"crowd-{p}", Noon.AddSeconds(p), Noon.AddSeconds(p).AddMinutes(3));
        }

        // Four nodes sweeping in small batches at the same time, each until it finds nothing. (The
        // class's tests share a database: every cut-off stays before the live visit the first leaves.)
        var cutoff = Noon.AddMinutes(10);
        var closed = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            var total = 0;
            for (var s = await Billing.CloseAbandonedVisitsAsync(cutoff, 7); s.Closed > 0; s = await Billing.CloseAbandonedVisitsAsync(cutoff, 7))
            {
                total += s.Closed;
            }

            return total;
        }))).WaitAsync(Wait);

        Assert.Equal(40, closed.Sum());
        Assert.Equal(0L, await OpenCountAsync(zone));
        Assert.Equal(40L, await db.ScalarAsync<long>("select count(*) from billed_visits where zone_id = @z", ("z", zone)));
        var line = Assert.Single(await Billing.StatementAsync(sponsor, Day1, Day1.AddDays(1)));
        Assert.Equal((40, 30, 30.00m), (line.Visits, line.ChargedVisits, line.Amount)); // the budget, never more
        Assert.Equal(30.00m, await db.ScalarAsync<decimal>("select sum(amount) from billed_visits where zone_id = @z", ("z", zone)));
    }

    [Fact]
    public async Task A_visit_swept_while_its_node_was_only_late_is_extended_and_billed_once_when_its_events_arrive()
    {
        var (sponsor, zone) = await CreateZoneAsync(new ZoneBudgetSettings(1.50m, null, null, MinDwellSeconds: 120));
        await WriteAsync([new ZoneVisitEvent(zone, "late", Noon, Noon, null)]);

        // The node's refreshes are stuck (a backlog): the sweep takes the visit for abandoned.
        Assert.Equal(1, (await Billing.CloseAbandonedVisitsAsync(Noon.AddMinutes(11), 100)).Closed);
        Assert.Equal(Noon, await ExitOfAsync(zone, "late"));
        Assert.Empty(await BilledPlayersAsync(zone));

        // Its refresh and its exit arrive (twice, as a replay would): the visit ends at the real exit, billed once.
        ZoneVisitEvent[] late =
        [
            new(zone, "late", Noon, Noon.AddMinutes(1), null),
            new(zone, "late", Noon, Noon.AddMinutes(4), Noon.AddMinutes(4)),
        ];
        await WriteAsync([.. late, .. late]);
        Assert.Equal(Noon.AddMinutes(4), await ExitOfAsync(zone, "late"));
        Assert.Equal(["late"], await BilledPlayersAsync(zone));
        Assert.Equal(1.50m, Assert.Single(await Billing.StatementAsync(sponsor, Day1, Day1.AddDays(1))).Amount);
    }

    private async Task<(Guid Sponsor, Guid Zone)> CreateZoneAsync(ZoneBudgetSettings settings)
    {
        var sponsor = (await new SponsorStore(db.DataSource).CreateAsync("Sweep " + Guid.NewGuid().ToString("N")[..6])).Sponsor.Id;
        var zone = (await new ZoneStore(db.DataSource).CreateAsync(sponsor,
            SponsorZoneInput.ForCircle("Kiosk " + Guid.NewGuid().ToString("N")[..4], 48.85, 2.35, 50, new Dictionary<string, double> { ["mosslet"] = 1 }, 10, 5))).Zone!.Id;
        Assert.NotNull(await Billing.SetBudgetAsync(sponsor, zone, settings, Day1));
        return (sponsor, zone);
    }

    private Task InsertOpenVisitAsync(Guid zone, string player, DateTimeOffset entered, DateTimeOffset lastSeen) =>
        db.ExecuteAsync("insert into zone_visits (zone_id, player_id, entered_at, last_seen_at) values (@z, @p, @e, @s)",
            ("z", zone), ("p", player), ("e", entered), ("s", lastSeen));

    private Task<long> OpenCountAsync(Guid zone) =>
        db.ScalarAsync<long>("select count(*) from zone_visits where zone_id = @z and exited_at is null", ("z", zone));

    private async Task<DateTimeOffset?> ExitOfAsync(Guid zone, string player)
    {
        await using var cmd = db.DataSource.CreateCommand("select exited_at from zone_visits where zone_id = @z and player_id = @p");
        cmd.Parameters.AddWithValue("z", zone);
        cmd.Parameters.AddWithValue("p", player);
        var value = await cmd.ExecuteScalarAsync();
        return value is DateTime t ? new DateTimeOffset(t, TimeSpan.Zero) : null;
    }

    private async Task<List<string>> BilledPlayersAsync(Guid zone)
    {
        await using var cmd = db.DataSource.CreateCommand("select player_id from billed_visits where zone_id = @z order by player_id");
        cmd.Parameters.AddWithValue("z", zone);
        var players = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
        {
            players.Add(r.GetString(0));
        }

        return players;
    }

    /// <summary>A node's writer that stores what it was given and stops: the node is gone, no exit follows.</summary>
    private async Task WriteAsync(IReadOnlyList<ZoneVisitEvent> events)
    {
        await using var writer = new HistoryWriter(Options(db.ConnectionString));
        await writer.StartAsync(default);
        foreach (var e in events)
        {
            Assert.True(writer.TryAppend(e));
        }

        await writer.StopAsync(default).WaitAsync(Wait);
        Assert.Equal(0, writer.Statistics.Spilled);
    }
}
