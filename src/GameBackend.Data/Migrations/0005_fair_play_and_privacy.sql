-- 0005: fair play and privacy (issue 13).

-- Anti-cheat state that must outlive a player grain (idle collection, a node's death): strikes,
-- capture ban and the last trusted position. Times are server (game clock) Unix milliseconds, the
-- clock the movement rules use. One row per player; written on every strike, when the trusted
-- position moved on (at most once per presence period) and at deactivation.
create table player_fair_play (
    player_id        text             primary key,
    strikes          int              not null,
    strikes_at_ms    bigint           not null,
    banned_until_ms  bigint           not null default 0,
    trusted_at_ms    bigint,
    trusted_lat      double precision,
    trusted_lon      double precision,
    trusted_accuracy double precision,
    updated_at       timestamptz      not null default now(),
    check ((trusted_at_ms is null) = (trusted_lat is null) and (trusted_lat is null) = (trusted_lon is null))
);

-- Erasure tombstones: rows of the player with a time at or before erased_at are never written
-- again (the history writer deletes them in the transaction that wrote them), whether they were
-- buffered in memory, in a journal segment or in a spill file on any node when the player asked.
create table erased_players (
    player_id text        primary key,
    erased_at timestamptz not null
);

-- Zone geometry versions. Analytics join a capture to the version in force when it happened, so
-- re-shaping a zone never moves past captures into it (or out of it). Rows are written by the
-- trigger below from sponsor_zones.updated_at, which the zone store sets from the game clock.
create table sponsor_zone_versions (
    zone_id    uuid                      not null,
    version    int                       not null,
    geog       geography(Geometry, 4326) not null,
    area_m2    double precision          not null,
    valid_from timestamptz               not null,
    valid_to   timestamptz,
    primary key (zone_id, version)
);
create index sponsor_zone_versions_geog on sponsor_zone_versions using gist (geog);

-- History before versioning existed cannot be attributed to an older shape: the current one is
-- taken to have been in force since the beginning.
insert into sponsor_zone_versions (zone_id, version, geog, area_m2, valid_from, valid_to)
select id, 1, geog, ST_Area(geog), '-infinity', null from sponsor_zones;

create function sponsor_zone_version() returns trigger
language plpgsql as $$
declare
    next int;
begin
    if tg_op = 'UPDATE' and ST_Equals(new.geog::geometry, old.geog::geometry) then
        return new;
    end if;
    update sponsor_zone_versions set valid_to = new.updated_at
        where zone_id = new.id and valid_to is null;
    select coalesce(max(version), 0) + 1 into next from sponsor_zone_versions where zone_id = new.id;
    -- A zone's first shape also covers the time before it existed (as analytics always did); only a
    -- re-shape starts a new period.
    insert into sponsor_zone_versions (zone_id, version, geog, area_m2, valid_from)
        values (new.id, next, new.geog, ST_Area(new.geog),
                case when next = 1 then '-infinity'::timestamptz else new.updated_at end);
    return new;
end $$;

create trigger sponsor_zones_versioned after insert or update of geog on sponsor_zones
    for each row execute function sponsor_zone_version();

-- Retention of the other history tables reads these.
create index if not exists zone_visits_entered_at on zone_visits (entered_at);
create index if not exists creature_sightings_first_seen on creature_sightings (first_seen_at);

-- Retention keeps captures (the players' collections) but coarsens their location once.
alter table captures add column location_coarsened boolean not null default false;
create index if not exists spawns_expires_at on spawns (expires_at);
