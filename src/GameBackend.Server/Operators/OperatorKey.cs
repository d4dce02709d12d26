using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.Operators;

/// <summary>
/// The operator accounts (<c>Operators:Accounts</c>, and <c>Operators:AdminKey</c> as the account
/// "admin"): tells which operator a presented key belongs to, in constant time. Shared by the REST
/// gate, the operator hub's authentication and the console's sign-in.
/// </summary>
public sealed class OperatorKey(IOptions<OperatorOptions> options)
{
    private readonly (string Name, byte[] Hash)[] _accounts = [.. Accounts(options.Value)];

    public bool IsConfigured => _accounts.Length > 0;

    /// <summary>The name of the operator whose key this is, or null (wrong key, none configured).</summary>
    public string? Identify(string? presented)
    {
        if (!IsConfigured || presented is not { Length: > 0 and <= 1024 })
        {
            return null;
        }

        // Hashed first, so each comparison is constant-time and independent of the presented
        // length; every account is compared, so the time says nothing about which one matched.
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        string? found = null;
        foreach (var (name, expected) in _accounts)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, expected))
            {
                found ??= name;
            }
        }

        return found;
    }

    public bool Accepts(string? presented) => Identify(presented) is not null;

    /// <summary>Whether an operator of that name is configured (a session of a removed operator ends).</summary>
    public bool HasAccount(string name) => _accounts.Any(a => a.Name.Equals(name, StringComparison.Ordinal));

    /// <summary>Every configured account with the SHA-256 of its key.</summary>
    internal static IEnumerable<(string Name, byte[] Hash)> Accounts(OperatorOptions options)
    {
        if (!string.IsNullOrEmpty(options.AdminKey))
        {
            yield return (OperatorOptions.AdminAccountName, SHA256.HashData(Encoding.UTF8.GetBytes(options.AdminKey)));
        }

        foreach (var account in options.Accounts)
        {
            yield return (account.Name, !string.IsNullOrEmpty(account.Key)
                ? SHA256.HashData(Encoding.UTF8.GetBytes(account.Key))
                : Convert.FromHexString(account.KeyHash ?? ""));
        }
    }
}
