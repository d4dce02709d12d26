namespace GameBackend.Server.Operators;

/// <summary>
/// Admits a request only with the configured <c>X-Admin-Key</c>: 503 while no key is configured,
/// 401 for a missing or wrong key. Runs as a gate, before the endpoint binds its body.
/// </summary>
internal sealed partial class OperatorKeyFilter(OperatorKey key, ILogger<OperatorKeyFilter> logger) : Hosting.IRequestGate
{
    public const string Header = "X-Admin-Key";

    public ValueTask<IResult?> CheckAsync(HttpContext http)
    {
        if (!key.IsConfigured)
        {
            return ValueTask.FromResult<IResult?>(TypedResults.Problem(
                "Operator endpoints are disabled: the admin key is not configured (set Operators:AdminKey).",
                statusCode: StatusCodes.Status503ServiceUnavailable, title: "Admin key not configured"));
        }

        var presented = http.Request.Headers[Header].ToString();
        if (!key.Accepts(presented))
        {
            LogRejected(logger, http.Connection.RemoteIpAddress?.ToString() ?? "?", http.Request.Path);
            return ValueTask.FromResult<IResult?>(RestProblems.Unauthorized($"A valid {Header} header is required."));
        }

        return ValueTask.FromResult<IResult?>(null);
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "Operator request from {Remote} to {Path} rejected: missing or wrong admin key")]
    private static partial void LogRejected(ILogger logger, string remote, string path);
}
