using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.Operators;

/// <summary>
/// Admits a request only with the configured <c>X-Admin-Key</c>: 503 while no key is configured,
/// 401 for a missing or wrong key.
/// </summary>
internal sealed partial class OperatorKeyFilter(IOptions<OperatorOptions> options, ILogger<OperatorKeyFilter> logger) : IEndpointFilter
{
    public const string Header = "X-Admin-Key";

    // Both sides are hashed first so the comparison is constant-time and independent of the length
    // of the presented key.
    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(options.Value.AdminKey));
    private readonly bool _configured = options.Value.IsConfigured;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (!_configured)
        {
            return TypedResults.Problem(
                "Operator endpoints are disabled: the admin key is not configured (set Operators:AdminKey).",
                statusCode: StatusCodes.Status503ServiceUnavailable, title: "Admin key not configured");
        }

        var presented = context.HttpContext.Request.Headers[Header].ToString();
        if (presented.Length == 0 || presented.Length > 1024
            || !CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), _expected))
        {
            LogRejected(logger, context.HttpContext.Connection.RemoteIpAddress?.ToString() ?? "?", context.HttpContext.Request.Path);
            return RestProblems.Unauthorized($"A valid {Header} header is required.");
        }

        return await next(context);
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "Operator request from {Remote} to {Path} rejected: missing or wrong admin key")]
    private static partial void LogRejected(ILogger logger, string remote, string path);
}
