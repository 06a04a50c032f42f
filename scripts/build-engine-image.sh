#!/usr/bin/env bash
# Build the local engine image poa-consortium/ethereumjs:<client version>-<revision>, idempotently.
#
# No registry is reachable, so nothing is pulled:
#   1. a Debian bookworm minbase root file system from debootstrap, cached as a tarball under
#      $POA_CACHE_DIR (debootstrap runs once per machine, ~45 s);
#   2. that tarball imported as the base image poa-consortium/debian-base:bookworm-minbase-<sha12>;
#   3. docker/ethereumjs/Dockerfile on top of it: the host's Node.js binary, an `npm ci` of the
#      engine files' package-lock.json (the whole npm tree pinned by integrity hash) and their
#      *.cjs / *.mjs (bind-host.cjs: p2p sockets on $POA_BIND_HOST instead of 0.0.0.0;
#      poa-patches.mjs, preloaded when present; set-nodekey.mjs, a helper).
# The engine files are the ones the process mode installs, roles/node/files/ethereumjs/, so both
# modes run the same npm tree and preloads.
# The image carries the label org.poa-consortium.recipe-hash; a run whose recipe hashes the same
# does nothing; a changed recipe (Dockerfile, engine files, Node.js binary, base) rebuilds the tag.
#
# Environment:
#   POA_CACHE_DIR        rootfs and npm cache (default /var/cache/poa-consortium)
#   POA_IMAGE_REPO       image repository (default poa-consortium/ethereumjs)
#   POA_IMAGE_REVISION   the <revision> of the tag (default from docker/ethereumjs/REVISION)
#   POA_NODE_BINARY      the Node.js binary copied into the image (default: `command -v node`)
#   POA_ENGINE_FILES_DIR the engine files: package.json, package-lock.json, bind-host.cjs and
#                        any other *.mjs / *.cjs, copied to /opt/ethereumjs next to node_modules
#                        so their imports resolve the client's packages (default
#                        roles/node/files/ethereumjs). When poa-patches.mjs is among them, the
#                        image preloads it (--import) after bind-host.cjs.
#   DOCKER_HOST          as for the docker CLI (start the engine with scripts/docker-engine.sh)
# Options: --print-tag (print the tag and exit), --force (rebuild even when up to date).
# Prints the image tag as the last line of stdout. Exit codes: 0 ok, 1 usage / missing tool,
# 2 engine not reachable, 3 debootstrap failed, 4 build failed.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
recipe_dir="$root/docker/ethereumjs"
cache_dir="${POA_CACHE_DIR:-/var/cache/poa-consortium}"
repo="${POA_IMAGE_REPO:-poa-consortium/ethereumjs}"
suite="bookworm"
variant="minbase"
mirror="${POA_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

log() { echo "build-engine-image: $*" >&2; }
die() { local rc="$1"; shift; echo "build-engine-image: error: $*" >&2; exit "$rc"; }

force=0
print_tag=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    --print-tag) print_tag=1 ;;
    *) die 1 "unknown argument '$arg' (use --force or --print-tag)" ;;
  esac
done

engine_dir="${POA_ENGINE_FILES_DIR:-$root/roles/node/files/ethereumjs}"
for f in package.json package-lock.json bind-host.cjs; do
  [ -f "$engine_dir/$f" ] || die 1 "the engine files in $engine_dir lack $f"
done
client_version="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["dependencies"]["@ethereumjs/client"])' "$engine_dir/package.json")"
[[ "$client_version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die 1 "$engine_dir/package.json must pin @ethereumjs/client exactly (found '$client_version')"
revision="${POA_IMAGE_REVISION:-$(tr -d '[:space:]' <"$recipe_dir/REVISION")}"
tag="$repo:$client_version-$revision"
if [ "$print_tag" -eq 1 ]; then echo "$tag"; exit 0; fi

command -v docker >/dev/null || die 1 "the docker CLI is missing (bash scripts/docker-engine.sh start installs it)"
timeout 10 docker info >/dev/null 2>&1 || die 2 "no Docker engine answers (run: bash scripts/docker-engine.sh start)"
node_bin="${POA_NODE_BINARY:-$(command -v node || true)}"
[ -x "$node_bin" ] || die 1 "no Node.js binary found (install nodejs or set POA_NODE_BINARY)"
node_bin="$(readlink -f "$node_bin")"
command -v npm >/dev/null || die 1 "npm is missing (it runs on the host to fill /opt/ethereumjs)"
support_files=()
while IFS= read -r -d '' f; do support_files+=("$f"); done \
  < <(find "$engine_dir" -maxdepth 1 -type f \( -name '*.mjs' -o -name '*.cjs' \) -print0 | sort -z)
# The preloads every engine process gets (the image's NODE_OPTIONS).
node_options="--require=/opt/ethereumjs/bind-host.cjs"
for f in "${support_files[@]}"; do
  if [ "$(basename "$f")" = "poa-patches.mjs" ]; then node_options+=" --import=/opt/ethereumjs/poa-patches.mjs"; fi
done

# --- 1. the debootstrap root file system, cached --------------------------------------------
rootfs_tar="$cache_dir/rootfs-$suite-$variant.tar"
if [ ! -s "$rootfs_tar" ] || [ ! -s "$rootfs_tar.sha256" ]; then
  [ "$(id -u)" -eq 0 ] || die 3 "debootstrap needs root (or put a rootfs tarball at $rootfs_tar)"
  if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap from apt"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; } \
      || die 3 "apt-get install debootstrap failed"
  fi
  mkdir -p "$cache_dir"
  work="$(mktemp -d "$cache_dir/debootstrap.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  log "debootstrap --variant=$variant $suite (about 45 s, once)"
  start=$SECONDS
  debootstrap --variant="$variant" "$suite" "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 20 "$work/debootstrap.log" >&2; die 3 "debootstrap failed"; }
  # Drop what a container never needs; keep dpkg status so the image stays inspectable.
  rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"* \
         "$work/rootfs/dev/"* "$work/rootfs/proc/"* "$work/rootfs/sys/"*
  tar --numeric-owner -C "$work/rootfs" -cf "$work/rootfs.tar" .
  sha256sum "$work/rootfs.tar" | cut -d' ' -f1 >"$work/rootfs.tar.sha256"
  mv "$work/rootfs.tar" "$rootfs_tar"
  mv "$work/rootfs.tar.sha256" "$rootfs_tar.sha256"
  rm -rf "$work"
  trap - EXIT
  log "rootfs cached at $rootfs_tar after $((SECONDS - start)) s"
fi
rootfs_sha="$(cat "$rootfs_tar.sha256")"

# --- 2. the base image ---------------------------------------------------------------------
base="poa-consortium/debian-base:$suite-$variant-${rootfs_sha:0:12}"
if ! docker image inspect "$base" >/dev/null 2>&1; then
  log "importing $base"
  docker import --change 'CMD ["/bin/bash"]' \
    --change "LABEL org.poa-consortium.rootfs-sha256=$rootfs_sha" \
    "$rootfs_tar" "$base" >/dev/null || die 4 "docker import of $rootfs_tar failed"
fi

# --- 3. the engine image -------------------------------------------------------------------
recipe_hash="$(
  {
    echo "base=$base"
    echo "node_options=$node_options"
    echo "node=$(sha256sum "$node_bin" | cut -d' ' -f1)"
    sha256sum "$recipe_dir/Dockerfile" "$engine_dir/package.json" "$engine_dir/package-lock.json" \
      | cut -d' ' -f1
    for f in "${support_files[@]}"; do echo "support $(basename "$f") $(sha256sum "$f" | cut -d' ' -f1)"; done
  } | sha256sum | cut -d' ' -f1
)"
have="$(docker image inspect --format '{{ index .Config.Labels "org.poa-consortium.recipe-hash" }}' "$tag" 2>/dev/null || true)"
if [ "$force" -eq 0 ] && [ "$have" = "$recipe_hash" ]; then
  log "$tag is up to date (recipe ${recipe_hash:0:12})"
  echo "$tag"
  exit 0
fi
if [ -n "$have" ]; then log "recipe changed (${have:0:12} -> ${recipe_hash:0:12}): rebuilding $tag"; fi

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
cp "$recipe_dir/Dockerfile" "$ctx/"
mkdir -p "$ctx/support"
cp "${support_files[@]}" "$ctx/support/"
cp "$node_bin" "$ctx/node"
mkdir -p "$ctx/opt-ethereumjs"
cp "$engine_dir/package.json" "$engine_dir/package-lock.json" "$ctx/opt-ethereumjs/"
log "npm ci @ethereumjs/client@$client_version (engine files: $engine_dir)"
mkdir -p "$cache_dir/npm"
(cd "$ctx/opt-ethereumjs" && npm ci --omit=dev --no-audit --no-fund --loglevel=error \
    --cache "$cache_dir/npm" >&2) || die 4 "npm ci failed in the build context"

log "building $tag on $base"
start=$SECONDS
# The classic builder (BuildKit/buildx is not installed); --network none: the engine has no
# bridge, and nothing in the recipe needs the network.
DOCKER_BUILDKIT=0 docker build --network none --force-rm \
  --build-arg "BASE_IMAGE=$base" --build-arg "ENGINE_NODE_OPTIONS=$node_options" \
  --label "org.poa-consortium.recipe-hash=$recipe_hash" \
  --label "org.poa-consortium.client-version=$client_version" \
  --label "org.opencontainers.image.version=$client_version-$revision" \
  -t "$tag" "$ctx" >&2 || die 4 "docker build failed"
log "built $tag in $((SECONDS - start)) s"
# Earlier builds of the tag are now untagged (dangling): drop those no container uses any more.
docker image prune -f --filter "label=org.poa-consortium.recipe-hash" >/dev/null || true
echo "$tag"
