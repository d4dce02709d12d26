using System.Security.Claims;
using GameBackend.Server.Hosting;
using GameBackend.Server.Identity;
using GameBackend.Server.Operators;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GameBackend.Server.Players;

/// <summary>A creature the player caught.</summary>
public sealed record CollectedCreature(string CreatureId, string Species, string Rarity, double Latitude, double Longitude, DateTimeOffset CapturedAt);

/// <summary>
/// Player self-service over the durable history (<c>/api/players/me/…</c>, player bearer token):
/// the collection, and data-subject export / erasure of the location history.
/// </summary>
public static partial class PlayerApi
{
    public const int MaxCollectionItems = 1000;

    public static IEndpointRouteBuilder MapPlayerDataApi(this IEndpointRouteBuilder endpoints)
    {
        var me = endpoints.MapGroup("/api/players/me")
            .WithTags("Players")
            .RequireAuthorization()
            .AddEndpointFilter<RequirePostgresFilter>()
            .RequireRateLimiting(Hosting.RequestLimits.PlayerPolicy)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        me.MapGet("/collection", Collection)
            .WithName("MyCollection")
            .WithSummary("The creatures this player caught, newest first.")
            .WithDescription($"Query: limit (1–{MaxCollectionItems}, default {MaxCollectionItems}).");
        me.MapGet("/history", ExportHistory)
            .WithName("ExportMyHistory")
            .WithSummary("Everything stored about this player, as a GeoJSON FeatureCollection.")
            .WithDescription("Features have property kind = position | capture | zoneVisit | sighting | fairPlay | account; positions, captures and a fairPlay record with a trusted position are Points ([longitude, latitude]). Every stored field is included (accelerometer too); the device secret's hash is not.")
            .Produces(StatusCodes.Status200OK, contentType: "application/geo+json")
            .RequireAnalyticsSlot();
        me.MapDelete("/history", DeleteHistory)
            .WithName("DeleteMyHistory")
            .WithSummary("Erases this player's positions, zone visits, sightings, captures and last trusted position.")
            .WithDescription("Rows accepted before the erasure but not yet written (buffered, journaled, spilled on any node) are dropped, not written. Kept: the account and strikes/ban (fraud prevention).");
        return endpoints;
    }

    internal static async Task<Results<Ok<CollectedCreature[]>, ValidationProblem, ProblemHttpResult>> Collection(
        int? limit, ClaimsPrincipal user, PlayerTokens tokens, GameStores stores, CancellationToken cancellationToken)
    {
        if (tokens.PlayerIdOf(user) is not { } playerId)
        {
            return NoPlayer();
        }

        if (limit is < 1 or > MaxCollectionItems)
        {
            return RestProblems.Invalid("limit", $"limit must be in [1, {MaxCollectionItems}].");
        }

        var caught = await stores.Players.CollectionAsync(playerId, limit ?? MaxCollectionItems, cancellationToken);
        var creatures = caught.Select(c => new CollectedCreature(c.CreatureId, c.Species, c.Rarity, c.Latitude, c.Longitude, c.CapturedAt));
        return TypedResults.Ok(creatures.ToArray());
    }

    internal static Results<PushStreamHttpResult, ProblemHttpResult> ExportHistory(
        ClaimsPrincipal user, PlayerTokens tokens, GameStores stores, CancellationToken cancellationToken)
    {
        if (tokens.PlayerIdOf(user) is not { } playerId)
        {
            return NoPlayer();
        }

        // Streamed straight from the database to the client: a long history never sits in memory.
        return TypedResults.Stream(
            body => stores.Players.ExportPlayerAsync(playerId, body, cancellationToken),
            contentType: "application/geo+json",
            fileDownloadName: null);
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> DeleteHistory(
        ClaimsPrincipal user, PlayerTokens tokens, GameStores stores, Moderation moderation, Hosting.GameClock clock, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (tokens.PlayerIdOf(user) is not { } playerId)
        {
            return NoPlayer();
        }

        // The game clock: it is the clock the buffered rows carry, which the tombstone is compared with.
        var deleted = await stores.Players.DeletePlayerAsync(playerId, clock.UtcNow, cancellationToken);
        // The trail says that (and how much) was erased, never what: no positions in the audit log.
        await moderation.AuditAsync(Actors.Player(playerId), Data.Audit.AuditActions.DataErased, playerId,
            new { deleted.Positions, deleted.Visits, deleted.Sightings, deleted.Captures }, cancellationToken);
        var logger = loggers.CreateLogger(typeof(PlayerApi));
        LogErased(logger, playerId, deleted.Positions, deleted.Visits, deleted.Sightings, deleted.Captures);
        return TypedResults.NoContent();
    }

    private static ProblemHttpResult NoPlayer() =>
        TypedResults.Problem("The token carries no player id.", statusCode: StatusCodes.Status403Forbidden, title: "Forbidden");

    [LoggerMessage(EventId = 5200, Level = LogLevel.Information, Message = "Player {PlayerId} erased their history: {Positions} positions, {Visits} visits, {Sightings} sightings, {Captures} captures")]
    private static partial void LogErased(ILogger logger, string playerId, long positions, long visits, long sightings, long captures);
}
