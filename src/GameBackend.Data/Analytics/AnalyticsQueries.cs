using Npgsql;
using NpgsqlTypes;

namespace GameBackend.Data.Analytics;

/// <summary>
/// Read-only analytics. Sponsor queries only ever see the calling sponsor's zones (every query joins
/// <c>sponsor_zones</c> on <c>sponsor_id = @sponsor</c>). Operator queries see everything.
/// All times are half-open ranges [from, to) in UTC.
///
/// Sponsor figures resist differencing (issue 13): they are built only from <b>cells</b> — one zone
/// and one UTC hour — that hold at least k unique players on their own. Times are snapped to whole
/// hours, so two ranges that differ by less than an hour see the same cells; a cell under k is left
/// out of every answer (never returned, not even as "suppressed", and never part of a sum), so two
/// queries that differ by a small group of players (a shifted range, a day against its hours, all
/// zones against one) differ only by whole cells of k or more; zones (versions) smaller than the
/// minimum area count for nothing; captures are matched with the zone's shape in force when they
/// happened (<c>sponsor_zone_versions</c>).
///
/// Every query runs under <paramref name="statementTimeout"/> (<see cref="BoundedReads"/>): their
/// cost grows with the range and the data, both chosen by the caller.
/// </summary>
public sealed class AnalyticsQueries(NpgsqlDataSource dataSource, TimeSpan? statementTimeout = null)
{
    private readonly BoundedReads _reads = new(dataSource, statementTimeout);

    /// <summary>Default minimum number of unique players behind any figure shown to a sponsor.</summary>
    public const int DefaultK = 5;

    // The zone versions a sponsor query may use: its own zones, the one asked for, large enough.
    private const string SponsorVersions = """
        select zv.zone_id, zv.geog, zv.valid_from, zv.valid_to
        from sponsor_zone_versions zv join sponsor_zones z on z.id = zv.zone_id
        where z.sponsor_id = @sponsor and (@zone::uuid is null or z.id = @zone) and zv.area_m2 >= @minArea
        """;

    // Visits of the sponsor's zones by (zone, entry hour), for zone versions in force at entry.
    private const string VisitCells = $"""
        versions as ({SponsorVersions}),
        rows as (
            select v.zone_id, date_trunc('hour', v.entered_at, 'UTC') as hour, v.player_id, v.entered_at, v.exited_at
            from zone_visits v join versions zv on zv.zone_id = v.zone_id
              and v.entered_at >= zv.valid_from and (zv.valid_to is null or v.entered_at < zv.valid_to)
            where v.entered_at >= @from and v.entered_at < @to),
        passing as (
            select zone_id, hour from rows group by zone_id, hour having count(distinct player_id) >= @k),
        kept as (
            select r.* from rows r join passing p on p.zone_id = r.zone_id and p.hour = r.hour)
        """;

    /// <summary>Visits per hour or day (bucket = entry time), unique players and visit count, from
    /// cells of k or more players; buckets under k are omitted. <paramref name="zoneId"/> null = all
    /// of the sponsor's zones.</summary>
    public async Task<IReadOnlyList<VisitBucket>> SponsorVisitsAsync(Guid sponsorId, Guid? zoneId, DateTimeOffset from, DateTimeOffset to,
        TimeBucket bucket, int k = DefaultK, double minZoneAreaSquareMeters = 0, CancellationToken cancellationToken = default)
    {
        await using var cmd = SponsorCommand($"""
            with {VisitCells}
            select date_trunc(@unit, hour, 'UTC') as bucket, count(distinct player_id), count(*)
            from kept group by bucket having count(distinct player_id) >= @k order by bucket
            """, sponsorId, zoneId, from, to, k, minZoneAreaSquareMeters);
        cmd.Parameters.AddWithValue("unit", Unit(bucket));
        return await _reads.ReadAsync(cmd, async (r, ct) =>
        {
            var list = new List<VisitBucket>();
            while (await r.ReadAsync(ct))
            {
                list.Add(new VisitBucket(new DateTimeOffset(r.GetDateTime(0)), r.GetInt64(1), r.GetInt64(2), false));
            }

            return (IReadOnlyList<VisitBucket>)list;
        }, cancellationToken);
    }

    /// <summary>Mean dwell (whole seconds) over closed visits that entered in the range, from cells of
    /// k or more players (open visits count towards a cell's players).</summary>
    public async Task<DwellStatistics> SponsorDwellAsync(Guid sponsorId, Guid? zoneId, DateTimeOffset from, DateTimeOffset to,
        int k = DefaultK, double minZoneAreaSquareMeters = 0, CancellationToken cancellationToken = default)
    {
        await using var cmd = SponsorCommand($"""
            with {VisitCells}
            select count(distinct player_id), count(*), avg(extract(epoch from exited_at - entered_at))::float8
            from kept where exited_at is not null
            """, sponsorId, zoneId, from, to, k, minZoneAreaSquareMeters);
        return await _reads.ReadAsync(cmd, async (r, ct) =>
        {
            await r.ReadAsync(ct);
            var players = r.GetInt64(0);
            return players < k
                ? new DwellStatistics(null, null, null, true)
                : new DwellStatistics(players, r.GetInt64(1), Math.Round(r.GetDouble(2)), false);
        }, cancellationToken);
    }

    /// <summary>Captures inside the zone's area as it was when they happened, by species, from cells
    /// of k or more players; a species caught by fewer than k players is omitted.</summary>
    public async Task<IReadOnlyList<SpeciesCaptures>> SponsorCapturesBySpeciesAsync(Guid sponsorId, Guid? zoneId, DateTimeOffset from, DateTimeOffset to,
        int k = DefaultK, double minZoneAreaSquareMeters = 0, CancellationToken cancellationToken = default)
    {
        // A capture inside two overlapping zones of the sponsor counts once (distinct creature).
        await using var cmd = SponsorCommand($"""
            with versions as ({SponsorVersions}),
            rows as (
                select zv.zone_id, date_trunc('hour', c.captured_at, 'UTC') as hour, c.creature_id, c.player_id, c.species
                from captures c join versions zv
                  on c.captured_at >= zv.valid_from and (zv.valid_to is null or c.captured_at < zv.valid_to) and ST_Covers(zv.geog, c.geog)
                where c.captured_at >= @from and c.captured_at < @to),
            passing as (
                select zone_id, hour from rows group by zone_id, hour having count(distinct player_id) >= @k)
            select r.species, count(distinct r.creature_id), count(distinct r.player_id)
            from rows r join passing p on p.zone_id = r.zone_id and p.hour = r.hour
            group by r.species having count(distinct r.player_id) >= @k order by r.species
            """, sponsorId, zoneId, from, to, k, minZoneAreaSquareMeters);
        return await _reads.ReadAsync(cmd, async (r, ct) =>
        {
            var list = new List<SpeciesCaptures>();
            while (await r.ReadAsync(ct))
            {
                list.Add(new SpeciesCaptures(r.GetString(0), r.GetInt64(1), r.GetInt64(2), false));
            }

            return (IReadOnlyList<SpeciesCaptures>)list;
        }, cancellationToken);
    }

    /// <summary>
    /// Conversion: of the players who were shown one of the zone's creatures in [from, to) (in
    /// cells of k or more), how many entered the zone within <paramref name="window"/> after that
    /// sighting. Suppressed when either group is smaller than k (a converted count of 0 is safe to show).
    /// </summary>
    public async Task<ZoneConversion> SponsorConversionAsync(Guid sponsorId, Guid? zoneId, DateTimeOffset from, DateTimeOffset to,
        TimeSpan window, int k = DefaultK, double minZoneAreaSquareMeters = 0, CancellationToken cancellationToken = default)
    {
        await using var cmd = SponsorCommand($"""
            with versions as ({SponsorVersions}),
            rows as (
                select s.zone_id, date_trunc('hour', s.first_seen_at, 'UTC') as hour, s.player_id, s.first_seen_at
                from creature_sightings s join versions zv on zv.zone_id = s.zone_id
                  and s.first_seen_at >= zv.valid_from and (zv.valid_to is null or s.first_seen_at < zv.valid_to)
                where s.first_seen_at >= @from and s.first_seen_at < @to),
            passing as (
                select zone_id, hour from rows group by zone_id, hour having count(distinct player_id) >= @k),
            sighted as (
                select r.* from rows r join passing p on p.zone_id = r.zone_id and p.hour = r.hour)
            select count(distinct s.player_id),
                   count(distinct s.player_id) filter (where exists (
                       select 1 from zone_visits v
                       where v.zone_id = s.zone_id and v.player_id = s.player_id
                         and v.entered_at >= s.first_seen_at and v.entered_at <= s.first_seen_at + @window))
            from sighted s
            """, sponsorId, zoneId, from, to, k, minZoneAreaSquareMeters);
        cmd.Parameters.AddWithValue("window", window);
        var (sighted, converted) = await _reads.ReadAsync(cmd, async (r, ct) =>
        {
            await r.ReadAsync(ct);
            return (r.GetInt64(0), r.GetInt64(1));
        }, cancellationToken);
        if (sighted < k || (converted > 0 && converted < k))
        {
            return new ZoneConversion(null, null, null, true);
        }

        return new ZoneConversion(sighted, converted, (double)converted / sighted, false);
    }

    /// <summary>
    /// Operator heatmap: position samples in the bounding box and time range counted on a square
    /// lon/lat grid of <paramref name="cellDegrees"/>; only non-empty cells are returned. Cells with
    /// fewer than <paramref name="minUniquePlayers"/> players are left out.
    /// </summary>
    public async Task<IReadOnlyList<HeatmapCell>> HeatmapAsync(double minLongitude, double minLatitude, double maxLongitude, double maxLatitude,
        DateTimeOffset from, DateTimeOffset to, double cellDegrees, int minUniquePlayers = 1, CancellationToken cancellationToken = default)
    {
        if (!(cellDegrees > 0) || maxLongitude <= minLongitude || maxLatitude <= minLatitude)
        {
            throw new ArgumentException("The box must be non-empty and the cell size positive.");
        }

        // Bound the result so one request cannot ask for millions of cells.
        if ((maxLongitude - minLongitude) / cellDegrees * ((maxLatitude - minLatitude) / cellDegrees) > 250_000)
        {
            throw new ArgumentException("Too many cells: use a larger cell size or a smaller box.");
        }

        await using var cmd = new NpgsqlCommand("""
            select ix, iy, count(*), count(distinct player_id)
            from (select floor((ST_X(g) - @minx) / @cell)::int as ix, floor((ST_Y(g) - @miny) / @cell)::int as iy, player_id
                  from (select geog::geometry as g, player_id from position_samples
                        where server_time >= @from and server_time < @to) p
                  where ST_X(g) >= @minx and ST_X(g) < @maxx and ST_Y(g) >= @miny and ST_Y(g) < @maxy) cells
            group by ix, iy
            having count(distinct player_id) >= @mink
            order by iy, ix
            """);
        cmd.Parameters.AddWithValue("minx", minLongitude);
        cmd.Parameters.AddWithValue("miny", minLatitude);
        cmd.Parameters.AddWithValue("maxx", maxLongitude);
        cmd.Parameters.AddWithValue("maxy", maxLatitude);
        cmd.Parameters.AddWithValue("cell", cellDegrees);
        cmd.Parameters.AddWithValue("from", from);
        cmd.Parameters.AddWithValue("to", to);
        cmd.Parameters.AddWithValue("mink", (long)minUniquePlayers);
        return await _reads.ReadAsync(cmd, async (r, ct) =>
        {
            var cells = new List<HeatmapCell>();
            while (await r.ReadAsync(ct))
            {
                var x = minLongitude + (r.GetInt32(0) * cellDegrees);
                var y = minLatitude + (r.GetInt32(1) * cellDegrees);
                cells.Add(new HeatmapCell(x, y, x + cellDegrees, y + cellDegrees, r.GetInt64(2), r.GetInt64(3)));
            }

            return (IReadOnlyList<HeatmapCell>)cells;
        }, cancellationToken);
    }

    /// <summary>Operator: spawns (by spawn time) and captures (by capture time) per species and rarity.</summary>
    public async Task<IReadOnlyList<SpeciesRarityCounts>> SpawnsAndCapturesAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        await using var cmd = new NpgsqlCommand("""
            select coalesce(s.species, c.species), coalesce(s.rarity, c.rarity), coalesce(s.n, 0), coalesce(c.n, 0)
            from (select species, rarity, count(*) as n from spawns where spawned_at >= @from and spawned_at < @to group by 1, 2) s
            full join (select species, rarity, count(*) as n from captures where captured_at >= @from and captured_at < @to group by 1, 2) c
                on c.species = s.species and c.rarity = s.rarity
            order by 1, 2
            """);
        cmd.Parameters.AddWithValue("from", from);
        cmd.Parameters.AddWithValue("to", to);
        return await _reads.ReadAsync(cmd, async (r, ct) =>
        {
            var list = new List<SpeciesRarityCounts>();
            while (await r.ReadAsync(ct))
            {
                list.Add(new SpeciesRarityCounts(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3)));
            }

            return (IReadOnlyList<SpeciesRarityCounts>)list;
        }, cancellationToken);
    }

    /// <summary>Operator: distinct players with at least one position per bucket.</summary>
    public async Task<IReadOnlyList<ActivePlayersBucket>> ActivePlayersAsync(DateTimeOffset from, DateTimeOffset to, TimeBucket bucket, CancellationToken cancellationToken = default)
    {
        await using var cmd = new NpgsqlCommand("""
            select date_trunc(@unit, server_time, 'UTC') as bucket, count(distinct player_id)
            from position_samples where server_time >= @from and server_time < @to
            group by bucket order by bucket
            """);
        cmd.Parameters.AddWithValue("unit", Unit(bucket));
        cmd.Parameters.AddWithValue("from", from);
        cmd.Parameters.AddWithValue("to", to);
        return await _reads.ReadAsync(cmd, async (r, ct) =>
        {
            var list = new List<ActivePlayersBucket>();
            while (await r.ReadAsync(ct))
            {
                list.Add(new ActivePlayersBucket(new DateTimeOffset(r.GetDateTime(0)), r.GetInt64(1)));
            }

            return (IReadOnlyList<ActivePlayersBucket>)list;
        }, cancellationToken);
    }

    /// <summary>The current area of a sponsor's zone in m², or null when the sponsor has no such zone.</summary>
    public async Task<double?> SponsorZoneAreaAsync(Guid sponsorId, Guid zoneId, CancellationToken cancellationToken = default)
    {
        await using var cmd = new NpgsqlCommand("select ST_Area(geog) from sponsor_zones where id = @zone and sponsor_id = @sponsor");
        cmd.Parameters.AddWithValue("zone", zoneId);
        cmd.Parameters.AddWithValue("sponsor", sponsorId);
        return await _reads.ReadAsync(cmd, async (r, ct) => await r.ReadAsync(ct) ? r.GetDouble(0) : (double?)null, cancellationToken);
    }

    private static string Unit(TimeBucket bucket) => bucket == TimeBucket.Day ? "day" : "hour";

    private static NpgsqlCommand SponsorCommand(string sql, Guid sponsorId, Guid? zoneId, DateTimeOffset from, DateTimeOffset to, int k, double minArea)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var cmd = new NpgsqlCommand(sql);
        cmd.Parameters.AddWithValue("sponsor", sponsorId);
        cmd.Parameters.Add(new NpgsqlParameter("zone", NpgsqlDbType.Uuid) { Value = (object?)zoneId ?? DBNull.Value });
        // Whole hours, whatever the caller passed: the cells are hours.
        cmd.Parameters.AddWithValue("from", AnalyticsWindow.FloorHour(from));
        cmd.Parameters.AddWithValue("to", AnalyticsWindow.CeilingHour(to));
        cmd.Parameters.AddWithValue("k", (long)k);
        cmd.Parameters.AddWithValue("minArea", minArea);
        return cmd;
    }
}
