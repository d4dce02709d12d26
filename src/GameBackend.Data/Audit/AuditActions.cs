namespace GameBackend.Data.Audit;

/// <summary>The <c>action</c> values of <see cref="AuditLog"/> rows (docs/rest.md lists them).</summary>
public static class AuditActions
{
    public const string ZoneCreated = "zone.created";
    public const string ZoneChanged = "zone.changed";
    public const string ZoneDeleted = "zone.deleted";
    public const string ZoneApproved = "zone.approved";
    public const string ZoneRejected = "zone.rejected";
    public const string SponsorCreated = "sponsor.created";
    public const string KeyRotated = "sponsor.key_rotated";
    public const string ExclusionCreated = "exclusion.created";
    public const string ExclusionDeleted = "exclusion.deleted";
    public const string RemovalAccepted = "removal.accepted";
    public const string RemovalRejected = "removal.rejected";
    public const string PlayerBanned = "player.banned";
    public const string PlayerUnbanned = "player.unbanned";
    public const string DataErased = "player.data_erased";

    /// <summary>Every action, for the console's filter.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        ZoneCreated, ZoneChanged, ZoneDeleted, ZoneApproved, ZoneRejected, SponsorCreated, KeyRotated, ExclusionCreated,
        ExclusionDeleted, RemovalAccepted, RemovalRejected, PlayerBanned, PlayerUnbanned, DataErased,
    ];
}
