#!/usr/bin/env bash
# One entry point for a fresh clone.
#   ./run.sh                 install if needed, build, start the server on TCP and a
#                            Unix socket, probe both, run a short benchmark, stop
#   ./run.sh test            install if needed, check format and lint, build, run the tests
#   ./run.sh build           install if needed and build
#   ./run.sh server|client|benchmark [args...]   build, then run that program
set -euo pipefail
cd -- "$(dirname -- "$(readlink -f -- "$0")")"

say() { printf '\n== %s\n' "$*"; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

check_node() {
  command -v node >/dev/null || die "Node.js >= 20 is required and 'node' is not on PATH"
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 20 ] || die "Node.js >= 20 is required; this is $(node --version)"
}

install() {
  # npm ci when node_modules is missing or older than the lock file.
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "installing dependencies (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

build() {
  check_node
  install
  npx --no-install tsc -p tsconfig.json
}

lint() {
  # Biome (biome.jsonc) is the one formatter and linter. It prints each file it
  # would format differently and each lint finding, with file and line.
  npx --no-install biome ci --error-on-warnings . ||
    die "format or lint check failed (Biome, above): 'npm run format' rewrites the formatting; lint findings are fixed by hand"
}

run_tests() {
  check_node
  install
  lint
  build
  # tsx runs the tests and bench scripts without checking their types: check
  # them here, so that a script nobody ran lately cannot rot unseen.
  npx --no-install tsc -p tsconfig.check.json
  # Node 20 does not expand globs itself: the shell lists the files. The
  # reporter is spec on a terminal and TAP (ending in '# pass N') otherwise.
  local files=(test/*.test.ts) flags=() help
  help=$(node --help)
  # Once the tests have finished, exit even if one leaked a handle (a
  # socket, a timer, a child) instead of hanging (Node 20.14+ and 22+).
  [[ $help == *--test-force-exit* ]] && flags+=(--test-force-exit)
  # Fail a test that hangs rather than wait for ever. Node 20 applies the
  # timeout to each file as a whole too, so it must outlast the slowest
  # file, benchmark.test.ts: about 25 s on an idle 2-core machine. 120 s is
  # nearly five times that, room for a loaded shared machine; and four times
  # what any test waits for one thing (WAIT_MS in test/helpers.ts), so a
  # test that waits in vain fails naming what it waited for first.
  [[ $help == *--test-timeout* ]] && flags+=(--test-timeout=120000)
  node --import tsx --test ${flags[@]+"${flags[@]}"} "${files[@]}"
}

demo() {
  build
  local port sock
  tmp=$(mktemp -d)
  sock="$tmp/respuesta.sock"
  trap 'kill "$server_pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT

  say "server: TCP on an ephemeral loopback port and a Unix socket"
  ./bin/server --port 0 --unix "$sock" >"$tmp/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do
    grep -q '^ready: ' "$tmp/server.log" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$tmp/server.log"; die "server did not start"; }
    sleep 0.05
  done
  cat "$tmp/server.log"
  port=$(sed -n 's#^ready: tcp://127\.0\.0\.1:\([0-9]*\) .*#\1#p' "$tmp/server.log")
  [ -n "$port" ] || die "server printed no TCP port"

  say "client over TCP (placement: left to the scheduler)"
  ./bin/client --port "$port" --count 20000 --warmup 2000
  say "client over the Unix socket"
  ./bin/client --unix "$sock" --count 20000 --warmup 2000

  say "benchmark: closed loop, 1 and 16 connections, 1 and 8 in flight each"
  ./bin/benchmark --port "$port" --connections 1,16 --pipeline 1,8 --duration 1 --warmup 0.5
  say "benchmark: open loop, 10 000 msg/s over 16 connections over the Unix socket"
  ./bin/benchmark --unix "$sock" --connections 16 --rate 10000 --duration 2 --warmup 0.5

  say "stopping the server (SIGTERM)"
  kill -TERM "$server_pid"
  wait "$server_pid"
  tail -n 2 "$tmp/server.log"
}

case "${1:-}" in
  "") demo ;;
  test) run_tests ;;
  build) build ;;
  server | client | benchmark)
    prog=$1
    shift
    build >&2
    exec "./bin/$prog" "$@"
    ;;
  -h | --help | help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) die "unknown command '$1' (try: ./run.sh help)" ;;
esac
