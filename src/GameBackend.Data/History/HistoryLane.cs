using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace GameBackend.Data.History;

/// <summary>Shared byte budget for the spill folder (all lanes together).</summary>
internal sealed class SpillBudget(long maxBytes)
{
    private long _used;

    public long Used => Interlocked.Read(ref _used);

    public bool TryReserve(long bytes)
    {
        while (true)
        {
            var used = Interlocked.Read(ref _used);
            if (used + bytes > maxBytes)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _used, used + bytes, used) == used)
            {
                return true;
            }
        }
    }

    public void Add(long bytes) => Interlocked.Add(ref _used, bytes);

    public void Release(long bytes) => Interlocked.Add(ref _used, -bytes);
}

/// <summary>Non-generic view of a lane for the writer's single background loop.</summary>
internal interface IHistoryLane
{
    string Kind { get; }

    long Depth { get; }

    long OldestUnwrittenTicks { get; }

    int PendingCount { get; }

    long JournalWrites { get; }

    long JournalRows { get; }

    long JournalSyncs { get; }

    /// <summary>With <see cref="JournalFsyncPolicy.Interval"/>: fsyncs the journal when it holds unsynced rows and the interval has passed.</summary>
    void SyncJournalIfDue();

    int FillPending();

    Task FlushPendingAsync(NpgsqlDataSource dataSource, CancellationToken ct);

    void SpillDownTo(long keep);

    void SpillAll();

    bool HasReplayable();

    Task ReplayOneAsync(NpgsqlDataSource dataSource, CancellationToken ct);

    void Complete();

    void CloseSpill();
}

/// <summary>
/// One record kind's path to PostgreSQL: a bounded in-memory queue, the batch being written, and an
/// append-only JSON-lines spill file used when memory is not enough. Only the writer's loop reads the
/// queue; producers only call the <c>TryAppend</c> overloads.
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "Closed by CloseSpill() from the writer's stop, after the rows left in memory are spilled.")]
internal sealed class HistoryLane<T> : IHistoryLane
    where T : struct
{
    private readonly IRecordSink<T> _sink;
    private readonly HistoryWriter _owner;
    private readonly HistoryOptions _options;
    private readonly Channel<T> _channel;
    private readonly T[] _pending;
    private int _pendingCount;
    private long _pendingOldestTicks = long.MaxValue;

    // Spill state, guarded by _spillLock (producers spill on their own thread under FullPolicy.SpillOnCaller).
    private readonly Lock _spillLock = new();
    private readonly ArrayBufferWriter<byte> _spillBuffer = new(512);
    private readonly Utf8JsonWriter _json;
    private FileStream? _spillStream;
    private string? _spillPath;
    private bool _spillClosed;
    private long _spillOldestTicks = long.MaxValue;
    private volatile bool _mayHaveSpill = true;

    // Write-ahead journal (HistoryOptions.Journal). Rows are serialised on the producer's thread
    // into its own scratch buffer, outside any lock; only the copy into the batch is locked.
    private readonly HistoryJournal? _journal;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_line;

    [ThreadStatic]
    private static Utf8JsonWriter? t_lineJson;

    public HistoryLane(IRecordSink<T> sink, HistoryWriter owner, HistoryOptions options)
    {
        _sink = sink;
        _owner = owner;
        _options = options;
        _pending = new T[options.BatchSize];
        _json = new Utf8JsonWriter(_spillBuffer);
        _journal = options.Journal
            ? new HistoryJournal(options.SpillDirectory, sink.Kind, owner, options.JournalCommitWindow, options.JournalFsync, options.JournalFsyncInterval, owner.Time)
            : null;
        _channel = Channel.CreateBounded<T>(new BoundedChannelOptions(options.BufferCapacity)
        {
            SingleReader = true,
            SingleWriter = false,
            // TryWrite returns false when full instead of waiting: the caller never blocks.
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public string Kind => _sink.Kind;

    public long Depth => _channel.Reader.Count + Volatile.Read(ref _pendingCount);

    public int PendingCount => _pendingCount;

    public long JournalWrites => _journal?.Writes ?? 0;

    public long JournalRows => _journal?.RowsWritten ?? 0;

    public long JournalSyncs => _journal?.Syncs ?? 0;

    public void SyncJournalIfDue() => _journal?.SyncIfDue();

    public long OldestUnwrittenTicks
    {
        get
        {
            var oldest = Math.Min(Volatile.Read(ref _pendingOldestTicks), Interlocked.Read(ref _spillOldestTicks));
            if (_channel.Reader.TryPeek(out var head))
            {
                oldest = Math.Min(oldest, _sink.TimestampOf(head).UtcTicks);
            }

            return oldest;
        }
    }

    internal HistoryJournal? Journal => _journal;

    /// <summary>Accepts the row; when this returns true the row is journaled (with the OS), so it may be acknowledged.</summary>
    public bool TryAppend(in T record)
    {
        if (!TryEnqueue(record, awaitable: false, out var ticket))
        {
            return TrySpillOnCaller(record);
        }

        _journal?.Commit(ticket);
        return true;
    }

    /// <summary>
    /// Accepts the row without waiting for the disk; <paramref name="journaled"/> completes once the
    /// row is with the OS (at once when the journal is off), and must be awaited before the row is
    /// acknowledged. Rows written on this path share one <c>write</c> per journal batch.
    /// </summary>
    public bool TryAppend(in T record, out ValueTask journaled)
    {
        journaled = default;
        if (!TryEnqueue(record, awaitable: true, out var ticket))
        {
            // The caller-side spill has flushed the row to the OS before returning.
            return TrySpillOnCaller(record);
        }

        if (ticket.Written is { } written)
        {
            if (ticket.WakeWriter)
            {
                _journal!.Wake();
            }

            journaled = new ValueTask(written);
        }

        return true;
    }

    private bool TryEnqueue(in T record, bool awaitable, out JournalTicket ticket)
    {
        ticket = default;
        if (_journal is null)
        {
            return _channel.Writer.TryWrite(record);
        }

        var line = Serialize(record);
        lock (_journal.AppendLock)
        {
            // Channel and journal in one order, so "the first n rows left the lane" names journal segments.
            if (!_channel.Writer.TryWrite(record))
            {
                return false;
            }

            ticket = _journal.AppendLocked(line, awaitable);
            return true;
        }
    }

    private ReadOnlySpan<byte> Serialize(in T record)
    {
        var buffer = t_line ??= new ArrayBufferWriter<byte>(512);
        buffer.ResetWrittenCount();
        var json = t_lineJson ??= new Utf8JsonWriter(buffer);
        json.Reset(buffer);
        JsonSerializer.Serialize(json, record, _sink.JsonType);
        json.Flush();
        buffer.Write("\n"u8);
        return buffer.WrittenSpan;
    }

    private bool TrySpillOnCaller(in T record)
    {
        if (_options.FullPolicy == HistoryFullPolicy.SpillOnCaller)
        {
            lock (_spillLock)
            {
                if (TrySpillLocked(new ReadOnlySpan<T>(in record)) == 1)
                {
                    _owner.CountSpilled(Kind, 1);
                    return true;
                }
            }
        }

        _owner.CountDropped(Kind);
        return false;
    }

    public int FillPending()
    {
        while (_pendingCount < _pending.Length && _channel.Reader.TryRead(out var item))
        {
            _pending[_pendingCount] = item;
            Volatile.Write(ref _pendingCount, _pendingCount + 1);
            var ticks = _sink.TimestampOf(item).UtcTicks;
            if (ticks < _pendingOldestTicks)
            {
                Volatile.Write(ref _pendingOldestTicks, ticks);
            }
        }

        return _pendingCount;
    }

    public async Task FlushPendingAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        if (_pendingCount == 0)
        {
            return;
        }

        var count = _pendingCount;
        var inserted = await WriteBatchAsync(dataSource, _pending.AsMemory(0, count), ct);
        ClearPending();
        _journal?.MarkDone(count);
        _owner.CountWritten(Kind, inserted);
    }

    public void SpillDownTo(long keep)
    {
        lock (_spillLock)
        {
            if (_pendingCount > 0 && Depth > keep)
            {
                var spilled = TrySpillLocked(_pending.AsSpan(0, _pendingCount));
                _owner.CountSpilled(Kind, spilled);
                _journal?.MarkDone(spilled);
                if (spilled < _pendingCount)
                {
                    // Spill budget exhausted: keep the rest in memory.
                    Array.Copy(_pending, spilled, _pending, 0, _pendingCount - spilled);
                    Volatile.Write(ref _pendingCount, _pendingCount - spilled);
                    return;
                }

                ClearPending();
            }

            while (Depth > keep && FillPending() > 0)
            {
                var spilled = TrySpillLocked(_pending.AsSpan(0, _pendingCount));
                _owner.CountSpilled(Kind, spilled);
                _journal?.MarkDone(spilled);
                if (spilled < _pendingCount)
                {
                    Array.Copy(_pending, spilled, _pending, 0, _pendingCount - spilled);
                    Volatile.Write(ref _pendingCount, _pendingCount - spilled);
                    return;
                }

                ClearPending();
            }
        }
    }

    public void SpillAll() => SpillDownTo(0);

    public bool HasReplayable()
    {
        if (!_mayHaveSpill)
        {
            return false;
        }

        lock (_spillLock)
        {
            if (_spillStream is not null)
            {
                return true;
            }
        }

        if (ListSpillFiles().Length > 0)
        {
            return true;
        }

        _mayHaveSpill = false;
        Interlocked.Exchange(ref _spillOldestTicks, long.MaxValue);
        return false;
    }

    public async Task ReplayOneAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        // Close the file being appended so it can be replayed; new spills start a fresh file.
        lock (_spillLock)
        {
            CloseSpillLocked(flushToDisk: false);
        }

        foreach (var path in ListSpillFiles())
        {
            FileStream stream;
            try
            {
                // Exclusive open: a file still held by another live writer process is skipped.
                stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.Asynchronous);
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            long length;
            var rows = 0;
            await using (stream)
            {
                length = stream.Length;
                using var reader = new StreamReader(stream);
                var batch = new T[_options.BatchSize];
                var count = 0;
                while (await reader.ReadLineAsync(ct) is { } line)
                {
                    if (line.Length == 0)
                    {
                        continue;
                    }

                    try
                    {
                        batch[count++] = JsonSerializer.Deserialize(line, _sink.JsonType);
                    }
                    catch (JsonException)
                    {
                        // A torn last line from a crash mid-append; the row never reached the spill.
                        count--;
                        _owner.LogCorruptSpillLine(path);
                        continue;
                    }

                    if (count == batch.Length)
                    {
                        _owner.CountWritten(Kind, await WriteBatchAsync(dataSource, batch, ct));
                        rows += count;
                        count = 0;
                    }
                }

                if (count > 0)
                {
                    _owner.CountWritten(Kind, await WriteBatchAsync(dataSource, batch.AsMemory(0, count), ct));
                    rows += count;
                }
            }

            File.Delete(path);
            _owner.Budget.Release(length);
            _owner.LogReplayed(Kind, rows, path);
            return;
        }
    }

    public void Complete() => _channel.Writer.TryComplete();

    public void CloseSpill()
    {
        lock (_spillLock)
        {
            CloseSpillLocked(flushToDisk: true);
            _spillClosed = true;
        }

        _journal?.Close();
    }

    private async Task<int> WriteBatchAsync(NpgsqlDataSource dataSource, ReadOnlyMemory<T> batch, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // Rows of players erased meanwhile are dropped here, whatever path they took (memory,
        // journal, spill file, another node): see ErasureTombstones.
        await Privacy.ErasureTombstones.LockSharedAsync(connection, tx, ct);
        var kept = await Privacy.ErasureTombstones.WithoutErasedAsync(connection, tx, _sink, batch, ct);
        if (kept.Length < batch.Length)
        {
            _owner.CountErased(Kind, batch.Length - kept.Length);
        }

        var inserted = kept.Length == 0 ? 0 : await _sink.WriteAsync(connection, tx, kept, ct);
        await tx.CommitAsync(ct);
        _sink.Committed();
        return inserted;
    }

    private void ClearPending()
    {
        Array.Clear(_pending, 0, _pendingCount); // release string references
        Volatile.Write(ref _pendingCount, 0);
        Volatile.Write(ref _pendingOldestTicks, long.MaxValue);
    }

    /// <summary>Appends records until the spill budget runs out; returns how many were written.</summary>
    private int TrySpillLocked(ReadOnlySpan<T> records)
    {
        if (_spillClosed || records.IsEmpty)
        {
            return 0;
        }

        try
        {
            if (_spillStream is null)
            {
                Directory.CreateDirectory(_options.SpillDirectory);
                // Ticks first so that name order is creation order; pid + guid keep nodes apart.
                _spillPath = Path.Combine(_options.SpillDirectory, string.Create(CultureInfo.InvariantCulture,
                    $"{Kind}-{DateTime.UtcNow.Ticks:D19}-{Environment.ProcessId}-{Guid.NewGuid():N}.jsonl"));
                _spillStream = new FileStream(_spillPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024);
                _mayHaveSpill = true;
            }

            var written = 0;
            foreach (ref readonly var record in records)
            {
                _spillBuffer.ResetWrittenCount();
                _json.Reset(_spillBuffer);
                JsonSerializer.Serialize(_json, record, _sink.JsonType);
                _json.Flush();
                _spillBuffer.Write("\n"u8);
                if (!_owner.Budget.TryReserve(_spillBuffer.WrittenCount))
                {
                    break;
                }

                _spillStream.Write(_spillBuffer.WrittenSpan);
                written++;
                var ticks = _sink.TimestampOf(record).UtcTicks;
                if (ticks < Interlocked.Read(ref _spillOldestTicks))
                {
                    Interlocked.Exchange(ref _spillOldestTicks, ticks);
                }
            }

            // Hand the bytes to the OS now: a process crash then loses nothing already spilled. Under
            // an fsync policy the disk too, before the journal segment holding these rows is deleted
            // (spilling happens only while PostgreSQL is behind, so this is not the hot path).
            _spillStream.Flush(flushToDisk: _options.JournalFsync != JournalFsyncPolicy.None);
            return written;
        }
        catch (IOException ex)
        {
            _owner.LogSpillFailed(Kind, ex);
            CloseSpillLocked(flushToDisk: false);
            return 0;
        }
    }

    private void CloseSpillLocked(bool flushToDisk)
    {
        if (_spillStream is null)
        {
            return;
        }

        try
        {
            _spillStream.Flush(flushToDisk);
        }
        finally
        {
            _spillStream.Dispose();
            _spillStream = null;
            _spillPath = null;
        }
    }

    private string[] ListSpillFiles()
    {
        if (!Directory.Exists(_options.SpillDirectory))
        {
            return [];
        }

        var files = Directory.GetFiles(_options.SpillDirectory, Kind + "-*.jsonl");
        Array.Sort(files, StringComparer.Ordinal);
        return files;
    }
}
