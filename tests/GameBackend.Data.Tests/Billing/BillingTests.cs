using GameBackend.Data.Billing;
using GameBackend.Data.History;
using GameBackend.Data.Tests.Infrastructure;
using GameBackend.Data.Zones;
using static GameBackend.Data.Tests.History.HistoryTestData;

namespace GameBackend.Data.Tests.Billing;

/// <summary>
/// Pay per qualifying visit on real PostgreSQL: visits go through the real <see cref="HistoryWriter"/>
/// (its spill files, retries and replays) and are billed by <c>bill_zone_visits</c> in the visit
/// transaction. Each test makes its own sponsor and zones in the class's database.
/// </summary>
public sealed class BillingTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private static readonly DateOnly Day1 = DateOnly.FromDateTime(Noon.UtcDateTime);

    private BillingStore Billing => new(db.DataSource);

    [Fact]
    public async Task A_qualifying_visit_is_billed_once_however_often_its_events_are_replayed()
    {
        var (_, zone) = await CreateZoneAsync(new ZoneBudgetSettings(2.50m, 100m, null, MinDwellSeconds: 60));
        var events = new List<ZoneVisitEvent>();
        for (var p = 0; p < 6; p++)
        {
            events.AddRange(Visit(zone, $"replay-{p}", Noon.AddMinutes(p), TimeSpan.FromMinutes(2)));
        }

        events.AddRange(Visit(zone, "replay-0", Noon.AddHours(2), TimeSpan.FromMinutes(5))); // same player, same day: not a new unique player
        events.AddRange(Visit(zone, "replay-short", Noon, TimeSpan.FromSeconds(30)));          // below the minimum dwell

        // 1. PostgreSQL unreachable: every event goes to the spill folder.
        var spill = Path.Combine(Path.GetTempPath(), "gb-billing-spill-" + Guid.NewGuid().ToString("N"));
        await using (var offline = new HistoryWriter(Options(UnreachableConnectionString, spill)))
        {
            await offline.StartAsync(default);
            foreach (var e in events)
            {
                Assert.True(offline.TryAppend(e));
            }

            await offline.StopAsync(default).WaitAsync(Wait);
        }

        // 2. The same spill file twice over (a replay that was cut short and runs again).
        var files = Directory.GetFiles(spill, "visits-*.jsonl");
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            File.Copy(file, Path.Combine(spill, $"visits-{DateTime.UtcNow.Ticks}-1-{Guid.NewGuid():N}.jsonl"));
        }

        // 3. A node comes back and replays the folder, and the live path retries every event once more.
        await using (var online = new HistoryWriter(Options(db.ConnectionString, spill)))
        {
            await online.StartAsync(default);
            foreach (var e in events)
            {
                Assert.True(online.TryAppend(e));
            }

            await online.StopAsync(default).WaitAsync(Wait);
        }

        Assert.Empty(Directory.GetFiles(spill, "*.jsonl"));
        Assert.Equal(6L, await db.ScalarAsync<long>("select count(*) from billed_visits where zone_id = @z", ("z", zone)));
        var budget = (await Billing.GetBudgetAsync(await SponsorOf(zone), zone, Day1))!;
        Assert.Equal(6, budget.VisitsToday);
        Assert.Equal(15.00m, budget.SpentToday);
        Assert.Equal(85.00m, budget.LeftToday);
    }

    [Fact]
    public async Task A_spent_budget_pauses_the_zone_until_the_next_day_or_a_top_up()
    {
        var (sponsor, zone) = await CreateZoneAsync(new ZoneBudgetSettings(1m, DailyBudget: 3m, TotalBudget: 5m, MinDwellSeconds: 0));
        await WriteAsync([.. Enumerable.Range(0, 4).SelectMany(p => Visit(zone, $"budget-{p}", Noon.AddMinutes(p), TimeSpan.FromMinutes(1)))]);

        // Three fit the day's budget; the fourth is counted, not charged.
        var day1 = (await Billing.GetBudgetAsync(sponsor, zone, Day1))!;
        Assert.Equal((4, 3m, 0m), (day1.VisitsToday, day1.SpentToday, day1.LeftToday!.Value));
        Assert.Equal([new ZoneStatusChange(zone, ZoneStatus.PausedBudget)], await Billing.RefreshStatusAsync([zone], Day1));
        Assert.Empty(await Billing.RefreshStatusAsync([zone], Day1)); // idempotent

        // The next UTC day the daily budget is fresh: active again.
        var day2 = Day1.AddDays(1);
        Assert.Equal([new ZoneStatusChange(zone, ZoneStatus.Active)], await Billing.RefreshStatusAsync([zone], day2));

        // Two more reach the total budget (5): paused for good, also the day after.
        await WriteAsync([.. Enumerable.Range(0, 3).SelectMany(p => Visit(zone, $"budget-{p}", Noon.AddDays(1).AddMinutes(p), TimeSpan.FromMinutes(1)))]);
        Assert.Equal([new ZoneStatusChange(zone, ZoneStatus.PausedBudget)], await Billing.RefreshStatusAsync([zone], day2));
        Assert.Empty(await Billing.RefreshStatusAsync([zone], day2.AddDays(1)));
        Assert.Equal(0m, (await Billing.GetBudgetAsync(sponsor, zone, day2))!.LeftTotal);

        // A top-up resumes it in the same transaction.
        var topUp = await Billing.SetBudgetAsync(sponsor, zone, new ZoneBudgetSettings(1m, 3m, 10m, 0), day2);
        Assert.Equal(new ZoneStatusChange(zone, ZoneStatus.Active), topUp!.Value.Change);
        Assert.Equal((ZoneStatus.Active, 5m), (topUp.Value.Budget.Status, topUp.Value.Budget.LeftTotal!.Value));

        var statement = await Billing.StatementAsync(sponsor, Day1, Day1.AddDays(2));
        Assert.Equal([(Day1, 4, 3, 3m), (day2, 3, 2, 2m)], statement.Select(l => (l.Day, l.Visits, l.ChargedVisits, l.Amount)));
    }

    [Fact]
    public async Task Billing_never_moves_a_zone_out_of_an_approval_state_and_free_zones_never_pause()
    {
        var (sponsor, pending) = await CreateZoneAsync(new ZoneBudgetSettings(1m, 1m, null, 0));
        var (_, free) = await CreateZoneAsync(new ZoneBudgetSettings(0m, 0m, 0m, 0), sponsor);
        await db.ExecuteAsync("update sponsor_zones set status = 'pending_approval' where id = @z", ("z", pending));
        await WriteAsync([.. Visit(pending, "approval-1", Noon, TimeSpan.FromMinutes(1)), .. Visit(free, "approval-1", Noon, TimeSpan.FromMinutes(1))]);

        Assert.Empty(await Billing.RefreshStatusAsync([pending, free], Day1));
        Assert.Equal(ZoneStatus.PendingApproval, (await Billing.GetBudgetAsync(sponsor, pending, Day1))!.Status);
        Assert.Equal(ZoneStatus.Active, (await Billing.GetBudgetAsync(sponsor, free, Day1))!.Status);
    }

    [Fact]
    public async Task A_sponsor_cannot_read_or_change_another_sponsors_budget_or_statement()
    {
        var (owner, zone) = await CreateZoneAsync(new ZoneBudgetSettings(1m, null, null, 0));
        var other = (await new SponsorStore(db.DataSource).CreateAsync("Other")).Sponsor.Id;
        await WriteAsync([.. Visit(zone, "isolation-1", Noon, TimeSpan.FromMinutes(1))]);

        Assert.Null(await Billing.SetBudgetAsync(other, zone, new ZoneBudgetSettings(0m, null, null, 0), Day1));
        Assert.Null(await Billing.GetBudgetAsync(other, zone, Day1));
        Assert.Empty(await Billing.ListBudgetsAsync(other, Day1));
        Assert.Empty(await Billing.StatementAsync(other, Day1, Day1.AddDays(1)));
        Assert.Single(await Billing.StatementAsync(owner, Day1, Day1.AddDays(1)));
        Assert.Equal(1m, (await Billing.GetBudgetAsync(owner, zone, Day1))!.Settings.PricePerVisit);
    }

    [Fact]
    public async Task The_statement_agrees_with_the_funnel_computed_from_raw_visits()
    {
        // Two zones, three days; each day a different crowd: repeat visits, short visits, visits
        // across both zones. Enough players per day that nothing is k-suppressed.
        var random = new Random(1406);
        var (sponsor, zoneA) = await CreateZoneAsync(new ZoneBudgetSettings(0.40m, null, null, MinDwellSeconds: 120));
        var (_, zoneB) = await CreateZoneAsync(new ZoneBudgetSettings(1.25m, null, null, MinDwellSeconds: 30), sponsor);
        var events = new List<ZoneVisitEvent>();
        for (var day = 0; day < 3; day++)
        {
            for (var p = 0; p < 12 + (day * 4); p++)
            {
                var zone = random.Next(3) == 0 ? zoneB : zoneA;
                var start = Noon.AddDays(day).AddMinutes(random.Next(0, 600));
                events.AddRange(Visit(zone, $"agree-{day}-{p % 9}", start, TimeSpan.FromSeconds(random.Next(5, 400))));
            }
        }

        await WriteAsync(events);

        var statement = await Billing.StatementAsync(sponsor, Day1, Day1.AddDays(3));
        Assert.True(statement.Count >= 4, "the data should give several zone-days");
        foreach (var zone in new[] { zoneA, zoneB })
        {
            var funnel = await Billing.FunnelAsync(sponsor, zone, Day1, Day1.AddDays(3), k: 1);
            var price = (await Billing.GetBudgetAsync(sponsor, zone, Day1))!.Settings.PricePerVisit;
            var fromLedger = statement.Where(l => l.ZoneId == zone).ToDictionary(l => l.Day, l => (long)l.Visits);
            var fromHistory = funnel.Where(f => f.Qualified > 0).ToDictionary(f => f.Day, f => f.Qualified!.Value);
            Assert.Equal(fromHistory.OrderBy(x => x.Key), fromLedger.OrderBy(x => x.Key));
            Assert.All(statement.Where(l => l.ZoneId == zone), l => Assert.Equal(l.ChargedVisits * price, l.Amount));
        }
    }

    [Fact]
    public async Task Erasing_a_players_history_removes_their_ledger_lines_and_keeps_the_statement()
    {
        var (sponsor, zone) = await CreateZoneAsync(new ZoneBudgetSettings(3m, null, null, 0));
        await WriteAsync([.. Visit(zone, "erase-billing", Noon, TimeSpan.FromMinutes(1)), .. Visit(zone, "keep-billing", Noon, TimeSpan.FromMinutes(1))]);

        await new GameBackend.Data.Privacy.PlayerDataStore(db.DataSource).DeletePlayerAsync("erase-billing");

        Assert.Equal(0L, await db.ScalarAsync<long>("select count(*) from billed_visits where player_id = 'erase-billing'"));
        Assert.Equal(1L, await db.ScalarAsync<long>("select count(*) from billed_visits where player_id = 'keep-billing'"));
        var line = Assert.Single(await Billing.StatementAsync(sponsor, Day1, Day1.AddDays(1)));
        Assert.Equal((2, 6m), (line.Visits, line.Amount));
    }

    private async Task<(Guid Sponsor, Guid Zone)> CreateZoneAsync(ZoneBudgetSettings settings, Guid? sponsorId = null)
    {
        var sponsor = sponsorId ?? (await new SponsorStore(db.DataSource).CreateAsync("Billing " + Guid.NewGuid().ToString("N")[..6])).Sponsor.Id;
        var zone = (await new ZoneStore(db.DataSource).CreateAsync(sponsor,
            SponsorZoneInput.ForCircle("Cafe " + Guid.NewGuid().ToString("N")[..4], 48.85, 2.35, 50, new Dictionary<string, double> { ["mosslet"] = 1 }, 10, 5))).Zone!.Id;
        Assert.NotNull(await Billing.SetBudgetAsync(sponsor, zone, settings, Day1));
        return (sponsor, zone);
    }

    private Task<Guid> SponsorOf(Guid zone) => db.ScalarAsync<Guid>("select sponsor_id from sponsor_zones where id = @z", ("z", zone));

    /// <summary>The enter and exit events the tracker emits for one visit.</summary>
    private static ZoneVisitEvent[] Visit(Guid zone, string player, DateTimeOffset enteredAt, TimeSpan dwell) =>
    [
        new(zone, player, enteredAt, enteredAt, null),
        new(zone, player, enteredAt, enteredAt + dwell, enteredAt + dwell),
    ];

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
