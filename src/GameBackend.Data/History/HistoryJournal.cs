using System.Globalization;

namespace GameBackend.Data.History;

/// <summary>
/// Write-ahead journal of one lane. Every row accepted into memory is appended here, and handed to
/// the operating system, before <c>TryAppend</c> returns: a process that dies hard (SIGKILL, the
/// OOM killer) loses no row it acknowledged, because the next start replays leftover segments like
/// spill files. Segments are deleted once every row in them is stored or spilled. There is no
/// fsync: the journal survives the process, not the machine (the page cache is the kernel's).
/// Callers serialise <see cref="Append"/>; <see cref="MarkDone"/> comes from the writer's loop.
/// </summary>
internal sealed class HistoryJournal(string directory, string kind, IHistoryJournalEvents events)
{
    /// <summary>File-name prefix of journal segments (spill files start with the kind instead).</summary>
    public const string Prefix = "journal-";

    // Small, short-lived segments: a finished one is deleted within a few seconds, so the journal
    // stays about as large as what is in memory.
    private const long SegmentBytes = 4 << 20;
    private static readonly TimeSpan SegmentAge = TimeSpan.FromSeconds(5);

    private readonly Lock _lock = new();
    private readonly Queue<(string Path, long EndIndex)> _closed = new();
    private FileStream? _current;
    private string? _currentPath;
    private long _currentBytes;
    private long _currentOpened;
    private long _appended;
    private long _done;
    private bool _broken;

    /// <summary>Appends one serialised row (a JSON line). If the disk refuses, the row stays only in memory (logged once).</summary>
    public void Append(ReadOnlySpan<byte> line)
    {
        lock (_lock)
        {
            if (_broken)
            {
                return;
            }

            try
            {
                if (_current is null || _currentBytes > SegmentBytes || Environment.TickCount64 - _currentOpened > SegmentAge.TotalMilliseconds)
                {
                    Rotate();
                }

                _current!.Write(line);
                // To the OS now: from here a crash of this process no longer loses the row.
                _current.Flush();
                _currentBytes += line.Length;
                _appended++;
            }
            catch (IOException ex)
            {
                // Keep serving: rows stay in memory (and spill) as without a journal; say so once.
                _broken = true;
                events.JournalFailed(kind, ex);
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

        lock (_lock)
        {
            _done += rows;
            while (_closed.TryPeek(out var segment) && segment.EndIndex <= _done)
            {
                _closed.Dequeue();
                TryDelete(segment.Path);
            }
        }
    }

    /// <summary>
    /// At shutdown, after the lane stored or spilled what it could: finished segments go; any row
    /// still not done (the spill budget ran out) stays on disk for the next start.
    /// </summary>
    public void Close()
    {
        lock (_lock)
        {
            CloseCurrent();
            while (_closed.TryPeek(out var segment) && segment.EndIndex <= _done)
            {
                _closed.Dequeue();
                TryDelete(segment.Path);
            }

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

    private void Rotate()
    {
        if (_current is not null)
        {
            CloseCurrent();
        }

        Directory.CreateDirectory(directory);
        // Same naming as spill files (ticks first: name order is time order) behind the prefix.
        _currentPath = Path.Combine(directory, string.Create(CultureInfo.InvariantCulture,
            $"{Prefix}{kind}-{DateTime.UtcNow.Ticks:D19}-{Environment.ProcessId}-{Guid.NewGuid():N}.jsonl"));
        // Readers welcome (backup tools, tests); another writer or an adopting process is not.
        _current = new FileStream(_currentPath, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 16 * 1024);
        _currentBytes = 0;
        _currentOpened = Environment.TickCount64;
    }

    private void CloseCurrent()
    {
        if (_current is null)
        {
            return;
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
}

/// <summary>What a journal reports to its writer.</summary>
internal interface IHistoryJournalEvents
{
    void JournalFailed(string kind, Exception exception);
}
