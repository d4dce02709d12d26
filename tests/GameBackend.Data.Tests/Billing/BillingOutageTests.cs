using GameBackend.Data.Billing;
using GameBackend.Data.History;
using GameBackend.Data.Tests.Infrastructure;
using GameBackend.Data.Zones;
using static GameBackend.Data.Tests.History.HistoryTestData;

namespace GameBackend.Data.Tests.Billing;

/// <summary>Visit billing while the real PostgreSQL server is stopped and started again.</summary>
[Collection(PostgresOutageCollection.Name)]
public sealed class BillingOutageTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task Visits_recorded_across_a_PostgreSQL_restart_are_billed_exactly_once()
    {
        var day = DateOnly.FromDateTime(Noon.UtcDateTime);
        var billing = new BillingStore(db.DataSource);
        var sponsor = (await new SponsorStore(db.DataSource).CreateAsync("Outage")).Sponsor.Id;
        var zone = (await new ZoneStore(db.DataSource).CreateAsync(sponsor,
            SponsorZoneInput.ForCircle("Kiosk", 48.85, 2.35, 50, new Dictionary<string, double> { ["mosslet"] = 1 }, 10, 5))).Zone!.Id;
        await billing.SetBudgetAsync(sponsor, zone, new ZoneBudgetSettings(0.75m, null, null, 60), day);

        ZoneVisitEvent[] Visit(int p) =>
        [
            new(zone, $"restart-{p}", Noon.AddMinutes(p), Noon.AddMinutes(p), null),
            new(zone, $"restart-{p}", Noon.AddMinutes(p), Noon.AddMinutes(p + 3), Noon.AddMinutes(p + 3)),
        ];

        await using var writer = new HistoryWriter(Options(db.ConnectionString));
        await writer.StartAsync(default);
        foreach (var e in Enumerable.Range(0, 5).SelectMany(Visit))
        {
            Assert.True(writer.TryAppend(e));
        }

        await TestEnvironment.WaitUntilAsync(
            async () => await db.ScalarAsync<long>("select count(*) from billed_visits where zone_id = @z", ("z", zone)) == 5,
            TimeSpan.FromSeconds(30), "the first five visits billed");
        try
        {
            await PostgresOutage.StopAsync();
            // During the outage: five new visits, and every earlier event again (a client's retry,
            // a second node that saw the same player).
            foreach (var e in Enumerable.Range(0, 10).SelectMany(Visit))
            {
                Assert.True(writer.TryAppend(e));
            }

            await TestEnvironment.WaitUntilAsync(() => Task.FromResult(writer.Statistics.Failures >= 2), TimeSpan.FromSeconds(30), "the writer to notice the outage");
        }
        finally
        {
            await PostgresOutage.StartAsync();
        }

        await TestEnvironment.WaitUntilAsync(
            async () => await db.ScalarAsync<long>("select count(*) from billed_visits where zone_id = @z", ("z", zone)) == 10,
            TimeSpan.FromSeconds(60), "all ten visits billed");
        await writer.StopAsync(default).WaitAsync(TimeSpan.FromSeconds(30));

        var budget = (await billing.GetBudgetAsync(sponsor, zone, day))!;
        Assert.Equal((10, 7.50m), (budget.VisitsToday, budget.SpentTotal));
        Assert.Equal(10L, await db.ScalarAsync<long>("select count(*) from zone_visits where zone_id = @z", ("z", zone)));
    }
}
