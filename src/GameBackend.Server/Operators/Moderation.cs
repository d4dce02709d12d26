using GameBackend.Data.Audit;
using GameBackend.Data.FairPlay;
using GameBackend.Data.Moderation;
using GameBackend.Server.Hosting;
using GameBackend.Server.Sponsors;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.Operators;

/// <summary>Who did something, as the audit log records it.</summary>
public static class Actors
{
    /// <summary>
    /// A named operator (<c>Operators:Accounts</c>; <c>Operators:AdminKey</c> is "admin"), whether it
    /// acted over REST with its key or in the console with the session its key opened.
    /// </summary>
    public static string Operator(string name) => $"operator:{name}";

    public static string Sponsor(Guid sponsorId) => $"sponsor:{sponsorId}";

    public static string Player(string playerId) => $"player:{playerId}";
}

/// <summary>A player with anti-cheat strikes (after decay), as stored for the whole cluster.</summary>
/// <param name="Latitude">The last trusted position (an accepted fix), null when none is stored.</param>
/// <param name="LastStrikeAt">When the last strike was counted (game time).</param>
/// <param name="CaptureBannedUntil">The end of the automatic capture ban, null when none is running.</param>
public sealed record PlayerStrikes(
    string PlayerId, int Strikes, double? Latitude, double? Longitude, DateTimeOffset LastStrikeAt, DateTimeOffset? CaptureBannedUntil);

/// <summary>Where the operator's strike list comes from.</summary>
public interface IPlayerStrikes
{
    /// <summary>One page: most strikes first, then by player id, after <paramref name="after"/> (the previous page's last row).</summary>
    Task<IReadOnlyList<PlayerStrikes>> ListAsync(int minStrikes, int limit, StrikeCursor? after, CancellationToken cancellationToken);
}

/// <summary>
/// Strikes as the player grains persist them (<c>player_fair_play</c>, or this node's memory without
/// PostgreSQL), so the list covers every player of the cluster, online or not, and survives restarts.
/// A grain stores a strike before answering the fix that earned it (at most once a second) and the
/// rest within a presence period, so a flood of strikes may show here a little behind the live count.
/// </summary>
internal sealed class StoredPlayerStrikes(IFairPlayStore store, GameClock clock, IOptions<MovementOptions> movement) : IPlayerStrikes
{
    public async Task<IReadOnlyList<PlayerStrikes>> ListAsync(int minStrikes, int limit, StrikeCursor? after, CancellationToken cancellationToken)
    {
        var query = new StrikeQuery(minStrikes, clock.NowMs, (long)movement.Value.StrikeDecay.TotalMilliseconds, limit, after);
        var rows = await store.ListStruckAsync(query, cancellationToken);
        return [.. rows.Select(r => new PlayerStrikes(
            r.PlayerId, r.Strikes, r.Trusted?.Latitude, r.Trusted?.Longitude,
            DateTimeOffset.FromUnixTimeMilliseconds(r.StrikesAtMs),
            r.CaptureBannedUntilMs is { } until ? DateTimeOffset.FromUnixTimeMilliseconds(until) : null))];
    }
}

/// <summary>
/// Operator decisions with their side effects, shared by the REST API (admin key) and the console
/// (operator hub, session cookie): the store writes the decision and its audit row in one
/// transaction, then the live world follows (zones reload, exclusions despawn, connections close).
/// </summary>
internal sealed partial class Moderation(
    GameStores stores, WorldChangeNotifier world, BanList bans, IOptions<ModerationOptions> options, ILogger<Moderation> logger)
{
    /// <summary>Longest reason or decision note.</summary>
    public const int MaxReasonLength = 1000;

    /// <summary>
    /// The status a sponsor's new or changed zone is written with: null (leave it / active) when
    /// zones are auto-approved, else <c>pending_approval</c>, so it does not spawn before review.
    /// </summary>
    public string? StatusForSponsorWrite => options.Value.AutoApproveZones ? null : ZoneStatus.PendingApproval;

    public async Task<bool> ReviewZoneAsync(Guid zoneId, bool approve, string? reason, string actor, CancellationToken cancellationToken)
    {
        if (await stores.Moderation.ReviewZoneAsync(zoneId, approve, reason, actor, cancellationToken) is not { } sponsorId)
        {
            return false;
        }

        LogZoneReviewed(logger, zoneId, approve ? "approved" : "rejected", actor);
        await world.SponsorZoneChangedAsync(sponsorId, zoneId, approve ? "approved" : "rejected", cancellationToken);
        return true;
    }

    public async Task<AcceptedRemoval?> AcceptRemovalAsync(Guid requestId, string? reason, string actor, CancellationToken cancellationToken)
    {
        var accepted = await stores.Moderation.AcceptRemovalRequestAsync(requestId, $"removal request {requestId.ToString()[..8]}", reason, actor, cancellationToken);
        if (accepted is not null)
        {
            // The same path as an operator's own exclusion zone: running cells despawn inside it now.
            await world.ExclusionZoneCreatedAsync(accepted.ExclusionZoneId, accepted.Area, cancellationToken);
        }

        return accepted;
    }

    public Task<bool> RejectRemovalAsync(Guid requestId, string? reason, string actor, CancellationToken cancellationToken) =>
        stores.Moderation.RejectRemovalRequestAsync(requestId, reason, actor, cancellationToken);

    public async Task<PlayerBan> BanAsync(string playerId, string reason, string actor, CancellationToken cancellationToken)
    {
        var ban = await stores.Moderation.BanAsync(playerId, reason, actor, cancellationToken);
        LogBanned(logger, playerId, actor);
        await bans.ApplyBanAsync(playerId, reason);
        return ban;
    }

    public async Task<bool> UnbanAsync(string playerId, string actor, CancellationToken cancellationToken)
    {
        if (!await stores.Moderation.UnbanAsync(playerId, actor, cancellationToken))
        {
            return false;
        }

        bans.ApplyUnban(playerId);
        return true;
    }

    /// <summary>Records a sponsor's or operator's action; a failure is logged, never thrown (the action already committed).</summary>
    public async Task AuditAsync(string actor, string action, string? target, object? detail, CancellationToken cancellationToken)
    {
        try
        {
            await stores.Audit.RecordAsync(actor, action, target, detail, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogAuditFailed(logger, action, target ?? "", ex);
        }
    }

    /// <summary>A reason as given: trimmed, null when blank; false when too long or not printable.</summary>
    public static bool TryReason(string? text, out string? reason)
    {
        reason = string.IsNullOrWhiteSpace(text) ? null : text.Trim();
        return reason is null || (reason.Length <= MaxReasonLength && !reason.Any(c => char.IsControl(c) && c is not '\n' and not '\r' and not '\t'));
    }

    [LoggerMessage(EventId = 5404, Level = LogLevel.Information, Message = "Sponsor zone {ZoneId} {Decision} by {Actor}")]
    private static partial void LogZoneReviewed(ILogger logger, Guid zoneId, string decision, string actor);

    [LoggerMessage(EventId = 5405, Level = LogLevel.Information, Message = "Player {PlayerId} banned by {Actor}")]
    private static partial void LogBanned(ILogger logger, string playerId, string actor);

    [LoggerMessage(EventId = 5406, Level = LogLevel.Error, Message = "Audit row {Action} for {Target} not written (the action itself succeeded)")]
    private static partial void LogAuditFailed(ILogger logger, string action, string target, Exception exception);
}
