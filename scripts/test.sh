#!/usr/bin/env bash
# The one command that runs the whole test suite: starts PostgreSQL+PostGIS and Redis on loopback
# (installing them from Debian packages when missing), then runs every test project.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh start
eval "$(scripts/services.sh env)"
export GAMEBACKEND_SERVICES_SCRIPT="$PWD/scripts/services.sh"
# The browser tests drive Debian's Chromium (never a downloaded browser).
if [ ! -x /usr/bin/chromium ]; then
  echo "test: installing chromium from Debian packages"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
dotnet build GameBackend.sln -c Release -nologo -v q

# One project at a time: some tests stop PostgreSQL on purpose (history outage), which must not
# hit another project's tests, and on a 2-core machine parallel test hosts only fight for CPU.
status=0
for project in $(find tests -name '*.Tests.csproj' | sort); do
  echo "=== $project"
  dotnet test "$project" -c Release --no-build -nologo "$@" || status=1
done
exit $status
