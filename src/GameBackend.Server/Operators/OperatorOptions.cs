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

    public bool IsConfigured => !string.IsNullOrEmpty(AdminKey);
}

internal sealed class OperatorOptionsValidator : IValidateOptions<OperatorOptions>
{
    public ValidateOptionsResult Validate(string? name, OperatorOptions options) =>
        options.IsConfigured && (options.AdminKey.Length < OperatorOptions.MinAdminKeyLength || options.AdminKey.Any(char.IsWhiteSpace))
            ? ValidateOptionsResult.Fail($"Operators:AdminKey must be at least {OperatorOptions.MinAdminKeyLength} characters without whitespace (or empty to disable operator endpoints).")
            : ValidateOptionsResult.Success;
}
