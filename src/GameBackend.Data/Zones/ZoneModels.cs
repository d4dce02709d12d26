using NetTopologySuite.Geometries;

namespace GameBackend.Data.Zones;

/// <summary>How a sponsor zone was drawn.</summary>
public enum ZoneKind
{
    Circle,
    Polygon,
}

/// <summary>
/// What a sponsor asks for: either a circle (<see cref="Center"/> + <see cref="RadiusMeters"/>) or a
/// <see cref="Polygon"/>. Coordinates are x = longitude, y = latitude (WGS 84).
/// </summary>
public sealed record SponsorZoneInput(
    string Name,
    Polygon? Polygon,
    Point? Center,
    double? RadiusMeters,
    IReadOnlyDictionary<string, double> SpeciesWeights,
    float SpawnsPerHour,
    int MaxAlive,
    string? ScheduleJson = null,
    DateTimeOffset? StartsAt = null,
    DateTimeOffset? EndsAt = null)
{
    /// <summary>Largest circle a sponsor may draw.</summary>
    public const double MaxRadiusMeters = 20_000;

    public ZoneKind Kind => Polygon is null ? ZoneKind.Circle : ZoneKind.Polygon;

    public static SponsorZoneInput ForCircle(string name, double latitude, double longitude, double radiusMeters,
        IReadOnlyDictionary<string, double> speciesWeights, float spawnsPerHour, int maxAlive) =>
        new(name, null, new Point(longitude, latitude) { SRID = 4326 }, radiusMeters, speciesWeights, spawnsPerHour, maxAlive);

    public static SponsorZoneInput ForPolygon(string name, Polygon polygon,
        IReadOnlyDictionary<string, double> speciesWeights, float spawnsPerHour, int maxAlive) =>
        new(name, polygon, null, null, speciesWeights, spawnsPerHour, maxAlive);

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Name);
        if ((Polygon is null) == (Center is null))
        {
            throw new ArgumentException("A zone is either a polygon or a circle (center + radius).");
        }

        if (Polygon is not null && (!Polygon.IsValid || Polygon.IsEmpty))
        {
            throw new ArgumentException("The zone polygon is not a valid simple polygon.");
        }

        if (Center is not null && (RadiusMeters is not (> 0 and <= MaxRadiusMeters) || Math.Abs(Center.Y) > 90 || Math.Abs(Center.X) > 180))
        {
            throw new ArgumentException($"A circle needs a valid center and a radius in (0, {MaxRadiusMeters}] m.");
        }

        if (SpawnsPerHour < 0 || MaxAlive < 0 || SpeciesWeights.Values.Any(w => w < 0 || double.IsNaN(w)))
        {
            throw new ArgumentException("Spawn rate, max alive and species weights must not be negative.");
        }

        if (StartsAt is { } s && EndsAt is { } e && e <= s)
        {
            throw new ArgumentException("EndsAt must be after StartsAt.");
        }
    }
}

/// <summary>A stored sponsor zone. <see cref="Area"/> is the effective area (Polygon or
/// MultiPolygon) after removing exclusion zones; <see cref="RequestedArea"/> is what was asked for.</summary>
public sealed record SponsorZone(
    Guid Id,
    Guid SponsorId,
    string Name,
    ZoneKind Kind,
    Geometry Area,
    Polygon RequestedArea,
    Point? Center,
    double? RadiusMeters,
    IReadOnlyDictionary<string, double> SpeciesWeights,
    float SpawnsPerHour,
    int MaxAlive,
    string? ScheduleJson,
    DateTimeOffset? StartsAt,
    DateTimeOffset? EndsAt,
    bool Clipped,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string Status = Billing.ZoneStatus.Active);

/// <summary>Outcome of storing a zone. <see cref="FullyExcluded"/>: nothing was left after
/// clipping, so nothing was stored and <see cref="Zone"/> is null.</summary>
public sealed record ZoneSaveResult(SponsorZone? Zone, bool Clipped, bool FullyExcluded);

/// <summary>An area where nothing may be sponsored (schools, hospitals, private land…).</summary>
public sealed record ExclusionZone(Guid Id, string Name, Geometry Area, DateTimeOffset CreatedAt);
