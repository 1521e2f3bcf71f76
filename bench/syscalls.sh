#!/usr/bin/env bash
# System calls per message: strace -c on our server and on sockperf's server
# while bin/client makes 20 000 round trips against each (64 B, TCP, all on
# CPU 0). Needs strace and sockperf (apt-get install strace sockperf) and a
# build (./run.sh build).
#   bench/syscalls.sh
set -euo pipefail
cd -- "$(dirname -- "$(readlink -f -- "$0")")/.."
. bench/lib.sh
N=20000
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

# count PID CLIENT-ARGS...: strace the server while the client runs, print the per-call counts.
count() {
  local pid=$1
  shift
  ./bin/client --cpu 0 --count 5000 --warmup 0 "$@" >/dev/null # warm-up, not counted
  strace -qq -c -f -p "$pid" -o "$tmp/trace" &
  local tracer=$!
  sleep 1
  ./bin/client --cpu 0 --count "$N" --warmup 0 "$@" >/dev/null
  kill -INT "$tracer"
  wait "$tracer" 2>/dev/null || true
  awk 'NR > 2 && $NF !~ /^-/ && $NF != "total" && $(NF-1) ~ /^[0-9]+$/ && $(NF-1) >= '"$N"' / 2 { printf "  %8d %s\n", $(NF-1), $NF }' "$tmp/trace"
}

start_server "$tmp/server.log" --port 0 --cpu 0
echo "our server, $N round trips (calls made at least $((N / 2)) times):"
count "$server_pid" --port "$server_port"
stop_server

sp_port=$((20000 + RANDOM % 12000))
taskset -c 0 sockperf server --tcp -i 127.0.0.1 -p "$sp_port" >/dev/null 2>&1 &
sp=$!
node --import tsx -e "import('./bench/lib.ts').then((m) => m.waitForPort($sp_port))"
echo "sockperf server, $N round trips:"
count "$sp" --port "$sp_port" --framing sockperf
kill "$sp"
