#!/usr/bin/env bash
# One entry point for a fresh clone.
#   ./run.sh                 install if needed, build, start the server on TCP and a
#                            Unix socket, probe both, run a short benchmark, stop, verdict;
#                            the runs and their HTML report are kept in results/DATE/
#   ./run.sh test            install if needed, check format and lint, build, run the tests
#   ./run.sh suite [FILES]   only run the tests (all, or FILES), with the Node on PATH
#   ./run.sh build           install if needed and build
#   ./run.sh server|client|benchmark [args...]   build, then run that program
set -euo pipefail
cd -- "$(dirname -- "$(readlink -f -- "$0")")"

say() { printf '\n== %s\n' "$*"; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

check_node() {
  command -v node >/dev/null || die "Node.js >= 20 is required and 'node' is not on PATH"
  local version major
  version=$(node --version)
  major=${version#v}
  major=${major%%.*}
  [ "$major" -ge 20 ] || die "Node.js >= 20 is required; this is $version"
}

install() {
  # npm ci when node_modules is missing or older than the lock file. A
  # node_modules that is a symlink belongs to another checkout (a git
  # worktree sharing it): never reinstall through it, which would empty it.
  [ -L node_modules ] && return 0
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
  suite
}

# The test runner alone, on the files given (default: every test file), with
# the Node on PATH: run_tests above, and .ci/run on the other Node lines.
suite() {
  # Node 20 does not expand globs itself: the shell lists the files. The
  # reporter is spec on a terminal and TAP (ending in '# pass N') otherwise.
  local files=("$@") flags=() help
  [ ${#files[@]} -gt 0 ] || files=(test/*.test.ts)
  help=$(node --help)
  # Not --test-force-exit: with it, Node 20, 22 and 24 all ended a file's
  # process before its last tests had reported, and counted them nowhere
  # (test/codec.test.ts alone: 24 to 43 of its 43 tests, run to run, all
  # "passing"). A test that leaks a handle must be mended, not cut short.
  # Fail a test that hangs rather than wait for ever. Node 20 applies the
  # timeout to each file as a whole too, so it must outlast the slowest
  # file, benchmark.test.ts: about 25 s on an idle 2-core machine. 120 s is
  # nearly five times that, room for a loaded shared machine; and four times
  # what any test waits for one thing (WAIT_MS in test/helpers.ts), so a
  # test that waits in vain fails naming what it waited for first.
  [[ $help == *--test-timeout* ]] && flags+=(--test-timeout=120000)
  # Two test files at a time even on 2 CPUs (the runner's default there is
  # one): most files wait on sockets and child processes much of the time.
  # On this 2-vCPU VM the suite took 4 min 55 s one at a time and 3 min 22 s
  # two at a time, both green (no test hangs on a wall-clock figure).
  if [[ $help == *--test-concurrency* ]]; then
    local cpus
    # The CPUs this process may run on (its affinity), as os.availableParallelism() counts them.
    cpus=$(nproc)
    flags+=(--test-concurrency=$((cpus > 3 ? cpus - 1 : 2)))
  fi
  node --import tsx --test ${flags[@]+"${flags[@]}"} "${files[@]}"
}

# One run of bin/client or bin/benchmark ($1): its JSON is kept in $2 for the
# verdict, and shown as that program's usual text (its own formatter, through
# dist/demo/main.js), so that the verdict quotes the figures printed above it.
# A run that fails says why on stderr; the verdict counts it.
kept_run() {
  local prog=$1 json=$2
  shift 2
  "./bin/$prog" "$@" --json >"$json" || true
  node dist/demo/main.js show "$json"
}

demo() {
  build
  local port sock server_cpus results page
  tmp=$(mktemp -d)
  # What the demo measured is kept: each run's JSON, the benchmark's interval logs, one HTML page of all four.
  results="results/$(date +%Y%m%d-%H%M%S)"
  mkdir -p "$results"
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
  server_cpus=$(sed -n 's/.* cpus=\([^ ]*\)$/\1/p' "$tmp/server.log" | head -n 1)

  say "client over TCP (placement: left to the scheduler)"
  kept_run client "$results/client-tcp.json" --port "$port" --count 20000 --warmup 2000
  say "client over the Unix socket"
  kept_run client "$results/client-unix.json" --unix "$sock" --count 20000 --warmup 2000

  say "benchmark: closed loop, 1 and 16 connections, 1 and 8 in flight each"
  kept_run benchmark "$results/benchmark-tcp.json" --port "$port" --connections 1,16 --pipeline 1,8 --duration 1 --warmup 0.5 --hlog "$results/benchmark-tcp.hlog"
  say "benchmark: open loop, 10 000 msg/s over 16 connections over the Unix socket"
  kept_run benchmark "$results/benchmark-unix.json" --unix "$sock" --connections 16 --rate 10000 --duration 2 --warmup 0.5 --hlog "$results/benchmark-unix.hlog"

  say "stopping the server (SIGTERM)"
  kill -TERM "$server_pid"
  wait "$server_pid"
  tail -n 2 "$tmp/server.log"

  say "report: the four runs above in one page"
  page="$results/report.html"
  ./bin/benchmark report "$results/client-tcp.json" "$results/client-unix.json" "$results/benchmark-tcp.hlog" "$results/benchmark-unix.hlog" \
    --label "client, TCP" --label "client, Unix socket" --label "benchmark, TCP" --label "benchmark, Unix socket" \
    --title "respuesta: ./run.sh on $(hostname)" --html "$page" || page=''

  # Each run against its target (1 ms by default), where the processes could
  # run, and what to try next (src/demo/verdict.ts). Exit status 1 when a run failed.
  say "verdict: each run above against its target"
  node dist/demo/main.js verdict --client "TCP=$results/client-tcp.json" --client "Unix socket=$results/client-unix.json" \
    --load "load TCP=$results/benchmark-tcp.json" --load "load Unix=$results/benchmark-unix.json" \
    --server-cpus "$server_cpus" --page "$page"
}

case "${1:-}" in
  "") demo ;;
  test) run_tests ;;
  suite)
    shift
    suite "$@"
    ;;
  build) build ;;
  server | client | benchmark)
    prog=$1
    shift
    build >&2
    exec "./bin/$prog" "$@"
    ;;
  -h | --help | help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) die "unknown command '$1' (try: ./run.sh help)" ;;
esac
