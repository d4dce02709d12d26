#!/usr/bin/env bash
# Reruns the benchmark matrix of docs/benchmarks.md on this machine: the bare SignalR hub and the
# full pipeline (hub, player grain, cells, spawning, PostgreSQL history), same traffic, same run.
#
#   loadtests/bench.sh rate-search   open-loop rate steps for json and msgpack, 2,000 walkers
#   loadtests/bench.sh many          20,000 connections (CONNECTIONS=n), one update every 10 s each
#   loadtests/bench.sh storm         capture-storm with 1,000 throwers
#   loadtests/bench.sh crowd         a festival: 5,000 players in ~4 cells (PLAYERS=n), 1 update/s each,
#                                    70 s warm-up (the ambient fill), 20 s measured; push latency rows; then
#                                    the bare hub with the same players, acks and push rate (the yardstick)
#   loadtests/bench.sh failover      two nodes clustered on Redis, ~400 updates/s over both, SIGKILL of
#                                    one node mid-run (KILL_AFTER, default 40 s after the runner starts); reconnect report
#
# Reports (txt/md/csv/html) go to reports/bench-<timestamp>/. Services come from scripts/services.sh.
# SERVER_ENV="NAME=value ..." adds settings to the server (e.g. SERVER_ENV="DOTNET_gcServer=0").
# WARMUP (default 5s; 30s for many; BASELINE_WARMUP for the bare hub of rate-search) and DURATION (rate-search, default 20s) set the windows. A fresh
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
# The server is measured as the Dockerfile ships it: the plain (JIT) build. SERVER_BUILD=r2r measures a
# ReadyToRun publish instead (precompiled; measured slower in steady state, see docs/benchmarks.md).
server_dir="artifacts/bench-server"
if [ -z "${SKIP_BUILD:-}" ]; then  # SKIP_BUILD=1: use what is built
  dotnet build GameBackend.sln -c Release -nologo -v q >/dev/null
  if [ "${SERVER_BUILD:-jit}" = r2r ]; then
    dotnet publish src/GameBackend.Server/GameBackend.Server.csproj -c Release -r "linux-$(uname -m | sed 's/x86_64/x64/;s/aarch64/arm64/')" \
      --self-contained false -p:PublishReadyToRun=true -o "$server_dir" --nologo -v q >/dev/null
  fi
fi
runner="dotnet loadtests/GameBackend.LoadTests/bin/Release/net10.0/GameBackend.LoadTests.dll"
server_dll="src/GameBackend.Server/bin/Release/net10.0/GameBackend.Server.dll"
[ "${SERVER_BUILD:-jit}" = r2r ] && server_dll="$server_dir/GameBackend.Server.dll"
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

extra_pids=""
stop_server() {
  # shellcheck disable=SC2086
  kill -TERM "$server_pid" $extra_pids 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
}
trap stop_server EXIT

case "$mode" in
  rate-search)
    for protocol in ${PROTOCOLS:-msgpack json}; do
      for rate in ${RATES:-2000 4000 6000 8000 10000 14000 18000}; do
        # The bare hub has no world to fill: BASELINE_WARMUP (default WARMUP) only has to cover JIT tiering.
        $runner --baseline --protocol "$protocol" --connections 2000 --rate "$rate" --duration "${DURATION:-20s}" --warmup "${BASELINE_WARMUP:-${WARMUP:-5s}}" \
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
  crowd)
    start_server
    players="${PLAYERS:-5000}"
    $runner --target "http://127.0.0.1:$port" --scenario crowd --protocol msgpack --connections "$players" --rate "$players" \
      --duration "${DURATION:-20s}" --warmup "${WARMUP:-70s}" --seed 5 --server-pid "$server_pid" --report "$out" --report-name "crowd-$players" \
      --no-progress | tail -n 24 || true
    stop_server
    # The bare yardstick: the same players, acks and push rate (spawn events per player per second, as the
    # game just delivered them) from the bare hub, which does nothing else.
    duration_s="${DURATION:-20s}"; duration_s="${duration_s%s}"
    deliveries=$(grep -oE 'over [0-9]+ deliveries' "$out/crowd-$players.txt" | grep -oE '[0-9]+' || echo 0)
    pushes=$(awk -v d="$deliveries" -v p="$players" -v s="$duration_s" 'BEGIN { r = d / (p * s); printf "%.2f", (r > 0 ? r : 2.5) }')
    echo "bare crowd: $pushes spawn events per player per second"
    $runner --baseline --baseline-pushes "$pushes" --scenario crowd --protocol msgpack --connections "$players" --rate "$players" \
      --duration "${DURATION:-20s}" --warmup "${BASELINE_WARMUP:-20s}" --seed 5 --capture-probability 0 --report "$out" \
      --report-name "baseline-crowd-$players" --no-progress | tail -n 24 || true ;;
  failover)
    # Two nodes of one Orleans cluster on Redis (docs/scale-out.md): same ClusterId and signing key, own
    # silo/gateway/HTTP ports and spill folders, membership tuned to declare a killed node dead in ~2-3 s.
    cluster="bench-$(date +%s)"
    start_node() { # name http-port silo-port gateway-port
      # shellcheck disable=SC2086
      env ConnectionStrings__Postgres="${GAMEBACKEND_POSTGRES/Database=gamebackend/Database=$db}" ConnectionStrings__Redis="$GAMEBACKEND_REDIS" \
        Cluster__Mode=Redis Cluster__ClusterId="$cluster" Cluster__ServiceId="$cluster" Cluster__AdvertisedAddress=127.0.0.1 \
        Cluster__SiloPort="$3" Cluster__GatewayPort="$4" Cluster__Membership__ProbeTimeout=00:00:01 Cluster__Membership__NumMissedProbesLimit=2 \
        Identity__SigningKey="bench-failover-signing-key-0123456789abcdef0123456789" History__SpillDirectory="$out/spill-$1" ${SERVER_ENV:-} \
        dotnet "$server_dll" --urls "http://127.0.0.1:$2" --contentRoot "$PWD/$(dirname "$server_dll")" >"$out/server-$1.log" 2>&1 &
      echo $!
    }
    PGPASSWORD=gamebackend psql -h 127.0.0.1 -p "${GAMEBACKEND_PG_PORT:-54329}" -U gamebackend -d gamebackend -qc "drop database if exists $db" -c "create database $db" >/dev/null 2>&1
    node_a=$(start_node a 5098 11198 30098)
    for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:5098/health/ready" >/dev/null && break; sleep 0.5; done
    node_b=$(start_node b 5099 11199 30099)
    for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:5099/health/ready" >/dev/null && break; sleep 0.5; done
    server_pid="$node_a" extra_pids="$node_b" # stopped by the trap if the run ends early
    # 400 players at 1 update/s, half on each node; those on the killed node reconnect to the survivor
    # (no negotiation: a WebSocket is one request, so any node can take it).
    $runner --target "http://127.0.0.1:5098,http://127.0.0.1:5099" --skip-negotiation --scenario walkers --protocol msgpack \
      --connections "${PLAYERS:-400}" --rate "${RATE:-400}" --duration "${DURATION:-60s}" --warmup "${WARMUP:-10s}" --seed 8 \
      --report "$out" --report-name failover --no-progress --no-default-thresholds >"$out/failover-runner.txt" 2>&1 &
    runner_pid=$!
    sleep "${KILL_AFTER:-40}" # seconds after the runner starts: ~5 s of logins, the warm-up, then ~25 s measured
    echo "SIGKILL node b (pid $node_b) at $(date -u +%T)"; kill -KILL "$node_b"
    wait "$runner_pid" || true
    tail -n 30 "$out/failover-runner.txt" ;;
  *) echo "usage: $0 rate-search|many|storm|crowd|failover" >&2; exit 2 ;;
esac
echo "reports in $out"
