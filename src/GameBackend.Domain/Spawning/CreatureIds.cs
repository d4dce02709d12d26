namespace GameBackend.Domain.Spawning;

/// <summary>
/// Creature ids. A UUIDv7 — 48 bits of Unix milliseconds and 74 random bits — in 32 hex digits:
/// unique across cells, zones, nodes and restarts without any coordination (ids built from a
/// truncated zone id or a cell's row and column plus a per-activation counter collided), and
/// time-ordered, which keeps the history tables' btree appends local.
/// </summary>
public static class CreatureIds
{
    public static string New(long unixMs) =>
        Guid.CreateVersion7(DateTimeOffset.FromUnixTimeMilliseconds(Math.Max(0, unixMs))).ToString("N");
}
