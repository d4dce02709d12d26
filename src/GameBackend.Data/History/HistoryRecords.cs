namespace GameBackend.Data.History;

/// <summary>
/// One accepted location fix. <see cref="ServerTime"/> is fixed by the server when it accepts
/// (<see cref="PlayerId"/>, <see cref="Seq"/>) and must be the same on every retry: together they
/// form the storage key that makes re-appending a sample harmless.
/// </summary>
public readonly record struct PositionSample(
    string PlayerId,
    long Seq,
    DateTimeOffset ServerTime,
    DateTimeOffset DeviceTime,
    double Latitude,
    double Longitude,
    float? Accuracy,
    float? Heading,
    float? Speed,
    float? Course,
    float? AccelX,
    float? AccelY,
    float? AccelZ,
    string CellId);

/// <summary>A creature placed on the map. Keyed by <see cref="CreatureId"/>.</summary>
public readonly record struct SpawnRecord(
    string CreatureId,
    string Species,
    string Rarity,
    double Latitude,
    double Longitude,
    DateTimeOffset SpawnedAt,
    DateTimeOffset ExpiresAt,
    string CellId,
    Guid? SponsorZoneId);

/// <summary>
/// Summary of a decided capture race: the winner plus how many attempts and losing players there
/// were. Keyed by <see cref="CreatureId"/>; when the winner was already committed through
/// <c>CaptureLedger</c> this append changes nothing.
/// </summary>
public readonly record struct CaptureRecord(
    string CreatureId,
    string PlayerId,
    string Species,
    string Rarity,
    double Latitude,
    double Longitude,
    DateTimeOffset CapturedAt,
    int Attempts,
    int Losers);

/// <summary>
/// A zone visit as known at <see cref="LastSeenAt"/>: <see cref="ExitedAt"/> is null on enter and set
/// on exit. Keyed by (<see cref="ZoneId"/>, <see cref="PlayerId"/>, <see cref="EnteredAt"/>), so
/// enter and exit events for one visit merge into one row.
/// </summary>
public readonly record struct ZoneVisitEvent(
    Guid ZoneId,
    string PlayerId,
    DateTimeOffset EnteredAt,
    DateTimeOffset LastSeenAt,
    DateTimeOffset? ExitedAt);

/// <summary>The player was shown one of the zone's creatures at <see cref="SeenAt"/>.</summary>
public readonly record struct CreatureSighting(Guid ZoneId, string PlayerId, DateTimeOffset SeenAt);
