#!/usr/bin/env bash
# Compose's PostgreSQL, first start only (docker-entrypoint-initdb.d, after the PostGIS image's own
# 10_postgis.sh): the two roles of docs/security.md, finding 6. `gamebackend` owns the database and
# runs the migrations; `gamebackend_app` is what the game server works as (migration 0008 grants it
# rows in the game's tables, nothing else). Neither is a superuser; the superuser (POSTGRES_USER)
# stays inside this container.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v owner_password="$(cat /run/secrets/postgres_owner_password)" \
  -v app_password="$(cat /run/secrets/postgres_app_password)" <<'SQL'
create role gamebackend login nosuperuser nocreatedb nocreaterole password :'owner_password';
create role gamebackend_app login nosuperuser nocreatedb nocreaterole password :'app_password';
alter database gamebackend owner to gamebackend;
SQL
