namespace GameBackend.Data.Analytics;

/// <summary>
/// The time range a sponsor analytics answer really covers: whole buckets (an hour, or a UTC day),
/// and only buckets that are over. A still-open bucket would answer differently before and after a
/// player arrives, which is the differencing this prevents; so is a range shifted by a few
/// milliseconds, which snaps to the same buckets.
/// </summary>
public readonly record struct AnalyticsWindow(DateTimeOffset From, DateTimeOffset To)
{
    public bool IsEmpty => To <= From;

    /// <summary>[from, to) widened to whole buckets, then cut at the start of the bucket holding <paramref name="now"/>.</summary>
    public static AnalyticsWindow Snap(DateTimeOffset from, DateTimeOffset to, TimeBucket bucket, DateTimeOffset now)
    {
        var f = Floor(from, bucket);
        var t = Ceiling(to, bucket);
        var open = Floor(now, bucket);
        if (t > open)
        {
            t = open;
        }

        return new AnalyticsWindow(f, t < f ? f : t);
    }

    public static DateTimeOffset Floor(DateTimeOffset value, TimeBucket bucket)
    {
        var utc = value.ToUniversalTime();
        return bucket == TimeBucket.Day
            ? new DateTimeOffset(utc.Year, utc.Month, utc.Day, 0, 0, 0, TimeSpan.Zero)
            : FloorHour(utc);
    }

    public static DateTimeOffset Ceiling(DateTimeOffset value, TimeBucket bucket)
    {
        var floor = Floor(value, bucket);
        return floor == value ? floor : floor + (bucket == TimeBucket.Day ? TimeSpan.FromDays(1) : TimeSpan.FromHours(1));
    }

    public static DateTimeOffset FloorHour(DateTimeOffset value)
    {
        var utc = value.ToUniversalTime();
        return new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, TimeSpan.Zero);
    }

    public static DateTimeOffset CeilingHour(DateTimeOffset value)
    {
        var floor = FloorHour(value);
        return floor == value ? floor : floor.AddHours(1);
    }
}
