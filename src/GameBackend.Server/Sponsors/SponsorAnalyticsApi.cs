using GameBackend.Data.Analytics;
using GameBackend.Server.Hosting;
using GameBackend.Server.Operators;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.Sponsors;

/// <summary>One analytics answer with the parameters it was computed for.</summary>
/// <param name="ZoneId">The zone asked about; null = all of the sponsor's zones.</param>
/// <param name="MinUniquePlayers">k: figures from fewer unique players are null and marked <c>suppressed</c>.</param>
public sealed record AnalyticsResponse<T>(Guid? ZoneId, DateTimeOffset From, DateTimeOffset To, int MinUniquePlayers, T Data);

/// <summary>
/// <c>/api/sponsors/{sponsorId}/analytics/…</c>: a sponsor's own zones only, k-anonymous
/// (<see cref="AnalyticsOptions.MinUniquePlayers"/>). Query: <c>zoneId</c> (optional),
/// <c>from</c>/<c>to</c> (ISO-8601, half-open, at most 31 days).
/// </summary>
public static class SponsorAnalyticsApi
{
    public static IEndpointRouteBuilder MapSponsorAnalyticsApi(this IEndpointRouteBuilder endpoints)
    {
        var analytics = endpoints.MapGroup("/api/sponsors/{sponsorId:guid}/analytics")
            .WithTags("Sponsor analytics")
            .RequireGate<RequirePostgresFilter>()
            .RequireGate<SponsorKeyFilter>()
            .RequireRateLimiting(RequestLimits.SponsorPolicy)
            .RequireAnalyticsSlot()
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        analytics.MapGet("/visits", Visits)
            .WithName("SponsorVisits")
            .WithSummary("Zone visits per hour or day (bucket = entry time): unique players and visits.")
            .WithDescription("Query: zoneId?, from, to, bucket=hour|day (default hour).");
        analytics.MapGet("/dwell", Dwell)
            .WithName("SponsorDwell")
            .WithSummary("Mean dwell time over closed visits that entered in the range.");
        analytics.MapGet("/captures", Captures)
            .WithName("SponsorCaptures")
            .WithSummary("Captures inside the zones' effective areas, by species.");
        analytics.MapGet("/conversion", Conversion)
            .WithName("SponsorConversion")
            .WithSummary("Players shown a zone's creature who then entered the zone within windowMinutes (1–1440, default 60).");
        return endpoints;
    }

    internal static Task<Results<Ok<AnalyticsResponse<IReadOnlyList<VisitBucket>>>, ValidationProblem, ProblemHttpResult>> Visits(
        Guid sponsorId, string? zoneId, string? from, string? to, string? bucket,
        GameStores stores, IOptions<AnalyticsOptions> options, CancellationToken cancellationToken)
    {
        var query = new AnalyticsQuery();
        var unit = query.Bucket(bucket);
        return RunAsync(sponsorId, zoneId, from, to, query, stores, options.Value.MinUniquePlayers,
            (zone, f, t, k) => stores.Analytics.SponsorVisitsAsync(sponsorId, zone, f, t, unit, k, cancellationToken), cancellationToken);
    }

    internal static Task<Results<Ok<AnalyticsResponse<DwellStatistics>>, ValidationProblem, ProblemHttpResult>> Dwell(
        Guid sponsorId, string? zoneId, string? from, string? to,
        GameStores stores, IOptions<AnalyticsOptions> options, CancellationToken cancellationToken) =>
        RunAsync(sponsorId, zoneId, from, to, new AnalyticsQuery(), stores, options.Value.MinUniquePlayers,
            (zone, f, t, k) => stores.Analytics.SponsorDwellAsync(sponsorId, zone, f, t, k, cancellationToken), cancellationToken);

    internal static Task<Results<Ok<AnalyticsResponse<IReadOnlyList<SpeciesCaptures>>>, ValidationProblem, ProblemHttpResult>> Captures(
        Guid sponsorId, string? zoneId, string? from, string? to,
        GameStores stores, IOptions<AnalyticsOptions> options, CancellationToken cancellationToken) =>
        RunAsync(sponsorId, zoneId, from, to, new AnalyticsQuery(), stores, options.Value.MinUniquePlayers,
            (zone, f, t, k) => stores.Analytics.SponsorCapturesBySpeciesAsync(sponsorId, zone, f, t, k, cancellationToken), cancellationToken);

    internal static Task<Results<Ok<AnalyticsResponse<ZoneConversion>>, ValidationProblem, ProblemHttpResult>> Conversion(
        Guid sponsorId, string? zoneId, string? from, string? to, string? windowMinutes,
        GameStores stores, IOptions<AnalyticsOptions> options, CancellationToken cancellationToken)
    {
        var query = new AnalyticsQuery();
        var window = TimeSpan.FromMinutes(Math.Round(query.Number("windowMinutes", windowMinutes, 1, 1440, fallback: 60)));
        return RunAsync(sponsorId, zoneId, from, to, query, stores, options.Value.MinUniquePlayers,
            (zone, f, t, k) => stores.Analytics.SponsorConversionAsync(sponsorId, zone, f, t, window, k, cancellationToken), cancellationToken);
    }

    private static async Task<Results<Ok<AnalyticsResponse<T>>, ValidationProblem, ProblemHttpResult>> RunAsync<T>(
        Guid sponsorId, string? zoneId, string? from, string? to, AnalyticsQuery query, GameStores stores, int k,
        Func<Guid?, DateTimeOffset, DateTimeOffset, int, Task<T>> run, CancellationToken cancellationToken)
    {
        var zone = query.OptionalGuid("zoneId", zoneId);
        var (f, t) = query.Range(from, to);
        if (!query.IsValid)
        {
            return TypedResults.ValidationProblem(query.Errors);
        }

        // Another sponsor's zone looks exactly like a zone that does not exist.
        if (zone is { } id && await stores.Zones.GetAsync(sponsorId, id, cancellationToken) is null)
        {
            return RestProblems.NotFound("The sponsor has no such zone.");
        }

        return TypedResults.Ok(new AnalyticsResponse<T>(zone, f, t, k, await run(zone, f, t, k)));
    }
}
