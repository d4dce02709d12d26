using GameBackend.Server.Operators;

namespace GameBackend.Server.Sponsors;

/// <summary>
/// Admits a request to <c>/api/sponsors/{sponsorId}/…</c> only with that sponsor's <c>X-Api-Key</c>.
/// Missing or unknown key: 401. A valid key of another sponsor: 404, exactly as for a sponsor that
/// does not exist, so a key never reveals whether another sponsor id is real.
/// Runs as a gate (<c>RequestLimits.RequireGate</c>) after <see cref="RequirePostgresFilter"/>,
/// before the endpoint binds its body: an unauthenticated body is never read.
/// </summary>
internal sealed partial class SponsorKeyFilter(GameStores stores, ILogger<SponsorKeyFilter> logger) : Hosting.IRequestGate
{
    public const string Header = "X-Api-Key";

    public async ValueTask<IResult?> CheckAsync(HttpContext http)
    {
        var presented = http.Request.Headers[Header].ToString();
        var keySponsor = presented.Length == 0 ? null : await stores.Sponsors.VerifyApiKeyAsync(presented, http.RequestAborted);
        if (keySponsor is null)
        {
            LogRejected(logger, http.Connection.RemoteIpAddress?.ToString() ?? "?", http.Request.Path);
            return RestProblems.Unauthorized($"A valid {Header} header is required.");
        }

        if (!Guid.TryParse(http.Request.RouteValues["sponsorId"]?.ToString(), out var routeSponsor) || routeSponsor != keySponsor)
        {
            return RestProblems.NotFound("No such sponsor.");
        }

        return null;
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "Sponsor request from {Remote} to {Path} rejected: missing or unknown API key")]
    private static partial void LogRejected(ILogger logger, string remote, string path);
}
