#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: clique_signers
short_description: Vote a Clique chain's signer set towards the one wanted, from one signer's node
version_added: "0.2.0"
description:
  - Reads the signers of a Clique chain from a node (C(clique_getSigners)), and with O(vote) casts that node's
    votes (C(clique_propose)) to add each wanted signer that is missing and remove each signer that is not wanted.
    A change takes effect once more than half of the current signers voted for it, each in a block it sealed.
  - Proposals that no longer match a pending change (the change took effect, or is not wanted any more) are
    discarded (C(clique_discard)), so a node does not go on voting.
  - A node whose signer is not a current signer casts no vote. Run it on each signer's own host, against its
    node's loopback JSON-RPC, which serves the C(clique) namespace to an authority.
author:
  - poa.consortium maintainers (@poa-consortium)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reports the votes it would cast and discard.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  rpc_url:
    description: The node's JSON-RPC, with the C(clique) namespace (an authority's loopback port).
    type: str
    required: true
  signers:
    description: The signer addresses wanted.
    type: list
    elements: str
    required: true
  live:
    description:
      - The signers whose node answers. When given, a change is refused before any vote if too few of them are live
        for it to pass (more than half of the current signers) or for the new set to go on sealing (more than half of
        it).
    type: list
    elements: str
  vote:
    description:
      - Cast and discard this node's votes. V(false) only reads; a node that does not answer then gives
        RV(live=false) instead of failing.
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
- name: Vote the authorities of the inventory in, and the retired ones out
  poa.consortium.clique_signers:
    rpc_url: http://127.0.0.1:8545
    signers: "{{ groups['authorities'] | map('extract', hostvars, ['authority_identity', 'address']) | list }}"

- name: Wait until this node sees the new signer set
  poa.consortium.clique_signers:
    rpc_url: http://127.0.0.1:8545
    signers: "{{ wanted_signers }}"
    vote: false
  register: seen
  until: seen.done
  retries: 60
  delay: 2
'''

RETURN = r'''
live:
  description: Whether the node answered.
  returned: always
  type: bool
signer:
  description: The node's signer (its coinbase), lower case.
  returned: when live
  type: str
signers:
  description: The chain's current signers as this node sees them, lower case and sorted.
  returned: when live
  type: list
  elements: str
to_add:
  description: Wanted signers that are not signers yet.
  returned: when live
  type: list
  elements: str
to_remove:
  description: Signers that are not wanted.
  returned: when live
  type: list
  elements: str
done:
  description: Whether the current signers are the wanted ones.
  returned: always
  type: bool
proposed:
  description: The votes cast by this run, address to C(true) (add) or C(false) (remove).
  returned: always
  type: dict
discarded:
  description: The proposals this run discarded.
  returned: always
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.poa.consortium.plugins.module_utils import clique, rpc


def json_rpc(w3, rpc_url):
    def call(method, params):
        answer = w3.provider.make_request(method, params)
        if answer.get('error'):
            hint = (': the node must serve the clique namespace (an authority node, on loopback)'
                    if method.startswith('clique_') else '')
            raise rpc.RpcError('%s at %s: %s%s' % (method, rpc_url, answer['error'].get('message', answer['error']), hint))
        return answer.get('result')
    return call


def run(module):
    p = module.params
    w3 = rpc.connect_if_up(p['rpc_url'], p['timeout'], must_answer=p['vote'])
    if w3 is None:
        return dict(changed=False, live=False, done=False, proposed={}, discarded=[])
    call = json_rpc(w3, p['rpc_url'])
    if p['live'] is not None:
        current = clique.read(call)['signers']
        problem = clique.quorum_problem(current, p['signers'], p['live'])
        if problem:
            raise rpc.RpcError('refusing to change the signers from %s to %s: %s'
                               % (', '.join(current), ', '.join(clique.normalize(p['signers'])), problem))
    if p['vote']:
        view, propose, discard = clique.apply(call, p['signers'], check_mode=module.check_mode)
    else:
        view, propose, discard = clique.read(call), {}, []
    to_add, to_remove = clique.plan(view['signers'], p['signers'])
    return dict(changed=bool(propose or discard), live=True, signer=view['coinbase'], signers=view['signers'],
                to_add=to_add, to_remove=to_remove, done=not (to_add or to_remove), proposed=propose,
                discarded=discard)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            rpc_url=dict(type='str', required=True),
            signers=dict(type='list', elements='str', required=True),
            live=dict(type='list', elements='str'),
            vote=dict(type='bool', default=True),
            timeout=dict(type='float', default=10),
        ),
        supports_check_mode=True,
    )
    rpc.run_module(module, run)


if __name__ == '__main__':
    main()
