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
# These two bring up inventories/local: stop `make up` first.
run poco --consortium
run consortium
