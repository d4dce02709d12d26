using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Npgsql;

namespace GameBackend.Data.Privacy;

/// <summary>What <see cref="PlayerDataStore.DeletePlayerAsync(string, DateTimeOffset, CancellationToken)"/> removed.</summary>
public readonly record struct PlayerDeletion(long Positions, long Visits, long Sightings, long Captures);

/// <summary>What one retention pass removed or coarsened, per table.</summary>
public readonly record struct RetentionResult(
    IReadOnlyList<string> DroppedPartitions, long Visits, long Sightings, long Spawns, long CapturesCoarsened, long Tombstones, long FairPlay);

/// <summary>A creature a player caught, as the captures table holds it.</summary>
public sealed record CapturedCreature(string CreatureId, string Species, string Rarity, double Latitude, double Longitude, DateTimeOffset CapturedAt);

/// <summary>
/// Retention and data-subject requests over the location history: drop expired day partitions,
/// erase one player's movement data, export one player's data as GeoJSON, list its captures.
/// </summary>
public sealed partial class PlayerDataStore(NpgsqlDataSource dataSource)
{
    /// <summary>The player's captures, newest first, at most <paramref name="limit"/>.</summary>
    public async Task<IReadOnlyList<CapturedCreature>> CollectionAsync(string playerId, int limit, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("""
            select creature_id, species, rarity, ST_Y(geog::geometry), ST_X(geog::geometry), captured_at
            from captures where player_id = @player
            order by captured_at desc, creature_id
            limit @limit
            """);
        cmd.Parameters.AddWithValue("player", playerId);
        cmd.Parameters.AddWithValue("limit", limit);
        var creatures = new List<CapturedCreature>();
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            creatures.Add(new CapturedCreature(
                r.GetString(0), r.GetString(1), r.GetString(2), r.GetDouble(3), r.GetDouble(4), r.GetFieldValue<DateTimeOffset>(5)));
        }

        return creatures;
    }

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

        var expired = new List<DateOnly>();
        await using (var list = dataSource.CreateCommand("""
            select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
            where i.inhparent = 'position_samples'::regclass
            """))
        await using (var reader = await list.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var match = PartitionName().Match(reader.GetString(0));
                // A partition for day D holds [D, D+1); it is expired once D+1 <= cutoff.
                if (match.Success
                    && DateOnly.ParseExact(match.Groups[1].Value, "yyyyMMdd", CultureInfo.InvariantCulture) is var day
                    && day.AddDays(1) <= cutoffDay)
                {
                    expired.Add(day);
                }
            }
        }

        var dropped = new List<string>(expired.Count);
        foreach (var day in expired)
        {
            // The server's role owns no table: the owner's drop_position_partition (migration 0008)
            // drops the partition of that day, and only an attached partition of position_samples.
            await using var drop = dataSource.CreateCommand("select drop_position_partition(@day)");
            drop.Parameters.AddWithValue("day", day);
            if (await drop.ExecuteScalarAsync(cancellationToken) is string name)
            {
                dropped.Add(name);
            }
        }

        await using (var purge = dataSource.CreateCommand("delete from position_samples_default where server_time < @cutoff"))
        {
            purge.Parameters.AddWithValue("cutoff", cutoff);
            await purge.ExecuteNonQueryAsync(cancellationToken);
        }

        return dropped;
    }

    /// <summary>Erasure as of now by the system clock; see the overload.</summary>
    public Task<PlayerDeletion> DeletePlayerAsync(string playerId, CancellationToken cancellationToken = default) =>
        DeletePlayerAsync(playerId, DateTimeOffset.UtcNow, cancellationToken);

    /// <summary>
    /// Erases everything stored about the player's play up to <paramref name="erasedAt"/> (the game
    /// clock's now): positions, zone visits, sightings, captures (the collection with them), and the
    /// trusted position of the anti-cheat record, in one transaction; and leaves a tombstone so
    /// that rows up to that time still buffered or spilled anywhere are dropped by the history
    /// writer instead of written (see <see cref="ErasureTombstones"/>). Kept: the account (the
    /// player goes on playing under the same id) and strikes/ban (fraud prevention, not history).
    /// </summary>
    public async Task<PlayerDeletion> DeletePlayerAsync(string playerId, DateTimeOffset erasedAt, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        // Waits for history writes in flight, and keeps new ones out until the tombstone is committed.
        await ErasureTombstones.LockExclusiveAsync(connection, tx, cancellationToken);
        await using (var tombstone = new NpgsqlCommand("""
            insert into erased_players (player_id, erased_at) values (@player, @at)
            on conflict (player_id) do update set erased_at = greatest(erased_players.erased_at, excluded.erased_at)
            """, connection, tx))
        {
            tombstone.Parameters.AddWithValue("player", playerId);
            tombstone.Parameters.AddWithValue("at", erasedAt);
            await tombstone.ExecuteNonQueryAsync(cancellationToken);
        }

        var positions = await DeleteAsync(connection, tx, "delete from position_samples where player_id = @player", playerId, cancellationToken);
        var visits = await DeleteAsync(connection, tx, "delete from zone_visits where player_id = @player", playerId, cancellationToken);
        var sightings = await DeleteAsync(connection, tx, "delete from creature_sightings where player_id = @player", playerId, cancellationToken);
        // The ledger lines name the player; the sponsor's totals (zone_spend) carry no player and stay,
        // so statements and budgets do not change.
        await DeleteAsync(connection, tx, "delete from billed_visits where player_id = @player", playerId, cancellationToken);
        // The creature stays caught in the game (its cell remembers); only the record of who caught
        // it and where goes. The row was the commit point of a capture race long decided.
        var captures = await DeleteAsync(connection, tx, "delete from captures where player_id = @player", playerId, cancellationToken);
        await DeleteAsync(connection, tx, """
            update player_fair_play set trusted_at_ms = null, trusted_lat = null, trusted_lon = null, trusted_accuracy = null, updated_at = now()
            where player_id = @player
            """, playerId, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return new PlayerDeletion(positions, visits, sightings, captures);
    }

    /// <summary>
    /// Retention over every history table, for data older than <paramref name="retentionDays"/>
    /// days before <paramref name="now"/>: position partitions dropped; zone visits (by the end of
    /// the visit), sightings, spawns, erasure tombstones and idle anti-cheat records (no ban left)
    /// deleted; captures kept as the players' collections but their location coarsened to a
    /// 0.01° grid (about 1 km), once.
    /// </summary>
    public async Task<RetentionResult> ApplyRetentionAsync(DateTimeOffset now, int retentionDays = 30, CancellationToken cancellationToken = default)
    {
        var partitions = await DropExpiredPositionsAsync(now, retentionDays, cancellationToken);
        var cutoffDay = DateOnly.FromDateTime(now.UtcDateTime).AddDays(-retentionDays);
        var cutoff = new DateTimeOffset(cutoffDay.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

        async Task<long> Run(string sql)
        {
            await using var cmd = dataSource.CreateCommand(sql);
            cmd.Parameters.AddWithValue("cutoff", cutoff);
            cmd.Parameters.AddWithValue("nowMs", now.ToUnixTimeMilliseconds());
            return await cmd.ExecuteNonQueryAsync(cancellationToken);
        }

        var visits = await Run("delete from zone_visits where coalesce(exited_at, last_seen_at) < @cutoff");
        var sightings = await Run("delete from creature_sightings where first_seen_at < @cutoff");
        var spawns = await Run("delete from spawns where expires_at < @cutoff");
        var captures = await Run("""
            update captures set geog = ST_SnapToGrid(geog::geometry, 0.01)::geography, location_coarsened = true
            where captured_at < @cutoff and not location_coarsened
            """);
        var tombstones = await Run("delete from erased_players where erased_at < @cutoff");
        var fairPlay = await Run("delete from player_fair_play where updated_at < @cutoff and banned_until_ms < @nowMs");
        return new RetentionResult(partitions, visits, sightings, spawns, captures, tombstones, fairPlay);
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
                   accuracy, heading, speed, course, cell_id, accel_x, accel_y, accel_z
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
                WriteReal(json, "accelX", r, 10);
                WriteReal(json, "accelY", r, 11);
                WriteReal(json, "accelZ", r, 12);
                EndFeature(json);
            }, json, cancellationToken);

        await ForEachAsync(connection, tx, """
            select creature_id, species, rarity, captured_at, ST_X(geog::geometry), ST_Y(geog::geometry), attempts, losers, location_coarsened
            from captures where player_id = @player order by captured_at
            """, playerId, r =>
            {
                StartPoint(json, r.GetDouble(4), r.GetDouble(5), "capture");
                json.WriteString("creatureId", r.GetString(0));
                json.WriteString("species", r.GetString(1));
                json.WriteString("rarity", r.GetString(2));
                json.WriteString("capturedAt", Utc(r.GetDateTime(3)));
                json.WriteNumber("attempts", r.GetInt32(6));
                json.WriteNumber("losers", r.GetInt32(7));
                json.WriteBoolean("locationCoarsened", r.GetBoolean(8));
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

        // The anti-cheat record: a Point when it holds a trusted position.
        await ForEachAsync(connection, tx, """
            select strikes, strikes_at_ms, banned_until_ms, trusted_at_ms, trusted_lon, trusted_lat, trusted_accuracy, updated_at
            from player_fair_play where player_id = @player
            """, playerId, r =>
            {
                if (r.IsDBNull(3))
                {
                    StartNoGeometry(json, "fairPlay");
                }
                else
                {
                    StartPoint(json, r.GetDouble(4), r.GetDouble(5), "fairPlay");
                    json.WriteString("trustedAt", DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3)));
                    if (!r.IsDBNull(6))
                    {
                        json.WriteNumber("trustedAccuracy", r.GetDouble(6));
                    }
                }

                json.WriteNumber("strikes", r.GetInt32(0));
                json.WriteString("strikesAt", DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)));
                if (r.GetInt64(2) > 0)
                {
                    json.WriteString("bannedUntil", DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2)));
                }

                json.WriteString("updatedAt", Utc(r.GetDateTime(7)));
                EndFeature(json);
            }, json, cancellationToken);

        // The account: its device id and creation time. The device secret's hash is a credential, not play data.
        await ForEachAsync(connection, tx, """
            select device_id, created_at from player_accounts where player_id = @player
            """, playerId, r =>
            {
                StartNoGeometry(json, "account");
                json.WriteString("deviceId", r.GetString(0));
                json.WriteString("createdAt", Utc(r.GetDateTime(1)));
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
