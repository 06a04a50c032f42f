# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module's structured inputs, checked and turned into spec values: addresses, validator sets,
genesis fields, accounts, step duration, chain and network ids."""

from __future__ import annotations

from ansible_collections.poa.consortium.plugins.module_utils.constants import ZERO_ADDRESS
from ansible_collections.poa.consortium.plugins.module_utils.genesis import SpecError, parse_bytes, parse_uint
from ansible_collections.poa.consortium.plugins.module_utils.spec.schema import (
    ADDRESS_RE, DEFAULT_DIFFICULTY, DEFAULT_GAS_LIMIT, _err,
)
from ansible_collections.poa.consortium.plugins.module_utils.units import parse_wei

try:
    from eth_utils import is_checksum_address
    HAS_ETH_UTILS = True
except ImportError:  # pragma: no cover
    HAS_ETH_UTILS = False


def _address_input(value, path, errors):
    if not isinstance(value, str) or not ADDRESS_RE.match(value if value[:2] in ("0x", "0X") else "0x" + value):
        errors.append(_err(path, "%r is not an address (0x + 40 hex digits)" % (value,), "fix the address"))
        return None
    text = value if value[:2] in ("0x", "0X") else "0x" + value
    body = text[2:]
    if HAS_ETH_UTILS and body != body.lower() and body != body.upper() and not is_checksum_address(text):
        errors.append(_err(path, "%s has a wrong EIP-55 checksum (mixed case): likely a typo" % value,
                           "check it, or write it all lower case"))
        return None
    return text.lower()


def unique_addresses(values, path, errors, parse, err=_err, what="address"):
    """The addresses of the list `values`, each parsed by parse(value, path, errors) (None when
    refused), in order; a repeated one is an error at its index."""
    out, seen = [], {}
    for i, value in enumerate(values):
        item = "%s[%d]" % (path, i)
        norm = parse(value, item, errors)
        if norm is None:
            continue
        if norm in seen:
            errors.append(err(item, "duplicate %s %s (also at index %d)" % (what, value, seen[norm]),
                              "list each %s once" % what))
            continue
        seen[norm] = i
        out.append(norm)
    return out


def _validators_input(vset, path, errors, nested=False):
    if not isinstance(vset, dict) or len(vset) != 1:
        errors.append(_err(path, "must have exactly one of list, safeContract, contract, multi",
                           "e.g. validators: {list: [0x..., 0x...]}"))
        return None
    kind, value = next(iter(vset.items()))
    if kind == "list":
        if not isinstance(value, list) or not value:
            errors.append(_err(path + ".list", "empty validator set: no one could seal a block",
                               "list at least one validator address"))
            return None
        return {"list": unique_addresses(value, path + ".list", errors, _address_input, what="validator")}
    if kind in ("safeContract", "contract"):
        norm = _address_input(value, "%s.%s" % (path, kind), errors)
        if norm == ZERO_ADDRESS:
            errors.append(_err("%s.%s" % (path, kind), "the zero address", "use the validator-set contract's address"))
        return {kind: norm}
    if kind == "multi":
        if nested:
            errors.append(_err(path, "multi cannot be nested inside multi (Nethermind refuses it)",
                               "put all transitions in one multi"))
            return None
        if not isinstance(value, dict) or not value:
            errors.append(_err(path + ".multi", "empty", "write {0: {list: [...]}, 1000: {safeContract: 0x...}}"))
            return None
        out = {}
        for block, inner in value.items():
            try:
                b = parse_uint(block, "%s.multi.%s" % (path, block), 64)
            except SpecError as exc:
                errors.append(str(exc))
                continue
            if str(b) in out:
                errors.append(_err("%s.multi.%s" % (path, block), "block %d given twice" % b, "keep one entry"))
            out[str(b)] = _validators_input(inner, "%s.multi.%s" % (path, block), errors, nested=True)
        if out and "0" not in out:
            errors.append(_err(path + ".multi", "no validator set for block 0", "add an entry for block 0"))
        return {"multi": out}
    errors.append(_err("%s.%s" % (path, kind), "unknown validator set type", "use list, safeContract, contract or multi"))
    return None


def _hex(n):
    return hex(n)


def _genesis_inputs(inputs, errors):
    g = dict(inputs.get("genesis") or {})
    out = {}
    known = {"gas_limit", "timestamp", "difficulty", "extra_data", "author", "base_fee_per_gas", "min_gas_limit",
             "gas_limit_bound_divisor", "maximum_extra_data_size", "epoch"}
    for key in g:
        if key not in known:
            errors.append(_err("genesis.%s" % key, "unknown genesis option", "use one of %s" % ", ".join(sorted(known))))
    for key, default, bits in (("gas_limit", DEFAULT_GAS_LIMIT, 64), ("timestamp", 0, 64),
                               ("difficulty", DEFAULT_DIFFICULTY, 256), ("min_gas_limit", 0x1388, 64),
                               ("gas_limit_bound_divisor", 0x400, 64), ("maximum_extra_data_size", 0x20, 64),
                               ("epoch", 30000, 64)):
        value = g.get(key)
        if value is None:
            out[key] = default
            continue
        try:
            out[key] = parse_uint(value, "genesis.%s" % key, bits)
        except SpecError as exc:
            errors.append(str(exc))
            out[key] = default
    if out["gas_limit"] == 0:
        errors.append(_err("genesis.gas_limit", "must not be 0 (OpenEthereum refuses it)", "e.g. 10000000"))
    if out["gas_limit_bound_divisor"] == 0:
        errors.append(_err("genesis.gas_limit_bound_divisor", "must not be 0 (OpenEthereum refuses it: validate_non_zero)",
                           "use 1024 (0x400)"))
    if out["gas_limit"] and out["gas_limit"] < out["min_gas_limit"]:
        errors.append(_err("genesis.gas_limit", "%d is below min_gas_limit %d" % (out["gas_limit"], out["min_gas_limit"]),
                           "raise gas_limit or lower min_gas_limit"))
    extra = g.get("extra_data")
    out["extra_data"] = "0x"
    if extra is not None:
        try:
            data = parse_bytes(extra, "genesis.extra_data")
            if len(data) > out["maximum_extra_data_size"]:
                errors.append(_err("genesis.extra_data", "%d bytes, above maximum_extra_data_size %d"
                                   % (len(data), out["maximum_extra_data_size"]), "shorten it"))
            out["extra_data"] = "0x" + data.hex()
        except SpecError as exc:
            errors.append(str(exc))
    out["author"] = None
    if g.get("author") is not None:
        out["author"] = _address_input(g["author"], "genesis.author", errors)
    out["base_fee_per_gas"] = None
    if g.get("base_fee_per_gas") is not None:
        try:
            out["base_fee_per_gas"] = parse_wei(g["base_fee_per_gas"])
        except ValueError as exc:
            errors.append(_err("genesis.base_fee_per_gas", str(exc), "e.g. \"1 gwei\" or 1000000000"))
    return out


def _accounts_input(accounts, errors, allow_constructor=True):
    out = {}
    if accounts is None:
        return out
    if not isinstance(accounts, dict):
        errors.append(_err("accounts", "must be a dict {address: {balance: ...}}"))
        return out
    for key, acc in accounts.items():
        path = "accounts.%s" % key
        address = _address_input(key, path, errors)
        if address is None:
            continue
        if address in out:
            errors.append(_err(path, "the same address is given twice", "merge the entries"))
            continue
        if acc is None:
            acc = {}
        if isinstance(acc, (int, str)) and not isinstance(acc, bool):
            acc = {"balance": acc}
        if not isinstance(acc, dict):
            errors.append(_err(path, "must be a dict {balance, nonce, code, storage, constructor} or a balance"))
            continue
        entry = {}
        for k in acc:
            if k not in ("balance", "nonce", "code", "storage", "constructor"):
                errors.append(_err("%s.%s" % (path, k), "unknown account field", "use balance, nonce, code, storage, constructor"))
        if acc.get("balance") is not None:
            try:
                entry["balance"] = str(parse_wei(acc["balance"]))
            except ValueError as exc:
                errors.append(_err(path + ".balance", str(exc), "e.g. \"100 ether\" or 1000000000000000000"))
        if acc.get("nonce") is not None:
            try:
                entry["nonce"] = _hex(parse_uint(acc["nonce"], path + ".nonce", 64))
            except SpecError as exc:
                errors.append(str(exc))
        for k in ("code", "constructor"):
            if acc.get(k) is not None:
                try:
                    data = parse_bytes(acc[k], "%s.%s" % (path, k))
                    if not data:
                        errors.append(_err("%s.%s" % (path, k), "empty", "remove it or give the bytecode"))
                    entry[k] = "0x" + data.hex()
                except SpecError as exc:
                    errors.append(str(exc))
        if acc.get("storage") is not None:
            storage = acc["storage"]
            if not isinstance(storage, dict):
                errors.append(_err(path + ".storage", "must be a dict {slot: value}"))
            else:
                st = {}
                for slot, value in storage.items():
                    try:
                        s = parse_uint(slot, "%s.storage.%s" % (path, slot))
                        v = parse_uint(value, "%s.storage.%s" % (path, slot))
                    except SpecError as exc:
                        errors.append(str(exc))
                        continue
                    if v == 0:
                        errors.append(_err("%s.storage.%s" % (path, slot), "a zero value (clients disagree on zero slots)",
                                           "leave the slot out: unset storage reads as 0"))
                        continue
                    st["0x%064x" % s] = "0x%064x" % v
                entry["storage"] = st
        if "constructor" in entry:
            if not allow_constructor:
                errors.append(_err(path + ".constructor", "a geth genesis cannot run constructors",
                                   "deploy the runtime code with code/storage, or use format parity"))
            if "code" in entry or "storage" in entry:
                errors.append(_err(path, "constructor cannot be combined with code or storage",
                                   "use either constructor, or code + storage"))
        if not entry:
            entry["balance"] = "0"
        out[address] = entry
    return out


def _step_duration_input(value, errors):
    if value is None:
        return 5
    if isinstance(value, dict):
        if not value:
            errors.append(_err("step_duration", "empty transition map", "e.g. {0: 5}"))
            return 5
        out = {}
        for block, secs in value.items():
            try:
                b = parse_uint(block, "step_duration.%s" % block, 64)
                s = parse_uint(secs, "step_duration.%s" % block, 64)
            except SpecError as exc:
                errors.append(str(exc))
                continue
            if s == 0 or s > 0xFFFF:
                errors.append(_err("step_duration.%s" % block, "%d seconds, outside 1..65535 (OpenEthereum refuses 0 "
                                   "and clamps above 65535)" % s, "use 1 to 65535"))
            out[str(b)] = s
        if out and "0" not in out:
            errors.append(_err("step_duration", "no duration for block 0", "add an entry for block 0"))
        return out
    try:
        s = parse_uint(value, "step_duration", 64)
    except SpecError as exc:
        errors.append(str(exc))
        return 5
    if s == 0 or s > 0xFFFF:
        errors.append(_err("step_duration", "%d seconds, outside 1..65535 (OpenEthereum refuses 0 and clamps above "
                           "65535)" % s, "use 1 to 65535 (e.g. 5)"))
    return s


def _id_input(inputs, errors):
    nid, cid = inputs.get("network_id"), inputs.get("chain_id")
    if nid is None and cid is None:
        errors.append(_err("network_id", "required", "pick an unused id, e.g. 8995"))
        return None, None
    try:
        nid = parse_uint(nid if nid is not None else cid, "network_id", 64)
        cid = parse_uint(cid if cid is not None else nid, "chain_id", 64)
    except SpecError as exc:
        errors.append(str(exc))
        return None, None
    if cid == 0:
        errors.append(_err("chain_id", "0 is not a valid chain id (EIP-155)", "pick an unused id"))
    return nid, cid
