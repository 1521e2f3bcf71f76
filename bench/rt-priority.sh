#!/usr/bin/env bash
# What SCHED_FIFO (bin/server --rt-priority) does to the tail: the same build
# of bin/server without it (off) and with --rt-priority 50 (fifo), in ABBA
# rounds, in three placements:
#   same   server and client on CPU 0;
#   split  server on CPU 0, client on CPU 1;
#   hog    split, and a busy loop at normal priority on the server's CPU 0
#          (a neighbour that wants the whole CPU: a build, a batch job).
# Each run is bin/client against bin/server, 64 B, TCP, N measured round
# trips (200 000 by default) after 20 000 of warm-up. Prints p50/p99/p99.9/max
# of each run. Needs root (or CAP_SYS_NICE).
#   bench/rt-priority.sh [ROUNDS] [N] [PLACEMENTS]   ROUNDS 2, PLACEMENTS "same split hog" by default. Run after ./run.sh build.
set -euo pipefail
cd -- "$(dirname -- "$(readlink -f -- "$0")")/.."
. bench/lib.sh
rounds=${1:-2}
count=${2:-200000}
placements=${3:-same split hog}
log=$(mktemp)
trap 'kill "${hog_pid:-}" "${server_pid:-}" 2>/dev/null || true; rm -f "$log" "$log.err"' EXIT

echo "bench/rt-priority.sh: bin/client -> bin/server, 64 B, TCP, $count round trips, $rounds rounds (ABBA) per placement; node $(node --version), commit $(git rev-parse --short HEAD)$([ -z "$(git status --porcelain -- src)" ] || echo +)"
printf '%-6s %-5s %7s %8s %9s %9s\n' place sched "p50 us" "p99 us" "p99.9 us" "max us"
for place in $placements; do
  client_cpu=1
  [ "$place" = same ] && client_cpu=0
  hog_pid=
  if [ "$place" = hog ]; then
    taskset -c 0 sh -c 'while :; do :; done' &
    hog_pid=$!
  fi
  for i in $(seq "$rounds"); do
    order=(off fifo)
    [ $((i % 2)) -eq 0 ] && order=(fifo off)
    for side in "${order[@]}"; do
      args=()
      [ "$side" = fifo ] && args=(--rt-priority 50)
      start_server "$log" --port 0 --cpu 0 "${args[@]}"
      out=$(./bin/client --port "$server_port" --cpu "$client_cpu" --count "$count" --warmup 20000 --json)
      stop_server
      node -e '
        const c = JSON.parse(process.argv[1]);
        const f = (v, w) => v.toFixed(2).padStart(w);
        console.log(`${process.argv[2].padEnd(6)} ${process.argv[3].padEnd(5)} ${f(c.latencyUs.p50, 7)} ${f(c.latencyUs.p99, 8)} ${f(c.latencyUs.p99_9, 9)} ${f(c.latencyUs.max, 9)}`);
      ' "$out" "$place" "$side"
    done
  done
  if [ -n "$hog_pid" ]; then
    kill "$hog_pid"
    wait "$hog_pid" 2>/dev/null || true
    hog_pid=
  fi
done
