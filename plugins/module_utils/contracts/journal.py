# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The deployer's journal: the JSON file where the signing modules record each deployment, pending
before it is sent and complete after, so that a killed run is finished by the next one.

It is the consortium manifest file, whose `contracts` key is the journal's; the other keys are
kept as they are. Not manifest.update(), which validates `nodes`, resets the mode to 0644 and
wants the directory to exist: this one keeps the mode and makes the directory. Both share the
layout (manifest.dumps) and the writer (fileio.atomic_write)."""

from __future__ import annotations

import json
import os

from ansible_collections.poa.consortium.plugins.module_utils import fileio
from ansible_collections.poa.consortium.plugins.module_utils.contracts.errors import ContractError
from ansible_collections.poa.consortium.plugins.module_utils.manifest import dumps as manifest_dumps


def read_bridge(path):
    """The manifest's `bridge` object; a missing manifest, or one without a bridge, is said so."""
    if not path or not os.path.exists(path):
        raise ContractError('the consortium manifest %s is missing: run site.yml (or chain.yml, then bridge.yml) '
                            'against the same inventory first, or point manifest at it' % path)
    bridge = read_manifest(path).get('bridge')
    if not bridge:
        raise ContractError('%s has no bridge: deploy it first (playbooks/bridge.yml)' % path)
    return bridge


def read_manifest(path):
    """The consortium manifest as a dict ({} when the file does not exist yet)."""
    if not path or not os.path.exists(path):
        return {}
    try:
        with open(path, 'r', encoding='utf-8') as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        raise ContractError('manifest %s is not readable JSON: %s. Fix or remove it.' % (path, exc))
    if not isinstance(data, dict):
        raise ContractError('manifest %s must hold a JSON object' % path)
    if not isinstance(data.get('contracts', {}), dict):
        raise ContractError('manifest %s: "contracts" must be an object of name -> record' % path)
    return data


def write_manifest(path, data):
    """Write atomically, in the manifest's canonical layout (manifest.dumps). Keeps the file mode."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    mode = os.stat(path).st_mode & 0o777 if os.path.exists(path) else 0o644
    try:
        fileio.atomic_write(path, manifest_dumps(data).encode('utf-8'), mode=mode)
    except fileio.FileWriteError as exc:
        raise ContractError('manifest %s: %s' % (path, exc))


class Journal:
    """The deployer's journal: the `contracts` key of the manifest file, saved by the signing
    modules before each send; the file's other keys are left alone (see the module docstring)."""

    def __init__(self, path):
        self.path = path
        self.data = read_manifest(path)
        self.before = json.loads(json.dumps(self.data))

    @property
    def contracts(self):
        return self.data.setdefault('contracts', {})

    def get(self, name):
        return self.data.get('contracts', {}).get(name)

    def set(self, name, record):
        self.contracts[name] = record

    def save(self):
        if self.path:
            # re-read so that keys written by others meanwhile are kept; ours win for `contracts`
            # (only `contracts` is ours: writing back our copy of the others would undo their changes)
            current = read_manifest(self.path)
            current.setdefault('contracts', {}).update(self.data.get('contracts', {}))
            self.data = current
            write_manifest(self.path, current)

    def changed(self):
        return self.before != self.data
