using Npgsql;

namespace GameBackend.Data.History;

/// <summary>
/// The durable "exactly one winner" commit point for captures. During an Orleans membership change
/// two activations of a creature may briefly both decide a winner; whichever insert lands first on
/// <c>captures.creature_id</c> (primary key) is the winner, and the other learns it lost.
/// </summary>
public sealed class CaptureLedger(NpgsqlDataSource dataSource)
{
    /// <summary>Commits <paramref name="capture"/> as the winner unless one is already recorded.
    /// Returns the player id of the recorded winner (the caller won when it equals its own).</summary>
    public async Task<string> CommitWinnerAsync(CaptureRecord capture, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("""
            with ins as (
                insert into captures (creature_id, player_id, species, rarity, geog, captured_at, attempts, losers)
                values (@id, @player, @species, @rarity, ST_SetSRID(ST_MakePoint(@lon, @lat), 4326)::geography, @at, @attempts, @losers)
                on conflict (creature_id) do nothing
                returning player_id)
            select player_id from ins
            union all
            select player_id from captures where creature_id = @id and not exists (select 1 from ins)
            """);
        cmd.Parameters.AddWithValue("id", capture.CreatureId);
        cmd.Parameters.AddWithValue("player", capture.PlayerId);
        cmd.Parameters.AddWithValue("species", capture.Species);
        cmd.Parameters.AddWithValue("rarity", capture.Rarity);
        cmd.Parameters.AddWithValue("lon", capture.Longitude);
        cmd.Parameters.AddWithValue("lat", capture.Latitude);
        cmd.Parameters.AddWithValue("at", capture.CapturedAt);
        cmd.Parameters.AddWithValue("attempts", capture.Attempts);
        cmd.Parameters.AddWithValue("losers", capture.Losers);
        if (await cmd.ExecuteScalarAsync(cancellationToken) is string winner)
        {
            return winner;
        }

        // Lost a race with a transaction that committed after this statement's snapshot was taken:
        // the conflicting row is committed now, so a fresh statement sees it.
        return (await WinnerOfAsync(capture.CreatureId, cancellationToken))!.Value.PlayerId;
    }

    /// <summary>The recorded winner of <paramref name="creatureId"/> and when, or null if nobody captured it.</summary>
    public async Task<(string PlayerId, DateTimeOffset CapturedAt)?> WinnerOfAsync(string creatureId, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("select player_id, captured_at from captures where creature_id = @id");
        cmd.Parameters.AddWithValue("id", creatureId);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? (reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1))
            : null;
    }
}
