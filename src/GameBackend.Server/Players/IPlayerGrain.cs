using System.Collections.Immutable;
using GameBackend.Domain.Movement;
using GameBackend.Server.Cells;
using GameBackend.Server.Creatures;

namespace GameBackend.Server.Players;

/// <summary>
/// One player: last accepted position, orientation, velocity and acceleration, anti-spoofing state,
/// and the creatures its view covers. Keyed by the player id from the token.
/// </summary>
[Alias("GameBackend.IPlayerGrain")]
public interface IPlayerGrain : IGrainWithStringKey
{
    /// <summary>The hot path: validate, move, answer with what is near. Costs one grain call unless the fix crosses a cell boundary.</summary>
    [Alias("UpdateLocation")]
    ValueTask<LocationResult> UpdateLocation(LocationFix fix);

    [Alias("GetState")]
    ValueTask<PlayerSnapshot> GetState();

    [Alias("GetNearby")]
    ValueTask<ImmutableArray<NearbyView>> GetNearby();

    /// <summary>Throws at a creature from the server's last accepted position; retries of an attempt id get the same answer.</summary>
    [Alias("TryCapture")]
    Task<CaptureVerdict> TryCapture(string creatureId, string attemptId);

    /// <summary>A watched cell reports a creature change; the player updates its view and pushes it to its clients.</summary>
    [Alias("OnCellEvent"), OneWay]
    Task OnCellEvent(string cellId, CellEvent cellEvent);
}

[GenerateSerializer, Immutable, Alias("GameBackend.LocationResult")]
public sealed record LocationResult(
    [property: Id(0)] bool Accepted,
    [property: Id(1)] string? Reason,
    [property: Id(2)] string? CellId,
    [property: Id(3)] ImmutableArray<NearbyView> Nearby);

/// <summary>A creature as seen from the player: distance and bearing included.</summary>
[GenerateSerializer, Immutable, Alias("GameBackend.NearbyView")]
public sealed record NearbyView(
    [property: Id(0)] Creature Creature,
    [property: Id(1)] double DistanceMeters,
    [property: Id(2)] double BearingDegrees);

[GenerateSerializer, Immutable, Alias("GameBackend.PlayerSnapshot")]
public sealed record PlayerSnapshot(
    [property: Id(0)] string PlayerId,
    [property: Id(1)] LocationFix? Last,
    [property: Id(2)] string? CellId,
    [property: Id(3)] int Strikes);
