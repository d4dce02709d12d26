using System.Collections.Immutable;
using GameBackend.Contracts;
using GameBackend.Domain.Movement;
using GameBackend.Server.Creatures;
using GameBackend.Server.Players;

namespace GameBackend.Server.Realtime;

/// <summary>Maps between wire contracts and grain/domain types. The only place that knows both.</summary>
internal static class WireMapper
{
    public static LocationFix ToFix(LocationUpdate update, long serverTimeMs) => new(
        update.Seq,
        update.Timestamp,
        serverTimeMs,
        update.Latitude,
        update.Longitude,
        update.Accuracy,
        update.Heading,
        update.Speed,
        update.Course,
        update.Acceleration?.X,
        update.Acceleration?.Y,
        update.Acceleration?.Z);

    public static LocationAck ToAck(long seq, LocationResult result, NearbyCreature[]? nearby) => new()
    {
        Seq = seq,
        Accepted = result.Accepted,
        Reason = result.Reason,
        CellId = result.CellId,
        Nearby = nearby,
        NearbyVersion = result.NearbyVersion,
    };

    public static NearbyCreature[] ToNearby(ImmutableArray<NearbyView> views)
    {
        if (views.IsDefaultOrEmpty)
        {
            return [];
        }

        var result = new NearbyCreature[views.Length];
        for (var i = 0; i < views.Length; i++)
        {
            var (c, distance, bearing) = views[i];
            result[i] = new NearbyCreature
            {
                CreatureId = c.Id,
                Species = c.Species,
                Rarity = c.Rarity,
                Latitude = c.Latitude,
                Longitude = c.Longitude,
                DistanceMeters = Math.Round(distance, 1),
                BearingDegrees = Math.Round(bearing, 1),
                ExpiresAt = c.ExpiresAtMs,
                SponsorZoneId = c.SponsorZoneId,
            };
        }

        return result;
    }

    public static CreatureSpawned ToSpawned(Creature c) => new()
    {
        CreatureId = c.Id,
        Species = c.Species,
        Rarity = c.Rarity,
        Latitude = c.Latitude,
        Longitude = c.Longitude,
        SpawnedAt = c.SpawnedAtMs,
        ExpiresAt = c.ExpiresAtMs,
        CellId = c.CellId,
        SponsorZoneId = c.SponsorZoneId,
    };

    public static PlayerState ToState(PlayerSnapshot s) => new()
    {
        PlayerId = s.PlayerId,
        Latitude = s.Last?.Latitude,
        Longitude = s.Last?.Longitude,
        Heading = s.Last?.Heading,
        Speed = s.Last?.Speed,
        Course = s.Last?.Course,
        Acceleration = s.Last is { HasAcceleration: true } f
            ? new Acceleration { X = f.AccelX!.Value, Y = f.AccelY!.Value, Z = f.AccelZ!.Value }
            : null,
        CellId = s.CellId,
        UpdatedAt = s.Last?.ServerTimeMs,
        Seq = s.Last?.Seq,
        Strikes = s.Strikes,
    };
}
