-- 0008: least privilege for the game server (issue 12, finding 6; docs/security.md).
-- Migrations run as the role that owns the schema (ConnectionStrings:PostgresMigrations); the server
-- works as gamebackend_app: rows in and out of the game's tables, nothing else. No DDL, no TRUNCATE,
-- no ownership. The two things the server did that need an owner -- creating and dropping
-- position_samples day partitions -- become narrow SECURITY DEFINER functions it may execute.
-- Later migrations' tables are covered by the default privileges set here, whatever their number.

-- The role is cluster-wide. scripts/services.sh (and any DBA) creates it as a login role; if it
-- does not exist yet and the migrating role may create roles, it is created here without login
-- (grant it to the role the server logs in as).
do $$
begin
    if not exists (select 1 from pg_roles where rolname = 'gamebackend_app') then
        begin
            create role gamebackend_app nologin;
        exception
            -- Another database of the same cluster migrating at the same moment made it.
            when duplicate_object or unique_violation then null;
            when insufficient_privilege then
                raise exception 'Migration 0008 grants the game server''s rights to the role gamebackend_app, which does not exist, and % may not create roles: create it first (create role gamebackend_app login password ...; docs/security.md)', current_user;
        end;
    end if;
end $$;

grant usage on schema public to gamebackend_app;

-- Every table, view and sequence the migrating role owns today (0001-0007, partitions included).
-- Objects of extensions (PostGIS' spatial_ref_sys) belong to their installer and stay as they are.
do $$
declare
    obj record;
begin
    for obj in
        select c.relname, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relowner = (select oid from pg_roles where rolname = current_user) and c.relkind in ('r', 'p', 'v', 'm', 'S')
    loop
        if obj.relkind = 'S' then
            execute format('grant usage, select on sequence %I to gamebackend_app', obj.relname);
        else
            execute format('grant select, insert, update, delete on table %I to gamebackend_app', obj.relname);
        end if;
    end loop;
end $$;

-- The migrations' own ledger is the owner's business.
revoke insert, update, delete on schema_migrations from gamebackend_app;

-- Whatever the migrating role creates from now on (later migrations, day partitions made by the
-- functions below) is covered the same way.
alter default privileges in schema public grant select, insert, update, delete on tables to gamebackend_app;
alter default privileges in schema public grant usage, select on sequences to gamebackend_app;

-- Day partitions: created ahead by the maintenance loop on every node, as the owner.
-- search_path is pinned so the caller cannot slip its own objects into the owner's session.
alter function ensure_position_partition(date) security definer set search_path = public, pg_temp;
revoke execute on function ensure_position_partition(date) from public;
grant execute on function ensure_position_partition(date) to gamebackend_app;

-- Retention drops a whole day partition. The name is derived from the date here (never passed in),
-- and only an attached partition of position_samples is dropped. Returns the name, or null when
-- there was no such partition.
create function drop_position_partition(day date) returns text
language plpgsql security definer set search_path = public, pg_temp as $$
declare
    part text := format('position_samples_p%s', to_char(day, 'YYYYMMDD'));
begin
    perform pg_advisory_xact_lock(hashtext('position_samples_partitions'));
    if not exists (
        select 1 from pg_inherits i join pg_class c on c.oid = i.inhrelid
        where i.inhparent = 'position_samples'::regclass and c.relname = part) then
        return null;
    end if;
    execute format('drop table %I', part);
    return part;
end $$;
revoke execute on function drop_position_partition(date) from public;
grant execute on function drop_position_partition(date) to gamebackend_app;
