using System.Collections.Immutable;
using GameBackend.Server.Creatures;

namespace GameBackend.Server.Cells;

/// <summary>
/// One map cell, keyed by its <see cref="Domain.Cells.CellId"/> text. Knows which players stand in
/// it (for activity-driven spawning) and which players watch it (their view covers it, for pushes),
/// and owns the creatures inside it.
/// </summary>
[Alias("GameBackend.ICellGrain")]
public interface ICellGrain : IGrainWithStringKey
{
    /// <summary>Sets a player's interest in this cell and returns the creatures it holds when the player starts watching.</summary>
    [Alias("SetInterest")]
    Task<ImmutableArray<Creature>> SetInterest(string playerId, CellInterest interest);

    [Alias("GetSnapshot")]
    Task<CellSnapshot> GetSnapshot();
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

[GenerateSerializer, Immutable, Alias("GameBackend.CellSnapshot")]
public sealed record CellSnapshot(
    [property: Id(0)] string CellId,
    [property: Id(1)] ImmutableArray<string> PresentPlayers,
    [property: Id(2)] int Watchers,
    [property: Id(3)] ImmutableArray<Creature> Creatures);
