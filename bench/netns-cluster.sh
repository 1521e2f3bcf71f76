#!/usr/bin/env bash
# Responders behind HAProxy, load from two hosts, on one box: five hosts made
# of Linux network namespaces (each its own network stack, addresses and
# routes), joined by veth pairs to a bridge in a sixth namespace, so the
# root namespace is never touched:
#
#        rsp-ID-g1 10.213.0.21   rsp-ID-g2 10.213.0.22      load generators (bin/benchmark)
#                  \                 /
#        rsp-ID-sw  [ bridge br0 ]-------rsp-ID-lb 10.213.0.10   HAProxy, deploy/haproxy/haproxy.cfg
#                  /                 \
#        rsp-ID-r1 10.213.0.11   rsp-ID-r2 10.213.0.12      responders (bin/server --workers 1 --admin)
#
# It measures, one thing at a time and in rounds: a ping (one message in
# flight) from g1 straight to r1, then through HAProxy; g1 straight to r1;
# g1 through HAProxy; g1 and g2 at once through HAProxy (their .hlog merged
# with `benchmark merge`). The last three at a fixed rate (wrk2's advice: latency is
# measured at a stated throughput, corrected for coordinated omission), the
# same rate and connections direct and through the balancer, so the
# difference is the hop. Then a drain: SIGTERM to r1 during a run through
# HAProxy (bin/server --drain-ms, docs/DEPLOY.md).
#
# It prints the hop's cost (p50, p99, p99.9), how HAProxy spread the
# connections, and the drain; writes summary.json, report.html (direct and
# through HAProxy overlaid) and both.html (the two generators merged) into
# the output folder. Everything it made (processes, namespaces, the veths
# and the bridge inside them) is removed on exit, on error and on Ctrl-C,
# and then checked for; anything left makes it exit 1.
#
# Usage (root, Linux, iproute2 and haproxy):
#   bench/netns-cluster.sh [--quick] [--rounds N] [--out DIR]
# --quick (or RSP_CLUSTER_QUICK=1): one round of short runs, for the test
# suite (test/netns-cluster.test.ts). Default output: results/cluster-DATE/.
set -Eeuo pipefail
cd -- "$(dirname -- "$0")/.."

QUICK=${RSP_CLUSTER_QUICK:-0}
ROUNDS=
OUT=
while [ $# -gt 0 ]; do
  case $1 in
    --quick) QUICK=1 ;;
    --rounds) ROUNDS=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h | --help) sed -n '2,/^set -E/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "netns-cluster: unknown argument $1 (--quick, --rounds N, --out DIR)" >&2; exit 2 ;;
  esac
  shift
done

# Sizes. Full: about two minutes in all. Quick: a few seconds a run.
if [ "$QUICK" = 1 ]; then
  ROUNDS=${ROUNDS:-1} WARMUP=0.5 DURATION=2 DRAIN_RUN=4 CONNS=4 RATE=2000
else
  ROUNDS=${ROUNDS:-3} WARMUP=1 DURATION=10 DRAIN_RUN=12 CONNS=4 RATE=5000
fi
PORT=8080 ADMIN_PORT=9464 STATS_PORT=8404 SIZE=64
# The drained responder waits this long for its peers to leave (it leaves
# earlier when they have); far beyond the run it is drained in.
DRAIN_MS=60000 GRACE_MS=2000

die() { echo "netns-cluster: $*" >&2; exit 1; }
[ "$(uname -s)" = Linux ] || die "needs Linux network namespaces; this is $(uname -s)"
[ "$(id -u)" = 0 ] || die "needs root (ip netns); run it with sudo"
command -v ip >/dev/null || die "needs ip (iproute2)"
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
[ -x "$HAPROXY" ] || die "needs haproxy (Debian: apt-get install haproxy)"
command -v curl >/dev/null || die "needs curl (HAProxy's statistics are read over HTTP)"
[ -e dist/server/main.js ] || ./run.sh build >&2

ID=$$
P=rsp-$ID
NS_SW=$P-sw
HOSTS=(r1 r2 lb g1 g2)
declare -A ADDR=([lb]=10.213.0.10 [r1]=10.213.0.11 [r2]=10.213.0.12 [g1]=10.213.0.21 [g2]=10.213.0.22)
OUT=${OUT:-results/cluster-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
STATS_URL="http://${ADDR[lb]}:$STATS_PORT/stats;csv"

# ---- teardown ---------------------------------------------------------------
PIDS=()
CREATED=()
TORN=0
teardown() {
  local status=$?
  [ "$TORN" = 1 ] && return
  TORN=1
  trap - ERR INT TERM
  set +e
  # Every process in our namespaces (those we started and anything they
  # started): TERM, 5 s, KILL; then the namespaces (deleting one deletes the
  # veth ends and the bridge in it).
  local ns pid left=0 all=("${PIDS[@]}")
  for ns in "${CREATED[@]}"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do all+=("$pid"); done
  done
  for pid in "${all[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${all[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  done
  for ns in "${CREATED[@]}"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
  # Then look: no namespace of this run, no link named after it in the root
  # namespace, no process of it alive.
  local namespaces links procs
  namespaces=$(ip netns list 2>/dev/null | grep -c -- "^$P-" || true)
  links=$(ip -o link show 2>/dev/null | grep -c -- "rsp$ID" || true)
  procs=0
  for pid in "${all[@]}"; do kill -0 "$pid" 2>/dev/null && procs=$((procs + 1)); done
  left=$((namespaces + links + procs))
  echo "teardown: $namespaces namespaces, $links links, $procs processes of run $P left" >&2
  # For whoever checks after us (test/netns-cluster.test.ts): what there was to remove.
  printf '{"id": "%s", "namespaces": %s, "links": %s, "processes": %s, "pids": [%s], "created": [%s]}\n' "$P" "$namespaces" "$links" "$procs" \
    "$(IFS=,; echo "${all[*]}")" "$(printf '"%s",' "${CREATED[@]}" | sed 's/,$//')" >"$OUT/teardown.json"
  if [ "$left" -gt 0 ]; then
    ip netns list >&2
    status=1
  fi
  exit "$status"
}
trap teardown EXIT
trap 'echo "netns-cluster: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- the hosts ----------------------------------------------------------------
ns_of() { echo "$P-$1"; }
in_ns() { local h=$1; shift; ip netns exec "$(ns_of "$h")" "$@"; }

echo "run $P: output in $OUT" >&2
ip netns add "$NS_SW"
CREATED+=("$NS_SW")
ip -n "$NS_SW" link add br0 type bridge
ip -n "$NS_SW" link set br0 up
for h in "${HOSTS[@]}"; do
  ns=$(ns_of "$h")
  ip netns add "$ns"
  CREATED+=("$ns")
  # Both ends made where they live: nothing passes through the root namespace.
  ip link add "rsp$ID$h" netns "$NS_SW" type veth peer name eth0 netns "$ns"
  ip -n "$NS_SW" link set "rsp$ID$h" master br0 up
  ip -n "$ns" addr add "${ADDR[$h]}/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
done

# A process in a namespace, in the background, its PID kept for teardown.
# `ip netns exec` execs the command, and bin/* exec node: $! is the program
# itself (not a subshell, as `some_function &` would be), so a signal sent
# to $! reaches it.
start_in() {
  local h=$1 log=$2
  shift 2
  ip netns exec "$(ns_of "$h")" "$@" >"$log" 2>"$log.err" &
  PIDS+=($!)
  LAST_PID=$!
}

# Wait for a line matching $2 in file $1 (a program's ready event), or fail
# with its stderr if process $3 exits first.
wait_for_line() {
  local file=$1 pattern=$2 pid=$3 what=$4
  for _ in $(seq 300); do
    grep -q -- "$pattern" "$file" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || die "$what exited before it was ready: $(head -c 400 "$file.err" 2>/dev/null)"
    sleep 0.1
  done
  die "$what was not ready within 30 s"
}

declare -A SERVER_PID
start_responder() {
  local h=$1
  start_in "$h" "$OUT/$h.log" ./bin/server --json --host "${ADDR[$h]}" --port "$PORT" --workers 1 \
    --admin "${ADDR[$h]}:$ADMIN_PORT" --drain-ms "$DRAIN_MS" --grace-ms "$GRACE_MS"
  SERVER_PID[$h]=$LAST_PID
  wait_for_line "$OUT/$h.log" '"event":"ready"' "$LAST_PID" "the responder on $h"
}
start_responder r1
start_responder r2

# HAProxy, foreground (-db) under our PID, with the one configuration file.
RSP_LB_BIND="${ADDR[lb]}:$PORT" RSP_STATS_BIND="${ADDR[lb]}:$STATS_PORT" \
  RSP_R1="${ADDR[r1]}:$PORT" RSP_R2="${ADDR[r2]}:$PORT" RSP_ADMIN_PORT=$ADMIN_PORT \
  start_in lb "$OUT/haproxy.log" "$HAPROXY" -db -f deploy/haproxy/haproxy.cfg
HAPROXY_PID=$LAST_PID

# HAProxy's statistics as CSV, read from the balancer's own namespace; its
# header line starts with "# ", dropped here.
stats() { in_ns lb curl -sf --max-time 2 "$STATS_URL" | sed '1s/^# //'; }
# One field of one server's row: server_field CSV r1 stot
server_field() {
  printf '%s\n' "$1" | awk -F, -v sv="$2" -v name="$3" '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $1 == "responders" && $2 == sv { print $(col[name]) }'
}
wait_status() {
  local sv=$1 want=$2 what=$3 csv
  for _ in $(seq 600); do
    csv=$(stats || true)
    case $(server_field "$csv" "$sv" status) in "$want"*) return 0 ;; esac
    kill -0 "$HAPROXY_PID" 2>/dev/null || die "haproxy exited: $(head -c 400 "$OUT/haproxy.log.err")"
    sleep 0.05
  done
  die "$what: HAProxy did not mark $sv $want within 30 s"
}
stats_snapshot() { stats >"$1"; }
wait_status r1 UP 'start'
wait_status r2 UP 'start'
echo "hosts up: r1 ${ADDR[r1]}, r2 ${ADDR[r2]}, HAProxy ${ADDR[lb]}:$PORT (stats :$STATS_PORT), g1 ${ADDR[g1]}, g2 ${ADDR[g2]}; nothing pinned: every process shares this machine's $(nproc) CPUs" >&2

# ---- measurements ---------------------------------------------------------------
# The load: CONNS connections at RATE msg/s in all, open loop.
bench_args() {
  echo -H "$1" -p "$PORT" -c "$CONNS" -R "$RATE" -s "$SIZE" -w "$WARMUP" --no-progress --json
}
# The ping: one connection, one message in flight, closed loop (as
# sockperf ping-pong): only one process of the chain runs at a time, so the
# hop is measured apart from the scheduling of five processes on few CPUs.
ping_args() {
  echo -H "$1" -p "$PORT" -c 1 -P 1 -s "$SIZE" -w "$WARMUP" --no-progress --json
}
# run_bench HOST TARGET NAME SECONDS [ARGS_FUNCTION]: one benchmark run from HOST at TARGET.
run_bench() {
  local h=$1 target=$2 name=$3 d=$4 args=${5:-bench_args}
  in_ns "$h" ./bin/benchmark $($args "$target") -d "$d" --hlog "$OUT/$name.hlog" >"$OUT/$name.json" 2>"$OUT/$name.err" ||
    die "benchmark $name failed: $(head -c 400 "$OUT/$name.err") $(node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1]));console.log(r.failure??"")' "$OUT/$name.json" 2>/dev/null)"
}

for round in $(seq "$ROUNDS"); do
  echo "round $round/$ROUNDS: ping, direct g1 -> r1, then g1 -> HAProxy" >&2
  run_bench g1 "${ADDR[r1]}" "ping-direct-$round" "$DURATION" ping_args
  run_bench g1 "${ADDR[lb]}" "ping-via-$round" "$DURATION" ping_args
  echo "round $round/$ROUNDS: direct g1 -> r1" >&2
  run_bench g1 "${ADDR[r1]}" "direct-$round" "$DURATION"
  echo "round $round/$ROUNDS: g1 -> HAProxy" >&2
  stats_snapshot "$OUT/via-$round.before.csv"
  run_bench g1 "${ADDR[lb]}" "via-$round" "$DURATION"
  stats_snapshot "$OUT/via-$round.after.csv"
  echo "round $round/$ROUNDS: g1 and g2 at once -> HAProxy" >&2
  stats_snapshot "$OUT/both-$round.before.csv"
  run_bench g1 "${ADDR[lb]}" "both-$round-g1" "$DURATION" &
  b1=$!
  run_bench g2 "${ADDR[lb]}" "both-$round-g2" "$DURATION" &
  b2=$!
  wait "$b1" || die "generator g1 failed in round $round (both)"
  wait "$b2" || die "generator g2 failed in round $round (both)"
  stats_snapshot "$OUT/both-$round.after.csv"
  ./bin/benchmark merge "$OUT/both-$round-g1.hlog" "$OUT/both-$round-g2.hlog" --json >"$OUT/both-$round.merged.json"
done

# ---- the drain ------------------------------------------------------------------
# g1 runs through HAProxy; a third of the way in, r1 gets SIGTERM. Its
# /readyz says 503 at once and it closes its listener; HAProxy marks it
# DOWN after two failed checks; g2 then opens new connections, which must
# all go to r2; r1 answers its open connections until g1's run ends and
# closes them, then exits.
echo "drain: g1 -> HAProxy for ${DRAIN_RUN} s, SIGTERM to r1 during it" >&2
stats_snapshot "$OUT/drain.before.csv"
now_ms() { date +%s%3N; }
start_in g1 "$OUT/drain-g1.out" ./bin/benchmark $(bench_args "${ADDR[lb]}") -d "$DRAIN_RUN" --hlog "$OUT/drain-g1.hlog"
drain_bench=$LAST_PID
# Its connections are all open once HAProxy counts them (scur), r1 holding some.
for _ in $(seq 300); do
  csv=$(stats || true)
  r1_open=$(server_field "$csv" r1 scur)
  r2_open=$(server_field "$csv" r2 scur)
  [ $((${r1_open:-0} + ${r2_open:-0})) -ge "$CONNS" ] && break
  sleep 0.1
done
[ "${r1_open:-0}" -gt 0 ] || die "drain: r1 holds none of g1's connections (r1 $r1_open, r2 $r2_open)"
sleep "$(node -e "console.log(($WARMUP + $DRAIN_RUN / 3).toFixed(2))")"
stats_snapshot "$OUT/drain.signal.csv"
t_signal=$(now_ms)
kill -TERM "${SERVER_PID[r1]}"
wait_status r1 DOWN 'drain'
t_down=$(now_ms)
stats_snapshot "$OUT/drain.down.csv"
# New connections while r1 drains: a short run from g2.
run_bench g2 "${ADDR[lb]}" drain-g2 1
stats_snapshot "$OUT/drain.g2.csv"
wait "$drain_bench" || die "drain: the benchmark through HAProxy failed: $(head -c 400 "$OUT/drain-g1.out.err")"
mv "$OUT/drain-g1.out" "$OUT/drain-g1.json"
t_bench=$(now_ms)
# r1 leaves once its last peer has: HAProxy closed its side when g1 closed.
r1_code=0
wait "${SERVER_PID[r1]}" || r1_code=$?
t_exit=$(now_ms)
stats_snapshot "$OUT/drain.after.csv"
cat >"$OUT/drain.times.json" <<EOF
{"signalMs": $t_signal, "downMs": $t_down, "benchEndMs": $t_bench, "exitMs": $t_exit, "exitCode": $r1_code, "drainMsOption": $DRAIN_MS, "graceMs": $GRACE_MS}
EOF

# ---- reports ----------------------------------------------------------------------
cat >"$OUT/setup.json" <<EOF
{"id": "$P", "quick": $([ "$QUICK" = 1 ] && echo true || echo false), "rounds": $ROUNDS, "warmupS": $WARMUP, "durationS": $DURATION, "drainRunS": $DRAIN_RUN,
 "connections": $CONNS, "rate": $RATE, "sizeBytes": $SIZE, "cpus": $(nproc), "placement": "nothing pinned: two responders, HAProxy and two generators share the machine's CPUs",
 "addresses": {"lb": "${ADDR[lb]}", "r1": "${ADDR[r1]}", "r2": "${ADDR[r2]}", "g1": "${ADDR[g1]}", "g2": "${ADDR[g2]}"},
 "haproxy": "$("$HAPROXY" -v | head -n 1)", "kernel": "$(uname -r)", "commit": "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"}
EOF
labels=()
runs=()
for round in $(seq "$ROUNDS"); do
  runs+=("$OUT/ping-direct-$round.json" "$OUT/ping-via-$round.json" "$OUT/direct-$round.json" "$OUT/via-$round.json")
  labels+=(--label "ping direct $round" --label "ping via HAProxy $round" --label "direct $round" --label "via HAProxy $round")
done
./bin/benchmark report "${runs[@]}" "${labels[@]}" --title "g1 -> r1 direct and through HAProxy ($P)" --html "$OUT/report.html" >/dev/null
./bin/benchmark merge "$OUT/both-$ROUNDS-g1.hlog" "$OUT/both-$ROUNDS-g2.hlog" --html "$OUT/both.html" >/dev/null
node --import tsx bench/netns-cluster-summary.ts "$OUT"
