# Shared by bin/server, bin/client and bin/benchmark: find the compiled
# program from wherever the launcher is called (symlinks included) and run it
# under node with the GC flags below.
#
# GC is tuned, never disabled. Node itself makes 56 bytes of garbage every
# turn of its event loop (src/stats/collect.ts), which with one message in
# flight is 56 bytes a message. The young generation is fixed at 32 MiB, so
# that a million round trips fill it only two or three times, and V8's own
# scavenge task waits until it is 90% full (80% by default), leaving the
# programs room to collect first at a quiet moment (src/stats/collect.ts).
# A scavenge of a settled heap costs about 0.3 to 2 ms whatever the size;
# what made big young generations look slow was the start-up's survivors,
# which the programs now settle before they serve or measure. Measured:
# docs/lab/2026-12-04-tail.md. The price is memory: up to 64 MiB more
# resident per process once both semi-spaces have been used.
# V8's memory reducer is off: it judges a heap idle by its allocation rate,
# and with this young generation it started full collections of 8 to 32 ms
# under load. The server's own idle collector frees what a burst left in the
# heap instead, after five idle seconds (src/stats/collect.ts); what it does
# not do is shrink the young generation, so after a burst the server keeps
# about 25 MiB more resident than with the reducer (docs/lab/2026-12-04-tail.md).
# The flags go on the command line because node refuses some of them inside
# NODE_OPTIONS. RESPUESTA_NODE_FLAGS, when set, replaces them.
RESPUESTA_GC_FLAGS=${RESPUESTA_NODE_FLAGS-"--max-semi-space-size=32 --min-semi-space-size=32 --minor-gc-task-trigger=90 --no-memory-reducer"}

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
