#!/usr/bin/env bash
# The one command that brings up the game server with everything it needs: PostgreSQL+PostGIS and
# Redis on loopback (installed from Debian packages when missing), then the server on :5080.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh start
eval "$(scripts/services.sh env)"
export ConnectionStrings__Postgres="$GAMEBACKEND_POSTGRES"
export ConnectionStrings__Redis="$GAMEBACKEND_REDIS"
exec dotnet run --project src/GameBackend.Server -c Release -- --urls "${GAMEBACKEND_URLS:-http://127.0.0.1:5080}" "$@"
