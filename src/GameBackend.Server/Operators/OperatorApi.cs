using System.Text.Json;
using GameBackend.Data.Analytics;
using GameBackend.Data.Audit;
using GameBackend.Server.Hosting;
using GameBackend.Server.Sponsors;
using Microsoft.AspNetCore.Http.HttpResults;
using NetTopologySuite.Geometries;

namespace GameBackend.Server.Operators;

/// <summary>Body of <c>POST /api/exclusion-zones</c>.</summary>
public sealed class ExclusionZoneRequest
{
    /// <summary>Display name, 1–100 characters.</summary>
    public string? Name { get; init; }

    /// <summary>A GeoJSON Polygon or MultiPolygon ([longitude, latitude]).</summary>
    public JsonElement? Polygon { get; init; }
}

/// <summary>An area where nothing may be sponsored or spawned.</summary>
public sealed record ExclusionZoneResponse(Guid Id, string Name, JsonElement Polygon, DateTimeOffset CreatedAt);

/// <summary>A GeoJSON FeatureCollection of heatmap grid cells.</summary>
/// <param name="Type">Always <c>FeatureCollection</c>.</param>
public sealed record HeatmapResponse(string Type, DateTimeOffset From, DateTimeOffset To, double CellDegrees, IReadOnlyList<HeatmapFeature> Features);

/// <summary>One grid cell. <paramref name="Type"/> is always <c>Feature</c>.</summary>
public sealed record HeatmapFeature(string Type, PolygonGeometry Geometry, HeatmapCellProperties Properties);

/// <summary>A GeoJSON Polygon. <paramref name="Type"/> is always <c>Polygon</c>; coordinates are [longitude, latitude].</summary>
public sealed record PolygonGeometry(string Type, double[][][] Coordinates);

/// <summary><paramref name="Count"/>: position samples in the cell; <paramref name="Players"/>: distinct players.</summary>
public sealed record HeatmapCellProperties(long Count, long Players);

/// <summary>An operator answer over a time range.</summary>
public sealed record OperatorSeriesResponse<T>(DateTimeOffset From, DateTimeOffset To, IReadOnlyList<T> Data);

/// <summary>
/// Operator-only endpoints (<c>X-Admin-Key</c>): exclusion zones and whole-game analytics.
/// </summary>
public static class OperatorApi
{
    /// <summary>Most cells one heatmap request may return.</summary>
    public const int MaxHeatmapCells = 250_000;

    public static IEndpointRouteBuilder MapOperatorApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapOperatorSessionApi();
        endpoints.MapModerationApi();
        var exclusions = endpoints.MapGroup("/api/exclusion-zones")
            .WithTags("Exclusion zones")
            .RequireGate<OperatorKeyFilter>()
            .AddEndpointFilter<RequirePostgresFilter>()
            .RequireRateLimiting(RequestLimits.OperatorPolicy)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        exclusions.MapPost("", CreateExclusion)
            .AcceptsJsonBody(BodyKind.Zone)
            .WithName("CreateExclusionZone")
            .WithSummary("Creates an exclusion zone; creatures inside it despawn at once.")
            .WithDescription("Sponsor zones created or updated afterwards are clipped by it (`clipped: true`).");
        exclusions.MapGet("", ListExclusions)
            .WithName("ListExclusionZones")
            .WithSummary("All exclusion zones, oldest first.");
        exclusions.MapDelete("/{exclusionZoneId:guid}", DeleteExclusion)
            .WithName("DeleteExclusionZone")
            .WithSummary("Deletes an exclusion zone.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        var op = endpoints.MapGroup("/api/operator")
            .WithTags("Operator analytics")
            .RequireGate<OperatorKeyFilter>()
            .AddEndpointFilter<RequirePostgresFilter>()
            .RequireRateLimiting(RequestLimits.OperatorPolicy)
            .RequireAnalyticsSlot()
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        op.MapGet("/heatmap", Heatmap)
            .WithName("OperatorHeatmap")
            .WithSummary("Position samples on a lon/lat grid as a GeoJSON FeatureCollection.")
            .WithDescription("Query: minLon, minLat, maxLon, maxLat, from, to (≤ 31 days), cellDegrees (0.0005–1, default 0.01). "
                + $"At most {MaxHeatmapCells} grid cells. Only non-empty cells are returned.");
        op.MapGet("/spawns-captures", SpawnsAndCaptures)
            .WithName("OperatorSpawnsCaptures")
            .WithSummary("Spawns and captures per species and rarity.");
        op.MapGet("/active-players", ActivePlayers)
            .WithName("OperatorActivePlayers")
            .WithSummary("Distinct players with at least one position per hour or day.");
        return endpoints;
    }

    internal static async Task<Results<Created<ExclusionZoneResponse>, ValidationProblem>> CreateExclusion(
        ExclusionZoneRequest? request, GameStores stores, WorldChangeNotifier world, Moderation moderation, HttpContext http, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var name = request?.Name?.Trim() ?? "";
        if (!ZoneRequestValidator.IsDisplayName(name))
        {
            errors["name"] = [$"name is required: 1–{ZoneRequestValidator.MaxNameLength} printable characters."];
        }

        Geometry? area = null;
        if (request?.Polygon is not { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } json)
        {
            errors["polygon"] = ["polygon is required: a GeoJSON Polygon or MultiPolygon."];
        }
        else if (!GeoJson.TryParseArea(json, [typeof(Polygon), typeof(MultiPolygon)], out area, out var error))
        {
            errors["polygon"] = ["polygon " + error];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var zone = await stores.Zones.CreateExclusionAsync(name, area!, cancellationToken);
        await moderation.AuditAsync(OperatorKeyFilter.ActorOf(http), AuditActions.ExclusionCreated, zone.Id.ToString(), new { name }, cancellationToken);
        await world.ExclusionZoneCreatedAsync(zone.Id, zone.Area, cancellationToken);
        return TypedResults.Created($"/api/exclusion-zones/{zone.Id}", ToResponse(zone));
    }

    internal static async Task<Ok<ExclusionZoneResponse[]>> ListExclusions(GameStores stores, CancellationToken cancellationToken) =>
        TypedResults.Ok((await stores.Zones.ListExclusionsAsync(cancellationToken)).Select(ToResponse).ToArray());

    internal static async Task<Results<NoContent, ProblemHttpResult>> DeleteExclusion(
        Guid exclusionZoneId, GameStores stores, WorldChangeNotifier world, Moderation moderation, HttpContext http, CancellationToken cancellationToken)
    {
        if (!await stores.Zones.DeleteExclusionAsync(exclusionZoneId, cancellationToken))
        {
            return RestProblems.NotFound("No such exclusion zone.");
        }

        await moderation.AuditAsync(OperatorKeyFilter.ActorOf(http), AuditActions.ExclusionDeleted, exclusionZoneId.ToString(), null, cancellationToken);

        await world.ExclusionZoneDeletedAsync(exclusionZoneId, cancellationToken);
        return TypedResults.NoContent();
    }

    internal static async Task<Results<Ok<HeatmapResponse>, ValidationProblem>> Heatmap(
        string? minLon, string? minLat, string? maxLon, string? maxLat, string? from, string? to, string? cellDegrees,
        GameStores stores, CancellationToken cancellationToken)
    {
        var (response, errors) = await HeatmapAsync(minLon, minLat, maxLon, maxLat, from, to, cellDegrees, stores, cancellationToken);
        return response is not null ? TypedResults.Ok(response) : TypedResults.ValidationProblem(errors!);
    }

    /// <summary>The heatmap for REST and the console's hub call: an answer, or the validation errors.</summary>
    internal static async Task<(HeatmapResponse? Response, IDictionary<string, string[]>? Errors)> HeatmapAsync(
        string? minLon, string? minLat, string? maxLon, string? maxLat, string? from, string? to, string? cellDegrees,
        GameStores stores, CancellationToken cancellationToken)
    {
        var query = new AnalyticsQuery();
        var x0 = query.Number("minLon", minLon, -180, 180);
        var y0 = query.Number("minLat", minLat, -90, 90);
        var x1 = query.Number("maxLon", maxLon, -180, 180);
        var y1 = query.Number("maxLat", maxLat, -90, 90);
        var cell = query.Number("cellDegrees", cellDegrees, 0.0005, 1, fallback: 0.01);
        var (f, t) = query.Range(from, to);
        if (query.IsValid)
        {
            if (x1 <= x0 || y1 <= y0)
            {
                query.Fail("bbox", "The box needs minLon < maxLon and minLat < maxLat.");
            }
            else if (Math.Ceiling((x1 - x0) / cell) * Math.Ceiling((y1 - y0) / cell) > MaxHeatmapCells)
            {
                query.Fail("cellDegrees", $"More than {MaxHeatmapCells} cells: use a larger cellDegrees or a smaller box.");
            }
        }

        if (!query.IsValid)
        {
            return (null, query.Errors);
        }

        var cells = await stores.Analytics.HeatmapAsync(x0, y0, x1, y1, f, t, cell, cancellationToken: cancellationToken);
        var features = cells.Select(c => new HeatmapFeature(
            "Feature",
            new PolygonGeometry("Polygon",
            [[
                [c.MinLongitude, c.MinLatitude], [c.MaxLongitude, c.MinLatitude], [c.MaxLongitude, c.MaxLatitude],
                [c.MinLongitude, c.MaxLatitude], [c.MinLongitude, c.MinLatitude],
            ]]),
            new HeatmapCellProperties(c.Samples, c.UniquePlayers))).ToArray();
        return (new HeatmapResponse("FeatureCollection", f, t, cell, features), null);
    }

    internal static async Task<Results<Ok<OperatorSeriesResponse<SpeciesRarityCounts>>, ValidationProblem>> SpawnsAndCaptures(
        string? from, string? to, GameStores stores, CancellationToken cancellationToken)
    {
        var query = new AnalyticsQuery();
        var (f, t) = query.Range(from, to);
        return query.IsValid
            ? TypedResults.Ok(new OperatorSeriesResponse<SpeciesRarityCounts>(f, t, await stores.Analytics.SpawnsAndCapturesAsync(f, t, cancellationToken)))
            : TypedResults.ValidationProblem(query.Errors);
    }

    internal static async Task<Results<Ok<OperatorSeriesResponse<ActivePlayersBucket>>, ValidationProblem>> ActivePlayers(
        string? from, string? to, string? bucket, GameStores stores, CancellationToken cancellationToken)
    {
        var query = new AnalyticsQuery();
        var unit = query.Bucket(bucket);
        var (f, t) = query.Range(from, to);
        return query.IsValid
            ? TypedResults.Ok(new OperatorSeriesResponse<ActivePlayersBucket>(f, t, await stores.Analytics.ActivePlayersAsync(f, t, unit, cancellationToken)))
            : TypedResults.ValidationProblem(query.Errors);
    }

    private static ExclusionZoneResponse ToResponse(Data.Zones.ExclusionZone zone) =>
        new(zone.Id, zone.Name, GeoJson.ToJson(zone.Area), zone.CreatedAt);
}
