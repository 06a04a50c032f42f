# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: contract_deploy
short_description: Deploy a contract from a compiled artifact, once, and record it in the consortium manifest
description:
  - Reads a compiled contract artifact (hardhat, hardhat-deploy, truffle, foundry or solc standard-json output),
    links the libraries it needs, encodes the constructor arguments, signs the deployment with a V3 keystore on
    the deployer host and waits for the receipt and the wanted number of confirmations.
  - Records the deployment in the JSON manifest under C(contracts.<name>) as C(address), C(tx_hash), C(block) and
    C(code_hash). Other keys of the manifest are kept untouched; the file is written atomically.
  - On a re-run the recorded address is checked on chain. When it holds code with the recorded code hash the module
    reports C(changed=false) and sends nothing.
  - When the recorded address has no code or other code (for example the chain was reset), the module fails unless
    O(on_mismatch=redeploy), which deploys again and overwrites the record.
  - The deployment is written to the manifest as pending (with its transaction hash) before it is sent, so a run that
    is killed while waiting finishes the record on the next run instead of deploying twice.
version_added: "0.1.0"
author:
  - poa.consortium maintainers (@poa-consortium)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - poa.consortium.chain_signer
attributes:
  check_mode:
    support: full
    details: Predicts the address from the deployer nonce and estimates gas (a reverting constructor fails) without sending.
  diff_mode:
    support: full
    details: Shows the manifest record before and after.
  platform:
    platforms: posix
options:
  manifest:
    description: The consortium manifest JSON file where deployments are recorded. Created when missing.
    type: path
    required: true
  name:
    description: Key of the deployment in the manifest C(contracts) object.
    type: str
    required: true
  artifact:
    description: Path of the compiled artifact JSON.
    type: path
    required: true
  contract:
    description:
      - Contract to take from a solc standard-json output holding several, as V(Name) or V(path/File.sol:Name).
    type: str
  args:
    description:
      - Constructor arguments, in order. Addresses, integers (also as strings), booleans, hex strings for bytes,
        lists for arrays and lists or dicts for tuples.
    type: list
    elements: raw
    default: []
  libraries:
    description:
      - Addresses of the libraries to link, keyed by fully qualified name (V(contracts/Lib.sol:Lib)) or bare name
        (V(Lib)). A value may also be the name of a contract recorded in the manifest.
    type: dict
    default: {}
  value:
    description: Wei sent with the deployment (payable constructor).
    type: int
    default: 0
  gas:
    description: Gas limit. Default is the node's estimate plus 20%.
    type: int
  on_mismatch:
    description:
      - What to do when the manifest records the contract but the chain has no code or other code at that address.
      - V(fail) stops with an explanation; V(redeploy) deploys again and replaces the record.
    type: str
    choices: [fail, redeploy]
    default: fail
notes:
  - Fees are EIP-1559 when the latest block has a base fee, legacy otherwise.
seealso:
  - module: poa.consortium.contract_transact
  - module: poa.consortium.fund_account
'''

EXAMPLES = r'''
- name: Deploy the library, then the contract that links it
  poa.consortium.contract_deploy:
    rpc_url: http://127.0.0.1:8545
    chain_id: 1337
    keystore: /etc/consortium/deployer.json
    password_file: /etc/consortium/deployer.pass
    manifest: /etc/consortium/manifest.json
    name: MathLib
    artifact: artifacts/contracts/Contracts.sol/MathLib.json

- name: Deploy Tripler linked against MathLib (taken from the manifest)
  poa.consortium.contract_deploy:
    rpc_url: http://127.0.0.1:8545
    chain_id: 1337
    keystore: /etc/consortium/deployer.json
    password_file: /etc/consortium/deployer.pass
    manifest: /etc/consortium/manifest.json
    name: Tripler
    artifact: build/contracts/Tripler.json
    libraries:
      MathLib: MathLib

- name: Deploy a token with constructor arguments
  poa.consortium.contract_deploy:
    rpc_url: http://127.0.0.1:8545
    keystore: /etc/consortium/deployer.json
    password_file: /etc/consortium/deployer.pass
    manifest: /etc/consortium/manifest.json
    name: token
    artifact: out/solc-output.json
    contract: contracts/Token.sol:Token
    args: ["1000000000000000000000"]
'''

RETURN = r'''
address:
  description: Address of the contract (predicted from the nonce in check mode).
  returned: success
  type: str
  sample: "0x5FbDB2315678afecb367f032d93F642f64180aa3"
tx_hash:
  description: Hash of the deployment transaction (the recorded one when nothing was sent; null in check mode).
  returned: success
  type: str
block:
  description: Block that included the deployment.
  returned: success
  type: int
code_hash:
  description: keccak256 of the runtime code at the address.
  returned: success
  type: str
state:
  description:
    - V(present) (nothing done), V(deployed), V(redeployed), V(would deploy) (check mode), V(pending) (check mode,
      a deployment sent by an earlier run is not mined yet) or V(recorded) (an earlier run sent it; the record was completed).
  returned: always
  type: str
deployer:
  description: Address of the deployer account.
  returned: success
  type: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.poa.consortium.plugins.module_utils.contracts import Deployer, Journal, load_artifact, resolve_address
from ansible_collections.poa.consortium.plugins.module_utils.fileio import file_diff
from ansible_collections.poa.consortium.plugins.module_utils.rpc import common_argument_spec, run_module, signer_from_params


def argument_spec():
    spec = common_argument_spec(manifest_required=True)
    spec.update(
        name=dict(type='str', required=True),
        artifact=dict(type='path', required=True),
        contract=dict(type='str'),
        args=dict(type='list', elements='raw', default=[]),
        libraries=dict(type='dict', default={}),
        value=dict(type='int', default=0),
        gas=dict(type='int'),
        on_mismatch=dict(type='str', choices=['fail', 'redeploy'], default='fail'),
    )
    return spec


def run(module):
    p = module.params
    artifact = load_artifact(p['artifact'], p['contract'])
    w3, signer = signer_from_params(p)
    manifest = Journal(p['manifest'])
    before = dict(manifest.get(p['name']) or {})
    libraries = {k: resolve_address(manifest, v) for k, v in (p['libraries'] or {}).items()}
    deployer = Deployer(w3, signer, manifest, on_mismatch=p['on_mismatch'], check_mode=module.check_mode)
    changed, record, state = deployer.ensure(p['name'], artifact, p['args'], libraries, value=p['value'], gas=p['gas'],
                                             confirmations=p['confirmations'])
    result = dict(changed=changed, state=state, deployer=signer.address, **record)
    if module._diff:
        result['diff'] = file_diff(p['manifest'], {'contracts': {p['name']: before}} if before else {},
                                   {'contracts': {p['name']: record}})
    return result


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_module(module, run, state='failed')


if __name__ == '__main__':
    main()
