using GameBackend.Server.Hosting;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.Sponsors;

/// <summary>Sponsor billing settings (section <c>Billing</c>).</summary>
public sealed class BillingOptions
{
    public const string Section = "Billing";

    /// <summary>
    /// How often each node re-evaluates every zone's budget status against the current UTC day (on
    /// the game clock). This is what resumes a zone paused for its daily budget after midnight, and
    /// what repairs a status change whose immediate notification was lost (default 30 s).
    /// </summary>
    public TimeSpan StatusRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// While a player stays inside a zone, how often its node writes the open visit's last sighting
    /// (default 1 min). It bounds how stale <c>last_seen_at</c> of a visit open on a live node gets.
    /// </summary>
    public TimeSpan OpenVisitRefreshInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// An open visit whose last sighting is older than this belongs to a node that died: the sweep
    /// closes it at that sighting and bills it if it qualifies (default 10 min). At least
    /// <c>Game:World:PresenceTimeout</c> plus twice <see cref="OpenVisitRefreshInterval"/>, so a live
    /// node always closes or refreshes its own visits first.
    /// </summary>
    public TimeSpan OpenVisitTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often each node sweeps for abandoned open visits (default 1 min, game clock).</summary>
    public TimeSpan OpenVisitSweepInterval { get; set; } = TimeSpan.FromMinutes(1);
}

internal sealed class BillingOptionsValidator(IOptions<WorldOptions> world) : IValidateOptions<BillingOptions>
{
    public ValidateOptionsResult Validate(string? name, BillingOptions options)
    {
        var errors = new List<string>();
        if (options.StatusRefreshInterval < TimeSpan.FromSeconds(1) || options.StatusRefreshInterval > TimeSpan.FromHours(1))
        {
            errors.Add("Billing:StatusRefreshInterval must be between 1 second and 1 hour.");
        }

        if (options.OpenVisitRefreshInterval < TimeSpan.FromSeconds(5) || options.OpenVisitRefreshInterval > TimeSpan.FromHours(1))
        {
            errors.Add("Billing:OpenVisitRefreshInterval must be between 5 seconds and 1 hour.");
        }

        if (options.OpenVisitSweepInterval < TimeSpan.FromSeconds(1) || options.OpenVisitSweepInterval > TimeSpan.FromHours(1))
        {
            errors.Add("Billing:OpenVisitSweepInterval must be between 1 second and 1 hour.");
        }

        // Shorter, and a live node's visit of a player standing still (refreshed once an interval)
        // or gone silent (closed by its node after the presence timeout) could be swept as abandoned.
        var least = world.Value.PresenceTimeout + (2 * options.OpenVisitRefreshInterval);
        if (options.OpenVisitTimeout < least || options.OpenVisitTimeout > TimeSpan.FromDays(1))
        {
            errors.Add($"Billing:OpenVisitTimeout must be at least Game:World:PresenceTimeout + 2 × Billing:OpenVisitRefreshInterval ({least}) and at most 1 day.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
