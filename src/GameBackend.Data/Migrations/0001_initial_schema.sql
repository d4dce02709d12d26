-- 0001: initial schema. Applied once, inside a transaction, under the migrator's advisory lock.

-- Raw location history, one row per accepted fix. Partitioned by day on the server receive time so
-- retention is a cheap DROP TABLE and time-bounded queries touch only the days they need.
-- Dedupe: the server fixes server_time when it accepts (player_id, seq); a retried batch carries the
-- same server_time, lands in the same partition, and the primary key rejects the duplicate.
create table position_samples (
    player_id   text                   not null,
    seq         bigint                 not null,
    server_time timestamptz            not null,
    device_time timestamptz            not null,
    geog        geography(Point, 4326) not null,
    accuracy    real,
    heading     real,
    speed       real,
    course      real,
    accel_x     real,
    accel_y     real,
    accel_z     real,
    cell_id     text                   not null,
    primary key (player_id, seq, server_time)
) partition by range (server_time);

-- Safety net: a fix for a day whose partition was not created yet is still stored.
create table position_samples_default partition of position_samples default;

-- No secondary indexes on purpose: the primary key leads with player_id (export/delete), day
-- partitions bound time-range reads, and a btree + GiST together cost ~45% of ingest throughput
-- (measured, see docs/history.md).

-- Creates the UTC-day partition holding `day`, moving any rows that already fell into the default
-- partition for that day (ATTACH would otherwise fail). Idempotent; safe to call from every node.
create function ensure_position_partition(day date) returns text
language plpgsql as $$
declare
    part text := format('position_samples_p%s', to_char(day, 'YYYYMMDD'));
    lo timestamptz := (day::timestamp at time zone 'UTC');
    hi timestamptz := ((day + 1)::timestamp at time zone 'UTC');
begin
    -- Serialise concurrent callers (several nodes start at once) on this table's partition set.
    perform pg_advisory_xact_lock(hashtext('position_samples_partitions'));
    if to_regclass(part) is not null then
        return part;
    end if;
    execute format('create table %I (like position_samples including defaults including constraints)', part);
    execute format(
        'with moved as (delete from position_samples_default where server_time >= %L and server_time < %L returning *) '
        'insert into %I select * from moved', lo, hi, part);
    execute format('alter table position_samples attach partition %I for values from (%L) to (%L)', part, lo, hi);
    return part;
end $$;

-- Map objects. One row per spawned creature.
create table spawns (
    creature_id     text                   primary key,
    species         text                   not null,
    rarity          text                   not null,
    geog            geography(Point, 4326) not null,
    spawned_at      timestamptz            not null,
    expires_at      timestamptz            not null,
    cell_id         text                   not null,
    sponsor_zone_id uuid
);
create index spawns_spawned_at on spawns (spawned_at);
create index spawns_sponsor_zone on spawns (sponsor_zone_id, spawned_at) where sponsor_zone_id is not null;

-- The primary key on creature_id is the durable "exactly one winner" commit point: whichever
-- activation inserts first wins, every other insert for that creature does nothing.
create table captures (
    creature_id text                   primary key,
    player_id   text                   not null,
    species     text                   not null,
    rarity      text                   not null,
    geog        geography(Point, 4326) not null,
    captured_at timestamptz            not null,
    attempts    int                    not null,
    losers      int                    not null
);
create index captures_player on captures (player_id, captured_at);
create index captures_captured_at on captures (captured_at);

create table sponsors (
    id           uuid        primary key,
    name         text        not null,
    api_key_hash bytea       not null unique,
    created_at   timestamptz not null default now()
);

create table sponsor_zones (
    id              uuid                      primary key,
    sponsor_id      uuid                      not null references sponsors (id) on delete cascade,
    name            text                      not null,
    kind            text                      not null check (kind in ('circle', 'polygon')),
    -- Effective area (after clipping by exclusion zones); clipping can split a polygon in two.
    geog            geography(Geometry, 4326) not null
        check (GeometryType(geog) in ('POLYGON', 'MULTIPOLYGON')),
    -- What the sponsor asked for, kept so the zone can be re-clipped when exclusions change.
    requested_geog  geography(Polygon, 4326)  not null,
    center          geography(Point, 4326),
    radius_m        double precision,
    species_weights jsonb                     not null default '{}'::jsonb,
    spawns_per_hour real                      not null,
    max_alive       int                       not null,
    schedule        jsonb,
    starts_at       timestamptz,
    ends_at         timestamptz,
    clipped         boolean                   not null default false,
    created_at      timestamptz               not null default now(),
    updated_at      timestamptz               not null default now(),
    check ((kind = 'circle') = (center is not null and radius_m is not null))
);
create index sponsor_zones_sponsor on sponsor_zones (sponsor_id);
create index sponsor_zones_geog on sponsor_zones using gist (geog);

create table exclusion_zones (
    id         uuid                      primary key,
    name       text                      not null,
    geog       geography(Geometry, 4326) not null
        check (GeometryType(geog) in ('POLYGON', 'MULTIPOLYGON')),
    created_at timestamptz               not null default now()
);
create index exclusion_zones_geog on exclusion_zones using gist (geog);

-- Zone visits (enter/exit). No foreign key to sponsor_zones: history outlives a deleted zone.
create table zone_visits (
    id           bigserial   primary key,
    zone_id      uuid        not null,
    player_id    text        not null,
    entered_at   timestamptz not null,
    exited_at    timestamptz,
    last_seen_at timestamptz not null
);
-- At most one open visit per player and zone.
create unique index zone_visits_one_open on zone_visits (zone_id, player_id) where exited_at is null;
-- Natural key of a visit, so a retried enter/exit event never creates a second visit.
create unique index zone_visits_natural on zone_visits (zone_id, player_id, entered_at);
create index zone_visits_player on zone_visits (player_id);

-- A player was shown one of the zone's creatures (conversion analytics).
create table creature_sightings (
    zone_id       uuid        not null,
    player_id     text        not null,
    first_seen_at timestamptz not null,
    primary key (zone_id, player_id, first_seen_at)
);
create index creature_sightings_player on creature_sightings (player_id);
