using GameBackend.Data.History;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.History;

/// <summary>
/// Where grains record what happened. Never waits on the database: the PostgreSQL implementation
/// hands rows to the bounded <see cref="HistoryWriter"/> buffer, whose journal makes each row
/// survive a crash of the process before it is acknowledged.
/// </summary>
public interface IGameHistory
{
    bool Enabled { get; }

    /// <summary>Shortest time between two stored positions of one connection (<c>History:PositionSampleInterval</c>), milliseconds.</summary>
    long PositionSampleIntervalMs { get; }

    /// <summary>
    /// Records an accepted fix. The returned task completes once the row would survive a crash of
    /// this process (it is in the journal); await it before acknowledging the fix. Concurrent fixes
    /// share one journal write, so the wait is a batch's, not a disk write per row.
    /// </summary>
    ValueTask PositionAsync(in PositionSample sample);

    // The other kinds return once their row is journaled, on the calling thread (rare rows; each
    // write still carries whatever other rows are pending).

    void Spawn(in SpawnRecord spawn);

    void Capture(in CaptureRecord capture);

    void Sighting(in CreatureSighting sighting);

    void ZoneVisit(in ZoneVisitEvent visit);
}

/// <summary>History rows built from what the game produces.</summary>
internal static class HistoryRows
{
    // Device clocks lie; the history column still needs a representable time.
    private const long MaxUnixMs = 253_402_300_799_999;

    public static PositionSample Position(string playerId, Domain.Movement.LocationFix fix, string cellId) => new(
        playerId, fix.Seq, DateTimeOffset.FromUnixTimeMilliseconds(fix.ServerTimeMs), DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(fix.DeviceTimeMs, 0, MaxUnixMs)),
        fix.Latitude, fix.Longitude, (float?)fix.Accuracy, (float?)fix.Heading, (float?)fix.Speed, (float?)fix.Course,
        (float?)fix.AccelX, (float?)fix.AccelY, (float?)fix.AccelZ, cellId);
}

internal sealed partial class PostgresGameHistory(HistoryWriter writer, IOptions<HistoryOptions> options, ILogger<PostgresGameHistory> logger) : IGameHistory
{
    public bool Enabled => true;

    public long PositionSampleIntervalMs { get; } = (long)options.Value.PositionSampleInterval.TotalMilliseconds;

    // TryAppend only fails when memory and spill are both full; the writer counts and logs that
    // (history.dropped metric), so here it is only surfaced at debug level to keep the hot path quiet.
    public ValueTask PositionAsync(in PositionSample sample)
    {
        if (!writer.TryAppend(sample, out var journaled))
        {
            LogDropped(logger, "position");
        }

        return journaled;
    }

    public void Spawn(in SpawnRecord spawn)
    {
        if (!writer.TryAppend(spawn))
        {
            LogDropped(logger, "spawn");
        }
    }

    public void Capture(in CaptureRecord capture)
    {
        if (!writer.TryAppend(capture))
        {
            LogDropped(logger, "capture");
        }
    }

    public void Sighting(in CreatureSighting sighting)
    {
        if (!writer.TryAppend(sighting))
        {
            LogDropped(logger, "sighting");
        }
    }

    public void ZoneVisit(in ZoneVisitEvent visit)
    {
        if (!writer.TryAppend(visit))
        {
            LogDropped(logger, "zone visit");
        }
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Debug, Message = "History buffer full: a {Kind} row was refused")]
    private static partial void LogDropped(ILogger logger, string kind);
}

/// <summary>Used when no PostgreSQL is configured; the start-up log says history is disabled.</summary>
internal sealed class DisabledGameHistory : IGameHistory
{
    public bool Enabled => false;

    public long PositionSampleIntervalMs => 0;

    public ValueTask PositionAsync(in PositionSample sample) => default;

    public void Spawn(in SpawnRecord spawn) { }

    public void Capture(in CaptureRecord capture) { }

    public void Sighting(in CreatureSighting sighting) { }

    public void ZoneVisit(in ZoneVisitEvent visit) { }
}
