#!/usr/bin/env bash
# Side-by-side comparison with the C references (bench/compare.ts).
#   bench/compare.sh [--quick] [--rounds N] [--only SECTIONS] [--json FILE]
# Installs sockperf and redis from Debian's packages when they are missing,
# builds, then measures one thing at a time. Run it on an otherwise idle
# machine: it pins processes to CPUs 0 and 1.
set -euo pipefail
cd -- "$(dirname -- "$(readlink -f -- "$0")")/.."

missing=()
command -v sockperf >/dev/null || missing+=(sockperf)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-benchmark >/dev/null || missing+=(redis-tools)
command -v taskset >/dev/null || missing+=(util-linux)
if [ ${#missing[@]} -gt 0 ]; then
  echo "compare: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
[ "$(nproc)" -ge 2 ] || { echo "compare: needs at least 2 CPUs (the split placement uses CPUs 0 and 1)" >&2; exit 1; }

./run.sh build >&2
exec node --import tsx bench/compare.ts "$@"
