using GameBackend.Data.Audit;
using NetTopologySuite.Geometries;
using Npgsql;
using NpgsqlTypes;

namespace GameBackend.Data.Moderation;

/// <summary>Zone states written by approval (the <c>status</c> column is shared with sponsor billing).</summary>
public static class ZoneStatus
{
    public const string Active = "active";
    public const string PendingApproval = "pending_approval";
    public const string Rejected = "rejected";
}

/// <summary>A sponsor zone as the operator reviews it.</summary>
public sealed record ZoneForReview(
    Guid Id, Guid SponsorId, string SponsorName, string Name, string Status, Geometry Area, DateTimeOffset UpdatedAt,
    string? Decision, string? Reason, DateTimeOffset? ReviewedAt);

/// <summary>A public request to remove creatures from a place.</summary>
public sealed record RemovalRequest(
    Guid Id, DateTimeOffset CreatedAt, Geometry Area, string Reason, string? Contact, string Status,
    string? DecidedBy, DateTimeOffset? DecidedAt, string? DecisionReason, Guid? ExclusionZoneId);

/// <summary>A banned player.</summary>
public sealed record PlayerBan(string PlayerId, string Reason, string BannedBy, DateTimeOffset BannedAt);

/// <summary>What accepting a removal request created.</summary>
public sealed record AcceptedRemoval(RemovalRequest Request, Guid ExclusionZoneId, Geometry Area);

/// <summary>
/// Operator moderation in PostgreSQL: zone approval, removal requests and bans. Every decision and
/// its <see cref="AuditLog"/> row commit in one transaction.
/// </summary>
public sealed class ModerationStore(NpgsqlDataSource dataSource, AuditLog audit, TimeProvider time)
{
    /// <summary>Open removal requests kept at most: a size bound on what an anonymous public endpoint can fill.</summary>
    public const int MaxOpenRemovalRequests = 10_000;

    private const string RemovalColumns =
        "id, created_at, area, reason, contact, status, decided_by, decided_at, decision_reason, exclusion_zone_id";

    // ---- zone approval ----------------------------------------------------------------------

    /// <summary>Zones in <paramref name="status"/> (default: waiting for approval), oldest change first.</summary>
    public async Task<IReadOnlyList<ZoneForReview>> ListZonesAsync(string status = ZoneStatus.PendingApproval, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("""
            select z.id, z.sponsor_id, s.name, z.name, z.status, z.geog, z.updated_at, r.decision, r.reason, r.reviewed_at
            from sponsor_zones z join sponsors s on s.id = z.sponsor_id left join zone_reviews r on r.zone_id = z.id
            where z.status = @status
            order by z.updated_at, z.id
            """);
        cmd.Parameters.AddWithValue("status", status);
        var rows = new List<ZoneForReview>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new ZoneForReview(
                reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetFieldValue<Geometry>(5), reader.GetFieldValue<DateTimeOffset>(6),
                reader.IsDBNull(7) ? null : reader.GetString(7), reader.IsDBNull(8) ? null : reader.GetString(8),
                reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9)));
        }

        return rows;
    }

    /// <summary>
    /// Approves (status <c>active</c>) or rejects a zone that waits for review or was rejected before.
    /// Returns the sponsor id, or null when there is no such zone in a reviewable state.
    /// </summary>
    public async Task<Guid?> ReviewZoneAsync(Guid zoneId, bool approve, string? reason, string actor, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        Guid sponsorId;
        await using (var cmd = new NpgsqlCommand("""
            update sponsor_zones set status = @status
            where id = @id and status in ('pending_approval', 'rejected')
            returning sponsor_id
            """, connection, tx))
        {
            cmd.Parameters.AddWithValue("id", zoneId);
            cmd.Parameters.AddWithValue("status", approve ? ZoneStatus.Active : ZoneStatus.Rejected);
            if (await cmd.ExecuteScalarAsync(cancellationToken) is not Guid found)
            {
                return null;
            }

            sponsorId = found;
        }

        await using (var cmd = new NpgsqlCommand("""
            insert into zone_reviews (zone_id, decision, reason, reviewed_by, reviewed_at) values (@id, @decision, @reason, @by, @at)
            on conflict (zone_id) do update set decision = excluded.decision, reason = excluded.reason,
                reviewed_by = excluded.reviewed_by, reviewed_at = excluded.reviewed_at
            """, connection, tx))
        {
            cmd.Parameters.AddWithValue("id", zoneId);
            cmd.Parameters.AddWithValue("decision", approve ? "approved" : "rejected");
            cmd.Parameters.AddWithValue("reason", (object?)reason ?? DBNull.Value);
            cmd.Parameters.AddWithValue("by", actor);
            cmd.Parameters.AddWithValue("at", time.GetUtcNow());
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }

        await audit.RecordAsync(connection, tx, actor, approve ? AuditActions.ZoneApproved : AuditActions.ZoneRejected, zoneId.ToString(),
            new { sponsorId, reason }, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return sponsorId;
    }

    // ---- removal requests -------------------------------------------------------------------

    /// <summary>Area in square metres on the ground (a request's size bound).</summary>
    public async Task<double> AreaSquareMetersAsync(Geometry area, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("select ST_Area(@area)");
        cmd.Parameters.Add(new NpgsqlParameter("area", NpgsqlDbType.Geography) { Value = area });
        return Convert.ToDouble(await cmd.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A circle of <paramref name="radiusMeters"/> on the ground around a point, as a polygon.</summary>
    public async Task<Geometry> CircleAsync(double latitude, double longitude, double radiusMeters, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("select ST_Buffer(@center, @radius, 'quad_segs=8')");
        cmd.Parameters.Add(new NpgsqlParameter("center", NpgsqlDbType.Geography) { Value = new Point(longitude, latitude) { SRID = 4326 } });
        cmd.Parameters.AddWithValue("radius", radiusMeters);
        return (Geometry)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Stores a request; null when <see cref="MaxOpenRemovalRequests"/> are already open.</summary>
    public async Task<RemovalRequest?> CreateRemovalRequestAsync(Geometry area, string reason, string? contact, CancellationToken cancellationToken = default)
    {
        // The count and the insert are one statement, so the bound holds without a lock (give or
        // take concurrent inserts, which is fine for a size bound).
        await using var cmd = dataSource.CreateCommand($"""
            insert into removal_requests (id, created_at, area, reason, contact)
            select @id, @at, @area, @reason, @contact
            where (select count(*) from removal_requests where status = 'open') < @max
            returning {RemovalColumns}
            """);
        cmd.Parameters.AddWithValue("id", Guid.CreateVersion7());
        cmd.Parameters.AddWithValue("at", time.GetUtcNow());
        cmd.Parameters.Add(new NpgsqlParameter("area", NpgsqlDbType.Geography) { Value = area });
        cmd.Parameters.AddWithValue("reason", reason);
        cmd.Parameters.AddWithValue("contact", (object?)contact ?? DBNull.Value);
        cmd.Parameters.AddWithValue("max", (long)MaxOpenRemovalRequests);
        var rows = await ReadRemovalsAsync(cmd, cancellationToken);
        return rows.Count == 1 ? rows[0] : null;
    }

    /// <summary>Requests in <paramref name="status"/> (null: all), oldest first, at most 500.</summary>
    public async Task<IReadOnlyList<RemovalRequest>> ListRemovalRequestsAsync(string? status, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand($"""
            select {RemovalColumns} from removal_requests where (@status::text is null or status = @status)
            order by created_at, id limit 500
            """);
        cmd.Parameters.Add(new NpgsqlParameter("status", NpgsqlDbType.Text) { Value = (object?)status ?? DBNull.Value });
        return await ReadRemovalsAsync(cmd, cancellationToken);
    }

    /// <summary>
    /// Accepts an open request: in one transaction an exclusion zone with the request's area is
    /// created, the request is closed pointing at it, and both are audited. Null when the request is
    /// not open (unknown, or already decided).
    /// </summary>
    public async Task<AcceptedRemoval?> AcceptRemovalRequestAsync(Guid requestId, string exclusionName, string? reason, string actor, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var exclusionId = Guid.CreateVersion7();
        RemovalRequest? request;
        await using (var cmd = new NpgsqlCommand($"""
            update removal_requests set status = 'accepted', decided_by = @by, decided_at = @at, decision_reason = @reason,
                exclusion_zone_id = @exclusion
            where id = @id and status = 'open'
            returning {RemovalColumns}
            """, connection, tx))
        {
            cmd.Parameters.AddWithValue("id", requestId);
            cmd.Parameters.AddWithValue("by", actor);
            cmd.Parameters.AddWithValue("at", time.GetUtcNow());
            cmd.Parameters.AddWithValue("reason", (object?)reason ?? DBNull.Value);
            cmd.Parameters.AddWithValue("exclusion", exclusionId);
            var rows = await ReadRemovalsAsync(cmd, cancellationToken);
            request = rows.Count == 1 ? rows[0] : null;
        }

        if (request is null)
        {
            return null;
        }

        await using (var cmd = new NpgsqlCommand("insert into exclusion_zones (id, name, geog) values (@id, @name, @geog)", connection, tx))
        {
            cmd.Parameters.AddWithValue("id", exclusionId);
            cmd.Parameters.AddWithValue("name", exclusionName);
            cmd.Parameters.Add(new NpgsqlParameter("geog", NpgsqlDbType.Geography) { Value = request.Area });
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }

        await audit.RecordAsync(connection, tx, actor, AuditActions.RemovalAccepted, requestId.ToString(), new { exclusionZoneId = exclusionId, reason }, cancellationToken);
        await audit.RecordAsync(connection, tx, actor, AuditActions.ExclusionCreated, exclusionId.ToString(), new { name = exclusionName, removalRequestId = requestId }, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return new AcceptedRemoval(request, exclusionId, request.Area);
    }

    /// <summary>Rejects an open request; false when it is not open.</summary>
    public async Task<bool> RejectRemovalRequestAsync(Guid requestId, string? reason, string actor, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using (var cmd = new NpgsqlCommand("""
            update removal_requests set status = 'rejected', decided_by = @by, decided_at = @at, decision_reason = @reason
            where id = @id and status = 'open'
            """, connection, tx))
        {
            cmd.Parameters.AddWithValue("id", requestId);
            cmd.Parameters.AddWithValue("by", actor);
            cmd.Parameters.AddWithValue("at", time.GetUtcNow());
            cmd.Parameters.AddWithValue("reason", (object?)reason ?? DBNull.Value);
            if (await cmd.ExecuteNonQueryAsync(cancellationToken) != 1)
            {
                return false;
            }
        }

        await audit.RecordAsync(connection, tx, actor, AuditActions.RemovalRejected, requestId.ToString(), new { reason }, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return true;
    }

    private static async Task<List<RemovalRequest>> ReadRemovalsAsync(NpgsqlCommand cmd, CancellationToken cancellationToken)
    {
        var rows = new List<RemovalRequest>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new RemovalRequest(
                reader.GetGuid(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetFieldValue<Geometry>(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7), reader.IsDBNull(8) ? null : reader.GetString(8),
                reader.IsDBNull(9) ? null : reader.GetGuid(9)));
        }

        return rows;
    }

    // ---- bans -------------------------------------------------------------------------------

    /// <summary>Bans (or re-bans with a new reason) a player.</summary>
    public async Task<PlayerBan> BanAsync(string playerId, string reason, string actor, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var ban = new PlayerBan(playerId, reason, actor, time.GetUtcNow());
        await using (var cmd = new NpgsqlCommand("""
            insert into player_bans (player_id, reason, banned_by, banned_at) values (@player, @reason, @by, @at)
            on conflict (player_id) do update set reason = excluded.reason, banned_by = excluded.banned_by, banned_at = excluded.banned_at
            """, connection, tx))
        {
            cmd.Parameters.AddWithValue("player", playerId);
            cmd.Parameters.AddWithValue("reason", reason);
            cmd.Parameters.AddWithValue("by", actor);
            cmd.Parameters.AddWithValue("at", ban.BannedAt);
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }

        await audit.RecordAsync(connection, tx, actor, AuditActions.PlayerBanned, playerId, new { reason }, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return ban;
    }

    /// <summary>Lifts a ban; false when the player was not banned.</summary>
    public async Task<bool> UnbanAsync(string playerId, string actor, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using (var cmd = new NpgsqlCommand("delete from player_bans where player_id = @player", connection, tx))
        {
            cmd.Parameters.AddWithValue("player", playerId);
            if (await cmd.ExecuteNonQueryAsync(cancellationToken) != 1)
            {
                return false;
            }
        }

        await audit.RecordAsync(connection, tx, actor, AuditActions.PlayerUnbanned, playerId, null, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<PlayerBan?> FindBanAsync(string playerId, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("select player_id, reason, banned_by, banned_at from player_bans where player_id = @player");
        cmd.Parameters.AddWithValue("player", playerId);
        var rows = await ReadBansAsync(cmd, cancellationToken);
        return rows.Count == 1 ? rows[0] : null;
    }

    /// <summary>Every ban, newest first.</summary>
    public async Task<IReadOnlyList<PlayerBan>> ListBansAsync(CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("select player_id, reason, banned_by, banned_at from player_bans order by banned_at desc, player_id");
        return await ReadBansAsync(cmd, cancellationToken);
    }

    private static async Task<List<PlayerBan>> ReadBansAsync(NpgsqlCommand cmd, CancellationToken cancellationToken)
    {
        var rows = new List<PlayerBan>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new PlayerBan(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3)));
        }

        return rows;
    }
}
