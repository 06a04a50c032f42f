# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Chain spec rendering and client-exact validation."""

from __future__ import annotations

import copy
import json
import os

import pytest

from ansible_collections.poa.consortium.plugins.module_utils import genesis as G
from ansible_collections.poa.consortium.plugins.module_utils import spec as S

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "chainspecs")
VALIDATORS = [
    "0x00bd138abd70e2f00903268f3db08f2d25677c9e",
    "0x00aa39d30f0d20ff03a22ccfc30b7efbfca597c2",
    "0x002e28950558fbede1a9675cb113f0bd20912019",
    "0x00a94ac799442fb13de8302026fd03068ba6a428",
    "0x00d4f0e12020c15487b2525abe52f3d3f7ae1c6b",
]


def load(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return json.load(handle)


def inputs(**kw):
    base = dict(name="consortium", network_id=8995, step_duration=5, validators={"list": list(VALIDATORS)})
    base.update(kw)
    return base


def errors_of(**kw):
    with pytest.raises(S.InputError) as exc:
        S.render(inputs(**kw))
    return exc.value.errors


# --- rendering ---------------------------------------------------------------------------

def test_parity_deploy_five_node_aura_renders():
    # Equivalent of parity-deploy's 5-node Aura output: list of 5 validators, stepDuration 5.
    spec, warnings = S.render(inputs(accounts={VALIDATORS[0]: {"balance": "1000000 ether"}}, forks="byzantium"))
    assert warnings == []
    aura = spec["engine"]["authorityRound"]["params"]
    assert aura["stepDuration"] == 5
    assert aura["validators"] == {"list": VALIDATORS}
    assert aura["maximumUncleCount"] == 0 and aura["maximumUncleCountTransition"] == 0
    assert spec["params"]["networkID"] == "0x2323" and spec["params"]["chainID"] == "0x2323"
    assert spec["params"]["gasLimitBoundDivisor"] == "0x400"
    assert spec["genesis"]["seal"]["authorityRound"] == {"step": "0x0", "signature": "0x" + "00" * 65}
    assert spec["accounts"][VALIDATORS[0]]["balance"] == str(10**24)
    assert S.validate_spec(spec) == ([], [])
    assert G.genesis_hash(spec).startswith("0x") and len(G.genesis_hash(spec)) == 66


def test_render_is_deterministic():
    a = S.canonical_json(S.render(inputs(accounts={VALIDATORS[1]: "5 gwei", VALIDATORS[0]: 7}))[0])
    b = S.canonical_json(S.render(inputs(accounts={VALIDATORS[0]: 7, VALIDATORS[1]: "5 gwei"}))[0])
    assert a == b
    assert json.loads(a)["accounts"][VALIDATORS[1]]["balance"] == "5000000000"


def test_byzantium_preset():
    spec, _unused = S.render(inputs(forks="byzantium"))
    p = spec["params"]
    for k in ("eip140Transition", "eip211Transition", "eip214Transition", "eip658Transition",
              "eip150Transition", "eip155Transition", "eip160Transition", "eip161abcTransition", "eip161dTransition"):
        assert p[k] == 0, k
    assert "eip145Transition" not in p and "eip1559Transition" not in p
    acc = spec["accounts"]
    assert acc["0x0000000000000000000000000000000000000005"]["builtin"]["pricing"] == {"0": {"price": {"modexp": {"divisor": 20}}}}
    assert acc["0x0000000000000000000000000000000000000006"]["builtin"]["pricing"]["0"]["price"] == \
        {"alt_bn128_const_operations": {"price": 500}}
    assert acc["0x0000000000000000000000000000000000000008"]["builtin"]["pricing"]["0"]["price"] == \
        {"alt_bn128_pairing": {"base": 100000, "pair": 80000}}
    assert "0x0000000000000000000000000000000000000009" not in acc
    assert "baseFeePerGas" not in spec["genesis"]


def test_fork_schedule_with_blocks():
    schedule = {"byzantium": 0, "constantinople": 10, "petersburg": 20, "istanbul": 30, "berlin": 40, "london": 50}
    spec = S.render(inputs(forks=schedule))[0]
    p = spec["params"]
    assert p["eip145Transition"] == 10 and p["eip1283Transition"] == 10
    assert p["eip1283DisableTransition"] == 20
    assert p["eip1283ReenableTransition"] == 30 and p["eip1706Transition"] == 30
    assert p["eip2929Transition"] == 40 and p["eip1559Transition"] == 50
    add = spec["accounts"]["0x0000000000000000000000000000000000000006"]["builtin"]["pricing"]
    assert add == {"0": {"price": {"alt_bn128_const_operations": {"price": 500}}},
                   "30": {"price": {"alt_bn128_const_operations": {"price": 150}}}}
    modexp = spec["accounts"]["0x0000000000000000000000000000000000000005"]["builtin"]["pricing"]
    assert modexp["40"] == {"price": {"modexp2565": {}}}
    blake = spec["accounts"]["0x0000000000000000000000000000000000000009"]["builtin"]["pricing"]
    assert blake == {"30": {"price": {"blake2_f": {"gas_per_round": 1}}}}
    assert "baseFeePerGas" not in spec["genesis"]
    assert S.validate_spec(spec)[0] == []


def test_london_preset_writes_base_fee_and_no_nethermind_only_fields():
    spec, _unused = S.render(inputs())
    p = spec["params"]
    for k in ("eip1559Transition", "eip3198Transition", "eip3529Transition", "eip3541Transition",
              "eip2929Transition", "eip2930Transition", "eip1884Transition", "eip1344Transition", "eip1283Transition"):
        assert p[k] == 0, k
    for k in S.NETHERMIND_ONLY_PARAMS:
        assert k not in p
    assert spec["genesis"]["baseFeePerGas"] == "0x3b9aca00"
    assert set(p) <= S.PARAM_KEYS


def test_forks_list_means_exactly_those():
    spec, _unused = S.render(inputs(forks=["byzantium", "istanbul"]))
    assert "eip145Transition" not in spec["params"]
    assert spec["params"]["eip1884Transition"] == 0


def test_explicit_transitions_override_and_remove():
    overrides = {"eip1559Transition": 100, "eip3198Transition": 100, "eip3529Transition": 100, "eip3541Transition": None}
    spec = S.render(inputs(forks="london", transitions=overrides))[0]
    assert spec["params"]["eip1559Transition"] == 100
    assert "eip3541Transition" not in spec["params"]
    assert "baseFeePerGas" not in spec["genesis"]


@pytest.mark.parametrize("kw,path", [
    (dict(validators={"list": []}), "validators.list"),
    (dict(validators={"list": [VALIDATORS[0], VALIDATORS[0].upper().replace("0X", "0x")]}), "validators.list[1]"),
    (dict(validators={"list": ["0x1234"]}), "validators.list[0]"),
    (dict(validators={"list": ["0x00Bd138abD70e2f00903268f3db08f2d25677c9e"]}), "validators.list[0]"),
    (dict(validators={"foo": "bar"}), "validators.foo"),
    (dict(validators={"list": VALIDATORS, "safeContract": VALIDATORS[0]}), "validators"),
    (dict(validators={"multi": {"0": {"multi": {"0": {"list": VALIDATORS}}}}}), "validators.multi.0"),
    (dict(validators={"multi": {"5": {"list": VALIDATORS}}}), "validators.multi"),
    (dict(validators={"multi": {"0": {"list": VALIDATORS}, "0x0": {"list": VALIDATORS}}}), "validators.multi.0x0"),
    (dict(validators={"safeContract": "0x" + "00" * 20}), "validators.safeContract"),
    (dict(step_duration=0), "step_duration"),
    (dict(step_duration={"0": 5, "100": 0}), "step_duration.100"),
    (dict(step_duration={"100": 5}), "step_duration"),
    (dict(step_duration=70000), "step_duration"),
    (dict(forks="shanghai"), "forks"),
    (dict(forks={"byzantium": 10, "istanbul": 5}), "forks.istanbul"),
    (dict(genesis={"gas_limit_bound_divisor": 0}), "genesis.gas_limit_bound_divisor"),
    (dict(genesis={"gas_limit": 0}), "genesis.gas_limit"),
    (dict(genesis={"gas_limit": 4000}), "genesis.gas_limit"),
    (dict(genesis={"gaslimit": 1}), "genesis.gaslimit"),
    (dict(genesis={"extra_data": "0x" + "11" * 33}), "genesis.extra_data"),
    (dict(accounts={"0x12": {"balance": 1}}), "accounts.0x12"),
    (dict(accounts={VALIDATORS[0]: {"balance": "12 foo"}}), "accounts.%s.balance" % VALIDATORS[0]),
    (dict(accounts={VALIDATORS[0]: {"balanse": 1}}), "accounts.%s.balanse" % VALIDATORS[0]),
    (dict(accounts={VALIDATORS[0]: {"constructor": "0x6000", "code": "0x00"}}), "accounts.%s" % VALIDATORS[0]),
    (dict(accounts={VALIDATORS[0]: {"storage": {"0x1": "0x0"}}}), "accounts.%s.storage.0x1" % VALIDATORS[0]),
    (dict(accounts={VALIDATORS[0]: {"code": "0x123"}}), "accounts.%s.code" % VALIDATORS[0]),
    (dict(accounts={VALIDATORS[0]: 1, VALIDATORS[0].upper().replace("0X", "0x"): 2}), "accounts."),
    (dict(transitions={"eip2200Transition": 0}), "transitions.eip2200Transition"),
    (dict(transitions={"eip9999Transition": 0}), "transitions.eip9999Transition"),
    (dict(params={"gasLimitBoundDivisor": "0x0"}), "params.gasLimitBoundDivisor"),
    (dict(params={"eip152Transition": 0}), "params.eip152Transition"),
    (dict(params={"fooBar": 1}), "params.fooBar"),
    (dict(engine_params={"blockRewardContractAdress": VALIDATORS[0]}), "engine_params.blockRewardContractAdress"),
    (dict(nodes=["enode://abc@1.2.3.4:30303"]), "nodes[0]"),
    (dict(name=""), "name"),
    (dict(network_id=None), "network_id"),
    (dict(block_reward="one ether"), "block_reward"),
    (dict(format="clique"), "format"),
])
def test_bad_inputs_name_the_field(kw, path):
    errs = errors_of(**kw)
    assert errs, kw
    assert any(e.startswith(path) for e in errs), errs
    assert all("(fix: " in e for e in errs), errs


def test_multi_validators_and_engine_params_render():
    spec, _unused = S.render(inputs(
        validators={"multi": {0: {"list": VALIDATORS[:1]}, 20000: {"safeContract": VALIDATORS[1]}}},
        engine_params={"blockRewardContractAddress": VALIDATORS[2], "blockRewardContractTransition": 125000},
        transaction_permission_contract=VALIDATORS[3], transaction_permission_contract_transition=20000,
        registrar=VALIDATORS[4], block_reward="1 ether",
        nodes=["enode://" + "ab" * 64 + "@127.0.0.1:30303"]))
    aura = spec["engine"]["authorityRound"]["params"]
    assert aura["validators"] == {"multi": {"0": {"list": VALIDATORS[:1]}, "20000": {"safeContract": VALIDATORS[1]}}}
    assert aura["blockReward"] == hex(10**18)
    assert aura["blockRewardContractTransition"] == 125000
    assert spec["params"]["transactionPermissionContract"] == VALIDATORS[3]
    assert spec["params"]["registrar"] == VALIDATORS[4]
    assert spec["nodes"] == ["enode://" + "ab" * 64 + "@127.0.0.1:30303"]
    assert S.validate_spec(spec)[0] == []


def test_public_chain_id_warns():
    spec, warnings = S.render(inputs(network_id=100))
    assert any(w.startswith("params.networkID") and "Gnosis" in w for w in warnings)
    assert any(w.startswith("params.chainID") for w in warnings)


def test_constructor_account_renders_and_hashes():
    init = "0x602a600055600060005360016000f3"
    spec, _unused = S.render(inputs(forks="byzantium", accounts={VALIDATORS[0]: {"balance": 1, "constructor": init}}))
    assert spec["accounts"][VALIDATORS[0]] == {"balance": "1", "constructor": init}
    h1 = G.genesis_hash(spec)
    spec["accounts"][VALIDATORS[0]]["constructor"] = init.replace("2a", "2b")
    assert G.genesis_hash(spec) != h1


# --- geth format -------------------------------------------------------------------------

def test_geth_render():
    doc, _unused = S.render(inputs(format="geth", chain_id=8995, network_id=None, accounts={VALIDATORS[0]: "1 ether"}))
    extra = bytes.fromhex(doc["extraData"][2:])
    assert extra[:32] == b"\x00" * 32 and extra[-65:] == b"\x00" * 65
    signers = [extra[32 + 20 * i:52 + 20 * i].hex() for i in range((len(extra) - 97) // 20)]
    assert sorted("0x" + s for s in signers) == sorted(VALIDATORS)
    assert doc["config"]["clique"] == {"period": 5, "epoch": 30000}
    assert doc["config"]["londonBlock"] == 0 and doc["config"]["chainId"] == 8995
    assert doc["difficulty"] == "0x1" and doc["baseFeePerGas"] == "0x3b9aca00"
    assert doc["alloc"][VALIDATORS[0]] == {"balance": hex(10**18)}
    assert S.validate_document(doc)[0] == []
    assert G.genesis_hash(doc) == G.geth_genesis_hash(doc)


@pytest.mark.parametrize("kw,path", [
    (dict(validators={"safeContract": VALIDATORS[0]}), "validators"),
    (dict(step_duration={"0": 5}), "step_duration"),
    (dict(accounts={VALIDATORS[0]: {"constructor": "0x6000"}}), "accounts.%s.constructor" % VALIDATORS[0]),
    (dict(transitions={"eip1559Transition": 5}), "transitions"),
    (dict(block_reward="1 ether"), "block_reward"),
])
def test_geth_refuses_aura_only_inputs(kw, path):
    errs = errors_of(format="geth", **kw)
    assert any(e.startswith(path) for e in errs), errs


# --- validation of existing specs ---------------------------------------------------------

@pytest.mark.parametrize("name", ["xdai.json", "poasokol.json", "volta.json", "ewc.json", "kovan.json"])
def test_openethereum_bundled_specs_are_valid(name):
    errors, _unused = S.validate_spec(load(name))
    assert errors == []


def test_poacore_from_nethermind_has_fields_openethereum_refuses():
    errors, warnings = S.validate_spec(load("poacore.json"))
    assert sorted(e.split(":")[0] for e in errors) == ["params.eip1108Transition", "params.eip152Transition",
                                                       "params.eip2565Transition"]
    assert any(w.startswith("params.networkID") and "POA Core" in w for w in warnings)


def test_bellecour_breaks_nethermind_eip2200_rule():
    errors, _unused = S.validate_spec(load("bellecour.json"))
    assert [e.split(":")[0] for e in errors] == ["params.eip1283ReenableTransition"]


def _good():
    return S.render(inputs(forks="london"))[0]


@pytest.mark.parametrize("mutate,path,kind", [
    (lambda s: s["params"].__setitem__("gasLimitBoundDivisor", "0x0"), "params.gasLimitBoundDivisor", "error"),
    (lambda s: s["params"].pop("minGasLimit"), "params.minGasLimit", "error"),
    (lambda s: s["params"].pop("networkID"), "params.networkID", "error"),
    (lambda s: s.__setitem__("extra", 1), "extra", "error"),
    (lambda s: s["genesis"].__setitem__("mixHash", "0x00"), "genesis.mixHash", "error"),
    (lambda s: s["genesis"].pop("difficulty"), "genesis.difficulty", "error"),
    (lambda s: s["genesis"].__setitem__("gasLimit", "0x0"), "genesis.gasLimit", "error"),
    (lambda s: s["genesis"]["seal"]["authorityRound"].__setitem__("signature", "0x00"),
     "genesis.seal.authorityRound.signature", "error"),
    (lambda s: s["engine"]["authorityRound"]["params"].__setitem__("stepDuration", 0),
     "engine.authorityRound.params.stepDuration", "error"),
    (lambda s: s["engine"]["authorityRound"]["params"].__setitem__("validators", {"list": []}),
     "engine.authorityRound.params.validators.list", "error"),
    (lambda s: s["engine"]["authorityRound"]["params"].__setitem__("blockRewardContract", "0x00"),
     "engine.authorityRound.params.blockRewardContract", "error"),
    (lambda s: s["engine"]["authorityRound"]["params"].__setitem__(
        "validators", {"multi": {"0": {"multi": {"0": {"list": VALIDATORS}}}}}),
     "engine.authorityRound.params.validators.multi.0", "error"),
    (lambda s: s["params"].__setitem__("eip2200Transition", 0), "params.eip2200Transition", "error"),
    (lambda s: s["params"].__setitem__("eip1283DisableTransition", 0), "params.eip1283ReenableTransition", "error"),
    (lambda s: s["accounts"].__setitem__("0xabc", {"balance": "1"}), "accounts.0xabc", "error"),
    (lambda s: s["accounts"]["0x0000000000000000000000000000000000000001"]["builtin"].__setitem__("pricing", {
        "linear": {"base": 1}}), "accounts.0x0000000000000000000000000000000000000001.builtin.pricing.linear.word",
     "error"),
    (lambda s: s.__setitem__("nodes", ["enode://x"]), "nodes[0]", "error"),
    (lambda s: s["engine"]["authorityRound"]["params"].__setitem__("stepDuration", {"0": 5, "9": 70000}),
     "engine.authorityRound.params.stepDuration.9", "warning"),
    (lambda s: s["engine"]["authorityRound"]["params"].__setitem__("stepDuration", {"5": 5}),
     "engine.authorityRound.params.stepDuration", "error"),
    (lambda s: s["engine"]["authorityRound"]["params"].pop("maximumUncleCountTransition"),
     "engine.authorityRound.params.maximumUncleCount", "warning"),
    (lambda s: s["genesis"].pop("baseFeePerGas"), "genesis.baseFeePerGas", "warning"),
    (lambda s: s["params"].__setitem__("chainID", "0x1"), "params.chainID", "warning"),
    (lambda s: s["accounts"].__setitem__(VALIDATORS[0], {"balance": "1", "storage": {"0x1": "0x0"}}),
     "accounts.%s.storage.0x1" % VALIDATORS[0], "warning"),
])
def test_validate_spec_rules(mutate, path, kind):
    spec = _good()
    assert S.validate_spec(spec) == ([], [])
    mutate(spec)
    errors, warnings = S.validate_spec(spec)
    found = errors if kind == "error" else warnings
    assert any(m.startswith(path) for m in found), (errors, warnings)
    assert all("(fix: " in m for m in errors), errors
    if kind == "warning":
        assert errors == []


def test_nethermind_derives_istanbul_from_rendered_prices():
    # NM ChainSpecLoader: eip1108 from alt_bn128_add price 150, eip152 from blake2_f gas_per_round 1,
    # eip2565 from a modexp2565 entry; check the rendered spec carries exactly those markers.
    spec, _unused = S.render(inputs(forks={"byzantium": 0, "constantinople": 0, "petersburg": 0, "istanbul": 7, "berlin": 9}))
    acc = spec["accounts"]
    add = acc["0x0000000000000000000000000000000000000006"]["builtin"]["pricing"]
    assert [b for b, e in add.items() if e["price"].get("alt_bn128_const_operations", {}).get("price") == 150] == ["7"]
    blake = acc["0x0000000000000000000000000000000000000009"]["builtin"]["pricing"]
    assert list(blake) == ["7"]
    modexp = acc["0x0000000000000000000000000000000000000005"]["builtin"]["pricing"]
    assert [b for b, e in modexp.items() if "modexp2565" in e["price"]] == ["9"]


def test_validate_non_object():
    errors, _unused = S.validate_document([1, 2])
    assert errors and errors[0].startswith("$")


def test_copy_of_input_not_mutated():
    data = inputs(accounts={VALIDATORS[0]: {"balance": "1 ether"}})
    before = copy.deepcopy(data)
    S.render(data)
    assert data == before


def test_validate_geth_document():
    doc = S.render(inputs(format="geth", chain_id=8995, network_id=None))[0]
    assert S.validate_document(doc) == ([], [])
    bad = copy.deepcopy(doc)
    bad["extraData"] = "0x" + "00" * 97
    bad["config"]["chainId"] = 1
    errors, warnings = S.validate_document(bad)
    assert any(e.startswith("extraData") for e in errors)
    assert any(w.startswith("config.chainId") for w in warnings)
    del bad["config"]["chainId"]
    assert any(e.startswith("config.chainId") for e in S.validate_document(bad)[0])


def test_geth_fork_numbers_are_json_numbers_and_spurious_dragon_paired():
    # geth's ChainConfig reads fork blocks as JSON numbers, and Spurious Dragon is EIP-155 and
    # EIP-158 together.
    doc = S.render(inputs(format="geth", chain_id=8995, forks={"spurious_dragon": 3, "byzantium": 4}))[0]
    assert doc["config"]["eip155Block"] == doc["config"]["eip158Block"] == 3
    assert all(isinstance(v, int) for k, v in doc["config"].items() if k.endswith("Block"))
