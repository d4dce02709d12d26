using GameBackend.Data.History;
using GameBackend.Data.Tests.Infrastructure;
using static GameBackend.Data.Tests.History.HistoryTestData;

namespace GameBackend.Data.Tests.History;

public sealed class HistoryWriterTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Appended_rows_are_stored_with_geography_time_and_seq()
    {
        var options = Options(db.ConnectionString);
        await using var writer = new HistoryWriter(options);
        await writer.StartAsync(default);
        var zone = Guid.NewGuid();

        Assert.True(writer.TryAppend(Sample("geo", 1, lat: 48.8584, lon: 2.2945)));
        Assert.True(writer.TryAppend(Sample("geo", 2, lat: -33.8568, lon: 151.2153)));
        Assert.True(writer.TryAppend(new SpawnRecord("c-geo", "sparkmouse", "rare", 1.5, 2.5, Noon, Noon.AddMinutes(30), "cell", zone)));
        Assert.True(writer.TryAppend(new CaptureRecord("c-geo", "geo", "sparkmouse", "rare", 1.5, 2.5, Noon.AddMinutes(1), 3, 2)));
        Assert.True(writer.TryAppend(new ZoneVisitEvent(zone, "geo", Noon, Noon, null)));
        Assert.True(writer.TryAppend(new ZoneVisitEvent(zone, "geo", Noon, Noon.AddMinutes(5), Noon.AddMinutes(5))));
        Assert.True(writer.TryAppend(new CreatureSighting(zone, "geo", Noon.AddMinutes(-2))));

        await TestEnvironment.WaitUntilAsync(async () =>
            await db.ScalarAsync<long>("select count(*) from position_samples where player_id = 'geo'") == 2
            && await db.ScalarAsync<long>("select count(*) from captures where creature_id = 'c-geo'") == 1
            && await db.ScalarAsync<long>("select count(*) from spawns where creature_id = 'c-geo'") == 1
            && await db.ScalarAsync<long>("select count(*) from zone_visits where player_id = 'geo' and exited_at is not null") == 1
            && await db.ScalarAsync<long>("select count(*) from creature_sightings where player_id = 'geo'") == 1,
            Timeout, "history rows");

        await using var cmd = db.DataSource.CreateCommand("""
            select seq, ST_X(geog::geometry), ST_Y(geog::geometry), server_time, device_time, accuracy, course, accel_z, cell_id
            from position_samples where player_id = 'geo' order by seq
            """);
        await using var reader = await cmd.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(1, reader.GetInt64(0));
        Assert.Equal(2.2945, reader.GetDouble(1), 9);
        Assert.Equal(48.8584, reader.GetDouble(2), 9);
        Assert.Equal(Noon.AddMilliseconds(1), new DateTimeOffset(reader.GetDateTime(3)));
        Assert.Equal(Noon.AddMilliseconds(-249), new DateTimeOffset(reader.GetDateTime(4)));
        Assert.Equal(5.5f, reader.GetFloat(5));
        Assert.True(reader.IsDBNull(6));
        Assert.Equal(9.81f, reader.GetFloat(7));
        Assert.Equal("cell-geo", reader.GetString(8));
        Assert.True(await reader.ReadAsync());
        Assert.Equal(151.2153, reader.GetDouble(1), 9);
        Assert.Equal(-33.8568, reader.GetDouble(2), 9);

        Assert.Equal(300.0, await db.ScalarAsync<double>(
            "select extract(epoch from exited_at - entered_at) from zone_visits where player_id = 'geo'"));
    }

    [Fact]
    public async Task Duplicate_appends_store_one_row()
    {
        await using var writer = new HistoryWriter(Options(db.ConnectionString));
        await writer.StartAsync(default);

        var sample = Sample("dup", 7);
        writer.TryAppend(sample);
        writer.TryAppend(sample);
        await TestEnvironment.WaitUntilAsync(async () =>
            await db.ScalarAsync<long>("select count(*) from position_samples where player_id = 'dup'") == 1, Timeout, "first copy");
        // The same row again in a later batch (a client or spill retry).
        writer.TryAppend(sample);
        writer.TryAppend(Sample("dup", 8));
        await TestEnvironment.WaitUntilAsync(async () =>
            await db.ScalarAsync<long>("select count(*) from position_samples where player_id = 'dup' and seq = 8") == 1, Timeout, "later batch");

        Assert.Equal(2, await db.ScalarAsync<long>("select count(*) from position_samples where player_id = 'dup'"));
    }

    [Fact]
    public async Task Rows_spilled_while_the_database_is_unreachable_are_replayed_after_a_restart()
    {
        var spill = Path.Combine(Path.GetTempPath(), "gb-spill-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            var down = Options(UnreachableConnectionString, spill);
            await using (var first = new HistoryWriter(down))
            {
                await first.StartAsync(default);
                for (var i = 0; i < 1_000; i++)
                {
                    Assert.True(first.TryAppend(Sample("spill", i)));
                }

                await TestEnvironment.WaitUntilAsync(() => Task.FromResult(first.Statistics.Failures > 0), Timeout, "a failed write");
                await first.StopAsync(new CancellationTokenSource(Timeout).Token);
                Assert.Equal(1_000, first.Statistics.Spilled);
            }

            Assert.NotEmpty(Directory.GetFiles(spill, "positions-*.jsonl"));

            await using var second = new HistoryWriter(Options(db.ConnectionString, spill));
            await second.StartAsync(default);
            await TestEnvironment.WaitUntilAsync(async () =>
                await db.ScalarAsync<long>("select count(*) from position_samples where player_id = 'spill'") == 1_000, Timeout, "replayed rows");
            await TestEnvironment.WaitUntilAsync(
                () => Task.FromResult(Directory.GetFiles(spill).Length == 0 && second.Statistics.SpillBytes == 0), Timeout, "spill deleted");
            Assert.Equal(999, await db.ScalarAsync<long>("select max(seq) from position_samples where player_id = 'spill'"));
        }
        finally
        {
            if (Directory.Exists(spill))
            {
                Directory.Delete(spill, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Rows_accepted_before_a_crash_are_replayed_from_the_journal()
    {
        var live = Path.Combine(Path.GetTempPath(), "gb-spill-test-" + Guid.NewGuid().ToString("N"));
        var afterCrash = live + "-after-crash";
        // The database is unreachable, so nothing leaves memory: only the journal holds the rows.
        var first = new HistoryWriter(Options(UnreachableConnectionString, live));
        try
        {
            await first.StartAsync(default);
            for (var i = 0; i < 500; i++)
            {
                Assert.True(first.TryAppend(Sample("crash", i)));
            }

            // What SIGKILL leaves behind is the folder as it is now: each TryAppend above returned
            // only after its row was handed to the operating system.
            Directory.CreateDirectory(afterCrash);
            foreach (var file in Directory.GetFiles(live, "journal-*.jsonl"))
            {
                File.Copy(file, Path.Combine(afterCrash, Path.GetFileName(file)));
            }

            Assert.NotEmpty(Directory.GetFiles(afterCrash, "journal-positions-*.jsonl"));

            await using var second = new HistoryWriter(Options(db.ConnectionString, afterCrash));
            await second.StartAsync(default);
            await TestEnvironment.WaitUntilAsync(async () =>
                await db.ScalarAsync<long>("select count(*) from position_samples where player_id = 'crash'") == 500, Timeout, "journaled rows");
            await TestEnvironment.WaitUntilAsync(() => Task.FromResult(Directory.GetFiles(afterCrash).Length == 0), Timeout, "journal replayed and deleted");
            Assert.Equal(499, await db.ScalarAsync<long>("select max(seq) from position_samples where player_id = 'crash'"));
        }
        finally
        {
            await first.DisposeAsync();
            foreach (var folder in new[] { live, afterCrash })
            {
                if (Directory.Exists(folder))
                {
                    Directory.Delete(folder, recursive: true);
                }
            }
        }
    }

    [Fact]
    public async Task A_clean_stop_leaves_no_journal_behind()
    {
        var options = Options(db.ConnectionString);
        try
        {
            await using (var writer = new HistoryWriter(options))
            {
                await writer.StartAsync(default);
                for (var i = 0; i < 100; i++)
                {
                    Assert.True(writer.TryAppend(Sample("clean", i)));
                }

                Assert.NotEmpty(Directory.GetFiles(options.SpillDirectory, "journal-positions-*.jsonl"));
                await writer.StopAsync(new CancellationTokenSource(Timeout).Token);
            }

            Assert.Equal(100, await db.ScalarAsync<long>("select count(*) from position_samples where player_id = 'clean'"));
            Assert.Empty(Directory.GetFiles(options.SpillDirectory));
        }
        finally
        {
            if (Directory.Exists(options.SpillDirectory))
            {
                Directory.Delete(options.SpillDirectory, recursive: true);
            }
        }
    }

    [Theory]
    [InlineData(HistoryFullPolicy.Reject, 1_000_000, 10, 0)]
    [InlineData(HistoryFullPolicy.SpillOnCaller, 0, 10, 0)]
    [InlineData(HistoryFullPolicy.SpillOnCaller, 1_000_000, 25, 15)]
    public async Task A_full_buffer_follows_the_policy_and_counts_every_rejected_row(HistoryFullPolicy policy, long spillMaxBytes, int accepted, int spilled)
    {
        var options = Options(UnreachableConnectionString);
        options.BufferCapacity = 10;
        options.BatchSize = 5;
        options.FullPolicy = policy;
        options.SpillMaxBytes = spillMaxBytes;
        try
        {
            // Not started: no loop drains the buffer, so exactly BufferCapacity rows fit in memory.
            var writer = new HistoryWriter(options);
            var results = Enumerable.Range(0, 25).Select(i => writer.TryAppend(Sample("full", i))).ToList();

            Assert.Equal(accepted, results.Count(r => r));
            Assert.Equal(25 - accepted, writer.Statistics.Dropped);
            Assert.Equal(spilled, writer.Statistics.Spilled);
            Assert.Equal(10, writer.Statistics.BufferDepth);
            await writer.DisposeAsync();
        }
        finally
        {
            if (Directory.Exists(options.SpillDirectory))
            {
                Directory.Delete(options.SpillDirectory, recursive: true);
            }
        }
    }
}
