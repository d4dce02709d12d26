using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Npgsql;
using NpgsqlTypes;

namespace GameBackend.Data.History;

/// <summary>How one kind of history record is timed, spilled and written. Every write is
/// idempotent (<c>on conflict do nothing</c> or a merge on the natural key), so a batch that failed
/// half-way, or was spilled and replayed, can be written again without creating duplicates.</summary>
internal interface IRecordSink<T>
    where T : struct
{
    string Kind { get; }

    JsonTypeInfo<T> JsonType { get; }

    DateTimeOffset TimestampOf(in T record);

    /// <summary>The player a row is about (an erasure drops it), or null for rows about nobody.</summary>
    string? PlayerOf(in T record);

    /// <summary>The time an erasure compares with its tombstone: a row at or before it is the erased player's past.</summary>
    DateTimeOffset ErasureTimeOf(in T record);

    /// <summary>Writes the batch inside <paramref name="tx"/>; returns the number of new rows.</summary>
    Task<int> WriteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, ReadOnlyMemory<T> batch, CancellationToken ct);

    /// <summary>The transaction of the last <see cref="WriteAsync"/> committed: what it changed is visible to others now.</summary>
    void Committed()
    {
    }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PositionSample))]
[JsonSerializable(typeof(SpawnRecord))]
[JsonSerializable(typeof(CaptureRecord))]
[JsonSerializable(typeof(ZoneVisitEvent))]
[JsonSerializable(typeof(CreatureSighting))]
internal sealed partial class HistoryJsonContext : JsonSerializerContext;

internal static class Sql
{
    public static async Task<int> ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken ct, params NpgsqlParameter[] parameters)
    {
        await using var cmd = new NpgsqlCommand(sql, connection, tx);
        cmd.Parameters.AddRange(parameters);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    public static NpgsqlParameter Param<TValue>(string name, TValue value) => new NpgsqlParameter<TValue>(name, value);

    public static DateTime Utc(DateTimeOffset value) => value.UtcDateTime;
}

/// <summary>
/// Positions: binary COPY straight into the partitioned table, the point written as EWKB. A batch
/// that holds a row already stored (a replayed spill file or journal segment, a fix accepted twice
/// across a failover) violates the primary key; that batch alone is rolled back to a savepoint and
/// written through a transaction-scoped staging table and a de-duplicating insert. The direct path
/// spares PostgreSQL a temporary table, a second copy of every row and a point conversion per row:
/// under load it was the ingest's bottleneck (docs/benchmarks.md).
/// </summary>
internal sealed class PositionSink : IRecordSink<PositionSample>
{
    private const string Columns = "player_id, seq, server_time, device_time, geog, accuracy, heading, speed, course, accel_x, accel_y, accel_z, cell_id";

    public string Kind => "positions";

    public JsonTypeInfo<PositionSample> JsonType => HistoryJsonContext.Default.PositionSample;

    public DateTimeOffset TimestampOf(in PositionSample record) => record.ServerTime;

    public string? PlayerOf(in PositionSample record) => record.PlayerId;

    public DateTimeOffset ErasureTimeOf(in PositionSample record) => record.ServerTime;

    public async Task<int> WriteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, ReadOnlyMemory<PositionSample> batch, CancellationToken ct)
    {
        await tx.SaveAsync("direct", ct);
        try
        {
            var copied = await CopyAsync(connection, $"copy position_samples ({Columns}) from stdin (format binary)", batch, pointAsEwkb: true, ct);
            await tx.ReleaseAsync("direct", ct);
            return copied;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            await tx.RollbackAsync("direct", ct);
        }

        await Sql.ExecuteAsync(connection, tx, """
            create temp table stage_positions (
                player_id text, seq bigint, server_time timestamptz, device_time timestamptz,
                lon float8, lat float8, accuracy real, heading real, speed real, course real,
                accel_x real, accel_y real, accel_z real, cell_id text) on commit drop
            """, ct);
        await CopyAsync(connection, "copy stage_positions from stdin (format binary)", batch, pointAsEwkb: false, ct);
        return await Sql.ExecuteAsync(connection, tx, $"""
            insert into position_samples ({Columns})
            select player_id, seq, server_time, device_time,
                   ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography,
                   accuracy, heading, speed, course, accel_x, accel_y, accel_z, cell_id
            from stage_positions
            on conflict do nothing
            """, ct);
    }

    private static async Task<int> CopyAsync(NpgsqlConnection connection, string copy, ReadOnlyMemory<PositionSample> batch, bool pointAsEwkb, CancellationToken ct)
    {
        // One buffer for every row: each write is awaited, so Npgsql is done with it before the next.
        var ewkb = new byte[25];
        await using var importer = await connection.BeginBinaryImportAsync(copy, ct);
        for (var i = 0; i < batch.Length; i++)
        {
            var s = batch.Span[i];
            await importer.StartRowAsync(ct);
            await importer.WriteAsync(s.PlayerId, NpgsqlDbType.Text, ct);
            await importer.WriteAsync(s.Seq, NpgsqlDbType.Bigint, ct);
            await importer.WriteAsync(s.ServerTime.UtcDateTime, NpgsqlDbType.TimestampTz, ct);
            await importer.WriteAsync(s.DeviceTime.UtcDateTime, NpgsqlDbType.TimestampTz, ct);
            if (pointAsEwkb)
            {
                // Binary COPY hands each field to the column type's receive function; geography's
                // takes (E)WKB, so the bytes go as they are.
                PointEwkb.Write(ewkb, s.Longitude, s.Latitude);
                await importer.WriteAsync(ewkb, NpgsqlDbType.Bytea, ct);
            }
            else
            {
                await importer.WriteAsync(s.Longitude, NpgsqlDbType.Double, ct);
                await importer.WriteAsync(s.Latitude, NpgsqlDbType.Double, ct);
            }

            await WriteRealAsync(importer, s.Accuracy, ct);
            await WriteRealAsync(importer, s.Heading, ct);
            await WriteRealAsync(importer, s.Speed, ct);
            await WriteRealAsync(importer, s.Course, ct);
            await WriteRealAsync(importer, s.AccelX, ct);
            await WriteRealAsync(importer, s.AccelY, ct);
            await WriteRealAsync(importer, s.AccelZ, ct);
            await importer.WriteAsync(s.CellId, NpgsqlDbType.Text, ct);
        }

        return (int)await importer.CompleteAsync(ct);
    }

    private static Task WriteRealAsync(NpgsqlBinaryImporter importer, float? value, CancellationToken ct) =>
        value is { } v ? importer.WriteAsync(v, NpgsqlDbType.Real, ct) : importer.WriteNullAsync(ct);
}

/// <summary>A WGS84 point as little-endian EWKB (with its SRID), PostGIS's binary form.</summary>
internal static class PointEwkb
{
    private const uint PointWithSrid = 1 | 0x20000000;
    private const uint Wgs84 = 4326;

    public static void Write(Span<byte> into, double longitude, double latitude)
    {
        into[0] = 1; // little-endian
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(into[1..], PointWithSrid);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(into[5..], Wgs84);
        System.Buffers.Binary.BinaryPrimitives.WriteDoubleLittleEndian(into[9..], longitude);
        System.Buffers.Binary.BinaryPrimitives.WriteDoubleLittleEndian(into[17..], latitude);
    }
}

internal sealed class SpawnSink : IRecordSink<SpawnRecord>
{
    public string Kind => "spawns";

    public JsonTypeInfo<SpawnRecord> JsonType => HistoryJsonContext.Default.SpawnRecord;

    public DateTimeOffset TimestampOf(in SpawnRecord record) => record.SpawnedAt;

    public string? PlayerOf(in SpawnRecord record) => null;

    public DateTimeOffset ErasureTimeOf(in SpawnRecord record) => record.SpawnedAt;

    public Task<int> WriteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, ReadOnlyMemory<SpawnRecord> batch, CancellationToken ct)
    {
        var span = batch.Span;
        var ids = new string[span.Length];
        var species = new string[span.Length];
        var rarity = new string[span.Length];
        var lon = new double[span.Length];
        var lat = new double[span.Length];
        var spawned = new DateTime[span.Length];
        var expires = new DateTime[span.Length];
        var cells = new string[span.Length];
        var zones = new Guid?[span.Length];
        for (var i = 0; i < span.Length; i++)
        {
            ref readonly var r = ref span[i];
            (ids[i], species[i], rarity[i], lon[i], lat[i]) = (r.CreatureId, r.Species, r.Rarity, r.Longitude, r.Latitude);
            (spawned[i], expires[i], cells[i], zones[i]) = (Sql.Utc(r.SpawnedAt), Sql.Utc(r.ExpiresAt), r.CellId, r.SponsorZoneId);
        }

        return Sql.ExecuteAsync(connection, tx, """
            insert into spawns (creature_id, species, rarity, geog, spawned_at, expires_at, cell_id, sponsor_zone_id)
            select id, sp, ra, ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography, sa, ea, cell, zone
            from unnest(@ids, @species, @rarity, @lon, @lat, @spawned, @expires, @cells, @zones)
                 as t(id, sp, ra, lon, lat, sa, ea, cell, zone)
            on conflict do nothing
            """, ct,
            Sql.Param("ids", ids), Sql.Param("species", species), Sql.Param("rarity", rarity),
            Sql.Param("lon", lon), Sql.Param("lat", lat), Sql.Param("spawned", spawned),
            Sql.Param("expires", expires), Sql.Param("cells", cells), Sql.Param("zones", zones));
    }
}

internal sealed class CaptureSink : IRecordSink<CaptureRecord>
{
    public string Kind => "captures";

    public JsonTypeInfo<CaptureRecord> JsonType => HistoryJsonContext.Default.CaptureRecord;

    public DateTimeOffset TimestampOf(in CaptureRecord record) => record.CapturedAt;

    public string? PlayerOf(in CaptureRecord record) => record.PlayerId;

    public DateTimeOffset ErasureTimeOf(in CaptureRecord record) => record.CapturedAt;

    public Task<int> WriteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, ReadOnlyMemory<CaptureRecord> batch, CancellationToken ct)
    {
        var span = batch.Span;
        var ids = new string[span.Length];
        var players = new string[span.Length];
        var species = new string[span.Length];
        var rarity = new string[span.Length];
        var lon = new double[span.Length];
        var lat = new double[span.Length];
        var at = new DateTime[span.Length];
        var attempts = new int[span.Length];
        var losers = new int[span.Length];
        for (var i = 0; i < span.Length; i++)
        {
            ref readonly var r = ref span[i];
            (ids[i], players[i], species[i], rarity[i], lon[i], lat[i]) = (r.CreatureId, r.PlayerId, r.Species, r.Rarity, r.Longitude, r.Latitude);
            (at[i], attempts[i], losers[i]) = (Sql.Utc(r.CapturedAt), r.Attempts, r.Losers);
        }

        // The first committed winner stands (captures.creature_id is the commit point).
        return Sql.ExecuteAsync(connection, tx, """
            insert into captures (creature_id, player_id, species, rarity, geog, captured_at, attempts, losers)
            select id, pl, sp, ra, ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography, at, att, los
            from unnest(@ids, @players, @species, @rarity, @lon, @lat, @at, @attempts, @losers)
                 as t(id, pl, sp, ra, lon, lat, at, att, los)
            on conflict do nothing
            """, ct,
            Sql.Param("ids", ids), Sql.Param("players", players), Sql.Param("species", species),
            Sql.Param("rarity", rarity), Sql.Param("lon", lon), Sql.Param("lat", lat), Sql.Param("at", at),
            Sql.Param("attempts", attempts), Sql.Param("losers", losers));
    }
}

/// <summary>
/// Zone visits, merged on their natural key, and billed in the same transaction
/// (<c>bill_zone_visits</c>): the visit row and its charge commit together or not at all, and the
/// ledger's key (zone, player, UTC day) turns every replay into a no-op.
/// </summary>
internal sealed class ZoneVisitSink(Billing.IZoneSpendListener? spendListener = null) : IRecordSink<ZoneVisitEvent>
{
    // Zones charged by the transaction in flight; reported only after it commits, so a listener
    // that re-reads budgets sees the new spend. One write loop per lane: no concurrent use.
    private readonly HashSet<Guid> _charged = [];

    public string Kind => "visits";

    public JsonTypeInfo<ZoneVisitEvent> JsonType => HistoryJsonContext.Default.ZoneVisitEvent;

    public DateTimeOffset TimestampOf(in ZoneVisitEvent record) => record.LastSeenAt;

    public string? PlayerOf(in ZoneVisitEvent record) => record.PlayerId;

    // A visit open when its player was erased keeps its entry time in the tracker: all of its later
    // events are dropped too, so it is not written again with its pre-erasure entry.
    public DateTimeOffset ErasureTimeOf(in ZoneVisitEvent record) => record.EnteredAt;

    public async Task<int> WriteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, ReadOnlyMemory<ZoneVisitEvent> batch, CancellationToken ct)
    {
        var span = batch.Span;
        var zones = new Guid[span.Length];
        var players = new string[span.Length];
        var entered = new DateTime[span.Length];
        var seen = new DateTime[span.Length];
        var exited = new DateTime?[span.Length];
        for (var i = 0; i < span.Length; i++)
        {
            ref readonly var r = ref span[i];
            (zones[i], players[i], entered[i], seen[i]) = (r.ZoneId, r.PlayerId, Sql.Utc(r.EnteredAt), Sql.Utc(r.LastSeenAt));
            exited[i] = r.ExitedAt?.UtcDateTime;
        }

        // Collapse the batch to one row per visit (an exit wins over its enter), and close a visit
        // that is followed by a later one in the same batch (its exit event was lost).
        await Sql.ExecuteAsync(connection, tx, """
            create temp table stage_visits on commit drop as
            with collapsed as (
                select distinct on (zone_id, player_id, entered_at) zone_id, player_id, entered_at, last_seen_at, exited_at
                from unnest(@zones, @players, @entered, @seen, @exited) as t(zone_id, player_id, entered_at, last_seen_at, exited_at)
                order by zone_id, player_id, entered_at, exited_at is null, last_seen_at desc)
            select zone_id, player_id, entered_at, last_seen_at,
                   case when exited_at is null and lead(entered_at) over w is not null then last_seen_at
                        else exited_at end as exited_at
            from collapsed
            window w as (partition by zone_id, player_id order by entered_at)
            """, ct,
            Sql.Param("zones", zones), Sql.Param("players", players), Sql.Param("entered", entered),
            Sql.Param("seen", seen), Sql.Param("exited", exited));

        // A still-open older visit whose exit was lost (e.g. a node crash) is closed at its last
        // sighting, so the "one open visit per zone" index admits the newer one.
        await Sql.ExecuteAsync(connection, tx, """
            update zone_visits v set exited_at = v.last_seen_at
            from (select zone_id, player_id, max(entered_at) as latest from stage_visits group by 1, 2) s
            where v.zone_id = s.zone_id and v.player_id = s.player_id and v.exited_at is null and v.entered_at < s.latest
            """, ct);

        // A visit already closed keeps its exit unless the player was seen in it later: the sweep of
        // abandoned visits (BillingStore.CloseAbandonedVisitsAsync) closes at the last sighting it
        // knows, and a node whose writes were only late (an outage, a backlog) then extends it
        // instead of losing the rest of the dwell.
        await Sql.ExecuteAsync(connection, tx, """
            update zone_visits v
            set last_seen_at = greatest(v.last_seen_at, s.last_seen_at),
                exited_at = case when v.exited_at is null then s.exited_at
                                 else greatest(v.exited_at, s.exited_at, s.last_seen_at) end
            from stage_visits s
            where v.zone_id = s.zone_id and v.player_id = s.player_id and v.entered_at = s.entered_at
            """, ct);

        var inserted = await Sql.ExecuteAsync(connection, tx, """
            insert into zone_visits (zone_id, player_id, entered_at, last_seen_at, exited_at)
            select zone_id, player_id, entered_at, last_seen_at, exited_at from stage_visits
            on conflict do nothing
            """, ct);

        _charged.Clear();
        await Billing.VisitBilling.BillAsync(connection, tx, zones, players, entered, _charged, ct);
        return inserted;
    }

    public void Committed()
    {
        if (_charged.Count > 0 && spendListener is not null)
        {
            Guid[] zones = [.. _charged];
            _charged.Clear();
            spendListener.ZoneSpendChanged(zones);
        }
    }
}

internal sealed class SightingSink : IRecordSink<CreatureSighting>
{
    public string Kind => "sightings";

    public JsonTypeInfo<CreatureSighting> JsonType => HistoryJsonContext.Default.CreatureSighting;

    public DateTimeOffset TimestampOf(in CreatureSighting record) => record.SeenAt;

    public string? PlayerOf(in CreatureSighting record) => record.PlayerId;

    public DateTimeOffset ErasureTimeOf(in CreatureSighting record) => record.SeenAt;

    public Task<int> WriteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, ReadOnlyMemory<CreatureSighting> batch, CancellationToken ct)
    {
        var span = batch.Span;
        var zones = new Guid[span.Length];
        var players = new string[span.Length];
        var seen = new DateTime[span.Length];
        for (var i = 0; i < span.Length; i++)
        {
            (zones[i], players[i], seen[i]) = (span[i].ZoneId, span[i].PlayerId, Sql.Utc(span[i].SeenAt));
        }

        return Sql.ExecuteAsync(connection, tx, """
            insert into creature_sightings (zone_id, player_id, first_seen_at)
            select * from unnest(@zones, @players, @seen)
            on conflict do nothing
            """, ct, Sql.Param("zones", zones), Sql.Param("players", players), Sql.Param("seen", seen));
    }
}
