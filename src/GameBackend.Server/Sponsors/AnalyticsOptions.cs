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
}
