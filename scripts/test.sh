#!/usr/bin/env bash
# The one command that runs the whole test suite: starts PostgreSQL+PostGIS and Redis on loopback
# (installing them from Debian packages when missing), then runs every test project.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh start
eval "$(scripts/services.sh env)"
export GAMEBACKEND_SERVICES_SCRIPT="$PWD/scripts/services.sh"
dotnet build GameBackend.sln -c Release -nologo -v q
# Test projects run one after another: on a 2-core machine parallel test hosts only fight for CPU.
dotnet test GameBackend.sln -c Release --no-build -nologo --logger "console;verbosity=normal" -- RunConfiguration.MaxCpuCount=1 "$@"
