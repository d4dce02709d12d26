using Microsoft.AspNetCore.Http.HttpResults;

namespace GameBackend.Server.Operators;

/// <summary>The problem-details answers every REST area shares, so they read the same everywhere.</summary>
internal static class RestProblems
{
    public static ProblemHttpResult Unauthorized(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized");

    public static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: "Not found");

    public static ProblemHttpResult RequiresPostgres() =>
        TypedResults.Problem(
            "This endpoint requires PostgreSQL: set ConnectionStrings:Postgres.",
            statusCode: StatusCodes.Status503ServiceUnavailable, title: "Requires PostgreSQL");

    public static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });
}
