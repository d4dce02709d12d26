using System.Collections.Concurrent;
using System.Text.Json;
using GameBackend.Data.History;
using GameBackend.Data.Tests.Infrastructure;
using static GameBackend.Data.Tests.History.HistoryTestData;

namespace GameBackend.Data.Tests.History;

/// <summary>
/// The journal's group commit: rows are acknowledged only once they are in a segment file, and
/// concurrent rows share one write. Write calls are counted by the journal, never inferred from time.
/// </summary>
public sealed class HistoryJournalTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Every_row_of_many_concurrent_producers_is_in_a_segment_when_its_await_returns()
    {
        const int producers = 16;
        const int rowsEach = 200;
        // The database is unreachable, so nothing is stored and no segment is deleted meanwhile.
        var options = Options(UnreachableConnectionString);
        await using var writer = new HistoryWriter(options);
        await writer.StartAsync(default);
        var lateRows = new ConcurrentBag<string>();

        await Task.WhenAll(Enumerable.Range(0, producers).Select(p => Task.Run(async () =>
        {
            for (var seq = 0; seq < rowsEach; seq++)
            {
                Assert.True(writer.TryAppend(Sample($"p{p}", seq), out var journaled));
                await journaled.AsTask().WaitAsync(Timeout);
                // Spot-check at the moment of the "ack" (reading every time would be quadratic).
                if (seq % 20 == 0 && !JournaledRows(options.SpillDirectory).Contains(($"p{p}", seq)))
                {
                    lateRows.Add($"p{p}/{seq}");
                }
            }
        }))).WaitAsync(Timeout);

        Assert.Empty(lateRows);
        var rows = JournaledRowList(options.SpillDirectory);
        Assert.Equal(producers * rowsEach, rows.Count);
        Assert.Equal(producers * rowsEach, rows.Distinct().Count());
        var stats = writer.Statistics;
        Assert.Equal(producers * rowsEach, stats.JournalRows);
        Assert.InRange(stats.JournalWrites, 1, producers * rowsEach);
    }

    [Fact]
    public async Task Rows_appended_while_a_write_is_in_flight_share_the_next_single_write()
    {
        const int producers = 400;
        var options = Options(UnreachableConnectionString);
        // Never started: only the journal works, the database loop never runs.
        await using var writer = new HistoryWriter(options);
        var journal = writer.Positions.Journal!;
        using var release = new ManualResetEventSlim(false);
        using var firstWriteHeld = new SemaphoreSlim(0);
        var held = 0;
        journal.BeforeWrite = () =>
        {
            if (Interlocked.Exchange(ref held, 1) == 0)
            {
                firstWriteHeld.Release();
                release.Wait(Timeout);
            }
        };

        Assert.True(writer.TryAppend(Sample("first", 0), out var first));
        Assert.True(await firstWriteHeld.WaitAsync(Timeout), "the writer took the first batch");

        // While that write is held, many producers append; none of them touches the file.
        // (A Task<Task[]>, so that Task.Run does not unwrap and wait for the journal write.)
        var pending = (await Task.WhenAll(Enumerable.Range(0, producers).Select(p => Task.Run(() =>
        {
            Assert.True(writer.TryAppend(Sample($"g{p}", 1), out var journaled));
            return new[] { journaled.AsTask() };
        }))).WaitAsync(Timeout)).SelectMany(t => t).ToArray();

        Assert.False(first.IsCompleted);
        Assert.All(pending, t => Assert.False(t.IsCompleted));
        Assert.Equal(0, writer.Statistics.JournalWrites);

        release.Set();
        await first.AsTask().WaitAsync(Timeout);
        await Task.WhenAll(pending).WaitAsync(Timeout);

        // One write for the held batch, one for everything that queued behind it.
        Assert.Equal(2, writer.Statistics.JournalWrites);
        Assert.Equal(producers + 1, writer.Statistics.JournalRows);
        Assert.Equal(producers + 1, JournaledRowList(options.SpillDirectory).Distinct().Count());
    }

    [Fact]
    public async Task A_synchronous_append_returns_with_its_row_in_the_segment()
    {
        var options = Options(UnreachableConnectionString);
        await using var writer = new HistoryWriter(options);
        for (var i = 0; i < 20; i++)
        {
            Assert.True(writer.TryAppend(new SpawnRecord($"c-{i}", "sparkmouse", "rare", 1.5, 2.5, Noon, Noon.AddMinutes(30), "cell", null)));
            var lines = ReadSegments(options.SpillDirectory, "journal-spawns-*.jsonl");
            Assert.Equal(i + 1, lines.Count);
            Assert.Contains($"\"CreatureId\":\"c-{i}\"", lines[^1], StringComparison.Ordinal);
        }

        Assert.Equal(20, writer.Statistics.JournalRows);
    }

    [Fact]
    public async Task Without_a_journal_the_append_is_complete_at_once_and_nothing_is_written_to_disk()
    {
        var options = Options(UnreachableConnectionString);
        options.Journal = false;
        await using var writer = new HistoryWriter(options);

        Assert.True(writer.TryAppend(Sample("nojournal", 1), out var journaled));

        Assert.True(journaled.IsCompletedSuccessfully);
        Assert.Equal(0, writer.Statistics.JournalWrites);
        Assert.False(Directory.Exists(options.SpillDirectory) && Directory.GetFiles(options.SpillDirectory, "journal-*").Length > 0);
    }

    [Fact]
    public async Task Awaited_rows_of_a_killed_process_are_replayed_and_a_clean_stop_leaves_no_journal()
    {
        const int producers = 8;
        const int rowsEach = 100;
        var live = Path.Combine(Path.GetTempPath(), "gb-spill-test-" + Guid.NewGuid().ToString("N"));
        var afterCrash = live + "-after-crash";
        var first = new HistoryWriter(Options(UnreachableConnectionString, live));
        try
        {
            await first.StartAsync(default);
            await Task.WhenAll(Enumerable.Range(0, producers).Select(p => Task.Run(async () =>
            {
                for (var seq = 0; seq < rowsEach; seq++)
                {
                    Assert.True(first.TryAppend(Sample($"killed-{p}", seq), out var journaled));
                    await journaled.AsTask().WaitAsync(Timeout);
                }
            }))).WaitAsync(Timeout);

            // What SIGKILL leaves behind is the folder as it is now: every await above returned.
            Directory.CreateDirectory(afterCrash);
            foreach (var file in Directory.GetFiles(live, "journal-*.jsonl"))
            {
                File.Copy(file, Path.Combine(afterCrash, Path.GetFileName(file)));
            }

            var second = new HistoryWriter(Options(db.ConnectionString, afterCrash));
            await using (second)
            {
                await second.StartAsync(default);
                await TestEnvironment.WaitUntilAsync(async () =>
                    await db.ScalarAsync<long>("select count(*) from position_samples where player_id like 'killed-%'") == producers * rowsEach,
                    Timeout, "journaled rows");

                // The adopting process journals its own new rows and stops cleanly.
                for (var seq = 0; seq < 50; seq++)
                {
                    Assert.True(second.TryAppend(Sample("after", seq), out var journaled));
                    await journaled.AsTask().WaitAsync(Timeout);
                }

                await second.StopAsync(new CancellationTokenSource(Timeout).Token);
            }

            Assert.Equal(50, await db.ScalarAsync<long>("select count(*) from position_samples where player_id = 'after'"));
            Assert.Empty(Directory.GetFiles(afterCrash));
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
    public async Task Rows_still_in_memory_at_a_stop_while_the_database_is_down_stay_on_disk_until_the_next_start()
    {
        var options = Options(UnreachableConnectionString);
        try
        {
            await using (var writer = new HistoryWriter(options))
            {
                await writer.StartAsync(default);
                for (var seq = 0; seq < 300; seq++)
                {
                    Assert.True(writer.TryAppend(Sample("stopped", seq), out var journaled));
                    await journaled.AsTask().WaitAsync(Timeout);
                }

                await writer.StopAsync(new CancellationTokenSource(Timeout).Token);
                Assert.Equal(300, writer.Statistics.Spilled);
            }

            // Spilled at the stop, so the journal segments are finished and gone.
            Assert.Empty(Directory.GetFiles(options.SpillDirectory, "journal-*"));
            Assert.NotEmpty(Directory.GetFiles(options.SpillDirectory, "positions-*.jsonl"));

            await using var next = new HistoryWriter(Options(db.ConnectionString, options.SpillDirectory));
            await next.StartAsync(default);
            await TestEnvironment.WaitUntilAsync(async () =>
                await db.ScalarAsync<long>("select count(*) from position_samples where player_id = 'stopped'") == 300, Timeout, "replayed rows");
        }
        finally
        {
            if (Directory.Exists(options.SpillDirectory))
            {
                Directory.Delete(options.SpillDirectory, recursive: true);
            }
        }
    }

    [Fact]
    public void A_negative_or_huge_commit_window_is_rejected()
    {
        var options = Options(db.ConnectionString);
        options.JournalCommitWindow = TimeSpan.FromMilliseconds(-1);
        Assert.True(new HistoryOptionsValidator().Validate(null, options).Failed);
        options.JournalCommitWindow = TimeSpan.FromSeconds(2);
        Assert.True(new HistoryOptionsValidator().Validate(null, options).Failed);
        options.JournalCommitWindow = TimeSpan.Zero;
        Assert.True(new HistoryOptionsValidator().Validate(null, options).Succeeded);
    }

    [Fact]
    public void The_fsync_policy_is_validated()
    {
        var options = Options(db.ConnectionString);
        Assert.Equal(JournalFsyncPolicy.Interval, options.JournalFsync);
        Assert.True(new HistoryOptionsValidator().Validate(null, options).Succeeded);
        options.JournalFsyncInterval = TimeSpan.Zero;
        Assert.Contains("JournalFsyncInterval", new HistoryOptionsValidator().Validate(null, options).FailureMessage, StringComparison.Ordinal);
        options.JournalFsyncInterval = TimeSpan.FromMinutes(2);
        Assert.True(new HistoryOptionsValidator().Validate(null, options).Failed);
        options.JournalFsync = JournalFsyncPolicy.None; // the interval does not matter then
        Assert.True(new HistoryOptionsValidator().Validate(null, options).Succeeded);
        options.JournalFsync = (JournalFsyncPolicy)7;
        Assert.Contains("JournalFsync must be", new HistoryOptionsValidator().Validate(null, options).FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Always_fsyncs_every_batch_before_its_rows_are_acknowledged()
    {
        var options = Options(UnreachableConnectionString);
        options.JournalFsync = JournalFsyncPolicy.Always;
        // Never started: only the journal works.
        await using var writer = new HistoryWriter(options);
        for (var seq = 1; seq <= 5; seq++)
        {
            Assert.True(writer.TryAppend(Sample("always", seq), out var journaled));
            await journaled.AsTask().WaitAsync(Timeout);
            // The fsync comes before the waiters are released: at the ack, this batch is synced.
            var stats = writer.Statistics;
            Assert.Equal(stats.JournalWrites, stats.JournalSyncs);
            Assert.True(stats.JournalSyncs >= 1);
        }

        // The synchronous path (other kinds) too.
        Assert.True(writer.TryAppend(new SpawnRecord("c-always", "sparkmouse", "rare", 1.5, 2.5, Noon, Noon.AddMinutes(30), "cell", null)));
        Assert.Equal(writer.Statistics.JournalWrites, writer.Statistics.JournalSyncs);
    }

    [Fact]
    public async Task None_never_fsyncs()
    {
        var options = Options(UnreachableConnectionString);
        options.JournalFsync = JournalFsyncPolicy.None;
        var writer = new HistoryWriter(options);
        for (var seq = 1; seq <= 5; seq++)
        {
            Assert.True(writer.TryAppend(Sample("none", seq), out var journaled));
            await journaled.AsTask().WaitAsync(Timeout);
        }

        await writer.DisposeAsync();
        Assert.True(writer.Statistics.JournalWrites >= 1);
        Assert.Equal(0, writer.Statistics.JournalSyncs);
    }

    [Fact]
    public async Task Interval_fsyncs_off_the_acknowledgement_path_once_the_interval_has_passed()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Noon);
        var options = Options(UnreachableConnectionString);
        options.JournalFsync = JournalFsyncPolicy.Interval;
        options.JournalFsyncInterval = TimeSpan.FromSeconds(1);
        await using var writer = new HistoryWriter(options, timeProvider: time);
        await writer.StartAsync(default);

        Assert.True(writer.TryAppend(Sample("interval", 1), out var journaled));
        await journaled.AsTask().WaitAsync(Timeout);
        // Acknowledged once written; no fsync yet (no time has passed on the writer's clock).
        Assert.True(writer.Statistics.JournalWrites >= 1);
        Assert.Equal(0, writer.Statistics.JournalSyncs);

        // The writer's loop syncs at its next tick after the interval.
        time.Advance(TimeSpan.FromSeconds(1));
        await TestEnvironment.WaitUntilAsync(() => Task.FromResult(writer.Statistics.JournalSyncs == 1), Timeout, "one interval fsync");

        // Nothing new written: later ticks have nothing to sync.
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(writer.TryAppend(Sample("interval", 2), out var second));
        await second.AsTask().WaitAsync(Timeout);
        time.Advance(TimeSpan.FromSeconds(1));
        await TestEnvironment.WaitUntilAsync(() => Task.FromResult(writer.Statistics.JournalSyncs == 2), Timeout, "the second row synced");
    }

    private static HashSet<(string Player, long Seq)> JournaledRows(string directory) => [.. JournaledRowList(directory)];

    private static List<(string Player, long Seq)> JournaledRowList(string directory) =>
        ReadSegments(directory, "journal-positions-*.jsonl")
            .Select(line => JsonSerializer.Deserialize<PositionSample>(line))
            .Select(s => (s.PlayerId, s.Seq))
            .ToList();

    /// <summary>Reads segments the way a backup tool would, while the writer still has them open.</summary>
    private static List<string> ReadSegments(string directory, string pattern)
    {
        var lines = new List<string>();
        if (!Directory.Exists(directory))
        {
            return lines;
        }

        foreach (var path in Directory.GetFiles(directory, pattern).Order(StringComparer.Ordinal))
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            var text = reader.ReadToEnd();
            // Only whole lines: read while another batch's write is under way, the file may end in
            // part of a line (a row not acknowledged yet; replay skips such a torn tail too).
            var whole = text.LastIndexOf('\n');
            foreach (var line in text[..(whole + 1)].Split('\n'))
            {
                if (line.Length > 0)
                {
                    lines.Add(line);
                }
            }
        }

        return lines;
    }
}
