# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: fund_account
short_description: Top up accounts to a target balance, in the native coin or an ERC-20 token
description:
  - For each account of O(accounts), reads its balance and sends only what is missing to reach O(accounts[].balance).
    An account already at or above its target gets nothing, so re-runs report C(changed=false).
  - The transfers go out together with consecutive nonces, then the module waits for every receipt.
  - With O(token) the ERC-20 C(balanceOf) and C(transfer) of that token are used instead of the native coin.
  - Fails before sending anything when the funder cannot pay for all the transfers.
version_added: "0.1.0"
author:
  - poa.consortium maintainers (@poa-consortium)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - poa.consortium.chain_signer
attributes:
  check_mode:
    support: full
    details: Reads the balances and reports what would be sent.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  manifest:
    description: The consortium manifest JSON file, used to resolve contract names given instead of addresses.
    type: path
  accounts:
    description: Accounts to fund.
    type: list
    elements: dict
    required: true
    suboptions:
      address:
        description: Account address.
        type: str
        required: true
      balance:
        description:
          - Target balance, in base units (wei, or the token's smallest unit) as an integer or string, or as
            V(<number> <unit>) with unit V(wei), V(gwei), V(ether) or V(token) (uses O(decimals)).
        type: str
        required: true
      minimum:
        description:
          - Top the account up only when it holds less than this (same units as O(accounts[].balance)), so that an
            account that spends a little (a service paying gas) is not topped up on every run. Default is the
            target balance itself.
        type: str
  token:
    description: ERC-20 token address, or the name of a contract recorded in O(manifest). Native coin when unset.
    type: str
  decimals:
    description: Decimals of the token, for amounts given in V(token) units.
    type: int
    default: 18
seealso:
  - module: poa.consortium.contract_deploy
'''

EXAMPLES = r'''
- name: Give each worker 10 ether to pay for gas
  poa.consortium.fund_account:
    rpc_url: http://127.0.0.1:8545
    keystore: /etc/consortium/funder.json
    password_file: /etc/consortium/funder.pass
    accounts:
      - address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
        balance: 10 ether

- name: And 1000 RLC (9 decimals) from the token recorded in the manifest
  poa.consortium.fund_account:
    rpc_url: http://127.0.0.1:8545
    keystore: /etc/consortium/funder.json
    password_file: /etc/consortium/funder.pass
    manifest: /etc/consortium/manifest.json
    token: rlc
    decimals: 9
    accounts:
      - address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
        balance: 1000 token
'''

RETURN = r'''
funder:
  description: Address that paid.
  returned: success
  type: str
accounts:
  description: One entry per account, amounts in base units as strings.
  returned: success
  type: list
  elements: dict
  contains:
    address:
      description: Account.
      type: str
    before:
      description: Balance before.
      type: str
    target:
      description: Target balance.
      type: str
    sent:
      description: Amount sent (0 when already funded).
      type: str
    tx_hash:
      description: Transfer transaction, null when nothing was sent or in check mode.
      type: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.poa.consortium.plugins.module_utils.contracts import Journal, ensure_funded, parse_amount, resolve_address
from ansible_collections.poa.consortium.plugins.module_utils.rpc import common_argument_spec, run_module, signer_from_params


def argument_spec():
    spec = common_argument_spec()
    spec.update(
        accounts=dict(type='list', elements='dict', required=True, options=dict(
            address=dict(type='str', required=True),
            balance=dict(type='str', required=True),
            minimum=dict(type='str'),
        )),
        token=dict(type='str', no_log=False),
        decimals=dict(type='int', default=18),
    )
    return spec


def run(module):
    p = module.params
    decimals = p['decimals'] if p['token'] else 18
    accounts = [{'address': a['address'], 'balance': parse_amount(a['balance'], decimals),
                 'minimum': parse_amount(a['minimum'], decimals) if a.get('minimum') else None} for a in p['accounts']]
    w3, signer = signer_from_params(p)
    token = None
    if p['token']:
        token = resolve_address(Journal(p['manifest']) if p['manifest'] else None, p['token'])
    changed, results = ensure_funded(w3, signer, accounts, token=token, check_mode=module.check_mode,
                                     confirmations=p['confirmations'])
    return dict(changed=changed, funder=signer.address, accounts=results)


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_module(module, run)


if __name__ == '__main__':
    main()
