# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation of an existing chain spec (OpenEthereum/Nethermind Aura) or geth genesis, the way the
clients read it: validate_spec, validate_geth, validate_document return (errors, warnings)."""

from __future__ import annotations

from ansible_collections.poa.consortium.plugins.module_utils.constants import ZERO_ADDRESS
from ansible_collections.poa.consortium.plugins.module_utils.genesis import (
    SpecError, detect_format, parse_bytes, parse_uint,
)
from ansible_collections.poa.consortium.plugins.module_utils.spec.schema import (
    ACCOUNT_KEYS, ADDRESS_RE, AURA_KEYS, BUILTIN_KEYS, ENGINE_KEYS, ENODE_RE, GENESIS_KEYS, NETHERMIND_ONLY_PARAMS,
    PARAM_ADDRESSES, PARAM_KEYS, PARAM_REQUIRED, PRICING_FIELDS, PUBLIC_CHAIN_IDS, REQUIRED_PARAM_EXAMPLES,
    SPEC_KEYS, SPEC_REQUIRED, _err,
)

try:
    from eth_utils import is_checksum_address, to_checksum_address
    HAS_ETH_UTILS = True
except ImportError:  # pragma: no cover
    HAS_ETH_UTILS = False


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
