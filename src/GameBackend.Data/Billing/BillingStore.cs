using Npgsql;
using NpgsqlTypes;

namespace GameBackend.Data.Billing;

/// <summary>
/// Budgets, statements and the sponsor funnel. Every sponsor-facing query is scoped by sponsor id,
/// so a sponsor can neither read nor change another sponsor's zones. Visits are charged by the
/// history writer (<c>bill_zone_visits</c>, in the zone-visit transaction), not here.
/// The statement, funnel and dwell histogram run under <paramref name="statementTimeout"/>
/// (<see cref="BoundedReads"/>): a sponsor chooses their range.
/// </summary>
public sealed class BillingStore(NpgsqlDataSource dataSource, TimeSpan? statementTimeout = null)
{
    private readonly BoundedReads _reads = new(dataSource, statementTimeout);

    /// <summary>Dwell histogram edges, seconds: under a minute, 1–5, 5–15, 15–30, 30–60 min, an hour or more.</summary>
    public static readonly int[] DwellEdges = [0, 60, 300, 900, 1800, 3600];

    public async Task<IReadOnlyList<ZoneBudget>> ListBudgetsAsync(Guid sponsorId, DateOnly today, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand(BudgetSelect + " where s.sponsor_id = @sponsor order by s.created_at, s.id");
        cmd.Parameters.AddWithValue("sponsor", sponsorId);
        cmd.Parameters.AddWithValue("today", today);
        return await ReadBudgetsAsync(cmd, today, cancellationToken);
    }

    public async Task<ZoneBudget?> GetBudgetAsync(Guid sponsorId, Guid zoneId, DateOnly today, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand(BudgetSelect + " where s.sponsor_id = @sponsor and s.id = @zone");
        cmd.Parameters.AddWithValue("sponsor", sponsorId);
        cmd.Parameters.AddWithValue("zone", zoneId);
        cmd.Parameters.AddWithValue("today", today);
        var budgets = await ReadBudgetsAsync(cmd, today, cancellationToken);
        return budgets.Count == 0 ? null : budgets[0];
    }

    /// <summary>
    /// Sets price, budgets and minimum dwell (a top-up is a higher budget) and re-evaluates the
    /// status in the same transaction. Null when the sponsor has no such zone.
    /// </summary>
    public async Task<(ZoneBudget Budget, ZoneStatusChange? Change)?> SetBudgetAsync(
        Guid sponsorId, Guid zoneId, ZoneBudgetSettings settings, DateOnly today, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using (var update = new NpgsqlCommand("""
            update sponsor_zones set price_per_visit = @price, daily_budget = @daily, total_budget = @total, min_dwell_seconds = @dwell
            where id = @zone and sponsor_id = @sponsor
            """, connection, tx))
        {
            update.Parameters.AddWithValue("sponsor", sponsorId);
            update.Parameters.AddWithValue("zone", zoneId);
            update.Parameters.AddWithValue("price", settings.PricePerVisit);
            update.Parameters.Add(new NpgsqlParameter("daily", NpgsqlDbType.Numeric) { Value = (object?)settings.DailyBudget ?? DBNull.Value });
            update.Parameters.Add(new NpgsqlParameter("total", NpgsqlDbType.Numeric) { Value = (object?)settings.TotalBudget ?? DBNull.Value });
            update.Parameters.AddWithValue("dwell", settings.MinDwellSeconds);
            if (await update.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                return null;
            }
        }

        var changes = await RefreshStatusInAsync(connection, tx, [zoneId], today, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        var budget = await GetBudgetAsync(sponsorId, zoneId, today, cancellationToken);
        return budget is null ? null : (budget, changes.Count == 0 ? null : changes[0]);
    }

    /// <summary>Moves zones between active and paused_budget as their budgets say for
    /// <paramref name="today"/>; null = every zone. Returns what changed.</summary>
    public async Task<IReadOnlyList<ZoneStatusChange>> RefreshStatusAsync(IReadOnlyCollection<Guid>? zoneIds, DateOnly today, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await RefreshStatusInAsync(connection, null, zoneIds, today, cancellationToken);
    }

    /// <summary>
    /// Closes the zone visits still open whose last sighting is before <paramref name="lastSeenBefore"/>
    /// (the node tracking them died, so no exit will ever come) at that last sighting, and bills the
    /// ones that qualify, through <c>bill_zone_visits</c> in the same transaction, as the history
    /// writer does. At most <paramref name="maxVisits"/> per call.
    /// </summary>
    /// <remarks>
    /// Safe on every node at once: each sweep locks the rows it closes and skips rows another sweep
    /// (or a writer) holds, a row re-checked after a concurrent commit is no longer open, and the
    /// ledger's key (zone, player, UTC day) keeps a visit from being charged twice whoever bills it.
    /// </remarks>
    public async Task<AbandonedVisitSweep> CloseAbandonedVisitsAsync(DateTimeOffset lastSeenBefore, int maxVisits, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxVisits, 1);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var zones = new List<Guid>();
        var players = new List<string>();
        var entered = new List<DateTime>();
        await using (var close = new NpgsqlCommand("""
            update zone_visits v set exited_at = v.last_seen_at
            where v.exited_at is null and v.id in (
                select id from zone_visits
                where exited_at is null and last_seen_at < @before
                order by last_seen_at
                limit @max
                for update skip locked)
            returning v.zone_id, v.player_id, v.entered_at
            """, connection, tx))
        {
            close.Parameters.AddWithValue("before", lastSeenBefore);
            close.Parameters.AddWithValue("max", maxVisits);
            await using var r = await close.ExecuteReaderAsync(cancellationToken);
            while (await r.ReadAsync(cancellationToken))
            {
                zones.Add(r.GetGuid(0));
                players.Add(r.GetString(1));
                entered.Add(r.GetDateTime(2));
            }
        }

        var charged = new HashSet<Guid>();
        await VisitBilling.BillAsync(connection, tx, [.. zones], [.. players], [.. entered], charged, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return new AbandonedVisitSweep(zones.Count, [.. charged]);
    }

    /// <summary>
    /// A sponsor's statement for [<paramref name="from"/>, <paramref name="to"/>) (UTC days): one line
    /// per zone and day with qualifying visits, read from the ledger totals.
    /// </summary>
    public async Task<IReadOnlyList<StatementLine>> StatementAsync(Guid sponsorId, DateOnly from, DateOnly to, CancellationToken cancellationToken = default)
    {
        // zone_spend carries sponsor_id itself, so a deleted zone's spend stays on the statement.
        await using var cmd = new NpgsqlCommand("""
            select d.day, d.zone_id, s.name, d.visits, d.charged_visits, d.amount
            from zone_spend d left join sponsor_zones s on s.id = d.zone_id
            where d.sponsor_id = @sponsor and d.day >= @from and d.day < @to
            order by d.day, s.name nulls last, d.zone_id
            """);
        cmd.Parameters.AddWithValue("sponsor", sponsorId);
        cmd.Parameters.AddWithValue("from", from);
        cmd.Parameters.AddWithValue("to", to);
        return await _reads.ReadAsync(cmd, async (r, ct) =>
        {
            var lines = new List<StatementLine>();
            while (await r.ReadAsync(ct))
            {
                lines.Add(new StatementLine(
                    r.GetFieldValue<DateOnly>(0), r.GetGuid(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetInt32(3), r.GetInt32(4), r.GetDecimal(5)));
            }

            return (IReadOnlyList<StatementLine>)lines;
        }, cancellationToken);
    }

    /// <summary>
    /// The conversion funnel per UTC day, computed from raw history (sightings, visits, spawns and
    /// captures), not from the ledger: that is what lets a test check the ledger against it.
    /// </summary>
    public async Task<IReadOnlyList<FunnelDay>> FunnelAsync(Guid sponsorId, Guid? zoneId, DateOnly from, DateOnly to, int k, CancellationToken cancellationToken = default)
    {
        await using var cmd = new NpgsqlCommand("""
            with zones as (
                select id, min_dwell_seconds from sponsor_zones
                where sponsor_id = @sponsor and (@zone::uuid is null or id = @zone)),
            lo as (select (@from::date)::timestamp at time zone 'UTC' as t),
            hi as (select (@to::date)::timestamp at time zone 'UTC' as t),
            shown as (
                select (s.first_seen_at at time zone 'UTC')::date as day, count(distinct s.player_id) as n
                from creature_sightings s join zones z on z.id = s.zone_id
                where s.first_seen_at >= (select t from lo) and s.first_seen_at < (select t from hi)
                group by 1),
            visited as (
                select (v.entered_at at time zone 'UTC')::date as day, count(distinct v.player_id) as n,
                       count(distinct v.player_id) filter (
                           where coalesce(v.exited_at, v.last_seen_at) - v.entered_at >= make_interval(secs => z.min_dwell_seconds)) as q
                from zone_visits v join zones z on z.id = v.zone_id
                where v.entered_at >= (select t from lo) and v.entered_at < (select t from hi)
                group by 1),
            captured as (
                select (c.captured_at at time zone 'UTC')::date as day, count(distinct c.player_id) as n
                from captures c join spawns p on p.creature_id = c.creature_id join zones z on z.id = p.sponsor_zone_id
                where c.captured_at >= (select t from lo) and c.captured_at < (select t from hi)
                group by 1),
            days as (select day from shown union select day from visited union select day from captured)
            select d.day, coalesce(s.n, 0), coalesce(v.n, 0), coalesce(v.q, 0), coalesce(c.n, 0)
            from days d left join shown s using (day) left join visited v using (day) left join captured c using (day)
            order by d.day
            """);
        cmd.Parameters.AddWithValue("sponsor", sponsorId);
        cmd.Parameters.Add(new NpgsqlParameter("zone", NpgsqlDbType.Uuid) { Value = (object?)zoneId ?? DBNull.Value });
        cmd.Parameters.AddWithValue("from", from);
        cmd.Parameters.AddWithValue("to", to);
        return await _reads.ReadAsync(cmd, async (r, ct) =>
        {
            var days = new List<FunnelDay>();
            while (await r.ReadAsync(ct))
            {
                var (shown, visited, qualified, captured) = (r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4));
                // Each stage is a set of players: a non-zero stage smaller than k could single someone out.
                var suppressed = new[] { shown, visited, qualified, captured }.Any(n => n > 0 && n < k);
                days.Add(suppressed
                    ? new FunnelDay(r.GetFieldValue<DateOnly>(0), null, null, null, null, true)
                    : new FunnelDay(r.GetFieldValue<DateOnly>(0), shown, visited, qualified, captured, false));
            }

            return (IReadOnlyList<FunnelDay>)days;
        }, cancellationToken);
    }

    /// <summary>Closed visits entered in [from, to) by dwell bucket (<see cref="DwellEdges"/>).</summary>
    public async Task<IReadOnlyList<DwellBucket>> DwellHistogramAsync(Guid sponsorId, Guid? zoneId, DateTimeOffset from, DateTimeOffset to, int k,
        CancellationToken cancellationToken = default)
    {
        await using var cmd = new NpgsqlCommand("""
            select width_bucket(extract(epoch from v.exited_at - v.entered_at)::float8, @edges::float8[]) as b,
                   count(*), count(distinct v.player_id)
            from zone_visits v join sponsor_zones z on z.id = v.zone_id
            where z.sponsor_id = @sponsor and (@zone::uuid is null or z.id = @zone)
              and v.entered_at >= @from and v.entered_at < @to and v.exited_at is not null
            group by b
            """);
        cmd.Parameters.AddWithValue("sponsor", sponsorId);
        cmd.Parameters.Add(new NpgsqlParameter("zone", NpgsqlDbType.Uuid) { Value = (object?)zoneId ?? DBNull.Value });
        cmd.Parameters.AddWithValue("from", from);
        cmd.Parameters.AddWithValue("to", to);
        cmd.Parameters.AddWithValue("edges", DwellEdges.Select(e => (double)e).ToArray());
        var counts = await _reads.ReadAsync(cmd, async (r, ct) =>
        {
            var found = new Dictionary<int, (long Visits, long Players)>();
            while (await r.ReadAsync(ct))
            {
                found[r.GetInt32(0)] = (r.GetInt64(1), r.GetInt64(2));
            }

            return found;
        }, cancellationToken);

        // width_bucket: 1 = [edge0, edge1) … n = [edge n-1, ∞); every bucket is returned, empty ones as 0.
        var buckets = new List<DwellBucket>(DwellEdges.Length);
        for (var i = 0; i < DwellEdges.Length; i++)
        {
            int? upper = i + 1 < DwellEdges.Length ? DwellEdges[i + 1] : null;
            var (visits, players) = counts.GetValueOrDefault(i + 1);
            buckets.Add(players > 0 && players < k
                ? new DwellBucket(DwellEdges[i], upper, null, null, true)
                : new DwellBucket(DwellEdges[i], upper, visits, players, false));
        }

        return buckets;
    }

    private const string BudgetSelect = """
        select s.id, s.name, s.status, s.price_per_visit, s.daily_budget, s.total_budget, s.min_dwell_seconds,
               coalesce(t.visits, 0), coalesce(t.amount, 0), coalesce((select sum(amount) from zone_spend a where a.zone_id = s.id), 0)
        from sponsor_zones s left join zone_spend t on t.zone_id = s.id and t.day = @today
        """;

    private static async Task<IReadOnlyList<ZoneBudget>> ReadBudgetsAsync(NpgsqlCommand cmd, DateOnly today, CancellationToken ct)
    {
        var list = new List<ZoneBudget>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var settings = new ZoneBudgetSettings(
                r.GetDecimal(3), r.IsDBNull(4) ? null : r.GetDecimal(4), r.IsDBNull(5) ? null : r.GetDecimal(5), r.GetInt32(6));
            var spentToday = r.GetDecimal(8);
            var spentTotal = r.GetDecimal(9);
            list.Add(new ZoneBudget(
                r.GetGuid(0), r.GetString(1), r.GetString(2), settings, today, r.GetInt32(7), spentToday, spentTotal,
                settings.DailyBudget is { } d ? Math.Max(0, d - spentToday) : null,
                settings.TotalBudget is { } t ? Math.Max(0, t - spentTotal) : null));
        }

        return list;
    }

    private static async Task<IReadOnlyList<ZoneStatusChange>> RefreshStatusInAsync(
        NpgsqlConnection connection, NpgsqlTransaction? tx, IReadOnlyCollection<Guid>? zoneIds, DateOnly today, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("select zone_id, new_status from refresh_zone_budget_status(@zones, @today)", connection, tx);
        cmd.Parameters.Add(new NpgsqlParameter("zones", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = zoneIds is null ? DBNull.Value : zoneIds.ToArray() });
        cmd.Parameters.AddWithValue("today", today);
        var changes = new List<ZoneStatusChange>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            changes.Add(new ZoneStatusChange(r.GetGuid(0), r.GetString(1)));
        }

        return changes;
    }
}
