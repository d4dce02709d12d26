#!/usr/bin/env bash
# The one command that brings up the game server with everything it needs: PostgreSQL+PostGIS and
# Redis on loopback (installed from Debian packages when missing), then the server on :5080.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh start
eval "$(scripts/services.sh env)"
# The server works as the least-privilege app role; migrations run as the owner (docs/security.md).
export ConnectionStrings__Postgres="$GAMEBACKEND_POSTGRES_APP"
export ConnectionStrings__PostgresMigrations="$GAMEBACKEND_POSTGRES"
export ConnectionStrings__Redis="$GAMEBACKEND_REDIS"
# Development conveniences, overridable from the environment: an operator key for the live map and
# the sponsor/operator APIs, and the demo world (sponsor zones along a main street).
# Outside Development the server needs a secret token signing key: a local one, made once and kept
# (gitignored) so tokens survive restarts.
if [[ -z "${Identity__SigningKey:-}" && -z "${Identity__SigningKeyFile:-}" ]]; then
  scripts/generate-secrets.sh 2>/dev/null
  export Identity__SigningKeyFile="$PWD/deploy/secrets/identity_signing_key"
fi
export Operators__AdminKey="${Operators__AdminKey:-dev-admin-key-change-me}"
export Demo__Enabled="${Demo__Enabled:-true}"
echo "run-server: operator admin key is '$Operators__AdminKey' (set Operators__AdminKey to change it)"
exec dotnet run --project src/GameBackend.Server -c Release -- --urls "${GAMEBACKEND_URLS:-http://127.0.0.1:5080}" "$@"
