#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: chain_spec
short_description: Render an Aura chain spec (or a Clique geth genesis) and compute its genesis hash
version_added: "0.1.0"
description:
  - Renders the chain spec of a Proof-of-Authority Aura chain in the Parity/OpenEthereum format,
    which Nethermind also reads, from structured inputs; or, with O(format=geth), a geth-style
    genesis.json for a Clique engine (geth, the local engine) from the same inputs.
  - Validates inputs and the result the way OpenEthereum 3.3 and Nethermind read a spec (unknown
    fields, required params, client disagreements); see docs/chain-spec.md for each rule and its source.
  - Computes the genesis block hash exactly as the clients do, including accounts with a
    C(constructor) that is run in an EVM (py-evm).
  - Writes canonical JSON (sorted keys) atomically; a re-run with the same inputs reports
    C(changed=false); nothing is written when an input is wrong.
author:
  - poa.consortium maintainers (@poa-consortium)
requirements:
  - py-evm
  - trie
  - rlp
  - eth-utils
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
options:
  dest:
    description: Path of the file to write.
    type: path
    required: true
  format:
    description:
      - V(parity) writes an OpenEthereum/Nethermind chain spec with the Aura engine.
      - V(geth) writes a geth genesis.json with the Clique engine; O(validators) must then be a
        C(list) (the signers), O(step_duration) a single number (the Clique period), and
        constructors, O(transitions), O(params), O(engine_params) are refused.
    type: str
    choices: [parity, geth]
    default: parity
  name:
    description: Chain name (spec C(name)). Required for O(format=parity).
    type: str
  network_id:
    description: Network id (C(params.networkID)). Defaults to O(chain_id).
    type: int
  chain_id:
    description: EIP-155 chain id (C(params.chainID)). Defaults to O(network_id).
    type: int
  allow_public_chain_id:
    description:
      - A chain id or network id of a public chain (1, 99, 100, ...) is refused, because transactions signed for one
        chain would replay on the other. Set true only for a deliberate copy of a public chain.
    type: bool
    default: false
  step_duration:
    description:
      - "Aura step duration in seconds, an integer, or a dict C({block: seconds}) of transitions."
      - For O(format=geth), the Clique block period.
    type: raw
    default: 5
  validators:
    description:
      - "Aura validator set, one of C({list: [addresses]}), C({safeContract: address}), C({contract:
        address}), or C({multi: {block: <one of the three>}}). A C(multi) cannot be nested and needs an
        entry for block 0."
    type: dict
    required: true
  block_reward:
    description: Block reward in wei; an integer or a string with a unit such as C("1 ether").
    type: raw
    default: 0
  maximum_uncle_count:
    description:
      - Aura C(maximumUncleCount), always written. Nethermind allows 2 uncles unless this and its
        transition are set, OpenEthereum 0; writing both makes the clients agree.
    type: int
    default: 0
  maximum_uncle_count_transition:
    description: Aura C(maximumUncleCountTransition), always written.
    type: int
    default: 0
  engine_params:
    description:
      - Extra authorityRound params, in the spec's own camelCase names (for example
        C(blockRewardContractAddress), C(blockRewardContractTransition)). Unknown names are refused.
    type: dict
  forks:
    description:
      - "Which forks are active. A single name means that fork and all before it, at block 0; a list means
        exactly those forks at block 0; a dict C({fork: block}) gives activation blocks."
      - Names are V(homestead), V(tangerine_whistle), V(spurious_dragon), V(byzantium),
        V(constantinople), V(petersburg), V(istanbul), V(berlin), V(london). Each expands to the
        exact C(eip*Transition) params and builtin (precompile) prices of that fork.
      - eip150/155/160/161 are active at block 0 in both clients when not written.
    type: raw
    default: london
  transitions:
    description:
      - "Explicit C(eipNNNTransition) values that override the fork presets, for example C({eip1559Transition: 100}). A null value removes the field."
    type: dict
  accounts:
    description:
      - "Genesis accounts, C({address: {balance, nonce, code, storage, constructor}}) or C({address:
        balance}). Balances take units (C(\"100 ether\"), C(\"5 gwei\")) or wei."
      - C(constructor) is init code run at genesis with the account's address as the target
        (not with O(format=geth)); it cannot be combined with C(code) or C(storage).
    type: dict
  genesis:
    description:
      - Genesis block options. Keys C(gas_limit) (default 10000000), C(timestamp) (0),
        C(difficulty) (0x20000 for Aura), C(extra_data), C(author), C(base_fee_per_gas) (default
        1 gwei when London is at block 0, written explicitly), C(min_gas_limit) (0x1388),
        C(gas_limit_bound_divisor) (0x400, not 0), C(maximum_extra_data_size) (32),
        C(epoch) (Clique epoch, 30000).
    type: dict
  params:
    description: Extra chain spec params, in camelCase, merged last. Unknown names are refused.
    type: dict
  transaction_permission_contract:
    description: Address of the transaction permission contract (C(params.transactionPermissionContract)).
    type: str
  transaction_permission_contract_transition:
    description: Block from which the transaction permission contract applies.
    type: int
  registrar:
    description: Address of the registrar contract (C(params.registrar)).
    type: str
  nodes:
    description: Bootnodes, as enode URLs (spec C(nodes)).
    type: list
    elements: str
  mode:
    description: File mode of O(dest).
    type: raw
    default: "0644"
  frozen_genesis_hash:
    description:
      - The genesis hash of a chain that already runs on this spec (the consortium manifest's). The module then
        refuses, in check mode too, a spec with another genesis hash or with other validators, chain id, network
        id, step duration, accounts or genesis block fields than the existing O(dest) (some of these are not
        part of the hash), and its message names what changed.
      - Other changes (a fork parameter at a later block, the name) are still written.
    type: str
  governance:
    description:
      - "Governance contracts predeployed in the genesis (O(format=parity) only; refused with V(geth): Clique votes
        its signers in and geth enforces no permission contract). A dict with one or more of:"
      - "C(safe): C({owners: [addresses], threshold: n, address, singleton_address}), the consortium multisig: a Safe
        1.4.1 SafeL2 singleton and a SafeProxy set up with these owners."
      - "C(validator_set): C({address, from_block, owner, predeploy}), our ValidatorSet owned by the safe (or
        C(owner)) holding the O(validators) list (which must then be a C(list)). C(from_block) 0 writes C(validators:
        {safeContract}); a later block writes C(multi) with the list until then. C(predeploy=false) is the switch of a
        running chain: the genesis is left as it is, and C(address) names the contract already deployed there by a
        transaction (role poa.consortium.governance, entry point validator_set_deploy); C(from_block) must be a
        block that every node takes the new spec before."
      - "C(tx_permission): C({address, from_block, deployers, transactors, default_types, owner}), our TxPermission
        (C(params.transactionPermissionContract) and its transition): validators and the safe get every right,
        deployers CREATE, CALL and BASIC, transactors and the safe's owners CALL and BASIC, everyone else
        C(default_types) (BASIC 1, CALL 2, CREATE 4). When O(accounts) already gives code at C(address), that
        contract is used as it is and only checked."
      - "C(node_permission): C({address, enodes, owner}), our NodePermission (C(params.nodePermissionContract)),
        OpenEthereum only: refused with O(engine=nethermind)."
      - Each contract's constructor runs in py-evm on the genesis state and the result is written as C(code) and
        C(storage). Default addresses are 0x1000...0001 (validator set), ...0002 (tx permission), ...0003 (node
        permission), ...0004 (Safe singleton), ...0005 (the safe).
      - "Before anything is written, the calls the clients make (from 0x0, gas 50,000,000, gas price 0) are replayed
        on the genesis: C(getValidators()) must return the validators, and C(contractVersion()) then
        C(allowedTxTypes) must give each validator, the safe, its owners, each deployer and transactor its rights.
        A spec that would lock one of them out is refused, naming the address, its role and the missing rights."
      - See docs/chain-spec.md, section "Governance in the genesis".
    type: dict
  artifacts_dir:
    description:
      - Directory of the compiled contracts for O(governance) (ValidatorSet.json, TxPermission.json,
        NodePermission.json, safe/SafeL2.json, safe/SafeProxy.json).
      - Defaults to the collection's contracts/artifacts when the module can see it on disk; the chain_spec role
        passes it.
    type: path
  engine:
    description:
      - The client that reads the spec, when known. With V(nethermind) a O(governance) C(node_permission) is refused
        (Nethermind has no node permission contract).
    type: str
    choices: [openethereum, nethermind]
notes:
  - The genesis hash is computed without a client. It matches the published hashes of POA Core,
    Sokol, xDai, Volta, Energy Web and Kovan (unit tests).
seealso:
  - module: poa.consortium.chain_spec_info
"""

EXAMPLES = r"""
- name: Render the consortium's Aura chain spec
  poa.consortium.chain_spec:
    dest: /etc/consortium/spec.json
    name: consortium
    network_id: 8995
    step_duration: 5
    validators:
      list: "{{ validator_addresses }}"
    forks: london
    accounts:
      "0x00bd138abd70e2f00903268f3db08f2d25677c9e": {balance: "1000000 ether"}
    nodes: "{{ bootnodes }}"
  register: spec

- name: Validators from a list, then a contract from block 1000
  poa.consortium.chain_spec:
    dest: /etc/consortium/spec.json
    name: consortium
    network_id: 8995
    validators:
      multi:
        0: {list: ["0x00bd138abd70e2f00903268f3db08f2d25677c9e"]}
        1000: {safeContract: "0xf2f8ebd6df066f93dc012cc94fbfa4592727a910"}
    forks: {byzantium: 0, constantinople: 0, petersburg: 0, istanbul: 0, berlin: 100}

- name: The same chain as a Clique genesis for geth
  poa.consortium.chain_spec:
    dest: /var/lib/geth/genesis.json
    format: geth
    chain_id: 8995
    step_duration: 5
    validators:
      list: "{{ validator_addresses }}"

- name: An Aura chain governed from genesis by a 2-of-3 Safe, with transaction permissions
  poa.consortium.chain_spec:
    dest: /etc/consortium/spec.json
    name: consortium
    network_id: 8995
    engine: openethereum
    validators:
      list: "{{ validator_addresses }}"
    governance:
      safe:
        owners: "{{ company_owner_addresses }}"
        threshold: 2
      validator_set:
        from_block: 0
      tx_permission:
        deployers: ["0x00bd138abd70e2f00903268f3db08f2d25677c9e"]
        default_types: 0
      node_permission:
        enodes: "{{ bootnodes }}"
    artifacts_dir: "{{ playbook_dir }}/../contracts/artifacts"

- name: Re-render the spec of a running chain; a change of its genesis fails instead of being written
  poa.consortium.chain_spec:
    dest: /var/lib/geth/genesis.json
    format: geth
    chain_id: 8995
    validators:
      list: "{{ validator_addresses }}"
    frozen_genesis_hash: "{{ (lookup('ansible.builtin.file', 'manifest.json') | from_json).genesis_hash }}"
"""

RETURN = r"""
dest:
  description: Path of the written (or, in check mode, predicted) file.
  returned: always
  type: str
  sample: /etc/consortium/spec.json
genesis_hash:
  description: Genesis block hash, 0x-prefixed lowercase hex.
  returned: success
  type: str
  sample: "0x39f02c003dde5b073b3f6e1700fc0b84b4877f6839bb23edadd3d2d82a488634"
format:
  description: The format written, parity or geth.
  returned: success
  type: str
  sample: parity
spec_warnings:
  description: Non-fatal findings about the spec (also shown as Ansible warnings).
  returned: success
  type: list
  elements: str
  sample: []
governance:
  description: What the lock-out check read back from the genesis governance contracts, one line per contract.
  returned: success, with O(governance)
  type: list
  elements: str
  sample: ["safe 0x1000000000000000000000000000000000000005: 2 of 3 owners"]
changes:
  description: What changed in the genesis inputs, when O(frozen_genesis_hash) refused the spec.
  returned: failure, on a refused genesis change
  type: list
  elements: str
  sample: [validators, chain id]
"""

import json
import os
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.poa.consortium.plugins.module_utils import fileio

try:
    from ansible_collections.poa.consortium.plugins.module_utils.genesis import SpecError, genesis_changes, genesis_hash_report
    from ansible_collections.poa.consortium.plugins.module_utils.spec import PUBLIC_CHAIN_IDS, InputError, canonical_json, render
    from ansible_collections.poa.consortium.plugins.module_utils.governance import render_with_governance
    HAS_LIBS = True
    LIBS_IMPORT_ERROR = None
except ImportError:
    HAS_LIBS = False
    LIBS_IMPORT_ERROR = traceback.format_exc()

INPUT_KEYS = ("format", "name", "network_id", "chain_id", "step_duration", "validators", "block_reward",
              "maximum_uncle_count", "maximum_uncle_count_transition", "engine_params", "forks", "transitions",
              "accounts", "genesis", "params", "transaction_permission_contract",
              "transaction_permission_contract_transition", "registrar", "nodes")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dest=dict(type="path", required=True),
            format=dict(type="str", choices=["parity", "geth"], default="parity"),
            name=dict(type="str"),
            network_id=dict(type="int"),
            chain_id=dict(type="int"),
            allow_public_chain_id=dict(type="bool", default=False),
            step_duration=dict(type="raw", default=5),
            validators=dict(type="dict", required=True),
            block_reward=dict(type="raw", default=0),
            maximum_uncle_count=dict(type="int", default=0),
            maximum_uncle_count_transition=dict(type="int", default=0),
            engine_params=dict(type="dict"),
            forks=dict(type="raw", default="london"),
            transitions=dict(type="dict"),
            accounts=dict(type="dict"),
            genesis=dict(type="dict"),
            params=dict(type="dict"),
            transaction_permission_contract=dict(type="str"),
            transaction_permission_contract_transition=dict(type="int"),
            registrar=dict(type="str"),
            nodes=dict(type="list", elements="str"),
            mode=dict(type="raw", default="0644"),
            frozen_genesis_hash=dict(type="str"),
            governance=dict(type="dict"),
            artifacts_dir=dict(type="path"),
            engine=dict(type="str", choices=["openethereum", "nethermind"]),
        ),
        supports_check_mode=True,
    )
    if not HAS_LIBS:
        module.fail_json(msg=missing_required_lib("py-evm, trie, rlp and eth-utils"), exception=LIBS_IMPORT_ERROR)

    dest = module.params["dest"]
    result = dict(changed=False, dest=dest, format=module.params["format"])
    mode = fileio.octal_mode(module.params["mode"], default=None)
    if mode is None:
        module.fail_json(msg="mode: %r is not an octal file mode (fix: e.g. '0644')" % (module.params["mode"],), **result)

    inputs = {key: module.params[key] for key in INPUT_KEYS}
    ids = {module.params["chain_id"], module.params["network_id"]} - {None}
    public = sorted(i for i in ids if i in PUBLIC_CHAIN_IDS)
    if public and not module.params["allow_public_chain_id"]:
        module.fail_json(msg="chain id %d is the id of %s: transactions signed for one chain would replay on the other. "
                             "Pick an unused id (see chainlist.org), or set allow_public_chain_id=true "
                             "(chain_spec_allow_public_chain_id in the chain_spec role) for a deliberate copy"
                             % (public[0], PUBLIC_CHAIN_IDS[public[0]]), **result)
    if inputs["format"] == "geth":
        # Aura-only defaults do not apply to a Clique genesis.
        if inputs["block_reward"] in (0, "0"):
            inputs["block_reward"] = None
    governance = module.params["governance"]
    try:
        if governance:
            doc, warnings, result["governance"] = render_with_governance(
                inputs, governance, module.params["artifacts_dir"], module.params["engine"])
        else:
            doc, warnings = render(inputs)
        ghash, problems = genesis_hash_report(doc)
        if problems:
            raise InputError(problems)
    except InputError as exc:
        module.fail_json(msg="invalid chain spec inputs: " + "; ".join(exc.errors), errors=exc.errors, **result)
    except SpecError as exc:
        module.fail_json(msg="cannot compute the genesis hash: %s" % exc, errors=[str(exc)], **result)

    text = canonical_json(doc)
    before = None
    if os.path.exists(dest):
        try:
            with open(dest, "r", encoding="utf-8") as handle:
                before = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            module.fail_json(msg="cannot read the existing %s: %s (fix: check its permissions)" % (dest, exc), **result)
    elif not os.path.isdir(os.path.dirname(os.path.abspath(dest))):
        module.fail_json(msg="the directory of dest %s does not exist (fix: create it first)" % dest, **result)

    frozen = (module.params["frozen_genesis_hash"] or "").lower()
    try:
        changes = genesis_changes(json.loads(before), doc) if frozen and before else []
    except (ValueError, TypeError, AttributeError):
        changes = []
    if frozen and (changes or ghash.lower() != frozen):
        what = ", ".join(changes) if changes else "unknown (%s is missing or unreadable)" % dest
        module.fail_json(
            msg="refusing to write %s: its genesis would be %s, but the consortium's chain runs genesis %s. Changed: %s. "
                "A live chain keeps its genesis: change its authorities by vote (Clique) or through the validator-set "
                "contract (Aura), and a fork parameter at a later block; for a new chain on purpose, stop every node "
                "(playbooks/down.yml) and set chain_spec_new_chain=true" % (dest, ghash, frozen, what),
            changes=changes, genesis_hash=ghash, **result)

    result.update(genesis_hash=ghash, spec_warnings=warnings)
    if module._diff:
        result["diff"] = fileio.file_diff(dest, before or "", text)
    for warning in warnings:
        module.warn(warning)
    try:
        result["changed"] = fileio.write_file(module, dest, text.encode("utf-8"), mode=mode)
    except fileio.FileWriteError as exc:
        module.fail_json(msg=str(exc), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
