using System.Globalization;
using System.Text.Json;
using System.Threading.RateLimiting;
using GameBackend.Data.Audit;
using GameBackend.Data.FairPlay;
using GameBackend.Data.Moderation;
using GameBackend.Server.Sponsors;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using NetTopologySuite.Geometries;

using GameBackend.Server.Hosting;

namespace GameBackend.Server.Operators;

/// <summary>Body of the approve / reject / decide endpoints.</summary>
public sealed class DecisionRequest
{
    /// <summary>Why (optional when approving or accepting, required when rejecting), at most 1000 characters.</summary>
    public string? Reason { get; init; }
}

/// <summary>Body of <c>PUT /api/operator/bans/{playerId}</c>.</summary>
public sealed class BanRequest
{
    /// <summary>Shown to the player when their connections close; 1–1000 characters.</summary>
    public string? Reason { get; init; }
}

/// <summary>A circle given by its centre and radius.</summary>
public sealed class RemovalPoint
{
    public double? Latitude { get; init; }

    public double? Longitude { get; init; }

    /// <summary>1–500 m; default 30.</summary>
    public double? RadiusMeters { get; init; }
}

/// <summary>Body of <c>POST /api/removal-requests</c>: exactly one of <see cref="Point"/> and <see cref="Polygon"/>.</summary>
public sealed class RemovalRequestBody
{
    public RemovalPoint? Point { get; init; }

    /// <summary>A GeoJSON Polygon ([longitude, latitude]).</summary>
    public JsonElement? Polygon { get; init; }

    /// <summary>Why creatures should not appear there; 1–1000 characters.</summary>
    public string? Reason { get; init; }

    /// <summary>How to reach the requester (optional, at most 200 characters). Only operators see it.</summary>
    public string? Contact { get; init; }
}

/// <summary>A zone waiting for (or refused) approval.</summary>
public sealed record ZoneReviewResponse(
    Guid Id, Guid SponsorId, string SponsorName, string Name, string Status, JsonElement Area, DateTimeOffset UpdatedAt,
    string? Decision, string? Reason, DateTimeOffset? ReviewedAt);

/// <summary>A removal request as operators see it.</summary>
public sealed record RemovalRequestResponse(
    Guid Id, DateTimeOffset CreatedAt, JsonElement Area, string Reason, string? Contact, string Status,
    string? DecidedBy, DateTimeOffset? DecidedAt, string? DecisionReason, Guid? ExclusionZoneId);

/// <summary>What the public sees after filing a request: no one else's data.</summary>
public sealed record RemovalReceipt(Guid Id, DateTimeOffset CreatedAt, string Status);

/// <summary>An audit row. <c>detail</c> is a JSON object.</summary>
public sealed record AuditEntryResponse(long Id, DateTimeOffset At, string Actor, string Action, string? Target, JsonElement Detail);

/// <summary>
/// Moderation REST (docs/rest.md "Moderation"): zone approval, removal requests (filing is public),
/// bans, strikes and the audit log. Operator endpoints take <c>X-Admin-Key</c>; the console does the
/// same through the operator hub.
/// </summary>
public static class ModerationApi
{
    public const int MaxContactLength = 200;
    public const double MaxRemovalRadiusMeters = 500;
    public const int MaxRemovalVertices = 200;

    public static IEndpointRouteBuilder MapModerationApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/api/removal-requests", FileRemovalRequest)
            .WithName("FileRemovalRequest")
            .WithTags("Moderation")
            .WithSummary("Anyone asks for creatures to be removed from a place (a point with a radius, or a polygon).")
            .WithDescription("Size-bounded (radius ≤ 500 m, polygon ≤ 200 vertices and ≤ Moderation:MaxRemovalAreaSquareMeters) and rate-limited per client address (Moderation:RemovalRequestsPerHour, 429).")
            .RequireGate<RequirePostgresFilter>()
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .AllowAnonymous();

        var op = endpoints.MapGroup("/api/operator")
            .WithTags("Moderation")
            .RequireGate<OperatorKeyFilter>()
            .RequireGate<RequirePostgresFilter>()
            .RequireRateLimiting(RequestLimits.OperatorPolicy)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        op.MapGet("/zones", ListZones)
            .WithName("ListZonesForReview")
            .WithSummary("Sponsor zones by status: pending_approval (default) or rejected.");
        op.MapPost("/zones/{zoneId:guid}/approve", (Guid zoneId, DecisionRequest? body, Moderation m, HttpContext http, CancellationToken ct) => Review(zoneId, true, body, m, http, ct))
            .WithName("ApproveZone")
            .WithSummary("Approves a pending (or rejected) zone: it spawns from now on.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        op.MapPost("/zones/{zoneId:guid}/reject", (Guid zoneId, DecisionRequest? body, Moderation m, HttpContext http, CancellationToken ct) => Review(zoneId, false, body, m, http, ct))
            .WithName("RejectZone")
            .WithSummary("Rejects a pending zone with a reason; it does not spawn.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        op.MapGet("/removal-requests", ListRemovalRequests)
            .WithName("ListRemovalRequests")
            .WithSummary("Removal requests, oldest first; status open (default), accepted, rejected or all.");
        op.MapPost("/removal-requests/{requestId:guid}/accept", AcceptRemoval)
            .WithName("AcceptRemovalRequest")
            .WithSummary("Turns an open request into an exclusion zone (creatures inside despawn at once).")
            .ProducesProblem(StatusCodes.Status404NotFound);
        op.MapPost("/removal-requests/{requestId:guid}/reject", RejectRemoval)
            .WithName("RejectRemovalRequest")
            .WithSummary("Closes an open request without an exclusion zone.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        op.MapGet("/bans", ListBans)
            .WithName("ListBans")
            .WithSummary("Banned players, newest first.");
        op.MapPut("/bans/{playerId}", Ban)
            .WithName("BanPlayer")
            .WithSummary("Bans a player: new logins are refused and their connections close with the reason.");
        op.MapDelete("/bans/{playerId}", Unban)
            .WithName("UnbanPlayer")
            .WithSummary("Lifts a ban.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        op.MapGet("/strikes", Strikes)
            .WithName("PlayersWithStrikes")
            .WithSummary("Players (the whole cluster, stored) with at least minStrikes (default 1) anti-cheat strikes after decay, most first; limit 1–500 (default 100), next page with afterStrikes and afterPlayerId of the last row.");
        op.MapGet("/audit", Audit)
            .WithName("AuditLog")
            .WithSummary("The audit log, newest first; filters actor, action, target, from, to; paging with beforeId; limit 1–500 (default 100).");
        return endpoints;
    }


    internal static async Task<Results<Created<RemovalReceipt>, ValidationProblem, ProblemHttpResult>> FileRemovalRequest(
        RemovalRequestBody? body, HttpContext http, GameStores stores, RemovalRequestLimiter limiter, IOptions<ModerationOptions> options,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (!Moderation.TryReason(body?.Reason, out var reason) || reason is null)
        {
            errors["reason"] = [$"reason is required: 1–{Moderation.MaxReasonLength} characters."];
        }

        var contact = string.IsNullOrWhiteSpace(body?.Contact) ? null : body.Contact.Trim();
        if (contact is { Length: > MaxContactLength } || (contact?.Any(char.IsControl) ?? false))
        {
            errors["contact"] = [$"contact must be at most {MaxContactLength} printable characters."];
        }

        var hasPolygon = body?.Polygon is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) };
        Geometry? area = null;
        if (hasPolygon == (body?.Point is not null))
        {
            errors["area"] = ["Give exactly one of point and polygon."];
        }
        else if (body!.Point is { } point)
        {
            var radius = point.RadiusMeters ?? 30;
            if (point.Latitude is not (>= -90 and <= 90) || point.Longitude is not (>= -180 and <= 180))
            {
                errors["point"] = ["point needs latitude in [-90, 90] and longitude in [-180, 180]."];
            }
            else if (!(radius >= 1 && radius <= MaxRemovalRadiusMeters))
            {
                errors["point.radiusMeters"] = [$"radiusMeters must be 1–{MaxRemovalRadiusMeters}."];
            }
            else
            {
                area = await stores.Moderation.CircleAsync(point.Latitude.Value, point.Longitude.Value, radius, cancellationToken);
            }
        }
        else if (!GeoJson.TryParseArea(body.Polygon!.Value, [typeof(Polygon)], out area, out var error))
        {
            errors["polygon"] = ["polygon " + error];
        }
        else if (area!.NumPoints > MaxRemovalVertices)
        {
            errors["polygon"] = [$"polygon may have at most {MaxRemovalVertices} vertices."];
            area = null;
        }
        else if (await stores.Moderation.AreaSquareMetersAsync(area, cancellationToken) > options.Value.MaxRemovalAreaSquareMeters)
        {
            errors["polygon"] = [$"polygon covers more than {options.Value.MaxRemovalAreaSquareMeters.ToString(CultureInfo.InvariantCulture)} m²; ask for a smaller place."];
            area = null;
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        // Counted only for well-formed requests, so a form typo does not use up a person's quota.
        if (!limiter.TryAcquire(http.Connection.RemoteIpAddress?.ToString() ?? "?"))
        {
            return TypedResults.Problem("Too many removal requests from this address; try again later.",
                statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests");
        }

        var request = await stores.Moderation.CreateRemovalRequestAsync(area!, reason!, contact, cancellationToken);
        return request is null
            ? TypedResults.Problem("The removal request queue is full; try again later.", statusCode: StatusCodes.Status503ServiceUnavailable, title: "Queue full")
            : TypedResults.Created($"/api/operator/removal-requests/{request.Id}", new RemovalReceipt(request.Id, request.CreatedAt, request.Status));
    }

    internal static async Task<Results<Ok<ZoneReviewResponse[]>, ValidationProblem>> ListZones(string? status, GameStores stores, CancellationToken cancellationToken)
    {
        status ??= ZoneStatus.PendingApproval;
        if (status is not (ZoneStatus.PendingApproval or ZoneStatus.Rejected))
        {
            return RestProblems.Invalid("status", "status must be pending_approval or rejected.");
        }

        return TypedResults.Ok((await stores.Moderation.ListZonesAsync(status, cancellationToken)).Select(ToResponse).ToArray());
    }

    internal static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> Review(
        Guid zoneId, bool approve, DecisionRequest? body, Moderation moderation, HttpContext http, CancellationToken cancellationToken)
    {
        if (!Moderation.TryReason(body?.Reason, out var reason) || (!approve && reason is null))
        {
            return RestProblems.Invalid("reason", approve
                ? $"reason must be at most {Moderation.MaxReasonLength} characters."
                : $"A rejection needs a reason: 1–{Moderation.MaxReasonLength} characters.");
        }

        return await moderation.ReviewZoneAsync(zoneId, approve, reason, OperatorKeyFilter.ActorOf(http), cancellationToken)
            ? TypedResults.NoContent()
            : RestProblems.NotFound("No zone with that id waits for review.");
    }

    internal static async Task<Results<Ok<RemovalRequestResponse[]>, ValidationProblem>> ListRemovalRequests(
        string? status, GameStores stores, CancellationToken cancellationToken)
    {
        status ??= "open";
        if (status is not ("open" or "accepted" or "rejected" or "all"))
        {
            return RestProblems.Invalid("status", "status must be open, accepted, rejected or all.");
        }

        var rows = await stores.Moderation.ListRemovalRequestsAsync(status == "all" ? null : status, cancellationToken);
        return TypedResults.Ok(rows.Select(ToResponse).ToArray());
    }

    internal static async Task<Results<Ok<RemovalRequestResponse>, ValidationProblem, ProblemHttpResult>> AcceptRemoval(
        Guid requestId, DecisionRequest? body, Moderation moderation, HttpContext http, CancellationToken cancellationToken)
    {
        if (!Moderation.TryReason(body?.Reason, out var reason))
        {
            return RestProblems.Invalid("reason", $"reason must be at most {Moderation.MaxReasonLength} characters.");
        }

        return await moderation.AcceptRemovalAsync(requestId, reason, OperatorKeyFilter.ActorOf(http), cancellationToken) is { } accepted
            ? TypedResults.Ok(ToResponse(accepted.Request))
            : RestProblems.NotFound("No open removal request with that id.");
    }

    internal static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> RejectRemoval(
        Guid requestId, DecisionRequest? body, Moderation moderation, HttpContext http, CancellationToken cancellationToken)
    {
        if (!Moderation.TryReason(body?.Reason, out var reason) || reason is null)
        {
            return RestProblems.Invalid("reason", $"A rejection needs a reason: 1–{Moderation.MaxReasonLength} characters.");
        }

        return await moderation.RejectRemovalAsync(requestId, reason, OperatorKeyFilter.ActorOf(http), cancellationToken)
            ? TypedResults.NoContent()
            : RestProblems.NotFound("No open removal request with that id.");
    }

    internal static async Task<Ok<PlayerBan[]>> ListBans(GameStores stores, CancellationToken cancellationToken) =>
        TypedResults.Ok((await stores.Moderation.ListBansAsync(cancellationToken)).ToArray());

    internal static async Task<Results<Ok<PlayerBan>, ValidationProblem>> Ban(
        string playerId, BanRequest? body, Moderation moderation, HttpContext http, CancellationToken cancellationToken)
    {
        if (!IsPlayerId(playerId))
        {
            return RestProblems.Invalid("playerId", "playerId must be 1–128 printable characters.");
        }

        if (!Moderation.TryReason(body?.Reason, out var reason) || reason is null)
        {
            return RestProblems.Invalid("reason", $"A ban needs a reason: 1–{Moderation.MaxReasonLength} characters.");
        }

        return TypedResults.Ok(await moderation.BanAsync(playerId, reason, OperatorKeyFilter.ActorOf(http), cancellationToken));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Unban(string playerId, Moderation moderation, HttpContext http, CancellationToken cancellationToken) =>
        await moderation.UnbanAsync(playerId, OperatorKeyFilter.ActorOf(http), cancellationToken)
            ? TypedResults.NoContent()
            : RestProblems.NotFound("That player is not banned.");

    internal static async Task<Results<Ok<IReadOnlyList<PlayerStrikes>>, ValidationProblem>> Strikes(
        string? minStrikes, string? limit, string? afterStrikes, string? afterPlayerId, IPlayerStrikes strikes, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var min = 1;
        if (minStrikes is not null && (!int.TryParse(minStrikes, NumberStyles.None, CultureInfo.InvariantCulture, out min) || min is < 1 or > 1000))
        {
            errors["minStrikes"] = ["minStrikes must be an integer 1–1000."];
        }

        var max = 100;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out max) || max is < 1 or > StrikeQuery.MaxLimit))
        {
            errors["limit"] = [$"limit must be an integer 1–{StrikeQuery.MaxLimit}."];
        }

        StrikeCursor? after = null;
        if ((afterStrikes is null) != (afterPlayerId is null))
        {
            errors["afterPlayerId"] = ["afterStrikes and afterPlayerId go together: the strikes and player id of the previous page's last row."];
        }
        else if (afterStrikes is not null)
        {
            if (!int.TryParse(afterStrikes, NumberStyles.None, CultureInfo.InvariantCulture, out var s) || s < 1)
            {
                errors["afterStrikes"] = ["afterStrikes must be a positive integer."];
            }
            else if (!IsPlayerId(afterPlayerId!))
            {
                errors["afterPlayerId"] = ["afterPlayerId must be 1–128 printable characters."];
            }
            else
            {
                after = new StrikeCursor(s, afterPlayerId!);
            }
        }

        return errors.Count > 0
            ? TypedResults.ValidationProblem(errors)
            : TypedResults.Ok(await strikes.ListAsync(min, max, after, cancellationToken));
    }

    internal static async Task<Results<Ok<AuditEntryResponse[]>, ValidationProblem>> Audit(
        string? actor, string? action, string? target, string? from, string? to, string? beforeId, string? limit,
        GameStores stores, CancellationToken cancellationToken)
    {
        if (!TryAuditFilter(actor, action, target, from, to, beforeId, limit, out var filter, out var errors))
        {
            return TypedResults.ValidationProblem(errors);
        }

        return TypedResults.Ok((await stores.Audit.ListAsync(filter, cancellationToken)).Select(ToResponse).ToArray());
    }

    internal static bool TryAuditFilter(
        string? actor, string? action, string? target, string? from, string? to, string? beforeId, string? limit,
        out AuditFilter filter, out Dictionary<string, string[]> errors)
    {
        errors = [];
        DateTimeOffset? f = null, t = null;
        long? before = null;
        var max = 100;
        if (from is { Length: > 0 })
        {
            if (DateTimeOffset.TryParse(from, CultureInfo.InvariantCulture, DateTimeStyles.None, out var v)) f = v;
            else errors["from"] = ["from must be an ISO-8601 time with an offset."];
        }

        if (to is { Length: > 0 })
        {
            if (DateTimeOffset.TryParse(to, CultureInfo.InvariantCulture, DateTimeStyles.None, out var v)) t = v;
            else errors["to"] = ["to must be an ISO-8601 time with an offset."];
        }

        if (beforeId is { Length: > 0 })
        {
            if (long.TryParse(beforeId, NumberStyles.None, CultureInfo.InvariantCulture, out var v)) before = v;
            else errors["beforeId"] = ["beforeId must be a row id."];
        }

        if (limit is { Length: > 0 } && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out max) || max is < 1 or > AuditLog.MaxLimit))
        {
            errors["limit"] = [$"limit must be 1–{AuditLog.MaxLimit}."];
        }

        foreach (var (name, value) in new[] { ("actor", actor), ("action", action), ("target", target) })
        {
            if (value is { Length: > 200 })
            {
                errors[name] = [$"{name} must be at most 200 characters."];
            }
        }

        filter = new AuditFilter(actor, action, target, f, t, before, max);
        return errors.Count == 0;
    }

    private static bool IsPlayerId(string id) => id.Length is > 0 and <= 128 && !id.Any(char.IsControl);

    internal static ZoneReviewResponse ToResponse(ZoneForReview z) =>
        new(z.Id, z.SponsorId, z.SponsorName, z.Name, z.Status, GeoJson.ToJson(z.Area), z.UpdatedAt, z.Decision, z.Reason, z.ReviewedAt);

    internal static RemovalRequestResponse ToResponse(RemovalRequest r) =>
        new(r.Id, r.CreatedAt, GeoJson.ToJson(r.Area), r.Reason, r.Contact, r.Status, r.DecidedBy, r.DecidedAt, r.DecisionReason, r.ExclusionZoneId);

    internal static AuditEntryResponse ToResponse(AuditEntry e) => new(e.Id, e.At, e.Actor, e.Action, e.Target, e.Detail);
}

/// <summary>Per client address fixed-window limit on filing removal requests (this node's count).</summary>
public sealed class RemovalRequestLimiter(IOptions<ModerationOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(address =>
        RateLimitPartition.GetFixedWindowLimiter(address, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = options.Value.RemovalRequestsPerHour,
            Window = TimeSpan.FromHours(1),
            QueueLimit = 0,
        }));

    public bool TryAcquire(string address)
    {
        using var lease = _limiter.AttemptAcquire(address);
        return lease.IsAcquired;
    }

    public void Dispose() => _limiter.Dispose();
}
