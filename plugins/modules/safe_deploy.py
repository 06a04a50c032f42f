# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: safe_deploy
short_description: Deploy the consortium's Safe 1.4.1 multisig once, with its owners and threshold
description:
  - Deploys what is missing of a Safe 1.4.1 multisig on the chain and records each piece in the deployment journal
    (the same file M(poa.consortium.contract_deploy) writes) - the C(SafeL2) singleton, the C(SafeProxyFactory) and
    the Safe itself, a C(SafeProxy) made by C(createProxyWithNonce) and recorded under O(name).
  - The Safe is set up with O(owners) (one key per company), O(threshold) signatures needed, no module, no fallback
    handler and no payment.
  - Its address is computed ahead (CREATE2 of the factory over the owners, threshold and O(salt_nonce)), so a run
    that was killed, or whose journal was lost, finds the Safe instead of making another.
  - When the Safe recorded under O(name) exists, its C(getOwners()) and C(getThreshold()) are compared with
    O(owners) and O(threshold); a difference fails. Owners and threshold change only through the Safe itself, with
    C(addOwnerWithThreshold), C(removeOwner) or C(changeThreshold) proposed with M(poa.consortium.safe_transaction).
  - SafeL2 rather than Safe is the singleton - the consortium's chains have no indexer, and SafeL2 logs every
    execution with its parameters.
version_added: "0.2.0"
author:
  - poa.consortium maintainers (@poa-consortium)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - poa.consortium.chain_signer
attributes:
  check_mode:
    support: full
    details: Predicts the singleton and factory addresses from the deployer's nonce and the Safe's CREATE2 address, without sending.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  manifest:
    description: The deployment journal (JSON) where the Safe and its singleton and factory are recorded. Created when missing.
    type: path
    required: true
  name:
    description: Key of the Safe in the journal's C(contracts) object.
    type: str
    default: ConsortiumSafe
  owners:
    description: Addresses of the owners, one per company. Order does not matter for the comparison with an existing Safe.
    type: list
    elements: str
    required: true
  threshold:
    description: Number of owners' signatures an execution needs (M of N).
    type: int
    required: true
  on_mismatch:
    description:
      - What to do when the Safe exists with other owners or another threshold than O(owners) and O(threshold).
      - V(fail) stops with the differences. V(keep) keeps the Safe as it is, returns its real owners and threshold
        and the differences in RV(differs), with a warning. Owners and threshold change only through the Safe
        itself (C(addOwnerWithThreshold), C(removeOwner), C(changeThreshold) with M signatures), never by a
        deployment.
    type: str
    choices: [fail, keep]
    default: fail
  salt_nonce:
    description: Salt of C(createProxyWithNonce). Another value makes another Safe with the same owners.
    type: int
    default: 0
  artifacts_dir:
    description:
      - Directory holding C(SafeL2.json), C(SafeProxyFactory.json) and C(SafeProxy.json) on the host that runs the
        module - the collection's C(contracts/artifacts/safe), copied there.
    type: path
    required: true
seealso:
  - module: poa.consortium.safe_transaction
  - module: poa.consortium.contract_deploy
'''

EXAMPLES = r'''
- name: Deploy the consortium's Safe, 2 of 3
  poa.consortium.safe_deploy:
    rpc_url: http://127.0.0.1:8545
    chain_id: 1337
    keystore: /var/lib/poa-consortium/deployer.json
    password_file: /var/lib/poa-consortium/deployer.pass
    manifest: /var/lib/poa-consortium/contracts.json
    artifacts_dir: /var/lib/poa-consortium/safe-artifacts
    owners:
      - "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A"
      - "0x1563915e194D8CfBA1943570603F7606A3115508"
      - "0x5CbDd86a2FA8Dc4bDdd8a8f69dBa48572EeC07FB"
    threshold: 2
  register: consortium_safe
'''

RETURN = r'''
address:
  description: Address of the Safe (predicted in check mode).
  returned: success
  type: str
  sample: "0xB65563b4192A8191299bda91A7B7D5c24Bee9d3f"
owners:
  description: The Safe's owners (as C(getOwners()) returns them when the Safe existed).
  returned: success
  type: list
  elements: str
threshold:
  description: Signatures an execution needs.
  returned: success
  type: int
differs:
  description: How an existing Safe differs from O(owners) and O(threshold) (only with O(on_mismatch=keep)); empty otherwise.
  returned: success
  type: list
  elements: str
singleton:
  description: Address of the SafeL2 singleton.
  returned: success
  type: str
factory:
  description: Address of the SafeProxyFactory.
  returned: success
  type: str
tx_hash:
  description: Transaction that created the Safe (the recorded one when nothing was sent; null in check mode).
  returned: success
  type: str
state:
  description:
    - V(present) (nothing done), V(deployed), V(recorded) (the Safe was on chain at its address but not in the
      journal) or V(would deploy) (check mode).
  returned: success
  type: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.poa.consortium.plugins.module_utils.contracts import Journal
from ansible_collections.poa.consortium.plugins.module_utils.rpc import common_argument_spec, run_module, signer_from_params
from ansible_collections.poa.consortium.plugins.module_utils.safe import ensure_safe, load_safe_artifacts


def argument_spec():
    spec = common_argument_spec()
    spec['manifest']['required'] = True
    spec.update(
        name=dict(type='str', default='ConsortiumSafe'),
        owners=dict(type='list', elements='str', required=True),
        threshold=dict(type='int', required=True),
        salt_nonce=dict(type='int', default=0),
        on_mismatch=dict(type='str', choices=['fail', 'keep'], default='fail'),
        artifacts_dir=dict(type='path', required=True),
    )
    return spec


def run(module):
    p = module.params
    artifacts = load_safe_artifacts(p['artifacts_dir'])
    w3, signer = signer_from_params(p)
    result = ensure_safe(w3, signer, Journal(p['manifest']), artifacts, p['owners'], p['threshold'], name=p['name'],
                         salt_nonce=p['salt_nonce'], check_mode=module.check_mode, confirmations=p['confirmations'],
                         on_mismatch=p['on_mismatch'])
    if result['differs']:
        module.warn('the Safe at %s is kept as it is: %s. Change its owners or threshold through the Safe itself '
                    '(addOwnerWithThreshold, removeOwner or changeThreshold, e.g. with playbooks/governance_call.yml).'
                    % (result['address'], '; '.join(result['differs'])))
    return result


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_module(module, run)


if __name__ == '__main__':
    main()
