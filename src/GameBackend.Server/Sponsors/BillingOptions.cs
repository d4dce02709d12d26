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
}

internal sealed class BillingOptionsValidator : IValidateOptions<BillingOptions>
{
    public ValidateOptionsResult Validate(string? name, BillingOptions options) =>
        options.StatusRefreshInterval < TimeSpan.FromSeconds(1) || options.StatusRefreshInterval > TimeSpan.FromHours(1)
            ? ValidateOptionsResult.Fail("Billing:StatusRefreshInterval must be between 1 second and 1 hour.")
            : ValidateOptionsResult.Success;
}
