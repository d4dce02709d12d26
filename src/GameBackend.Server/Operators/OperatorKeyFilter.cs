namespace GameBackend.Server.Operators;

/// <summary>
/// Admits a request only with an operator's <c>X-Admin-Key</c>: 503 while no key is configured,
/// 401 for a missing or wrong key. Runs as a gate, before the endpoint binds its body; remembers
/// which operator it was for the audit log (<see cref="ActorOf"/>).
/// </summary>
internal sealed partial class OperatorKeyFilter(OperatorKey key, ILogger<OperatorKeyFilter> logger) : Hosting.IRequestGate
{
    public const string Header = "X-Admin-Key";

    private static readonly object OperatorItem = new();

    /// <summary>The audit actor of a request this gate admitted: <c>operator:&lt;name&gt;</c>.</summary>
    public static string ActorOf(HttpContext http) =>
        http.Items[OperatorItem] is string name ? Actors.Operator(name) : throw new InvalidOperationException("The operator gate did not run for this endpoint.");

    public ValueTask<IResult?> CheckAsync(HttpContext http)
    {
        if (!key.IsConfigured)
        {
            return ValueTask.FromResult<IResult?>(TypedResults.Problem(
                "Operator endpoints are disabled: no operator key is configured (set Operators:AdminKey or Operators:Accounts).",
                statusCode: StatusCodes.Status503ServiceUnavailable, title: "Admin key not configured"));
        }

        var presented = http.Request.Headers[Header].ToString();
        if (key.Identify(presented) is not { } name)
        {
            LogRejected(logger, http.Connection.RemoteIpAddress?.ToString() ?? "?", http.Request.Path);
            return ValueTask.FromResult<IResult?>(RestProblems.Unauthorized($"A valid {Header} header is required."));
        }

        http.Items[OperatorItem] = name;
        return ValueTask.FromResult<IResult?>(null);
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "Operator request from {Remote} to {Path} rejected: missing or wrong admin key")]
    private static partial void LogRejected(ILogger logger, string remote, string path);
}
