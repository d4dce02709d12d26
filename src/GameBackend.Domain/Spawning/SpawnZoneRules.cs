using GameBackend.Domain.Geo;
using NetTopologySuite.Geometries;

namespace GameBackend.Domain.Spawning;

/// <summary>
/// Rules of sponsor zones: when a zone is open, how many of its creatures are due, which species,
/// and where they appear. Pure; randomness comes from the caller's seeded <see cref="Random"/>.
/// </summary>
public static class SpawnZoneRules
{
    /// <summary>Default number of candidate points <see cref="RandomPointIn"/> tries before giving up.</summary>
    public const int DefaultMaxAttempts = 1_000;

    /// <summary>
    /// Whether the zone is open at <paramref name="now"/>: within its dates, and inside one of its
    /// weekly windows on the wall clock of its time zone.
    /// </summary>
    public static bool IsActive(SpawnZone zone, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(zone);
        if (zone.StartsAt is { } start && now < start)
        {
            return false;
        }

        if (zone.EndsAt is { } end && now >= end)
        {
            return false;
        }

        if (zone.Schedule is not { } schedule)
        {
            return true;
        }

        var local = TimeZoneInfo.ConvertTime(now, TimeZoneInfo.FindSystemTimeZoneById(schedule.TimeZoneId));
        var today = local.DayOfWeek;
        var yesterday = (DayOfWeek)(((int)today + 6) % 7);
        var time = TimeOnly.FromTimeSpan(local.TimeOfDay);
        foreach (var w in schedule.Windows)
        {
            var crossesMidnight = w.End <= w.Start;
            if (w.Day == today && time >= w.Start && (crossesMidnight || time < w.End))
            {
                return true;
            }

            if (crossesMidnight && w.Day == yesterday && time < w.End)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Every problem with the zone's settings; empty when valid (checks the time zone id too).</summary>
    public static IReadOnlyList<string> Validate(SpawnZone zone, double maxAreaSquareKm = ZoneGeometry.DefaultMaxAreaSquareKm)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var errors = new List<string>();
        var shape = zone.Shape switch
        {
            CircleShape c when !c.Center.IsValid => "The circle's centre is not a valid position.",
            CircleShape c when !double.IsFinite(c.RadiusMeters) || c.RadiusMeters <= 0 => "The circle's radius must be positive.",
            CircleShape c => ZoneGeometry.Validate(ZoneGeometry.CircleToPolygon(c.Center, c.RadiusMeters), maxAreaSquareKm),
            PolygonShape p => ZoneGeometry.Validate(p.Geometry, maxAreaSquareKm),
            _ => "The zone has no shape.",
        };
        if (shape is not null)
        {
            errors.Add(shape);
        }

        if (zone.SpeciesWeights.Count == 0 || zone.SpeciesWeights.Values.Any(w => !double.IsFinite(w) || w < 0) ||
            !zone.SpeciesWeights.Values.Any(w => w > 0))
        {
            errors.Add("Species weights must be finite, >= 0, and not all zero.");
        }

        if (!double.IsFinite(zone.SpawnsPerHour) || zone.SpawnsPerHour < 0)
        {
            errors.Add("SpawnsPerHour must be a finite number >= 0.");
        }

        if (zone.MaxAlive < 0)
        {
            errors.Add("MaxAlive must be >= 0.");
        }

        if (zone.StartsAt is { } s && zone.EndsAt is { } e && e <= s)
        {
            errors.Add("EndsAt must be after StartsAt.");
        }

        if (zone.Schedule is { } schedule)
        {
            try
            {
                _ = TimeZoneInfo.FindSystemTimeZoneById(schedule.TimeZoneId);
            }
            catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException or ArgumentException)
            {
                errors.Add($"Unknown time zone '{schedule.TimeZoneId}'.");
            }
        }

        return errors;
    }

    /// <summary>
    /// How many creatures the zone should spawn now, <paramref name="elapsed"/> after the last tick,
    /// with <paramref name="alive"/> of its creatures alive: Poisson with mean SpawnsPerHour × hours,
    /// never taking the zone past <see cref="SpawnZone.MaxAlive"/>. Does not look at the schedule:
    /// call <see cref="IsActive"/> first.
    /// </summary>
    public static int SpawnsDue(SpawnZone zone, int alive, TimeSpan elapsed, Random random)
    {
        ArgumentNullException.ThrowIfNull(zone);
        ArgumentNullException.ThrowIfNull(random);
        var room = zone.MaxAlive - Math.Max(0, alive);
        if (room <= 0 || elapsed <= TimeSpan.Zero)
        {
            return 0;
        }

        return Math.Min(room, Poisson.Sample(zone.SpawnsPerHour * elapsed.TotalHours, random));
    }

    /// <summary>A species id drawn from the zone's weights.</summary>
    public static string PickSpecies(SpawnZone zone, Random random)
    {
        ArgumentNullException.ThrowIfNull(zone);
        ArgumentNullException.ThrowIfNull(random);
        var total = zone.SpeciesWeights.Values.Where(w => w > 0).Sum();
        var x = random.NextDouble() * total;
        string? last = null;
        foreach (var (id, weight) in zone.SpeciesWeights)
        {
            if (weight <= 0)
            {
                continue;
            }

            last = id;
            if (x < weight)
            {
                return id;
            }

            x -= weight;
        }

        return last ?? throw new InvalidOperationException($"Zone {zone.Id} has no species with a positive weight.");
    }

    /// <summary>
    /// A point uniformly distributed over the zone's area on the sphere and outside every exclusion
    /// geometry (boundaries count as inside), or null if none was found in
    /// <paramref name="maxAttempts"/> tries (e.g. the zone is almost entirely excluded). To draw many
    /// points from one zone, keep a <see cref="ZoneSampler"/> instead: it prepares the geometries once.
    /// </summary>
    public static GeoPoint? RandomPointIn(
        SpawnZone zone, Random random, IReadOnlyList<Geometry>? exclusions = null, int maxAttempts = DefaultMaxAttempts)
    {
        ArgumentNullException.ThrowIfNull(zone);
        return new ZoneSampler(zone.Shape, exclusions).Next(random, maxAttempts);
    }
}
