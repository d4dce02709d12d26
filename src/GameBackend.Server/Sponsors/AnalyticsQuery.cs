using System.Globalization;
using GameBackend.Data.Analytics;

namespace GameBackend.Server.Sponsors;

/// <summary>
/// Parses and bounds the query parameters analytics endpoints share, collecting every problem
/// (field → messages) so the caller answers one clear 400. Times are ISO-8601 with an offset.
/// </summary>
internal sealed class AnalyticsQuery
{
    /// <summary>Longest time range one request may cover.</summary>
    public static readonly TimeSpan MaxRange = TimeSpan.FromDays(31);

    private readonly Dictionary<string, string[]> _errors = [];

    public bool IsValid => _errors.Count == 0;

    public IDictionary<string, string[]> Errors => _errors;

    public void Fail(string field, string message) => _errors[field] = [message];

    /// <summary>A required half-open range [from, to), from &lt; to, at most <see cref="MaxRange"/>.</summary>
    public (DateTimeOffset From, DateTimeOffset To) Range(string? from, string? to)
    {
        var f = Time("from", from);
        var t = Time("to", to);
        if (f is { } a && t is { } b)
        {
            if (b <= a)
            {
                Fail("to", "to must be after from.");
            }
            else if (b - a > MaxRange)
            {
                Fail("to", $"The range may cover at most {MaxRange.TotalDays:0} days.");
            }
        }

        return (f ?? default, t ?? default);
    }

    public TimeBucket Bucket(string? bucket)
    {
        switch (bucket?.Trim().ToLowerInvariant())
        {
            case null or "" or "hour":
                return TimeBucket.Hour;
            case "day":
                return TimeBucket.Day;
            default:
                Fail("bucket", "bucket must be hour or day.");
                return TimeBucket.Hour;
        }
    }

    public Guid? OptionalGuid(string field, string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (Guid.TryParse(text, out var id))
        {
            return id;
        }

        Fail(field, $"{field} must be a UUID.");
        return null;
    }

    public double Number(string field, string? text, double min, double max, double? fallback = null)
    {
        if (string.IsNullOrWhiteSpace(text) && fallback is { } value)
        {
            return value;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) || !double.IsFinite(n) || n < min || n > max)
        {
            Fail(field, $"{field} is required, a number in [{min.ToString(CultureInfo.InvariantCulture)}, {max.ToString(CultureInfo.InvariantCulture)}].");
            return min;
        }

        return n;
    }

    private DateTimeOffset? Time(string field, string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            Fail(field, $"{field} is required (ISO-8601 with an offset, e.g. 2025-06-01T00:00:00Z).");
            return null;
        }

        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
        {
            Fail(field, $"{field} is not an ISO-8601 time (e.g. 2025-06-01T00:00:00Z).");
            return null;
        }

        return value;
    }
}
