#!/usr/bin/env bash
# Idempotent set-up: .venv with the pinned Python tree, npm packages, and the collection
# linked where Ansible looks for it. A second run changes nothing and takes about a second.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# shellcheck source=scripts/venv.sh
. "$root/scripts/venv.sh"

# Python 3.12: ansible-core 2.21 (the newest) needs >= 3.12, and web3 8 / py-evm run on it.
# The machine default (3.11) is capped at ansible-core 2.19. See docs/python.md.
ensure_venv "$root/.venv" 3.12 POA_PYTHON requirements.lock requirements.txt

# The local engine: go-ethereum (geth) 1.13.15, the last release that seals Clique blocks, built
# from the Go module proxy into .tools/bin. geth 1.13 pins github.com/fjl/memsize, whose link fails
# on Go >= 1.23 ("invalid reference to runtime.stopTheWorld"); -checklinkname=0 is memsize's own
# way round it, and such a build must never run with --pprof. docs/local-engine.md has the numbers.
geth_version="v1.13.15"
geth_flags="-ldflags=-checklinkname=0"
geth_want="$geth_version $geth_flags $(go version 2>/dev/null || echo no-go)"
if [ ! -x .tools/bin/geth ] || [ "$(cat .tools/geth.stamp 2>/dev/null)" != "$geth_want" ]; then
  command -v go >/dev/null || { echo "error: Go is needed to build geth (go install); install Go >= 1.21" >&2; exit 1; }
  go list -m "github.com/ethereum/go-ethereum@$geth_version" >/dev/null \
    || { echo "error: the Go module proxy does not serve go-ethereum $geth_version (GOPROXY=$(go env GOPROXY))" >&2; exit 1; }
  echo "setup: building geth $geth_version from the Go module proxy (once; a few minutes)" >&2
  mkdir -p .tools/bin
  GOBIN="$root/.tools/bin" GOFLAGS=-buildvcs=false \
    go install "$geth_flags" "github.com/ethereum/go-ethereum/cmd/geth@$geth_version"
  # Captured first: `geth version | grep -q` fails under pipefail when grep exits early (SIGPIPE).
  geth_says="$(.tools/bin/geth version)"
  [[ "$geth_says" == *"Version: ${geth_version#v}-stable"* ]] \
    || { echo "error: .tools/bin/geth is not geth $geth_version: $geth_says" >&2; exit 1; }
  echo "$geth_want" > .tools/geth.stamp
fi

# Third-party collections (community.docker) offline from the pinned ansible wheel.
bash scripts/install-collections.sh >/dev/null

# npm packages (pinned in package.json / package-lock.json), installed by name from the registry.
if [ -f package.json ]; then
  npm_want="$(cat package.json package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1)"
  if [ ! -f node_modules/.poa-stamp ] || [ "$(cat node_modules/.poa-stamp)" != "$npm_want" ]; then
    npm ci --no-audit --no-fund --loglevel=error
    echo "$npm_want" > node_modules/.poa-stamp
  fi
fi

# The web interface's own npm tree (web/: TypeScript, Vite, ethers, playwright-core), pinned by
# web/package-lock.json. Its build is committed in roles/web_ui/files/app; set-up only installs.
if [ -f web/package.json ]; then
  web_want="$(cat web/package.json web/package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1)"
  if [ ! -f web/node_modules/.poa-stamp ] || [ "$(cat web/node_modules/.poa-stamp)" != "$web_want" ]; then
    npm ci --prefix web --no-audit --no-fund --loglevel=error
    echo "$web_want" > web/node_modules/.poa-stamp
  fi
fi

# Contract artifacts that `npm install` cannot take offline (their dependencies point at GitHub,
# or drag truffle and web3 0.20): `npm pack` the pinned tarballs and unpack them. Runs after
# `npm ci`, which empties node_modules.
unpack_npm() {  # name version dest
  local dest="node_modules/$3"
  if [ ! -f "$dest/.poa-version" ] || [ "$(cat "$dest/.poa-version")" != "$1@$2" ]; then
    mkdir -p build/npm "$dest"
    local tgz
    tgz="$(cd build/npm && npm pack --silent "$1@$2" | tail -n 1)"
    tar -xzf "build/npm/$tgz" -C "$dest" --strip-components=1
    echo "$1@$2" > "$dest/.poa-version"
  fi
}
unpack_npm @iexec/poco 6.1.0 @iexec/poco
unpack_npm rlc-faucet-contract 2.0.0 rlc-faucet-contract

# Make the collection importable as poa.consortium without installing a copy.
mkdir -p .ansible/collections/ansible_collections/poa
ln -sfn "$root" .ansible/collections/ansible_collections/poa/consortium
# Only when asked (POA_LINK_USER_COLLECTION=1): also in the user's default collections path, so
# `ansible localhost -m poa.consortium.chain_spec_info -a path=FILE` works from any directory.
# Set-up writes nothing in $HOME otherwise. A real install there (not a link) is left alone.
if [ "${POA_LINK_USER_COLLECTION:-0}" = 1 ]; then
  user_link="$HOME/.ansible/collections/ansible_collections/poa/consortium"
  if [ -L "$user_link" ] || [ ! -e "$user_link" ]; then
    mkdir -p "$(dirname "$user_link")"
    ln -sfn "$root" "$user_link"
  fi
fi
