#!/usr/bin/env bash
# Every benchmark; each prints its own numbers and targets.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="$root/.venv/bin:$root/node_modules/.bin:$PATH"
for b in identities chain_spec poco consortium; do
  echo "=== bench/$b.py"
  python "bench/$b.py" || echo "bench/$b.py exited with $?"
done
