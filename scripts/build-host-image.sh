#!/usr/bin/env bash
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Build poa-consortium/ssh-host:bookworm-<recipe sha12>, a plain Debian host reached over SSH,
# the kind of machine a user deploys the collection to (tests/integration/test_ssh_hosts.py).
#
# No registry is reachable, so nothing is pulled: debootstrap --variant=minbase builds a Debian
# bookworm root file system with what a host needs for the collection (python3 + python3-venv for
# the host virtualenv, openssh-server, sudo, ca-certificates, supervisor for process mode, nginx
# and its njs module for the web interface), then
# `tar | docker import` makes it an image. The tag is a hash of this recipe (this script and the
# CA bundle it copies), so an unchanged recipe is never rebuilt and a changed one gets a new tag.
#
# The image has a user `deploy` with passwordless sudo and no password; its entrypoint
# (/usr/local/sbin/poa-host-start) writes $AUTHORIZED_KEY into ~deploy/.ssh/authorized_keys, makes
# this host's own SSH host keys and runs sshd on $SSH_LISTEN (default 127.0.0.1) port $SSH_PORT.
#
# The build machine's CA bundle replaces the image's, so the hosts reach package indexes (pip on
# the host) the way the build machine does (a TLS-inspecting proxy needs its CA).
#
# Environment:
#   POA_HOST_IMAGE_REPO   image repository (default poa-consortium/ssh-host)
#   POA_DEBIAN_MIRROR     Debian mirror (default http://deb.debian.org/debian)
#   POA_CACHE_DIR         where the debootstrap work dir lives (default /var/cache/poa-consortium)
#   POA_CA_BUNDLE         CA bundle copied in (default /etc/ssl/certs/ca-certificates.crt)
# Options: --print-tag (print the tag and exit). Prints the tag as the last line of stdout.
# Exit codes: 0 ok, 1 usage / missing tool, 2 engine not reachable, 3 debootstrap failed,
#             4 import failed.
set -euo pipefail

repo="${POA_HOST_IMAGE_REPO:-poa-consortium/ssh-host}"
mirror="${POA_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
cache_dir="${POA_CACHE_DIR:-/var/cache/poa-consortium}"
ca_bundle="${POA_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
suite=bookworm
# nginx and its njs module for the web interface, and python3-apt for the apt module (which the
# web_ui role runs to install them: on this image they are found installed, as apt's lists are emptied).
packages=python3,python3-venv,openssh-server,sudo,ca-certificates,supervisor,procps,nginx,libnginx-mod-http-js,python3-apt

log() { echo "build-host-image: $*" >&2; }
die() { local rc="$1"; shift; echo "build-host-image: error: $*" >&2; exit "$rc"; }

print_tag=0
for arg in "$@"; do
  case "$arg" in
    --print-tag) print_tag=1 ;;
    *) die 1 "unknown argument '$arg' (use --print-tag)" ;;
  esac
done

[ -r "$ca_bundle" ] || die 1 "no CA bundle at $ca_bundle (set POA_CA_BUNDLE)"
recipe_hash="$(
  {
    echo "suite=$suite packages=$packages mirror=$mirror"
    sha256sum "$0" | cut -d' ' -f1
    sha256sum "$ca_bundle" | cut -d' ' -f1
  } | sha256sum | cut -d' ' -f1
)"
tag="$repo:$suite-${recipe_hash:0:12}"
if [ "$print_tag" -eq 1 ]; then echo "$tag"; exit 0; fi

command -v docker >/dev/null || die 1 "the docker CLI is missing (bash scripts/docker-engine.sh start installs it)"
timeout 10 docker info >/dev/null 2>&1 || die 2 "no Docker engine answers (run: bash scripts/docker-engine.sh start)"
if docker image inspect "$tag" >/dev/null 2>&1; then
  log "$tag exists (recipe ${recipe_hash:0:12})"
  echo "$tag"
  exit 0
fi

[ "$(id -u)" -eq 0 ] || die 3 "debootstrap needs root"
if ! command -v debootstrap >/dev/null; then
  log "installing debootstrap from apt"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; } \
    || die 3 "apt-get install debootstrap failed"
fi
mkdir -p "$cache_dir"
# Under the cache directory, not /tmp (other jobs clean /tmp).
work="$(mktemp -d "$cache_dir/host-image.XXXXXX")"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
start=$SECONDS
log "debootstrap --variant=minbase --include=$packages $suite (a minute or two)"
debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 20 "$work/debootstrap.log" >&2; die 3 "debootstrap failed"; }

# The service supervisord from the Debian package is never started (no init system here): the
# node role runs its own supervisord with its own configuration.
chroot "$rootfs" useradd --create-home --shell /bin/bash deploy
# No password ("*", not a locked "!": sshd without PAM refuses locked accounts even with a key).
chroot "$rootfs" usermod --password '*' deploy
echo 'deploy ALL=(ALL) NOPASSWD:ALL' >"$rootfs/etc/sudoers.d/deploy"
chmod 0440 "$rootfs/etc/sudoers.d/deploy"
install -d -m 0700 -o "$(chroot "$rootfs" id -u deploy)" -g "$(chroot "$rootfs" id -g deploy)" "$rootfs/home/deploy/.ssh"
# Host keys are made by each container at start (ssh-keygen -A): none ship in the image.
rm -f "$rootfs"/etc/ssh/ssh_host_*
cat >"$rootfs/etc/ssh/sshd_config.d/poa-host.conf" <<'EOF'
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
UsePAM no
EOF
cat >"$rootfs/usr/local/sbin/poa-host-start" <<'EOF'
#!/bin/sh
# Entry point: authorize $AUTHORIZED_KEY for deploy, make host keys, run sshd in the foreground.
set -eu
: "${SSH_PORT:?set SSH_PORT}"
: "${AUTHORIZED_KEY:?set AUTHORIZED_KEY}"
printf '%s\n' "$AUTHORIZED_KEY" >/home/deploy/.ssh/authorized_keys
chown deploy:deploy /home/deploy/.ssh/authorized_keys
chmod 0600 /home/deploy/.ssh/authorized_keys
ssh-keygen -A >/dev/null
mkdir -p /run/sshd
exec /usr/sbin/sshd -D -e -p "$SSH_PORT" -o "ListenAddress=${SSH_LISTEN:-127.0.0.1}"
EOF
chmod 0755 "$rootfs/usr/local/sbin/poa-host-start"
cp "$ca_bundle" "$rootfs/etc/ssl/certs/ca-certificates.crt"
rm -rf "${rootfs:?}/var/cache/apt/archives/"*.deb "${rootfs:?}/var/lib/apt/lists/"* \
       "${rootfs:?}/dev/"* "${rootfs:?}/proc/"* "${rootfs:?}/sys/"*

log "importing $tag"
tar --numeric-owner -C "$rootfs" -c . | docker import \
  --change 'CMD ["/usr/local/sbin/poa-host-start"]' \
  --change "LABEL org.poa-consortium.recipe-hash=$recipe_hash" \
  - "$tag" >/dev/null || die 4 "docker import failed"
log "built $tag in $((SECONDS - start)) s"
echo "$tag"
