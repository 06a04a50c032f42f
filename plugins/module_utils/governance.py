# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Governance contracts in an Aura genesis: predeploys, validator and permission params, lock-out check.

A consortium's Aura chain can start with its governance already in place:

* a Safe multisig (a SafeL2 singleton and a SafeProxy set up with the companies' owners);
* our ValidatorSet, owned by the Safe, holding the initial validators, named by
  ``validators: {safeContract}`` from block 0 or through ``multi`` from a later block;
* our TxPermission, owned by the Safe, named by ``params.transactionPermissionContract``;
* OpenEthereum's node permission contract (our NodePermission), ``params.nodePermissionContract``.

Predeploying runs each contract's constructor (creation bytecode + ABI-encoded arguments, from the
committed artifacts) in py-evm on the genesis state, then the Safe's ``setup`` through its proxy,
and writes the resulting code and storage as plain genesis accounts. Both clients then read the
same accounts; no ``constructor`` field, whose failure the clients treat differently.

Before anything is written, :func:`check_lockout` replays on the final genesis state the calls the
clients make (OpenEthereum ``tx_filter.rs``, Nethermind ``PermissionBasedTxFilter``): from the zero
address, gas 50,000,000, gas price 0, ``contractVersion()`` then the ``allowedTxTypes`` of that
version, and ``getValidators()`` on the validator set. A validator, the Safe, its owners, a deployer
or a transactor left without the rights it needs refuses the spec.

py-evm runs the code, eth-abi encodes and decodes; written by hand here is what no library does:
the mapping of the governance options to constructor arguments and spec fields, recording which
storage slots the constructors wrote (py-evm keeps storage in a hashed trie that cannot be listed),
and the clients' permission-call protocol.
"""

from __future__ import annotations

import json
import os
import re

from ansible_collections.poa.consortium.plugins.module_utils.constants import ZERO_ADDRESS, ZERO_ADDRESS_BYTES
from ansible_collections.poa.consortium.plugins.module_utils.genesis import SpecError, parity_base_fee, parity_genesis_state
from ansible_collections.poa.consortium.plugins.module_utils.spec import InputError, render
from ansible_collections.poa.consortium.plugins.module_utils.spec.inputs import unique_addresses

try:
    from eth_abi import decode as abi_decode, encode as abi_encode
    from eth_utils import function_signature_to_4byte_selector, to_checksum_address
except ImportError:  # pragma: no cover - chain_spec reports the missing libraries
    pass

# Fixed default addresses: readable, outside the precompile range (0x01..0x0a, and 0x100 which
# some chains use for P256), and in no CREATE/CREATE2 pattern a deployer could hit by accident.
DEFAULT_ADDRESSES = {
    "validator_set": "0x1000000000000000000000000000000000000001",
    "tx_permission": "0x1000000000000000000000000000000000000002",
    "node_permission": "0x1000000000000000000000000000000000000003",
    "safe_singleton": "0x1000000000000000000000000000000000000004",
    "safe": "0x1000000000000000000000000000000000000005",
}
# Transaction types of the permission contracts (OpenEthereum tx_permissions, Nethermind ITxPermissionFilter).
BASIC, CALL, CREATE = 1, 2, 4
TYPE_NAMES = ((BASIC, "BASIC"), (CALL, "CALL"), (CREATE, "CREATE"))
# The clients call permission and validator-set contracts as the zero address with this much gas
# and a zero gas price (OpenEthereum Client::call_contract, Nethermind SystemTransaction calls).
CALL_GAS = 50_000_000
# The Safe refuses these as owners (OwnerManager: SENTINEL_OWNERS = 0x1).
SAFE_SENTINEL = "0x" + "00" * 19 + "01"
ADDRESS_RE = re.compile(r"^0x[0-9a-fA-F]{40}$")
NODE_ID_RE = re.compile(r"^(?:enode://)?([0-9a-fA-F]{128})(?:@.*)?$")
GOVERNANCE_KEYS = {"safe": {"owners", "threshold", "address", "singleton_address"},
                   "validator_set": {"address", "from_block", "owner", "predeploy"},
                   "tx_permission": {"address", "from_block", "deployers", "transactors", "default_types", "owner"},
                   "node_permission": {"address", "enodes", "owner"}}
ARTIFACTS = {"validator_set": "ValidatorSet.json", "tx_permission": "TxPermission.json",
             "node_permission": "NodePermission.json", "safe_singleton": os.path.join("safe", "SafeL2.json"),
             "safe_proxy": os.path.join("safe", "SafeProxy.json")}
# A plain transfer goes to an address without code (the first of these that has none), a call to
# one with code, a create to none.
PROBE_TRANSFER_TO = ("0x000000000000000000000000000000000000dead", "0x000000000000000000000000000000000000beef",
                     "0x00000000000000000000000000000000000fee15")
# Init code of the create probe: returns an empty runtime (PUSH1 0 PUSH1 0 RETURN).
PROBE_INIT_CODE = bytes.fromhex("60006000f3")


def default_artifacts_dir():
    """contracts/artifacts of the collection this file belongs to, or None when it is not on disk
    (a module runs from a zip on the target: the chain_spec role passes the directory instead)."""
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.normpath(os.path.join(here, "..", "..", "contracts", "artifacts"))
    return path if os.path.isdir(path) else None


def _err(path, message, fix=None):
    text = "governance.%s: %s" % (path, message)
    if fix:
        text += " (fix: %s)" % fix
    return text


def _lower(address):
    return address.lower() if isinstance(address, str) else address


def _addr(value, path, errors, allow_zero=False):
    if not isinstance(value, str) or not ADDRESS_RE.match(value):
        errors.append(_err(path, "%r is not an address (0x + 40 hex digits)" % (value,), "fix the address"))
        return None
    body = value[2:]
    if body != body.lower() and body != body.upper():
        try:
            if to_checksum_address(value) != value:
                errors.append(_err(path, "%s has a wrong EIP-55 checksum (mixed case): likely a typo" % value,
                                   "check it, or write it all lower case"))
                return None
        except ValueError:
            pass
    value = value.lower()
    if value == ZERO_ADDRESS and not allow_zero:
        errors.append(_err(path, "the zero address: the clients call permission contracts from it, nobody holds its "
                           "key", "give a real address"))
        return None
    return value


def _addr_list(values, path, errors, required=False):
    if values is None:
        values = []
    if not isinstance(values, list):
        errors.append(_err(path, "must be a list of addresses"))
        return []
    if required and not values:
        errors.append(_err(path, "empty", "list at least one address"))
    return unique_addresses(values, path, errors, _addr, err=_err)


def _block(value, path, errors):
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        errors.append(_err(path, "must be a block number"))
        return 0
    try:
        number = int(value, 0) if isinstance(value, str) else value
    except ValueError:
        errors.append(_err(path, "%r is not a block number" % (value,)))
        return 0
    if number < 0 or number >= 1 << 64:
        errors.append(_err(path, "%d is outside 0..2^64-1" % number))
        return 0
    return number


def _node_id(value, path, errors):
    match = NODE_ID_RE.match(value) if isinstance(value, str) else None
    if not match:
        errors.append(_err(path, "%r is not an enode URL or a 64-byte node id (128 hex digits)" % (value,),
                           "write enode://<128 hex digits>@host:port"))
        return None
    return bytes.fromhex(match.group(1))


def parse_governance(gov, validators):
    """Check the governance option; return a plan (dict) with normalised addresses. Raises InputError.

    ``validators`` is the module's validators option; with a validator_set or a tx_permission it
    must be a ``{list: [...]}``: the initial set, and the validators given full access.
    """
    errors = []
    if not isinstance(gov, dict) or not gov:
        raise InputError([_err("", "must be a dict with one or more of safe, validator_set, tx_permission, "
                                   "node_permission")])
    for key, value in gov.items():
        if key not in GOVERNANCE_KEYS:
            errors.append(_err(key, "unknown key", "use %s" % ", ".join(sorted(GOVERNANCE_KEYS))))
        elif not isinstance(value, dict):
            errors.append(_err(key, "must be a dict"))
        else:
            for sub in value:
                if sub not in GOVERNANCE_KEYS[key]:
                    errors.append(_err("%s.%s" % (key, sub), "unknown key",
                                       "use %s" % ", ".join(sorted(GOVERNANCE_KEYS[key]))))
    if errors:
        raise InputError(errors)
    plan = {"validators": None}
    if isinstance(validators, dict) and set(validators) == {"list"} and isinstance(validators["list"], list):
        plan["validators"] = [_lower(v) for v in validators["list"]]
    used = {}

    def place(name, given, default, path):
        address = _addr(given, path, errors) if given is not None else default
        if address is None:
            return None
        if address in used:
            errors.append(_err(path, "%s is also the address of %s" % (address, used[address]),
                               "give each contract its own address"))
        elif int(address, 16) <= 0xff or int(address, 16) == 0x100:
            errors.append(_err(path, "%s is in the precompile range" % address, "use an address above 0x100"))
        used[address] = name
        return address

    safe = gov.get("safe")
    if safe is not None:
        owners = _addr_list(safe.get("owners"), "safe.owners", errors, required=True)
        if SAFE_SENTINEL in owners:
            errors.append(_err("safe.owners", "0x...01 is the Safe's list sentinel and cannot be an owner"))
        threshold = safe.get("threshold")
        if isinstance(threshold, str) and threshold.isdigit():
            threshold = int(threshold)
        if isinstance(threshold, bool) or not isinstance(threshold, int):
            errors.append(_err("safe.threshold", "required, a whole number of owners", "e.g. threshold: 2"))
        elif owners and not 1 <= threshold <= len(owners):
            errors.append(_err("safe.threshold", "%d is outside 1..%d (the number of owners): the Safe's setup "
                               "would revert" % (threshold, len(owners)),
                               "use a threshold between 1 and the number of owners"))
        address = place("the safe", safe.get("address"), DEFAULT_ADDRESSES["safe"], "safe.address")
        singleton = place("the safe singleton", safe.get("singleton_address"), DEFAULT_ADDRESSES["safe_singleton"],
                          "safe.singleton_address")
        if address in owners:
            errors.append(_err("safe.owners", "the Safe %s cannot own itself" % address))
        plan["safe"] = {"owners": owners, "threshold": threshold, "address": address, "singleton": singleton}

    def owner_of(section, path):
        given = section.get("owner")
        if given is not None:
            return _addr(given, path + ".owner", errors)
        if safe is None:
            errors.append(_err(path + ".owner", "no owner: neither an owner nor a safe is given",
                               "add a safe (the contract's owner by default) or an owner address"))
            return None
        return plan["safe"]["address"]

    vset = gov.get("validator_set")
    if vset is not None:
        if plan["validators"] is None:
            errors.append(_err("validator_set", "the validators option must be a {list: [...]}: the initial set "
                               "of the validator-set contract", "give validators: {list: [0x...]}"))
        predeployed = vset.get("predeploy", True)
        if not isinstance(predeployed, bool):
            errors.append(_err("validator_set.predeploy", "must be true or false"))
            predeployed = True
        from_block = _block(vset.get("from_block"), "validator_set.from_block", errors)
        if not predeployed:
            # An existing chain's switch: its genesis cannot change, so the contract is deployed by a
            # transaction (roles/governance, entry point validator_set_deploy) before from_block.
            if vset.get("address") is None:
                errors.append(_err("validator_set.address", "required with predeploy: false: the address of the "
                                   "contract deployed on the running chain", "deploy it first, then give its address"))
            if from_block == 0:
                errors.append(_err("validator_set.from_block", "0 with predeploy: false: a running chain can only "
                                   "switch at a later block", "give the block every node takes the new spec before"))
        plan["validator_set"] = {
            "address": place("the validator set", vset.get("address"), DEFAULT_ADDRESSES["validator_set"],
                             "validator_set.address"),
            "from_block": from_block,
            "owner": owner_of(vset, "validator_set") if predeployed else None,
            "predeploy": predeployed,
        }

    txp = gov.get("tx_permission")
    if txp is not None:
        if plan["validators"] is None:
            errors.append(_err("tx_permission", "the validators option must be a {list: [...]}: the validators "
                               "get full access", "give validators: {list: [0x...]}"))
        default_types = txp.get("default_types", 0)
        if isinstance(default_types, bool) or not isinstance(default_types, int) or not 0 <= default_types <= 7:
            errors.append(_err("tx_permission.default_types", "%r is not a mask of BASIC 1, CALL 2, CREATE 4"
                               % (default_types,), "use 0 (nobody else) to 7 (everyone may do everything)"))
            default_types = 0
        plan["tx_permission"] = {
            "address": place("the transaction permission contract", txp.get("address"),
                             DEFAULT_ADDRESSES["tx_permission"], "tx_permission.address"),
            "from_block": _block(txp.get("from_block"), "tx_permission.from_block", errors),
            "deployers": _addr_list(txp.get("deployers"), "tx_permission.deployers", errors),
            "transactors": _addr_list(txp.get("transactors"), "tx_permission.transactors", errors),
            "default_types": default_types,
            "owner_given": txp.get("owner") is not None,
            "owner": owner_of(txp, "tx_permission") if (txp.get("owner") is not None or safe is not None) else None,
        }

    nperm = gov.get("node_permission")
    if nperm is not None:
        enodes = nperm.get("enodes")
        ids = []
        if not isinstance(enodes, list) or not enodes:
            errors.append(_err("node_permission.enodes", "required, the enode URLs of the consortium's nodes",
                               "list every node's enode: the others cannot connect to one left out"))
        else:
            seen = set()
            for i, value in enumerate(enodes):
                node = _node_id(value, "node_permission.enodes[%d]" % i, errors)
                if node is not None and node in seen:
                    errors.append(_err("node_permission.enodes[%d]" % i, "the same node id twice", "list each node once"))
                elif node is not None:
                    seen.add(node)
                    ids.append(node)
        plan["node_permission"] = {
            "address": place("the node permission contract", nperm.get("address"), DEFAULT_ADDRESSES["node_permission"],
                             "node_permission.address"),
            "enodes": ids,
            "owner": owner_of(nperm, "node_permission"),
        }
    if errors:
        raise InputError(errors)
    return plan


# ---------------------------------------------------------------------------------------------
# py-evm helpers
# ---------------------------------------------------------------------------------------------

def _bytes_addr(address):
    return bytes.fromhex(address[2:])


def _selector(signature):
    return function_signature_to_4byte_selector(signature)


def call(state, to, data, sender=ZERO_ADDRESS_BYTES, gas=CALL_GAS):
    """Run a message call on the state the way a client's contract call does, and undo it.

    Returns (ok, output). Nothing the call does is kept (the clients call on a throw-away state).
    """
    from eth.vm.message import Message
    to_bytes = _bytes_addr(to) if isinstance(to, str) else to
    snapshot = state.snapshot()
    try:
        message = Message(gas=gas, to=to_bytes, sender=sender, value=0, data=data, code=state.get_code(to_bytes))
        tx_context = state.get_transaction_context_class()(gas_price=0, origin=sender)
        computation = state.computation_class.apply_message(state, message, tx_context)
        return (not computation.is_error), bytes(computation.output)
    finally:
        state.revert(snapshot)


def _view(state, to, signature, out_types, args_types=(), args=()):
    data = _selector(signature) + (abi_encode(list(args_types), list(args)) if args_types else b"")
    ok, output = call(state, to, data)
    if not ok:
        return None
    try:
        return abi_decode(list(out_types), output)
    except Exception:  # pylint: disable=broad-except
        # Any undecodable output is what the clients treat as a failed call.
        return None


class _StorageRecorder:
    """Records which slots SSTORE wrote, per address, by wrapping the state's set_storage.

    Written by hand: py-evm keeps storage in a trie keyed by keccak(slot), which cannot be listed,
    and a genesis account needs its slots in the clear.
    """

    def __init__(self, state):
        self.state = state
        self.slots = {}
        self._original = state.set_storage

    def __enter__(self):
        original = self._original
        slots = self.slots

        def recording(address, slot, value):
            slots.setdefault(bytes(address), set()).add(slot)
            return original(address, slot, value)
        self.state.set_storage = recording
        return self

    def __exit__(self, *exc):
        self.state.set_storage = self._original
        return False


def _load_artifact(artifacts_dir, key):
    path = os.path.join(artifacts_dir, ARTIFACTS[key])
    if not os.path.isfile(path):
        raise InputError([_err(key, "artifact %s not found" % path,
                               "build and commit the contracts (contracts/artifacts), or set artifacts_dir to the "
                               "directory that holds them")])
    try:
        with open(path, "r", encoding="utf-8") as handle:
            data = json.load(handle)
        abi = data["abi"]
        bytecode = bytes.fromhex(data["bytecode"][2:] if data["bytecode"].startswith("0x") else data["bytecode"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError([_err(key, "artifact %s is not a JSON {abi, bytecode}: %s" % (path, exc))]) from None
    if not bytecode:
        raise InputError([_err(key, "artifact %s has an empty bytecode" % path)])
    return abi, bytecode, path


def _constructor_args(abi, args, key, path):
    entry = next((e for e in abi if e.get("type") == "constructor"), {"inputs": []})
    types = [i["type"] for i in entry.get("inputs", [])]
    if len(types) != len(args):
        raise InputError([_err(key, "the constructor in %s takes (%s), expected %d arguments"
                               % (path, ", ".join(types), len(args)), "rebuild the artifact from contracts/")])
    return abi_encode(types, args)


def _create(state, address, init_code, what):
    from eth.vm.message import Message
    from eth.constants import CREATE_CONTRACT_ADDRESS
    target = _bytes_addr(address)
    if state.get_code(target) or state.get_nonce(target):
        raise InputError([_err(what, "%s already holds an account with code or a nonce in the accounts option"
                               % address, "give the contract another address, or remove that account")])
    message = Message(gas=CALL_GAS, to=CREATE_CONTRACT_ADDRESS, sender=ZERO_ADDRESS_BYTES, value=0, data=b"",
                      code=init_code, create_address=target)
    tx_context = state.get_transaction_context_class()(gas_price=0, origin=ZERO_ADDRESS_BYTES)
    computation = state.computation_class.apply_create_message(state, message, tx_context)
    if computation.is_error:
        raise InputError([_err(what, "the constructor failed in the EVM: %s" % computation.error,
                               "check the constructor arguments (owners, lists) and the artifact")])


def _checksum(addresses):
    return [to_checksum_address(a) for a in addresses]


def predeploy(spec, plan, artifacts_dir):
    """Run the governance constructors on the genesis state of ``spec`` (the spec rendered without
    them); return ({address: genesis account entry}, [report lines]).
    """
    state, failures = parity_genesis_state(spec)
    if failures:
        raise InputError(["accounts: a constructor failed: %s" % ", ".join(e for _a, e in failures)])
    targets = []
    with _StorageRecorder(state) as recorder:
        safe = plan.get("safe")
        if safe:
            abi, code, _path = _load_artifact(artifacts_dir, "safe_singleton")
            # The singleton's own constructor sets its threshold to 1, so nobody can set it up.
            _create(state, safe["singleton"], code, "safe.singleton_address")
            proxy_abi, proxy_code, proxy_path = _load_artifact(artifacts_dir, "safe_proxy")
            _create(state, safe["address"], proxy_code + _constructor_args(
                proxy_abi, [to_checksum_address(safe["singleton"])], "safe", proxy_path), "safe.address")
            setup = _selector("setup(address[],uint256,address,bytes,address,address,uint256,address)") + abi_encode(
                ["address[]", "uint256", "address", "bytes", "address", "address", "uint256", "address"],
                [_checksum(safe["owners"]), safe["threshold"], ZERO_ADDRESS, b"", ZERO_ADDRESS, ZERO_ADDRESS, 0,
                 ZERO_ADDRESS])
            ok, output = call_keep(state, safe["address"], setup)
            if not ok:
                raise InputError([_err("safe", "setup(owners, threshold) reverted in the EVM (output 0x%s)" % output.hex(),
                                       "check owners and threshold")])
            targets += [safe["singleton"], safe["address"]]
        vset = plan.get("validator_set")
        if vset and vset["predeploy"]:
            abi, code, path = _load_artifact(artifacts_dir, "validator_set")
            _create(state, vset["address"], code + _constructor_args(
                abi, [to_checksum_address(vset["owner"]), _checksum(plan["validators"])], "validator_set", path),
                "validator_set")
            targets.append(vset["address"])
        txp = plan.get("tx_permission")
        if txp and not txp.get("custom"):
            abi, code, path = _load_artifact(artifacts_dir, "tx_permission")
            full, deployers, transactors = tx_permission_lists(plan)
            _create(state, txp["address"], code + _constructor_args(
                abi, [to_checksum_address(txp["owner"]), _checksum(full), _checksum(deployers), _checksum(transactors),
                      txp["default_types"]], "tx_permission", path), "tx_permission")
            targets.append(txp["address"])
        nperm = plan.get("node_permission")
        if nperm:
            abi, code, path = _load_artifact(artifacts_dir, "node_permission")
            _create(state, nperm["address"], code + _constructor_args(
                abi, [to_checksum_address(nperm["owner"]), list(nperm["enodes"])], "node_permission", path),
                "node_permission")
            targets.append(nperm["address"])
    stray = sorted("0x" + a.hex() for a in recorder.slots if "0x" + a.hex() not in targets)
    if stray:
        raise InputError([_err("", "a governance constructor wrote storage outside its own account (%s)"
                               % ", ".join(stray), "rebuild the contracts from contracts/")])
    accounts = {}
    for address in targets:
        raw = _bytes_addr(address)
        entry = {"code": "0x" + state.get_code(raw).hex()}
        storage = {}
        for slot in sorted(recorder.slots.get(raw, ())):
            value = state.get_storage(raw, slot)
            if value:
                storage["0x%064x" % slot] = "0x%064x" % value
        if storage:
            entry["storage"] = storage
        nonce = state.get_nonce(raw)
        if nonce:
            entry["nonce"] = hex(nonce)
        balance = state.get_balance(raw)
        if balance:
            entry["balance"] = str(balance)
        accounts[address] = entry
    report = []
    if safe:
        owners = _view(state, safe["address"], "getOwners()", ["address[]"])
        threshold = _view(state, safe["address"], "getThreshold()", ["uint256"])
        if owners is None or [a.lower() for a in owners[0]] != safe["owners"] or threshold != (safe["threshold"],):
            raise InputError([_err("safe", "the predeployed Safe reads back owners %s, threshold %s instead of %s, %d"
                                   % (owners and list(owners[0]), threshold and threshold[0], safe["owners"],
                                      safe["threshold"]))])
        report.append("safe %s: %d of %d owners" % (safe["address"], safe["threshold"], len(safe["owners"])))
    return accounts, report


def call_keep(state, to, data, sender=ZERO_ADDRESS_BYTES):
    """A message call whose effects stay in the state (the Safe's setup at genesis)."""
    from eth.vm.message import Message
    to_bytes = _bytes_addr(to)
    message = Message(gas=CALL_GAS, to=to_bytes, sender=sender, value=0, data=data, code=state.get_code(to_bytes))
    tx_context = state.get_transaction_context_class()(gas_price=0, origin=sender)
    computation = state.computation_class.apply_message(state, message, tx_context)
    return (not computation.is_error), bytes(computation.output)


def tx_permission_lists(plan):
    """(full access, deployers, transactors) for the TxPermission constructor.

    Full access: the validators and the safe. The Safe's owners are transactors, so at least
    they can send the Safe's execTransaction; each address is in one list only.
    """
    full = list(dict.fromkeys((plan.get("validators") or []) + ([plan["safe"]["address"]] if plan.get("safe") else [])))
    txp = plan["tx_permission"]
    deployers = [a for a in txp["deployers"] if a not in full]
    owners = plan["safe"]["owners"] if plan.get("safe") else []
    transactors = [a for a in dict.fromkeys(txp["transactors"] + owners) if a not in full and a not in deployers]
    return full, deployers, transactors


# ---------------------------------------------------------------------------------------------
# Lock-out check: the clients' calls on the final genesis state
# ---------------------------------------------------------------------------------------------

def _mask_names(mask):
    return "|".join(name for bit, name in TYPE_NAMES if mask & bit) or "none"


def allowed_types(state, contract, sender, to, value, gas_price, gas_limit, data):
    """The permission mask the clients derive for a transaction (OpenEthereum tx_filter.rs
    TransactionFilter::transaction_allowed): contractVersion(), then allowedTxTypes of that
    version; a failed or undecodable call means no rights. For a create, ``to`` is 0x0."""
    sender_cs, to_cs = to_checksum_address(sender), to_checksum_address(to)
    version = _view(state, contract, "contractVersion()", ["uint256"])
    if version is None:
        # No contractVersion: the deprecated interface, allowedTxTypes(address) returns uint32.
        result = _view(state, contract, "allowedTxTypes(address)", ["uint32"], ["address"], [sender_cs])
        return (result[0] if result else 0), "deprecated"
    version = version[0]
    if version == 2:
        result = _view(state, contract, "allowedTxTypes(address,address,uint256)", ["uint32", "bool"],
                       ["address", "address", "uint256"], [sender_cs, to_cs, value])
    elif version == 3:
        result = _view(state, contract, "allowedTxTypes(address,address,uint256,uint256,bytes)", ["uint32", "bool"],
                       ["address", "address", "uint256", "uint256", "bytes"], [sender_cs, to_cs, value, gas_price, data])
    elif version == 4:
        # OpenEthereum passes the gas price (a 1559 transaction's max fee) as maxFeePerGas.
        result = _view(state, contract, "allowedTxTypes(address,address,uint256,uint256,uint256,uint256,bytes)",
                       ["uint32", "bool"], ["address", "address", "uint256", "uint256", "uint256", "uint256", "bytes"],
                       [sender_cs, to_cs, value, gas_price, 0, gas_limit, data])
    else:
        return 0, "unknown version %d" % version
    return (result[0] if result else 0), "v%d" % version


def check_lockout(spec, plan):
    """Replay the clients' calls on the genesis state of the final ``spec``; return report lines.

    Raises InputError naming each address, its role and the rights it lacks.
    """
    state, failures = parity_genesis_state(spec)
    if failures:
        raise InputError(["accounts: a constructor failed: %s" % ", ".join(e for _a, e in failures)])
    errors, report = [], []
    vset = plan.get("validator_set")
    if vset and not vset["predeploy"]:
        # Not in the genesis: its set is checked on the running chain before the switch.
        report.append("validator set %s: deployed on the running chain, from block %d" % (
            vset["address"], vset["from_block"]))
    elif vset:
        got = _view(state, vset["address"], "getValidators()", ["address[]"])
        got = [a.lower() for a in got[0]] if got else None
        if got != plan["validators"]:
            errors.append(_err("validator_set", "getValidators() from 0x0 on the genesis state returns %s, not the "
                               "validators %s: the chain could not seal" % (got, plan["validators"]),
                               "check the ValidatorSet artifact and the validators list"))
        else:
            report.append("validator set %s: getValidators() = %d validators" % (vset["address"], len(got)))
    safe = plan.get("safe")
    if safe:
        owners = _view(state, safe["address"], "getOwners()", ["address[]"])
        threshold = _view(state, safe["address"], "getThreshold()", ["uint256"])
        if owners is None or [a.lower() for a in owners[0]] != safe["owners"] or threshold != (safe["threshold"],):
            errors.append(_err("safe", "the Safe at %s reads back owners %s, threshold %s" % (
                safe["address"], owners and list(owners[0]), threshold and threshold[0])))
    txp = plan.get("tx_permission")
    if txp:
        errors += _check_tx_permission(state, spec, plan, report)
    nperm = plan.get("node_permission")
    if nperm:
        ids = nperm["enodes"]
        for own in ids:
            for peer in ids:
                if own == peer:
                    continue
                result = _view(state, nperm["address"], "connectionAllowed(bytes32,bytes32,bytes32,bytes32)", ["bool"],
                               ["bytes32"] * 4, [own[:32], own[32:], peer[:32], peer[32:]])
                if not result or not result[0]:
                    errors.append(_err("node_permission", "connectionAllowed(%s..., %s...) is false: node %s... would "
                                       "refuse node %s..." % (own.hex()[:16], peer.hex()[:16], own.hex()[:16],
                                                              peer.hex()[:16]), "list every node's enode"))
        if len(ids) > 1 and not any(e.startswith("governance.node_permission") for e in errors):
            report.append("node permission %s: %d nodes connect to each other" % (nperm["address"], len(ids)))
    if errors:
        raise InputError(errors)
    return report


def _check_tx_permission(state, spec, plan, report):
    txp = plan["tx_permission"]
    contract = txp["address"]
    if not state.get_code(_bytes_addr(contract)):
        if txp["from_block"] == 0:
            return [_err("tx_permission.address", "%s has no code at genesis, yet the clients ask it from block 0: "
                         "every transaction would be refused" % contract,
                         "give its code in accounts, or let the module predeploy TxPermission")]
        report.append("tx permission %s: no code at genesis, not checked (applies from block %d)"
                      % (contract, txp["from_block"]))
        return []
    gas_price = max(parity_base_fee(spec) or 0, 1_000_000_000)
    safe = plan.get("safe")
    call_target = safe["address"] if safe else contract
    roles = []
    for address in plan.get("validators") or []:
        roles.append((address, "validator", BASIC | CALL | CREATE))
    if safe:
        roles.append((safe["address"], "the safe", BASIC | CALL | CREATE))
        roles += [(a, "safe owner", BASIC | CALL) for a in safe["owners"]]
    roles += [(a, "deployer", CREATE) for a in txp["deployers"]]
    roles += [(a, "transactor", BASIC | CALL) for a in txp["transactors"]]
    needed = {}
    for address, role, bits in roles:
        entry = needed.setdefault(address, [set(), 0])
        entry[0].add(role)
        entry[1] |= bits
    transfer_to = next((a for a in PROBE_TRANSFER_TO if not state.get_code(_bytes_addr(a))), PROBE_TRANSFER_TO[0])
    probes = ((BASIC, transfer_to, 1, 21_000, b""),
              (CALL, call_target, 0, 200_000, _selector("getThreshold()") if safe else _selector("contractVersion()")),
              (CREATE, ZERO_ADDRESS, 0, 1_000_000, PROBE_INIT_CODE))
    errors, version = [], None
    for address, (roles_of, bits) in needed.items():
        missing = 0
        for bit, to, value, gas_limit, data in probes:
            if not bits & bit:
                continue
            mask, version = allowed_types(state, contract, address, to, value, gas_price, gas_limit, data)
            if not mask & bit:
                missing |= bit
        if missing:
            errors.append(_err("tx_permission", "%s (%s) lacks %s at genesis: the permission contract %s (%s) from 0x0 "
                               "refuses its %s" % (address, ", ".join(sorted(roles_of)), _mask_names(missing), contract,
                                                   version,
                                                   ", ".join({BASIC: "transfer", CALL: "call", CREATE: "create"}[b]
                                                             for b, _n in TYPE_NAMES if missing & b)),
                               "give it these rights in the contract (deployers, transactors, default_types), or "
                               "remove it from that role"))
    if not errors:
        report.append("tx permission %s (%s): %d addresses keep their rights" % (contract, version, len(needed)))
    return errors


# ---------------------------------------------------------------------------------------------
# The whole render
# ---------------------------------------------------------------------------------------------

def render_with_governance(inputs, gov, artifacts_dir=None, engine=None):
    """Render a parity spec whose genesis holds the governance contracts. Returns (spec, warnings, report).

    Raises InputError; nothing is written by this function.
    """
    fmt = inputs.get("format") or "parity"
    if fmt != "parity":
        raise InputError([_err("", "only for format parity (Aura): Clique votes its signers in, and geth enforces no "
                               "permission contract", "render the geth genesis without governance")])
    plan = parse_governance(gov, inputs.get("validators"))
    errors = []
    if plan.get("node_permission") and engine == "nethermind":
        errors.append(_err("node_permission", "Nethermind has no node permission contract "
                           "(params.nodePermissionContract is OpenEthereum's); it would let any node connect",
                           "remove node_permission, or run OpenEthereum"))
    inputs = dict(inputs)
    user_accounts = {_lower(k): v for k, v in (inputs.get("accounts") or {}).items()} if isinstance(
        inputs.get("accounts"), dict) else {}
    txp = plan.get("tx_permission")
    if txp:
        given = inputs.get("transaction_permission_contract")
        if given is not None and _lower(given) != txp["address"]:
            errors.append(_err("tx_permission.address", "transaction_permission_contract is %s too" % given,
                               "set one of them"))
        user = user_accounts.get(txp["address"])
        txp["custom"] = isinstance(user, dict) and (user.get("code") or user.get("constructor")) is not None
        if not txp["custom"] and txp["owner"] is None:
            errors.append(_err("tx_permission.owner", "no owner: neither an owner nor a safe is given",
                               "add a safe or an owner"))
        inputs["transaction_permission_contract"] = txp["address"]
        inputs["transaction_permission_contract_transition"] = txp["from_block"]
    targets = {}
    if plan.get("safe"):
        targets[plan["safe"]["address"]] = "safe.address"
        targets[plan["safe"]["singleton"]] = "safe.singleton_address"
    for key in ("validator_set", "node_permission"):
        if plan.get(key) and plan[key].get("predeploy", True):
            targets[plan[key]["address"]] = key + ".address"
    if txp and not txp["custom"]:
        targets[txp["address"]] = "tx_permission.address"
    for address, path in targets.items():
        if address in user_accounts:
            errors.append(_err(path, "%s is also in the accounts option" % address,
                               "remove that account or move the contract"))
    nperm = plan.get("node_permission")
    if nperm:
        params = dict(inputs.get("params") or {})
        given = params.get("nodePermissionContract")
        if given is not None and _lower(given) != nperm["address"]:
            errors.append(_err("node_permission.address", "params.nodePermissionContract is %s too" % given,
                               "set one of them"))
        params["nodePermissionContract"] = nperm["address"]
        inputs["params"] = params
    vset = plan.get("validator_set")
    if vset:
        initial = inputs["validators"]
        if vset["from_block"] == 0:
            inputs["validators"] = {"safeContract": vset["address"]}
        else:
            inputs["validators"] = {"multi": {0: initial, vset["from_block"]: {"safeContract": vset["address"]}}}
    if errors:
        raise InputError(errors)
    artifacts_dir = artifacts_dir or default_artifacts_dir()
    needs_artifacts = plan.get("safe") or (vset and vset["predeploy"]) or nperm or (txp and not txp["custom"])
    if needs_artifacts and not (artifacts_dir and os.path.isdir(artifacts_dir)):
        raise InputError([_err("", "no artifacts directory (%s)" % artifacts_dir,
                               "set artifacts_dir to the collection's contracts/artifacts")])
    # First render: the spec without the predeploys, for the genesis environment they run in.
    probe, _warnings = render(inputs)
    try:
        predeployed, report = predeploy(probe, plan, artifacts_dir)
    except SpecError as exc:
        raise InputError([str(exc)]) from None
    accounts = dict(inputs.get("accounts") or {})
    accounts.update(predeployed)
    inputs["accounts"] = accounts
    spec, warnings = render(inputs)
    try:
        report += check_lockout(spec, plan)
    except SpecError as exc:
        raise InputError([str(exc)]) from None
    return spec, warnings, report
