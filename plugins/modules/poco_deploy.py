# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: poco_deploy
short_description: Deploy a complete iExec PoCo instance from the @iexec/poco npm artifacts, idempotently
description:
  - Deploys the IexecLibOrders_v5 library, the Diamond proxy with its cut, loupe and ownership facets, every PoCo facet
    (five of them linked to the library), one C(diamondCut) per facet, the app, dataset and workerpool registries
    (C(initialize), C(setBaseURI)), the configuration (token or native mode; this also sets the EIP-712 domain) and the
    task categories, in the order of PoCo's own deploy script (v6.1.0). In token mode it also deploys the RLC token
    unless O(token) gives one.
  - Every deployment is recorded in the manifest C(contracts) (pending before it is sent, complete after); the
    Diamond is C(poco_hub), the token C(rlc), the others C(poco_<ContractName>). Every transaction is preceded by an
    on-chain check. A re-run sends nothing (C(changed=false)); a run killed midway is completed by the next one
    without deploying anything twice.
  - Steps are grouped in levels of independent transactions that go out together with consecutive nonces.
version_added: "0.1.0"
author:
  - poa.consortium maintainers (@poa-consortium)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - poa.consortium.chain_signer
attributes:
  check_mode:
    support: full
    details:
      - Lists in RV(would_do) what a real run would deploy or send. When contracts are missing, steps that need them
        are summarised rather than checked.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  manifest:
    description: The consortium manifest JSON file where deployments are recorded. Created when missing.
    type: path
    required: true
  poco_dir:
    description:
      - Directory of the unpacked @iexec/poco package (it holds C(artifacts/contracts) and C(deployments)).
      - Fetch it with C(npm pack @iexec/poco@6.1.0) and unpack the tarball (C(npm install) fails offline).
    type: path
    required: true
  rlc_artifact:
    description: RLC token artifact, C(build/contracts/RLC.json) of the C(rlc-faucet-contract) npm package 2.0.0.
    type: path
  mode:
    description: V(token) (ERC-20 RLC, staked as SRLC) or V(native) (the chain's coin).
    type: str
    choices: [token, native]
    default: token
  token:
    description: Existing RLC token address (or manifest name) to use in token mode instead of deploying one.
    type: str
  owner:
    description: When set and different from the deployer, ownership of the hub, the registries and the deployed token is
      handed over to this address at the end.
    type: str
  categories:
    description: Task categories, created in this order. Default is PoCo's XS, S, M, L, XL.
    type: list
    elements: dict
    suboptions:
      name:
        description: Category name.
        type: str
        required: true
      description:
        description: Description (stored JSON-encoded, as upstream does).
        type: str
        default: ''
      workClockTimeRef:
        description: Reference work clock time in seconds.
        type: int
        required: true
  base_uris:
    description: Base URIs of the registries' NFT metadata, keyed V(app), V(dataset), V(workerpool); C(/<chain id>/) is appended.
    type: dict
  boost:
    description: Also deploy the PoCo Boost facets (upstream leaves them out on Arbitrum mainnet only).
    type: bool
    default: true
  deployments_network:
    description: Folder of C(deployments/) to take DiamondCutFacet, DiamondLoupeFacet, OwnershipFacet and DiamondInit from.
    type: str
    default: arbitrum
  on_mismatch:
    description: What to do when the manifest records a contract that the chain does not hold (V(fail) or V(redeploy)).
    type: str
    choices: [fail, redeploy]
    default: fail
  timeout:
    description: Seconds to wait for the node and for each receipt.
    type: int
    default: 300
seealso:
  - module: poa.consortium.contract_deploy
  - name: iExec PoCo
    description: The PoCo smart contracts and their deploy script.
    link: https://github.com/iExecBlockchainComputing/PoCo
'''

EXAMPLES = r'''
- name: Deploy PoCo in token mode
  poa.consortium.poco_deploy:
    rpc_url: http://127.0.0.1:8545
    chain_id: 65535
    keystore: /etc/consortium/deployer.json
    password_file: /etc/consortium/deployer.pass
    manifest: /etc/consortium/manifest.json
    poco_dir: /opt/npm/iexec-poco
    rlc_artifact: /opt/npm/rlc-faucet-contract/build/contracts/RLC.json
    mode: token
  register: poco

- name: Native mode, handing ownership to the consortium multisig
  poa.consortium.poco_deploy:
    rpc_url: http://127.0.0.1:8545
    keystore: /etc/consortium/deployer.json
    password_file: /etc/consortium/deployer.pass
    manifest: /etc/consortium/manifest.json
    poco_dir: /opt/npm/iexec-poco
    mode: native
    owner: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
'''

RETURN = r'''
hub:
  description: Address of the PoCo Diamond (the iExec hub); null in check mode before it exists.
  returned: success
  type: str
token:
  description: RLC token address in token mode, null in native mode.
  returned: success
  type: str
mode:
  description: V(token) or V(native).
  returned: success
  type: str
contracts:
  description: Manifest key to address of every PoCo contract.
  returned: success
  type: dict
transactions:
  description: Number of transactions sent (or awaited) by this run.
  returned: success
  type: int
gas_used:
  description: Gas used by those transactions.
  returned: success
  type: int
blocks:
  description: Number of distinct blocks that included them.
  returned: success
  type: int
levels:
  description: Per level of independent steps, what was deployed and which transactions were sent.
  returned: success
  type: list
  elements: dict
would_do:
  description: In check mode, what a real run would deploy or send.
  returned: check mode
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.poa.consortium.plugins.module_utils.contracts import Journal, resolve_address
from ansible_collections.poa.consortium.plugins.module_utils.poco import deploy_poco
from ansible_collections.poa.consortium.plugins.module_utils.rpc import common_argument_spec, run_module, signer_from_params


def argument_spec():
    spec = common_argument_spec(manifest_required=True)
    spec['timeout']['default'] = 300
    spec.update(
        poco_dir=dict(type='path', required=True),
        rlc_artifact=dict(type='path'),
        mode=dict(type='str', choices=['token', 'native'], default='token'),
        token=dict(type='str', no_log=False),
        owner=dict(type='str'),
        categories=dict(type='list', elements='dict', options=dict(
            name=dict(type='str', required=True),
            description=dict(type='str', default=''),
            workClockTimeRef=dict(type='int', required=True),
        )),
        base_uris=dict(type='dict'),
        boost=dict(type='bool', default=True),
        deployments_network=dict(type='str', default='arbitrum'),
        on_mismatch=dict(type='str', choices=['fail', 'redeploy'], default='fail'),
    )
    return spec


def run(module):
    p = module.params
    w3, signer = signer_from_params(p)
    manifest = Journal(p['manifest'])
    token = resolve_address(manifest, p['token']) if p['token'] else None
    owner = resolve_address(manifest, p['owner']) if p['owner'] else None
    if p['mode'] == 'token' and not token and not p['rlc_artifact']:
        module.fail_json(msg='mode=token needs rlc_artifact (to deploy RLC) or token (an existing one)')
    result = deploy_poco(w3, signer, manifest, p['poco_dir'], p['rlc_artifact'], deployments_network=p['deployments_network'],
                         mode=p['mode'], token=token, owner=owner, categories=p['categories'], base_uris=p['base_uris'],
                         boost=p['boost'], check_mode=module.check_mode, on_mismatch=p['on_mismatch'])
    result['deployer'] = signer.address
    return result


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_module(module, run)


if __name__ == '__main__':
    main()
