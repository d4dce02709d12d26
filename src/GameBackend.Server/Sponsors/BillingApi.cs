using System.Globalization;
using CsvHelper;
using GameBackend.Data.Billing;
using GameBackend.Server.Operators;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.OpenApi;

using GameBackend.Server.Hosting;

namespace GameBackend.Server.Sponsors;

/// <summary>Price, budgets and spend of one zone. Amounts in the operator's currency; a null budget has no limit.</summary>
/// <param name="Status"><c>active</c>, <c>paused_budget</c>, <c>pending_approval</c> or <c>rejected</c>; only an active zone spawns.</param>
/// <param name="Day">The UTC day <c>*Today</c> refers to.</param>
/// <param name="LeftToday">What is left of today's budget; null = no daily limit.</param>
/// <param name="LeftTotal">What is left of the total budget; null = no total limit.</param>
public sealed record ZoneBudgetResponse(
    Guid ZoneId, string ZoneName, string Status, decimal PricePerVisit, decimal? DailyBudget, decimal? TotalBudget, int MinDwellSeconds,
    DateOnly Day, int VisitsToday, decimal SpentToday, decimal SpentTotal, decimal? LeftToday, decimal? LeftTotal)
{
    internal static ZoneBudgetResponse From(ZoneBudget b) => new(
        b.ZoneId, b.ZoneName, b.Status, b.Settings.PricePerVisit, b.Settings.DailyBudget, b.Settings.TotalBudget, b.Settings.MinDwellSeconds,
        b.Day, b.VisitsToday, b.SpentToday, b.SpentTotal, b.LeftToday, b.LeftTotal);
}

/// <summary>Body of <c>PUT …/zones/{zoneId}/budget</c>. A top-up is a higher <see cref="TotalBudget"/> or <see cref="DailyBudget"/>.</summary>
/// <param name="PricePerVisit">Charged once per unique player per zone and UTC day whose visit lasted at least <see cref="MinDwellSeconds"/>; 0–10 000, 2 decimals.</param>
/// <param name="DailyBudget">Per UTC day; null = no limit.</param>
/// <param name="TotalBudget">Over the zone's life; null = no limit.</param>
/// <param name="MinDwellSeconds">0–86 400 (default 60).</param>
public sealed record ZoneBudgetRequest(decimal? PricePerVisit, decimal? DailyBudget, decimal? TotalBudget, int? MinDwellSeconds);

/// <summary>One zone on one UTC day: qualifying visits (unique players), the ones charged and the amount.</summary>
/// <param name="ZoneName">Null for a zone deleted since.</param>
public sealed record StatementLineResponse(DateOnly Day, Guid ZoneId, string? ZoneName, int Visits, int ChargedVisits, decimal Amount);

/// <summary>A sponsor's monthly statement (UTC days of <see cref="Month"/>, <c>yyyy-MM</c>).</summary>
public sealed record StatementResponse(Guid SponsorId, string Month, int Visits, int ChargedVisits, decimal Amount, IReadOnlyList<StatementLineResponse> Lines);

/// <summary>
/// <c>/api/sponsors/{sponsorId}/budgets</c>, <c>…/zones/{zoneId}/budget</c> and
/// <c>…/statements/{month}</c>: a sponsor's own zones only (<see cref="SponsorKeyFilter"/>; another
/// sponsor's zone answers 404 exactly like a missing one).
/// </summary>
public static class BillingApi
{
    private const decimal MaxPrice = 10_000m;
    private const decimal MaxBudget = 1_000_000_000m;

    public static IEndpointRouteBuilder MapSponsorBillingApi(this IEndpointRouteBuilder endpoints)
    {
        var billing = endpoints.MapGroup("/api/sponsors/{sponsorId:guid}")
            .WithTags("Sponsor billing")
            .RequireGate<RequirePostgresFilter>()
            .RequireGate<SponsorKeyFilter>()
            .RequireRateLimiting(RequestLimits.SponsorPolicy)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        billing.MapGet("/budgets", ListBudgets)
            .WithName("ListZoneBudgets")
            .WithSummary("Every zone's status, price, budgets, spend and what is left (today = the current UTC day).");
        billing.MapGet("/zones/{zoneId:guid}/budget", GetBudget)
            .WithName("GetZoneBudget")
            .WithSummary("One zone's status, price, budgets, spend and what is left.");
        billing.MapPut("/zones/{zoneId:guid}/budget", SetBudget)
            .WithName("SetZoneBudget")
            .WithSummary("Sets a zone's price per qualifying visit, daily and total budget and minimum dwell (a top-up is a higher budget).")
            .WithDescription("A zone whose budget is spent stops spawning at once on every node; raising the budget resumes it at once. "
                + "Does not change the zone's definition, so it never sends the zone back for approval.");
        billing.MapGet("/statements/{month}", Statement)
            .WithName("GetStatement")
            .WithSummary("Monthly statement: qualifying visits, charged visits and amount per zone per UTC day.")
            .WithDescription("month is yyyy-MM. JSON by default; CSV with ?format=csv or Accept: text/csv.")
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                // The typed result describes the JSON form; the CSV form of the same 200 is added here.
                if (operation.Responses?.TryGetValue("200", out var ok) == true && ok.Content is { } content)
                {
                    content["text/csv"] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String } };
                }

                return Task.CompletedTask;
            });
        return endpoints;
    }

    internal static async Task<Ok<ZoneBudgetResponse[]>> ListBudgets(Guid sponsorId, GameStores stores, ZoneBudgets budgets, CancellationToken cancellationToken)
    {
        var list = await Store(stores).ListBudgetsAsync(sponsorId, budgets.Today, cancellationToken);
        return TypedResults.Ok(list.Select(ZoneBudgetResponse.From).ToArray());
    }

    internal static async Task<Results<Ok<ZoneBudgetResponse>, ProblemHttpResult>> GetBudget(
        Guid sponsorId, Guid zoneId, GameStores stores, ZoneBudgets budgets, CancellationToken cancellationToken) =>
        await Store(stores).GetBudgetAsync(sponsorId, zoneId, budgets.Today, cancellationToken) is { } budget
            ? TypedResults.Ok(ZoneBudgetResponse.From(budget))
            : RestProblems.NotFound("The sponsor has no such zone.");

    internal static async Task<Results<Ok<ZoneBudgetResponse>, ValidationProblem, ProblemHttpResult>> SetBudget(
        Guid sponsorId, Guid zoneId, ZoneBudgetRequest? request, GameStores stores, ZoneBudgets budgets, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var price = request?.PricePerVisit;
        if (price is null || price < 0 || price > MaxPrice || decimal.Round(price.Value, 2) != price.Value)
        {
            errors["pricePerVisit"] = [$"pricePerVisit is required, 0–{MaxPrice:0} with at most 2 decimals."];
        }

        CheckBudget("dailyBudget", request?.DailyBudget, errors);
        CheckBudget("totalBudget", request?.TotalBudget, errors);
        var dwell = request?.MinDwellSeconds ?? 60;
        if (dwell is < 0 or > 86_400)
        {
            errors["minDwellSeconds"] = ["minDwellSeconds must be 0–86400."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var settings = new ZoneBudgetSettings(price!.Value, request!.DailyBudget, request.TotalBudget, dwell);
        if (await Store(stores).SetBudgetAsync(sponsorId, zoneId, settings, budgets.Today, cancellationToken) is not { } result)
        {
            return RestProblems.NotFound("The sponsor has no such zone.");
        }

        if (result.Change is { } change)
        {
            await budgets.NotifyAsync([change]);
        }

        return TypedResults.Ok(ZoneBudgetResponse.From(result.Budget));
    }

    internal static async Task<Results<Ok<StatementResponse>, FileContentHttpResult, ValidationProblem>> Statement(
        Guid sponsorId, string month, string? format, HttpRequest http, GameStores stores, CancellationToken cancellationToken)
    {
        if (!DateOnly.TryParseExact(month, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.None, out var first))
        {
            return RestProblems.Invalid("month", "month must be yyyy-MM, e.g. 2030-06.");
        }

        var csv = string.Equals(format, "csv", StringComparison.OrdinalIgnoreCase)
            || (format is null && http.Headers.Accept.ToString().Contains("text/csv", StringComparison.OrdinalIgnoreCase));
        if (format is not null && !csv && !string.Equals(format, "json", StringComparison.OrdinalIgnoreCase))
        {
            return RestProblems.Invalid("format", "format must be json or csv.");
        }

        var lines = await Store(stores).StatementAsync(sponsorId, first, first.AddMonths(1), cancellationToken);
        var body = new StatementResponse(
            sponsorId, month, lines.Sum(l => l.Visits), lines.Sum(l => l.ChargedVisits), lines.Sum(l => l.Amount),
            [.. lines.Select(l => new StatementLineResponse(l.Day, l.ZoneId, l.ZoneName, l.Visits, l.ChargedVisits, l.Amount))]);
        return csv
            ? TypedResults.File(ToCsv(body), "text/csv; charset=utf-8", $"statement-{month}.csv")
            : TypedResults.Ok(body);
    }

    /// <summary>One row per line, header first. Zone names are sponsor text: CsvHelper's
    /// injection escaping keeps a name like <c>=HYPERLINK(…)</c> from becoming a spreadsheet formula.</summary>
    internal static byte[] ToCsv(StatementResponse statement)
    {
        using var stream = new MemoryStream();
        using (var csv = CsvWriter.Create(stream, new CsvWriterOptions { Injection = CsvInjection.Escape }, true))
        {
            csv.WriteRecord(["day", "zoneId", "zoneName", "visits", "chargedVisits", "amount"]);
            foreach (var l in statement.Lines)
            {
                csv.WriteRecord([
                    l.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), l.ZoneId.ToString(), l.ZoneName ?? "",
                    l.Visits.ToString(CultureInfo.InvariantCulture), l.ChargedVisits.ToString(CultureInfo.InvariantCulture),
                    l.Amount.ToString("0.00", CultureInfo.InvariantCulture)]);
            }
        }

        return stream.ToArray();
    }

    private static void CheckBudget(string field, decimal? value, Dictionary<string, string[]> errors)
    {
        if (value is { } v && (v < 0 || v > MaxBudget || decimal.Round(v, 2) != v))
        {
            errors[field] = [$"{field} must be empty (no limit) or 0–{MaxBudget:0} with at most 2 decimals."];
        }
    }

    private static BillingStore Store(GameStores stores) => stores.Billing;
}
