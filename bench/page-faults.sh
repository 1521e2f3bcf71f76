#!/usr/bin/env bash
# Page faults of the serving process after warm-up: would locking its memory
# (mlockall, which Node cannot call without a native addon) spare the hot path
# anything? bin/server on CPU 0; bin/client on CPU 1 warms it up with one run,
# then `perf stat -e page-faults,major-faults` counts the server's faults
# over each of RUNS more runs of N round trips (64 B, TCP).
#   bench/page-faults.sh [RUNS] [N]     RUNS 3, N 200 000 by default. Run after ./run.sh build; needs perf.
set -euo pipefail
cd -- "$(dirname -- "$(readlink -f -- "$0")")/.."
. bench/lib.sh
runs=${1:-3}
count=${2:-200000}
log=$(mktemp)
trap 'kill "${server_pid:-}" 2>/dev/null || true; rm -f "$log" "$log.err" "$log.perf"' EXIT
command -v perf >/dev/null || { echo "page-faults: perf is missing (Debian: linux-perf)" >&2; exit 1; }

echo "bench/page-faults.sh: bin/server (CPU 0) <- bin/client (CPU 1), 64 B, TCP; warm-up run of $count, then $runs runs of $count round trips; node $(node --version), commit $(git rev-parse --short HEAD)"
start_server "$log" --port 0 --cpu 0
./bin/client --port "$server_port" --cpu 1 --count "$count" --warmup 20000 --json >/dev/null
for i in $(seq "$runs"); do
  perf stat -x, -e page-faults,major-faults -p "$server_pid" -o "$log.perf" &
  perf_pid=$!
  sleep 0.2
  out=$(./bin/client --port "$server_port" --cpu 1 --count "$count" --warmup 0 --json)
  kill -INT "$perf_pid"
  wait "$perf_pid" || true
  faults=$(grep -E ',page-faults' "$log.perf" | cut -d, -f1)
  major=$(grep -E ',major-faults' "$log.perf" | cut -d, -f1)
  p99=$(node -e 'console.log(JSON.parse(process.argv[1]).latencyUs.p99_9)' "$out")
  echo "run $i: $count round trips, server page faults $faults (major $major), client p99.9 $p99 us"
done
stop_server
grep '"event":"summary"' "$log" | grep -o '"gc":{[^}]*}' || true
