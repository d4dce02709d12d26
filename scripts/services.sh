#!/usr/bin/env bash
# Installs (from Debian packages, when missing) and starts the services GameBackend uses:
# PostgreSQL 15 + PostGIS 3 and Redis, each on its own loopback port with its own data folder,
# so they never collide with a system-wide instance.
#
#   scripts/services.sh start      install if needed, start both, create the database + PostGIS
#   scripts/services.sh stop       stop both
#   scripts/services.sh pg-stop    stop PostgreSQL only (fault tests)
#   scripts/services.sh pg-start   start PostgreSQL only
#   scripts/services.sh env        print the connection settings as shell exports
#
# Two roles (docs/security.md, finding 6): `gamebackend` owns the database and runs the migrations
# (GAMEBACKEND_POSTGRES, ConnectionStrings:PostgresMigrations); `gamebackend_app` is what the server
# works as (GAMEBACKEND_POSTGRES_APP, ConnectionStrings:Postgres): rows in and out of the game's
# tables, granted by migration 0008. Neither is a superuser.
set -euo pipefail

PG_PORT="${GAMEBACKEND_PG_PORT:-54329}"
REDIS_PORT="${GAMEBACKEND_REDIS_PORT:-63790}"
STATE_DIR="${GAMEBACKEND_STATE_DIR:-/var/tmp/gamebackend}"
PG_DATA="$STATE_DIR/pg"
PG_LOG="$STATE_DIR/pg.log"
REDIS_DIR="$STATE_DIR/redis"
PG_BIN="/usr/lib/postgresql/15/bin"
DB_NAME=gamebackend
DB_USER=gamebackend
DB_PASSWORD=gamebackend
APP_USER=gamebackend_app
APP_PASSWORD=gamebackend_app

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
as_postgres() { as_root runuser -u postgres -- "$@"; }

install_packages() {
  local missing=()
  [ -x "$PG_BIN/pg_ctl" ] || missing+=(postgresql)
  [ -f /usr/share/postgresql/15/extension/postgis.control ] || missing+=(postgresql-15-postgis-3)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "services: installing ${missing[*]} from Debian packages"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

pg_running() { as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; }

pg_start() {
  as_root mkdir -p "$STATE_DIR"
  as_root chmod 755 "$STATE_DIR"
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    as_root mkdir -p "$PG_DATA"
    as_root chown postgres:postgres "$PG_DATA"
    as_postgres "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -A trust --no-sync -E UTF8 >/dev/null
    cat <<CONF | as_root tee -a "$PG_DATA/postgresql.conf" >/dev/null
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_DATA'
max_connections = 300
shared_buffers = 256MB
fsync = on
synchronous_commit = off
CONF
    as_root touch "$PG_LOG"; as_root chown postgres:postgres "$PG_LOG"
  fi
  if ! pg_running; then
    as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start >/dev/null
  fi
  # Notices ("already exists, skipping") are not news on a second start.
  local psql=(env PGOPTIONS="-c client_min_messages=warning" "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qtA)
  # PostGIS is not a trusted extension, so only a superuser may create it: template1 carries it,
  # and every database made from it (the tests make one per class, as the owner) has it already.
  # Once per state folder: while a session sits in template1, CREATE DATABASE fails, and pg-start
  # runs while test suites create databases.
  if [ ! -f "$STATE_DIR/template1-postgis" ]; then
    as_postgres "${psql[@]}" -d template1 -c "create extension if not exists postgis" >/dev/null
    as_root touch "$STATE_DIR/template1-postgis"
  fi
  # Owner: may create databases (the test suites' throwaway ones) and end the app role's sessions in
  # them (drop database ... with (force)); no superuser. An older state folder made it a superuser.
  if [ "$(as_postgres "${psql[@]}" -c "select 1 from pg_roles where rolname='$DB_USER'")" != "1" ]; then
    as_postgres "${psql[@]}" -c "create role $DB_USER login" >/dev/null
  fi
  as_postgres "${psql[@]}" -c "alter role $DB_USER login nosuperuser createdb nocreaterole password '$DB_PASSWORD'" >/dev/null
  as_postgres "${psql[@]}" -c "grant pg_signal_backend to $DB_USER" >/dev/null
  # App role: logs in, owns nothing, creates nothing; migration 0008 grants it rows and two functions.
  if [ "$(as_postgres "${psql[@]}" -c "select 1 from pg_roles where rolname='$APP_USER'")" != "1" ]; then
    as_postgres "${psql[@]}" -c "create role $APP_USER login" >/dev/null
  fi
  as_postgres "${psql[@]}" -c "alter role $APP_USER login nosuperuser nocreatedb nocreaterole password '$APP_PASSWORD'" >/dev/null
  if [ "$(as_postgres "${psql[@]}" -c "select 1 from pg_database where datname='$DB_NAME'")" != "1" ]; then
    as_postgres "${psql[@]}" -c "create database $DB_NAME owner $DB_USER" >/dev/null
  fi
  as_postgres "${psql[@]}" -d "$DB_NAME" -c "create extension if not exists postgis" >/dev/null
  echo "services: PostgreSQL + PostGIS on 127.0.0.1:$PG_PORT (database $DB_NAME)"
}

pg_stop() {
  if [ -f "$PG_DATA/PG_VERSION" ] && pg_running; then
    as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null
  fi
}

redis_start() {
  as_root mkdir -p "$REDIS_DIR"
  if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$REDIS_DIR" --save "" --appendonly no \
      --daemonize yes --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" >/dev/null
    for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  echo "services: Redis on 127.0.0.1:$REDIS_PORT"
}

redis_stop() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true; }

print_env() {
  echo "export GAMEBACKEND_POSTGRES='Host=127.0.0.1;Port=$PG_PORT;Username=$DB_USER;Password=$DB_PASSWORD;Database=$DB_NAME'"
  echo "export GAMEBACKEND_POSTGRES_APP='Host=127.0.0.1;Port=$PG_PORT;Username=$APP_USER;Password=$APP_PASSWORD;Database=$DB_NAME'"
  echo "export GAMEBACKEND_REDIS='127.0.0.1:$REDIS_PORT'"
}

case "${1:-start}" in
  start) install_packages; pg_start; redis_start ;;
  stop) pg_stop; redis_stop ;;
  pg-start) pg_start ;;
  pg-stop) pg_stop ;;
  env) print_env ;;
  *) echo "usage: $0 start|stop|pg-start|pg-stop|env" >&2; exit 2 ;;
esac
