using GameBackend.Data.Audit;
using GameBackend.Data.Moderation;
using GameBackend.Server.Hosting;
using GameBackend.Server.Players;
using GameBackend.Server.Sponsors;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.Operators;

/// <summary>Who did something, as the audit log records it.</summary>
public static class Actors
{
    /// <summary>
    /// The operator. There is one shared admin key and no per-person operator identity yet, so the
    /// log can say "the operator" and through which door (REST key or console session), not who.
    /// </summary>
    public const string OperatorRest = "operator:api-key";
    public const string OperatorConsole = "operator:console";

    public static string Sponsor(Guid sponsorId) => $"sponsor:{sponsorId}";

    public static string Player(string playerId) => $"player:{playerId}";
}

/// <summary>A player with anti-cheat strikes.</summary>
public sealed record PlayerStrikes(string PlayerId, int Strikes, double? Latitude, double? Longitude);

/// <summary>
/// Where the operator's strike list comes from. Strikes live in player grain memory today; another
/// change persists them, and then only this implementation changes.
/// </summary>
public interface IPlayerStrikes
{
    Task<IReadOnlyList<PlayerStrikes>> ListAsync(int minStrikes, CancellationToken cancellationToken);
}

/// <summary>
/// Strikes of the players this node currently sees (the live map's players), read from their grains.
/// In a cluster each node lists its own players; a player who went offline drops out.
/// </summary>
internal sealed class LivePlayerStrikes(LiveMap live, IGrainFactory grains, GameClock clock) : IPlayerStrikes
{
    private const int MaxPlayers = 2000;

    public async Task<IReadOnlyList<PlayerStrikes>> ListAsync(int minStrikes, CancellationToken cancellationToken)
    {
        var (players, _) = live.Snapshot(clock.NowMs, staleAfterMs: 600_000);
        var states = await Task.WhenAll(players.Take(MaxPlayers).Select(async p =>
            (Player: p, State: await grains.GetGrain<IPlayerGrain>(p.PlayerId).GetState())));
        return [.. states
            .Where(s => s.State.Strikes >= minStrikes)
            .OrderByDescending(s => s.State.Strikes).ThenBy(s => s.Player.PlayerId, StringComparer.Ordinal)
            .Select(s => new PlayerStrikes(s.Player.PlayerId, s.State.Strikes, s.Player.Latitude, s.Player.Longitude))];
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
