#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: consortium_status
short_description: Check that every node of a consortium is healthy, over JSON-RPC
version_added: 0.1.0
description:
  - Reads each node listed in the consortium manifest over JSON-RPC and checks its chain id, its genesis
    hash against the manifest's, its peer count, that its head advances, and that every authority sealed
    at least one of the last O(window) blocks.
  - Seals are read from the blocks themselves, so it works for Aura (the block author) and Clique (the
    signer recovered from the seal in the extra data).
  - Fails with a message that names each sick node and why, unless O(fail_on_problems=false).
  - Reads only; never changes anything.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  manifest:
    description: Path of the consortium manifest (its C(nodes), C(chain_id) and C(genesis_hash) are used).
    type: path
    required: true
  expected_peers:
    description: Peers each node must have. Default is the number of nodes minus one (a full mesh).
    type: int
  window:
    description: Every authority must have sealed one of this many latest blocks. Default 2 * authorities + 1.
    type: int
  advance_timeout:
    description: Seconds to wait for every node's head to advance.
    type: float
    default: 30
  rpc_timeout:
    description: Timeout in seconds of each JSON-RPC request.
    type: float
    default: 5
  wait:
    description:
      - Seconds to keep checking until the consortium is healthy, for a network that has just started (peers
        connecting, every authority's first turn to seal). V(0) checks once.
    type: float
    default: 0
  fail_on_problems:
    description: Fail when a node is sick. With V(false), report the problems and succeed.
    type: bool
    default: true
requirements:
  - web3
  - eth-keys
author:
  - poa.consortium maintainers (@poa-consortium)
"""

EXAMPLES = r"""
- name: Check the local consortium
  poa.consortium.consortium_status:
    manifest: build/local/manifest.json
  register: status

- name: Show the status table
  ansible.builtin.debug:
    msg: "{{ status.table }}"
"""

RETURN = r"""
nodes:
  description: One entry per node with name, company, role, rpc_url, reachable, chain_id, genesis_hash, peers, head, last_sealed, error.
  returned: always
  type: list
  elements: dict
problems:
  description: One line per problem, each naming the node.
  returned: always
  type: list
  elements: str
table:
  description: The summary table (node, company, peers, head, last sealed), one line per element.
  returned: always
  type: list
  elements: str
"""

import time

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.poa.consortium.plugins.module_utils import status
from ansible_collections.poa.consortium.plugins.module_utils.manifest import ManifestError, load


def main():
    module = AnsibleModule(
        argument_spec=dict(
            manifest=dict(type='path', required=True),
            expected_peers=dict(type='int'),
            window=dict(type='int'),
            advance_timeout=dict(type='float', default=30),
            rpc_timeout=dict(type='float', default=5),
            wait=dict(type='float', default=0),
            fail_on_problems=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
    )
    if not status.HAS_ETH:
        module.fail_json(msg=missing_required_lib('web3 and eth-keys'), exception=status.ETH_IMPORT_ERROR)
    p = module.params
    try:
        manifest = load(p['manifest'])
    except ManifestError as exc:
        module.fail_json(msg=str(exc))
    missing = [k for k in ('nodes', 'chain_id', 'genesis_hash') if k not in manifest]
    if missing:
        module.fail_json(msg='manifest %s lacks %s: run the chain and node phases first' % (p['manifest'], ', '.join(missing)))
    deadline = time.monotonic() + p['wait']
    while True:
        # While waiting, an attempt stops at the first problems found; the last attempt checks all.
        last = time.monotonic() >= deadline
        try:
            rows, problems = status.check(manifest['nodes'], manifest['chain_id'], manifest['genesis_hash'],
                                          expected_peers=p['expected_peers'], window=p['window'],
                                          advance_timeout=p['advance_timeout'], timeout=p['rpc_timeout'],
                                          quick=not last)
        except ValueError as exc:
            module.fail_json(msg=str(exc))
        if not problems or last:
            break
        time.sleep(0.5)
    result = dict(changed=False, nodes=rows, problems=problems, table=status.table(rows))
    if problems and p['fail_on_problems']:
        module.fail_json(msg='consortium unhealthy: ' + '; '.join(problems), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
