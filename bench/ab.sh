#!/usr/bin/env bash
# A/B of one I/O path, alternating the two settings three times each,
# everything on CPU 0; prints p50/p99 of bin/client and the GC events of both
# processes for 200 000 measured round trips of 64 B (after 20 000 of warm-up).
#   bench/ab.sh io       --io handles (bare accepted handles) against sockets (net.Socket, shared reads, direct writes), on the server
#   bench/ab.sh reads    --reads shared (one reused buffer) against per-read (Node's new buffer per read), on the server (--io sockets)
#   bench/ab.sh writes   --writes direct (to the socket's handle) against stream (socket.write), on server (--io sockets) and client
# Run after ./run.sh build.
set -euo pipefail
cd -- "$(dirname -- "$(readlink -f -- "$0")")/.."
case ${1:-} in
  io) settings=(handles sockets) client_too=false ;;
  reads) settings=(shared per-read) client_too=false ;;
  writes) settings=(direct stream) client_too=true ;;
  *) echo "usage: bench/ab.sh io|reads|writes" >&2; exit 2 ;;
esac
what=$1
printf '%-9s %7s %8s %11s %11s\n' "$what" "p50 us" "p99 us" "client GCs" "server GCs"
for i in 1 2 3; do
  for how in "${settings[@]}"; do
    log=$(mktemp)
    server_args=("--$what" "$how")
    if [ "$what" != io ]; then server_args=(--io sockets "${server_args[@]}"); fi
    ./bin/server --json --port 0 --cpu 0 "${server_args[@]}" >"$log" &
    pid=$!
    until grep -q '"event":"listening"' "$log"; do sleep 0.05; done
    port=$(sed -n 's/.*"event":"listening".*"port":\([0-9]*\).*/\1/p' "$log")
    client_args=()
    if $client_too; then client_args=("--$what" "$how"); fi
    out=$(./bin/client --port "$port" --cpu 0 --count 200000 --warmup 20000 "${client_args[@]}" --json)
    kill -TERM "$pid"
    wait "$pid"
    node -e '
      const c = JSON.parse(process.argv[1]);
      const s = require("fs").readFileSync(process.argv[2], "utf8").trim().split("\n").map(JSON.parse).find((e) => e.event === "summary");
      console.log(`${process.argv[3].padEnd(9)} ${c.latencyUs.p50.toFixed(2).padStart(7)} ${c.latencyUs.p99.toFixed(2).padStart(8)} ${String(c.gc.count).padStart(11)} ${String(s.gc.count).padStart(11)}`);
    ' "$out" "$log" "$how"
    rm -f "$log"
  done
done
