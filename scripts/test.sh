#!/usr/bin/env bash
# The test suite (stages units, compat, sanity, lint, integration), or the stages named:
# units | compat | sanity | lint | integration | molecule (docs/molecule.md; not in the default).
# Exits non-zero as soon as a stage fails; prints a one-line summary per stage, with its seconds.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="$root/.venv/bin:$root/node_modules/.bin:$PATH"
export ANSIBLE_CONFIG="$root/ansible.cfg"
export ANSIBLE_COLLECTIONS_PATH="$root/.ansible/collections"
# shellcheck source=scripts/venv.sh
. "$root/scripts/venv.sh"
py_ver="$(.venv/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')"

stage_units() {
  python -m pytest -q tests/unit
}

# The lower end of the supported ansible-core range (meta/runtime.yml requires_ansible):
# ansible-core 2.19 on Python 3.11, in its own venv (.venv-core219, pinned by
# requirements-core219.lock). The other stages test the upper end (.venv: 2.21 on 3.12).
# Runs the unit suite, then authorities.yml + chain.yml against inventories/local in a temp build
# dir (no node is started), then the same again, which must change nothing.
stage_compat() {
  ensure_venv "$root/.venv-core219" 3.11 POA_PYTHON311 requirements-core219.lock || return 1
  local venv="$root/.venv-core219" py="$root/.venv-core219/bin/python"
  [ -e "$ANSIBLE_COLLECTIONS_PATH/ansible_collections/poa/consortium/galaxy.yml" ] \
    || { echo "error: poa.consortium is not linked under .ansible/collections: run scripts/setup.sh" >&2; return 1; }
  "$py" - <<'PY'
import sys, ansible.release
print(f"compat: Python {sys.version.split()[0]}, ansible-core {ansible.release.__version__}")
PY
  # The unit suite, on this venv's python (its ansible-playbook for the template tests too).
  PATH="$venv/bin:$PATH" "$py" -m pytest -q -p no:cacheprovider tests/unit || return 1

  # A real run of the first two phases, then a second run that must report changed=0.
  local work rc=0 t0
  work="$(mktemp -d "${TMPDIR:-/tmp}/poa-compat.XXXXXX")"
  compat_play() {  # log-file
    PATH="$venv/bin:$PATH" "$venv/bin/ansible-playbook" -i inventories/local \
      -e "consortium_build_dir=$work/build" -e "ansible_python_interpreter=$py" \
      playbooks/authorities.yml playbooks/chain.yml >"$1" 2>&1
  }
  t0=$SECONDS
  compat_play "$work/run1.log" || rc=$?
  if [ "$rc" -ne 0 ]; then
    cat "$work/run1.log"; echo "compat: first run of authorities.yml + chain.yml failed (rc $rc)" >&2
    rm -rf "$work"; return 1
  fi
  local genesis
  genesis="$("$py" -c 'import json, sys; print(json.load(open(sys.argv[1])).get("genesis_hash", ""))' \
    "$work/build/manifest.json" 2>/dev/null || true)"
  if ! [[ "$genesis" =~ ^0x[0-9a-f]{64}$ ]]; then
    echo "compat: the manifest ($work/build/manifest.json) has no genesis_hash" >&2
    rm -rf "$work"; return 1
  fi
  echo "compat: first run rc 0 ($((SECONDS - t0)) s), manifest genesis_hash $genesis"
  t0=$SECONDS
  compat_play "$work/run2.log" || rc=$?
  local recap
  recap="$(sed -n '/^PLAY RECAP/,$p' "$work/run2.log" | grep -E ' : ok=' || true)"
  if [ "$rc" -ne 0 ] || [ -z "$recap" ] || grep -qvE ' changed=0 ' <<<"$recap"; then
    cat "$work/run2.log"; echo "compat: second run was not a no-op (rc $rc)" >&2
    rm -rf "$work"; return 1
  fi
  echo "compat: second run rc 0 ($((SECONDS - t0)) s), changed=0 on every line of its $(grep -c '^PLAY RECAP' "$work/run2.log") recaps ($(wc -l <<<"$recap") host lines)"
  rm -rf "$work"
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

# Two streams at once, each in its own temp dir: the tests on the whole local consortium (one
# bring-up, then mostly waiting for blocks) and the others (anvil chains, containers, plays with
# their own build dirs). They share no port and no file. Each stream's output is printed when it
# ends.
stage_integration() {
  local work rc=0 name
  work="$(mktemp -d "${TMPDIR:-/tmp}/poa-integration.XXXXXX")"
  declare -A pid
  for name in consortium others; do
    local select="consortium"
    [ "$name" = consortium ] || select="not consortium"
    python -m pytest -q -p no:cacheprovider --durations=15 --basetemp="$work/$name" -m "$select" \
      tests/integration >"$work/$name.log" 2>&1 &
    pid[$name]=$!
  done
  for name in others consortium; do
    if wait "${pid[$name]}"; then
      echo "--- integration, $name: passed"
    else
      rc=1; echo "--- integration, $name: FAILED"
    fi
    cat "$work/$name.log"
  done
  rm -rf "$work"
  return "$rc"
}

# Molecule (not a default stage: docs/molecule.md): the docker scenario (the node role's Docker
# path: engine, local image, 3 containers), then one scenario per role that stands on its own
# (authority, chain_spec, node), each on containers of the local host image reached over SSH
# (molecule/shared: create, destroy).
stage_molecule() {
  local scenario
  for scenario in docker authority chain_spec node; do
    (cd "$root" && molecule test -s "$scenario") || return 1
  done
}

run_stages() {
  local s t0
  for s in "$@"; do
    echo "=== stage: $s"
    t0=$SECONDS
    # Checked here: set -e does not reach into a function called as `run_stages ... || ...`.
    "stage_$s" || { echo "=== stage $s: FAILED ($((SECONDS - t0)) s)"; return 1; }
    echo "=== stage $s: passed ($((SECONDS - t0)) s)"
  done
}

# The whole suite: units and compat first (compat plays on inventories/local, which the
# integration stage then uses); sanity and lint, which only read the files, run meanwhile with
# integration, their output printed once integration has ended.
run_all() {
  local static_log static_pid rc=0 static_rc=0
  run_stages units compat
  static_log="$(mktemp "${TMPDIR:-/tmp}/poa-static.XXXXXX")"
  (run_stages sanity lint) >"$static_log" 2>&1 &
  static_pid=$!
  run_stages integration || rc=$?
  wait "$static_pid" || static_rc=$?
  cat "$static_log"
  rm -f "$static_log"
  [ "$static_rc" -eq 0 ] || echo "=== sanity or lint failed (above)" >&2
  [ "$rc" -eq 0 ] && [ "$static_rc" -eq 0 ]
}

if [ $# -gt 0 ]; then
  run_stages "$@"
else
  run_all
fi
