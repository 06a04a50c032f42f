# The two commands: `make up` (the main job on inventories/local) and `make test` (the suite).
# Each one runs set-up first; set-up is idempotent (.venv, npm packages, collection link).
SHELL := /bin/bash
VENV := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
INVENTORY ?= inventories/local

.PHONY: setup up down test units compat sanity lint integration molecule ssh-hosts bench build

setup:
	@bash scripts/setup.sh

up: setup
	ansible-playbook -i $(INVENTORY) playbooks/site.yml
	@python3 -c 'import json, sys; url = json.load(open(sys.argv[1])).get("web", {}).get("url"); url and print("Web interface: " + url)' \
	  build/$(notdir $(INVENTORY))/manifest.json 2>/dev/null || true

down: setup
	ansible-playbook -i $(INVENTORY) playbooks/down.yml

test: setup
	bash scripts/test.sh

units: setup
	bash scripts/test.sh units

# The lower end of the supported ansible-core range: 2.19 on Python 3.11 (.venv-core219).
compat: setup
	bash scripts/test.sh compat

sanity: setup
	bash scripts/test.sh sanity

lint: setup
	bash scripts/test.sh lint

integration: setup
	bash scripts/test.sh integration

molecule: setup
	bash scripts/test.sh molecule

# The collection from its tarball, deployed over SSH to three local Debian containers
# (docs/ssh-hosts.md). `integration` runs its smaller form (no bridge, no web interface, no
# check run); this is the full form.
# Needs root (dockerd); prints its durations.
ssh-hosts: setup
	POA_SSH_HOSTS_FULL=1 python -m pytest -m integration -s -p no:cacheprovider tests/integration/test_ssh_hosts.py

bench: setup
	bash scripts/bench.sh

build: setup
	ansible-galaxy collection build --force --output-path build/dist .
