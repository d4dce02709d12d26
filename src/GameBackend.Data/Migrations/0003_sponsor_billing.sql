-- Sponsor billing: pay per qualifying visit with daily and total budgets, and the zone status the
-- spawn engine and the sponsor console read.

-- status: active | paused_budget (billing) | pending_approval | rejected (moderation). Billing only
-- ever moves a zone between active and paused_budget, so it never overrides a moderation decision.
alter table sponsor_zones
    add column status            text          not null default 'active'
        check (status in ('active', 'paused_budget', 'pending_approval', 'rejected')),
    -- A visit qualifies (is billed) when the player stayed at least this long.
    add column min_dwell_seconds int           not null default 60 check (min_dwell_seconds between 0 and 86400),
    add column price_per_visit   numeric(12,2) not null default 0 check (price_per_visit >= 0),
    -- null = no limit. Days are UTC days.
    add column daily_budget      numeric(12,2) check (daily_budget >= 0),
    add column total_budget      numeric(12,2) check (total_budget >= 0);

-- The ledger: at most one qualifying visit per zone, player and UTC day (the "unique player" of
-- the price). The primary key is what makes billing exactly-once: a retried batch, a replayed
-- spill file or journal segment, or a visit written by two nodes all hit it and change nothing.
-- No foreign key to sponsor_zones: a statement must still show what a deleted zone cost.
create table billed_visits (
    zone_id    uuid          not null,
    player_id  text          not null,
    day        date          not null,
    sponsor_id uuid          not null,
    entered_at timestamptz   not null,
    -- false: the visit qualified but the budget was spent, so it is counted and not charged.
    charged    boolean       not null,
    amount     numeric(12,2) not null,
    billed_at  timestamptz   not null default now(),
    primary key (zone_id, player_id, day)
);
create index billed_visits_player on billed_visits (player_id);

-- Running totals per zone and UTC day, kept in the same transaction as the ledger row, so a budget
-- check reads one row per day instead of summing the ledger.
create table zone_spend (
    zone_id         uuid          not null,
    day             date          not null,
    sponsor_id      uuid          not null,
    visits          int           not null default 0,
    charged_visits  int           not null default 0,
    amount          numeric(12,2) not null default 0,
    primary key (zone_id, day)
);
create index zone_spend_sponsor on zone_spend (sponsor_id, day);

-- Bills the qualifying visits among the given visit keys (rows already merged into zone_visits in
-- this transaction). Returns the zones whose spend changed. A charge is all or nothing: a visit
-- that does not fit the day's or the total budget is recorded with charged = false, amount 0.
create function bill_zone_visits(p_zones uuid[], p_players text[], p_entered timestamptz[])
returns setof uuid
language plpgsql as $$
#variable_conflict use_column
declare
    c record;
    z record;
    spent_day numeric;
    spent_total numeric;
    fits boolean;
    inserted int;
begin
    for c in
        select distinct v.zone_id, v.player_id, v.entered_at, (v.entered_at at time zone 'UTC')::date as day
        from unnest(p_zones, p_players, p_entered) as k(zone_id, player_id, entered_at)
        join zone_visits v on v.zone_id = k.zone_id and v.player_id = k.player_id and v.entered_at = k.entered_at
        join sponsor_zones s on s.id = v.zone_id
        where coalesce(v.exited_at, v.last_seen_at) - v.entered_at >= make_interval(secs => s.min_dwell_seconds)
        -- Zone order: every writer locks zones in the same order, so two nodes cannot deadlock.
        order by v.zone_id, v.entered_at, v.player_id
    loop
        if exists (select 1 from billed_visits b
                   where b.zone_id = c.zone_id and b.player_id = c.player_id and b.day = c.day) then
            continue;
        end if;

        -- The row lock serialises charges of one zone across nodes: check and charge are one step,
        -- so two writers cannot both spend the last of a budget.
        select id, sponsor_id, price_per_visit, daily_budget, total_budget into z
        from sponsor_zones where id = c.zone_id for update;

        select coalesce(sum(amount) filter (where day = c.day), 0), coalesce(sum(amount), 0)
        into spent_day, spent_total
        from zone_spend where zone_id = c.zone_id;

        fits := (z.daily_budget is null or spent_day + z.price_per_visit <= z.daily_budget)
            and (z.total_budget is null or spent_total + z.price_per_visit <= z.total_budget);

        insert into billed_visits (zone_id, player_id, day, sponsor_id, entered_at, charged, amount)
        values (c.zone_id, c.player_id, c.day, z.sponsor_id, c.entered_at, fits,
                case when fits then z.price_per_visit else 0 end)
        on conflict do nothing;
        get diagnostics inserted = row_count;
        if inserted = 0 then
            continue;
        end if;

        insert into zone_spend as t (zone_id, day, sponsor_id, visits, charged_visits, amount)
        values (c.zone_id, c.day, z.sponsor_id, 1, case when fits then 1 else 0 end,
                case when fits then z.price_per_visit else 0 end)
        on conflict (zone_id, day) do update
            set visits = t.visits + 1,
                charged_visits = t.charged_visits + excluded.charged_visits,
                amount = t.amount + excluded.amount;
        return next c.zone_id;
    end loop;
end $$;

-- Moves zones between active and paused_budget as their budgets say for p_today (UTC); p_zones
-- null = every zone. A zone is paused when the next visit would not fit: its price is above what
-- is left of today's or the total budget. Free zones (price 0) never pause. Returns the zones
-- whose status changed, with the new status. Idempotent and safe to run on every node at once.
create function refresh_zone_budget_status(p_zones uuid[], p_today date)
returns table (zone_id uuid, new_status text)
language sql as $$
    with wanted as (
        select s.id,
               case when s.price_per_visit > 0 and (
                        (s.daily_budget is not null
                         and coalesce((select amount from zone_spend d where d.zone_id = s.id and d.day = p_today), 0)
                             + s.price_per_visit > s.daily_budget)
                     or (s.total_budget is not null
                         and coalesce((select sum(amount) from zone_spend d where d.zone_id = s.id), 0)
                             + s.price_per_visit > s.total_budget))
                    then 'paused_budget' else 'active' end as status
        from sponsor_zones s
        where s.status in ('active', 'paused_budget') and (p_zones is null or s.id = any(p_zones)))
    update sponsor_zones s set status = w.status
    from wanted w
    where s.id = w.id and s.status in ('active', 'paused_budget') and s.status <> w.status
    returning s.id, s.status
$$;
