#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: consortium_manifest
short_description: Update the consortium manifest, a JSON file of the chain's public facts
version_added: 0.1.0
description:
  - Merges values into the consortium manifest (chain name, ids, genesis hash, engine, nodes, contracts)
    and writes it atomically, with a canonical layout (sorted keys), so that a re-run with the same values
    reports no change.
  - Keys that are not given are kept as they are, so each phase updates only its own part.
  - The manifest holds public data only; never put a private key or a password in it.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
options:
  path:
    description: Path of the manifest file. Its directory must exist.
    type: path
    required: true
  values:
    description:
      - Top-level keys to set, for example C(chain_name), C(chain_id), C(network_id), C(genesis_hash),
        C(engine) and C(nodes).
      - C(nodes) is a list of objects with C(name), C(company), C(address), C(enode), C(rpc_url) and
        C(role) (C(authority) or C(rpc)).
    type: dict
    default: {}
  contracts:
    description: Contracts to add or replace, by name, each C({address, tx_hash, block, code_hash}).
    type: dict
    default: {}
author:
  - poa.consortium maintainers (@poa-consortium)
"""

EXAMPLES = r"""
- name: Record the chain in the manifest
  poa.consortium.consortium_manifest:
    path: build/local/manifest.json
    values:
      chain_name: local-consortium
      chain_id: 133700
      network_id: 133700
      genesis_hash: "0x..."
      engine: geth
"""

RETURN = r"""
manifest:
  description: The manifest as written (or as it would be written in check mode).
  returned: success
  type: dict
path:
  description: Path of the manifest file.
  returned: success
  type: str
"""

import json

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.poa.consortium.plugins.module_utils.fileio import FileWriteError, file_diff
from ansible_collections.poa.consortium.plugins.module_utils.manifest import ManifestError, update


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            values=dict(type='dict', default={}),
            contracts=dict(type='dict', default={}),
        ),
        supports_check_mode=True,
    )
    path = module.params['path']
    try:
        changed, before, after = update(path, module.params['values'], module.params['contracts'],
                                        check_mode=module.check_mode)
    except (ManifestError, FileWriteError) as exc:
        module.fail_json(msg='consortium manifest %s: %s' % (path, exc))
    result = dict(changed=changed, path=path, manifest=json.loads(after))
    if module._diff:
        result['diff'] = file_diff(path, before, after)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
