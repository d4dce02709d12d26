using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;

// Tests hold a commit mid-write (HistoryJournal.BeforeWrite) to count grouping without timing.
[assembly: InternalsVisibleTo("GameBackend.Data.Tests")]

namespace GameBackend.Data.History;

/// <summary>
/// Write-ahead journal of one lane, with group commit. Every row accepted into memory is appended
/// here, and handed to the operating system before the row is acknowledged: a process that dies
/// hard (SIGKILL, the OOM killer) loses no row it acknowledged, because the next start replays
/// leftover segments like spill files. Segments are deleted once every row in them is stored or
/// spilled. Whether it also survives the machine (a power failure) is the fsync policy's choice
/// (<see cref="JournalFsyncPolicy"/>): never, every interval, or every batch before its acknowledgement.
/// <para>
/// Producers only copy their serialised row into the batch being filled (<see cref="AppendLocked"/>,
/// under <see cref="AppendLock"/>, which the lane also holds for its channel write so that channel
/// order is journal order). A commit swaps that batch for an empty one and writes it with one
/// <c>write</c> system call (the segment is unbuffered), then completes the batch's waiters. Two
/// kinds of waiter: an awaiting producer (<see cref="JournalTicket.Written"/>) is served by the
/// journal's own writer thread, which wakes once per batch and lets <see cref="HistoryOptions.JournalCommitWindow"/>
/// gather rows first; a producer that must return synchronously (<see cref="Commit"/>) writes the
/// batch itself unless a commit already covered it. Both commit under <c>_writeLock</c>, one batch
/// at a time and in order, so the file holds batches in the order their rows entered the channel.
/// </para>
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "Closed by Close() from the writer's stop, after the last row is flushed; a Dispose would invite closing it out of order.")]
internal sealed class HistoryJournal(
    string directory, string kind, IHistoryJournalEvents events, TimeSpan commitWindow,
    JournalFsyncPolicy fsync = JournalFsyncPolicy.None, TimeSpan fsyncInterval = default, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    // The first interval fsync is due one interval after start, like every later one.
    private long _lastSync = (time ?? TimeProvider.System).GetTimestamp();

    /// <summary>File-name prefix of journal segments (spill files start with the kind instead).</summary>
    public const string Prefix = "journal-";

    // Small, short-lived segments: a finished one is deleted within a few seconds, so the journal
    // stays about as large as what is in memory.
    private const long SegmentBytes = 4 << 20;
    private static readonly TimeSpan SegmentAge = TimeSpan.FromSeconds(5);

    // A batch buffer that grew past this (a stalled disk) is not kept for reuse.
    private const int RetainedBatchBytes = 1 << 20;

    // Producers' side: the batch being filled. Held for a memcpy of one row.
    private Batch _filling = new() { Id = 1 };

    // Writer's side, guarded by _writeLock: the file, the batch being written, the row indices.
    private readonly Lock _writeLock = new();
    private readonly Queue<(string Path, long EndIndex)> _closed = new();
    private Batch _spare = new();
    private FileStream? _current;
    private string? _currentPath;
    private long _currentBytes;
    private long _currentOpened;
    private long _appended;
    private long _done;
    private volatile bool _broken;

    // Highest batch id whose rows are with the OS (or given up on because the disk failed).
    private long _durable;
    private long _writes;
    private long _rowsWritten;

    // fsync state, guarded by _writeLock (the flag is also read without it, as a hint).
    private volatile bool _unsynced;
    private long _syncs;

    // The writer thread (started by the first awaiting producer) and its wake-up.
    private readonly ManualResetEventSlim _wake = new(false, spinCount: 1);
    private int _writerStarted;
    private volatile bool _closing;

    /// <summary>Held by the lane around its channel write and <see cref="AppendLocked"/>.</summary>
    public Lock AppendLock { get; } = new();

    /// <summary><c>write</c> system calls made to journal segments (one per committed batch).</summary>
    public long Writes => Interlocked.Read(ref _writes);

    /// <summary>Rows those writes carried.</summary>
    public long RowsWritten => Interlocked.Read(ref _rowsWritten);

    /// <summary>fsync calls made on journal segments (the fsync policy at work).</summary>
    public long Syncs => Interlocked.Read(ref _syncs);

    /// <summary>
    /// <see cref="JournalFsyncPolicy.Interval"/>: fsyncs the current segment when it holds rows not
    /// yet synced and the interval since the last fsync has passed. Called by the history writer's
    /// loop every tick, so no row stays unsynced much longer than the interval, and never on the
    /// acknowledgement path.
    /// </summary>
    public void SyncIfDue()
    {
        if (fsync != JournalFsyncPolicy.Interval || !_unsynced || _time.GetElapsedTime(Volatile.Read(ref _lastSync)) < fsyncInterval)
        {
            return;
        }

        lock (_writeLock)
        {
            if (_broken)
            {
                return;
            }

            try
            {
                SyncLocked();
            }
            catch (IOException ex)
            {
                // As for a failed write: rows stay in memory (and spill), said once.
                _broken = true;
                events.JournalFailed(kind, ex);
            }
        }
    }

    /// <summary>Test seam: runs inside a commit, after the batch was taken and before it is written.</summary>
    internal Action? BeforeWrite { get; set; }

    /// <summary>
    /// Adds one serialised row (a JSON line) to the batch being filled. Caller holds
    /// <see cref="AppendLock"/>. With <paramref name="awaitable"/>, the ticket carries a task that
    /// completes once the batch is written; call <see cref="Wake"/> after releasing the lock when
    /// the ticket says so. Otherwise pass the ticket to <see cref="Commit"/>.
    /// </summary>
    public JournalTicket AppendLocked(ReadOnlySpan<byte> line, bool awaitable)
    {
        if (_broken)
        {
            // The disk refused earlier: the row stays only in memory (logged once), as without a journal.
            return default;
        }

        var batch = _filling;
        batch.Bytes.Write(line);
        batch.Rows++;
        if (!awaitable)
        {
            return new JournalTicket(batch.Id, null, false);
        }

        // One task per batch, shared by all its awaiting rows; the first one wakes the writer.
        var wake = batch.Written is null;
        batch.Written ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return new JournalTicket(batch.Id, batch.Written.Task, wake);
    }

    /// <summary>Wakes the writer thread for a batch that has an awaiting row (once per batch).</summary>
    public void Wake()
    {
        if (Volatile.Read(ref _writerStarted) == 0 && Interlocked.CompareExchange(ref _writerStarted, 1, 0) == 0)
        {
            new Thread(WriterLoop) { IsBackground = true, Name = "history-journal-" + kind }.Start();
        }

        _wake.Set();
    }

    /// <summary>Returns once the ticket's row is with the OS: writes the batch on this thread unless a commit already did.</summary>
    public void Commit(in JournalTicket ticket)
    {
        if (ticket.Batch == 0 || Volatile.Read(ref _durable) >= ticket.Batch)
        {
            return;
        }

        lock (_writeLock)
        {
            // Batches are taken only under _writeLock and written before it is released, so a batch
            // not yet durable here is still the one being filled.
            if (_durable < ticket.Batch)
            {
                CommitLocked();
            }
        }
    }

    /// <summary>The oldest <paramref name="rows"/> not yet done are now stored or spilled (rows leave the lane in journal order).</summary>
    public void MarkDone(long rows)
    {
        if (rows <= 0)
        {
            return;
        }

        lock (_writeLock)
        {
            // May run ahead of _appended (a row can be stored before its batch is written); the
            // indices still count the same rows in the same order, so a segment whose end is done
            // holds only done rows.
            _done += rows;
            DeleteFinishedLocked();
        }
    }

    /// <summary>
    /// At shutdown, after the lane stored or spilled what it could: the last batch is written,
    /// finished segments go, and any row still not done (the spill budget ran out) stays on disk for
    /// the next start.
    /// </summary>
    public void Close()
    {
        _closing = true;
        _wake.Set();
        lock (_writeLock)
        {
            CommitLocked();
            CloseCurrentLocked(); // fsyncs first under a policy
            DeleteFinishedLocked();
            _broken = true;
        }
    }

    /// <summary>
    /// Turns segments left by a process that died into spill files, which the writer replays. A
    /// segment still held by a live writer (an exclusive open fails) is left alone.
    /// </summary>
    public static int AdoptLeftovers(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return 0;
        }

        var adopted = 0;
        foreach (var path in Directory.GetFiles(directory, Prefix + "*.jsonl"))
        {
            try
            {
                using var probe = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
                // "journal-positions-<ticks>-..." becomes "positions-<ticks>-...": a spill file, replayed in time order.
                File.Move(path, Path.Combine(directory, Path.GetFileName(path)[Prefix.Length..]));
                adopted++;
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return adopted;
    }

    private void WriterLoop()
    {
        while (!_closing)
        {
            _wake.Wait();
            // Reset before taking the batch: a wake for a batch created after this point stays set
            // for the next round; one created before is covered by the commit below.
            _wake.Reset();
            if (commitWindow > TimeSpan.Zero && !_closing)
            {
                // Let the rows of the next few milliseconds join this write instead of each paying one.
                Thread.Sleep(commitWindow);
            }

            lock (_writeLock)
            {
                CommitLocked();
            }
        }
    }

    private void CommitLocked()
    {
        Batch batch;
        lock (AppendLock)
        {
            batch = _filling;
            if (batch.Rows == 0)
            {
                return;
            }

            _spare.Id = batch.Id + 1;
            _filling = _spare;
        }

        BeforeWrite?.Invoke();
        if (!_broken)
        {
            try
            {
                if (_current is null || _currentBytes > SegmentBytes || Environment.TickCount64 - _currentOpened > SegmentAge.TotalMilliseconds)
                {
                    Rotate();
                }

                // Unbuffered stream: one write system call; from its return a crash of this process no longer loses the rows.
                _current!.Write(batch.Bytes.WrittenSpan);
                _currentBytes += batch.Bytes.WrittenCount;
                _appended += batch.Rows;
                Interlocked.Increment(ref _writes);
                Interlocked.Add(ref _rowsWritten, batch.Rows);
                _unsynced = fsync != JournalFsyncPolicy.None;
                if (fsync == JournalFsyncPolicy.Always)
                {
                    // Before the waiters are completed: an acknowledged row is on the disk.
                    SyncLocked();
                }
            }
            catch (IOException ex)
            {
                // Keep serving: rows stay in memory (and spill) as without a journal; say so once.
                _broken = true;
                events.JournalFailed(kind, ex);
            }
        }

        Volatile.Write(ref _durable, batch.Id);
        batch.Written?.TrySetResult();
        batch.Reset();
        _spare = batch;
    }

    private void SyncLocked()
    {
        if (!_unsynced || _current is null)
        {
            return;
        }

        // FileStream.Flush(true) is fsync(2) on the segment (the stream itself buffers nothing).
        _current.Flush(flushToDisk: true);
        _unsynced = false;
        Volatile.Write(ref _lastSync, _time.GetTimestamp());
        Interlocked.Increment(ref _syncs);
    }

    private void DeleteFinishedLocked()
    {
        while (_closed.TryPeek(out var segment) && segment.EndIndex <= _done)
        {
            _closed.Dequeue();
            TryDelete(segment.Path);
        }
    }

    private void Rotate()
    {
        CloseCurrentLocked();
        Directory.CreateDirectory(directory);
        // Same naming as spill files (ticks first: name order is time order) behind the prefix.
        _currentPath = Path.Combine(directory, string.Create(CultureInfo.InvariantCulture,
            $"{Prefix}{kind}-{DateTime.UtcNow.Ticks:D19}-{Environment.ProcessId}-{Guid.NewGuid():N}.jsonl"));
        // Readers welcome (backup tools, tests); another writer or an adopting process is not.
        // bufferSize 0: every Write is one system call, so nothing acknowledged waits in a user-space buffer.
        _current = new FileStream(_currentPath, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 0);
        _currentBytes = 0;
        _currentOpened = Environment.TickCount64;
    }

    private void CloseCurrentLocked()
    {
        if (_current is null)
        {
            return;
        }

        try
        {
            // A segment is never left behind with rows the policy promised to sync.
            SyncLocked();
        }
        catch (IOException)
        {
            // The rows are with the OS (and replayed from this segment after a crash); only the
            // power-failure promise is lost for them, as with a failed write.
        }

        try
        {
            _current.Dispose();
        }
        catch (IOException)
        {
        }

        if (_appended <= _done)
        {
            TryDelete(_currentPath!);
        }
        else
        {
            _closed.Enqueue((_currentPath!, _appended));
        }

        _current = null;
        _currentPath = null;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private sealed class Batch
    {
        public ArrayBufferWriter<byte> Bytes { get; private set; } = new(16 * 1024);

        public long Id { get; set; }

        public int Rows { get; set; }

        public TaskCompletionSource? Written { get; set; }

        public void Reset()
        {
            Rows = 0;
            Written = null;
            if (Bytes.Capacity > RetainedBatchBytes)
            {
                Bytes = new ArrayBufferWriter<byte>(16 * 1024);
            }
            else
            {
                Bytes.ResetWrittenCount();
            }
        }
    }
}

/// <summary>
/// Where a row went in the journal: its batch (0: not journaled, nothing to wait for), and for an
/// awaiting producer the batch's completion and whether this row must wake the writer.
/// </summary>
internal readonly record struct JournalTicket(long Batch, Task? Written, bool WakeWriter);

/// <summary>What a journal reports to its writer.</summary>
internal interface IHistoryJournalEvents
{
    void JournalFailed(string kind, Exception exception);
}
