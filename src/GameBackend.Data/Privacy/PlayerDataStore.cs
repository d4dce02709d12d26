using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Npgsql;

namespace GameBackend.Data.Privacy;

/// <summary>What <see cref="PlayerDataStore.DeletePlayerAsync"/> removed.</summary>
public readonly record struct PlayerDeletion(long Positions, long Visits, long Sightings);

/// <summary>
/// Retention and data-subject requests over the location history: drop expired day partitions,
/// erase one player's movement data, export one player's data as GeoJSON.
/// </summary>
public sealed partial class PlayerDataStore(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Drops every day partition of <c>position_samples</c> that lies entirely before
    /// <paramref name="now"/> − <paramref name="retentionDays"/>, and deletes older rows from the
    /// default partition. Returns the dropped partition names.
    /// </summary>
    public async Task<IReadOnlyList<string>> DropExpiredPositionsAsync(DateTimeOffset now, int retentionDays = 30, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(retentionDays);
        var cutoffDay = DateOnly.FromDateTime(now.UtcDateTime).AddDays(-retentionDays);
        var cutoff = new DateTimeOffset(cutoffDay.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

        var expired = new List<string>();
        await using (var list = dataSource.CreateCommand("""
            select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
            where i.inhparent = 'position_samples'::regclass
            """))
        await using (var reader = await list.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var name = reader.GetString(0);
                var match = PartitionName().Match(name);
                // A partition for day D holds [D, D+1); it is expired once D+1 <= cutoff.
                if (match.Success
                    && DateOnly.ParseExact(match.Groups[1].Value, "yyyyMMdd", CultureInfo.InvariantCulture).AddDays(1) <= cutoffDay)
                {
                    expired.Add(name);
                }
            }
        }

        foreach (var name in expired)
        {
            // Identifiers cannot be parameters; the name matched ^position_samples_p\d{8}$ above.
            await using var drop = dataSource.CreateCommand($"drop table if exists \"{name}\"");
            await drop.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var purge = dataSource.CreateCommand("delete from position_samples_default where server_time < @cutoff"))
        {
            purge.Parameters.AddWithValue("cutoff", cutoff);
            await purge.ExecuteNonQueryAsync(cancellationToken);
        }

        return expired;
    }

    /// <summary>Erases the player's positions, zone visits and sightings (one transaction).
    /// Captures stay: they are game state (another player's loss depends on them).</summary>
    public async Task<PlayerDeletion> DeletePlayerAsync(string playerId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var positions = await DeleteAsync(connection, tx, "delete from position_samples where player_id = @player", playerId, cancellationToken);
        var visits = await DeleteAsync(connection, tx, "delete from zone_visits where player_id = @player", playerId, cancellationToken);
        var sightings = await DeleteAsync(connection, tx, "delete from creature_sightings where player_id = @player", playerId, cancellationToken);
        // The ledger lines name the player; the sponsor's totals (zone_spend) carry no player and stay,
        // so statements and budgets do not change.
        await DeleteAsync(connection, tx, "delete from billed_visits where player_id = @player", playerId, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return new PlayerDeletion(positions, visits, sightings);
    }

    /// <summary>
    /// Writes the player's data as a GeoJSON FeatureCollection (RFC 7946, [lon, lat]) to
    /// <paramref name="output"/>: one Point feature per position and capture (property
    /// <c>kind</c> = "position" | "capture"), and geometry-less features for zone visits and
    /// sightings. Rows are streamed, so the export of a long history does not sit in memory.
    /// </summary>
    public async Task ExportPlayerAsync(string playerId, Stream output, CancellationToken cancellationToken = default)
    {
        await using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteString("type", "FeatureCollection");
        json.WriteStartArray("features");

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // One snapshot for the whole export.
        await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);

        await ForEachAsync(connection, tx, """
            select seq, server_time, device_time, ST_X(geog::geometry), ST_Y(geog::geometry),
                   accuracy, heading, speed, course, cell_id
            from position_samples where player_id = @player order by server_time, seq
            """, playerId, r =>
            {
                StartPoint(json, r.GetDouble(3), r.GetDouble(4), "position");
                json.WriteNumber("seq", r.GetInt64(0));
                json.WriteString("serverTime", Utc(r.GetDateTime(1)));
                json.WriteString("deviceTime", Utc(r.GetDateTime(2)));
                WriteReal(json, "accuracy", r, 5);
                WriteReal(json, "heading", r, 6);
                WriteReal(json, "speed", r, 7);
                WriteReal(json, "course", r, 8);
                json.WriteString("cellId", r.GetString(9));
                EndFeature(json);
            }, json, cancellationToken);

        await ForEachAsync(connection, tx, """
            select creature_id, species, rarity, captured_at, ST_X(geog::geometry), ST_Y(geog::geometry)
            from captures where player_id = @player order by captured_at
            """, playerId, r =>
            {
                StartPoint(json, r.GetDouble(4), r.GetDouble(5), "capture");
                json.WriteString("creatureId", r.GetString(0));
                json.WriteString("species", r.GetString(1));
                json.WriteString("rarity", r.GetString(2));
                json.WriteString("capturedAt", Utc(r.GetDateTime(3)));
                EndFeature(json);
            }, json, cancellationToken);

        await ForEachAsync(connection, tx, """
            select zone_id, entered_at, exited_at, last_seen_at from zone_visits where player_id = @player order by entered_at
            """, playerId, r =>
            {
                StartNoGeometry(json, "zoneVisit");
                json.WriteString("zoneId", r.GetGuid(0));
                json.WriteString("enteredAt", Utc(r.GetDateTime(1)));
                if (r.IsDBNull(2))
                {
                    json.WriteNull("exitedAt");
                }
                else
                {
                    json.WriteString("exitedAt", Utc(r.GetDateTime(2)));
                }

                json.WriteString("lastSeenAt", Utc(r.GetDateTime(3)));
                EndFeature(json);
            }, json, cancellationToken);

        await ForEachAsync(connection, tx, """
            select zone_id, first_seen_at from creature_sightings where player_id = @player order by first_seen_at
            """, playerId, r =>
            {
                StartNoGeometry(json, "sighting");
                json.WriteString("zoneId", r.GetGuid(0));
                json.WriteString("seenAt", Utc(r.GetDateTime(1)));
                EndFeature(json);
            }, json, cancellationToken);

        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(cancellationToken);
    }

    private static async Task<long> DeleteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, string playerId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, connection, tx);
        cmd.Parameters.AddWithValue("player", playerId);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task ForEachAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, string playerId,
        Action<NpgsqlDataReader> write, Utf8JsonWriter json, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, connection, tx);
        cmd.Parameters.AddWithValue("player", playerId);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            write(reader);
            if (json.BytesPending > 32 * 1024)
            {
                await json.FlushAsync(ct);
            }
        }
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    private static void StartPoint(Utf8JsonWriter json, double lon, double lat, string kind)
    {
        json.WriteStartObject();
        json.WriteString("type", "Feature");
        json.WriteStartObject("geometry");
        json.WriteString("type", "Point");
        json.WriteStartArray("coordinates");
        json.WriteNumberValue(lon);
        json.WriteNumberValue(lat);
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteStartObject("properties");
        json.WriteString("kind", kind);
    }

    private static void StartNoGeometry(Utf8JsonWriter json, string kind)
    {
        json.WriteStartObject();
        json.WriteString("type", "Feature");
        json.WriteNull("geometry");
        json.WriteStartObject("properties");
        json.WriteString("kind", kind);
    }

    private static void EndFeature(Utf8JsonWriter json)
    {
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteReal(Utf8JsonWriter json, string name, NpgsqlDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal))
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteNumber(name, reader.GetFloat(ordinal));
        }
    }

    [GeneratedRegex(@"^position_samples_p(\d{8})$")]
    private static partial Regex PartitionName();
}
