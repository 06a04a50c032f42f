# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: contract_transact
short_description: Send a transaction to a deployed contract only when a view call shows it is needed
description:
  - Calls O(function) on a deployed contract with O(args), signed with a V3 keystore on the host that runs the module.
  - With O(check), first calls a view function and compares its result with O(check.expect); the transaction is sent
    only when they differ, so re-runs report C(changed=false). After sending, the check is repeated and the module
    fails if the chain still does not match (the check does not describe what the transaction does).
  - Without O(check) the transaction is sent every time (C(changed=true)).
  - A transaction that would revert fails before anything is sent, with the reason decoded (C(Error(string)),
    C(Panic(uint256)) or a custom error of the ABI).
version_added: "0.1.0"
author:
  - poa.consortium maintainers (@poa-consortium)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - poa.consortium.chain_signer
  - poa.consortium.view_check
attributes:
  check_mode:
    support: full
    details: Runs the check and estimates gas (a revert fails) without sending.
  diff_mode:
    support: partial
    details: Shows the value of the check before and after (expected after, in check mode).
  platform:
    platforms: posix
options:
  manifest:
    description: The consortium manifest JSON file, used to resolve contract names given instead of addresses.
    type: path
  address:
    description: Contract address, or the name of a contract recorded in O(manifest).
    type: str
    required: true
  abi:
    description: ABI of the contract (a list). One of O(abi) and O(artifact) is required.
    type: list
    elements: dict
  artifact:
    description: Compiled artifact to take the ABI from (hardhat, truffle, foundry or solc output).
    type: path
  contract:
    description: Contract to take from a solc standard-json output holding several.
    type: str
  function:
    description: Function to call, by name or, when overloaded, by signature (V(transfer(address,uint256))).
    type: str
    required: true
  args:
    description: Arguments of O(function), in order.
    type: list
    elements: raw
    default: []
  value:
    description: Wei sent with the transaction.
    type: int
    default: 0
  gas:
    description: Gas limit. Default is the node's estimate plus 20%.
    type: int
seealso:
  - module: poa.consortium.contract_deploy
'''

EXAMPLES = r'''
- name: Hand the registry to the consortium owner, once
  poa.consortium.contract_transact:
    rpc_url: http://127.0.0.1:8545
    chain_id: 1337
    keystore: /etc/consortium/deployer.json
    password_file: /etc/consortium/deployer.pass
    manifest: /etc/consortium/manifest.json
    address: registry
    artifact: artifacts/contracts/Registry.sol/Registry.json
    function: transferOwnership
    args: ["0x70997970C51812dc3A010C7d01b50e0d17dc79C8"]
    check:
      function: owner
      expect: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
'''

RETURN = r'''
address:
  description: Contract address.
  returned: success
  type: str
function:
  description: Function called.
  returned: success
  type: str
tx_hash:
  description: Hash of the transaction, null when nothing was sent.
  returned: success
  type: str
block:
  description: Block that included the transaction.
  returned: when a transaction was sent
  type: int
gas_used:
  description: Gas used by the transaction.
  returned: when a transaction was sent
  type: int
before:
  description: Value of the check before.
  returned: when O(check) is set
  type: raw
after:
  description: Value of the check after the transaction.
  returned: when a transaction was sent and O(check) is set
  type: raw
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.poa.consortium.plugins.module_utils.contracts import Journal, check_argument_spec, ensure_transaction, load_artifact, resolve_address
from ansible_collections.poa.consortium.plugins.module_utils.rpc import common_argument_spec, run_module, signer_from_params


def argument_spec():
    spec = common_argument_spec()
    spec.update(
        address=dict(type='str', required=True),
        abi=dict(type='list', elements='dict'),
        artifact=dict(type='path'),
        contract=dict(type='str'),
        function=dict(type='str', required=True),
        args=dict(type='list', elements='raw', default=[]),
        value=dict(type='int', default=0),
        gas=dict(type='int'),
        check=check_argument_spec(),
    )
    return spec


def run(module):
    p = module.params
    abi = p['abi'] if p['abi'] is not None else load_artifact(p['artifact'], p['contract']).abi
    w3, signer = signer_from_params(p)
    manifest = Journal(p['manifest']) if p['manifest'] else None
    address = resolve_address(manifest, p['address'])
    result = ensure_transaction(w3, signer, address, abi, p['function'], p['args'], value=p['value'], check=p['check'],
                                check_mode=module.check_mode, gas=p['gas'], confirmations=p['confirmations'])
    if module._diff and p['check']:
        check = p['check']
        after = result.get('after', check['expect'] if result['changed'] else result.get('before'))
        result['diff'] = dict(before='%s = %s\n' % (check['function'], result.get('before')),
                              after='%s = %s\n' % (check['function'], after))
    return result


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_one_of=[('abi', 'artifact')], mutually_exclusive=[('abi', 'artifact')])
    run_module(module, run)


if __name__ == '__main__':
    main()
