using Npgsql;

namespace GameBackend.Data.Accounts;

/// <summary>A guest account: the player id a device was given and the hash of its device secret.</summary>
public sealed record PlayerAccount(string DeviceId, string PlayerId, byte[] SecretHash);

/// <summary>Guest accounts in PostgreSQL (table <c>player_accounts</c>).</summary>
public sealed class PlayerAccountStore(NpgsqlDataSource dataSource)
{
    public async Task<PlayerAccount?> FindAsync(string deviceId, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("select player_id, secret_hash from player_accounts where device_id = @device");
        cmd.Parameters.AddWithValue("device", deviceId);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new PlayerAccount(deviceId, reader.GetString(0), (byte[])reader[1])
            : null;
    }

    /// <summary>
    /// Stores the account unless the device already has one. False when another login won the race;
    /// the caller then treats the device as registered (the first writer's secret is the one that counts).
    /// </summary>
    public async Task<bool> TryCreateAsync(PlayerAccount account, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("""
            insert into player_accounts (device_id, player_id, secret_hash) values (@device, @player, @hash)
            on conflict (device_id) do nothing
            """);
        cmd.Parameters.AddWithValue("device", account.DeviceId);
        cmd.Parameters.AddWithValue("player", account.PlayerId);
        cmd.Parameters.AddWithValue("hash", account.SecretHash);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }
}
