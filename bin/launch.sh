# Shared by bin/server, bin/client and bin/benchmark: find the compiled
# program from wherever the launcher is called (symlinks included) and run it
# under node with the GC flags below.
#
# GC is tuned, never disabled: a young generation fixed at 2 MiB keeps every
# scavenge near 0.5 ms, well under the 1 ms target, where a larger one trades
# fewer scavenges for pauses of several milliseconds each (README.md, "GC
# flags", and bench/gc-flags.sh). The flags go on the command line because
# node refuses some of them inside NODE_OPTIONS. RESPUESTA_NODE_FLAGS, when
# set, replaces them.
RESPUESTA_GC_FLAGS=${RESPUESTA_NODE_FLAGS-"--max-semi-space-size=2 --min-semi-space-size=2"}

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
