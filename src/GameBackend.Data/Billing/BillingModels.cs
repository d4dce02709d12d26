namespace GameBackend.Data.Billing;

/// <summary>
/// Values of <c>sponsor_zones.status</c>. Billing moves a zone only between <see cref="Active"/> and
/// <see cref="PausedBudget"/>; the approval states belong to moderation. Only an active zone spawns.
/// </summary>
public static class ZoneStatus
{
    public const string Active = "active";
    public const string PausedBudget = "paused_budget";
    public const string PendingApproval = "pending_approval";
    public const string Rejected = "rejected";
}

/// <summary>Is told, after the transaction committed, which zones' spend changed. Called on the
/// history writer's loop: must return quickly and never throw.</summary>
public interface IZoneSpendListener
{
    void ZoneSpendChanged(IReadOnlyList<Guid> zoneIds);
}

/// <summary>What a zone costs and may spend. Amounts are in the operator's currency, 2 decimals;
/// a null budget has no limit; days are UTC days.</summary>
public sealed record ZoneBudgetSettings(decimal PricePerVisit, decimal? DailyBudget, decimal? TotalBudget, int MinDwellSeconds);

/// <summary>A zone's budget and spend as of <see cref="Day"/> (UTC).</summary>
public sealed record ZoneBudget(
    Guid ZoneId,
    string ZoneName,
    string Status,
    ZoneBudgetSettings Settings,
    DateOnly Day,
    int VisitsToday,
    decimal SpentToday,
    decimal SpentTotal,
    decimal? LeftToday,
    decimal? LeftTotal);

/// <summary>A status change made by <see cref="BillingStore.RefreshStatusAsync"/>.</summary>
public sealed record ZoneStatusChange(Guid ZoneId, string Status);

/// <summary>One zone on one UTC day of a statement: qualifying visits (unique players), the ones
/// charged (within budget) and the amount. <see cref="ZoneName"/> is null for a deleted zone.</summary>
public sealed record StatementLine(DateOnly Day, Guid ZoneId, string? ZoneName, int Visits, int ChargedVisits, decimal Amount);

/// <summary>Conversion funnel of one UTC day: unique players shown a zone's creature, who entered
/// the zone, who stayed the minimum dwell, and who captured one of its creatures. Null and
/// <see cref="Suppressed"/> when fewer than k players are behind a figure.</summary>
public sealed record FunnelDay(DateOnly Day, long? Shown, long? Visited, long? Qualified, long? Captured, bool Suppressed);

/// <summary>Closed visits whose dwell lies in [<see cref="FromSeconds"/>, <see cref="ToSeconds"/>) (null = open end).</summary>
public sealed record DwellBucket(int FromSeconds, int? ToSeconds, long? Visits, long? UniquePlayers, bool Suppressed);

/// <summary>What one sweep of abandoned visits did: visits closed, and the zones whose spend changed
/// because some of them qualified (<see cref="BillingStore.CloseAbandonedVisitsAsync"/>).</summary>
public sealed record AbandonedVisitSweep(int Closed, IReadOnlyList<Guid> ChargedZones);
