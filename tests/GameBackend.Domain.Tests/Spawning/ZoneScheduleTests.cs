using GameBackend.Domain.Geo;
using GameBackend.Domain.Spawning;

namespace GameBackend.Domain.Tests.Spawning;

public sealed class ZoneScheduleTests
{
    private const string Berlin = "Europe/Berlin";

    private static SpawnZone Zone(params WeeklyWindow[] windows) => new()
    {
        Id = "z",
        Shape = new CircleShape(new GeoPoint(52.52, 13.40), 100),
        SpeciesWeights = new Dictionary<string, double> { ["emberkit"] = 1 },
        Schedule = windows.Length == 0 ? null : new ZoneSchedule(Berlin, windows),
    };

    private static DateTimeOffset Utc(int month, int day, int hour, int minute) => new(2026, month, day, hour, minute, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(1, 5, 8, 59, false)] // Monday 09:59 CET
    [InlineData(1, 5, 9, 0, true)] // 10:00 CET
    [InlineData(1, 5, 16, 59, true)] // 17:59 CET
    [InlineData(1, 5, 17, 0, false)] // 18:00 CET
    [InlineData(7, 6, 7, 59, false)] // Monday 09:59 CEST
    [InlineData(7, 6, 8, 0, true)] // 10:00 CEST
    [InlineData(7, 6, 15, 59, true)] // 17:59 CEST
    [InlineData(7, 6, 16, 0, false)] // 18:00 CEST
    [InlineData(1, 6, 9, 0, false)] // Tuesday
    public void A_window_is_local_wall_clock_time_summer_and_winter(int month, int day, int hour, int minute, bool expected)
    {
        var zone = Zone(WeeklyWindow.Parse(DayOfWeek.Monday, "10:00", "18:00"));
        Assert.Equal(expected, SpawnZoneRules.IsActive(zone, Utc(month, day, hour, minute)));
    }

    [Theory]
    [InlineData(9, 20, 59, false)] // Friday 21:59
    [InlineData(9, 21, 0, true)] // Friday 22:00
    [InlineData(9, 22, 59, true)] // Friday 23:59
    [InlineData(9, 23, 0, true)] // Saturday 00:00
    [InlineData(10, 0, 59, true)] // Saturday 01:59
    [InlineData(10, 1, 0, false)] // Saturday 02:00
    [InlineData(10, 21, 30, false)] // Saturday 22:30: no window opens on Saturday
    [InlineData(8, 23, 30, false)] // Friday 00:30: the Thursday night is not open
    public void A_window_may_cross_midnight(int day, int hour, int minute, bool expected)
    {
        var zone = Zone(WeeklyWindow.Parse(DayOfWeek.Friday, "22:00", "02:00"));
        Assert.Equal(expected, SpawnZoneRules.IsActive(zone, Utc(1, day, hour, minute)));
    }

    [Fact]
    public void A_saturday_night_window_runs_into_sunday_across_the_week_boundary()
    {
        var zone = Zone(WeeklyWindow.Parse(DayOfWeek.Saturday, "23:00", "01:00"), WeeklyWindow.Parse(DayOfWeek.Sunday, "23:30", "00:30"));
        Assert.True(SpawnZoneRules.IsActive(zone, Utc(1, 10, 23, 30))); // Sunday 00:30 CET
        Assert.False(SpawnZoneRules.IsActive(zone, Utc(1, 11, 0, 0))); // Sunday 01:00
        Assert.True(SpawnZoneRules.IsActive(zone, Utc(1, 11, 23, 15))); // Monday 00:15
        Assert.False(SpawnZoneRules.IsActive(zone, Utc(1, 11, 23, 30))); // Monday 00:30
    }

    [Fact]
    public void Midnight_to_24_00_is_the_whole_day()
    {
        var zone = Zone(WeeklyWindow.Parse(DayOfWeek.Wednesday, "00:00", "24:00"));
        Assert.False(SpawnZoneRules.IsActive(zone, Utc(1, 6, 22, 59))); // Tuesday 23:59
        Assert.True(SpawnZoneRules.IsActive(zone, Utc(1, 6, 23, 0))); // Wednesday 00:00
        Assert.True(SpawnZoneRules.IsActive(zone, Utc(1, 7, 22, 59))); // Wednesday 23:59
        Assert.False(SpawnZoneRules.IsActive(zone, Utc(1, 7, 23, 0))); // Thursday 00:00
    }

    [Fact]
    public void Spring_forward_shortens_a_window_that_spans_the_gap()
    {
        // Sunday 29 March 2026: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
        var zone = Zone(WeeklyWindow.Parse(DayOfWeek.Sunday, "01:00", "04:00"));
        Assert.False(SpawnZoneRules.IsActive(zone, Utc(3, 28, 23, 59))); // 00:59 CET
        Assert.True(SpawnZoneRules.IsActive(zone, Utc(3, 29, 0, 0))); // 01:00 CET
        Assert.True(SpawnZoneRules.IsActive(zone, Utc(3, 29, 1, 0))); // 03:00 CEST
        Assert.True(SpawnZoneRules.IsActive(zone, Utc(3, 29, 1, 59))); // 03:59 CEST
        Assert.False(SpawnZoneRules.IsActive(zone, Utc(3, 29, 2, 0))); // 04:00 CEST
        Assert.Equal(120, ActiveMinutes(zone, Utc(3, 28, 20, 0), Utc(3, 29, 6, 0)));
    }

    [Fact]
    public void A_window_inside_the_skipped_hour_never_opens()
    {
        var zone = Zone(WeeklyWindow.Parse(DayOfWeek.Sunday, "02:00", "02:30"));
        Assert.Equal(0, ActiveMinutes(zone, Utc(3, 28, 20, 0), Utc(3, 29, 6, 0)));
        Assert.Equal(30, ActiveMinutes(zone, Utc(4, 4, 20, 0), Utc(4, 5, 6, 0))); // a week later it does
    }

    [Fact]
    public void Fall_back_opens_a_window_in_the_repeated_hour_twice()
    {
        // Sunday 25 October 2026: 03:00 CEST falls back to 02:00 CET (01:00 UTC).
        var zone = Zone(WeeklyWindow.Parse(DayOfWeek.Sunday, "02:00", "03:00"));
        Assert.False(SpawnZoneRules.IsActive(zone, Utc(10, 24, 23, 59))); // 01:59 CEST
        Assert.True(SpawnZoneRules.IsActive(zone, Utc(10, 25, 0, 0))); // 02:00 CEST
        Assert.True(SpawnZoneRules.IsActive(zone, Utc(10, 25, 1, 0))); // 02:00 CET
        Assert.True(SpawnZoneRules.IsActive(zone, Utc(10, 25, 1, 59))); // 02:59 CET
        Assert.False(SpawnZoneRules.IsActive(zone, Utc(10, 25, 2, 0))); // 03:00 CET
        Assert.Equal(120, ActiveMinutes(zone, Utc(10, 24, 20, 0), Utc(10, 25, 6, 0)));
    }

    [Fact]
    public void Start_is_inclusive_and_end_exclusive()
    {
        var start = Utc(6, 1, 12, 0);
        var end = Utc(6, 8, 12, 0);
        var zone = Zone() with { StartsAt = start, EndsAt = end };
        Assert.False(SpawnZoneRules.IsActive(zone, start.AddTicks(-1)));
        Assert.True(SpawnZoneRules.IsActive(zone, start));
        Assert.True(SpawnZoneRules.IsActive(zone, end.AddTicks(-1)));
        Assert.False(SpawnZoneRules.IsActive(zone, end));
        Assert.True(SpawnZoneRules.IsActive(zone with { EndsAt = null }, end.AddYears(5)));
        Assert.True(SpawnZoneRules.IsActive(zone with { StartsAt = null }, start.AddYears(-5)));
    }

    [Fact]
    public void Dates_and_schedule_must_both_allow()
    {
        var zone = Zone(WeeklyWindow.Parse(DayOfWeek.Monday, "10:00", "18:00")) with { StartsAt = Utc(1, 6, 0, 0) };
        Assert.False(SpawnZoneRules.IsActive(zone, Utc(1, 5, 12, 0))); // Monday, before the start
        Assert.True(SpawnZoneRules.IsActive(zone, Utc(1, 12, 12, 0))); // the next Monday
    }

    [Fact]
    public void Times_must_be_HH_mm()
    {
        Assert.Throws<FormatException>(() => WeeklyWindow.Parse(DayOfWeek.Monday, "9:00", "10:00"));
        Assert.Throws<FormatException>(() => WeeklyWindow.Parse(DayOfWeek.Monday, "24:00", "10:00"));
        Assert.Throws<FormatException>(() => WeeklyWindow.Parse(DayOfWeek.Monday, "10:00", "25:00"));
        Assert.Throws<FormatException>(() => WeeklyWindow.Parse(DayOfWeek.Monday, "10:00", "10:00:30"));
        Assert.Equal(new TimeOnly(23, 59), WeeklyWindow.Parse(DayOfWeek.Monday, "23:59", "24:00").Start);
    }

    [Fact]
    public void An_unknown_time_zone_is_reported_by_validation()
    {
        var zone = Zone() with { Schedule = new ZoneSchedule("Mars/Olympus_Mons", []) };
        Assert.Contains(SpawnZoneRules.Validate(zone), e => e.Contains("Mars/Olympus_Mons"));
        Assert.Empty(SpawnZoneRules.Validate(Zone(WeeklyWindow.Parse(DayOfWeek.Monday, "10:00", "18:00"))));
    }

    private static int ActiveMinutes(SpawnZone zone, DateTimeOffset from, DateTimeOffset to)
    {
        var minutes = 0;
        for (var t = from; t < to; t = t.AddMinutes(1))
        {
            minutes += SpawnZoneRules.IsActive(zone, t) ? 1 : 0;
        }

        return minutes;
    }
}
