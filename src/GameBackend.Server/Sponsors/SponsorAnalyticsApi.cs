using GameBackend.Data.Analytics;
using GameBackend.Data.Billing;
using GameBackend.Server.Hosting;
using GameBackend.Server.Operators;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.Sponsors;

/// <summary>One analytics answer with the parameters it was computed for.</summary>
/// <param name="ZoneId">The zone asked about; null = all of the sponsor's zones.</param>
/// <param name="From">Start of the range answered: the request's, snapped down to a whole bucket.</param>
/// <param name="To">End of the range answered: snapped up to a whole bucket, and never past the start of the current (still open) bucket.</param>
/// <param name="MinUniquePlayers">k: only zone-hours with at least k unique players count; buckets and species under k are left out.</param>
public sealed record AnalyticsResponse<T>(Guid? ZoneId, DateTimeOffset From, DateTimeOffset To, int MinUniquePlayers, T Data);

/// <summary>
/// <c>/api/sponsors/{sponsorId}/analytics/…</c>: a sponsor's own zones only, k-anonymous
/// (<see cref="AnalyticsOptions.MinUniquePlayers"/>) per zone and hour, zones of at least
/// <see cref="AnalyticsOptions.MinZoneAreaSquareMeters"/>. Query: <c>zoneId</c> (optional),
/// <c>from</c>/<c>to</c> (ISO-8601, half-open, at most 31 days; snapped to whole buckets that are
/// over), <c>bucket</c> = hour | day (default hour). See docs/history.md (privacy).
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
            .WithDescription("Query: zoneId?, from, to, bucket=hour|day (default hour). Buckets under k unique players are omitted.");
        analytics.MapGet("/dwell", Dwell)
            .WithName("SponsorDwell")
            .WithSummary("Mean dwell time over closed visits that entered in the range.");
        analytics.MapGet("/captures", Captures)
            .WithName("SponsorCaptures")
            .WithSummary("Captures inside the zones' effective areas, by species.");
        analytics.MapGet("/conversion", Conversion)
            .WithName("SponsorConversion")
            .WithSummary("Players shown a zone's creature who then entered the zone within windowMinutes (1–1440, default 60).");
        analytics.MapGet("/funnel", Funnel)
            .WithName("SponsorFunnel")
            .WithSummary("Conversion funnel per UTC day: unique players shown a zone's creature, who entered, who stayed the minimum dwell (qualified), who captured one of its creatures.")
            .WithDescription("Computed from raw history; `qualified` is what the statement bills. from/to are rounded out to whole UTC days.");
        analytics.MapGet("/dwell-histogram", DwellHistogram)
            .WithName("SponsorDwellHistogram")
            .WithSummary("Closed visits by dwell: under 1 min, 1–5, 5–15, 15–30, 30–60 min, 60 min or more.");
        return endpoints;
    }

    internal static Task<Results<Ok<AnalyticsResponse<IReadOnlyList<VisitBucket>>>, ValidationProblem, ProblemHttpResult>> Visits(
        Guid sponsorId, string? zoneId, string? from, string? to, string? bucket,
        GameStores stores, IOptions<AnalyticsOptions> options, Hosting.GameClock clock, CancellationToken cancellationToken)
    {
        var query = new AnalyticsQuery();
        var unit = query.Bucket(bucket);
        var o = options.Value;
        return RunAsync(sponsorId, zoneId, from, to, unit, query, stores, o, clock,
            (zone, f, t) => stores.Analytics.SponsorVisitsAsync(sponsorId, zone, f, t, unit, o.MinUniquePlayers, o.MinZoneAreaSquareMeters, cancellationToken),
            () => [], cancellationToken);
    }

    internal static Task<Results<Ok<AnalyticsResponse<DwellStatistics>>, ValidationProblem, ProblemHttpResult>> Dwell(
        Guid sponsorId, string? zoneId, string? from, string? to, string? bucket,
        GameStores stores, IOptions<AnalyticsOptions> options, Hosting.GameClock clock, CancellationToken cancellationToken)
    {
        var query = new AnalyticsQuery();
        var unit = query.Bucket(bucket);
        var o = options.Value;
        return RunAsync(sponsorId, zoneId, from, to, unit, query, stores, o, clock,
            (zone, f, t) => stores.Analytics.SponsorDwellAsync(sponsorId, zone, f, t, o.MinUniquePlayers, o.MinZoneAreaSquareMeters, cancellationToken),
            () => new DwellStatistics(null, null, null, true), cancellationToken);
    }

    internal static Task<Results<Ok<AnalyticsResponse<IReadOnlyList<SpeciesCaptures>>>, ValidationProblem, ProblemHttpResult>> Captures(
        Guid sponsorId, string? zoneId, string? from, string? to, string? bucket,
        GameStores stores, IOptions<AnalyticsOptions> options, Hosting.GameClock clock, CancellationToken cancellationToken)
    {
        var query = new AnalyticsQuery();
        var unit = query.Bucket(bucket);
        var o = options.Value;
        return RunAsync(sponsorId, zoneId, from, to, unit, query, stores, o, clock,
            (zone, f, t) => stores.Analytics.SponsorCapturesBySpeciesAsync(sponsorId, zone, f, t, o.MinUniquePlayers, o.MinZoneAreaSquareMeters, cancellationToken),
            () => [], cancellationToken);
    }

    internal static Task<Results<Ok<AnalyticsResponse<ZoneConversion>>, ValidationProblem, ProblemHttpResult>> Conversion(
        Guid sponsorId, string? zoneId, string? from, string? to, string? bucket, string? windowMinutes,
        GameStores stores, IOptions<AnalyticsOptions> options, Hosting.GameClock clock, CancellationToken cancellationToken)
    {
        var query = new AnalyticsQuery();
        var unit = query.Bucket(bucket);
        var window = TimeSpan.FromMinutes(Math.Round(query.Number("windowMinutes", windowMinutes, 1, 1440, fallback: 60)));
        var o = options.Value;
        return RunAsync(sponsorId, zoneId, from, to, unit, query, stores, o, clock,
            (zone, f, t) => stores.Analytics.SponsorConversionAsync(sponsorId, zone, f, t, window, o.MinUniquePlayers, o.MinZoneAreaSquareMeters, cancellationToken),
            () => new ZoneConversion(null, null, null, true), cancellationToken);
    }

    // Whole past days, like every other figure: the funnel and the dwell distribution resist the same
    // differencing (see AnalyticsWindow), and their queries leave out what fewer than k players make.
    internal static Task<Results<Ok<AnalyticsResponse<IReadOnlyList<FunnelDay>>>, ValidationProblem, ProblemHttpResult>> Funnel(
        Guid sponsorId, string? zoneId, string? from, string? to,
        GameStores stores, IOptions<AnalyticsOptions> options, Hosting.GameClock clock, CancellationToken cancellationToken)
    {
        var o = options.Value;
        return RunAsync(sponsorId, zoneId, from, to, TimeBucket.Day, new AnalyticsQuery(), stores, o, clock,
            (zone, f, t) => stores.Billing.FunnelAsync(sponsorId, zone, UtcDay(f), UtcDayCeiling(t), o.MinUniquePlayers, cancellationToken),
            () => [], cancellationToken);
    }

    internal static Task<Results<Ok<AnalyticsResponse<IReadOnlyList<DwellBucket>>>, ValidationProblem, ProblemHttpResult>> DwellHistogram(
        Guid sponsorId, string? zoneId, string? from, string? to,
        GameStores stores, IOptions<AnalyticsOptions> options, Hosting.GameClock clock, CancellationToken cancellationToken)
    {
        var o = options.Value;
        return RunAsync(sponsorId, zoneId, from, to, TimeBucket.Day, new AnalyticsQuery(), stores, o, clock,
            (zone, f, t) => stores.Billing.DwellHistogramAsync(sponsorId, zone, f, t, o.MinUniquePlayers, cancellationToken),
            () => [], cancellationToken);
    }

    private static DateOnly UtcDay(DateTimeOffset at) => DateOnly.FromDateTime(at.UtcDateTime);

    private static DateOnly UtcDayCeiling(DateTimeOffset at) =>
        at.UtcDateTime.TimeOfDay == TimeSpan.Zero ? UtcDay(at) : UtcDay(at).AddDays(1);

    private static async Task<Results<Ok<AnalyticsResponse<T>>, ValidationProblem, ProblemHttpResult>> RunAsync<T>(
        Guid sponsorId, string? zoneId, string? from, string? to, TimeBucket bucket, AnalyticsQuery query, GameStores stores,
        AnalyticsOptions options, Hosting.GameClock clock,
        Func<Guid?, DateTimeOffset, DateTimeOffset, Task<T>> run, Func<T> nothing, CancellationToken cancellationToken)
    {
        var zone = query.OptionalGuid("zoneId", zoneId);
        var (f, t) = query.Range(from, to);
        if (!query.IsValid)
        {
            return TypedResults.ValidationProblem(query.Errors);
        }

        if (zone is { } id)
        {
            // Another sponsor's zone looks exactly like a zone that does not exist.
            if (await stores.Analytics.SponsorZoneAreaAsync(sponsorId, id, cancellationToken) is not { } area)
            {
                return RestProblems.NotFound("The sponsor has no such zone.");
            }

            if (area < options.MinZoneAreaSquareMeters)
            {
                query.Fail("zoneId", $"The zone covers {area:0} m²; analytics need at least {options.MinZoneAreaSquareMeters:0} m².");
                return TypedResults.ValidationProblem(query.Errors);
            }
        }

        // Whole buckets that are over (see AnalyticsWindow); the answer echoes the range it covers.
        var window = AnalyticsWindow.Snap(f, t, bucket, clock.UtcNow);
        var data = window.IsEmpty ? nothing() : await run(zone, window.From, window.To);
        return TypedResults.Ok(new AnalyticsResponse<T>(zone, window.From, window.To, options.MinUniquePlayers, data));
    }
}
