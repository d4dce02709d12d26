using System.Security.Cryptography;
using Npgsql;

namespace GameBackend.Data.Zones;

/// <summary>A sponsor account.</summary>
public sealed record Sponsor(Guid Id, string Name, DateTimeOffset CreatedAt);

/// <summary>A new sponsor and its API key. The key is shown once: only its SHA-256 hash is stored.</summary>
public sealed record SponsorRegistration(Sponsor Sponsor, string ApiKey);

/// <summary>Sponsor accounts and their API keys.</summary>
public sealed class SponsorStore(NpgsqlDataSource dataSource)
{
    private const string KeyPrefix = "gbk_";

    /// <summary>Creates a sponsor with a fresh random API key (256 bits).</summary>
    public async Task<SponsorRegistration> CreateAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var apiKey = NewApiKey();
        await using var cmd = dataSource.CreateCommand("""
            insert into sponsors (id, name, api_key_hash) values (@id, @name, @hash) returning created_at
            """);
        var id = Guid.CreateVersion7();
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.AddWithValue("name", name);
        cmd.Parameters.AddWithValue("hash", Hash(apiKey));
        var created = (DateTime)(await cmd.ExecuteScalarAsync(cancellationToken))!;
        return new SponsorRegistration(new Sponsor(id, name, new DateTimeOffset(created)), apiKey);
    }

    /// <summary>
    /// Replaces the sponsor's API key with a fresh one; the old key stops working with this
    /// statement (keys are checked against the table on every request). Null for an unknown sponsor.
    /// </summary>
    public async Task<SponsorRegistration?> RotateApiKeyAsync(Guid sponsorId, CancellationToken cancellationToken = default)
    {
        var apiKey = NewApiKey();
        await using var cmd = dataSource.CreateCommand("update sponsors set api_key_hash = @hash where id = @id returning name, created_at");
        cmd.Parameters.AddWithValue("id", sponsorId);
        cmd.Parameters.AddWithValue("hash", Hash(apiKey));
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new SponsorRegistration(new Sponsor(sponsorId, reader.GetString(0), new DateTimeOffset(reader.GetDateTime(1))), apiKey)
            : null;
    }

    /// <summary>Returns the sponsor id the key belongs to, or null for an unknown key.</summary>
    public async Task<Guid?> VerifyApiKeyAsync(string apiKey, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(apiKey) || !apiKey.StartsWith(KeyPrefix, StringComparison.Ordinal) || apiKey.Length > 256)
        {
            return null;
        }

        var hash = Hash(apiKey);
        await using var cmd = dataSource.CreateCommand("select id, api_key_hash from sponsors where api_key_hash = @hash");
        cmd.Parameters.AddWithValue("hash", hash);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        // The index lookup is on a hash (nothing to learn from its timing); the final comparison is
        // constant-time anyway so the check never short-circuits on secret-derived bytes.
        var stored = reader.GetFieldValue<byte[]>(1);
        return CryptographicOperations.FixedTimeEquals(stored, hash) ? reader.GetGuid(0) : null;
    }

    /// <summary>The oldest sponsor of that name, or null (names are not unique; the demo seeder finds its own by name).</summary>
    public async Task<Guid?> FindByNameAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("select id from sponsors where name = @name order by created_at limit 1");
        cmd.Parameters.AddWithValue("name", name);
        return await cmd.ExecuteScalarAsync(cancellationToken) is Guid id ? id : null;
    }

    public async Task<Sponsor?> GetAsync(Guid sponsorId, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("select id, name, created_at from sponsors where id = @id");
        cmd.Parameters.AddWithValue("id", sponsorId);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new Sponsor(reader.GetGuid(0), reader.GetString(1), new DateTimeOffset(reader.GetDateTime(2)))
            : null;
    }

    private static string NewApiKey() => KeyPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    private static byte[] Hash(string apiKey) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(apiKey));

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
