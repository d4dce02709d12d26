using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using GameBackend.Data.Zones;
using NetTopologySuite.Geometries;

namespace GameBackend.Server.Sponsors;

/// <summary>
/// Turns a <see cref="ZoneRequest"/> into a <see cref="SponsorZoneInput"/>, or into the full list of
/// what is wrong with it (field name → messages), so a sponsor fixes everything in one round trip.
/// </summary>
internal static partial class ZoneRequestValidator
{
    public const int MaxNameLength = 100;
    public const double MinRadiusMeters = 1;
    public const double MaxRadiusMeters = 5000;
    public const double MaxSpawnsPerHour = 3600;
    public const int MaxMaxAlive = 500;
    public const int MaxSpecies = 50;
    public const int MaxWindows = 50;

    private static readonly string[] Days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

    /// <summary>The stored schedule JSON uses the same shape as the request, normalised (lower-case days).</summary>
    internal static readonly JsonSerializerOptions ScheduleJson = new(JsonSerializerDefaults.Web);

    public static bool TryValidate(ZoneRequest? request, out SponsorZoneInput? input, out Dictionary<string, string[]> errors)
    {
        var found = new Dictionary<string, List<string>>();
        void Fail(string field, string message)
        {
            if (!found.TryGetValue(field, out var list))
            {
                found[field] = list = [];
            }

            list.Add(message);
        }

        input = null;
        if (request is null)
        {
            Fail("body", "A zone body is required.");
            errors = Flatten(found);
            return false;
        }

        var name = request.Name?.Trim() ?? "";
        if (!IsDisplayName(name))
        {
            Fail("name", $"name is required: 1–{MaxNameLength} printable characters.");
        }

        Polygon? polygon = null;
        Point? center = null;
        double? radius = null;
        var hasPolygon = request.Polygon is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) };
        if (hasPolygon == (request.Circle is not null))
        {
            Fail("area", "Give exactly one of circle and polygon.");
        }
        else if (request.Circle is { } circle)
        {
            if (circle.Latitude is not { } lat || !double.IsFinite(lat) || Math.Abs(lat) > 90)
            {
                Fail("circle.latitude", "latitude is required, in [-90, 90].");
            }

            if (circle.Longitude is not { } lon || !double.IsFinite(lon) || Math.Abs(lon) > 180)
            {
                Fail("circle.longitude", "longitude is required, in [-180, 180].");
            }

            if (circle.RadiusMeters is not { } r || !double.IsFinite(r) || r < MinRadiusMeters || r > MaxRadiusMeters)
            {
                Fail("circle.radiusMeters", $"radiusMeters is required, in [{MinRadiusMeters}, {MaxRadiusMeters}].");
            }
            else
            {
                radius = r;
            }

            if (!found.Keys.Any(k => k.StartsWith("circle.", StringComparison.Ordinal)))
            {
                center = new Point(circle.Longitude!.Value, circle.Latitude!.Value) { SRID = 4326 };
            }
        }
        else if (GeoJson.TryParseArea(request.Polygon!.Value, [typeof(Polygon)], out var geometry, out var error))
        {
            polygon = (Polygon)geometry!;
            // The domain's own rules (issue 12, finding 5): among them the 100 km² cap, so a polygon
            // spanning a continent never reaches the database or the spawner.
            if (Domain.Spawning.ZoneGeometry.Validate(polygon) is { } why)
            {
                Fail("polygon", why);
                polygon = null;
            }
        }
        else
        {
            Fail("polygon", "polygon " + error);
        }

        var weights = new Dictionary<string, double>(StringComparer.Ordinal);
        if (request.Species is not { Count: > 0 and <= MaxSpecies } species)
        {
            Fail("species", $"species is required: 1–{MaxSpecies} entries.");
        }
        else
        {
            for (var i = 0; i < species.Count; i++)
            {
                var s = species[i];
                if (s?.SpeciesId is not { } id || !SpeciesId().IsMatch(id))
                {
                    Fail($"species[{i}].speciesId", "speciesId is required: 1–64 letters, digits, '-' or '_'.");
                }
                else if (!weights.TryAdd(id, s.Weight ?? 0))
                {
                    Fail($"species[{i}].speciesId", $"species '{id}' is listed twice.");
                }

                if (s?.Weight is not { } w || !double.IsFinite(w) || w <= 0 || w > 1e6)
                {
                    Fail($"species[{i}].weight", "weight is required, > 0 (and at most 1e6).");
                }
            }
        }

        if (request.SpawnsPerHour is not { } rate || !double.IsFinite(rate) || rate <= 0 || rate > MaxSpawnsPerHour)
        {
            Fail("spawnsPerHour", $"spawnsPerHour is required, in (0, {MaxSpawnsPerHour}].");
        }

        if (request.MaxAlive is not (>= 1 and <= MaxMaxAlive))
        {
            Fail("maxAlive", $"maxAlive is required, in [1, {MaxMaxAlive}].");
        }

        string? scheduleJson = null;
        if (request.Schedule is { } schedule && ValidateSchedule(schedule, Fail) is { } normalised)
        {
            scheduleJson = JsonSerializer.Serialize(normalised, ScheduleJson);
        }

        if (request.StartsAt is { } startsAt && request.EndsAt is { } endsAt && endsAt <= startsAt)
        {
            Fail("endsAt", "endsAt must be after startsAt.");
        }

        errors = Flatten(found);
        if (errors.Count > 0)
        {
            return false;
        }

        input = new SponsorZoneInput(
            name, polygon, center, radius, weights, (float)request.SpawnsPerHour!.Value, request.MaxAlive!.Value,
            scheduleJson, request.StartsAt?.ToUniversalTime(), request.EndsAt?.ToUniversalTime());
        return true;
    }

    public static bool IsDisplayName(string name) =>
        name.Length is > 0 and <= MaxNameLength && !name.Any(char.IsControl);

    private static ZoneSchedule? ValidateSchedule(ZoneSchedule schedule, Action<string, string> fail)
    {
        var ok = true;
        var zone = schedule.TimeZone?.Trim() ?? "";
        if (zone.Length == 0 || zone.Length > 64 || !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
        {
            fail("schedule.timeZone", $"Unknown time zone id '{zone}'; use an IANA id such as Europe/Paris.");
            ok = false;
        }

        if (schedule.Windows is not { Count: > 0 and <= MaxWindows } windows)
        {
            fail("schedule.windows", $"schedule.windows needs 1–{MaxWindows} entries.");
            return null;
        }

        var normalised = new List<ScheduleWindow>(windows.Count);
        for (var i = 0; i < windows.Count; i++)
        {
            var w = windows[i];
            var day = w?.Day?.Trim().ToLowerInvariant();
            if (day is null || !Days.Contains(day))
            {
                fail($"schedule.windows[{i}].day", $"Unknown day '{w?.Day}'; use one of {string.Join(", ", Days)}.");
                ok = false;
            }

            var start = ParseTime(w?.Start, allowEndOfDay: false);
            var end = ParseTime(w?.End, allowEndOfDay: true);
            if (start is null)
            {
                fail($"schedule.windows[{i}].start", "start must be a local time HH:mm (00:00–23:59).");
                ok = false;
            }

            if (end is null)
            {
                fail($"schedule.windows[{i}].end", "end must be a local time HH:mm (00:01–24:00).");
                ok = false;
            }
            else if (start is not null && end <= start)
            {
                fail($"schedule.windows[{i}].end", "end must be after start; split a window that crosses midnight in two.");
                ok = false;
            }

            normalised.Add(new ScheduleWindow { Day = day, Start = w?.Start?.Trim(), End = w?.End?.Trim() });
        }

        return ok ? new ZoneSchedule { TimeZone = zone, Windows = normalised } : null;
    }

    /// <summary>Minutes since local midnight; 1440 only for an end of <c>24:00</c>.</summary>
    private static int? ParseTime(string? text, bool allowEndOfDay)
    {
        text = text?.Trim();
        if (allowEndOfDay && text == "24:00")
        {
            return 24 * 60;
        }

        return TimeOnly.TryParseExact(text, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time)
            ? (time.Hour * 60) + time.Minute
            : null;
    }

    private static Dictionary<string, string[]> Flatten(Dictionary<string, List<string>> found) =>
        found.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex SpeciesId();
}
