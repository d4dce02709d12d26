using GameBackend.Data.Audit;
using GameBackend.Data.Moderation;
using Microsoft.AspNetCore.SignalR;

namespace GameBackend.Server.Operators;

/// <summary>A heatmap request from the console (the same rules as <c>GET /api/operator/heatmap</c>).</summary>
public sealed record HeatmapQuery(double MinLon, double MinLat, double MaxLon, double MaxLat, string? From, string? To, double? CellDegrees);

/// <summary>An audit log query from the console (the same filters as <c>GET /api/operator/audit</c>).</summary>
public sealed record AuditQuery(string? Actor, string? Action, string? Target, string? From, string? To, long? BeforeId, int? Limit);

/// <summary>
/// The console's moderation calls, each recorded with the signed-in operator as its actor. They ride on the operator hub, whose session cookie is HttpOnly and
/// SameSite=Strict and is checked at negotiate and on every call, so the console never holds the admin
/// key and no state-changing REST request is authorised by a cookie (docs/security.md).
/// </summary>
public sealed class OperatorHubModeration
{
    private readonly GameStores stores;
    private readonly Moderation moderation;
    private readonly IPlayerStrikes strikes;
    private readonly Hosting.AnalyticsGate analytics;
    private readonly ILogger logger;

    internal OperatorHubModeration(GameStores stores, Moderation moderation, IPlayerStrikes strikes, Hosting.AnalyticsGate analytics, ILogger<OperatorHubModeration> logger)
    {
        this.stores = stores;
        this.moderation = moderation;
        this.strikes = strikes;
        this.analytics = analytics;
        this.logger = logger;
    }

    public async Task<ZoneReviewResponse[]> GetZonesForReview(string? status)
    {
        Require();
        var rows = await stores.Moderation.ListZonesAsync(status == ZoneStatus.Rejected ? ZoneStatus.Rejected : ZoneStatus.PendingApproval);
        return [.. rows.Select(ModerationApi.ToResponse)];
    }

    public async Task<bool> ReviewZone(string actor, Guid zoneId, bool approve, string? reason)
    {
        Require();
        if (!Moderation.TryReason(reason, out var r) || (!approve && r is null))
        {
            throw new HubException(approve ? "The reason is too long." : "A rejection needs a reason.");
        }

        return await moderation.ReviewZoneAsync(zoneId, approve, r, actor, CancellationToken.None);
    }

    public async Task<RemovalRequestResponse[]> GetRemovalRequests(string? status)
    {
        Require();
        var rows = await stores.Moderation.ListRemovalRequestsAsync(status is "accepted" or "rejected" ? status : status == "all" ? null : "open");
        return [.. rows.Select(ModerationApi.ToResponse)];
    }

    public async Task<bool> DecideRemovalRequest(string actor, Guid requestId, bool accept, string? reason)
    {
        Require();
        if (!Moderation.TryReason(reason, out var r) || (!accept && r is null))
        {
            throw new HubException(accept ? "The reason is too long." : "A rejection needs a reason.");
        }

        return accept
            ? await moderation.AcceptRemovalAsync(requestId, r, actor, CancellationToken.None) is not null
            : await moderation.RejectRemovalAsync(requestId, r, actor, CancellationToken.None);
    }

    public async Task<PlayerBan[]> GetBans()
    {
        Require();
        return [.. await stores.Moderation.ListBansAsync()];
    }

    public async Task<IReadOnlyList<PlayerStrikes>> GetStrikes() => await strikes.ListAsync(1, ConsoleStrikeRows, null, CancellationToken.None);

    /// <summary>Players with strikes the console lists (most strikes first); REST pages through all.</summary>
    public const int ConsoleStrikeRows = 100;

    public async Task<PlayerBan> Ban(string actor, string playerId, string reason)
    {
        Require();
        if (string.IsNullOrWhiteSpace(playerId) || playerId.Length > 128 || playerId.Any(char.IsControl))
        {
            throw new HubException("A player id is 1–128 printable characters.");
        }

        if (!Moderation.TryReason(reason, out var r) || r is null)
        {
            throw new HubException("A ban needs a reason (at most 1000 characters).");
        }

        return await moderation.BanAsync(playerId.Trim(), r, actor, CancellationToken.None);
    }

    public async Task<bool> Unban(string actor, string playerId)
    {
        Require();
        return await moderation.UnbanAsync(playerId, actor, CancellationToken.None);
    }

    public async Task<AuditEntryResponse[]> GetAudit(AuditQuery query)
    {
        Require();
        if (!ModerationApi.TryAuditFilter(query.Actor, query.Action, query.Target, query.From, query.To,
                query.BeforeId?.ToString(System.Globalization.CultureInfo.InvariantCulture),
                query.Limit?.ToString(System.Globalization.CultureInfo.InvariantCulture), out var filter, out var errors))
        {
            throw new HubException(string.Join(" ", errors.Values.SelectMany(v => v)));
        }

        return [.. (await stores.Audit.ListAsync(filter)).Select(ModerationApi.ToResponse)];
    }

    public static IReadOnlyList<string> AuditActionNames => AuditActions.All;

    public async Task<HeatmapResponse> GetHeatmap(HeatmapQuery query)
    {
        Require();
        // The same cap and statement timeout as GET /api/operator/heatmap.
        using var slot = await analytics.EnterAsync(CancellationToken.None) ?? throw new HubException(Hosting.AnalyticsGate.BusyDetail);
        var c = System.Globalization.CultureInfo.InvariantCulture;
        try
        {
            var (response, errors) = await OperatorApi.HeatmapAsync(
                query.MinLon.ToString("R", c), query.MinLat.ToString("R", c), query.MaxLon.ToString("R", c), query.MaxLat.ToString("R", c),
                query.From, query.To, query.CellDegrees?.ToString("R", c), stores, CancellationToken.None);
            return response ?? throw new HubException(string.Join(" ", errors!.Values.SelectMany(v => v)));
        }
        catch (Data.StatementTimeoutException timeout)
        {
            Hosting.StatementTimeoutExceptionHandler.LogStatementTimeout(logger, "OperatorHub.GetHeatmap", timeout.Timeout);
            throw new HubException(Hosting.StatementTimeoutExceptionHandler.Detail(timeout.Timeout));
        }
    }

    private void Require()
    {
        if (!stores.IsConfigured)
        {
            throw new HubException("This needs PostgreSQL: set ConnectionStrings:Postgres.");
        }
    }
}
