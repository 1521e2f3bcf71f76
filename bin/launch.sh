# Shared by bin/server, bin/client and bin/benchmark: find the compiled
# program from wherever the launcher is called (symlinks included) and run it
# under node with the GC flags below.
#
# GC is tuned, never disabled. The reasons and the measurement behind each
# flag are in README.md, section "GC flags". They are given on the command
# line because node refuses some of them inside NODE_OPTIONS.
RESPUESTA_GC_FLAGS="--max-semi-space-size=64 --min-semi-space-size=64"

launch() {
  program=$1
  shift
  root=$(CDPATH='' cd -- "$(dirname -- "$(readlink -f -- "$0")")/.." && pwd)
  main="$root/dist/$program/main.js"
  if [ ! -f "$main" ]; then
    echo "$program: not built yet; run ./run.sh build (in $root)" >&2
    exit 1
  fi
  # shellcheck disable=SC2086 # the flags are meant to split
  exec node $RESPUESTA_GC_FLAGS "$main" "$@"
}
