using GameBackend.Domain.Geo;

namespace GameBackend.Server.Creatures;

/// <summary>A spawned creature as cells and players hold it. Grain-contract type: never renumber ids.</summary>
[GenerateSerializer, Immutable, Alias("GameBackend.Creature")]
public sealed record Creature(
    [property: Id(0)] string Id,
    [property: Id(1)] string Species,
    [property: Id(2)] string Rarity,
    [property: Id(3)] double Latitude,
    [property: Id(4)] double Longitude,
    [property: Id(5)] long SpawnedAtMs,
    [property: Id(6)] long ExpiresAtMs,
    [property: Id(7)] string CellId,
    [property: Id(8)] string? SponsorZoneId)
{
    public GeoPoint Position => new(Latitude, Longitude);
}

/// <summary>What happened to a creature in a cell; fanned out by the cell to every node holding a watcher.</summary>
/// <param name="Version">The cell's event counter: increases with every event of one cell activation.</param>
[GenerateSerializer, Immutable, Alias("GameBackend.CellEvent")]
public sealed record CellEvent(
    [property: Id(0)] CellEventKind Kind,
    [property: Id(1)] Creature Creature,
    [property: Id(2)] string? Reason,
    [property: Id(3)] string? WinnerPlayerId,
    [property: Id(4)] long AtMs,
    [property: Id(5)] long Version = 0);

[GenerateSerializer, Alias("GameBackend.CellEventKind")]
public enum CellEventKind
{
    Spawned = 0,
    Despawned = 1,
}
