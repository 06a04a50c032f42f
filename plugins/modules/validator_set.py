#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: validator_set
short_description: Read an Aura chain's validator-set contract and plan its next change towards the validators wanted
version_added: "0.2.0"
description:
  - Reads the consortium's validator-set contract (C(getValidators), C(pendingValidators), C(finalized)) through a
    node's JSON-RPC. Nothing is sent; changes are made by the contract's owner, the consortium's Safe, through
    M(poa.consortium.safe_transaction) (the role P(poa.consortium.governance#role) entry point C(validators) does both).
  - With O(wanted), returns the next single change (C(addValidator) first, then C(removeValidator)), since the contract
    takes one change at a time, and refuses another until the engine has finalized it.
  - With O(live), a path of changes that would at any step leave fewer than a majority of live validators, in the
    current set or the next one, is refused before anything is signed.
author:
  - poa.consortium maintainers (@poa-consortium)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Only reads; the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  rpc_url:
    description: A node of the chain, over JSON-RPC.
    type: str
    required: true
  address:
    description: Address of the validator-set contract (our C(ValidatorSet), named by the spec's C(safeContract)).
    type: str
    required: true
  wanted:
    description: The validator addresses wanted (the inventory's authorities).
    type: list
    elements: str
  live:
    description: The validators whose node answers. With it, a change that would break the quorum is refused.
    type: list
    elements: str
  must_answer:
    description: V(false) gives RV(live=false) for a node that does not answer, instead of failing.
    type: bool
    default: true
  timeout:
    description: Timeout in seconds of each JSON-RPC request.
    type: float
    default: 10
requirements:
  - web3
'''

EXAMPLES = r'''
- name: Plan the next change of validators
  poa.consortium.validator_set:
    rpc_url: http://127.0.0.1:8545
    address: "0x1000000000000000000000000000000000000001"
    wanted: "{{ groups['authorities'] | map('extract', hostvars, ['authority_identity', 'address']) | list }}"
    live: "{{ validators_live }}"
  register: validators

- name: Wait until the engine has finalized the pending change
  poa.consortium.validator_set:
    rpc_url: http://127.0.0.1:8545
    address: "0x1000000000000000000000000000000000000001"
  register: validators
  until: validators.finalized
  retries: 30
  delay: 2
'''

RETURN = r'''
live:
  description: Whether the node answered.
  returned: always
  type: bool
validators:
  description: The set in force, lower case, in the contract's order (Aura's proposer order).
  returned: when the node answered
  type: list
  elements: str
pending:
  description: The set announced and not yet finalized (empty when none).
  returned: when the node answered
  type: list
  elements: str
finalized:
  description: True when no change is pending.
  returned: when the node answered
  type: bool
to_add:
  description: Wanted validators not in the set.
  returned: when O(wanted) is given and the node answered
  type: list
  elements: str
to_remove:
  description: Validators in the set not wanted.
  returned: when O(wanted) is given and the node answered
  type: list
  elements: str
next:
  description: The next single change, C({function, validator}), or null when the set is as wanted.
  returned: when O(wanted) is given and the node answered
  type: dict
done:
  description: True when the set in force is the one wanted and nothing is pending.
  returned: when O(wanted) is given and the node answered
  type: bool
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.poa.consortium.plugins.module_utils import clique, rpc, validator_set


def run(module):
    p = module.params
    w3 = rpc.connect_if_up(p['rpc_url'], p['timeout'], must_answer=p['must_answer'])
    if w3 is None:
        return dict(changed=False, live=False)
    view = validator_set.read(w3, p['address'])
    result = dict(changed=False, live=True, **view)
    if p['wanted'] is not None:
        wanted = clique.normalize(p['wanted'])
        to_add, to_remove = clique.plan(view['validators'], wanted)
        if p['live'] is not None:
            problem = validator_set.quorum_problem(view['validators'], wanted, p['live'])
            if problem:
                raise rpc.RpcError('refusing to change the validators from %s to %s: %s'
                                   % (', '.join(view['validators']), ', '.join(wanted), problem))
        result.update(to_add=to_add, to_remove=to_remove, next=validator_set.next_change(view['validators'], wanted),
                      done=view['finalized'] and not (to_add or to_remove))
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            rpc_url=dict(type='str', required=True),
            address=dict(type='str', required=True),
            wanted=dict(type='list', elements='str'),
            live=dict(type='list', elements='str'),
            must_answer=dict(type='bool', default=True),
            timeout=dict(type='float', default=10),
        ),
        supports_check_mode=True,
    )
    rpc.run_module(module, run)


if __name__ == '__main__':
    main()
