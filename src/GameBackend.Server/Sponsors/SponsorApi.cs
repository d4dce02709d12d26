using System.Text.Json;
using GameBackend.Data.Audit;
using GameBackend.Data.Zones;
using GameBackend.Server.Hosting;
using GameBackend.Server.Operators;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.Sponsors;

/// <summary>
/// Sponsor accounts (<c>POST /api/sponsors</c>, operator) and each sponsor's zones
/// (<c>/api/sponsors/{sponsorId}/…</c>, <c>X-Api-Key</c>). Wire format: docs/rest.md.
/// </summary>
public static partial class SponsorApi
{
    public static IEndpointRouteBuilder MapSponsorApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/api/sponsors", CreateSponsor)
            .WithName("CreateSponsor")
            .WithTags("Sponsors")
            .WithSummary("Creates a sponsor account (operator only).")
            .WithDescription("Requires X-Admin-Key. The API key in the response is shown once: only its hash is stored.")
            .AcceptsJsonBody(BodyKind.Small)
            .RequireGate<OperatorKeyFilter>()
            .AddEndpointFilter<RequirePostgresFilter>()
            .RequireRateLimiting(RequestLimits.OperatorPolicy)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        endpoints.MapPost("/api/operator/sponsors/{sponsorId:guid}/api-key", RotateApiKey)
            .WithName("ResetSponsorApiKey")
            .WithTags("Sponsors")
            .WithSummary("Issues a new API key for a sponsor that lost its key (operator only).")
            .WithDescription("Requires X-Admin-Key. The old key stops working at once; the new one is shown once.")
            .RequireGate<OperatorKeyFilter>()
            .AddEndpointFilter<RequirePostgresFilter>()
            .RequireRateLimiting(RequestLimits.OperatorPolicy)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        var sponsor = endpoints.MapGroup("/api/sponsors/{sponsorId:guid}")
            .WithTags("Sponsors")
            .RequireGate<RequirePostgresFilter>()
            .RequireGate<SponsorKeyFilter>()
            .RequireRateLimiting(RequestLimits.SponsorPolicy)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        sponsor.MapGet("", GetSponsor)
            .WithName("GetSponsor")
            .WithSummary("The sponsor account of the API key.");

        sponsor.MapPost("/api-key", RotateApiKey)
            .WithName("RotateApiKey")
            .WithSummary("Replaces the sponsor's API key (authenticated with the current one).")
            .WithDescription("The old key stops working at once, on every node; the new one is shown once.");

        var zones = sponsor.MapGroup("/zones").WithTags("Sponsor zones");
        zones.MapPost("", CreateZone)
            .AcceptsJsonBody(BodyKind.Zone)
            .WithName("CreateZone")
            .WithSummary("Creates a sponsor zone (circle or GeoJSON polygon).")
            .WithDescription("The area is clipped by exclusion zones: `clipped` says whether anything was removed and "
                + "`effectiveArea` is what remains. A zone entirely inside exclusion zones is rejected (400).");
        zones.MapGet("", ListZones)
            .WithName("ListZones")
            .WithSummary("The sponsor's zones, oldest first.");
        zones.MapGet("/{zoneId:guid}", GetZone)
            .WithName("GetZone")
            .WithSummary("One of the sponsor's zones.");
        zones.MapPut("/{zoneId:guid}", UpdateZone)
            .AcceptsJsonBody(BodyKind.Zone)
            .WithName("UpdateZone")
            .WithSummary("Replaces a zone's whole definition (same body as create).");
        zones.MapDelete("/{zoneId:guid}", DeleteZone)
            .WithName("DeleteZone")
            .WithSummary("Deletes a zone; its creatures stop spawning. Visit history is kept.");

        endpoints.MapSponsorAnalyticsApi();
        endpoints.MapSponsorBillingApi();
        return endpoints;
    }

    internal static async Task<Results<Created<CreatedSponsorResponse>, ValidationProblem>> CreateSponsor(
        CreateSponsorRequest? request, GameStores stores, Moderation moderation, ILoggerFactory loggers, HttpContext http, CancellationToken cancellationToken)
    {
        var name = request?.Name?.Trim() ?? "";
        if (!ZoneRequestValidator.IsDisplayName(name))
        {
            return RestProblems.Invalid("name", $"name is required: 1–{ZoneRequestValidator.MaxNameLength} printable characters.");
        }

        var created = await stores.Sponsors.CreateAsync(name, cancellationToken);
        var logger = loggers.CreateLogger(typeof(SponsorApi));
        LogSponsorCreated(logger, created.Sponsor.Id);
        await moderation.AuditAsync(OperatorKeyFilter.ActorOf(http), AuditActions.SponsorCreated, created.Sponsor.Id.ToString(), new { name }, cancellationToken);
        return TypedResults.Created(
            $"/api/sponsors/{created.Sponsor.Id}",
            new CreatedSponsorResponse(created.Sponsor.Id, created.Sponsor.Name, created.ApiKey));
    }

    internal static async Task<Results<Ok<SponsorResponse>, ProblemHttpResult>> GetSponsor(
        Guid sponsorId, GameStores stores, CancellationToken cancellationToken) =>
        await stores.Sponsors.GetAsync(sponsorId, cancellationToken) is { } s
            ? TypedResults.Ok(new SponsorResponse(s.Id, s.Name, s.CreatedAt))
            : RestProblems.NotFound("No such sponsor.");

    internal static async Task<Results<Ok<CreatedSponsorResponse>, ProblemHttpResult>> RotateApiKey(
        Guid sponsorId, HttpContext http, GameStores stores, Moderation moderation, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (await stores.Sponsors.RotateApiKeyAsync(sponsorId, cancellationToken) is not { } rotated)
        {
            return RestProblems.NotFound("No such sponsor.");
        }

        // The same handler serves the sponsor's own route and the operator's (a sponsor that lost its key).
        var actor = http.Request.Path.StartsWithSegments("/api/operator") ? OperatorKeyFilter.ActorOf(http) : Actors.Sponsor(sponsorId);
        await moderation.AuditAsync(actor, AuditActions.KeyRotated, sponsorId.ToString(), null, cancellationToken);

        var logger = loggers.CreateLogger(typeof(SponsorApi));
        LogApiKeyRotated(logger, sponsorId);
        return TypedResults.Ok(new CreatedSponsorResponse(rotated.Sponsor.Id, rotated.Sponsor.Name, rotated.ApiKey));
    }

    internal static async Task<Results<Created<ZoneResponse>, ValidationProblem>> CreateZone(
        Guid sponsorId, ZoneRequest? request, GameStores stores, WorldChangeNotifier world, Moderation moderation, IOptions<LimitsOptions> limits,
        CancellationToken cancellationToken)
    {
        if (!ZoneRequestValidator.TryValidate(request, out var input, out var errors))
        {
            return TypedResults.ValidationProblem(errors);
        }

        if (await OverQuotaAsync(sponsorId, null, input!, stores, limits.Value, cancellationToken) is { } quota)
        {
            return quota;
        }

        var saved = await stores.Zones.CreateAsync(sponsorId, input!, moderation.StatusForSponsorWrite, cancellationToken);
        if (saved.Zone is not { } zone)
        {
            return FullyExcluded();
        }

        await moderation.AuditAsync(Actors.Sponsor(sponsorId), AuditActions.ZoneCreated, zone.Id.ToString(),
            new { zone.Name, status = moderation.StatusForSponsorWrite ?? "active" }, cancellationToken);

        await world.SponsorZoneChangedAsync(sponsorId, zone.Id, "created", cancellationToken);
        return TypedResults.Created($"/api/sponsors/{sponsorId}/zones/{zone.Id}", ToResponse(zone));
    }

    internal static async Task<Ok<ZoneResponse[]>> ListZones(Guid sponsorId, GameStores stores, CancellationToken cancellationToken) =>
        TypedResults.Ok((await stores.Zones.ListAsync(sponsorId, cancellationToken)).Select(ToResponse).ToArray());

    internal static async Task<Results<Ok<ZoneResponse>, ProblemHttpResult>> GetZone(
        Guid sponsorId, Guid zoneId, GameStores stores, CancellationToken cancellationToken) =>
        await stores.Zones.GetAsync(sponsorId, zoneId, cancellationToken) is { } zone
            ? TypedResults.Ok(ToResponse(zone))
            : NoSuchZone();

    internal static async Task<Results<Ok<ZoneResponse>, ValidationProblem, ProblemHttpResult>> UpdateZone(
        Guid sponsorId, Guid zoneId, ZoneRequest? request, GameStores stores, WorldChangeNotifier world, Moderation moderation, IOptions<LimitsOptions> limits,
        CancellationToken cancellationToken)
    {
        // Existence first: another sponsor's zone id must answer 404 whatever the body holds.
        if (await stores.Zones.GetAsync(sponsorId, zoneId, cancellationToken) is null)
        {
            return NoSuchZone();
        }

        if (!ZoneRequestValidator.TryValidate(request, out var input, out var errors))
        {
            return TypedResults.ValidationProblem(errors);
        }

        if (await OverQuotaAsync(sponsorId, zoneId, input!, stores, limits.Value, cancellationToken) is { } quota)
        {
            return quota;
        }

        var saved = await stores.Zones.UpdateAsync(sponsorId, zoneId, input!, moderation.StatusForSponsorWrite, cancellationToken);
        if (saved is null)
        {
            return NoSuchZone();
        }

        if (saved.Zone is not { } zone)
        {
            return FullyExcluded();
        }

        await moderation.AuditAsync(Actors.Sponsor(sponsorId), AuditActions.ZoneChanged, zone.Id.ToString(),
            new { zone.Name, status = moderation.StatusForSponsorWrite }, cancellationToken);

        await world.SponsorZoneChangedAsync(sponsorId, zone.Id, "updated", cancellationToken);
        return TypedResults.Ok(ToResponse(zone));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> DeleteZone(
        Guid sponsorId, Guid zoneId, GameStores stores, WorldChangeNotifier world, Moderation moderation, CancellationToken cancellationToken)
    {
        if (!await stores.Zones.DeleteAsync(sponsorId, zoneId, cancellationToken))
        {
            return NoSuchZone();
        }

        await moderation.AuditAsync(Actors.Sponsor(sponsorId), AuditActions.ZoneDeleted, zoneId.ToString(), null, cancellationToken);

        await world.SponsorZoneChangedAsync(sponsorId, zoneId, "deleted", cancellationToken);
        return TypedResults.NoContent();
    }

    internal static ZoneResponse ToResponse(SponsorZone zone) => new(
        zone.Id,
        zone.SponsorId,
        zone.Name,
        zone.Kind == ZoneKind.Circle ? "circle" : "polygon",
        zone.Center is { } c ? new CircleArea { Latitude = c.Y, Longitude = c.X, RadiusMeters = zone.RadiusMeters } : null,
        zone.Kind == ZoneKind.Polygon ? GeoJson.ToJson(zone.RequestedArea) : null,
        [.. zone.SpeciesWeights.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => new SpeciesWeight { SpeciesId = kv.Key, Weight = kv.Value })],
        (double)(decimal)zone.SpawnsPerHour, // the float column read back without binary noise (0.1, not 0.100000001)
        zone.MaxAlive,
        zone.ScheduleJson is { } json ? JsonSerializer.Deserialize<ZoneSchedule>(json, ZoneRequestValidator.ScheduleJson) : null,
        zone.StartsAt,
        zone.EndsAt,
        zone.Clipped,
        GeoJson.ToJson(zone.Area),
        zone.CreatedAt,
        zone.UpdatedAt);

    /// <summary>
    /// The sponsor's quotas (<see cref="LimitsOptions.MaxZonesPerSponsor"/>, <see cref="LimitsOptions.MaxZoneAreaPerSponsorSquareKm"/>)
    /// with this zone saved; null when it fits. Two saves racing may both fit and overshoot by one zone:
    /// the quota bounds cost, it is not a billing figure.
    /// </summary>
    private static async Task<ValidationProblem?> OverQuotaAsync(
        Guid sponsorId, Guid? replacing, SponsorZoneInput input, GameStores stores, LimitsOptions limits, CancellationToken cancellationToken)
    {
        var (zones, areaKm2) = await stores.Zones.UsageAsync(sponsorId, replacing, cancellationToken);
        if (zones + 1 > limits.MaxZonesPerSponsor)
        {
            return RestProblems.Invalid("quota", $"A sponsor may have at most {limits.MaxZonesPerSponsor} zones; delete one first.");
        }

        var thisKm2 = input.Polygon is { } polygon
            ? Domain.Spawning.ZoneGeometry.AreaSquareMeters(polygon) / 1e6
            : Math.PI * Math.Pow(input.RadiusMeters ?? 0, 2) / 1e6;
        if (areaKm2 + thisKm2 > limits.MaxZoneAreaPerSponsorSquareKm)
        {
            return RestProblems.Invalid("quota",
                $"A sponsor's zones may cover at most {limits.MaxZoneAreaPerSponsorSquareKm} km² in all; this zone would make {areaKm2 + thisKm2:0.#} km².");
        }

        return null;
    }

    private static ProblemHttpResult NoSuchZone() => RestProblems.NotFound("The sponsor has no such zone.");

    private static ValidationProblem FullyExcluded() =>
        RestProblems.Invalid("area", "The zone lies entirely inside exclusion zones; nothing would be left to spawn in.");

    [LoggerMessage(EventId = 5100, Level = LogLevel.Information, Message = "Sponsor {SponsorId} created")]
    private static partial void LogSponsorCreated(ILogger logger, Guid sponsorId);

    [LoggerMessage(EventId = 5104, Level = LogLevel.Information, Message = "Sponsor {SponsorId}: API key replaced")]
    private static partial void LogApiKeyRotated(ILogger logger, Guid sponsorId);
}
