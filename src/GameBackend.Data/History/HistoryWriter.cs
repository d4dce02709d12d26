using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace GameBackend.Data.History;

/// <summary>Point-in-time counters of a <see cref="HistoryWriter"/> (also exported as metrics).</summary>
public readonly record struct HistoryWriterStatistics(
    long RowsWritten,
    long Failures,
    long Dropped,
    long Spilled,
    long BufferDepth,
    long SpillBytes,
    double OldestUnwrittenAgeSeconds,
    long JournalWrites = 0,
    long JournalRows = 0,
    long JournalSyncs = 0);

/// <summary>
/// Ingests history (positions, spawns, captures, zone visits, sightings) into PostgreSQL off the hot
/// path. <c>TryAppend</c> only enqueues into a bounded in-memory buffer and never touches the
/// database; one background loop batches rows into PostgreSQL. When PostgreSQL is down rows stay in
/// memory up to a high-water mark, then go to append-only spill files that are replayed once it is
/// back (also after a restart). Every write is idempotent on the rows' natural keys, so a retried or
/// replayed batch never duplicates a row.
/// </summary>
public sealed partial class HistoryWriter : IHostedService, IAsyncDisposable, IHistoryJournalEvents
{
    /// <summary>Name of the <see cref="Meter"/> carrying the pipeline's metrics.</summary>
    public const string MeterName = "GameBackend.History";

    private readonly HistoryOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly NpgsqlDataSource _dataSource;
    private readonly HistoryLane<PositionSample> _positions;
    private readonly HistoryLane<SpawnRecord> _spawns;
    private readonly HistoryLane<CaptureRecord> _captures;
    private readonly HistoryLane<ZoneVisitEvent> _visits;
    private readonly HistoryLane<CreatureSighting> _sightings;
    private readonly IHistoryLane[] _lanes;
    private readonly Counter<long> _rowsWrittenCounter;
    private readonly Counter<long> _failuresCounter;
    private readonly Counter<long> _droppedCounter;
    private readonly Counter<long> _spilledCounter;
    private readonly Counter<long> _erasedCounter;
    private long _erased;
    private readonly CancellationTokenSource _abort = new();
    private long _rowsWritten;
    private long _failures;
    private long _dropped;
    private long _spilled;
    private volatile bool _completing;
    private Task? _loop;

    public HistoryWriter(HistoryOptions options, ILogger<HistoryWriter>? logger = null, TimeProvider? timeProvider = null, IMeterFactory? meterFactory = null,
        Billing.IZoneSpendListener? spendListener = null)
    {
        var validation = new HistoryOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new ArgumentException(validation.FailureMessage, nameof(options));
        }

        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _dataSource = new NpgsqlDataSourceBuilder(options.ConnectionString).Build();
        Budget = new SpillBudget(options.SpillMaxBytes);

        _positions = new HistoryLane<PositionSample>(new PositionSink(), this, options);
        _spawns = new HistoryLane<SpawnRecord>(new SpawnSink(), this, options);
        _captures = new HistoryLane<CaptureRecord>(new CaptureSink(), this, options);
        _visits = new HistoryLane<ZoneVisitEvent>(new ZoneVisitSink(spendListener), this, options);
        _sightings = new HistoryLane<CreatureSighting>(new SightingSink(), this, options);
        _lanes = [_positions, _spawns, _captures, _visits, _sightings];

        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _rowsWrittenCounter = _meter.CreateCounter<long>("gamebackend.history.rows_written", "{row}", "Rows newly stored in PostgreSQL.");
        _failuresCounter = _meter.CreateCounter<long>("gamebackend.history.write_failures", "{failure}", "Failed batch writes (each is retried).");
        _droppedCounter = _meter.CreateCounter<long>("gamebackend.history.rows_dropped", "{row}", "Rows rejected because buffer and spill were full.");
        _spilledCounter = _meter.CreateCounter<long>("gamebackend.history.rows_spilled", "{row}", "Rows written to the on-disk spill.");
        _erasedCounter = _meter.CreateCounter<long>("gamebackend.history.rows_erased", "{row}",
            "Buffered or spilled rows not written because their player was erased meanwhile.");
        _meter.CreateObservableGauge("gamebackend.history.buffer_depth", () => BufferDepth, "{row}", "Rows waiting in memory.");
        _meter.CreateObservableCounter("gamebackend.history.journal_writes", () => JournalWrites, "{write}",
            "Write system calls to journal segments (one per group-committed batch).");
        _meter.CreateObservableCounter("gamebackend.history.journal_rows", () => JournalRows, "{row}", "Rows written to journal segments.");
        _meter.CreateObservableCounter("gamebackend.history.journal_syncs", () => JournalSyncs, "{fsync}",
            "fsync calls on journal segments (History:JournalFsync).");
        _meter.CreateObservableGauge("gamebackend.history.oldest_unwritten_age", () => OldestUnwrittenAgeSeconds, "s",
            "Age of the oldest row not yet in PostgreSQL (memory or spill).");
    }

    internal SpillBudget Budget { get; }

    internal TimeProvider Time => _time;

    /// <summary>Current counters, for health checks and tests.</summary>
    public HistoryWriterStatistics Statistics => new(
        Interlocked.Read(ref _rowsWritten), Interlocked.Read(ref _failures), Interlocked.Read(ref _dropped),
        Interlocked.Read(ref _spilled), BufferDepth, Budget.Used, OldestUnwrittenAgeSeconds, JournalWrites, JournalRows, JournalSyncs);

    // Summed per read (health checks, tests): the lanes own their counters.
    private long JournalSyncs => _lanes.Sum(static lane => lane.JournalSyncs);

    private long JournalWrites => _lanes.Sum(static lane => lane.JournalWrites);

    private long JournalRows => _lanes.Sum(static lane => lane.JournalRows);

    internal HistoryLane<PositionSample> Positions => _positions;

    private long BufferDepth
    {
        get
        {
            long depth = 0;
            foreach (var lane in _lanes)
            {
                depth += lane.Depth;
            }

            return depth;
        }
    }

    private double OldestUnwrittenAgeSeconds
    {
        get
        {
            var oldest = long.MaxValue;
            foreach (var lane in _lanes)
            {
                oldest = Math.Min(oldest, lane.OldestUnwrittenTicks);
            }

            return oldest == long.MaxValue ? 0 : Math.Max(0, (_time.GetUtcNow().UtcTicks - oldest) / (double)TimeSpan.TicksPerSecond);
        }
    }

    /// <summary>Queues a position fix. Never blocks on PostgreSQL. Returns false only when the
    /// buffer and the spill are both full; the row is then counted and logged as dropped. When it
    /// returns true the row is journaled (with the OS); this writes the journal on the caller's
    /// thread unless a concurrent write already carried the row, so prefer the overload with
    /// <c>journaled</c> on hot paths.</summary>
    public bool TryAppend(in PositionSample sample) => _positions.TryAppend(sample);

    /// <summary>
    /// Queues a position fix without touching the disk. <paramref name="journaled"/> completes once
    /// the row is in the journal (with the OS), so a process killed afterwards still stores it;
    /// await it before acknowledging the fix. It is already complete when the journal is off or the
    /// row went to the spill on the caller's thread. Rows of concurrent callers share one journal
    /// write (group commit). Returns false only when buffer and spill are both full.
    /// </summary>
    public bool TryAppend(in PositionSample sample, out ValueTask journaled) => _positions.TryAppend(sample, out journaled);

    /// <summary>Queues a spawn (see <see cref="TryAppend(in PositionSample)"/> for the contract).</summary>
    public bool TryAppend(in SpawnRecord spawn) => _spawns.TryAppend(spawn);

    /// <summary>Queues a decided capture race summary.</summary>
    public bool TryAppend(in CaptureRecord capture) => _captures.TryAppend(capture);

    /// <summary>Queues a zone enter or exit event (from <c>ZoneVisitTracker</c>).</summary>
    public bool TryAppend(in ZoneVisitEvent visit) => _visits.TryAppend(visit);

    /// <summary>Queues a creature sighting for conversion analytics.</summary>
    public bool TryAppend(in CreatureSighting sighting) => _sightings.TryAppend(sighting);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_loop is not null)
        {
            return Task.CompletedTask;
        }

        // A journal left by a process that died is replayed like a spill file.
        var adopted = HistoryJournal.AdoptLeftovers(_options.SpillDirectory);
        if (adopted > 0)
        {
            Log.JournalAdopted(_logger, adopted);
        }

        // Spill files left by an earlier run count against the budget until they are replayed.
        if (Directory.Exists(_options.SpillDirectory))
        {
            foreach (var file in Directory.GetFiles(_options.SpillDirectory, "*.jsonl").Where(f => !Path.GetFileName(f).StartsWith(HistoryJournal.Prefix, StringComparison.Ordinal)))
            {
                Budget.Add(new FileInfo(file).Length);
            }
        }

        _loop = Task.Run(() => RunAsync(_abort.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Writes everything buffered (and replays the spill) while PostgreSQL answers; when it does not,
    /// or when <paramref name="cancellationToken"/> fires, spills the rest to disk for the next start.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _completing = true;
        foreach (var lane in _lanes)
        {
            lane.Complete();
        }

        if (_loop is null)
        {
            // Never started: nothing drains memory, so keep it on disk for the next run.
            foreach (var lane in _lanes)
            {
                lane.SpillAll();
                lane.CloseSpill();
            }

            return;
        }

        await using (cancellationToken.Register(static s => ((CancellationTokenSource)s!).Cancel(), _abort))
        {
            await _loop.ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_completing)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await StopAsync(timeout.Token).ConfigureAwait(false);
        }

        _abort.Dispose();
        await _dataSource.DisposeAsync().ConfigureAwait(false);
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    private async Task RunAsync(CancellationToken abort)
    {
        var backoff = _options.RetryBaseDelay;
        var nextAttempt = DateTimeOffset.MinValue;
        var healthy = true;
        // While PostgreSQL is failing, memory holds up to this many rows per lane before spilling.
        var highWater = Math.Max(_options.BatchSize, _options.BufferCapacity * 3L / 4);
        try
        {
            while (true)
            {
                foreach (var lane in _lanes)
                {
                    lane.SyncJournalIfDue();
                }

                var completing = _completing;
                var pending = 0;
                var fullBatch = false;
                foreach (var lane in _lanes)
                {
                    var n = lane.FillPending();
                    pending += n;
                    fullBatch |= n == _options.BatchSize;
                }

                var now = _time.GetUtcNow();
                if (now < nextAttempt)
                {
                    if (completing)
                    {
                        break; // shutting down while PostgreSQL is down: the finally block spills
                    }

                    foreach (var lane in _lanes)
                    {
                        lane.SpillDownTo(highWater);
                    }

                    var wait = nextAttempt - now;
                    await Task.Delay(wait < _options.FlushInterval ? wait : _options.FlushInterval, _time, abort).ConfigureAwait(false);
                    continue;
                }

                var replay = false;
                foreach (var lane in _lanes)
                {
                    replay |= lane.HasReplayable();
                }

                if (pending == 0 && !replay)
                {
                    if (completing)
                    {
                        break;
                    }

                    await Task.Delay(_options.FlushInterval, _time, abort).ConfigureAwait(false);
                    continue;
                }

                try
                {
                    foreach (var lane in _lanes)
                    {
                        await lane.FlushPendingAsync(_dataSource, abort).ConfigureAwait(false);
                    }

                    if (replay)
                    {
                        foreach (var lane in _lanes)
                        {
                            if (lane.HasReplayable())
                            {
                                await lane.ReplayOneAsync(_dataSource, abort).ConfigureAwait(false);
                            }
                        }
                    }

                    if (!healthy)
                    {
                        healthy = true;
                        Log.Recovered(_logger);
                    }

                    backoff = _options.RetryBaseDelay;
                    nextAttempt = DateTimeOffset.MinValue;
                }
                catch (Exception ex) when (!abort.IsCancellationRequested)
                {
                    Interlocked.Increment(ref _failures);
                    _failuresCounter.Add(1);
                    if (healthy)
                    {
                        Log.WriteFailed(_logger, ex);
                    }
                    else
                    {
                        Log.StillFailing(_logger, ex.Message);
                    }

                    healthy = false;
                    nextAttempt = _time.GetUtcNow() + backoff;
                    backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.RetryMaxDelay.Ticks));
                    continue;
                }

                if (!fullBatch && !completing)
                {
                    await Task.Delay(_options.FlushInterval, _time, abort).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (abort.IsCancellationRequested)
        {
            Log.ShutdownAborted(_logger, ex.GetType().Name);
        }
        catch (Exception ex)
        {
            Log.LoopCrashed(_logger, ex);
        }
        finally
        {
            // Whatever is still in memory survives the process on disk and is replayed next start.
            long left = 0;
            foreach (var lane in _lanes)
            {
                left += lane.Depth;
                lane.SpillAll();
                lane.CloseSpill();
            }

            Log.Stopped(_logger, left, Budget.Used);
        }
    }

    internal void CountWritten(string kind, int rows)
    {
        Interlocked.Add(ref _rowsWritten, rows);
        _rowsWrittenCounter.Add(rows, new KeyValuePair<string, object?>("kind", kind));
    }

    /// <summary>Rows dropped at write time because their player's data was erased after they were buffered.</summary>
    public long RowsErased => Interlocked.Read(ref _erased);

    internal void CountErased(string kind, int rows)
    {
        Interlocked.Add(ref _erased, rows);
        _erasedCounter.Add(rows, new KeyValuePair<string, object?>("kind", kind));
    }

    internal void CountSpilled(string kind, int rows)
    {
        if (rows == 0)
        {
            return;
        }

        Interlocked.Add(ref _spilled, rows);
        _spilledCounter.Add(rows, new KeyValuePair<string, object?>("kind", kind));
    }

    internal void CountDropped(string kind)
    {
        var total = Interlocked.Increment(ref _dropped);
        _droppedCounter.Add(1, new KeyValuePair<string, object?>("kind", kind));
        // Log the first drop and then every 10,000th: loud enough to notice, cheap enough to survive a flood.
        if (total % 10_000 == 1)
        {
            Log.Dropped(_logger, kind, total);
        }
    }

    void IHistoryJournalEvents.JournalFailed(string kind, Exception exception) => Log.JournalFailed(_logger, kind, exception);

    internal void LogCorruptSpillLine(string path) => Log.CorruptSpillLine(_logger, path);

    internal void LogReplayed(string kind, int rows, string path) => Log.Replayed(_logger, kind, rows, path);

    internal void LogSpillFailed(string kind, Exception ex) => Log.SpillFailed(_logger, kind, ex);

    private static partial class Log
    {
        [LoggerMessage(EventId = 200, Level = LogLevel.Warning, Message = "History write failed; rows stay buffered and are retried")]
        public static partial void WriteFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 201, Level = LogLevel.Debug, Message = "History write still failing: {Reason}")]
        public static partial void StillFailing(ILogger logger, string reason);

        [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "History writes recovered")]
        public static partial void Recovered(ILogger logger);

        [LoggerMessage(EventId = 203, Level = LogLevel.Error, Message = "History buffer and spill are full: {Kind} row dropped ({Total} dropped so far)")]
        public static partial void Dropped(ILogger logger, string kind, long total);

        [LoggerMessage(EventId = 204, Level = LogLevel.Information, Message = "Replayed {Rows} {Kind} rows from spill file {Path}")]
        public static partial void Replayed(ILogger logger, string kind, int rows, string path);

        [LoggerMessage(EventId = 205, Level = LogLevel.Warning, Message = "Skipped an unreadable line in spill file {Path}")]
        public static partial void CorruptSpillLine(ILogger logger, string path);

        [LoggerMessage(EventId = 206, Level = LogLevel.Error, Message = "Could not write the {Kind} spill file")]
        public static partial void SpillFailed(ILogger logger, string kind, Exception exception);

        [LoggerMessage(EventId = 207, Level = LogLevel.Warning, Message = "History shutdown deadline reached ({Reason}); spilling the rest to disk")]
        public static partial void ShutdownAborted(ILogger logger, string reason);

        [LoggerMessage(EventId = 208, Level = LogLevel.Critical, Message = "History loop crashed; buffered rows are spilled to disk")]
        public static partial void LoopCrashed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 210, Level = LogLevel.Error, Message = "Could not write the {Kind} journal; rows are no longer journaled until restart")]
        public static partial void JournalFailed(ILogger logger, string kind, Exception exception);

        [LoggerMessage(EventId = 211, Level = LogLevel.Warning, Message = "Found {Segments} journal segments of a process that did not stop cleanly; replaying them")]
        public static partial void JournalAdopted(ILogger logger, int segments);

        [LoggerMessage(EventId = 209, Level = LogLevel.Information, Message = "History writer stopped; {Rows} rows moved to spill, {SpillBytes} spill bytes pending replay")]
        public static partial void Stopped(ILogger logger, long rows, long spillBytes);
    }
}
