#!/usr/bin/env bash
# Which V8 GC flags for the server? For each candidate, start the server with
# it, run the client (bin/client, with the launcher's flags) for N round trips,
# and report the server's GC count and total pause (perf_hooks, from its
# summary) next to the client's latency. Server and client are pinned to the
# same CPU (default 0), the placement with the least noise here.
#
#   bench/gc-flags.sh [round-trips] [cpu] [mode]      e.g. bench/gc-flags.sh 200000 0 fixed
#   CANDIDATES="A;B"   the flag sets to compare, separated by ';' (default: the list below)
#   REPEATS=R          run the list R times, forward then backward (ABBA...), a row each
set -euo pipefail
cd -- "$(dirname -- "$0")/.."
. bench/lib.sh
n=${1:-200000}
cpu=${2:-0}
mode=${3:-fixed}
[ -f dist/server/main.js ] || ./run.sh build >/dev/null

default_candidates=(
  ""
  "--single-threaded-gc"
  "--max-semi-space-size=1 --min-semi-space-size=1"
  "--max-semi-space-size=2 --min-semi-space-size=2"
  "--max-semi-space-size=8 --min-semi-space-size=8"
  "--max-semi-space-size=16 --min-semi-space-size=16"
  "--max-semi-space-size=32 --min-semi-space-size=32"
  "--max-semi-space-size=64 --min-semi-space-size=64"
)
# The ';' appended keeps an empty set (no flags) given last: read drops one empty field at the end, not two.
if [ -n "${CANDIDATES:-}" ]; then IFS=';' read -r -a candidates <<<"$CANDIDATES;"; else candidates=("${default_candidates[@]}"); fi
repeats=${REPEATS:-1}
[[ "$repeats" =~ ^[1-9][0-9]*$ ]] || { echo "bench/gc-flags.sh: REPEATS must be 1 or more, not '$repeats'" >&2; exit 2; }
order=()
for ((r = 0; r < repeats; r++)); do
  if ((r % 2 == 0)); then order+=("${candidates[@]}"); else for ((j = ${#candidates[@]} - 1; j >= 0; j--)); do order+=("${candidates[j]}"); done; fi
done

field() { node -e 'const o=JSON.parse(require("fs").readFileSync(0,"utf8"));const v=process.argv[1].split(".").reduce((a,k)=>a?.[k],o);console.log(v??"-")' "$1"; }

log=$(mktemp)
trap 'rm -f "$log" "$log.err"' EXIT
echo "server GC flags vs scavenges and latency: $n round trips, mode $mode, 64 B, TCP, server and client both on CPU $cpu, node $(node --version)"
echo
echo "| server flags | GCs | minor/major | total pause ms | ms per GC | p50 us | p99 us | p99.9 us | p99.99 us | max us |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for flags in "${order[@]}"; do
  # The launcher takes the server's node flags from RESPUESTA_NODE_FLAGS (empty: none).
  RESPUESTA_NODE_FLAGS=$flags start_server "$log" --port 0 --cpu "$cpu" --mode "$mode"
  client=$(taskset -c "$cpu" ./bin/client --port "$server_port" --mode "$mode" --count "$n" --warmup 2000 --json)
  stop_server
  summary=$(grep '"event":"summary"' "$log")
  gcs=$(field gc.count <<<"$summary")
  pause=$(field gc.pauseMs <<<"$summary")
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "${flags:-(none)}" "$gcs" "$(field gc.minor <<<"$summary")/$(field gc.major <<<"$summary")" "$pause" \
    "$(node -p "$gcs > 0 ? ($pause / $gcs).toFixed(2) : '-'")" \
    "$(field latencyUs.p50 <<<"$client")" "$(field latencyUs.p99 <<<"$client")" \
    "$(field latencyUs.p99_9 <<<"$client")" "$(field latencyUs.p99_99 <<<"$client")" "$(field latencyUs.max <<<"$client")"
done
