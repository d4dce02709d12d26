using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using GameBackend.Data.Accounts;
using Microsoft.Extensions.Options;

namespace GameBackend.Server.Identity;

/// <summary>Where guest accounts live: PostgreSQL when configured, else this process's memory.</summary>
public interface IPlayerAccountStore
{
    Task<PlayerAccount?> FindAsync(string deviceId, CancellationToken cancellationToken);

    /// <summary>False when the device already has an account (another login won the race).</summary>
    Task<bool> TryCreateAsync(PlayerAccount account, CancellationToken cancellationToken);
}

/// <summary>What a guest login came to.</summary>
public enum GuestLoginResult
{
    /// <summary>The device's first login: a new account and a device secret to keep.</summary>
    Registered,

    /// <summary>A known device presented its secret.</summary>
    LoggedIn,

    /// <summary>A known device without its secret, or with a wrong one.</summary>
    WrongSecret,
}

/// <summary>
/// Guest accounts: a device id names the account, a random device secret proves it. The secret is
/// handed out once, at the first login, and only its hash is kept; every later login must present
/// it, so knowing (or planting) someone's device id is no longer enough to be them.
/// </summary>
public sealed class GuestAccounts(IPlayerAccountStore store, IOptions<IdentityOptions> options)
{
    /// <summary>Device secrets start with this, so a leaked one is recognisable in logs and scanners.</summary>
    public const string SecretPrefix = "gds_";

    /// <summary>256 bits: far above the 128 bits guessing would have to beat.</summary>
    private const int SecretBytes = 32;

    public async Task<(GuestLoginResult Result, string? PlayerId, string? NewSecret)> LoginAsync(
        string deviceId, string? secret, CancellationToken cancellationToken)
    {
        var account = await store.FindAsync(deviceId, cancellationToken);
        if (account is null)
        {
            var newSecret = SecretPrefix + Base64Url(RandomNumberGenerator.GetBytes(SecretBytes));
            var created = new PlayerAccount(deviceId, NewPlayerId(deviceId), Hash(newSecret));
            if (await store.TryCreateAsync(created, cancellationToken))
            {
                return (GuestLoginResult.Registered, created.PlayerId, newSecret);
            }

            account = await store.FindAsync(deviceId, cancellationToken)
                ?? throw new InvalidOperationException("A device account vanished while it was being created.");
        }

        return secret is not null && CryptographicOperations.FixedTimeEquals(Hash(secret), account.SecretHash)
            ? (GuestLoginResult.LoggedIn, account.PlayerId, null)
            : (GuestLoginResult.WrongSecret, null, null);
    }

    /// <summary>
    /// A new account's player id. Random, stored, and independent of every key, so rotating the
    /// signing key changes nobody's id. With <see cref="IdentityOptions.LegacyPlayerIdKey"/> set,
    /// devices from before stored accounts get back the id that key derived for them (the migration
    /// rule in docs/security.md).
    /// </summary>
    private string NewPlayerId(string deviceId)
    {
        var legacyKey = options.Value.LegacyPlayerIdKey;
        var bytes = string.IsNullOrEmpty(legacyKey)
            ? RandomNumberGenerator.GetBytes(12)
            : HMACSHA256.HashData(Encoding.UTF8.GetBytes(legacyKey), Encoding.UTF8.GetBytes("device:" + deviceId)).AsSpan(0, 12).ToArray();
        return PlayerTokens.GuestPrefix + Convert.ToHexStringLower(bytes);
    }

    /// <summary>
    /// SHA-256 without salt or stretching is enough here: the secret is 256 random bits, not a
    /// password, so there is no dictionary to slow down.
    /// </summary>
    internal static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>
/// Accounts in memory, for a server without PostgreSQL: one node, lost on restart (then every
/// device registers again as a new player), like the rest of its in-memory state.
/// </summary>
internal sealed class InMemoryPlayerAccountStore : IPlayerAccountStore
{
    private readonly ConcurrentDictionary<string, PlayerAccount> _accounts = new(StringComparer.Ordinal);

    public Task<PlayerAccount?> FindAsync(string deviceId, CancellationToken cancellationToken) =>
        Task.FromResult(_accounts.GetValueOrDefault(deviceId));

    public Task<bool> TryCreateAsync(PlayerAccount account, CancellationToken cancellationToken) =>
        Task.FromResult(_accounts.TryAdd(account.DeviceId, account));
}

internal sealed class PostgresPlayerAccountStore(PlayerAccountStore store) : IPlayerAccountStore
{
    public Task<PlayerAccount?> FindAsync(string deviceId, CancellationToken cancellationToken) =>
        store.FindAsync(deviceId, cancellationToken);

    public Task<bool> TryCreateAsync(PlayerAccount account, CancellationToken cancellationToken) =>
        store.TryCreateAsync(account, cancellationToken);
}

public static class GuestAccountsSetup
{
    public static IServiceCollection AddGuestAccounts(this IServiceCollection services)
    {
        services.AddSingleton<IPlayerAccountStore>(sp => sp.GetService<PlayerAccountStore>() is { } postgres
            ? new PostgresPlayerAccountStore(postgres)
            : new InMemoryPlayerAccountStore());
        services.AddSingleton<GuestAccounts>();
        return services;
    }
}
