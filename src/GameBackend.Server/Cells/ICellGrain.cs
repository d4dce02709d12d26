using System.Collections.Immutable;
using GameBackend.Server.Creatures;

namespace GameBackend.Server.Cells;

/// <summary>
/// One map cell, keyed by its <see cref="Domain.Cells.CellId"/> text. Knows which players stand in
/// it and which watch it (their view covers it), owns the creatures inside it, spawns while anyone
/// watches, and referees capture races: being single-threaded, it lets exactly one throw win.
/// Its events cost per node, not per watcher: one message to each node holding a watcher (which
/// keeps a replica of the cell's creatures, <see cref="CellReplicas"/>) and one SignalR group send
/// to the connections watching it (<see cref="ICellBroadcast"/>).
/// </summary>
[Alias("GameBackend.ICellGrain")]
public interface ICellGrain : IGrainWithStringKey
{
    /// <summary>
    /// Sets a player's interest in this cell. The player's node (<paramref name="node"/>) gets every
    /// later event of the cell while any of its players watch; unless the interest is None, returns
    /// every creature the cell holds (always the full list: a player grain that died with a node
    /// starts again from nothing).
    /// </summary>
    [Alias("Watch")]
    Task<ImmutableArray<Creature>> Watch(string playerId, CellInterest interest, CellNode? node);

    /// <summary>
    /// A node that received an event of this cell without holding its replica says so: every watcher
    /// registered through that node before the event is stale (its goodbye was lost when a node
    /// stopped) and is dropped.
    /// </summary>
    [Alias("ForgetNode")]
    Task ForgetNode(SiloAddress silo, long eventVersion);

    [Alias("GetSnapshot")]
    Task<CellSnapshot> GetSnapshot();

    /// <summary>Places a creature spawned elsewhere (a sponsor zone's draw) into this cell.</summary>
    /// <remarks>
    /// Interleaves: two neighbouring cells that tick at once may each hand the other a zone
    /// creature, and without interleaving each would wait on the other until the call timed out.
    /// The method never awaits, so it cannot observe or leave a half-done turn.
    /// </remarks>
    [Alias("AddCreature"), AlwaysInterleave]
    Task AddCreature(Creature creature);

    /// <summary>Despawns (reason <c>excluded</c>) every creature inside the area (WKB, lon/lat).</summary>
    [Alias("Exclude")]
    Task Exclude(byte[] areaWkb);

    /// <summary>
    /// One throw in a capture race, judged from the thrower's last accepted position. Interleaves:
    /// while the winner's row commits, the other throws at that creature wait for the commit, not for
    /// the cell's turn (the cell awaits nothing else on this path).
    /// </summary>
    [Alias("TryCapture"), AlwaysInterleave]
    Task<CaptureVerdict> TryCapture(CaptureAttempt attempt);
}

/// <summary>How a player relates to a cell.</summary>
[GenerateSerializer, Alias("GameBackend.CellInterest")]
public enum CellInterest
{
    /// <summary>Not watching.</summary>
    None = 0,

    /// <summary>The player's view covers the cell.</summary>
    Watching = 1,

    /// <summary>The player stands in the cell (and watches it).</summary>
    Present = 2,
}

/// <summary>A node that holds replicas of cells: its observer and its silo (to prune nodes that died).</summary>
[GenerateSerializer, Immutable, Alias("GameBackend.CellNode")]
public sealed record CellNode(
    [property: Id(0)] ICellObserver Observer,
    [property: Id(1)] SiloAddress Silo);

/// <summary>A node's receiver of cell events (one per silo, see <see cref="CellReplicas"/>).</summary>
[Alias("GameBackend.ICellObserver")]
public interface ICellObserver : IGrainObserver
{
    [Alias("OnCellEvent"), OneWay]
    Task OnCellEvent(string cellId, CellEvent cellEvent);
}

[GenerateSerializer, Immutable, Alias("GameBackend.CellSnapshot")]
public sealed record CellSnapshot(
    [property: Id(0)] string CellId,
    [property: Id(1)] ImmutableArray<string> PresentPlayers,
    [property: Id(2)] int Watchers,
    [property: Id(3)] ImmutableArray<Creature> Creatures);

[GenerateSerializer, Immutable, Alias("GameBackend.CaptureAttempt")]
public sealed record CaptureAttempt(
    [property: Id(0)] string CreatureId,
    [property: Id(1)] string AttemptId,
    [property: Id(2)] string PlayerId,
    [property: Id(3)] double Latitude,
    [property: Id(4)] double Longitude,
    [property: Id(5)] int Strikes);

[GenerateSerializer, Immutable, Alias("GameBackend.CaptureVerdict")]
public sealed record CaptureVerdict(
    [property: Id(0)] string Outcome,
    [property: Id(1)] double? DistanceMeters,
    [property: Id(2)] string? WinnerPlayerId,
    [property: Id(3)] long? CapturedAtMs);
