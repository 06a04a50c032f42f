# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Aura chain spec: render from structured inputs, validate the way the clients read it.

``render_parity(inputs)`` builds an OpenEthereum/Nethermind chain spec (dict);
``render_geth(inputs)`` builds a geth-style Clique genesis.json from the same inputs;
``canonical_json(doc)`` gives the bytes to write; ``validate_spec(doc)`` checks any existing spec
and returns (errors, warnings), each message starting with the JSON path of the field.

Each rule cites where the clients enforce it. "OE" is openethereum/openethereum v3.3
(crates/ethjson/src/spec/*.rs, serde ``deny_unknown_fields`` structs); "NM" is
NethermindEth/nethermind (src/Nethermind/Nethermind.Specs/ChainSpecStyle/ChainSpecLoader.cs and
the AuRa plugin). The full list is in docs/chain-spec.md. No client code is copied here.
"""

from __future__ import annotations

import json
import re

from ansible_collections.poa.consortium.plugins.module_utils.constants import ZERO_ADDRESS
from ansible_collections.poa.consortium.plugins.module_utils.genesis import (
    DEFAULT_BASE_FEE,
    SpecError,
    detect_format,
    parse_bytes,
    parse_uint,
)
from ansible_collections.poa.consortium.plugins.module_utils.units import parse_wei

try:
    from eth_utils import is_checksum_address, to_checksum_address
    HAS_ETH_UTILS = True
except ImportError:  # pragma: no cover
    HAS_ETH_UTILS = False

# ---------------------------------------------------------------------------------------------
# Field sets the clients accept. OE rejects any other key (serde deny_unknown_fields).
# ---------------------------------------------------------------------------------------------

# OE crates/ethjson/src/spec/spec.rs struct Spec
SPEC_KEYS = {"name", "dataDir", "engine", "params", "genesis", "accounts", "nodes"}
SPEC_REQUIRED = ("name", "engine", "params", "genesis", "accounts")
# OE crates/ethjson/src/spec/engine.rs enum Engine
ENGINE_KEYS = {"null", "instantSeal", "Ethash", "basicAuthority", "authorityRound", "clique"}
# OE crates/ethjson/src/spec/authority_round.rs struct AuthorityRoundParams
AURA_KEYS = {
    "stepDuration", "validators", "startStep", "validateScoreTransition", "validateStepTransition",
    "immediateTransitions", "blockReward", "blockRewardContractTransition", "blockRewardContractAddress",
    "blockRewardContractTransitions", "blockRewardContractCode", "maximumUncleCountTransition",
    "maximumUncleCount", "emptyStepsTransition", "maximumEmptySteps", "strictEmptyStepsTransition",
    "twoThirdsMajorityTransition", "randomnessContractAddress", "blockGasLimitContractTransitions",
    "posdaoTransition", "rewriteBytecode",
}
# OE crates/ethjson/src/spec/params.rs struct Params
PARAM_KEYS = {
    "accountStartNonce", "maximumExtraDataSize", "minGasLimit", "networkID", "chainID", "subprotocolName",
    "forkBlock", "forkCanonHash", "eip150Transition", "eip160Transition", "eip161abcTransition",
    "eip161dTransition", "eip98Transition", "eip155Transition", "validateChainIdTransition",
    "validateReceiptsTransition", "eip140Transition", "eip210Transition", "eip210ContractAddress",
    "eip210ContractCode", "eip210ContractGas", "eip211Transition", "eip145Transition", "eip214Transition",
    "eip658Transition", "eip1052Transition", "eip1283Transition", "eip1283DisableTransition",
    "eip1283ReenableTransition", "eip1014Transition", "eip1706Transition", "eip1344Transition",
    "eip1884Transition", "eip2028Transition", "eip2315Transition", "eip2929Transition", "eip2930Transition",
    "eip1559Transition", "eip3198Transition", "eip3529Transition", "eip3541Transition", "eip3607Transition",
    "dustProtectionTransition", "nonceCapIncrement", "removeDustContracts", "gasLimitBoundDivisor",
    "registrar", "applyReward", "nodePermissionContract", "maxCodeSize", "maxTransactionSize",
    "maxCodeSizeTransition", "transactionPermissionContract", "transactionPermissionContractTransition",
    "wasmActivationTransition", "wasmDisableTransition", "kip4Transition", "kip6Transition",
    "eip1559BaseFeeMaxChangeDenominator", "eip1559ElasticityMultiplier", "eip1559BaseFeeInitialValue",
    "eip1559BaseFeeMinValue", "eip1559BaseFeeMinValueTransition", "eip1559FeeCollector",
    "eip1559FeeCollectorTransition", "validateServiceTransactionsTransition",
}
PARAM_REQUIRED = ("maximumExtraDataSize", "minGasLimit", "networkID", "gasLimitBoundDivisor")
REQUIRED_PARAM_EXAMPLES = {"maximumExtraDataSize": "\"0x20\"", "minGasLimit": "\"0x1388\"",
                           "networkID": "your chain's id", "gasLimitBoundDivisor": "\"0x400\""}
PARAM_ADDRESSES = {"registrar", "nodePermissionContract", "transactionPermissionContract", "eip210ContractAddress",
                   "eip1559FeeCollector"}
# Params only Nethermind reads; OE 3.3 refuses the whole file when it sees them. Each has an
# OE-compatible way to say the same thing.
NETHERMIND_ONLY_PARAMS = {
    "eip152Transition": "give builtin blake2_f a pricing entry at that block (NM derives eip152 from it)",
    "eip1108Transition": "give the alt_bn128 builtins their Istanbul prices at that block (NM derives eip1108 from it)",
    "eip2200Transition": "write eip1283Transition (or eip1283ReenableTransition) and eip1706Transition at that block",
    "eip2565Transition": "give builtin modexp a {\"modexp2565\": {}} pricing entry at that block",
}
# OE crates/ethjson/src/spec/genesis.rs struct Genesis
GENESIS_KEYS = {"seal", "difficulty", "author", "timestamp", "parentHash", "gasLimit", "transactionsRoot",
                "receiptsRoot", "stateRoot", "gasUsed", "extraData", "baseFeePerGas"}
# OE crates/ethjson/src/spec/account.rs struct Account
ACCOUNT_KEYS = {"builtin", "balance", "nonce", "code", "storage", "constructor"}
# OE crates/ethjson/src/spec/builtin.rs
BUILTIN_KEYS = {"name", "pricing", "activate_at"}
PRICING_FIELDS = {
    "linear": {"base", "word"}, "modexp": {"divisor"}, "modexp2565": set(),
    "alt_bn128_pairing": {"base", "pair"}, "alt_bn128_const_operations": {"price"},
    "blake2_f": {"gas_per_round"}, "bls12_const_operations": {"price"}, "bls12_pairing": {"base", "pair"},
    "bls12_g1_multiexp": {"base"}, "bls12_g2_multiexp": {"base"},
}

# Chain and network ids of public chains: a private chain reusing one invites replayed
# transactions and wallets pointing at the wrong network.
PUBLIC_CHAIN_IDS = {
    1: "Ethereum mainnet", 2: "Morden/Expanse", 3: "Ropsten", 4: "Rinkeby", 5: "Goerli", 10: "Optimism",
    42: "Kovan", 56: "BNB Smart Chain", 61: "Ethereum Classic", 77: "POA Sokol", 99: "POA Core",
    100: "Gnosis (xDai)", 134: "iExec Bellecour", 137: "Polygon", 246: "Energy Web Chain", 250: "Fantom",
    8453: "Base", 17000: "Holesky", 42161: "Arbitrum One", 43114: "Avalanche C-Chain", 73799: "Energy Web Volta",
    11155111: "Sepolia", 560048: "Hoodi",
}

FORK_ORDER = ("homestead", "tangerine_whistle", "spurious_dragon", "byzantium", "constantinople",
              "petersburg", "istanbul", "berlin", "london")
FORK_ALIASES = {"tangerinewhistle": "tangerine_whistle", "eip150": "tangerine_whistle",
                "spuriousdragon": "spurious_dragon", "eip158": "spurious_dragon",
                "constantinoplefix": "petersburg", "frontier": "homestead"}

ADDRESS_RE = re.compile(r"^0x[0-9a-fA-F]{40}$")
ENODE_RE = re.compile(r"^enode://[0-9a-fA-F]{128}@[^:/\s]+:\d{1,5}(\?discport=\d{1,5})?$")

DEFAULT_GAS_LIMIT = 10_000_000
DEFAULT_DIFFICULTY = 0x20000
ZERO_SIGNATURE = "0x" + "00" * 65


class InputError(ValueError):
    """Bad module inputs: a list of 'path: message (fix: ...)' strings."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("; ".join(self.errors))


def _err(path, message, fix=None):
    if fix is None:
        if message.startswith("must be ") or message.startswith("must hold "):
            fix = "make it " + message.split(" ", 1)[1].split(" (", 1)[0]
        elif message.startswith("missing required field"):
            fix = "add the field"
    return "%s: %s%s" % (path, message, " (fix: %s)" % fix if fix else "")


# ---------------------------------------------------------------------------------------------
# Validation of an arbitrary existing spec
# ---------------------------------------------------------------------------------------------

class _Checker:
    def __init__(self):
        self.errors = []
        self.warnings = []

    def error(self, path, message, fix=None):
        self.errors.append(_err(path, message, fix))

    def warn(self, path, message, fix=None):
        self.warnings.append(_err(path, message, fix))

    def uint(self, value, path, bits=256, nonzero=False):
        try:
            result = parse_uint(value, path, bits)
        except SpecError as exc:
            self.errors.append(str(exc))
            return None
        if nonzero and result == 0:
            # OE ethjson uint::validate_non_zero (gasLimitBoundDivisor, genesis gasLimit)
            self.error(path, "must not be 0 (OpenEthereum refuses it: validate_non_zero)", "use a value > 0")
        return result

    def address(self, value, path):
        if not isinstance(value, str):
            self.error(path, "expected an address string, got %s" % type(value).__name__, "write \"0x\" + 40 hex digits")
            return None
        text = value if value[:2] in ("0x", "0X") else "0x" + value
        if not ADDRESS_RE.match(text):
            self.error(path, "%r is not an address (0x + 40 hex digits)" % (value,), "fix the address")
            return None
        body = text[2:]
        if HAS_ETH_UTILS and body != body.lower() and body != body.upper() and not is_checksum_address(text):
            self.warn(path, "%s has mixed case but a wrong EIP-55 checksum: possibly a typo" % value,
                      "check it; write %s if the address is right" % to_checksum_address(text.lower()))
        return text.lower()

    def unknown_keys(self, obj, allowed, path, what):
        for key in obj:
            if key not in allowed:
                self.error("%s.%s" % (path, key) if path else key,
                           "unknown %s field; OpenEthereum 3.3 refuses the whole spec (serde deny_unknown_fields)" % what,
                           "remove it or fix its spelling")


def validate_spec(spec):
    """Validate a parity chain spec. Returns (errors, warnings): lists of 'path: message' strings."""
    c = _Checker()
    if not isinstance(spec, dict):
        c.error("$", "a chain spec must be a JSON object", "write {\"name\": ..., \"engine\": ..., ...}")
        return c.errors, c.warnings
    for key in SPEC_REQUIRED:
        if key not in spec:
            c.error(key, "missing required field (OpenEthereum ethjson Spec)", "add \"%s\"" % key)
    c.unknown_keys(spec, SPEC_KEYS, "", "top-level")
    if "name" in spec and not isinstance(spec["name"], str):
        c.error("name", "must be a string", "write a chain name")
    _check_engine(c, spec.get("engine"))
    _check_params(c, spec.get("params"))
    _check_genesis(c, spec)
    _check_accounts(c, spec.get("accounts"))
    nodes = spec.get("nodes")
    if nodes is not None:
        if not isinstance(nodes, list):
            c.error("nodes", "must be a list of enode URLs", "write [\"enode://<128 hex>@<ip>:<port>\"]")
        else:
            for i, node in enumerate(nodes):
                if not isinstance(node, str) or not ENODE_RE.match(node):
                    c.error("nodes[%d]" % i, "%r is not an enode URL" % (node,),
                            "write enode://<128 hex node id>@<host>:<port>")
    return c.errors, c.warnings


def _check_engine(c, engine):
    if engine is None:
        return
    if not isinstance(engine, dict) or len(engine) != 1:
        c.error("engine", "must be an object with exactly one engine", "write {\"authorityRound\": {\"params\": {...}}}")
        return
    name = next(iter(engine))
    if name not in ENGINE_KEYS:
        c.error("engine.%s" % name, "unknown engine (OpenEthereum ethjson Engine)", "use authorityRound")
        return
    if name != "authorityRound":
        c.warn("engine.%s" % name, "not an Aura (authorityRound) engine; only generic checks were done")
        return
    aura = engine[name]
    if not isinstance(aura, dict) or "params" not in aura:
        c.error("engine.authorityRound.params", "missing", "write {\"params\": {\"stepDuration\": 5, \"validators\": {...}}}")
        return
    c.unknown_keys(aura, {"params"}, "engine.authorityRound", "authorityRound")
    params = aura["params"]
    base = "engine.authorityRound.params"
    if not isinstance(params, dict):
        c.error(base, "must be an object")
        return
    c.unknown_keys(params, AURA_KEYS, base, "authorityRound params")
    # stepDuration: OE StepDuration (single or {block: seconds}). OE's AuRa engine
    # (crates/ethcore/src/engines/authority_round/mod.rs, From<ethjson AuthorityRoundParams>)
    # panics on 0 ("step duration cannot be 0"), clamps values above 65535 with a warning, and
    # indexes the map at block 0 (step_durations[&0]); NM's step calculator divides by it.
    if "stepDuration" not in params:
        c.error(base + ".stepDuration", "missing required field", "add \"stepDuration\": 5")
    else:
        sd = params["stepDuration"]
        if isinstance(sd, dict):
            if not sd:
                c.error(base + ".stepDuration", "empty transition map", "write {\"0\": 5}")
            for block, secs in sd.items():
                c.uint(block, "%s.stepDuration.%s(block)" % (base, block), 64)
                _check_step(c, c.uint(secs, "%s.stepDuration.%s" % (base, block), 64), "%s.stepDuration.%s" % (base, block))
            if sd and "0" not in sd and not any(_is_zero_key(k) for k in sd):
                c.error(base + ".stepDuration", "no duration for block 0", "add a \"0\" entry")
        else:
            _check_step(c, c.uint(sd, base + ".stepDuration", 64), base + ".stepDuration")
    if "validators" not in params:
        c.error(base + ".validators", "missing required field", "add \"validators\": {\"list\": [...]}")
    else:
        _check_validators(c, params["validators"], base + ".validators", nested=False)
    br = params.get("blockReward")
    if br is not None:
        if isinstance(br, dict):
            for block, value in br.items():
                c.uint(block, "%s.blockReward.%s(block)" % (base, block), 64)
                c.uint(value, "%s.blockReward.%s" % (base, block))
        else:
            c.uint(br, base + ".blockReward")
    # Uncles: NM allows 2 uncles per block unless maximumUncleCountTransition is set
    # (AuRaChainSpecEngineParameters.MaximumUncleCount/Transition, default not set); OE's AuRa
    # allows 0 unless maximumUncleCount says otherwise. Only explicit fields make them agree.
    if "maximumUncleCountTransition" not in params or "maximumUncleCount" not in params:
        c.warn(base + ".maximumUncleCount",
               "maximumUncleCount/maximumUncleCountTransition not both set: Nethermind then accepts 2 uncles per "
               "block while OpenEthereum accepts 0, and the clients can fork",
               "write \"maximumUncleCountTransition\": 0, \"maximumUncleCount\": 0")
    for key in ("maximumUncleCountTransition", "maximumUncleCount", "blockRewardContractTransition", "startStep",
                "validateScoreTransition", "validateStepTransition", "emptyStepsTransition", "maximumEmptySteps",
                "strictEmptyStepsTransition", "twoThirdsMajorityTransition", "posdaoTransition"):
        if key in params:
            c.uint(params[key], "%s.%s" % (base, key), 64)
    if "blockRewardContractAddress" in params:
        c.address(params["blockRewardContractAddress"], base + ".blockRewardContractAddress")
    for key in ("blockRewardContractTransitions", "randomnessContractAddress", "blockGasLimitContractTransitions"):
        value = params.get(key)
        if value is not None:
            if not isinstance(value, dict):
                c.error("%s.%s" % (base, key), "must be an object {block: address}")
                continue
            for block, addr in value.items():
                c.uint(block, "%s.%s.%s(block)" % (base, key, block), 64)
                c.address(addr, "%s.%s.%s" % (base, key, block))


def _check_step(c, seconds, path):
    if seconds == 0:
        c.error(path, "a step duration of 0 seconds (OpenEthereum panics)", "use 1 or more (e.g. 5)")
    elif seconds is not None and seconds > 0xFFFF:
        c.warn(path, "%d s: OpenEthereum clamps step durations to 65535 s, Nethermind does not" % seconds,
               "use at most 65535")


def _is_zero_key(key):
    try:
        return parse_uint(key, "k") == 0
    except SpecError:
        return False


def _check_validators(c, vset, path, nested):
    """OE ValidatorSet enum (list, safeContract, contract, multi); NM AuRaParameters.Validator."""
    if not isinstance(vset, dict) or len(vset) != 1:
        c.error(path, "must be an object with exactly one of list, safeContract, contract, multi",
                "write {\"list\": [\"0x...\"]}")
        return
    kind, value = next(iter(vset.items()))
    if kind == "list":
        if not isinstance(value, list) or not value:
            c.error(path + ".list", "empty validator set: no one can seal a block", "list at least one validator address")
            return
        seen = {}
        for i, addr in enumerate(value):
            norm = c.address(addr, "%s.list[%d]" % (path, i))
            if norm is None:
                continue
            if norm in seen:
                c.error("%s.list[%d]" % (path, i), "duplicate validator %s (also at index %d)" % (addr, seen[norm]),
                        "list each validator once")
            else:
                seen[norm] = i
    elif kind in ("safeContract", "contract"):
        norm = c.address(value, "%s.%s" % (path, kind))
        if norm == ZERO_ADDRESS:
            c.error("%s.%s" % (path, kind), "the zero address cannot hold a validator-set contract", "use the contract's address")
    elif kind == "multi":
        if nested:
            # NM MultiValidator refuses a multi inside a multi (Consensus.AuRa/Validators/MultiValidator.cs);
            # OE would accept it, so the clients would disagree.
            c.error(path, "a multi validator set cannot be nested inside another multi (Nethermind refuses it)",
                    "flatten the transitions into the outer multi")
            return
        if not isinstance(value, dict) or not value:
            c.error(path + ".multi", "empty multi validator set", "write {\"0\": {\"list\": [...]}}")
            return
        blocks = []
        for block, inner in value.items():
            b = c.uint(block, "%s.multi.%s(block)" % (path, block), 64)
            if b is not None:
                blocks.append(b)
            _check_validators(c, inner, "%s.multi.%s" % (path, block), nested=True)
        if blocks and 0 not in blocks:
            # OE validator_set/multi.rs asserts a set for block 0 exists.
            c.error(path + ".multi", "no validator set for block 0", "add a \"0\" entry")
        if len(set(blocks)) != len(blocks):
            c.error(path + ".multi", "the same block appears twice (e.g. \"10\" and \"0xa\")", "keep one entry per block")
    else:
        c.error("%s.%s" % (path, kind), "unknown validator set type", "use list, safeContract, contract or multi")


def _check_params(c, params):
    if params is None:
        return
    if not isinstance(params, dict):
        c.error("params", "must be an object")
        return
    for key in PARAM_REQUIRED:
        if key not in params:
            c.error("params.%s" % key, "missing required field (OpenEthereum ethjson Params)",
                    "add it, e.g. %s" % REQUIRED_PARAM_EXAMPLES[key])
    for key, value in params.items():
        path = "params.%s" % key
        if key in NETHERMIND_ONLY_PARAMS:
            c.error(path, "Nethermind reads this field but OpenEthereum 3.3 refuses the whole spec (unknown field)",
                    NETHERMIND_ONLY_PARAMS[key])
            continue
        if key not in PARAM_KEYS:
            c.error(path, "unknown params field; OpenEthereum 3.3 refuses the whole spec (serde deny_unknown_fields)",
                    "remove it or fix its spelling")
            continue
        if key in PARAM_ADDRESSES:
            c.address(value, path)
        elif key in ("removeDustContracts", "applyReward"):
            if not isinstance(value, bool):
                c.error(path, "must be true or false")
        elif key in ("subprotocolName",):
            if not isinstance(value, str):
                c.error(path, "must be a string")
        elif key in ("forkCanonHash",):
            try:
                if len(parse_bytes(value, path)) != 32:
                    c.error(path, "must be a 32-byte hash")
            except SpecError as exc:
                c.errors.append(str(exc))
        elif key == "eip210ContractCode":
            try:
                parse_bytes(value, path)
            except SpecError as exc:
                c.errors.append(str(exc))
        else:
            bits = 64 if (key.endswith("Transition") or key in ("networkID", "chainID")) else 256
            c.uint(value, path, bits, nonzero=(key == "gasLimitBoundDivisor"))
    # NM ChainSpecLoader.ValidateParams: with eip1283DisableTransition set, eip1283ReenableTransition
    # must equal eip1706Transition (both make up EIP-2200); eip1706 and eip2200 together are refused.

    def block(name):
        try:
            return parse_uint(params[name], "params." + name, 64) if params.get(name) is not None else None
        except SpecError:
            return None
    if params.get("eip1283DisableTransition") is not None and block("eip1283ReenableTransition") != block("eip1706Transition"):
        c.error("params.eip1283ReenableTransition",
                "must equal eip1706Transition when eip1283DisableTransition is set (Nethermind refuses the spec)",
                "set both to the Istanbul block")
    if params.get("eip1706Transition") is not None and params.get("eip2200Transition") is not None:
        c.error("params.eip2200Transition", "given together with eip1706Transition (Nethermind refuses the spec)",
                "drop eip2200Transition; eip1283(Reenable)Transition + eip1706Transition say the same")
    for name in ("networkID", "chainID"):
        value = block(name)
        if value in PUBLIC_CHAIN_IDS:
            c.warn("params.%s" % name, "%d is the id of %s: transactions signed for one chain replay on the other"
                   % (value, PUBLIC_CHAIN_IDS[value]), "pick an unused id (see chainlist.org)")
    london = block("eip1559Transition")
    if london is not None and params.get("eip1559Transition") is not None:
        for dep in ("eip3198Transition", "eip3529Transition", "eip3541Transition"):
            if params.get(dep) is None:
                c.warn("params.%s" % dep, "London (eip1559Transition) is set but %s is not" % dep,
                       "set it to the London block %d" % london)


def _check_genesis(c, spec):
    genesis = spec.get("genesis")
    if genesis is None:
        return
    if not isinstance(genesis, dict):
        c.error("genesis", "must be an object")
        return
    c.unknown_keys(genesis, GENESIS_KEYS, "genesis", "genesis")
    for key in ("seal", "difficulty", "gasLimit"):
        if key not in genesis:
            c.error("genesis.%s" % key, "missing required field (OpenEthereum ethjson Genesis)", "add it")
    if "gasLimit" in genesis:
        c.uint(genesis["gasLimit"], "genesis.gasLimit", 64, nonzero=True)
    for key in ("difficulty", "baseFeePerGas"):
        if key in genesis:
            c.uint(genesis[key], "genesis.%s" % key)
    for key in ("timestamp", "gasUsed"):
        if key in genesis:
            c.uint(genesis[key], "genesis.%s" % key, 64)
    if "author" in genesis:
        c.address(genesis["author"], "genesis.author")
    for key in ("parentHash", "transactionsRoot", "receiptsRoot", "stateRoot"):
        if key in genesis:
            try:
                if len(parse_bytes(genesis[key], "genesis." + key)) != 32:
                    c.error("genesis." + key, "must be a 32-byte hash")
            except SpecError as exc:
                c.errors.append(str(exc))
    if "extraData" in genesis:
        try:
            extra = parse_bytes(genesis["extraData"], "genesis.extraData")
            params = spec.get("params") if isinstance(spec.get("params"), dict) else {}
            try:
                limit = parse_uint(params.get("maximumExtraDataSize", 32), "params.maximumExtraDataSize")
            except SpecError:
                limit = 32
            if len(extra) > limit:
                c.warn("genesis.extraData", "%d bytes, above maximumExtraDataSize %d" % (len(extra), limit))
        except SpecError as exc:
            c.errors.append(str(exc))
    seal = genesis.get("seal")
    if seal is not None:
        if not isinstance(seal, dict) or len(seal) != 1:
            c.error("genesis.seal", "must hold exactly one of authorityRound, ethereum, tendermint, generic")
        elif "authorityRound" in seal:
            aura = seal["authorityRound"]
            if not isinstance(aura, dict):
                c.error("genesis.seal.authorityRound", "must be an object {step, signature}")
            else:
                c.unknown_keys(aura, {"step", "signature"}, "genesis.seal.authorityRound", "seal")
                for key in ("step", "signature"):
                    if key not in aura:
                        c.error("genesis.seal.authorityRound." + key, "missing required field",
                                "write \"step\": \"0x0\", \"signature\": \"0x\" + 130 zeros")
                if "step" in aura:
                    c.uint(aura["step"], "genesis.seal.authorityRound.step", 64)
                if "signature" in aura:
                    try:
                        if len(parse_bytes(aura["signature"], "genesis.seal.authorityRound.signature")) != 65:
                            c.error("genesis.seal.authorityRound.signature", "must be 65 bytes (130 hex digits)")
                    except SpecError as exc:
                        c.errors.append(str(exc))
        elif next(iter(seal)) not in ("ethereum", "tendermint", "generic"):
            c.error("genesis.seal.%s" % next(iter(seal)), "unknown seal type")
        engine = spec.get("engine")
        if isinstance(engine, dict) and "authorityRound" in engine and isinstance(seal, dict) and "authorityRound" not in seal:
            c.warn("genesis.seal", "an authorityRound engine with a non-Aura genesis seal",
                   "write genesis.seal.authorityRound {step, signature}")
    params = spec.get("params") if isinstance(spec.get("params"), dict) else {}
    try:
        london0 = params.get("eip1559Transition") is not None and parse_uint(params["eip1559Transition"], "x", 64) == 0
    except SpecError:
        london0 = False
    if london0 and genesis.get("baseFeePerGas") is None:
        # NM ChainSpecLoader.LoadGenesis falls back to 1 gwei; OE 3.3 genesis.rs leaves base_fee None.
        c.warn("genesis.baseFeePerGas", "London is active at block 0 but genesis.baseFeePerGas is not set: Nethermind "
               "uses 1 gwei, OpenEthereum none, so their genesis hashes differ (the hash here is Nethermind's)",
               "write \"baseFeePerGas\": \"0x3b9aca00\"")


def _check_accounts(c, accounts):
    if accounts is None:
        return
    if not isinstance(accounts, dict):
        c.error("accounts", "must be an object {address: account}")
        return
    seen = {}
    for key, acc in accounts.items():
        path = "accounts.%s" % key
        norm = c.address(key, path)
        if norm is not None:
            if norm in seen:
                c.error(path, "the same address as accounts.%s (keys differ only by case or 0x)" % seen[norm],
                        "merge the two entries")
            seen[norm] = key
        if not isinstance(acc, dict):
            c.error(path, "must be an object")
            continue
        c.unknown_keys(acc, ACCOUNT_KEYS, path, "account")
        if "balance" in acc:
            c.uint(acc["balance"], path + ".balance")
        if "nonce" in acc:
            c.uint(acc["nonce"], path + ".nonce", 64)
        for key2 in ("code", "constructor"):
            if key2 in acc:
                try:
                    parse_bytes(acc[key2], "%s.%s" % (path, key2))
                except SpecError as exc:
                    c.errors.append(str(exc))
        storage = acc.get("storage")
        if storage is not None:
            if not isinstance(storage, dict):
                c.error(path + ".storage", "must be an object {slot: value}")
            else:
                for slot, value in storage.items():
                    c.uint(slot, "%s.storage.%s(slot)" % (path, slot))
                    v = c.uint(value, "%s.storage.%s" % (path, slot))
                    if v == 0:
                        c.warn("%s.storage.%s" % (path, slot), "a zero storage value: OpenEthereum keeps it in the genesis "
                               "trie when constructors run, Nethermind drops it", "remove the slot")
        if "constructor" in acc and ("code" in acc or "storage" in acc):
            c.warn(path, "constructor together with code/storage: OpenEthereum's constructor run replaces them",
                   "use either constructor or code+storage")
        if "builtin" in acc:
            _check_builtin(c, acc["builtin"], path + ".builtin")
            if "balance" not in acc and ("nonce" in acc or "code" in acc or "storage" in acc):
                c.warn(path, "a builtin with nonce/code/storage but no balance: Nethermind leaves it out of the genesis "
                       "state, OpenEthereum keeps it", "add \"balance\": \"0x0\" or drop nonce/code/storage")
        elif not any(k in acc for k in ("balance", "nonce", "code", "storage", "constructor")):
            c.warn(path, "an empty account: OpenEthereum leaves it out of the state, Nethermind creates it",
                   "give it a balance or remove it")


def _check_builtin(c, builtin, path):
    if not isinstance(builtin, dict):
        c.error(path, "must be an object {name, pricing}")
        return
    c.unknown_keys(builtin, BUILTIN_KEYS, path, "builtin")
    if not isinstance(builtin.get("name"), str):
        c.error(path + ".name", "missing or not a string", "write the builtin's name, e.g. \"ecrecover\"")
    pricing = builtin.get("pricing")
    if pricing is None:
        c.error(path + ".pricing", "missing required field")
        return
    if not isinstance(pricing, dict) or not pricing:
        c.error(path + ".pricing", "must be an object")
        return
    if len(pricing) == 1 and next(iter(pricing)) in PRICING_FIELDS:
        _check_price(c, pricing, path + ".pricing")
        if "activate_at" in builtin:
            c.uint(builtin["activate_at"], path + ".activate_at", 64)
        return
    if "activate_at" in builtin:
        c.error(path + ".activate_at", "only allowed with a single pricing, not with a {block: pricing} map",
                "move it into the pricing map as the block key")
    for block, entry in pricing.items():
        p = "%s.pricing.%s" % (path, block)
        c.uint(block, p + "(block)", 64)
        if not isinstance(entry, dict) or "price" not in entry:
            c.error(p, "must be {\"price\": {...}} (with an optional \"info\")")
            continue
        c.unknown_keys(entry, {"info", "price"}, p, "pricing")
        _check_price(c, entry["price"], p + ".price")


def _check_price(c, price, path):
    if not isinstance(price, dict) or len(price) != 1:
        c.error(path, "must hold exactly one pricing kind", "e.g. {\"linear\": {\"base\": 3000, \"word\": 0}}")
        return
    kind, fields = next(iter(price.items()))
    if kind not in PRICING_FIELDS:
        c.error("%s.%s" % (path, kind), "unknown pricing kind", "use one of %s" % ", ".join(sorted(PRICING_FIELDS)))
        return
    if not isinstance(fields, dict):
        c.error("%s.%s" % (path, kind), "must be an object")
        return
    for name in PRICING_FIELDS[kind]:
        if name not in fields:
            c.error("%s.%s.%s" % (path, kind, name), "missing required field")
        elif isinstance(fields[name], bool) or not isinstance(fields[name], int) or fields[name] < 0:
            c.error("%s.%s.%s" % (path, kind, name), "must be a JSON integer (OpenEthereum reads a u64)")
    c.unknown_keys(fields, PRICING_FIELDS[kind], "%s.%s" % (path, kind), "pricing")


# ---------------------------------------------------------------------------------------------
# Rendering from structured inputs
# ---------------------------------------------------------------------------------------------

def _linear(base, word):
    return {"linear": {"base": base, "word": word}}


def _forks_schedule(forks, errors):
    """forks input -> {fork name: activation block}."""
    schedule = {}
    if forks is None:
        forks = "london"

    def norm(name, path):
        if not isinstance(name, str):
            errors.append(_err(path, "fork names are strings", "use one of %s" % ", ".join(FORK_ORDER)))
            return None
        key = name.strip().lower().replace("-", "_")
        key = FORK_ALIASES.get(key.replace("_", ""), FORK_ALIASES.get(key, key))
        if key not in FORK_ORDER:
            errors.append(_err(path, "unknown fork %r" % name, "use one of %s" % ", ".join(FORK_ORDER)))
            return None
        return key

    if isinstance(forks, str):
        last = norm(forks, "forks")
        if last:
            for name in FORK_ORDER[:FORK_ORDER.index(last) + 1]:
                schedule[name] = 0
    elif isinstance(forks, list):
        for i, name in enumerate(forks):
            key = norm(name, "forks[%d]" % i)
            if key:
                schedule[key] = 0
    elif isinstance(forks, dict):
        for name, block in forks.items():
            key = norm(name, "forks.%s" % name)
            if not key:
                continue
            try:
                schedule[key] = parse_uint(block, "forks.%s" % name, 64)
            except SpecError as exc:
                errors.append(str(exc))
        ordered = [(n, schedule[n]) for n in FORK_ORDER if n in schedule]
        for (n1, b1), (n2, b2) in zip(ordered, ordered[1:]):
            if b2 < b1:
                errors.append(_err("forks.%s" % n2, "activates at block %d, before %s (%d)" % (b2, n1, b1),
                                   "forks must activate in order: %s" % " <= ".join(FORK_ORDER)))
    else:
        errors.append(_err("forks", "must be a fork name, a list of names or {name: block}", "e.g. forks: london"))
    return schedule


def fork_params_and_builtins(schedule):
    """Params (eip*Transition) and builtin accounts for a fork schedule.

    The builtin pricing follows the EIPs: EIP-198 modexp (divisor 20) and EIP-196/197 alt_bn128
    at Byzantium; EIP-1108 cheaper alt_bn128 and EIP-152 blake2_f at Istanbul; EIP-2565 modexp at
    Berlin. Nethermind derives eip1108/eip152/eip2565 from these prices (ChainSpecLoader
    GetTransitionForExpectedPricing), OpenEthereum reads the prices directly.
    """
    p = {}
    s = schedule
    if "tangerine_whistle" in s:
        p["eip150Transition"] = s["tangerine_whistle"]
    if "spurious_dragon" in s:
        for k in ("eip155Transition", "eip160Transition", "eip161abcTransition", "eip161dTransition"):
            p[k] = s["spurious_dragon"]
    if "byzantium" in s:
        for k in ("eip140Transition", "eip211Transition", "eip214Transition", "eip658Transition"):
            p[k] = s["byzantium"]
    cons, pete = s.get("constantinople"), s.get("petersburg")
    if cons is not None or pete is not None:
        start = cons if cons is not None else pete
        for k in ("eip145Transition", "eip1014Transition", "eip1052Transition"):
            p[k] = start
        if cons is not None and (pete is None or pete > cons):
            p["eip1283Transition"] = cons
            if pete is not None:
                p["eip1283DisableTransition"] = pete
    if "istanbul" in s:
        b = s["istanbul"]
        for k in ("eip1344Transition", "eip1884Transition", "eip2028Transition", "eip1706Transition"):
            p[k] = b
        if "eip1283DisableTransition" in p:
            p["eip1283ReenableTransition"] = b
        else:
            p["eip1283Transition"] = b
    if "berlin" in s:
        p["eip2929Transition"] = s["berlin"]
        p["eip2930Transition"] = s["berlin"]
    if "london" in s:
        for k in ("eip1559Transition", "eip3198Transition", "eip3529Transition", "eip3541Transition"):
            p[k] = s["london"]

    builtins = {
        1: ("ecrecover", {0: _linear(3000, 0)}),
        2: ("sha256", {0: _linear(60, 12)}),
        3: ("ripemd160", {0: _linear(600, 120)}),
        4: ("identity", {0: _linear(15, 3)}),
    }
    if "byzantium" in s:
        byz = s["byzantium"]
        modexp = {byz: {"modexp": {"divisor": 20}}}
        if "berlin" in s:
            modexp[s["berlin"]] = {"modexp2565": {}}
        builtins[5] = ("modexp", modexp)
        add = {byz: {"alt_bn128_const_operations": {"price": 500}}}
        mul = {byz: {"alt_bn128_const_operations": {"price": 40000}}}
        pairing = {byz: {"alt_bn128_pairing": {"base": 100000, "pair": 80000}}}
        if "istanbul" in s:
            ist = s["istanbul"]
            add[ist] = {"alt_bn128_const_operations": {"price": 150}}
            mul[ist] = {"alt_bn128_const_operations": {"price": 6000}}
            pairing[ist] = {"alt_bn128_pairing": {"base": 45000, "pair": 34000}}
        builtins[6] = ("alt_bn128_add", add)
        builtins[7] = ("alt_bn128_mul", mul)
        builtins[8] = ("alt_bn128_pairing", pairing)
    if "istanbul" in s:
        builtins[9] = ("blake2_f", {s["istanbul"]: {"blake2_f": {"gas_per_round": 1}}})
    accounts = {}
    for n, (name, prices) in builtins.items():
        address = "0x%040x" % n
        accounts[address] = {"builtin": {"name": name, "pricing": {
            str(block): {"price": price} for block, price in sorted(prices.items())}}}
    return p, accounts


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
        out, seen = [], {}
        for i, addr in enumerate(value):
            norm = _address_input(addr, "%s.list[%d]" % (path, i), errors)
            if norm is None:
                continue
            if norm in seen:
                errors.append(_err("%s.list[%d]" % (path, i), "duplicate validator %s (also at index %d)" % (addr, seen[norm]),
                                   "list each validator once"))
                continue
            seen[norm] = i
            out.append(norm)
        return {"list": out}
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


GETH_FORK_FIELDS = (
    ("homestead", ("homesteadBlock",)),
    ("tangerine_whistle", ("eip150Block",)),
    ("spurious_dragon", ("eip155Block", "eip158Block")),
    ("byzantium", ("byzantiumBlock",)),
    ("constantinople", ("constantinopleBlock",)),
    ("petersburg", ("petersburgBlock",)),
    ("istanbul", ("istanbulBlock",)),
    ("berlin", ("berlinBlock",)),
    ("london", ("londonBlock",)),
)


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


def validate_geth(doc):
    """Light checks of a geth genesis.json (Clique), returns (errors, warnings)."""
    c = _Checker()
    config = doc.get("config")
    if not isinstance(config, dict):
        c.error("config", "missing or not an object", "write {\"chainId\": ..., \"clique\": {...}}")
        config = {}
    cid = c.uint(config.get("chainId"), "config.chainId", 64) if config.get("chainId") is not None else None
    if cid is None:
        c.error("config.chainId", "missing", "add the chain id")
    elif cid in PUBLIC_CHAIN_IDS:
        c.warn("config.chainId", "%d is the id of %s" % (cid, PUBLIC_CHAIN_IDS[cid]), "pick an unused id")
    clique = config.get("clique")
    if isinstance(clique, dict):
        if c.uint(clique.get("period", 0), "config.clique.period", 64) == 0:
            c.warn("config.clique.period", "0 means blocks only when transactions arrive", "use e.g. 5")
        try:
            extra = parse_bytes(doc.get("extraData", "0x"), "extraData")
            body = len(extra) - 32 - 65
            if body < 20 or body % 20:
                c.error("extraData", "Clique extraData must be 32 bytes vanity + N*20 bytes signers (N >= 1) + 65 bytes",
                        "list at least one signer")
        except SpecError as exc:
            c.errors.append(str(exc))
    else:
        c.warn("config.clique", "not a Clique genesis: only generic checks were done")
    if doc.get("gasLimit") is not None:
        c.uint(doc["gasLimit"], "gasLimit", 64, nonzero=True)
    alloc = doc.get("alloc")
    if not isinstance(alloc, dict):
        c.error("alloc", "missing or not an object")
    else:
        for key, acc in alloc.items():
            c.address(key, "alloc.%s" % key)
            if isinstance(acc, dict) and "balance" in acc:
                c.uint(acc["balance"], "alloc.%s.balance" % key)
    return c.errors, c.warnings


def validate_document(doc):
    """Validate a parity chain spec or a geth genesis, whichever doc is."""
    if detect_format(doc) == "geth":
        return validate_geth(doc)
    return validate_spec(doc)
