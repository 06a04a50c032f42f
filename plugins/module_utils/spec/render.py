# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rendering from structured inputs: an OpenEthereum/Nethermind chain spec (render_parity) or a geth
Clique genesis.json (render_geth), and the canonical text written to disk."""

from __future__ import annotations

import json

from ansible_collections.poa.consortium.plugins.module_utils.constants import ZERO_ADDRESS
from ansible_collections.poa.consortium.plugins.module_utils.genesis import DEFAULT_BASE_FEE, SpecError, parse_uint
from ansible_collections.poa.consortium.plugins.module_utils.spec.forks import (
    GETH_FORK_FIELDS, _forks_schedule, fork_params_and_builtins,
)
from ansible_collections.poa.consortium.plugins.module_utils.spec.inputs import (
    _accounts_input, _address_input, _genesis_inputs, _hex, _id_input, _step_duration_input, _validators_input,
)
from ansible_collections.poa.consortium.plugins.module_utils.spec.schema import (
    AURA_KEYS, InputError, NETHERMIND_ONLY_PARAMS, PARAM_KEYS, PUBLIC_CHAIN_IDS, ZERO_SIGNATURE, _err,
)
from ansible_collections.poa.consortium.plugins.module_utils.spec.validate import _is_zero_key, validate_spec
from ansible_collections.poa.consortium.plugins.module_utils.units import parse_wei


def render_parity(inputs):
    """Inputs (module parameters) -> (spec dict, warnings). Raises InputError."""
    errors = []
    name = inputs.get("name")
    if not isinstance(name, str) or not name.strip():
        errors.append(_err("name", "required, a non-empty string", "e.g. name: consortium"))
    nid, cid = _id_input(inputs, errors)
    step = _step_duration_input(inputs.get("step_duration"), errors)
    validators = inputs.get("validators")
    if validators is None:
        errors.append(_err("validators", "required", "e.g. validators: {list: [0x...]}"))
        vset = None
    else:
        vset = _validators_input(validators, "validators", errors)
    schedule = _forks_schedule(inputs.get("forks"), errors)
    g = _genesis_inputs(inputs, errors)
    accounts = _accounts_input(inputs.get("accounts"), errors)

    aura = {"stepDuration": step, "validators": vset}
    try:
        aura["blockReward"] = _hex(parse_wei(inputs.get("block_reward") if inputs.get("block_reward") is not None else 0))
    except ValueError as exc:
        errors.append(_err("block_reward", str(exc), "e.g. \"1 ether\" or 0"))
    for key, param, default in (("maximum_uncle_count", "maximumUncleCount", 0),
                                ("maximum_uncle_count_transition", "maximumUncleCountTransition", 0)):
        value = inputs.get(key)
        try:
            aura[param] = parse_uint(value if value is not None else default, key, 64)
        except SpecError as exc:
            errors.append(str(exc))
    extra_engine = inputs.get("engine_params") or {}
    if not isinstance(extra_engine, dict):
        errors.append(_err("engine_params", "must be a dict of authorityRound params"))
        extra_engine = {}
    for key, value in extra_engine.items():
        if key not in AURA_KEYS:
            errors.append(_err("engine_params.%s" % key, "not an authorityRound parameter (OpenEthereum would refuse it)",
                               "use one of %s" % ", ".join(sorted(AURA_KEYS))))
        elif key in ("stepDuration", "validators"):
            errors.append(_err("engine_params.%s" % key, "set it with the dedicated option", "use step_duration / validators"))
        else:
            aura[key] = value

    params = {
        "networkID": _hex(nid) if nid is not None else None,
        "chainID": _hex(cid) if cid is not None else None,
        "gasLimitBoundDivisor": _hex(g["gas_limit_bound_divisor"]),
        "maximumExtraDataSize": _hex(g["maximum_extra_data_size"]),
        "minGasLimit": _hex(g["min_gas_limit"]),
    }
    fork_params, builtin_accounts = fork_params_and_builtins(schedule)
    params.update(fork_params)
    transitions = inputs.get("transitions") or {}
    if not isinstance(transitions, dict):
        errors.append(_err("transitions", "must be a dict {eipNNNTransition: block}"))
        transitions = {}
    for key, value in transitions.items():
        if key in NETHERMIND_ONLY_PARAMS:
            errors.append(_err("transitions.%s" % key, "OpenEthereum 3.3 refuses this field", NETHERMIND_ONLY_PARAMS[key]))
            continue
        if key not in PARAM_KEYS or not key.endswith("Transition"):
            errors.append(_err("transitions.%s" % key, "not a transition parameter of the chain spec",
                               "use e.g. eip1559Transition; see docs/chain-spec.md"))
            continue
        if value is None:
            params.pop(key, None)
            continue
        try:
            params[key] = parse_uint(value, "transitions.%s" % key, 64)
        except SpecError as exc:
            errors.append(str(exc))
    for key, param in (("transaction_permission_contract", "transactionPermissionContract"), ("registrar", "registrar")):
        if inputs.get(key) is not None:
            params[param] = _address_input(inputs[key], key, errors)
    if inputs.get("transaction_permission_contract_transition") is not None:
        try:
            params["transactionPermissionContractTransition"] = parse_uint(
                inputs["transaction_permission_contract_transition"], "transaction_permission_contract_transition", 64)
        except SpecError as exc:
            errors.append(str(exc))
    extra_params = inputs.get("params") or {}
    if not isinstance(extra_params, dict):
        errors.append(_err("params", "must be a dict of chain spec params (camelCase)"))
        extra_params = {}
    for key, value in extra_params.items():
        if key in NETHERMIND_ONLY_PARAMS:
            errors.append(_err("params.%s" % key, "OpenEthereum 3.3 refuses this field", NETHERMIND_ONLY_PARAMS[key]))
        elif key not in PARAM_KEYS:
            errors.append(_err("params.%s" % key, "unknown chain spec param (OpenEthereum would refuse the spec)",
                               "fix its spelling; see docs/chain-spec.md"))
        elif value is None:
            params.pop(key, None)
        else:
            params[key] = value

    genesis = {
        "seal": {"authorityRound": {"step": "0x0", "signature": ZERO_SIGNATURE}},
        "difficulty": _hex(g["difficulty"]),
        "gasLimit": _hex(g["gas_limit"]),
    }
    if g["timestamp"]:
        genesis["timestamp"] = _hex(g["timestamp"])
    if g["extra_data"] != "0x":
        genesis["extraData"] = g["extra_data"]
    if g["author"]:
        genesis["author"] = g["author"]
    london = params.get("eip1559Transition")
    if london == 0 or (isinstance(london, str) and _is_zero_key(london)):
        # Written explicitly so OpenEthereum (no default) and Nethermind (1 gwei default) agree.
        genesis["baseFeePerGas"] = _hex(g["base_fee_per_gas"] if g["base_fee_per_gas"] is not None else DEFAULT_BASE_FEE)
    elif g["base_fee_per_gas"] is not None:
        errors.append(_err("genesis.base_fee_per_gas", "only meaningful when London is active at block 0",
                           "remove it, or activate london at 0"))

    all_accounts = dict(builtin_accounts)
    for address, entry in accounts.items():
        if address in all_accounts:
            merged = dict(all_accounts[address])
            merged.update(entry)
            all_accounts[address] = merged
        else:
            all_accounts[address] = entry

    spec = {
        "name": name,
        "engine": {"authorityRound": {"params": aura}},
        "params": params,
        "genesis": genesis,
        "accounts": all_accounts,
    }
    nodes = inputs.get("nodes")
    if nodes:
        if not isinstance(nodes, list):
            errors.append(_err("nodes", "must be a list of enode URLs"))
        else:
            spec["nodes"] = list(nodes)
    if errors:
        raise InputError(errors)
    # The rendered spec must pass the same checks as any existing spec.
    spec_errors, warnings = validate_spec(spec)
    if spec_errors:
        raise InputError(spec_errors)
    return spec, warnings


def render_geth(inputs):
    """Same inputs -> (geth genesis.json dict for Clique, warnings). Raises InputError.

    Clique extraData: 32 bytes vanity, the signer addresses, 65 bytes of (empty) seal (EIP-225).
    """
    errors = []
    warnings = []
    nid, cid = _id_input(inputs, errors)
    step = _step_duration_input(inputs.get("step_duration"), errors)
    if isinstance(step, dict):
        errors.append(_err("step_duration", "format geth (Clique) takes a single block period", "give one number of seconds"))
    validators = inputs.get("validators")
    signers = []
    if not isinstance(validators, dict) or set(validators) != {"list"}:
        errors.append(_err("validators", "format geth (Clique) needs a fixed list of signers",
                           "use validators: {list: [0x...]}"))
    else:
        vset = _validators_input(validators, "validators", errors)
        signers = (vset or {}).get("list", [])
    schedule = _forks_schedule(inputs.get("forks"), errors)
    g = _genesis_inputs(inputs, errors)
    accounts = _accounts_input(inputs.get("accounts"), errors, allow_constructor=False)
    for key in ("transitions", "engine_params", "params", "transaction_permission_contract", "registrar"):
        if inputs.get(key):
            errors.append(_err(key, "only meaningful for format parity", "remove it when format is geth"))
    if inputs.get("block_reward") not in (None, 0, "0"):
        errors.append(_err("block_reward", "Clique has no block reward", "remove it when format is geth"))
    if g["extra_data"] != "0x":
        errors.append(_err("genesis.extra_data", "with Clique, extraData holds the signer list", "remove it"))
    config = {"chainId": cid}
    for fork, fields in GETH_FORK_FIELDS:
        if fork in schedule:
            for f in fields:
                config[f] = schedule[fork]
    if "petersburg" in schedule and "constantinople" not in schedule:
        config["constantinopleBlock"] = schedule["petersburg"]
    config["clique"] = {"period": step if isinstance(step, int) else 5, "epoch": g["epoch"]}
    extra = "0x" + "00" * 32 + "".join(a[2:] for a in sorted(signers)) + "00" * 65
    alloc = {}
    for address, entry in accounts.items():
        e = {"balance": _hex(int(entry.get("balance", "0")))}
        if "nonce" in entry:
            e["nonce"] = entry["nonce"]
        if "code" in entry:
            e["code"] = entry["code"]
        if "storage" in entry:
            e["storage"] = entry["storage"]
        alloc[address] = e
    genesis = {
        "config": config,
        "nonce": "0x0",
        "timestamp": _hex(g["timestamp"]),
        "extraData": extra,
        "gasLimit": _hex(g["gas_limit"]),
        "difficulty": "0x1",
        "mixHash": "0x" + "00" * 32,
        "coinbase": ZERO_ADDRESS,
        "number": "0x0",
        "gasUsed": "0x0",
        "parentHash": "0x" + "00" * 32,
        "alloc": alloc,
    }
    if schedule.get("london") == 0:
        genesis["baseFeePerGas"] = _hex(g["base_fee_per_gas"] if g["base_fee_per_gas"] is not None else DEFAULT_BASE_FEE)
    if nid is not None and cid is not None and nid != cid:
        warnings.append(_err("network_id", "geth genesis has no separate network id; pass --networkid %d to the node" % nid))
    if cid in PUBLIC_CHAIN_IDS:
        warnings.append(_err("chain_id", "%d is the id of %s" % (cid, PUBLIC_CHAIN_IDS[cid]), "pick an unused id"))
    if errors:
        raise InputError(errors)
    return genesis, warnings


def render(inputs):
    fmt = inputs.get("format") or "parity"
    if fmt == "parity":
        return render_parity(inputs)
    if fmt == "geth":
        return render_geth(inputs)
    raise InputError([_err("format", "unknown format %r" % fmt, "use parity or geth")])


def canonical_json(doc):
    """Stable text for a spec: keys sorted, 2-space indent, trailing newline."""
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=True) + "\n"
