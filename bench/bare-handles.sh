#!/usr/bin/env bash
# How much of the server's p50 is net.Socket, and how much is Node itself?
# sockperf ping-pong (64 B, full round trips, 5 s) against, in turn: sockperf's
# server blocking in recvfrom, sockperf's server in epoll, bin/server, and
# bench/bare-handles.cjs (bare accepted handles, no net.Socket). Everything on
# CPU 0, one at a time, twice.
#   bench/bare-handles.sh        (after ./run.sh build; needs sockperf)
set -euo pipefail
cd -- "$(dirname -- "$(readlink -f -- "$0")")/.."
port=11191
feed=$(mktemp)
echo "T:127.0.0.1:$port" >"$feed"
trap 'rm -f "$feed"' EXIT
measure() {
  local label=$1
  shift
  taskset -c 0 "$@" >/dev/null 2>&1 &
  local pid=$!
  sleep 1
  local out
  out=$(taskset -c 0 sockperf ping-pong --tcp -i 127.0.0.1 -p "$port" -m 64 -t 5 --full-rtt 2>&1 | sed 's/\x1b\[[0-9;]*m//g')
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  printf '%-40s p50 %8s  p99 %8s\n' "$label" \
    "$(sed -n 's/.*percentile 50.000 = *//p' <<<"$out")" "$(sed -n 's/.*percentile 99.000 = *//p' <<<"$out")"
}
echo "sockperf ping-pong, 64 B, full round trip in us, everything on CPU 0"
for i in 1 2; do
  measure "sockperf server (recvfrom)" sockperf server --tcp -i 127.0.0.1 -p "$port"
  measure "sockperf server (epoll)" sockperf server -f "$feed" -F epoll
  measure "bin/server --framing sockperf" ./bin/server --port "$port" --framing sockperf
  measure "bare handles (bench/bare-handles.cjs)" node --max-semi-space-size=2 --min-semi-space-size=2 bench/bare-handles.cjs "$port"
done
