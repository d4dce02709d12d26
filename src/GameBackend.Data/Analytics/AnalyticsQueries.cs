using Npgsql;
using NpgsqlTypes;

namespace GameBackend.Data.Analytics;

/// <summary>
/// Read-only analytics. Sponsor queries only ever see the calling sponsor's zones (every query joins
/// <c>sponsor_zones</c> on <c>sponsor_id = @sponsor</c>) and suppress any figure computed from fewer
/// than <c>k</c> unique players (k-anonymity; default 5). Operator queries see everything.
/// All times are half-open ranges [from, to) in UTC.
/// </summary>
public sealed class AnalyticsQueries(NpgsqlDataSource dataSource)
{
    /// <summary>Default minimum number of unique players behind any figure shown to a sponsor.</summary>
    public const int DefaultK = 5;

    /// <summary>Visits per hour or day (bucket = entry time), unique players and visit count.
    /// <paramref name="zoneId"/> null = all of the sponsor's zones.</summary>
    public async Task<IReadOnlyList<VisitBucket>> SponsorVisitsAsync(Guid sponsorId, Guid? zoneId, DateTimeOffset from, DateTimeOffset to,
        TimeBucket bucket, int k = DefaultK, CancellationToken cancellationToken = default)
    {
        await using var cmd = SponsorCommand("""
            select date_trunc(@unit, v.entered_at, 'UTC') as bucket, count(distinct v.player_id), count(*)
            from zone_visits v join sponsor_zones z on z.id = v.zone_id
            where z.sponsor_id = @sponsor and (@zone::uuid is null or z.id = @zone)
              and v.entered_at >= @from and v.entered_at < @to
            group by bucket order by bucket
            """, sponsorId, zoneId, from, to);
        cmd.Parameters.AddWithValue("unit", Unit(bucket));
        var list = new List<VisitBucket>();
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            var players = r.GetInt64(1);
            var start = new DateTimeOffset(r.GetDateTime(0));
            list.Add(players < k ? new VisitBucket(start, null, null, true) : new VisitBucket(start, players, r.GetInt64(2), false));
        }

        return list;
    }

    /// <summary>Mean dwell over visits that entered in the range and have exited.</summary>
    public async Task<DwellStatistics> SponsorDwellAsync(Guid sponsorId, Guid? zoneId, DateTimeOffset from, DateTimeOffset to,
        int k = DefaultK, CancellationToken cancellationToken = default)
    {
        await using var cmd = SponsorCommand("""
            select count(distinct v.player_id), count(*), avg(extract(epoch from v.exited_at - v.entered_at))::float8
            from zone_visits v join sponsor_zones z on z.id = v.zone_id
            where z.sponsor_id = @sponsor and (@zone::uuid is null or z.id = @zone)
              and v.entered_at >= @from and v.entered_at < @to and v.exited_at is not null
            """, sponsorId, zoneId, from, to);
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        await r.ReadAsync(cancellationToken);
        var players = r.GetInt64(0);
        return players < k
            ? new DwellStatistics(null, null, null, true)
            : new DwellStatistics(players, r.GetInt64(1), r.GetDouble(2), false);
    }

    /// <summary>Captures inside the zone's effective area, by species; a species caught by fewer
    /// than k players is returned suppressed.</summary>
    public async Task<IReadOnlyList<SpeciesCaptures>> SponsorCapturesBySpeciesAsync(Guid sponsorId, Guid? zoneId, DateTimeOffset from, DateTimeOffset to,
        int k = DefaultK, CancellationToken cancellationToken = default)
    {
        // A capture inside two overlapping zones of the sponsor counts once.
        await using var cmd = SponsorCommand("""
            select c.species, count(*), count(distinct c.player_id)
            from captures c
            where c.captured_at >= @from and c.captured_at < @to
              and exists (select 1 from sponsor_zones z
                          where z.sponsor_id = @sponsor and (@zone::uuid is null or z.id = @zone) and ST_Covers(z.geog, c.geog))
            group by c.species order by c.species
            """, sponsorId, zoneId, from, to);
        var list = new List<SpeciesCaptures>();
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            var players = r.GetInt64(2);
            list.Add(players < k
                ? new SpeciesCaptures(r.GetString(0), null, null, true)
                : new SpeciesCaptures(r.GetString(0), r.GetInt64(1), players, false));
        }

        return list;
    }

    /// <summary>
    /// Conversion: of the players who were shown one of the zone's creatures in [from, to), how many
    /// entered the zone within <paramref name="window"/> after that sighting. Suppressed when either
    /// group is smaller than k (a converted count of 0 is safe to show).
    /// </summary>
    public async Task<ZoneConversion> SponsorConversionAsync(Guid sponsorId, Guid? zoneId, DateTimeOffset from, DateTimeOffset to,
        TimeSpan window, int k = DefaultK, CancellationToken cancellationToken = default)
    {
        await using var cmd = SponsorCommand("""
            with sighted as (
                select s.zone_id, s.player_id, s.first_seen_at
                from creature_sightings s join sponsor_zones z on z.id = s.zone_id
                where z.sponsor_id = @sponsor and (@zone::uuid is null or z.id = @zone)
                  and s.first_seen_at >= @from and s.first_seen_at < @to)
            select count(distinct s.player_id),
                   count(distinct s.player_id) filter (where exists (
                       select 1 from zone_visits v
                       where v.zone_id = s.zone_id and v.player_id = s.player_id
                         and v.entered_at >= s.first_seen_at and v.entered_at <= s.first_seen_at + @window))
            from sighted s
            """, sponsorId, zoneId, from, to);
        cmd.Parameters.AddWithValue("window", window);
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        await r.ReadAsync(cancellationToken);
        var sighted = r.GetInt64(0);
        var converted = r.GetInt64(1);
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

        await using var cmd = dataSource.CreateCommand("""
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
        var cells = new List<HeatmapCell>();
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            var x = minLongitude + (r.GetInt32(0) * cellDegrees);
            var y = minLatitude + (r.GetInt32(1) * cellDegrees);
            cells.Add(new HeatmapCell(x, y, x + cellDegrees, y + cellDegrees, r.GetInt64(2), r.GetInt64(3)));
        }

        return cells;
    }

    /// <summary>Operator: spawns (by spawn time) and captures (by capture time) per species and rarity.</summary>
    public async Task<IReadOnlyList<SpeciesRarityCounts>> SpawnsAndCapturesAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("""
            select coalesce(s.species, c.species), coalesce(s.rarity, c.rarity), coalesce(s.n, 0), coalesce(c.n, 0)
            from (select species, rarity, count(*) as n from spawns where spawned_at >= @from and spawned_at < @to group by 1, 2) s
            full join (select species, rarity, count(*) as n from captures where captured_at >= @from and captured_at < @to group by 1, 2) c
                on c.species = s.species and c.rarity = s.rarity
            order by 1, 2
            """);
        cmd.Parameters.AddWithValue("from", from);
        cmd.Parameters.AddWithValue("to", to);
        var list = new List<SpeciesRarityCounts>();
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            list.Add(new SpeciesRarityCounts(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3)));
        }

        return list;
    }

    /// <summary>Operator: distinct players with at least one position per bucket.</summary>
    public async Task<IReadOnlyList<ActivePlayersBucket>> ActivePlayersAsync(DateTimeOffset from, DateTimeOffset to, TimeBucket bucket, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("""
            select date_trunc(@unit, server_time, 'UTC') as bucket, count(distinct player_id)
            from position_samples where server_time >= @from and server_time < @to
            group by bucket order by bucket
            """);
        cmd.Parameters.AddWithValue("unit", Unit(bucket));
        cmd.Parameters.AddWithValue("from", from);
        cmd.Parameters.AddWithValue("to", to);
        var list = new List<ActivePlayersBucket>();
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            list.Add(new ActivePlayersBucket(new DateTimeOffset(r.GetDateTime(0)), r.GetInt64(1)));
        }

        return list;
    }

    private static string Unit(TimeBucket bucket) => bucket == TimeBucket.Day ? "day" : "hour";

    private NpgsqlCommand SponsorCommand(string sql, Guid sponsorId, Guid? zoneId, DateTimeOffset from, DateTimeOffset to)
    {
        var cmd = dataSource.CreateCommand(sql);
        cmd.Parameters.AddWithValue("sponsor", sponsorId);
        cmd.Parameters.Add(new NpgsqlParameter("zone", NpgsqlDbType.Uuid) { Value = (object?)zoneId ?? DBNull.Value });
        cmd.Parameters.AddWithValue("from", from);
        cmd.Parameters.AddWithValue("to", to);
        return cmd;
    }
}
