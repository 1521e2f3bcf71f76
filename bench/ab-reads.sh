#!/usr/bin/env bash
# A/B of the server's read path: --reads shared (one reused buffer) against
# --reads per-read (Node's new buffer per read). Alternates the two, three
# times each, everything on CPU 0; prints p50/p99 of bin/client and the
# server's GC events for 100 000 round trips.
#   bench/ab-reads.sh            (after ./run.sh build)
set -euo pipefail
cd -- "$(dirname -- "$(readlink -f -- "$0")")/.."
echo "reads      p50 us   p99 us  server GCs"
for i in 1 2 3; do
  for reads in shared per-read; do
    log=$(mktemp)
    ./bin/server --json --port 0 --cpu 0 --reads "$reads" >"$log" &
    pid=$!
    until grep -q '"event":"listening"' "$log"; do sleep 0.05; done
    port=$(sed -n 's/.*"event":"listening".*"port":\([0-9]*\).*/\1/p' "$log")
    out=$(./bin/client --port "$port" --cpu 0 --count 100000 --warmup 10000 --json)
    kill -TERM "$pid"
    wait "$pid"
    node -e '
      const c = JSON.parse(process.argv[1]);
      const s = require("fs").readFileSync(process.argv[2], "utf8").trim().split("\n").map(JSON.parse).find((e) => e.event === "summary");
      console.log(`${process.argv[3].padEnd(9)} ${c.latencyUs.p50.toFixed(2).padStart(7)} ${c.latencyUs.p99.toFixed(2).padStart(8)} ${String(s.gc.count).padStart(11)}`);
    ' "$out" "$log" "$reads"
    rm -f "$log"
  done
done
