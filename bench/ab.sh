#!/usr/bin/env bash
# A/B runs, alternating the two sides in rounds, everything on one CPU (0 by
# default, the placement with the least noise here); each run is bin/client
# against bin/server, 64 B, TCP, 200 000 measured round trips after 20 000 of
# warm-up, and prints p50/p99/p99.9 and the GC events of both processes.
#   bench/ab.sh io [ROUNDS]           the server's --io handles against --io sockets
#   bench/ab.sh client-io [ROUNDS]    the client's --io handles (direct writes) against --io sockets (socket.write)
#   bench/ab.sh rev REV [ROUNDS]      this tree against commit REV (server and client both from each tree;
#                                     REV is checked out and built under $TMPDIR once)
#   bench/ab.sh client-rev REV [ROUNDS]   the clients of this tree and of REV, against REV's server
# The order of the two sides alternates from round to round (ABBA), so that a slow minute of this shared
# machine does not fall on one side more than the other.
# ROUNDS defaults to 3. CPU=1 bench/ab.sh ... picks another CPU; CLIENT_CPU=1 puts the client on
# another CPU than the server (split placement). Run after ./run.sh build.
set -euo pipefail
cd -- "$(dirname -- "$(readlink -f -- "$0")")/.."
cpu=${CPU:-0}
client_cpu=${CLIENT_CPU:-$cpu}
here=$PWD
what=${1:-}
shift || true
case $what in
  io | client-io) labels=(handles sockets) ;;
  rev | client-rev)
    rev=${1:?usage: bench/ab.sh $what REV [ROUNDS]}
    shift
    sha=$(git rev-parse --short "$rev")
    other="${TMPDIR:-/tmp}/respuesta-ab-$sha"
    if [ ! -f "$other/dist/server/main.js" ]; then
      rm -rf "$other"
      git worktree add -f --detach "$other" "$sha" >&2
      # Its own dependencies, as its lock file has them (they may differ from this tree's).
      (cd "$other" && npm ci --no-audit --no-fund --loglevel=error && npx --no-install tsc -p tsconfig.json) >&2
    fi
    labels=("$sha" "$(git rev-parse --short HEAD)$([ -z "$(git status --porcelain -- src)" ] || echo +)")
    ;;
  *) echo "usage: bench/ab.sh io|client-io|rev REV|client-rev REV [ROUNDS]" >&2; exit 2 ;;
esac
rounds=${1:-3}
log=$(mktemp)
trap 'kill "${server_pid:-}" 2>/dev/null || true; rm -f "$log" "$log.err"' EXIT

# run_server TREE ARGS...: the server of TREE on an ephemeral port; sets server_pid and port. As
# bench/lib.sh's start_server, but it also knows builds from before the one `ready` event (up to
# commit 9a6d965), which print a `listening` event per listener: the server here has one.
run_server() {
  local tree=$1
  shift
  "$tree/bin/server" --json --port 0 --cpu "$cpu" "$@" >"$log" 2>"$log.err" &
  server_pid=$!
  until grep -qE '"event":"(ready|listening)"' "$log"; do
    kill -0 "$server_pid" 2>/dev/null || { echo "the server exited: $(head -n 1 "$log.err")" >&2; exit 1; }
    sleep 0.05
  done
  port=$(grep -E '"event":"(ready|listening)"' "$log" | grep -o '"port":[0-9]*' | head -n 1 | cut -d: -f2)
}

echo "bench/ab.sh $what: bin/client (CPU $client_cpu) -> bin/server (CPU $cpu), 64 B, TCP, 200 000 round trips, $rounds rounds, node $(node --version)"
printf '%-14s %7s %8s %9s %11s %11s\n' "" "p50 us" "p99 us" "p99.9 us" "client GCs" "server GCs"
for i in $(seq "$rounds"); do
  order=("${labels[@]}")
  [ $((i % 2)) -eq 0 ] && order=("${labels[1]}" "${labels[0]}")
  for label in "${order[@]}"; do
    tree=$here server_args=() client_args=()
    case $what in
      io) server_args=(--io "$label") ;;
      client-io) client_args=(--io "$label") ;;
      rev | client-rev) [ "$label" = "$sha" ] && tree=$other ;;
    esac
    server_tree=$tree
    [ "$what" = client-rev ] && server_tree=$other
    run_server "$server_tree" "${server_args[@]}"
    out=$("$tree/bin/client" --port "$port" --cpu "$client_cpu" --count 200000 --warmup 20000 "${client_args[@]}" --json)
    kill -TERM "$server_pid"
    wait "$server_pid"
    node -e '
      const c = JSON.parse(process.argv[1]);
      const s = require("fs").readFileSync(process.argv[2], "utf8").trim().split("\n").map(JSON.parse).find((e) => e.event === "summary");
      const f = (v, w) => v.toFixed(2).padStart(w);
      console.log(`${process.argv[3].padEnd(14)} ${f(c.latencyUs.p50, 7)} ${f(c.latencyUs.p99, 8)} ${f(c.latencyUs.p99_9, 9)} ${String(c.gc.count).padStart(11)} ${String(s.gc.count).padStart(11)}`);
    ' "$out" "$log" "$label"
  done
done
