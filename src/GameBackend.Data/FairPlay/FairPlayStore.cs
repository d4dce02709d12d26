using System.Collections.Concurrent;
using GameBackend.Domain.Movement;
using Npgsql;

namespace GameBackend.Data.FairPlay;

/// <summary>
/// Where a player's anti-cheat state (<see cref="FairPlayState"/>: strikes, ban, last trusted
/// position) lives between activations of its grain, so that idling until the grain is collected,
/// or the death of its node, does not wipe the record.
/// </summary>
public interface IFairPlayStore
{
    /// <summary>The stored state, or null for a player with none.</summary>
    Task<FairPlayState?> LoadAsync(string playerId, CancellationToken cancellationToken = default);

    /// <summary>Replaces the stored state (last writer wins: one activation per player owns it).</summary>
    Task SaveAsync(string playerId, FairPlayState state, CancellationToken cancellationToken = default);
}

/// <summary>The state in table <c>player_fair_play</c> (migration 0005).</summary>
public sealed class PostgresFairPlayStore(NpgsqlDataSource dataSource) : IFairPlayStore
{
    public async Task<FairPlayState?> LoadAsync(string playerId, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("""
            select strikes, strikes_at_ms, banned_until_ms, trusted_at_ms, trusted_lat, trusted_lon, trusted_accuracy
            from player_fair_play where player_id = @player
            """);
        cmd.Parameters.AddWithValue("player", playerId);
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        if (!await r.ReadAsync(cancellationToken))
        {
            return null;
        }

        TrustedPosition? trusted = r.IsDBNull(3)
            ? null
            : new TrustedPosition(r.GetInt64(3), r.GetDouble(4), r.GetDouble(5), r.IsDBNull(6) ? null : r.GetDouble(6));
        return new FairPlayState(r.GetInt32(0), r.GetInt64(1), r.GetInt64(2), trusted);
    }

    public async Task SaveAsync(string playerId, FairPlayState state, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("""
            insert into player_fair_play (player_id, strikes, strikes_at_ms, banned_until_ms, trusted_at_ms, trusted_lat, trusted_lon, trusted_accuracy, updated_at)
            select @player, @strikes, @strikesAt, @bannedUntil, t.at, t.lat, t.lon, t.accuracy, now()
            from (select @trustedAt::bigint as at, @lat::float8 as lat, @lon::float8 as lon, @accuracy::float8 as accuracy) p
            -- A position from before the player's erasure is erased history: the grain may still
            -- hold it in memory, but it is not stored again.
            left join lateral (select p.at, p.lat, p.lon, p.accuracy
                               where not exists (select 1 from erased_players e
                                                 where e.player_id = @player and e.erased_at >= to_timestamp(p.at / 1000.0))) t on true
            on conflict (player_id) do update set
                strikes = excluded.strikes, strikes_at_ms = excluded.strikes_at_ms, banned_until_ms = excluded.banned_until_ms,
                trusted_at_ms = excluded.trusted_at_ms, trusted_lat = excluded.trusted_lat, trusted_lon = excluded.trusted_lon,
                trusted_accuracy = excluded.trusted_accuracy, updated_at = now()
            """);
        cmd.Parameters.AddWithValue("player", playerId);
        cmd.Parameters.AddWithValue("strikes", state.Strikes);
        cmd.Parameters.AddWithValue("strikesAt", state.StrikesAtMs);
        cmd.Parameters.AddWithValue("bannedUntil", state.BannedUntilMs);
        cmd.Parameters.AddWithValue("trustedAt", (object?)state.Trusted?.ServerTimeMs ?? DBNull.Value);
        cmd.Parameters.AddWithValue("lat", (object?)state.Trusted?.Latitude ?? DBNull.Value);
        cmd.Parameters.AddWithValue("lon", (object?)state.Trusted?.Longitude ?? DBNull.Value);
        cmd.Parameters.AddWithValue("accuracy", (object?)state.Trusted?.Accuracy ?? DBNull.Value);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>
/// The state in this node's memory, for a server without PostgreSQL: it survives the grain's
/// deactivation (not the node), like every other state of that single-node mode.
/// </summary>
public sealed class InMemoryFairPlayStore : IFairPlayStore
{
    private readonly ConcurrentDictionary<string, FairPlayState> _states = new(StringComparer.Ordinal);

    public Task<FairPlayState?> LoadAsync(string playerId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_states.TryGetValue(playerId, out var state) ? state : (FairPlayState?)null);

    public Task SaveAsync(string playerId, FairPlayState state, CancellationToken cancellationToken = default)
    {
        _states[playerId] = state;
        return Task.CompletedTask;
    }
}
