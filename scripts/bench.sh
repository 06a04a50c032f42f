#!/usr/bin/env bash
# Every benchmark; each prints its own numbers and targets.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="$root/.venv/bin:$root/node_modules/.bin:$PATH"
run() {
  echo "=== bench/$*"
  python "bench/$1.py" "${@:2}" || echo "bench/$1.py exited with $?"
}
run identities
run chain_spec
# This one brings up inventories/local: stop `make up` first.
run poco --consortium
# 5, 15 and 25 authorities on 127.0.5.x (ports 31001+, 9101+, 29101+), beside inventories/local;
# 15-20 minutes on 2 cores. Set BENCH_CONSORTIUM_ARGS (e.g. "--sizes 5") for a shorter run.
# shellcheck disable=SC2086
run consortium ${BENCH_CONSORTIUM_ARGS:-}
