using GameBackend.Data.History;
using Npgsql;

namespace GameBackend.Data.Privacy;

/// <summary>
/// How an erasure and the history writer stay out of each other's way. Every write transaction of
/// a player's rows takes a shared advisory lock and drops rows of erased players (a tombstone in
/// <c>erased_players</c> whose time is at or after the row's); an erasure takes the same lock
/// exclusively while it writes the tombstone and deletes. So either the writer's transaction
/// committed first and the erasure deletes its rows, or the erasure did and the writer sees the
/// tombstone: rows buffered in memory, in a journal segment or in a spill file on any node when the
/// player asked never come back.
/// </summary>
internal static class ErasureTombstones
{
    // Arbitrary constant shared by every node ("GameEras").
    public const long LockKey = 0x47616D6545726173;

    public static async Task LockSharedAsync(NpgsqlConnection connection, NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("select pg_advisory_xact_lock_shared(@key)", connection, tx);
        cmd.Parameters.AddWithValue("key", LockKey);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public static async Task LockExclusiveAsync(NpgsqlConnection connection, NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("select pg_advisory_xact_lock(@key)", connection, tx);
        cmd.Parameters.AddWithValue("key", LockKey);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The batch without rows of erased players (the same memory when none is erased).</summary>
    public static async Task<ReadOnlyMemory<T>> WithoutErasedAsync<T>(
        NpgsqlConnection connection, NpgsqlTransaction tx, IRecordSink<T> sink, ReadOnlyMemory<T> batch, CancellationToken ct)
        where T : struct
    {
        var players = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < batch.Length; i++)
        {
            if (sink.PlayerOf(batch.Span[i]) is { } player)
            {
                players.Add(player);
            }
        }

        if (players.Count == 0)
        {
            return batch;
        }

        Dictionary<string, DateTimeOffset>? erased = null;
        await using (var cmd = new NpgsqlCommand("select player_id, erased_at from erased_players where player_id = any(@players)", connection, tx))
        {
            cmd.Parameters.AddWithValue("players", players.ToArray());
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                (erased ??= new(StringComparer.Ordinal))[r.GetString(0)] = r.GetFieldValue<DateTimeOffset>(1);
            }
        }

        if (erased is null)
        {
            return batch;
        }

        var kept = new List<T>(batch.Length);
        for (var i = 0; i < batch.Length; i++)
        {
            ref readonly var row = ref batch.Span[i];
            if (sink.PlayerOf(row) is { } player && erased.TryGetValue(player, out var at) && sink.ErasureTimeOf(row) <= at)
            {
                continue;
            }

            kept.Add(row);
        }

        return kept.ToArray();
    }
}
