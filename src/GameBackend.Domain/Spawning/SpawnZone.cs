using System.Globalization;
using GameBackend.Domain.Geo;
using NetTopologySuite.Geometries;

namespace GameBackend.Domain.Spawning;

/// <summary>
/// A sponsor zone: an area where the sponsor's species spawn at a set rate, up to a cap, while the
/// zone is active. Geometries are in lon/lat degrees (x = longitude, y = latitude, SRID 4326) and
/// must not cross the antimeridian.
/// </summary>
public sealed record SpawnZone
{
    public required string Id { get; init; }

    public required ZoneShape Shape { get; init; }

    /// <summary>Species id → relative weight. Only positive weights are picked.</summary>
    public required IReadOnlyDictionary<string, double> SpeciesWeights { get; init; }

    /// <summary>Mean spawns per hour while active.</summary>
    public double SpawnsPerHour { get; init; } = 60;

    /// <summary>At most this many of the zone's creatures alive at once.</summary>
    public int MaxAlive { get; init; } = 20;

    /// <summary>Weekly opening hours; null means always (between the dates).</summary>
    public ZoneSchedule? Schedule { get; init; }

    /// <summary>First instant the zone is active (inclusive); null means no start date.</summary>
    public DateTimeOffset? StartsAt { get; init; }

    /// <summary>First instant the zone is no longer active (exclusive); null means no end date.</summary>
    public DateTimeOffset? EndsAt { get; init; }
}

/// <summary>The area of a <see cref="SpawnZone"/>.</summary>
public abstract record ZoneShape;

/// <summary>A circle on the sphere: every point within <paramref name="RadiusMeters"/> of <paramref name="Center"/>.</summary>
public sealed record CircleShape(GeoPoint Center, double RadiusMeters) : ZoneShape;

/// <summary>A <see cref="Polygon"/> or <see cref="MultiPolygon"/> in lon/lat.</summary>
public sealed record PolygonShape(Geometry Geometry) : ZoneShape;

/// <summary>
/// Weekly opening hours evaluated on the wall clock of <paramref name="TimeZoneId"/> (IANA id, e.g.
/// "Europe/Berlin"), so "10:00–18:00" means 10 to 18 local time on both sides of a DST change.
/// </summary>
public sealed record ZoneSchedule(string TimeZoneId, IReadOnlyList<WeeklyWindow> Windows);

/// <summary>
/// Open from <paramref name="Start"/> on <paramref name="Day"/> until <paramref name="End"/>, local
/// time. An end at or before the start runs past midnight into the next day ("22:00"–"02:00");
/// an end equal to the start is a full 24 hours ("00:00"–"24:00" is all of <paramref name="Day"/>).
/// Wall-clock times skipped by a DST change simply do not occur.
/// </summary>
public readonly record struct WeeklyWindow(DayOfWeek Day, TimeOnly Start, TimeOnly End)
{
    /// <summary>Parses "HH:mm" times; "24:00" is accepted as an end meaning midnight.</summary>
    public static WeeklyWindow Parse(DayOfWeek day, string start, string end) =>
        new(day, ParseTime(start, allowMidnightEnd: false), ParseTime(end, allowMidnightEnd: true));

    private static TimeOnly ParseTime(string text, bool allowMidnightEnd)
    {
        if (allowMidnightEnd && text == "24:00")
        {
            return TimeOnly.MinValue;
        }

        return TimeOnly.TryParseExact(text, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time)
            ? time
            : throw new FormatException($"'{text}' is not a time of day in HH:mm form.");
    }
}
