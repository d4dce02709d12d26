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

    /// <summary>
    /// Players whose strikes after decay (<see cref="FairPlayState.DecayedStrikes"/> at
    /// <see cref="StrikeQuery.NowMs"/>) are at least <see cref="StrikeQuery.MinStrikes"/>: most strikes
    /// first, then by player id; one page of at most <see cref="StrikeQuery.Limit"/> after <see cref="StrikeQuery.After"/>.
    /// </summary>
    Task<IReadOnlyList<StruckPlayer>> ListStruckAsync(StrikeQuery query, CancellationToken cancellationToken = default);
}

/// <summary>Where a page of <see cref="IFairPlayStore.ListStruckAsync"/> starts: after this row of the previous page.</summary>
public sealed record StrikeCursor(int Strikes, string PlayerId);

/// <summary>A strike list query; times are server (game clock) Unix milliseconds, as the strikes are.</summary>
public sealed record StrikeQuery(int MinStrikes, long NowMs, long DecayMs, int Limit, StrikeCursor? After = null)
{
    /// <summary>Most rows of one page.</summary>
    public const int MaxLimit = 500;

    /// <summary>Whether a stored row (with its decayed strikes) belongs on this page, in the list's order.</summary>
    public bool Admits(string playerId, int strikes) =>
        strikes >= Math.Max(1, MinStrikes)
        && (After is null || strikes < After.Strikes || (strikes == After.Strikes && string.CompareOrdinal(playerId, After.PlayerId) > 0));
}

/// <summary>A player with strikes as stored: strikes after decay, when the last one was counted,
/// the capture ban's end (null: none) and the last trusted position (null: none stored).</summary>
public sealed record StruckPlayer(string PlayerId, int Strikes, long StrikesAtMs, long? CaptureBannedUntilMs, TrustedPosition? Trusted);

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

    public async Task<IReadOnlyList<StruckPlayer>> ListStruckAsync(StrikeQuery query, CancellationToken cancellationToken = default)
    {
        // Decay is applied here exactly as FairPlayState.DecayedStrikes does (bigint division
        // truncates like C#'s for the non-negative values involved); decayed strikes never exceed
        // the stored ones, so "strikes >= @min" narrows the scan to the partial index (0007).
        await using var cmd = dataSource.CreateCommand("""
            select player_id, s, strikes_at_ms, banned_until_ms, trusted_at_ms, trusted_lat, trusted_lon, trusted_accuracy
            from (select *, case when @decay <= 0 then 0
                                 else greatest(0, strikes - greatest(0, @now - strikes_at_ms) / @decay) end::int as s
                  from player_fair_play
                  where strikes > 0 and strikes >= @min) p
            where s >= @min
              and (@afterStrikes::int is null or s < @afterStrikes or (s = @afterStrikes and player_id > @afterPlayer::text collate "C"))
            order by s desc, player_id collate "C"
            limit @limit
            """);
        cmd.Parameters.AddWithValue("min", Math.Max(1, query.MinStrikes));
        cmd.Parameters.AddWithValue("now", query.NowMs);
        cmd.Parameters.AddWithValue("decay", query.DecayMs);
        cmd.Parameters.AddWithValue("afterStrikes", (object?)query.After?.Strikes ?? DBNull.Value);
        cmd.Parameters.AddWithValue("afterPlayer", (object?)query.After?.PlayerId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("limit", Math.Clamp(query.Limit, 1, StrikeQuery.MaxLimit));
        var rows = new List<StruckPlayer>();
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            TrustedPosition? trusted = r.IsDBNull(4)
                ? null
                : new TrustedPosition(r.GetInt64(4), r.GetDouble(5), r.GetDouble(6), r.IsDBNull(7) ? null : r.GetDouble(7));
            var bannedUntil = r.GetInt64(3);
            rows.Add(new StruckPlayer(r.GetString(0), r.GetInt32(1), r.GetInt64(2), bannedUntil > query.NowMs ? bannedUntil : null, trusted));
        }

        return rows;
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

    public Task<IReadOnlyList<StruckPlayer>> ListStruckAsync(StrikeQuery query, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<StruckPlayer> rows = [.. _states
            .Select(kv => (Id: kv.Key, State: kv.Value, Strikes: kv.Value.StrikesAt(query.NowMs, query.DecayMs)))
            .Where(p => query.Admits(p.Id, p.Strikes))
            .OrderByDescending(p => p.Strikes).ThenBy(p => p.Id, StringComparer.Ordinal)
            .Take(Math.Clamp(query.Limit, 1, StrikeQuery.MaxLimit))
            .Select(p => new StruckPlayer(p.Id, p.Strikes, p.State.StrikesAtMs,
                p.State.BannedUntilMs > query.NowMs ? p.State.BannedUntilMs : null, p.State.Trusted))];
        return Task.FromResult(rows);
    }
}
