using Microsoft.Extensions.Options;

namespace GameBackend.Data.History;

/// <summary>What <see cref="HistoryWriter"/> does when its in-memory buffer is full.</summary>
public enum HistoryFullPolicy
{
    /// <summary>Append the row to the spill file on the calling thread (local disk I/O, never the
    /// database). The row is rejected only when the spill budget is used up too.</summary>
    SpillOnCaller,

    /// <summary>Reject the row at once; it is counted and logged as dropped.</summary>
    Reject,
}

/// <summary>
/// When the journal (and the spill) asks the disk, not only the operating system, to keep what was
/// written (fsync). What each choice loses: docs/history.md, "Journal fsync policy".
/// </summary>
public enum JournalFsyncPolicy
{
    /// <summary>Never: a killed process loses nothing acknowledged; a power failure or kernel crash
    /// loses what the page cache had not written back yet (Linux: up to ~30 s).</summary>
    None,

    /// <summary>At most <see cref="HistoryOptions.JournalFsyncInterval"/> apart, off the
    /// acknowledgement path: a power failure loses at most about that much acknowledged history.</summary>
    Interval,

    /// <summary>Every group-committed batch before its rows are acknowledged: a power failure loses
    /// nothing acknowledged; each batch pays one fsync (milliseconds on most disks).</summary>
    Always,
}

/// <summary>Settings for the history ingestion pipeline (<see cref="HistoryWriter"/>).</summary>
public sealed class HistoryOptions
{
    /// <summary>PostgreSQL connection string. Required.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Rows held in memory per record kind (positions, spawns, captures, visits, sightings)
    /// while waiting for the database. Default 100,000.</summary>
    public int BufferCapacity { get; set; } = 100_000;

    /// <summary>Rows per database round trip. Default 5,000.</summary>
    public int BatchSize { get; set; } = 5_000;

    /// <summary>How long rows may wait to be batched when the load is light. Default 200 ms.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Where rows go when memory is full or the process stops while PostgreSQL is down, and
    /// where the journal lives. Keep it on a volume that outlives the process and the machine's
    /// reboot (the server's default is a per-database folder under <c>~/.local/share/gamebackend</c>;
    /// containers mount a volume). Default here, for library use: <c>gamebackend-history-spill</c>
    /// under the temp folder.</summary>
    public string SpillDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "gamebackend-history-spill");

    /// <summary>
    /// Journal every accepted row to a local file (in <see cref="SpillDirectory"/>) before it is
    /// acknowledged, so a process killed hard loses nothing it acknowledged: the next start with the
    /// same folder replays it. Rows are group-committed: one write system call per batch of rows
    /// (see <see cref="JournalCommitWindow"/>). Default true.
    /// </summary>
    public bool Journal { get; set; } = true;

    /// <summary>
    /// How long the journal's writer lets rows gather after the first awaiting row of a batch
    /// arrives, before writing them all with one system call. Adds at most this much to the
    /// acknowledgement of a position fix; zero writes as soon as the writer thread wakes (batches
    /// then group only what arrives during a write). Default 1 ms.
    /// </summary>
    public TimeSpan JournalCommitWindow { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// When journal and spill writes are forced to the disk (fsync), so that they survive a power
    /// failure and not only a killed process. Default <see cref="JournalFsyncPolicy.Interval"/>.
    /// </summary>
    public JournalFsyncPolicy JournalFsync { get; set; } = JournalFsyncPolicy.Interval;

    /// <summary>With <see cref="JournalFsyncPolicy.Interval"/>: longest time a journaled row may
    /// stay only in the page cache (plus up to one <see cref="FlushInterval"/>). Default 1 s.</summary>
    public TimeSpan JournalFsyncInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Shortest time between two stored positions of one connection: a phone may send up to ten fixes
    /// a second and the game applies every one, but history keeps at most one per interval (the
    /// first fix after it has passed). A heatmap built from time-spaced samples weighs places by
    /// time spent, not by how often a phone reports, and the ingest costs the same per player
    /// whatever the phone's rate. Zero stores every accepted fix. Default 1 s.
    /// </summary>
    public TimeSpan PositionSampleInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Upper bound on the spill folder's size. Default 1 GiB.</summary>
    public long SpillMaxBytes { get; set; } = 1L << 30;

    /// <summary>What to do when the buffer is full. Default <see cref="HistoryFullPolicy.SpillOnCaller"/>.</summary>
    public HistoryFullPolicy FullPolicy { get; set; } = HistoryFullPolicy.SpillOnCaller;

    /// <summary>First retry delay after a failed write; doubles up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest delay between retries while PostgreSQL is unreachable. Default 2 s.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>Rejects settings that would make the pipeline unbounded or spin.</summary>
public sealed class HistoryOptionsValidator : IValidateOptions<HistoryOptions>
{
    public ValidateOptionsResult Validate(string? name, HistoryOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            errors.Add("History:ConnectionString is required.");
        }

        if (options.BufferCapacity < 1)
        {
            errors.Add("History:BufferCapacity must be at least 1.");
        }

        if (options.BatchSize < 1)
        {
            errors.Add("History:BatchSize must be at least 1.");
        }

        if (options.FlushInterval <= TimeSpan.Zero)
        {
            errors.Add("History:FlushInterval must be positive.");
        }

        if (options.JournalCommitWindow < TimeSpan.Zero || options.JournalCommitWindow > TimeSpan.FromSeconds(1))
        {
            errors.Add("History:JournalCommitWindow must be between 0 and 1 s (it delays every acknowledged fix).");
        }

        if (!Enum.IsDefined(options.JournalFsync))
        {
            errors.Add("History:JournalFsync must be None, Interval or Always.");
        }

        if (options.JournalFsync == JournalFsyncPolicy.Interval
            && (options.JournalFsyncInterval <= TimeSpan.Zero || options.JournalFsyncInterval > TimeSpan.FromMinutes(1)))
        {
            errors.Add("History:JournalFsyncInterval must be between 0 and 1 minute (exclusive of 0) with JournalFsync = Interval.");
        }

        if (string.IsNullOrWhiteSpace(options.SpillDirectory))
        {
            errors.Add("History:SpillDirectory is required.");
        }

        if (options.SpillMaxBytes < 0)
        {
            errors.Add("History:SpillMaxBytes must not be negative.");
        }

        if (options.PositionSampleInterval < TimeSpan.Zero || options.PositionSampleInterval > TimeSpan.FromMinutes(1))
        {
            errors.Add("History:PositionSampleInterval must be between 0 and 1 minute.");
        }

        if (options.RetryBaseDelay <= TimeSpan.Zero || options.RetryMaxDelay < options.RetryBaseDelay)
        {
            errors.Add("History:RetryBaseDelay must be positive and not above RetryMaxDelay.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
