using GameBackend.Data.History;
using GameBackend.Data.Tests.Infrastructure;
using static GameBackend.Data.Tests.History.HistoryTestData;

namespace GameBackend.Data.Tests.History;

[Collection(PostgresOutageCollection.Name)]
public sealed class HistoryWriterOutageTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task Every_row_appended_across_a_database_restart_is_stored_exactly_once()
    {
        await using var writer = new HistoryWriter(Options(db.ConnectionString));
        await writer.StartAsync(default);
        using var stopProducing = new CancellationTokenSource();
        var appended = 0L;
        var producer = Task.Run(async () =>
        {
            for (var seq = 0L; !stopProducing.IsCancellationRequested; seq++)
            {
                Assert.True(writer.TryAppend(Sample("outage", seq)));
                Interlocked.Exchange(ref appended, seq + 1);
                await Task.Delay(2);
            }
        });

        await TestEnvironment.WaitUntilAsync(() => Task.FromResult(writer.Statistics.RowsWritten > 100), TimeSpan.FromSeconds(20), "rows before the outage");
        try
        {
            await PostgresOutage.StopAsync();
            await TestEnvironment.WaitUntilAsync(() => Task.FromResult(writer.Statistics.Failures >= 3), TimeSpan.FromSeconds(20), "the writer to notice the outage");
        }
        finally
        {
            await PostgresOutage.StartAsync();
        }

        var writtenAtRestart = writer.Statistics.RowsWritten;
        await TestEnvironment.WaitUntilAsync(() => Task.FromResult(writer.Statistics.RowsWritten > writtenAtRestart + 100), TimeSpan.FromSeconds(30), "rows after the outage");
        await stopProducing.CancelAsync();
        await producer.WaitAsync(TimeSpan.FromSeconds(10));

        var total = Interlocked.Read(ref appended);
        await TestEnvironment.WaitUntilAsync(async () =>
            await db.ScalarAsync<long>("select count(*) from position_samples where player_id = 'outage'") == total,
            TimeSpan.FromSeconds(30), $"all {total} rows");
        Assert.Equal(total, await db.ScalarAsync<long>("select count(distinct seq) from position_samples where player_id = 'outage'"));
        Assert.Equal(total - 1, await db.ScalarAsync<long>("select max(seq) from position_samples where player_id = 'outage'"));
        Assert.Equal(0, writer.Statistics.Dropped);
    }
}
