using System.Text.Json;
using NetTopologySuite.Geometries;
using Npgsql;
using NpgsqlTypes;

namespace GameBackend.Data.Zones;

/// <summary>
/// Sponsor zones (every query scoped by sponsor id, so one sponsor can never read or change
/// another's zones) and exclusion zones. Storing a sponsor zone clips it by the exclusion zones.
/// Every change of a zone's effective area is kept as a new version (<c>sponsor_zone_versions</c>,
/// from <c>updated_at</c>), so pass the clock the game records history with as <paramref name="time"/>.
/// </summary>
public sealed class ZoneStore(NpgsqlDataSource dataSource, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    private const string ZoneColumns = """
        id, sponsor_id, name, kind, geog, requested_geog, center, radius_m, species_weights::text,
        spawns_per_hour, max_alive, schedule::text, starts_at, ends_at, clipped, created_at, updated_at, status
        """;

    public Task<ZoneSaveResult> CreateAsync(Guid sponsorId, SponsorZoneInput input, CancellationToken cancellationToken = default) =>
        CreateAsync(sponsorId, input, null, cancellationToken);

    /// <param name="status">The zone's <c>status</c>; null writes <c>active</c> (e.g. <c>pending_approval</c> when zones need an operator's approval).</param>
    public async Task<ZoneSaveResult> CreateAsync(Guid sponsorId, SponsorZoneInput input, string? status, CancellationToken cancellationToken = default)
    {
        input.Validate();
        var (requested, effective, clipped) = await PrepareAsync(input, cancellationToken);
        if (effective is null)
        {
            return new ZoneSaveResult(null, true, true);
        }

        await using var cmd = dataSource.CreateCommand($"""
            insert into sponsor_zones (id, sponsor_id, name, kind, geog, requested_geog, center, radius_m, species_weights,
                                       spawns_per_hour, max_alive, schedule, starts_at, ends_at, clipped, status, created_at, updated_at)
            values (@id, @sponsor, @name, @kind, @geog, @requested, @center, @radius, @weights,
                    @rate, @max, @schedule, @starts, @ends, @clipped, @status, @now, @now)
            returning {ZoneColumns}
            """);
        cmd.Parameters.AddWithValue("id", Guid.CreateVersion7());
        cmd.Parameters.AddWithValue("status", status ?? "active");
        AddZoneParameters(cmd, sponsorId, input, requested, effective, clipped);
        var zone = await ReadOneAsync(cmd, cancellationToken);
        return new ZoneSaveResult(zone, clipped, false);
    }

    /// <summary>
    /// How many zones a sponsor has and their requested area in km², leaving out <paramref name="except"/>
    /// (the zone being replaced). Quotas are checked against this before a save.
    /// </summary>
    public async Task<(int Zones, double AreaSquareKm)> UsageAsync(Guid sponsorId, Guid? except = null, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("""
            select count(*)::int, coalesce(sum(ST_Area(requested_geog)), 0) / 1e6
            from sponsor_zones where sponsor_id = @sponsor and (@except::uuid is null or id <> @except)
            """);
        cmd.Parameters.AddWithValue("sponsor", sponsorId);
        cmd.Parameters.Add(new NpgsqlParameter("except", NpgsqlTypes.NpgsqlDbType.Uuid) { Value = (object?)except ?? DBNull.Value });
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        await r.ReadAsync(cancellationToken);
        return (r.GetInt32(0), r.GetDouble(1));
    }

    /// <summary>Replaces a zone's definition; null when the sponsor has no such zone.</summary>
    public Task<ZoneSaveResult?> UpdateAsync(Guid sponsorId, Guid zoneId, SponsorZoneInput input, CancellationToken cancellationToken = default) =>
        UpdateAsync(sponsorId, zoneId, input, null, cancellationToken);

    /// <summary>Replaces a zone's definition; null when the sponsor has no such zone.</summary>
    /// <param name="status">A new <c>status</c> (e.g. <c>pending_approval</c>: a changed zone is reviewed again); null keeps it.</param>
    public async Task<ZoneSaveResult?> UpdateAsync(Guid sponsorId, Guid zoneId, SponsorZoneInput input, string? status, CancellationToken cancellationToken = default)
    {
        input.Validate();
        var (requested, effective, clipped) = await PrepareAsync(input, cancellationToken);
        if (effective is null)
        {
            return await GetAsync(sponsorId, zoneId, cancellationToken) is null ? null : new ZoneSaveResult(null, true, true);
        }

        await using var cmd = dataSource.CreateCommand($"""
            update sponsor_zones set name = @name, kind = @kind, geog = @geog, requested_geog = @requested, center = @center,
                radius_m = @radius, species_weights = @weights, spawns_per_hour = @rate, max_alive = @max, schedule = @schedule,
                starts_at = @starts, ends_at = @ends, clipped = @clipped, updated_at = @now, status = coalesce(@status, status)
            where id = @id and sponsor_id = @sponsor
            returning {ZoneColumns}
            """);
        cmd.Parameters.AddWithValue("id", zoneId);
        cmd.Parameters.Add(new NpgsqlParameter("status", NpgsqlDbType.Text) { Value = (object?)status ?? DBNull.Value });
        AddZoneParameters(cmd, sponsorId, input, requested, effective, clipped);
        var zone = await ReadOneAsync(cmd, cancellationToken);
        return zone is null ? null : new ZoneSaveResult(zone, clipped, false);
    }

    public async Task<SponsorZone?> GetAsync(Guid sponsorId, Guid zoneId, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand($"select {ZoneColumns} from sponsor_zones where id = @id and sponsor_id = @sponsor");
        cmd.Parameters.AddWithValue("id", zoneId);
        cmd.Parameters.AddWithValue("sponsor", sponsorId);
        return await ReadOneAsync(cmd, cancellationToken);
    }

    public async Task<IReadOnlyList<SponsorZone>> ListAsync(Guid sponsorId, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand($"select {ZoneColumns} from sponsor_zones where sponsor_id = @sponsor order by created_at, id");
        cmd.Parameters.AddWithValue("sponsor", sponsorId);
        return await ReadAllAsync(cmd, cancellationToken);
    }

    public async Task<bool> DeleteAsync(Guid sponsorId, Guid zoneId, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("delete from sponsor_zones where id = @id and sponsor_id = @sponsor");
        cmd.Parameters.AddWithValue("id", zoneId);
        cmd.Parameters.AddWithValue("sponsor", sponsorId);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>
    /// Server-side (all sponsors): zones active at <paramref name="at"/> whose effective area
    /// intersects the envelope, e.g. to load the zones of a cell into the spawner / visit tracker.
    /// </summary>
    public async Task<IReadOnlyList<SponsorZone>> ListActiveInEnvelopeAsync(Envelope bounds, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand($"""
            select {ZoneColumns} from sponsor_zones
            where ST_Intersects(geog, ST_MakeEnvelope(@minx, @miny, @maxx, @maxy, 4326)::geography)
              and (starts_at is null or starts_at <= @at) and (ends_at is null or ends_at > @at)
            order by id
            """);
        cmd.Parameters.AddWithValue("minx", bounds.MinX);
        cmd.Parameters.AddWithValue("miny", bounds.MinY);
        cmd.Parameters.AddWithValue("maxx", bounds.MaxX);
        cmd.Parameters.AddWithValue("maxy", bounds.MaxY);
        cmd.Parameters.AddWithValue("at", at);
        return await ReadAllAsync(cmd, cancellationToken);
    }

    /// <summary>
    /// Server-side (all sponsors): every zone that has not ended by <paramref name="at"/>, including
    /// ones that start later (the spawner's schedule check decides when they are live). What each
    /// node's zone cache loads. Zones waiting for approval or rejected by an operator never spawn.
    /// </summary>
    public async Task<IReadOnlyList<SponsorZone>> ListNotEndedAsync(DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand($"""
            select {ZoneColumns} from sponsor_zones
            where (ends_at is null or ends_at > @at) and status not in ('pending_approval', 'rejected')
            order by id
            """);
        cmd.Parameters.AddWithValue("at", at);
        return await ReadAllAsync(cmd, cancellationToken);
    }

    /// <summary>Previews the effect of the exclusion zones on an area: the effective geometry (null
    /// when nothing is left) and whether anything was removed.</summary>
    public async Task<(Geometry? Effective, bool Clipped)> ClipAsync(Polygon requested, CancellationToken cancellationToken = default)
    {
        // Planar difference in lon/lat (geometry): exact enough for city-scale zones, and
        // PostGIS has no geography ST_Difference.
        await using var cmd = dataSource.CreateCommand("""
            with ex as (
                select ST_Union(e.geog::geometry) as u from exclusion_zones e where ST_Intersects(e.geog, @requested))
            select case when ex.u is null then @requested::geometry
                        else ST_CollectionExtract(ST_Difference(@requested::geometry, ex.u), 3) end
            from ex
            """);
        cmd.Parameters.Add(new NpgsqlParameter("requested", NpgsqlDbType.Geography) { Value = requested });
        var effective = (Geometry)(await cmd.ExecuteScalarAsync(cancellationToken))!;
        effective.SRID = 4326;
        if (effective.IsEmpty)
        {
            return (null, true);
        }

        return (effective, !effective.EqualsTopologically(requested));
    }

    public async Task<ExclusionZone> CreateExclusionAsync(string name, Geometry area, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (area is not (Polygon or MultiPolygon) || !area.IsValid || area.IsEmpty)
        {
            throw new ArgumentException("An exclusion zone is a valid Polygon or MultiPolygon.", nameof(area));
        }

        area = WithSrid(area);
        await using var cmd = dataSource.CreateCommand(
            "insert into exclusion_zones (id, name, geog) values (@id, @name, @geog) returning id, name, geog, created_at");
        cmd.Parameters.AddWithValue("id", Guid.CreateVersion7());
        cmd.Parameters.AddWithValue("name", name);
        cmd.Parameters.Add(new NpgsqlParameter("geog", NpgsqlDbType.Geography) { Value = area });
        return (await ReadExclusionsAsync(cmd, cancellationToken))[0];
    }

    public async Task<IReadOnlyList<ExclusionZone>> ListExclusionsAsync(CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("select id, name, geog, created_at from exclusion_zones order by created_at, id");
        return await ReadExclusionsAsync(cmd, cancellationToken);
    }

    public async Task<bool> DeleteExclusionAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("delete from exclusion_zones where id = @id");
        cmd.Parameters.AddWithValue("id", id);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private async Task<(Polygon Requested, Geometry? Effective, bool Clipped)> PrepareAsync(SponsorZoneInput input, CancellationToken ct)
    {
        Polygon requested;
        if (input.Polygon is { } polygon)
        {
            requested = (Polygon)WithSrid(polygon);
        }
        else
        {
            // Buffer on the geography so the radius is in metres on the ground, not in degrees.
            await using var cmd = dataSource.CreateCommand("select ST_Buffer(@center, @radius, 'quad_segs=16')");
            cmd.Parameters.Add(new NpgsqlParameter("center", NpgsqlDbType.Geography) { Value = WithSrid(input.Center!) });
            cmd.Parameters.AddWithValue("radius", input.RadiusMeters!.Value);
            requested = (Polygon)(await cmd.ExecuteScalarAsync(ct))!;
            requested.SRID = 4326;
        }

        var (effective, clipped) = await ClipAsync(requested, ct);
        return (requested, effective, clipped);
    }

    private void AddZoneParameters(NpgsqlCommand cmd, Guid sponsorId, SponsorZoneInput input, Polygon requested, Geometry effective, bool clipped)
    {
        cmd.Parameters.AddWithValue("now", _time.GetUtcNow());
        cmd.Parameters.AddWithValue("sponsor", sponsorId);
        cmd.Parameters.AddWithValue("name", input.Name);
        cmd.Parameters.AddWithValue("kind", input.Kind == ZoneKind.Circle ? "circle" : "polygon");
        cmd.Parameters.Add(new NpgsqlParameter("geog", NpgsqlDbType.Geography) { Value = effective });
        cmd.Parameters.Add(new NpgsqlParameter("requested", NpgsqlDbType.Geography) { Value = requested });
        cmd.Parameters.Add(new NpgsqlParameter("center", NpgsqlDbType.Geography) { Value = input.Center is null ? DBNull.Value : WithSrid(input.Center) });
        cmd.Parameters.Add(new NpgsqlParameter("radius", NpgsqlDbType.Double) { Value = (object?)input.RadiusMeters ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("weights", NpgsqlDbType.Jsonb) { Value = JsonSerializer.Serialize(input.SpeciesWeights) });
        cmd.Parameters.AddWithValue("rate", input.SpawnsPerHour);
        cmd.Parameters.AddWithValue("max", input.MaxAlive);
        cmd.Parameters.Add(new NpgsqlParameter("schedule", NpgsqlDbType.Jsonb) { Value = (object?)input.ScheduleJson ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("starts", NpgsqlDbType.TimestampTz) { Value = (object?)input.StartsAt ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("ends", NpgsqlDbType.TimestampTz) { Value = (object?)input.EndsAt ?? DBNull.Value });
        cmd.Parameters.AddWithValue("clipped", clipped);
    }

    private static Geometry WithSrid(Geometry geometry)
    {
        if (geometry.SRID == 4326)
        {
            return geometry;
        }

        var copy = geometry.Copy();
        copy.SRID = 4326;
        return copy;
    }

    private static async Task<SponsorZone?> ReadOneAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var all = await ReadAllAsync(cmd, ct);
        return all.Count == 0 ? null : all[0];
    }

    private static async Task<IReadOnlyList<SponsorZone>> ReadAllAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var zones = new List<SponsorZone>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            zones.Add(new SponsorZone(
                r.GetGuid(0),
                r.GetGuid(1),
                r.GetString(2),
                r.GetString(3) == "circle" ? ZoneKind.Circle : ZoneKind.Polygon,
                r.GetFieldValue<Geometry>(4),
                r.GetFieldValue<Polygon>(5),
                r.IsDBNull(6) ? null : r.GetFieldValue<Point>(6),
                r.IsDBNull(7) ? null : r.GetDouble(7),
                JsonSerializer.Deserialize<Dictionary<string, double>>(r.GetString(8)) ?? [],
                r.GetFloat(9),
                r.GetInt32(10),
                r.IsDBNull(11) ? null : r.GetString(11),
                r.IsDBNull(12) ? null : new DateTimeOffset(r.GetDateTime(12)),
                r.IsDBNull(13) ? null : new DateTimeOffset(r.GetDateTime(13)),
                r.GetBoolean(14),
                new DateTimeOffset(r.GetDateTime(15)),
                new DateTimeOffset(r.GetDateTime(16)),
                r.GetString(17)));
        }

        return zones;
    }

    private static async Task<IReadOnlyList<ExclusionZone>> ReadExclusionsAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var list = new List<ExclusionZone>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(new ExclusionZone(r.GetGuid(0), r.GetString(1), r.GetFieldValue<Geometry>(2), new DateTimeOffset(r.GetDateTime(3))));
        }

        return list;
    }
}
