using MessagePack;

namespace GameBackend.Contracts;

// Every wire type pins its field names with [Key("camelCase")] so the MessagePack protocol uses
// exactly the names the JSON protocol (camelCase policy) uses. Timestamps are Unix milliseconds.

/// <summary>A location fix sent by a player's device (hub method <c>UpdateLocation</c> or <c>StreamLocation</c>).</summary>
[MessagePackObject]
public sealed record LocationUpdate
{
    /// <summary>Client sequence number; must increase. Fixes at or below the last accepted one are rejected.</summary>
    [Key("seq")] public long Seq { get; init; }

    /// <summary>Device time of the fix, Unix milliseconds.</summary>
    [Key("timestamp")] public long Timestamp { get; init; }

    /// <summary>WGS84 latitude in degrees, [-90, 90].</summary>
    [Key("latitude")] public double Latitude { get; init; }

    /// <summary>WGS84 longitude in degrees, [-180, 180].</summary>
    [Key("longitude")] public double Longitude { get; init; }

    /// <summary>Horizontal accuracy radius in metres, if known.</summary>
    [Key("accuracy")] public double? Accuracy { get; init; }

    /// <summary>Where the device faces, degrees clockwise from true north, [0, 360).</summary>
    [Key("heading")] public double? Heading { get; init; }

    /// <summary>Ground speed in m/s (non-negative).</summary>
    [Key("speed")] public double? Speed { get; init; }

    /// <summary>Direction of travel, degrees clockwise from true north, [0, 360).</summary>
    [Key("course")] public double? Course { get; init; }

    /// <summary>Accelerometer reading in m/s².</summary>
    [Key("acceleration")] public Acceleration? Acceleration { get; init; }
}

/// <summary>An accelerometer reading in m/s² on the device axes.</summary>
[MessagePackObject]
public sealed record Acceleration
{
    /// <summary>X axis, m/s².</summary>
    [Key("x")] public double X { get; init; }

    /// <summary>Y axis, m/s².</summary>
    [Key("y")] public double Y { get; init; }

    /// <summary>Z axis, m/s².</summary>
    [Key("z")] public double Z { get; init; }
}

/// <summary>The server's answer to a location fix.</summary>
[MessagePackObject]
public sealed record LocationAck
{
    /// <summary>The sequence number of the fix this answers.</summary>
    [Key("seq")] public long Seq { get; init; }

    /// <summary>Whether the fix was accepted and is now the player's position.</summary>
    [Key("accepted")] public bool Accepted { get; init; }

    /// <summary>Why the fix was rejected (see <see cref="RejectReasons"/>); null when accepted.</summary>
    [Key("reason")] public string? Reason { get; init; }

    /// <summary>The map cell the player is in after this fix (the previous cell when rejected; null before any accepted fix).</summary>
    [Key("cellId")] public string? CellId { get; init; }

    /// <summary>
    /// Creatures within the visibility radius, nearest first, with distance and bearing from this
    /// fix — sent only when the set of nearby creatures changed since the last list this connection
    /// received (or on a connection's first accepted fix). Null (absent) means "unchanged": keep the
    /// previous list and recompute distances from your own position. An empty list means nothing is near.
    /// </summary>
    [Key("nearby")] public IReadOnlyList<NearbyCreature>? Nearby { get; init; }

    /// <summary>
    /// Version of the player's nearby set: changes exactly when the set changes. Equal versions mean
    /// equal sets, so a client can tell a missed list from an unchanged one.
    /// </summary>
    [Key("nearbyVersion")] public long NearbyVersion { get; init; }
}

/// <summary>Pushed as <c>locationRejected</c> when a streamed fix is rejected.</summary>
[MessagePackObject]
public sealed record LocationRejected
{
    /// <summary>The sequence number of the rejected fix.</summary>
    [Key("seq")] public long Seq { get; init; }

    /// <summary>Why it was rejected (see <see cref="RejectReasons"/>).</summary>
    [Key("reason")] public string Reason { get; init; } = "";
}

/// <summary>The player's server-side state, answered by <c>GetState</c>.</summary>
[MessagePackObject]
public sealed record PlayerState
{
    /// <summary>The player id (from the token).</summary>
    [Key("playerId")] public string PlayerId { get; init; } = "";

    /// <summary>Last accepted latitude, null before the first fix.</summary>
    [Key("latitude")] public double? Latitude { get; init; }

    /// <summary>Last accepted longitude, null before the first fix.</summary>
    [Key("longitude")] public double? Longitude { get; init; }

    /// <summary>Last accepted heading (orientation), degrees.</summary>
    [Key("heading")] public double? Heading { get; init; }

    /// <summary>Last accepted speed, m/s.</summary>
    [Key("speed")] public double? Speed { get; init; }

    /// <summary>Last accepted course, degrees.</summary>
    [Key("course")] public double? Course { get; init; }

    /// <summary>Last accepted accelerometer reading.</summary>
    [Key("acceleration")] public Acceleration? Acceleration { get; init; }

    /// <summary>The cell the player is in.</summary>
    [Key("cellId")] public string? CellId { get; init; }

    /// <summary>Server time of the last accepted fix, Unix milliseconds.</summary>
    [Key("updatedAt")] public long? UpdatedAt { get; init; }

    /// <summary>Last accepted sequence number.</summary>
    [Key("seq")] public long? Seq { get; init; }

    /// <summary>Current anti-spoofing strikes (after decay).</summary>
    [Key("strikes")] public int Strikes { get; init; }
}

/// <summary>Reasons a location fix is rejected. Stable wire strings.</summary>
public static class RejectReasons
{
    /// <summary>A coordinate, speed, heading or other number is NaN or infinite.</summary>
    public const string NotFinite = "notFinite";
    /// <summary>Latitude outside [-90, 90].</summary>
    public const string LatitudeOutOfRange = "latitudeOutOfRange";
    /// <summary>Longitude outside [-180, 180].</summary>
    public const string LongitudeOutOfRange = "longitudeOutOfRange";
    /// <summary>Heading outside [0, 360).</summary>
    public const string HeadingOutOfRange = "headingOutOfRange";
    /// <summary>Course outside [0, 360).</summary>
    public const string CourseOutOfRange = "courseOutOfRange";
    /// <summary>Negative speed.</summary>
    public const string NegativeSpeed = "negativeSpeed";
    /// <summary>Negative accuracy.</summary>
    public const string NegativeAccuracy = "negativeAccuracy";
    /// <summary>Device timestamp too far in the future.</summary>
    public const string TimestampInFuture = "timestampInFuture";
    /// <summary>Sequence number at or below the last accepted one (duplicate or reordered).</summary>
    public const string StaleSequence = "staleSequence";
    /// <summary>Implied ground speed from the last accepted fix exceeds the limit; adds a strike.</summary>
    public const string ImplausibleSpeed = "implausibleSpeed";
    /// <summary>More updates per second than the player's rate limit allows.</summary>
    public const string RateLimited = "rateLimited";
    /// <summary>The message was missing or malformed.</summary>
    public const string Malformed = "malformed";
}
