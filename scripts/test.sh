#!/usr/bin/env bash
# The whole test suite, or one stage: units | sanity | lint | integration.
# Exits non-zero as soon as a stage fails; prints a one-line summary per stage.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="$root/.venv/bin:$root/node_modules/.bin:$PATH"
export ANSIBLE_CONFIG="$root/ansible.cfg"
export ANSIBLE_COLLECTIONS_PATH="$root/.ansible/collections"
py_ver="$(.venv/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')"

stage_units() {
  python -m pytest -q tests/unit
}

# ansible-test needs the collection at a real path .../ansible_collections/poa/consortium
# (a symlink is resolved away), so sanity runs on a copy of the files git would ship.
stage_sanity() {
  local pip_ver
  pip_ver="$(python - <<'PY'
import re, ansible_test, pathlib
src = pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
print(re.search(r"pip='([0-9.]+)'", src.read_text()).group(1))
PY
)"
  mkdir -p ~/.ansible/test/cache
  cp scripts/ansible-test-bootstrap.py ~/.ansible/test/cache/get_pip_"${pip_ver//./_}".py
  local tree="$root/.ansible/sanity-tree/ansible_collections/poa/consortium"
  rm -rf "$tree" && mkdir -p "$tree"
  git ls-files -co --exclude-standard -z | xargs -0 -I{} cp --parents {} "$tree"/ 2>/dev/null || true
  (cd "$tree" && git init -q && git add -A && \
    ansible-test sanity --venv --python "$py_ver" --color no)
}

stage_lint() {
  ansible-lint --offline --profile production
}

stage_integration() {
  python -m pytest -q tests/integration
}

# The Docker path for real: molecule's docker scenario (engine, local image, 3 containers).
stage_molecule() {
  (cd "$root" && molecule test -s docker)
}

stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(units sanity lint integration molecule)
for s in "${stages[@]}"; do
  echo "=== stage: $s"
  "stage_$s"
  echo "=== stage $s: passed"
done
