using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.Operators;

/// <summary>Operator (admin) settings (section <c>Operators</c>).</summary>
public sealed partial class OperatorOptions
{
    public const string Section = "Operators";

    /// <summary>Minimum length of an operator key when it is set.</summary>
    public const int MinAdminKeyLength = 16;

    /// <summary>The account <see cref="AdminKey"/> signs in as.</summary>
    public const string AdminAccountName = "admin";

    /// <summary>
    /// A single shared operator key, the account named <see cref="AdminAccountName"/> (the README's
    /// one-command setup). No default on purpose: while neither it nor <see cref="Accounts"/> is set,
    /// every operator endpoint answers 503, so a fresh server never has a guessable admin key.
    /// </summary>
    public string AdminKey { get; set; } = "";

    /// <summary>
    /// Named operators, each with its own key, so the audit log says who acted
    /// (<c>operator:&lt;name&gt;</c>). Keys must differ: the key is what tells operators apart.
    /// </summary>
    public List<OperatorAccount> Accounts { get; set; } = [];

    /// <summary>How long an operator console session lasts after signing in with a key (default 30 minutes).</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromMinutes(30);

    public bool IsConfigured => !string.IsNullOrEmpty(AdminKey) || Accounts.Count > 0;

    /// <summary>An operator name: 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit.</summary>
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    public static partial Regex NamePattern();
}

/// <summary>
/// One operator (<c>Operators:Accounts:{n}</c>): a name and exactly one of <see cref="Key"/> and
/// <see cref="KeyHash"/>. Prefer the hash, so the configuration never holds a usable key.
/// </summary>
public sealed class OperatorAccount
{
    /// <summary>Who this is, as the audit log shows it (<c>operator:&lt;name&gt;</c>).</summary>
    public string Name { get; set; } = "";

    /// <summary>The operator's key itself (at least 16 characters, no whitespace).</summary>
    public string? Key { get; set; }

    /// <summary>Lower- or upper-case hex SHA-256 of the key's UTF-8 bytes (<c>printf %s "$KEY" | sha256sum</c>).</summary>
    public string? KeyHash { get; set; }
}

internal sealed class OperatorOptionsValidator : IValidateOptions<OperatorOptions>
{
    public ValidateOptionsResult Validate(string? name, OperatorOptions options)
    {
        var errors = new List<string>();
        if (!string.IsNullOrEmpty(options.AdminKey) && !IsKey(options.AdminKey))
        {
            errors.Add($"Operators:AdminKey must be at least {OperatorOptions.MinAdminKeyLength} characters without whitespace (or empty to disable it).");
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (!string.IsNullOrEmpty(options.AdminKey))
        {
            names.Add(OperatorOptions.AdminAccountName);
        }

        for (var i = 0; i < options.Accounts.Count; i++)
        {
            var account = options.Accounts[i];
            var at = $"Operators:Accounts:{i}";
            if (!OperatorOptions.NamePattern().IsMatch(account.Name ?? ""))
            {
                errors.Add($"{at}:Name must be 1–64 letters, digits, '.', '_' or '-' (starting with a letter or digit).");
            }
            else if (!names.Add(account.Name!))
            {
                errors.Add($"{at}:Name '{account.Name}' is taken{(account.Name!.Equals(OperatorOptions.AdminAccountName, StringComparison.OrdinalIgnoreCase) ? " by Operators:AdminKey" : "")}: every operator needs its own name.");
            }

            var hasKey = !string.IsNullOrEmpty(account.Key);
            var hasHash = !string.IsNullOrEmpty(account.KeyHash);
            if (hasKey == hasHash)
            {
                errors.Add($"{at} needs exactly one of Key and KeyHash.");
            }
            else if (hasKey && !IsKey(account.Key!))
            {
                errors.Add($"{at}:Key must be at least {OperatorOptions.MinAdminKeyLength} characters without whitespace.");
            }
            else if (hasHash && (account.KeyHash!.Length != 64 || !account.KeyHash.All(char.IsAsciiHexDigit)))
            {
                errors.Add($"{at}:KeyHash must be the 64 hex digits of the key's SHA-256.");
            }
        }

        if (errors.Count == 0)
        {
            // A key shared by two accounts could not say which of them acted.
            var hashes = OperatorKey.Accounts(options).GroupBy(a => Convert.ToHexString(a.Hash)).Where(g => g.Count() > 1);
            foreach (var shared in hashes)
            {
                errors.Add($"Operators: the accounts {string.Join(", ", shared.Select(a => a.Name))} have the same key; give each operator its own.");
            }
        }

        if (options.SessionLifetime < TimeSpan.FromMinutes(1) || options.SessionLifetime > TimeSpan.FromHours(12))
        {
            errors.Add("Operators:SessionLifetime must be between 00:01:00 and 12:00:00.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static bool IsKey(string key) => key.Length >= OperatorOptions.MinAdminKeyLength && !key.Any(char.IsWhiteSpace);
}
