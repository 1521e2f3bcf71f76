# Shared by bin/server, bin/client and bin/benchmark: find the compiled
# program from wherever the launcher is called (symlinks included) and run it
# under node with the GC flags below.
#
# GC is tuned, never disabled: the young generation is fixed at 2 MiB, so
# that V8 cannot grow it under load, for a scavenge's pause grows with it.
# At 2 MiB, bench/gc-flags.sh 200000 0 fixed (today bench/ab.ts gc-flags;
# server and client on CPU 0, 200 000 round trips; both runs in
# docs/lab/2026-12-04-performance.md, "GC flags")
# measured 8 scavenges of 1.41 ms on average at commit bd52ff3, above the
# 1 ms target, and 7 of 0.52 ms at commit aa61f04 on another VM. At 8 MiB
# the same runs measured 2 scavenges, of 5.99 and of 2.19 ms on average.
# V8's memory reducer stays on: it returns a burst's memory to an idle server
# within seconds, at the price of a rare pair of few-millisecond full
# collections under load (docs/lab/2026-12-04-performance.md, "V8's memory reducer"; add
# --no-memory-reducer to RESPUESTA_NODE_FLAGS for the other side of that).
# The flags go on the command line because node refuses some of them inside
# NODE_OPTIONS. RESPUESTA_NODE_FLAGS, when set, replaces them.
RESPUESTA_GC_FLAGS=${RESPUESTA_NODE_FLAGS-"--max-semi-space-size=32 --min-semi-space-size=32 --minor-gc-task-trigger=90"}

launch() {
  program=$1
  shift
  root=$(CDPATH='' cd -- "$(dirname -- "$(readlink -f -- "$0")")/.." && pwd)
  main="$root/dist/$program/main.js"
  # The name it was called by (respuesta-server when installed, server in a
  # checkout): the program's usage line, examples and messages use it.
  RESPUESTA_PROGRAM=$(basename -- "$0")
  export RESPUESTA_PROGRAM
  if [ ! -f "$main" ]; then
    echo "$RESPUESTA_PROGRAM: not built yet; run ./run.sh build (in $root)" >&2
    exit 1
  fi
  # shellcheck disable=SC2086 # the flags are meant to split
  exec node $RESPUESTA_GC_FLAGS "$main" "$@"
}
