#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: bridge_transfer
short_description: Bridge RLC into the consortium or out of it, and wait until it is paid out
version_added: "0.2.0"
description:
  - V(deposit) sends RLC from the foreign chain to the consortium; V(withdraw) sends it back.
  - Before anything is signed, the amount is checked against the bridge's per-transaction and daily limits, the
    sender's balance and, for a deposit, the allow-list. A refused transfer sends nothing.
  - The request is a plain transfer to the bridge when the recipient is the sender, or C(approve) then
    C(relayTokens) for another recipient. The module then waits until the other chain's bridge completes it
    (C(AffirmationCompleted) at home, C(RelayedMessage) on the foreign chain) and returns both transaction hashes.
  - Every run moves tokens, so it always reports changed; check mode runs the checks and sends nothing.
author:
  - poa.consortium maintainers (@poa-consortium)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - poa.consortium.bridge_manifest
attributes:
  check_mode:
    support: full
    details: Runs every check and sends nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  direction:
    description: V(deposit) (foreign chain to consortium) or V(withdraw) (consortium to foreign chain).
    type: str
    choices: [deposit, withdraw]
    required: true
  amount:
    description:
      - Amount, as V(<number> RLC), or as base units of what the sender sends (nRLC, 9 decimals; wei for a
        withdrawal in V(erc_to_native), where the home coin is RLC with 18 decimals).
    type: str
    required: true
  recipient:
    description: Who receives it on the other chain. Default is the sender.
    type: str
  keystore:
    description: The sender's V3 keystore.
    type: path
    required: true
  password_file:
    description: File holding its password (trailing newline ignored).
    type: path
    required: true
  timeout:
    description: Seconds to wait for the completion on the other chain.
    type: int
    default: 300
requirements:
  - web3 >= 7
  - eth-account
'''

EXAMPLES = r'''
- name: Bridge 10 RLC into the consortium
  poa.consortium.bridge_transfer:
    direction: deposit
    amount: 10 RLC
    manifest: build/local/manifest.json
    keystore: build/local/demo/user.json
    password_file: build/local/demo/user.password
  register: deposit

- name: Bridge 4 RLC back out
  poa.consortium.bridge_transfer:
    direction: withdraw
    amount: 4 RLC
    manifest: build/local/manifest.json
    keystore: build/local/demo/user.json
    password_file: build/local/demo/user.password
'''

RETURN = r'''
direction:
  description: V(deposit) or V(withdraw).
  returned: success
  type: str
amount:
  description: Amount in base units, as a string.
  returned: success
  type: str
sender:
  description: The sender's address.
  returned: success
  type: str
recipient:
  description: The recipient's address.
  returned: success
  type: str
request_tx:
  description: Hash of the request on the source chain (the last one, after an approve). Null in check mode.
  returned: success
  type: str
completion_tx:
  description: Hash of the transaction that completed it on the other chain. Null in check mode.
  returned: success
  type: str
completion_block:
  description: Block of the completion.
  returned: success
  type: int
seconds:
  description: Seconds from the request's sending to its completion.
  returned: success
  type: float
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.poa.consortium.plugins.module_utils.bridge import endpoints
from ansible_collections.poa.consortium.plugins.module_utils.bridge.transfer import Route, parse_rlc, transfer
from ansible_collections.poa.consortium.plugins.module_utils.rpc import Signer, load_keystore_account, run_module


def run(module):
    p = module.params
    bridge, home_w3, foreign_w3 = endpoints.connect_chains(p)
    route = Route(bridge, p['direction'], home_w3, foreign_w3)
    account = load_keystore_account(p['keystore'], p['password_file'])
    signer = Signer(route.source_w3, account, timeout=p['timeout'])
    result = transfer(route, signer, parse_rlc(p['amount'], route.decimals), recipient=p['recipient'], timeout=p['timeout'],
                      check_mode=module.check_mode)
    result['changed'] = True  # a transfer always moves tokens; check mode predicts it
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            endpoints.argument_spec(),
            direction=dict(type='str', choices=['deposit', 'withdraw'], required=True),
            amount=dict(type='str', required=True),
            recipient=dict(type='str'),
            keystore=dict(type='path', required=True),
            password_file=dict(type='path', required=True, no_log=False),
            timeout=dict(type='int', default=300),
        ),
        supports_check_mode=True,
    )
    run_module(module, run)


if __name__ == '__main__':
    main()
