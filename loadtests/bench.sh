#!/usr/bin/env bash
# Reruns the benchmark matrix of docs/benchmarks.md on this machine: the bare SignalR hub and the
# full pipeline (hub, player grain, cells, spawning, PostgreSQL history), same traffic, same run.
#
#   loadtests/bench.sh rate-search   open-loop rate steps for json and msgpack, 2,000 walkers
#   loadtests/bench.sh many          20,000 connections (CONNECTIONS=n), one update every 10 s each
#   loadtests/bench.sh storm         capture-storm with 1,000 throwers
#
# Reports (txt/md/csv/html) go to reports/bench-<timestamp>/. Services come from scripts/services.sh.
# SERVER_ENV="NAME=value ..." adds settings to the server (e.g. SERVER_ENV="DOTNET_gcServer=0").
# WARMUP (default 5s; 30s for many) and DURATION (rate-search, default 20s) set the windows. A fresh
# server fills its world over Game:Spawning:AmbientFillTime (60 s): WARMUP=70s measures a filled world.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-rate-search}"
# 20,000 connections need 20,000+ descriptors in the server and as many in the runner.
ulimit -n 200000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true  # raising the hard limit needs root
out="reports/bench-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
scripts/services.sh start >/dev/null
eval "$(scripts/services.sh env)"
dotnet build GameBackend.sln -c Release -nologo -v q >/dev/null
runner="dotnet loadtests/GameBackend.LoadTests/bin/Release/net10.0/GameBackend.LoadTests.dll"
server_dll="src/GameBackend.Server/bin/Release/net10.0/GameBackend.Server.dll"
port=5097
db="gb_bench"

start_server() {
  PGPASSWORD=gamebackend psql -h 127.0.0.1 -p "${GAMEBACKEND_PG_PORT:-54329}" -U gamebackend -d gamebackend -qc "drop database if exists $db" -c "create database $db" >/dev/null 2>&1
  # shellcheck disable=SC2086 # SERVER_ENV is a list of NAME=value words
  env ConnectionStrings__Postgres="${GAMEBACKEND_POSTGRES/Database=gamebackend/Database=$db}" \
    Cluster__SiloPort=11197 Cluster__GatewayPort=30097 Identity__SigningKey="${Identity__SigningKey:-$(head -c 32 /dev/urandom | base64 -w0)}" ${SERVER_ENV:-} "$@" \
    dotnet "$server_dll" --urls "http://127.0.0.1:$port" --contentRoot "$PWD/$(dirname "$server_dll")" >"$out/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && return 0; sleep 0.5; done
  echo "server did not become ready" >&2; return 1
}

stop_server() { kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
trap stop_server EXIT

case "$mode" in
  rate-search)
    for protocol in ${PROTOCOLS:-msgpack json}; do
      for rate in ${RATES:-2000 4000 6000 8000 10000 14000 18000}; do
        $runner --baseline --protocol "$protocol" --connections 2000 --rate "$rate" --duration "${DURATION:-20s}" --warmup "${WARMUP:-5s}" \
          --seed 1 --report "$out" --report-name "baseline-$protocol-$rate" --no-progress --max-p99-ms 50 --max-fail-pct 0 | tail -n 8 || true
        start_server
        $runner --target "http://127.0.0.1:$port" --scenario walkers --protocol "$protocol" --connections 2000 --rate "$rate" \
          --duration "${DURATION:-20s}" --warmup "${WARMUP:-5s}" --seed 1 --server-pid "$server_pid" --report "$out" --report-name "full-$protocol-$rate" \
          --no-progress --max-p99-ms 50 --max-fail-pct 0 | tail -n 8 || true
        curl -s "http://127.0.0.1:$port/metrics" | grep -E '^gamebackend_history' >"$out/history-$protocol-$rate.txt" || true
        stop_server
      done
    done ;;
  many)
    start_server
    # One update every 10 s per connection. CONNECTIONS lowers the count on a host whose open-file
    # limit (ulimit -Hn) cannot cover it: each side needs one descriptor per connection plus ~200.
    connections="${CONNECTIONS:-20000}"
    $runner --target "http://127.0.0.1:$port" --scenario walkers --protocol msgpack --connections "$connections" --rate $((connections / 10)) \
      --duration 60s --warmup "${WARMUP:-30s}" --seed 2 --server-pid "$server_pid" --report "$out" --report-name "many-$connections" \
      --no-progress --max-p99-ms 50 --max-fail-pct 0 | tail -n 12 || true ;;
  storm)
    # Dense, fast ambient spawning: the storm is about the race, not about waiting for a creature.
    start_server Game__Spawning__AmbientPerSquareKm=2000 Game__Spawning__AmbientFillTime=00:00:10 Game__Movement__MaxUpdatesPerSecond=20 Game__Movement__RateBurst=20
    # Twice on one server: the first storm also pays for cold code paths (JIT, first ledger insert),
    # the second shows a warm server. Different seeds, so different players.
    for run in cold warm; do
      seed=$([ "$run" = cold ] && echo 3 || echo 4)
      $runner --target "http://127.0.0.1:$port" --scenario capture-storm --protocol msgpack --connections 1000 \
        --seed "$seed" --server-pid "$server_pid" --report "$out" --report-name "storm-1000-$run" --no-progress --max-p99-ms 100 | tail -n 12 || true
    done ;;
  *) echo "usage: $0 rate-search|many|storm" >&2; exit 2 ;;
esac
echo "reports in $out"
