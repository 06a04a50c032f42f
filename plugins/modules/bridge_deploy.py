#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: bridge_deploy
short_description: Deploy the RLC token bridge on the foreign chain and the consortium, once
version_added: "0.2.0"
description:
  - Deploys the collection's bridge contracts (BridgeValidators and ForeignBridge on the foreign chain,
    BridgeValidators and HomeBridge on the home chain), or finds them in the deployment journals, and funds the
    home bridge up to O(home_funding).
  - Each chain has its own journal, written before each transaction is sent, so a killed run resumes without
    deploying twice. A re-run with the same inputs sends nothing and reports changed=false.
  - A deployed validator set that differs from O(validators) fails the task; a live set changes through its
    owner, not by redeploying.
  - Returns the C(bridge) object of the consortium manifest. The same keystore signs on both chains.
author:
  - poa.consortium maintainers (@poa-consortium)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reports what would be deployed or sent; addresses of contracts not deployed yet are predicted from the nonce.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  home_rpc_url:
    description: JSON-RPC endpoint of the consortium (home) chain.
    type: str
    required: true
  home_chain_id:
    description: Chain id the home node must serve.
    type: int
  foreign_rpc_url:
    description: JSON-RPC endpoint of the foreign chain.
    type: str
    required: true
  foreign_chain_id:
    description: Chain id the foreign node must serve.
    type: int
  keystore:
    description: V3 keystore of the deployer, on the host that runs the module.
    type: path
    required: true
  password_file:
    description: File holding the keystore password (trailing newline ignored).
    type: path
    required: true
  home_journal:
    description: Deployment journal of the home chain (JSON, created when missing).
    type: path
    required: true
  foreign_journal:
    description: Deployment journal of the foreign chain (JSON, created when missing).
    type: path
    required: true
  artifacts_dir:
    description: Directory of the compiled bridge contracts (the collection's C(contracts/artifacts)).
    type: path
    required: true
  rlc_artifact:
    description: RLC artifact (npm rlc-faucet-contract) to deploy a token on the foreign chain when O(foreign_token) is not set.
    type: path
  mode:
    description:
      - V(erc_to_erc), the home token is an RLC contract (O(home_token)) paid out of the home bridge's balance.
      - V(erc_to_native), the home chain's native coin is RLC, paid out of the bridge's native balance.
    type: str
    choices: [erc_to_erc, erc_to_native]
    default: erc_to_erc
  validators:
    description: Addresses of the bridge validators, one per company.
    type: list
    elements: str
    required: true
  required_signatures:
    description: Signatures (M of N) needed to complete a transfer.
    type: int
    required: true
  owner:
    description: Owner of the contracts (the consortium multisig). Default is the deployer.
    type: str
  limits:
    description:
      - Per-side limits in token base units. C(foreign) holds C(min_per_tx), C(max_per_tx) and C(daily_limit) for
        deposits; C(home) the same for withdrawals plus C(execution_daily_limit) for pay-outs.
    type: dict
    required: true
  confirmations:
    description: Blocks a request must be deep before the validators act, as C({foreign, home}).
    type: dict
    required: true
  foreign_token:
    description: Address of RLC on the foreign chain. Empty deploys one from O(rlc_artifact) (dev chains).
    type: str
  home_token:
    description: Address of RLC on the home chain (PoCo token mode); required in V(erc_to_erc).
    type: str
  home_funding:
    description: Total the home bridge is funded with (token units, or wei in V(erc_to_native)), over its lifetime.
    type: int
    default: 0
  timeout:
    description: Seconds to wait for the nodes and for each receipt.
    type: int
    default: 300
requirements:
  - web3 >= 7
  - eth-account
'''

EXAMPLES = r'''
- name: Deploy the bridge
  poa.consortium.bridge_deploy:
    home_rpc_url: http://127.0.0.1:8511
    foreign_rpc_url: http://127.0.0.1:8600
    keystore: /var/lib/poa-consortium/keystore/authority.json
    password_file: /var/lib/poa-consortium/secrets/authority.password
    home_journal: /var/lib/poa-consortium/bridge-home.json
    foreign_journal: /var/lib/poa-consortium/bridge-foreign.json
    artifacts_dir: /var/lib/poa-consortium/bridge-artifacts
    home_token: "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    validators: ["0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"]
    required_signatures: 2
    limits:
      foreign: {min_per_tx: 1000000000, max_per_tx: 100000000000000, daily_limit: 1000000000000000}
      home: {min_per_tx: 1000000000, max_per_tx: 100000000000000, daily_limit: 1000000000000000,
             execution_daily_limit: 1000000000000000}
    confirmations: {foreign: 2, home: 1}
    home_funding: 1000000000000000
  register: bridge
'''

RETURN = r'''
bridge:
  description: The manifest's C(bridge) object.
  returned: success
  type: dict
  contains:
    mode:
      description: V(erc_to_erc) or V(erc_to_native).
      type: str
    validators:
      description: The validator addresses.
      type: list
    foreign:
      description: C(chain_id), C(rpc_url), and C(bridge), C(token), C(validators) as C({address, tx_hash, block, code_hash}).
      type: dict
    home:
      description: The same for the home chain; C(token) is absent in V(erc_to_native).
      type: dict
deployer:
  description: Address of the deployer.
  returned: success
  type: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.poa.consortium.plugins.module_utils.bridge.deploy import Side, deploy_bridge, load_artifacts
from ansible_collections.poa.consortium.plugins.module_utils.contracts import Journal
from ansible_collections.poa.consortium.plugins.module_utils.rpc import Signer, connect, load_keystore_account, run_module


def argument_spec():
    return dict(
        home_rpc_url=dict(type='str', required=True),
        home_chain_id=dict(type='int'),
        foreign_rpc_url=dict(type='str', required=True),
        foreign_chain_id=dict(type='int'),
        keystore=dict(type='path', required=True),
        password_file=dict(type='path', required=True, no_log=False),
        home_journal=dict(type='path', required=True),
        foreign_journal=dict(type='path', required=True),
        artifacts_dir=dict(type='path', required=True),
        rlc_artifact=dict(type='path'),
        mode=dict(type='str', choices=['erc_to_erc', 'erc_to_native'], default='erc_to_erc'),
        validators=dict(type='list', elements='str', required=True),
        required_signatures=dict(type='int', required=True),
        owner=dict(type='str'),
        limits=dict(type='dict', required=True),
        confirmations=dict(type='dict', required=True),
        foreign_token=dict(type='str', no_log=False),
        home_token=dict(type='str', no_log=False),
        home_funding=dict(type='int', default=0),
        timeout=dict(type='int', default=300),
    )


def _side(module, name, account):
    p = module.params
    rpc_url = p[name + '_rpc_url']
    w3 = connect(rpc_url, p[name + '_chain_id'], timeout=p['timeout'])
    signer = Signer(w3, account, timeout=p['timeout'])
    return Side(name, w3, signer, Journal(p[name + '_journal']), rpc_url, check_mode=module.check_mode)


def run(module):
    p = module.params
    account = load_keystore_account(p['keystore'], p['password_file'])
    home = _side(module, 'home', account)
    foreign = _side(module, 'foreign', account)
    limits = {side: {k: int(v) for k, v in (p['limits'].get(side) or {}).items()} for side in ('foreign', 'home')}
    settings = dict(mode=p['mode'], validators=p['validators'], required_signatures=p['required_signatures'],
                    owner=p['owner'], limits=limits, confirmations=p['confirmations'], foreign_token=p['foreign_token'],
                    home_token=p['home_token'], home_funding=p['home_funding'])
    bridge = deploy_bridge(home, foreign, load_artifacts(p['artifacts_dir']), settings, rlc_artifact=p['rlc_artifact'])
    return {'changed': home.changed or foreign.changed, 'bridge': bridge, 'deployer': account.address}


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_module(module, run)


if __name__ == '__main__':
    main()
