#!/usr/bin/env bash
# What watching the server costs the thread that answers messages: the same
# build of bin/server without the admin port (off), with it and /metrics
# scraped every second by curl (on), and with /metrics flooded by four
# keep-alive loops asking again the moment each answer is in (flood,
# bench/admin-flood.cjs), in rounds that run the modes forward, then
# backward (ABBA; ABCCBA with three modes). Each run is bin/client against
# bin/server, 64 B, TCP, N measured round trips (1 000 000 by default) after
# 20 000 of warm-up; the server and the client on CPU 0 (CPU=...), the
# scraper or the flood on CPU 1 (SCRAPER_CPU=...). The admin thread goes
# where the server puts it by default (with --cpu, its other CPUs: here the
# scraper's), or where ADMIN_CPU says (--admin-cpu). Prints p50/p99/p99.9, the
# serving thread's GCs over the whole run from its summary (total, then
# minor/major/other: other is V8's incremental-marking and weak-callback
# steps), the scrapes answered, and the serving thread's CPU time per round
# trip over the client's run (its schedstat): what the thread itself spent,
# less sensitive than latency to what else the machine runs.
#   bench/admin-cost.sh [ROUNDS] [N]     ROUNDS defaults to 3. Run after ./run.sh build.
#   MODES="off on flood"                 which modes, in the forward order (default: off on);
#                                        quiet: the admin port on and nobody asking it anything;
#                                        shared: as on, the admin thread on the serving thread's CPU
#   ADMIN_CPU=0                          --admin-cpu for every mode with the admin port but shared
#   TRACE_GC=1                           also run the server with --trace-gc and print, after
#                                        each run, what every isolate of the process collected
#                                        (the serving thread's and the admin worker's)
#   SERVER_FLAGS="--no-memory-reducer"   V8 flags for the server, after the launchers' GC flags
set -euo pipefail
cd -- "$(dirname -- "$(readlink -f -- "$0")")/.."
cpu=${CPU:-0}
scraper_cpu=${SCRAPER_CPU:-1}
rounds=${1:-3}
count=${2:-1000000}
read -r -a modes <<<"${MODES:-off on}"
server_env=()
# bin/launch.sh's GC flags are replaced by RESPUESTA_NODE_FLAGS: keep them. The server's alone.
server_flags=${SERVER_FLAGS:-}
[ "${TRACE_GC:-0}" = 1 ] && server_flags+=" --trace-gc"
[ -n "$server_flags" ] && server_env=("RESPUESTA_NODE_FLAGS=--max-semi-space-size=2 --min-semi-space-size=2 $server_flags")
log=$(mktemp)
trap 'kill "${scraper_pid:-}" "${server_pid:-}" 2>/dev/null || true; rm -f "$log" "$log.err" "$log.scrapes" "$log.rows"' EXIT
trap 'echo "bench/admin-cost.sh: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

echo "bench/admin-cost.sh: bin/client (CPU $cpu) -> bin/server (CPU $cpu), 64 B, TCP, $count round trips, $rounds rounds of ${modes[*]} (forward, then backward); scraper on CPU $scraper_cpu; admin thread on CPUs ${ADMIN_CPU:-other than $cpu (the default)}${ADMIN_CPU:+ (--admin-cpu)};${server_flags:+ server flags$server_flags;} node $(node --version), commit $(git rev-parse --short HEAD)$([ -z "$(git status --porcelain -- src bench)" ] || echo +)"
printf '%-6s %7s %8s %9s %11s %13s %8s %8s %10s\n' admin "p50 us" "p99 us" "p99.9 us" "server GCs" "min/maj/oth" "GC ms" scrapes "CPU us/rt"
for i in $(seq "$rounds"); do
  order=("${modes[@]}")
  if [ $((i % 2)) -eq 0 ]; then
    order=()
    for ((j = ${#modes[@]} - 1; j >= 0; j--)); do order+=("${modes[j]}"); done
  fi
  for side in "${order[@]}"; do
    args=()
    [ "$side" != off ] && args=(--admin 127.0.0.1:0)
    [ "$side" = shared ] && args+=(--admin-cpu "$cpu")
    # shared is the serving thread's CPU whatever ADMIN_CPU says.
    [ "$side" != off ] && [ "$side" != shared ] && [ -n "${ADMIN_CPU:-}" ] && args+=(--admin-cpu "$ADMIN_CPU")
    env "${server_env[@]}" ./bin/server --json --port 0 --cpu "$cpu" "${args[@]}" >"$log" 2>"$log.err" &
    server_pid=$!
    until grep -q '^{"event":"ready"' "$log"; do
      kill -0 "$server_pid" 2>/dev/null || { echo "the server exited: $(head -n 1 "$log.err")" >&2; exit 1; }
      sleep 0.05
    done
    ready=$(grep '^{"event":"ready"' "$log")
    port=$(grep -o '"port":[0-9]*' <<<"$ready" | head -n 1 | cut -d: -f2)
    : >"$log.scrapes"
    admin=$(grep -o '"url":"http://[^"]*"' <<<"$ready" | cut -d'"' -f4 || true)
    if [ "$side" = on ] || [ "$side" = shared ]; then
      taskset -c "$scraper_cpu" bash -c 'while sleep 1; do curl -sf -o /dev/null "$1/metrics" && echo >>"$2"; done' _ "$admin" "$log.scrapes" &
      scraper_pid=$!
    elif [ "$side" = flood ]; then
      taskset -c "$scraper_cpu" node bench/admin-flood.cjs "$admin/metrics" 4 >"$log.scrapes" &
      scraper_pid=$!
    fi
    # The serving thread's CPU time over the client's run (its schedstat: ns on a CPU), per round trip.
    cpu_before=$(cut -d' ' -f1 "/proc/$server_pid/task/$server_pid/schedstat")
    out=$(./bin/client --port "$port" --cpu "$cpu" --count "$count" --warmup 20000 --json)
    cpu_per_rt=$(awk -v a="$cpu_before" -v n="$((count + 20000))" '{ printf "%.2f", ($1 - a) / 1000 / n }' "/proc/$server_pid/task/$server_pid/schedstat")
    scrapes=0
    if [ -n "${scraper_pid:-}" ]; then
      kill "$scraper_pid"
      wait "$scraper_pid" 2>/dev/null || true
      scraper_pid=
      # The flood prints "answered failed"; the scraper one line per answer.
      if [ "$side" = flood ]; then scrapes=$(cut -d' ' -f1 "$log.scrapes"); else scrapes=$(wc -l <"$log.scrapes"); fi
    fi
    kill -TERM "$server_pid"
    wait "$server_pid"
    server_pid=
    # --trace-gc writes to the same stdout as the JSON events: read the events only.
    grep '^{' "$log" | node -e '
      const c = JSON.parse(process.argv[1]);
      const s = require("fs").readFileSync(0, "utf8").trim().split("\n").map(JSON.parse).find((e) => e.event === "summary");
      const f = (v, w) => v.toFixed(2).padStart(w);
      const kinds = `${s.gc.minor}/${s.gc.major}/${s.gc.count - s.gc.minor - s.gc.major}`;
      console.log(`${process.argv[2].padEnd(6)} ${f(c.latencyUs.p50, 7)} ${f(c.latencyUs.p99, 8)} ${f(c.latencyUs.p99_9, 9)} ${String(s.gc.count).padStart(11)} ${kinds.padStart(13)} ${s.gc.pauseMs.toFixed(1).padStart(8)} ${process.argv[3].padStart(8)} ${process.argv[4].padStart(10)}`);
    ' "$out" "$side" "$scrapes" "$cpu_per_rt" | tee -a "$log.rows"
    if [ "${TRACE_GC:-0}" = 1 ]; then
      # One line per isolate and kind: "[pid:isolate] Scavenge" and the like, counted; the serving thread's isolate comes first in the log.
      grep '^\[' "$log" | awk '{ kind = $4; if ($5 ~ /^\(/) kind = kind " " $5; n[$1 " " kind]++ } END { for (k in n) printf "         trace-gc: %s x%d\n", k, n[k] }' | sort
      grep '^\[' "$log" | grep -v Scavenge | cut -c1-220 | sed 's/^/         /' || true
    fi
  done
done

# Per mode over the rounds: the median and the range of p50, p99 and p99.9, and
# every GC count seen. The off runs' range is the noise the other modes are
# read against.
echo
echo "over $rounds rounds: median [min-max]"
node -e '
  const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => l.trim().split(/\s+/));
  const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
  const cell = (xs) => `${median(xs).toFixed(2)} [${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}]`.padEnd(22);
  console.log(`${"admin".padEnd(6)} ${"p50 us".padEnd(22)} ${"p99 us".padEnd(22)} ${"p99.9 us".padEnd(22)} ${"CPU us/rt".padEnd(22)} server GCs`);
  for (const mode of [...new Set(rows.map((r) => r[0]))]) {
    const mine = rows.filter((r) => r[0] === mode);
    const col = (i) => mine.map((r) => Number(r[i]));
    console.log(`${mode.padEnd(6)} ${cell(col(1))} ${cell(col(2))} ${cell(col(3))} ${cell(col(8))} ${[...new Set(col(4))].join(", ")}`);
  }
' "$log.rows"
