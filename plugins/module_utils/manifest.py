# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The consortium manifest: one JSON file on the controller with the chain's public facts.

Keys: chain_name, chain_id, network_id, genesis_hash, engine, nodes (list of
{name, company, address, enode, rpc_url, role}) and contracts ({name: {address, tx_hash, block,
code_hash}}). Each phase updates its own keys; everything else in the file is kept as it is.
"""

from __future__ import annotations

import json
import os

from ansible_collections.poa.consortium.plugins.module_utils.fileio import atomic_write

NODE_FIELDS = ('name', 'company', 'address', 'enode', 'rpc_url', 'role')
NODE_ROLES = ('authority', 'rpc')


class ManifestError(Exception):
    """The manifest or an update to it is invalid; the message says what to fix."""


def dumps(manifest):
    """Canonical text: sorted keys, 2-space indent, trailing newline (stable across runs)."""
    return json.dumps(manifest, indent=2, sort_keys=True) + '\n'


def load(path):
    """Return the manifest at ``path``, or an empty one if the file does not exist yet."""
    if not os.path.exists(path):
        return {'contracts': {}}
    try:
        with open(path, 'r', encoding='utf-8') as handle:
            data = json.load(handle)
    except ValueError as exc:
        raise ManifestError('%s is not valid JSON (%s); fix or remove it' % (path, exc))
    except OSError as exc:
        raise ManifestError('cannot read %s: %s' % (path, exc.strerror))
    if not isinstance(data, dict):
        raise ManifestError('%s must hold a JSON object, not %s' % (path, type(data).__name__))
    data.setdefault('contracts', {})
    return data


def validate_nodes(nodes):
    if not isinstance(nodes, list):
        raise ManifestError('nodes must be a list of objects with %s' % ', '.join(NODE_FIELDS))
    seen = set()
    for index, node in enumerate(nodes):
        if not isinstance(node, dict):
            raise ManifestError('nodes[%d] must be an object' % index)
        missing = [f for f in NODE_FIELDS if f not in node]
        if missing:
            raise ManifestError('nodes[%d] lacks %s' % (index, ', '.join(missing)))
        if node['role'] not in NODE_ROLES:
            raise ManifestError('nodes[%d].role is %r; use one of %s' % (index, node['role'], ', '.join(NODE_ROLES)))
        if node['name'] in seen:
            raise ManifestError('nodes[%d].name %r appears twice; node names must be unique' % (index, node['name']))
        seen.add(node['name'])


def merged(current, updates=None, contracts=None):
    """Return a new manifest: ``current`` with top-level ``updates`` and ``contracts`` merged in."""
    result = json.loads(json.dumps(current))
    for key, value in (updates or {}).items():
        if key == 'contracts':
            raise ManifestError('set contracts through the contracts option, which merges per contract')
        result[key] = value
    if 'nodes' in result:
        validate_nodes(result['nodes'])
    if not isinstance(result.setdefault('contracts', {}), dict):
        raise ManifestError('contracts must be an object of name -> record, not %s; fix or remove it'
                            % type(result['contracts']).__name__)
    result['contracts'].update(contracts or {})
    return result


def update(path, updates=None, contracts=None, check_mode=False):
    """Merge updates into the manifest at ``path``; return (changed, before_text, after_text)."""
    before = load(path)
    before_text = dumps(before) if os.path.exists(path) else ''
    after_text = dumps(merged(before, updates, contracts))
    changed = before_text != after_text
    if changed and not check_mode:
        atomic_write(path, after_text.encode('utf-8'), mode=0o644)
    return changed, before_text, after_text
