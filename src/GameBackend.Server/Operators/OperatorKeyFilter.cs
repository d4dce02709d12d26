namespace GameBackend.Server.Operators;

/// <summary>
/// Admits a request only with the configured <c>X-Admin-Key</c>: 503 while no key is configured,
/// 401 for a missing or wrong key.
/// </summary>
internal sealed partial class OperatorKeyFilter(OperatorKey key, ILogger<OperatorKeyFilter> logger) : IEndpointFilter
{
    public const string Header = "X-Admin-Key";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (!key.IsConfigured)
        {
            return TypedResults.Problem(
                "Operator endpoints are disabled: the admin key is not configured (set Operators:AdminKey).",
                statusCode: StatusCodes.Status503ServiceUnavailable, title: "Admin key not configured");
        }

        var presented = context.HttpContext.Request.Headers[Header].ToString();
        if (!key.Accepts(presented))
        {
            LogRejected(logger, context.HttpContext.Connection.RemoteIpAddress?.ToString() ?? "?", context.HttpContext.Request.Path);
            return RestProblems.Unauthorized($"A valid {Header} header is required.");
        }

        return await next(context);
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "Operator request from {Remote} to {Path} rejected: missing or wrong admin key")]
    private static partial void LogRejected(ILogger logger, string remote, string path);
}
