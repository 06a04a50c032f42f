#!/usr/bin/env bash
# Put the pinned third-party collections (community.docker and its dependency
# community.library_inventory_filtering_v1) into .ansible/collections/ansible_collections/,
# offline from Galaxy: Galaxy is not reachable here, but PyPI is, and the `ansible` package on
# PyPI ships them. Only its wheel is downloaded (no install, no dependencies), its sha256 is
# checked, and only the collections named below are unpacked. Idempotent: a second run finds the
# pinned versions in place (MANIFEST.json) and does nothing.
#
# Environment: POA_CACHE_DIR (where the wheel is kept; default .ansible/cache in the project),
#              PYTHON (a python with pip; default .venv/bin/python, else python3).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/.ansible/collections/ansible_collections"
cache_dir="${POA_CACHE_DIR:-$root/.ansible/cache}"

# ansible 14.5.0 is built for ansible-core ~=2.21.5 (its Requires-Dist), the core pinned here.
ansible_version="14.5.0"
wheel="ansible-$ansible_version-py3-none-any.whl"
wheel_sha256="245623ccc2d31d0f6f4bdb63168d550cad305fb032cc43d96e8f61ce8ab0ba84"
# namespace.name=version, as shipped in that wheel.
collections=(
  "community.docker=5.4.0"
  "community.library_inventory_filtering_v1=1.1.5"
)

log() { echo "install-collections: $*"; }
die() { echo "install-collections: error: $*" >&2; exit 1; }

if [ -z "${PYTHON:-}" ]; then
  if [ -x "$root/.venv/bin/python" ]; then PYTHON="$root/.venv/bin/python"; else PYTHON=python3; fi
fi

installed_version() {
  # installed_version BASE NS NAME: the version in BASE/NS/NAME/MANIFEST.json, or nothing.
  local manifest="$1/$2/$3/MANIFEST.json"
  [ -f "$manifest" ] || return 0
  "$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["collection_info"]["version"])' "$manifest"
}

missing=()
for spec in "${collections[@]}"; do
  fqcn="${spec%%=*}" want="${spec#*=}"
  have="$(installed_version "$dest" "${fqcn%%.*}" "${fqcn#*.}")"
  if [ "$have" = "$want" ]; then
    log "$fqcn $want already installed"
  else
    missing+=("$spec")
  fi
done
[ ${#missing[@]} -gt 0 ] || exit 0

mkdir -p "$cache_dir"
if [ ! -f "$cache_dir/$wheel" ] || [ "$(sha256sum "$cache_dir/$wheel" | cut -d' ' -f1)" != "$wheel_sha256" ]; then
  log "downloading $wheel from PyPI (wheel only, no dependencies)"
  rm -f "$cache_dir/$wheel"
  "$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps \
    --only-binary=:all: "ansible==$ansible_version" -d "$cache_dir" || die "pip download ansible==$ansible_version failed"
fi
got="$(sha256sum "$cache_dir/$wheel" | cut -d' ' -f1)"
[ "$got" = "$wheel_sha256" ] || die "$wheel has sha256 $got, expected $wheel_sha256"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$dest"
for spec in "${missing[@]}"; do
  fqcn="${spec%%=*}" want="${spec#*=}"
  ns="${fqcn%%.*}" name="${fqcn#*.}"
  "$PYTHON" - "$cache_dir/$wheel" "ansible_collections/$ns/$name/" "$work" <<'PY' || die "unpacking $fqcn failed"
import sys, zipfile
wheel, prefix, out = sys.argv[1:4]
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if n.startswith(prefix)]
    if not names:
        sys.exit(f"{prefix} is not in {wheel}")
    z.extractall(out, names)
PY
  have="$(installed_version "$work/ansible_collections" "$ns" "$name")"
  [ "$have" = "$want" ] || die "$wheel ships $fqcn $have, not the pinned $want"
  # Swap in atomically enough: a half-copied collection never sits under its real name.
  mkdir -p "$dest/$ns"
  rm -rf "$dest/$ns/.$name.old"
  if [ -e "$dest/$ns/$name" ]; then mv "$dest/$ns/$name" "$dest/$ns/.$name.old"; fi
  mv "$work/ansible_collections/$ns/$name" "$dest/$ns/$name"
  rm -rf "$dest/$ns/.$name.old"
  log "installed $fqcn $want into $dest"
done
