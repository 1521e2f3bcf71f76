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
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 20 ] || die "Node.js >= 20 is required; this is $(node --version)"
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
    cpus=$(node -p 'require("node:os").availableParallelism()')
    flags+=(--test-concurrency=$((cpus > 3 ? cpus - 1 : 2)))
  fi
  node --import tsx --test ${flags[@]+"${flags[@]}"} "${files[@]}"
}

# One client run: its JSON is kept in $1 for the verdict, and the same report
# is shown as the client's usual text (its own formatter, dist/client/report.js),
# so the verdict quotes the figures printed above it.
probe() {
  local json=$1
  shift
  ./bin/client "$@" --json >"$json" || true
  [ -s "$json" ] || return 0
  node --input-type=module -e '
    import { readFileSync } from "node:fs";
    const json = readFileSync(process.argv[1], "utf8");
    try {
      const { formatReport } = await import("./dist/client/report.js");
      const { paintFor } = await import("./dist/cli/colour.js");
      console.log(formatReport(JSON.parse(json), paintFor(process.stdout)));
    } catch (err) {
      // The formatter moved or changed: say so, and show the figures as the client gave them.
      console.error(`run.sh: cannot render the client report as text (${err.message}); its JSON:`);
      process.stdout.write(json);
    }' "$json"
}

# The end of the demo: each transport's p50 and p99 against the client's
# target (1 ms by default), where the processes could run, and what to try
# next. Exit status 1 when a run failed.
verdict() {
  node - "$@" <<'EOF'
const { readFileSync } = require('node:fs');
const [tcp, unix, serverCpus, benchFailed, page] = process.argv.slice(2);
const on = process.stdout.isTTY === true && (process.env.NO_COLOR ?? '') === '' && process.env.TERM !== 'dumb';
const paint = (code, s) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);
const read = (file) => { try { return JSON.parse(readFileSync(file, 'utf8')); } catch { return null; } };
let failed = benchFailed !== '';
const clientCpus = new Set();
// As the client prints them (fmtUs in src/stats/report.ts).
const us = (v) => `${v < 100 ? v.toFixed(2) : v < 10_000 ? v.toFixed(1) : v.toFixed(0)} us`;
function row(name, r) {
  const head = name.padEnd(13);
  if (r === null || r.latencyUs === null) { failed = true; return head + paint(31, 'no figures: the client failed (its message is above)'); }
  clientCpus.add(r.cpus ?? '?');
  const { p50, p99 } = r.latencyUs;
  const t = r.targetUs;
  const ms = t % 1000 === 0 ? `${t / 1000} ms` : `${t} us`;
  const figures = `p50 ${us(p50).padEnd(10)} p99 ${us(p99).padEnd(10)} `;
  if (r.error !== null || r.errors > 0 || r.received !== r.sent) { failed = true; return head + figures + paint(31, `failed: ${r.error ?? `${r.wrong} wrong replies, ${r.lost} lost`}`); }
  if (p99 < t) return head + figures + paint(32, `both under the ${ms} target`);
  return head + figures + paint(31, p50 < t ? `p99 misses the ${ms} target` : `p50 and p99 miss the ${ms} target`);
}
const lines = [row('TCP', read(tcp)), row('Unix socket', read(unix))];
lines.push(
  benchFailed === ''
    ? 'load         both benchmark runs: every reply right; the <=1000us column shows the target under load'
    : 'load'.padEnd(13) + paint(31, `failed: ${benchFailed} (above)`),
);
lines.push(page === '' ? 'report'.padEnd(13) + paint(31, 'not written (the reason is above)') : `report       ${page}   open it in a browser: spectra, timelines, context`);
lines.push(`placement    not pinned: the server could use CPUs ${serverCpus || '?'}, the client and the benchmark CPUs ${[...clientCpus].join(', ') || '?'}`);
lines.push(
  'next         ./run.sh test                                     format, lint, types, tests',
  '             ./bin/server --cpu 0   and in another terminal    ./bin/client --cpu 0 --count 100000',
  '             ./bin/benchmark --preset medium --spawn-server    about 30 s of scenarios',
  '             README.md (reading this output), docs/PERFORMANCE.md (against sockperf and redis)',
);
console.log(lines.join('\n'));
process.exitCode = failed ? 1 : 0;
EOF
}

demo() {
  build
  local port sock server_cpus bench_failed='' results page
  tmp=$(mktemp -d)
  # What the demo measured is kept: the clients' JSON, the benchmark's interval logs, one HTML page of all four.
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
  probe "$results/client-tcp.json" --port "$port" --count 20000 --warmup 2000
  say "client over the Unix socket"
  probe "$results/client-unix.json" --unix "$sock" --count 20000 --warmup 2000

  say "benchmark: closed loop, 1 and 16 connections, 1 and 8 in flight each"
  ./bin/benchmark --port "$port" --connections 1,16 --pipeline 1,8 --duration 1 --warmup 0.5 --hlog "$results/benchmark-tcp.hlog" ||
    bench_failed="closed loop, exit $?"
  say "benchmark: open loop, 10 000 msg/s over 16 connections over the Unix socket"
  ./bin/benchmark --unix "$sock" --connections 16 --rate 10000 --duration 2 --warmup 0.5 --hlog "$results/benchmark-unix.hlog" ||
    bench_failed="${bench_failed:+$bench_failed; }open loop, exit $?"

  say "stopping the server (SIGTERM)"
  kill -TERM "$server_pid"
  wait "$server_pid"
  tail -n 2 "$tmp/server.log"

  say "report: the four runs above in one page"
  page="$results/report.html"
  ./bin/benchmark report "$results/client-tcp.json" "$results/client-unix.json" "$results/benchmark-tcp.hlog" "$results/benchmark-unix.hlog" \
    --label "client, TCP" --label "client, Unix socket" --label "benchmark, TCP" --label "benchmark, Unix socket" \
    --title "respuesta: ./run.sh on $(hostname)" --html "$page" || page=''

  say "verdict: the client's round trips above against its target"
  verdict "$results/client-tcp.json" "$results/client-unix.json" "$server_cpus" "$bench_failed" "$page"
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
