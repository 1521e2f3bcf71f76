#!/usr/bin/env bash
# What watching the server costs the thread that answers messages: the same
# build of bin/server without the admin port (off) and with it (--admin,
# /metrics scraped every second by curl: on), in ABBA rounds. Each run is
# bin/client against bin/server, 64 B, TCP, N measured round trips (1 000 000
# by default) after 20 000 of warm-up; the server and the client on CPU 0
# (CPU=...), the scraper on CPU 1 (SCRAPER_CPU=...). Prints p50/p99/p99.9,
# the GCs of the server over the whole run (from its summary), and the
# scrapes answered.
#   bench/admin-cost.sh [ROUNDS] [N]     ROUNDS defaults to 3. Run after ./run.sh build.
set -euo pipefail
cd -- "$(dirname -- "$(readlink -f -- "$0")")/.."
cpu=${CPU:-0}
scraper_cpu=${SCRAPER_CPU:-1}
rounds=${1:-3}
count=${2:-1000000}
log=$(mktemp)
trap 'kill "${scraper_pid:-}" "${server_pid:-}" 2>/dev/null || true; rm -f "$log" "$log.err" "$log.scrapes"' EXIT

echo "bench/admin-cost.sh: bin/client (CPU $cpu) -> bin/server (CPU $cpu), 64 B, TCP, $count round trips, $rounds rounds (ABBA); scraper (curl /metrics every 1 s) on CPU $scraper_cpu; node $(node --version), commit $(git rev-parse --short HEAD)$([ -z "$(git status --porcelain -- src)" ] || echo +)"
printf '%-6s %7s %8s %9s %11s %11s %8s\n' admin "p50 us" "p99 us" "p99.9 us" "server GCs" "GC ms" scrapes
for i in $(seq "$rounds"); do
  order=(off on)
  [ $((i % 2)) -eq 0 ] && order=(on off)
  for side in "${order[@]}"; do
    args=()
    [ "$side" = on ] && args=(--admin 127.0.0.1:0)
    ./bin/server --json --port 0 --cpu "$cpu" "${args[@]}" >"$log" 2>"$log.err" &
    server_pid=$!
    until grep -q '"event":"ready"' "$log"; do
      kill -0 "$server_pid" 2>/dev/null || { echo "the server exited: $(head -n 1 "$log.err")" >&2; exit 1; }
      sleep 0.05
    done
    ready=$(grep '"event":"ready"' "$log")
    port=$(grep -o '"port":[0-9]*' <<<"$ready" | head -n 1 | cut -d: -f2)
    : >"$log.scrapes"
    if [ "$side" = on ]; then
      admin=$(grep -o '"url":"http://[^"]*"' <<<"$ready" | cut -d'"' -f4)
      taskset -c "$scraper_cpu" bash -c 'while sleep 1; do curl -sf -o /dev/null "$1/metrics" && echo >>"$2"; done' _ "$admin" "$log.scrapes" &
      scraper_pid=$!
    fi
    out=$(./bin/client --port "$port" --cpu "$cpu" --count "$count" --warmup 20000 --json)
    if [ "$side" = on ]; then
      kill "$scraper_pid"
      wait "$scraper_pid" 2>/dev/null || true
    fi
    kill -TERM "$server_pid"
    wait "$server_pid"
    node -e '
      const c = JSON.parse(process.argv[1]);
      const s = require("fs").readFileSync(process.argv[2], "utf8").trim().split("\n").map(JSON.parse).find((e) => e.event === "summary");
      const f = (v, w) => v.toFixed(2).padStart(w);
      console.log(`${process.argv[3].padEnd(6)} ${f(c.latencyUs.p50, 7)} ${f(c.latencyUs.p99, 8)} ${f(c.latencyUs.p99_9, 9)} ${String(s.gc.count).padStart(11)} ${s.gc.pauseMs.toFixed(1).padStart(11)} ${process.argv[4].padStart(8)}`);
    ' "$out" "$log" "$side" "$(wc -l <"$log.scrapes")"
  done
done
