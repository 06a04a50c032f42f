#!/usr/bin/env bash
# Build the local engine image poa-consortium/geth:<geth version>-<revision>, idempotently.
#
# No registry is reachable, so nothing is pulled:
#   1. a Debian bookworm minbase root file system from debootstrap, cached as a tarball under
#      $POA_CACHE_DIR (debootstrap runs once per machine, ~45 s);
#   2. that tarball imported as the base image poa-consortium/debian-base:bookworm-minbase-<sha12>;
#   3. docker/geth/Dockerfile on top of it: the geth binary set-up built (go install
#      github.com/ethereum/go-ethereum/cmd/geth@v1.13.15 into .tools/bin), the one the process
#      mode runs, at /usr/local/bin/geth, the image's entrypoint. The build runs `geth version`
#      and fails unless it reports the pinned version.
# The image carries the label org.poa-consortium.recipe-hash; a run whose recipe hashes the same
# does nothing; a changed recipe (Dockerfile, geth binary, base) rebuilds the tag.
#
# Environment:
#   POA_CACHE_DIR        rootfs cache (default /var/cache/poa-consortium)
#   POA_IMAGE_REPO       image repository (default poa-consortium/geth)
#   POA_IMAGE_REVISION   the <revision> of the tag (default from docker/geth/REVISION)
#   POA_GETH_VERSION     the geth version the tag names and the binary must report (default
#                        node_geth_version from roles/node/defaults/main.yml)
#   POA_GETH_BINARY      the geth binary copied into the image (default .tools/bin/geth)
#   DOCKER_HOST          as for the docker CLI (start the engine with scripts/docker-engine.sh)
# Options: --print-tag (print the tag and exit), --force (rebuild even when up to date).
# Prints the image tag as the last line of stdout. Exit codes: 0 ok, 1 usage / missing tool,
# 2 engine not reachable, 3 debootstrap failed, 4 build failed.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
recipe_dir="$root/docker/geth"
cache_dir="${POA_CACHE_DIR:-/var/cache/poa-consortium}"
repo="${POA_IMAGE_REPO:-poa-consortium/geth}"
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

# The pinned version: the role's default, so the tag built is the tag the role deploys.
geth_version="${POA_GETH_VERSION:-$(sed -n 's/^node_geth_version: *"\{0,1\}\([^"[:space:]]*\)"\{0,1\} *$/\1/p' "$root/roles/node/defaults/main.yml")}"
[[ "$geth_version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] \
  || die 1 "no exact geth version (POA_GETH_VERSION or node_geth_version in roles/node/defaults/main.yml; found '$geth_version')"
revision="${POA_IMAGE_REVISION:-$(tr -d '[:space:]' <"$recipe_dir/REVISION")}"
tag="$repo:$geth_version-$revision"
if [ "$print_tag" -eq 1 ]; then echo "$tag"; exit 0; fi

command -v docker >/dev/null || die 1 "the docker CLI is missing (bash scripts/docker-engine.sh start installs it)"
timeout 10 docker info >/dev/null 2>&1 || die 2 "no Docker engine answers (run: bash scripts/docker-engine.sh start)"
geth_bin="${POA_GETH_BINARY:-$root/.tools/bin/geth}"
[ -x "$geth_bin" ] || die 1 "no geth binary at $geth_bin (run scripts/setup.sh, or set POA_GETH_BINARY)"
geth_bin="$(readlink -f "$geth_bin")"
# Fail early, with the reason, rather than in the middle of a docker build.
# (Output captured first: `geth version | grep -q` can fail on SIGPIPE under pipefail.)
geth_says="$("$geth_bin" version 2>&1 || true)"
grep -qx "Version: $geth_version-stable" <<<"$geth_says" \
  || die 1 "$geth_bin is not geth $geth_version (it says: $(grep -m1 '^Version' <<<"$geth_says" || echo "${geth_says:0:200}"))"

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
    echo "geth_version=$geth_version"
    echo "geth=$(sha256sum "$geth_bin" | cut -d' ' -f1)"
    sha256sum "$recipe_dir/Dockerfile" | cut -d' ' -f1
  } | sha256sum | cut -d' ' -f1
)"
have="$(docker image inspect --format '{{ index .Config.Labels "org.poa-consortium.recipe-hash" }}' "$tag" 2>/dev/null || true)"
if [ "$force" -eq 0 ] && [ "$have" = "$recipe_hash" ]; then
  log "$tag is up to date (recipe ${recipe_hash:0:12})"
  echo "$tag"
  exit 0
fi
if [ -n "$have" ]; then log "recipe changed (${have:0:12} -> ${recipe_hash:0:12}): rebuilding $tag"; fi

# The context under the cache directory, not /tmp (other jobs clean /tmp).
mkdir -p "$cache_dir"
ctx="$(mktemp -d "$cache_dir/context.XXXXXX")"
trap 'rm -rf "$ctx"' EXIT
cp "$recipe_dir/Dockerfile" "$ctx/"
cp "$geth_bin" "$ctx/geth"

log "building $tag on $base (geth: $geth_bin)"
start=$SECONDS
# The classic builder (BuildKit/buildx is not installed); --network none: the engine has no
# bridge, and nothing in the recipe needs the network.
DOCKER_BUILDKIT=0 docker build --network none --force-rm \
  --build-arg "BASE_IMAGE=$base" --build-arg "GETH_VERSION=$geth_version" \
  --label "org.poa-consortium.recipe-hash=$recipe_hash" \
  --label "org.poa-consortium.geth-version=$geth_version" \
  --label "org.opencontainers.image.version=$geth_version-$revision" \
  -t "$tag" "$ctx" >&2 || die 4 "docker build failed"
log "built $tag in $((SECONDS - start)) s"
# Earlier builds of the tag are now untagged (dangling): drop those no container uses any more.
docker image prune -f --filter "label=org.poa-consortium.recipe-hash" >/dev/null || true
echo "$tag"
