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
    /// <summary>
    /// The hot path: validate, move, answer with what is near. Costs one grain call unless the fix
    /// crosses a cell boundary. The caller says which nearby set and which view it already has
    /// (their versions); the result carries the nearby list and the view only when they differ.
    /// </summary>
    [Alias("UpdateLocation")]
    ValueTask<LocationResult> UpdateLocation(LocationFix fix, long knownNearbyVersion, long knownViewVersion);

    [Alias("GetState")]
    ValueTask<PlayerSnapshot> GetState();

    [Alias("GetNearby")]
    ValueTask<ImmutableArray<NearbyView>> GetNearby();

    /// <summary>Throws at a creature from the server's last accepted position; retries of an attempt id get the same answer.</summary>
    [Alias("TryCapture")]
    Task<CaptureVerdict> TryCapture(string creatureId, string attemptId);
}

/// <summary>The answer to one fix.</summary>
/// <param name="NearbyVersion">Changes exactly when the set of creatures within the visibility radius changes.</param>
/// <param name="Nearby">The nearby list (nearest first), only when the caller's version differs; otherwise null.</param>
/// <param name="ViewVersion">Changes exactly when the set of watched cells changes.</param>
/// <param name="View">The watched cells, only when the caller's version differs; otherwise null.</param>
[GenerateSerializer, Immutable, Alias("GameBackend.LocationResult")]
public sealed record LocationResult(
    [property: Id(0)] bool Accepted,
    [property: Id(1)] string? Reason,
    [property: Id(2)] string? CellId,
    [property: Id(3)] long NearbyVersion,
    [property: Id(4)] ImmutableArray<NearbyView>? Nearby,
    [property: Id(5)] long ViewVersion,
    [property: Id(6)] ImmutableArray<string>? View);

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
