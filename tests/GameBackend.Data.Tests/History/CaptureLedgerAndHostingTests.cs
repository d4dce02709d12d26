using GameBackend.Data.History;
using GameBackend.Data.Tests.Infrastructure;
using GameBackend.Data.Zones;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GameBackend.Data.Tests.History;

public sealed class CaptureLedgerTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task Exactly_one_of_many_concurrent_claims_wins()
    {
        var ledger = new CaptureLedger(db.DataSource);
        var claims = Enumerable.Range(0, 8).Select(i => Task.Run(() => ledger.CommitWinnerAsync(
            new CaptureRecord("race-1", $"player-{i}", "sparkmouse", "rare", 2.0, 48.0, DateTimeOffset.UtcNow, 8, 7))));

        var winners = await Task.WhenAll(claims).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Single(winners.Distinct());
        Assert.Equal(winners[0], await db.ScalarAsync<string>("select player_id from captures where creature_id = 'race-1'"));
    }
}

public sealed class HostingTests : IAsyncLifetime
{
    private readonly TestDatabase _db = new();

    public Task InitializeAsync() => _db.CreateEmptyAsync();

    public Task DisposeAsync() => _db.DisposeAsync();

    [Fact]
    public async Task The_host_migrates_on_start_and_the_writer_stores_rows()
    {
        var spill = Path.Combine(Path.GetTempPath(), "gb-spill-test-" + Guid.NewGuid().ToString("N"));
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddGameData(o => o.ConnectionString = _db.ConnectionString);
        builder.Services.AddGameHistory(o =>
        {
            o.ConnectionString = _db.ConnectionString;
            o.SpillDirectory = spill;
            o.FlushInterval = TimeSpan.FromMilliseconds(20);
        });
        using var host = builder.Build();
        await host.StartAsync().WaitAsync(TimeSpan.FromSeconds(60));
        try
        {
            var writer = host.Services.GetRequiredService<HistoryWriter>();
            Assert.True(writer.TryAppend(HistoryTestData.Sample("hosted", 1, DateTimeOffset.UtcNow)));
            var registration = await host.Services.GetRequiredService<SponsorStore>().CreateAsync("Hosted");

            await TestEnvironment.WaitUntilAsync(async () =>
            {
                await using var source = GameDataSource.Create(_db.ConnectionString);
                await using var cmd = source.CreateCommand("select count(*) from position_samples where player_id = 'hosted'");
                return (long)(await cmd.ExecuteScalarAsync())! == 1;
            }, TimeSpan.FromSeconds(30), "hosted row");
            Assert.NotNull(await host.Services.GetRequiredService<SponsorStore>().VerifyApiKeyAsync(registration.ApiKey));
        }
        finally
        {
            await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
            if (Directory.Exists(spill))
            {
                Directory.Delete(spill, recursive: true);
            }
        }
    }

    [Fact]
    public void Invalid_history_options_fail_at_start()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddGameHistory(o => o.BatchSize = 0);
        using var host = builder.Build();
        Assert.ThrowsAny<Exception>(() => host.Services.GetRequiredService<HistoryWriter>());
    }
}
