using Microsoft.Extensions.Options;

namespace GameBackend.Server.Operators;

/// <summary>Operator moderation settings (section <c>Moderation</c>, docs/rest.md "Moderation").</summary>
public sealed class ModerationOptions
{
    public const string Section = "Moderation";

    /// <summary>
    /// When true (the default) a sponsor's new or changed zone is live at once, as before approval
    /// existed: <c>dotnet run</c>, the demo world, the bots and every existing test keep working.
    /// Production sets it to false so every new or changed zone waits in <c>pending_approval</c> (and
    /// does not spawn) until an operator approves it.
    /// </summary>
    public bool AutoApproveZones { get; set; } = true;

    /// <summary>
    /// How often each node re-reads the ban list (default 5 s): the node that takes a ban closes its
    /// own connections at once, the others within this interval.
    /// </summary>
    public TimeSpan BanRefreshInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Removal requests one client address may file per hour (default 10).</summary>
    public int RemovalRequestsPerHour { get; set; } = 10;

    /// <summary>Largest area one removal request may cover, in square metres (default 1 km²).</summary>
    public double MaxRemovalAreaSquareMeters { get; set; } = 1_000_000;
}

internal sealed class ModerationOptionsValidator : IValidateOptions<ModerationOptions>
{
    public ValidateOptionsResult Validate(string? name, ModerationOptions options)
    {
        var errors = new List<string>();
        if (options.BanRefreshInterval < TimeSpan.FromMilliseconds(100) || options.BanRefreshInterval > TimeSpan.FromMinutes(5))
        {
            errors.Add("Moderation:BanRefreshInterval must be between 00:00:00.1 and 00:05:00.");
        }

        if (options.RemovalRequestsPerHour is < 1 or > 10_000)
        {
            errors.Add("Moderation:RemovalRequestsPerHour must be between 1 and 10000.");
        }

        if (options.MaxRemovalAreaSquareMeters is < 100 or > 100_000_000)
        {
            errors.Add("Moderation:MaxRemovalAreaSquareMeters must be between 100 and 100000000.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
