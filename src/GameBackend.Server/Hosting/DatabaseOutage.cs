using GameBackend.Data;
using Microsoft.AspNetCore.Diagnostics;
using Npgsql;

namespace GameBackend.Server.Hosting;

/// <summary>
/// What a request that needs PostgreSQL gets while PostgreSQL is down or its schema is not migrated
/// yet: 503 problem+json with <c>Retry-After</c>, never a 500. Play itself does not need PostgreSQL
/// (tokens are checked locally, history spills), so only logins and the REST areas that read or
/// write stored data answer this (docs/security.md, finding 6).
/// </summary>
internal static partial class DatabaseOutage
{
    /// <summary>Seconds a client is told to wait: about the background migration's retry step.</summary>
    public const int RetryAfterSeconds = 5;

    public const string Title = "PostgreSQL unavailable";

    public const string Detail = "PostgreSQL is unavailable; play with an issued token goes on. Retry after 5 s.";

    /// <summary>True when this node has PostgreSQL configured but its schema is not current yet.</summary>
    public static bool SchemaPending(IServiceProvider services) =>
        services.GetService<DatabaseStatus>() is { SchemaReady: false };

    /// <summary>The 503 answer; sets <c>Retry-After</c> on the response.</summary>
    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Problem(HttpContext context)
    {
        context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Problem(Detail, statusCode: StatusCodes.Status503ServiceUnavailable, title: Title);
    }

    /// <summary>Turns a failure to reach PostgreSQL during a request into the 503 above.</summary>
    internal sealed partial class ExceptionHandler(IProblemDetailsService problems, ILogger<ExceptionHandler> logger) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
        {
            // Transient: the connection failed or broke. Any other database error while the schema
            // is still pending (a table that does not exist yet) is the same outage seen later.
            if (exception is not NpgsqlException npgsql || !(npgsql.IsTransient || SchemaPending(context.RequestServices)))
            {
                return false;
            }

            LogUnavailable(logger, context.Request.Path, exception.Message);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return await problems.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                Exception = exception,
                ProblemDetails = { Status = StatusCodes.Status503ServiceUnavailable, Title = Title, Detail = Detail },
            });
        }

        [LoggerMessage(EventId = 5320, Level = LogLevel.Warning, Message = "Request to {Path} answered 503: PostgreSQL unavailable ({Reason})")]
        private static partial void LogUnavailable(ILogger logger, PathString path, string reason);
    }
}
