# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the clients accept in a chain spec (field sets, from OpenEthereum's serde structs), the ids of
public chains, and the error of bad inputs."""

from __future__ import annotations

import re

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
