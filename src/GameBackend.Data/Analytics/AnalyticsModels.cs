namespace GameBackend.Data.Analytics;

/// <summary>Width of a time bucket (UTC).</summary>
public enum TimeBucket
{
    Hour,
    Day,
}

/// <summary>Visits to a sponsor's zone(s) in one time bucket. Values are null and
/// <see cref="Suppressed"/> true when fewer than k unique players are behind them.</summary>
public sealed record VisitBucket(DateTimeOffset Start, long? UniquePlayers, long? Visits, bool Suppressed);

/// <summary>Mean time between enter and exit over closed visits.</summary>
public sealed record DwellStatistics(long? UniquePlayers, long? Visits, double? MeanDwellSeconds, bool Suppressed);

/// <summary>Captures of one species inside a sponsor's zone(s).</summary>
public sealed record SpeciesCaptures(string Species, long? Captures, long? UniquePlayers, bool Suppressed);

/// <summary>Players shown one of the zone's creatures, and how many of them then entered the zone
/// within the window.</summary>
public sealed record ZoneConversion(long? PlayersWithSighting, long? PlayersConverted, double? Rate, bool Suppressed);

/// <summary>One square grid cell of an operator heatmap, in lon/lat degrees.</summary>
public sealed record HeatmapCell(double MinLongitude, double MinLatitude, double MaxLongitude, double MaxLatitude, long Samples, long UniquePlayers);

/// <summary>Spawns and captures of one species and rarity.</summary>
public sealed record SpeciesRarityCounts(string Species, string Rarity, long Spawns, long Captures);

/// <summary>Distinct players that reported a position in one time bucket.</summary>
public sealed record ActivePlayersBucket(DateTimeOffset Start, long Players);
