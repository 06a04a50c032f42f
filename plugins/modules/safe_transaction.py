# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: safe_transaction
short_description: Sign a Safe multisig transaction on an owner's host, or execute it once M owners signed
description:
  - The two halves of a change made by the consortium's Safe 1.4.1 multisig (see M(poa.consortium.safe_deploy)).
  - O(state=signed) runs on one owner's own host, with that company's owner keystore. It computes the Safe's
    EIP-712 transaction hash of the call (checked against the Safe's own C(getTransactionHash)), signs it and returns
    the signature. The signature is public data - it can only execute this exact transaction on this Safe at this
    nonce - so it may travel between hosts as a fact. The key and the password never leave the host and never
    appear in results or logs. The module refuses to sign when the keystore's address is not an owner of the Safe.
  - O(state=executed) runs once, anywhere, with a keystore that pays for gas. It takes the registered results of the
    O(state=signed) runs, checks that each signature recovers to an owner over this very transaction, fails clearly
    below the threshold, packs the signatures in the order the Safe wants, simulates C(execTransaction) (a revert
    fails before anything is sent, with the reason decoded), sends it and requires the Safe's C(ExecutionSuccess).
  - With O(check), a view call on the target tells whether the change is already made; then nothing is signed or
    sent (C(changed=false)). After an execution the check is repeated and must match.
  - Only calls (O(operation=0)) are made unless O(allow_delegatecall=true), since a delegatecall runs foreign code
    with the Safe's own storage.
version_added: "0.2.0"
author:
  - poa.consortium maintainers (@poa-consortium)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - poa.consortium.chain_signer
  - poa.consortium.view_check
attributes:
  check_mode:
    support: full
    details:
      - With O(state=signed) signing sends nothing, so it is done in check mode too (a signature is needed to predict the execution).
      - With O(state=executed) the signatures are verified and the execution simulated, without sending.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  state:
    description:
      - V(signed) signs the transaction with the owner keystore O(keystore) of this host.
      - V(executed) executes it with the O(signatures) gathered from the owners' hosts, paying gas from O(keystore).
    type: str
    choices: [signed, executed]
    required: true
  keystore:
    description:
      - With O(state=signed), the owner keystore of this company, on this host.
      - With O(state=executed), the keystore of any account that pays for gas; it needs not be an owner.
    type: path
    required: true
  manifest:
    description: Deployment journal or consortium manifest, to resolve names given in O(safe) and O(to).
    type: path
  safe:
    description: Address of the Safe, or its name in O(manifest).
    type: str
    required: true
  to:
    description: Target of the call (address, or a name in O(manifest)).
    type: str
    required: true
  value:
    description: Wei the Safe sends with the call.
    type: int
    default: 0
  data:
    description: Call data as 0x hex. Mutually exclusive with O(function).
    type: str
  function:
    description: Function of the target to call, by name or signature; encoded with O(abi) or O(artifact) and O(args).
    type: str
  args:
    description: Arguments of O(function), in order.
    type: list
    elements: raw
    default: []
  abi:
    description: ABI of the target (a list), for O(function), O(check) and decoding its revert reasons.
    type: list
    elements: dict
  artifact:
    description: Compiled artifact of the target, to take the ABI from instead of O(abi).
    type: path
  contract:
    description: Contract to take from a solc standard-json output holding several.
    type: str
  operation:
    description: V(0) call, V(1) delegatecall (refused unless O(allow_delegatecall)).
    type: int
    choices: [0, 1]
    default: 0
  allow_delegatecall:
    description: Allow O(operation=1). Only for a reviewed library such as MultiSend.
    type: bool
    default: false
  nonce:
    description:
      - Safe nonce of the transaction. Default with O(state=signed) is the Safe's current nonce; with
        O(state=executed) the nonce the O(signatures) were made for, else the Safe's current nonce.
    type: int
  label:
    description: Name of the company (or host) that signs, returned with the signature and used in messages.
    type: str
  signatures:
    description:
      - With O(state=executed), the registered results of the O(state=signed) runs (or bare 0x hex signatures).
        Results without a signature (the check already matched on that host) are ignored.
    type: list
    elements: raw
    default: []
requirements:
  - eth-keys
seealso:
  - module: poa.consortium.safe_deploy
  - module: poa.consortium.contract_transact
'''

EXAMPLES = r'''
# Each company signs on its own host, with the owner key made there; only signatures cross hosts.
- name: Sign the change on every owner host
  hosts: safe_owners
  gather_facts: false
  tasks:
    - name: Sign "add 0x9965... as a bridge validator"
      poa.consortium.safe_transaction:
        state: signed
        rpc_url: http://127.0.0.1:8545
        chain_id: 1337
        keystore: "{{ authority_data_dir }}/governance/owner.json"
        password_file: "{{ authority_data_dir }}/governance/owner.pass"
        label: "{{ company }}"
        safe: "0xB65563b4192A8191299bda91A7B7D5c24Bee9d3f"
        to: "0x51a240271AB8AB9f9a21C82d9a85396b704E164d"
        artifact: /var/lib/poa-consortium/artifacts/BridgeValidators.json
        function: addValidator
        args: ["0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"]
        check:
          function: isValidator
          args: ["0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"]
          expect: true
      register: safe_signature

- name: Execute once, with the signatures of the owners
  hosts: deployer
  gather_facts: false
  tasks:
    - name: Execute through the Safe (M signatures needed)
      poa.consortium.safe_transaction:
        state: executed
        rpc_url: http://127.0.0.1:8545
        chain_id: 1337
        keystore: /var/lib/poa-consortium/deployer.json
        password_file: /var/lib/poa-consortium/deployer.pass
        safe: "0xB65563b4192A8191299bda91A7B7D5c24Bee9d3f"
        to: "0x51a240271AB8AB9f9a21C82d9a85396b704E164d"
        artifact: /var/lib/poa-consortium/artifacts/BridgeValidators.json
        function: addValidator
        args: ["0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"]
        check:
          function: isValidator
          args: ["0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"]
          expect: true
        signatures: "{{ groups['safe_owners'] | map('extract', hostvars, 'safe_signature') | list }}"
'''

RETURN = r'''
state:
  description:
    - V(signed), V(executed), V(would execute) (check mode), V(done) (the check already matched) or
      V(already executed) (the Safe logged the execution of this very transaction before).
  returned: success
  type: str
safe:
  description: Address of the Safe.
  returned: success
  type: str
to:
  description: Target of the call.
  returned: success
  type: str
value:
  description: Wei sent with the call.
  returned: when a transaction was signed or executed
  type: int
data:
  description: Call data (0x hex).
  returned: when a transaction was signed or executed
  type: str
operation:
  description: 0 call, 1 delegatecall.
  returned: when a transaction was signed or executed
  type: int
nonce:
  description: Safe nonce of the transaction.
  returned: when a transaction was signed or executed
  type: int
safe_tx_hash:
  description: The EIP-712 hash the owners sign (the Safe's C(getTransactionHash)).
  returned: when a transaction was signed or executed
  type: str
owner:
  description: Address of the owner that signed.
  returned: when O(state=signed) and a signature was made
  type: str
signature:
  description: The owner's signature (65 bytes, 0x hex). Public - it can only execute this transaction.
  returned: when O(state=signed); null when the check already matched
  type: str
label:
  description: O(label), echoed.
  returned: when O(label) is set and a signature was made
  type: str
signers:
  description: Owners whose signatures were packed, by ascending address.
  returned: when O(state=executed) and the transaction was executed or simulated
  type: list
  elements: str
tx_hash:
  description: Hash of the C(execTransaction) transaction.
  returned: when O(state=executed) and it was sent (or found executed before)
  type: str
block:
  description: Block that included it.
  returned: when O(state=executed) and it was sent
  type: int
gas_used:
  description: Gas it used.
  returned: when O(state=executed) and it was sent
  type: int
before:
  description: Value of the check before.
  returned: when O(check) is set
  type: raw
after:
  description: Value of the check after the execution.
  returned: when O(state=executed), O(check) is set and the transaction was sent
  type: raw
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.poa.consortium.plugins.module_utils import safe
from ansible_collections.poa.consortium.plugins.module_utils.contracts import (
    Journal, _plain, call_view, check_argument_spec, encode_call, load_artifact, resolve_address, values_equal,
)
from ansible_collections.poa.consortium.plugins.module_utils.rpc import common_argument_spec, run_module, signer_from_params


def argument_spec():
    spec = common_argument_spec()
    spec.update(
        state=dict(type='str', choices=['signed', 'executed'], required=True),
        safe=dict(type='str', required=True),
        to=dict(type='str', required=True),
        value=dict(type='int', default=0),
        data=dict(type='str'),
        function=dict(type='str'),
        args=dict(type='list', elements='raw', default=[]),
        abi=dict(type='list', elements='dict'),
        artifact=dict(type='path'),
        contract=dict(type='str'),
        operation=dict(type='int', choices=[0, 1], default=0),
        allow_delegatecall=dict(type='bool', default=False),
        nonce=dict(type='int'),
        check=check_argument_spec(),
        label=dict(type='str'),
        signatures=dict(type='list', elements='raw', default=[]),
    )
    return spec


def run(module):
    p = module.params
    abi = p['abi'] if p['abi'] is not None else (load_artifact(p['artifact'], p['contract']).abi if p['artifact'] else None)
    if (p['function'] or p['check']) and abi is None:
        raise safe.SafeError('function and check need the target\'s ABI: give abi or artifact')
    w3, signer = signer_from_params(p)
    manifest = Journal(p['manifest']) if p['manifest'] else None
    address = resolve_address(manifest, p['safe'])
    target = resolve_address(manifest, p['to'])
    data = encode_call(abi, p['function'], p['args'])[1] if p['function'] else (p['data'] or '0x')
    result = {'changed': False, 'safe': address, 'to': target}

    if p['state'] == 'executed':
        signer.settle()  # an execution an earlier, killed run sent is mined before the check reads the chain
    done, before = safe.check_done(w3, target, abi, p['check'])
    if p['check']:
        result['before'] = before
    if done:
        result['state'] = 'done'
        if p['state'] == 'signed':
            result['signature'] = None
        return result

    nonce = p['nonce']
    if nonce is None and p['state'] == 'executed':
        nonce = safe.signatures_nonce(p['signatures'])
    tx, info = safe.describe_transaction(w3, address, target, p['value'], data, p['operation'], nonce,
                                         allow_delegatecall=p['allow_delegatecall'])
    result.update(tx)

    if p['state'] == 'signed':
        result.update(safe.sign_transaction(signer.account, tx, info, label=p['label']), state='signed', changed=True)
        return result

    if tx['nonce'] < info['nonce']:
        earlier = safe.executed_before(w3, address, tx['safe_tx_hash'])
        if earlier:
            result.update(earlier, state='already executed')
            return result
        raise safe.SafeError('the Safe %s is at nonce %d: nonce %d went to another transaction, so these signatures can '
                             'no longer execute. Sign again at the current nonce.' % (address, info['nonce'], tx['nonce']))
    if tx['nonce'] > info['nonce']:
        raise safe.SafeError('the Safe %s is at nonce %d: the transaction at nonce %d must wait for the ones before it'
                             % (address, info['nonce'], tx['nonce']))
    result.update(safe.execute_transaction(w3, signer, tx, info, p['signatures'], target_abi=abi,
                                           check_mode=module.check_mode, confirmations=p['confirmations']))
    result['changed'] = True
    if module.check_mode:
        result['state'] = 'would execute'
        return result
    result['state'] = 'executed'
    if p['check']:
        after = call_view(w3, target, abi, p['check']['function'], p['check'].get('args'))
        result['after'] = _plain(after)
        if not values_equal(after, p['check']['expect']):
            raise safe.SafeError('the Safe executed %s (%s) but %s now returns %r, not the expected %r: the check does not '
                                 'match what the transaction does' % (tx['safe_tx_hash'], result['tx_hash'],
                                                                      p['check']['function'], result['after'],
                                                                      p['check']['expect']))
    return result


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           mutually_exclusive=[('abi', 'artifact'), ('data', 'function')])
    run_module(module, run)


if __name__ == '__main__':
    main()
