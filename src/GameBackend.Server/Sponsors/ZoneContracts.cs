using System.Text.Json;

namespace GameBackend.Server.Sponsors;

/// <summary>
/// Body of <c>POST</c>/<c>PUT /api/sponsors/{sponsorId}/zones</c>. Exactly one of
/// <see cref="Circle"/> and <see cref="Polygon"/>. Times are ISO-8601 with an offset
/// (e.g. <c>2025-06-01T08:00:00Z</c>).
/// </summary>
public sealed class ZoneRequest
{
    /// <summary>Display name, 1–100 characters.</summary>
    public string? Name { get; init; }

    /// <summary>A circle on the ground (radius 1–5000 m).</summary>
    public CircleArea? Circle { get; init; }

    /// <summary>A GeoJSON Polygon object (RFC 7946: [longitude, latitude], closed rings, no self-intersection).</summary>
    public JsonElement? Polygon { get; init; }

    /// <summary>Species spawned in the zone with relative weights (&gt; 0), 1–50 entries.</summary>
    public IReadOnlyList<SpeciesWeight>? Species { get; init; }

    /// <summary>Spawn rate inside the zone, in (0, 3600] per hour.</summary>
    public double? SpawnsPerHour { get; init; }

    /// <summary>Most of the zone's creatures alive at once, 1–500.</summary>
    public int? MaxAlive { get; init; }

    /// <summary>Weekly opening hours; none = always open (between <see cref="StartsAt"/> and <see cref="EndsAt"/>).</summary>
    public ZoneSchedule? Schedule { get; init; }

    /// <summary>Campaign start (inclusive); none = already started.</summary>
    public DateTimeOffset? StartsAt { get; init; }

    /// <summary>Campaign end (exclusive), after <see cref="StartsAt"/>; none = open-ended.</summary>
    public DateTimeOffset? EndsAt { get; init; }
}

/// <summary>A circle: WGS 84 centre and a radius in metres on the ground.</summary>
public sealed class CircleArea
{
    public double? Latitude { get; init; }

    public double? Longitude { get; init; }

    public double? RadiusMeters { get; init; }
}

/// <summary>A species and its relative spawn weight.</summary>
public sealed class SpeciesWeight
{
    /// <summary>Species id: 1–64 letters, digits, '-' or '_'.</summary>
    public string? SpeciesId { get; init; }

    public double? Weight { get; init; }
}

/// <summary>Weekly opening hours in an IANA time zone, e.g. <c>Europe/Paris</c>.</summary>
public sealed class ZoneSchedule
{
    public string? TimeZone { get; init; }

    /// <summary>1–50 windows; a zone spawns only inside one of them (local time).</summary>
    public IReadOnlyList<ScheduleWindow>? Windows { get; init; }
}

/// <summary>One weekly window: <c>day</c> is <c>monday</c>…<c>sunday</c>; <c>start</c>/<c>end</c> are local <c>HH:mm</c>,
/// start inclusive, end exclusive, end after start (<c>24:00</c> allowed as end). Split overnight windows in two.</summary>
public sealed class ScheduleWindow
{
    public string? Day { get; init; }

    public string? Start { get; init; }

    public string? End { get; init; }
}

/// <summary>A stored sponsor zone.</summary>
/// <param name="Kind"><c>circle</c> or <c>polygon</c>.</param>
/// <param name="Polygon">The requested polygon (polygon zones only), GeoJSON.</param>
/// <param name="Clipped">True when exclusion zones removed part of the requested area.</param>
/// <param name="EffectiveArea">Where the zone really spawns, after clipping: GeoJSON Polygon or MultiPolygon.</param>
public sealed record ZoneResponse(
    Guid Id,
    Guid SponsorId,
    string Name,
    string Kind,
    CircleArea? Circle,
    JsonElement? Polygon,
    IReadOnlyList<SpeciesWeight> Species,
    double SpawnsPerHour,
    int MaxAlive,
    ZoneSchedule? Schedule,
    DateTimeOffset? StartsAt,
    DateTimeOffset? EndsAt,
    bool Clipped,
    JsonElement EffectiveArea,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>Body of <c>POST /api/sponsors</c>.</summary>
public sealed class CreateSponsorRequest
{
    /// <summary>Display name, 1–100 characters.</summary>
    public string? Name { get; init; }
}

/// <summary>A new sponsor. <see cref="ApiKey"/> is shown only in this response (only its hash is stored).</summary>
public sealed record CreatedSponsorResponse(Guid SponsorId, string Name, string ApiKey);

/// <summary>A sponsor account.</summary>
public sealed record SponsorResponse(Guid SponsorId, string Name, DateTimeOffset CreatedAt);
