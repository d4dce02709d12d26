using MessagePack;

namespace GameBackend.Contracts;

/// <summary>A creature within the player's visibility radius.</summary>
[MessagePackObject]
public sealed record NearbyCreature
{
    /// <summary>The creature's id.</summary>
    [Key("creatureId")] public string CreatureId { get; init; } = "";

    /// <summary>Species id from the catalog (<c>GET /api/species</c>).</summary>
    [Key("species")] public string Species { get; init; } = "";

    /// <summary>Rarity tier: common, uncommon, rare, epic or legendary.</summary>
    [Key("rarity")] public string Rarity { get; init; } = "";

    /// <summary>Latitude in degrees.</summary>
    [Key("latitude")] public double Latitude { get; init; }

    /// <summary>Longitude in degrees.</summary>
    [Key("longitude")] public double Longitude { get; init; }

    /// <summary>Great-circle distance from the player, metres.</summary>
    [Key("distanceMeters")] public double DistanceMeters { get; init; }

    /// <summary>Initial bearing from the player, degrees clockwise from north.</summary>
    [Key("bearingDegrees")] public double BearingDegrees { get; init; }

    /// <summary>When the creature despawns, Unix milliseconds.</summary>
    [Key("expiresAt")] public long ExpiresAt { get; init; }

    /// <summary>The sponsor zone it spawned from, if any.</summary>
    [Key("sponsorZoneId")] public string? SponsorZoneId { get; init; }
}

/// <summary>Pushed as <c>creatureSpawned</c> to players whose view covers the creature's cell.</summary>
[MessagePackObject]
public sealed record CreatureSpawned
{
    /// <summary>The creature's id.</summary>
    [Key("creatureId")] public string CreatureId { get; init; } = "";
    /// <summary>Species id.</summary>
    [Key("species")] public string Species { get; init; } = "";
    /// <summary>Rarity tier.</summary>
    [Key("rarity")] public string Rarity { get; init; } = "";
    /// <summary>Latitude in degrees.</summary>
    [Key("latitude")] public double Latitude { get; init; }
    /// <summary>Longitude in degrees.</summary>
    [Key("longitude")] public double Longitude { get; init; }
    /// <summary>Spawn time, Unix milliseconds.</summary>
    [Key("spawnedAt")] public long SpawnedAt { get; init; }
    /// <summary>Despawn time, Unix milliseconds.</summary>
    [Key("expiresAt")] public long ExpiresAt { get; init; }
    /// <summary>The cell holding the creature.</summary>
    [Key("cellId")] public string CellId { get; init; } = "";
    /// <summary>The sponsor zone it spawned from, if any.</summary>
    [Key("sponsorZoneId")] public string? SponsorZoneId { get; init; }
}

/// <summary>Pushed as <c>creatureDespawned</c> when a creature leaves the map.</summary>
[MessagePackObject]
public sealed record CreatureDespawned
{
    /// <summary>The creature's id.</summary>
    [Key("creatureId")] public string CreatureId { get; init; } = "";
    /// <summary>The cell that held it.</summary>
    [Key("cellId")] public string CellId { get; init; } = "";
    /// <summary>Why: <c>expired</c>, <c>captured</c> or <c>excluded</c>.</summary>
    [Key("reason")] public string Reason { get; init; } = "";
}

/// <summary>Pushed as <c>creatureCaptured</c> when a capture race is won.</summary>
[MessagePackObject]
public sealed record CreatureCaptured
{
    /// <summary>The creature's id.</summary>
    [Key("creatureId")] public string CreatureId { get; init; } = "";
    /// <summary>Species id.</summary>
    [Key("species")] public string Species { get; init; } = "";
    /// <summary>The winner.</summary>
    [Key("winnerPlayerId")] public string WinnerPlayerId { get; init; } = "";
    /// <summary>When it was captured, Unix milliseconds.</summary>
    [Key("capturedAt")] public long CapturedAt { get; init; }
    /// <summary>The cell that held it.</summary>
    [Key("cellId")] public string CellId { get; init; } = "";
}

/// <summary>A throw at a creature (hub method <c>TryCapture</c>).</summary>
[MessagePackObject]
public sealed record CaptureRequest
{
    /// <summary>The creature thrown at.</summary>
    [Key("creatureId")] public string CreatureId { get; init; } = "";
    /// <summary>Client-chosen id of this attempt; retrying with the same id returns the same result.</summary>
    [Key("attemptId")] public string AttemptId { get; init; } = "";
}

/// <summary>The outcome of a throw.</summary>
[MessagePackObject]
public sealed record CaptureResult
{
    /// <summary>The attempt this answers.</summary>
    [Key("attemptId")] public string AttemptId { get; init; } = "";
    /// <summary>The creature thrown at.</summary>
    [Key("creatureId")] public string CreatureId { get; init; } = "";
    /// <summary>See <see cref="CaptureOutcomes"/>.</summary>
    [Key("outcome")] public string Outcome { get; init; } = "";
    /// <summary>Distance from the player's last accepted position, metres.</summary>
    [Key("distanceMeters")] public double? DistanceMeters { get; init; }
    /// <summary>Who won the race, when it has been won.</summary>
    [Key("winnerPlayerId")] public string? WinnerPlayerId { get; init; }
    /// <summary>When it was captured, Unix milliseconds.</summary>
    [Key("capturedAt")] public long? CapturedAt { get; init; }
}

/// <summary>Capture outcomes. Stable wire strings.</summary>
public static class CaptureOutcomes
{
    /// <summary>This throw won the race.</summary>
    public const string Captured = "captured";
    /// <summary>Someone else already won.</summary>
    public const string AlreadyCaptured = "alreadyCaptured";
    /// <summary>The throw failed its catch roll; the creature is still there.</summary>
    public const string Escaped = "escaped";
    /// <summary>The player's last accepted position is beyond the encounter range.</summary>
    public const string TooFar = "tooFar";
    /// <summary>The creature has despawned.</summary>
    public const string Expired = "expired";
    /// <summary>No such creature.</summary>
    public const string NotFound = "notFound";
    /// <summary>The thrower may not capture (e.g. under anti-spoofing strikes) or the request is malformed.</summary>
    public const string Rejected = "rejected";
}

/// <summary>Why a creature despawned. Stable wire strings.</summary>
public static class DespawnReasons
{
    /// <summary>Its lifetime ran out.</summary>
    public const string Expired = "expired";
    /// <summary>A player captured it.</summary>
    public const string Captured = "captured";
    /// <summary>An operator created an exclusion zone over it.</summary>
    public const string Excluded = "excluded";
}

/// <summary>Names of server-to-client events (camelCase on every protocol).</summary>
public static class GameEvents
{
    /// <summary>A streamed fix was rejected: payload <see cref="LocationRejected"/>.</summary>
    public const string LocationRejected = "locationRejected";
    /// <summary>Payload <see cref="Contracts.CreatureSpawned"/>.</summary>
    public const string CreatureSpawned = "creatureSpawned";
    /// <summary>Payload <see cref="Contracts.CreatureDespawned"/>.</summary>
    public const string CreatureDespawned = "creatureDespawned";
    /// <summary>Payload <see cref="Contracts.CreatureCaptured"/>.</summary>
    public const string CreatureCaptured = "creatureCaptured";

    /// <summary>This node is stopping: reconnect (the load balancer sends you to another node). Payload <see cref="Contracts.ServerShutdown"/>.</summary>
    public const string ServerShutdown = "serverShutdown";
}

/// <summary>Pushed as <c>serverShutdown</c> when the node a client is connected to stops gracefully.</summary>
[MessagePackObject]
public sealed record ServerShutdown
{
    /// <summary>How long to wait before reconnecting, milliseconds.</summary>
    [Key("reconnectAfterMs")] public long ReconnectAfterMs { get; init; }
}

/// <summary>Names of hub methods a client invokes.</summary>
public static class HubMethods
{
    /// <summary>Path of the game hub.</summary>
    public const string Path = "/hubs/game";
    /// <summary><c>UpdateLocation(LocationUpdate) -> LocationAck</c>.</summary>
    public const string UpdateLocation = "UpdateLocation";
    /// <summary><c>StreamLocation(stream of LocationUpdate)</c>.</summary>
    public const string StreamLocation = "StreamLocation";
    /// <summary><c>GetState() -> PlayerState</c>.</summary>
    public const string GetState = "GetState";
    /// <summary><c>GetNearby() -> NearbyCreature[]</c>.</summary>
    public const string GetNearby = "GetNearby";
    /// <summary><c>TryCapture(CaptureRequest) -> CaptureResult</c>.</summary>
    public const string TryCapture = "TryCapture";
}
