using System.ComponentModel.DataAnnotations;
using GameBackend.Data.Analytics;

namespace GameBackend.Server.Sponsors;

/// <summary>Analytics settings (section <c>Analytics</c>).</summary>
public sealed class AnalyticsOptions
{
    public const string Section = "Analytics";

    /// <summary>k-anonymity: a figure shown to a sponsor is suppressed when fewer unique players are behind it (default 5).</summary>
    [Range(2, 10_000)]
    public int MinUniquePlayers { get; set; } = AnalyticsQueries.DefaultK;

    /// <summary>
    /// Smallest zone (effective area, m²) analytics answer for (default 10,000 m², one hectare, a
    /// circle of ~56 m radius). A tiny zone around one doorstep would name whoever stands there;
    /// zone versions below it count for nothing, a zone asked for by id answers 400.
    /// </summary>
    [Range(0, 1e12)]
    public double MinZoneAreaSquareMeters { get; set; } = 10_000;
}
