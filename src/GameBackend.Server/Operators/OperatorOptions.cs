using Microsoft.Extensions.Options;

namespace GameBackend.Server.Operators;

/// <summary>Operator (admin) REST settings (section <c>Operators</c>).</summary>
public sealed class OperatorOptions
{
    public const string Section = "Operators";

    /// <summary>Minimum length of <see cref="AdminKey"/> when it is set.</summary>
    public const int MinAdminKeyLength = 16;

    /// <summary>
    /// Shared secret operators send in <c>X-Admin-Key</c>. No default on purpose: while it is empty
    /// every operator endpoint answers 503, so a fresh server never has a guessable admin key.
    /// </summary>
    public string AdminKey { get; set; } = "";

    /// <summary>How long an operator console session lasts after signing in with the admin key (default 30 minutes).</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromMinutes(30);

    public bool IsConfigured => !string.IsNullOrEmpty(AdminKey);
}

internal sealed class OperatorOptionsValidator : IValidateOptions<OperatorOptions>
{
    public ValidateOptionsResult Validate(string? name, OperatorOptions options)
    {
        var errors = new List<string>();
        if (options.IsConfigured && (options.AdminKey.Length < OperatorOptions.MinAdminKeyLength || options.AdminKey.Any(char.IsWhiteSpace)))
        {
            errors.Add($"Operators:AdminKey must be at least {OperatorOptions.MinAdminKeyLength} characters without whitespace (or empty to disable operator endpoints).");
        }

        if (options.SessionLifetime < TimeSpan.FromMinutes(1) || options.SessionLifetime > TimeSpan.FromHours(12))
        {
            errors.Add("Operators:SessionLifetime must be between 00:01:00 and 12:00:00.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
