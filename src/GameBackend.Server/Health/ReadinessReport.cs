using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GameBackend.Server.Health;

/// <summary>
/// The body of <c>/health/ready</c>: the overall status and each check's status and description,
/// so a Degraded node says what is missing (for example PostgreSQL) instead of one word.
/// Healthy and Degraded answer 200 (the node serves play), Unhealthy 503.
/// </summary>
internal static class ReadinessReport
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(
                e => e.Key,
                e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body), context.RequestAborted);
    }
}
