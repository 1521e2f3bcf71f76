#!/usr/bin/env bash
# A/B of the write path: --writes direct (to the socket's handle, one reused
# request) against --writes stream (socket.write), set the same on bin/server
# and bin/client. Alternates the two, three times each, everything on CPU 0;
# prints p50/p99 of bin/client and the GC events of both processes for
# 200 000 measured round trips of 64 B.
#   bench/ab-writes.sh           (after ./run.sh build)
set -euo pipefail
cd -- "$(dirname -- "$(readlink -f -- "$0")")/.."
echo "writes     p50 us   p99 us  client GCs  server GCs"
for i in 1 2 3; do
  for writes in direct stream; do
    log=$(mktemp)
    ./bin/server --json --port 0 --cpu 0 --writes "$writes" >"$log" &
    pid=$!
    until grep -q '"event":"listening"' "$log"; do sleep 0.05; done
    port=$(sed -n 's/.*"event":"listening".*"port":\([0-9]*\).*/\1/p' "$log")
    out=$(./bin/client --port "$port" --cpu 0 --count 200000 --warmup 20000 --writes "$writes" --json)
    kill -TERM "$pid"
    wait "$pid"
    node -e '
      const c = JSON.parse(process.argv[1]);
      const s = require("fs").readFileSync(process.argv[2], "utf8").trim().split("\n").map(JSON.parse).find((e) => e.event === "summary");
      console.log(`${process.argv[3].padEnd(9)} ${c.latencyUs.p50.toFixed(2).padStart(7)} ${c.latencyUs.p99.toFixed(2).padStart(8)} ${String(c.gc.count).padStart(11)} ${String(s.gc.count).padStart(11)}`);
    ' "$out" "$log" "$writes"
    rm -f "$log"
  done
done
