# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Governance in the Aura genesis: predeploys read back in py-evm, rendered params, the lock-out check."""

from __future__ import annotations

import copy
import json
import os

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.poa.consortium.plugins.module_utils import genesis as G
from ansible_collections.poa.consortium.plugins.module_utils import governance as GOV
from ansible_collections.poa.consortium.plugins.module_utils import spec as S
from ansible_collections.poa.consortium.plugins.modules import chain_spec

ARTIFACTS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "contracts", "artifacts")
VALIDATORS = [
    "0x00bd138abd70e2f00903268f3db08f2d25677c9e",
    "0x00aa39d30f0d20ff03a22ccfc30b7efbfca597c2",
    "0x002e28950558fbede1a9675cb113f0bd20912019",
]
OWNERS = ["0x%040x" % (0xb0b0 + i) for i in range(3)]
DEPLOYER = "0x%040x" % 0xde91
TRANSACTOR = "0x%040x" % 0x7a11
STRANGER = "0x%040x" % 0x5a5a
ENODES = ["enode://%s@127.0.0.1:%d" % (("%02x" % i) * 64, 30300 + i) for i in (1, 2, 3)]


def inputs(**kw):
    base = dict(format="parity", name="consortium", network_id=8995, step_duration=5,
                validators={"list": list(VALIDATORS)}, forks="london",
                accounts={VALIDATORS[0]: {"balance": "100 ether"}})
    base.update(kw)
    return base


def full_governance(**overrides):
    gov = {
        "safe": {"owners": list(OWNERS), "threshold": 2},
        "validator_set": {"from_block": 0},
        "tx_permission": {"deployers": [DEPLOYER], "transactors": [TRANSACTOR], "default_types": 0},
        "node_permission": {"enodes": list(ENODES)},
    }
    gov.update(overrides)
    return gov


@pytest.fixture(scope="module")
def rendered():
    spec, warnings, report = GOV.render_with_governance(inputs(), full_governance(), ARTIFACTS, engine="openethereum")
    return spec, warnings, report


@pytest.fixture(scope="module")
def state(rendered):
    st, failures = G.parity_genesis_state(rendered[0])
    assert failures == []
    return st


def view(st, address, signature, out, types=(), args=()):
    result = GOV._view(st, address, signature, out, types, args)  # pylint: disable=protected-access
    assert result is not None, "%s on %s failed" % (signature, address)
    return result[0] if len(result) == 1 else result


def test_rendered_spec_is_valid_and_hashes(rendered):
    spec, warnings, report = rendered
    errors, _warn = S.validate_spec(spec)
    assert errors == []
    assert warnings == []
    assert G.genesis_hash(spec).startswith("0x")
    # No constructor field: both clients read the same code and storage.
    assert not any("constructor" in acc for acc in spec["accounts"].values())
    for key in ("safe", "safe_singleton", "validator_set", "tx_permission", "node_permission"):
        assert spec["accounts"][GOV.DEFAULT_ADDRESSES[key]]["code"].startswith("0x60")
    assert len(report) == 4 and report[0].startswith("safe ")


def test_validators_safe_contract_from_block_0(rendered):
    spec = rendered[0]
    assert spec["engine"]["authorityRound"]["params"]["validators"] == {
        "safeContract": GOV.DEFAULT_ADDRESSES["validator_set"]}


def test_validators_multi_from_block_n():
    spec, _w, _r = GOV.render_with_governance(
        inputs(), {"safe": {"owners": OWNERS, "threshold": 1}, "validator_set": {"from_block": 1000}}, ARTIFACTS)
    assert spec["engine"]["authorityRound"]["params"]["validators"] == {"multi": {
        "0": {"list": VALIDATORS}, "1000": {"safeContract": GOV.DEFAULT_ADDRESSES["validator_set"]}}}
    assert "transactionPermissionContract" not in spec["params"]


def test_tx_and_node_permission_params(rendered):
    params = rendered[0]["params"]
    assert params["transactionPermissionContract"] == GOV.DEFAULT_ADDRESSES["tx_permission"]
    assert params["transactionPermissionContractTransition"] == 0
    assert params["nodePermissionContract"] == GOV.DEFAULT_ADDRESSES["node_permission"]


def test_tx_permission_transition_and_own_addresses():
    address = "0x2000000000000000000000000000000000000042"
    spec, _w, _r = GOV.render_with_governance(inputs(), {
        "safe": {"owners": OWNERS, "threshold": 2, "address": "0x2000000000000000000000000000000000000005"},
        "tx_permission": {"address": address, "from_block": 500}}, ARTIFACTS)
    assert spec["params"]["transactionPermissionContract"] == address
    assert spec["params"]["transactionPermissionContractTransition"] == 500
    assert address in spec["accounts"] and "0x2000000000000000000000000000000000000005" in spec["accounts"]
    # Without a validator_set the validators stay a plain list.
    assert spec["engine"]["authorityRound"]["params"]["validators"] == {"list": VALIDATORS}


def test_safe_reads_back(state):
    safe = GOV.DEFAULT_ADDRESSES["safe"]
    assert [a.lower() for a in view(state, safe, "getOwners()", ["address[]"])] == OWNERS
    assert view(state, safe, "getThreshold()", ["uint256"]) == 2
    assert view(state, safe, "VERSION()", ["string"]) == "1.4.1"
    # The singleton ran its own constructor: threshold 1, so nobody can set it up.
    assert view(state, GOV.DEFAULT_ADDRESSES["safe_singleton"], "getThreshold()", ["uint256"]) == 1


def test_validator_set_reads_back(state):
    vset = GOV.DEFAULT_ADDRESSES["validator_set"]
    assert [a.lower() for a in view(state, vset, "getValidators()", ["address[]"])] == VALIDATORS
    assert view(state, vset, "owner()", ["address"]).lower() == GOV.DEFAULT_ADDRESSES["safe"]


def test_tx_permission_reads_back(state, rendered):
    txp = GOV.DEFAULT_ADDRESSES["tx_permission"]
    assert view(state, txp, "contractVersion()", ["uint256"]) == 4
    assert view(state, txp, "owner()", ["address"]).lower() == GOV.DEFAULT_ADDRESSES["safe"]
    spec = rendered[0]

    def mask(sender, to=GOV.DEFAULT_ADDRESSES["safe"], data=b"\x12\x34\x56\x78"):
        return GOV.allowed_types(state, txp, sender, to, 0, 10 ** 9, 100000, data)[0]
    assert mask(VALIDATORS[1]) & 7 == 7
    assert mask(GOV.DEFAULT_ADDRESSES["safe"]) & 7 == 7
    assert mask(DEPLOYER) & GOV.CREATE
    assert mask(TRANSACTOR) & (GOV.BASIC | GOV.CALL) == GOV.BASIC | GOV.CALL
    assert not mask(TRANSACTOR) & GOV.CREATE
    assert mask(OWNERS[0]) & GOV.CALL  # the Safe's owners can send its execTransaction
    assert mask(STRANGER) == 0
    assert spec["params"]["transactionPermissionContract"] == txp


def test_node_permission_reads_back(state):
    node = GOV.DEFAULT_ADDRESSES["node_permission"]
    ids = [bytes.fromhex(("%02x" % i) * 64) for i in (1, 2, 3)]
    other = bytes.fromhex("77" * 64)
    sig = "connectionAllowed(bytes32,bytes32,bytes32,bytes32)"
    assert view(state, node, sig, ["bool"], ["bytes32"] * 4, [ids[0][:32], ids[0][32:], ids[1][:32], ids[1][32:]])
    assert not view(state, node, sig, ["bool"], ["bytes32"] * 4, [ids[0][:32], ids[0][32:], other[:32], other[32:]])


def test_render_is_deterministic(rendered):
    again = GOV.render_with_governance(inputs(), full_governance(), ARTIFACTS, engine="openethereum")[0]
    assert S.canonical_json(again) == S.canonical_json(rendered[0])


# ----------------------------------------------------------------------------- lock-out check

def _denying_contract(deployers=()):
    """A TxPermission (the committed artifact) whose lists leave DEPLOYER out, as a user-given account."""
    plan = GOV.parse_governance({"tx_permission": {"owner": OWNERS[0], "deployers": list(deployers)}},
                                {"list": VALIDATORS})
    probe, _w = S.render(inputs())
    accounts, _r = GOV.predeploy(probe, plan, ARTIFACTS)
    return accounts[GOV.DEFAULT_ADDRESSES["tx_permission"]]


def test_lockout_refuses_a_deployer_without_create():
    user = _denying_contract()
    address = "0x3000000000000000000000000000000000000001"
    with pytest.raises(S.InputError) as info:
        GOV.render_with_governance(
            inputs(accounts={address: user}),
            {"tx_permission": {"address": address, "deployers": [DEPLOYER]}}, ARTIFACTS)
    text = "; ".join(info.value.errors)
    assert DEPLOYER in text and "deployer" in text and "CREATE" in text
    assert "v4" in text
    # The validators have every right in that contract: only the deployer is named.
    assert len(info.value.errors) == 1


def test_lockout_accepts_the_user_contract_when_the_deployer_is_listed():
    user = _denying_contract(deployers=[DEPLOYER])
    address = "0x3000000000000000000000000000000000000001"
    spec, _w, report = GOV.render_with_governance(
        inputs(accounts={address: user}), {"tx_permission": {"address": address, "deployers": [DEPLOYER]}}, ARTIFACTS)
    assert spec["accounts"][address]["code"] == user["code"]  # used as given, not predeployed again
    assert any("tx permission" in line for line in report)


def test_lockout_refuses_the_safe_owners_left_out():
    # The user's contract knows nothing of the Safe: the Safe and its owners are locked out.
    user = _denying_contract()
    address = "0x3000000000000000000000000000000000000001"
    with pytest.raises(S.InputError) as info:
        GOV.render_with_governance(
            inputs(accounts={address: user}),
            {"safe": {"owners": OWNERS, "threshold": 2}, "tx_permission": {"address": address}}, ARTIFACTS)
    text = "; ".join(info.value.errors)
    assert "the safe" in text and "safe owner" in text and OWNERS[2] in text


def test_lockout_checks_the_validator_set(rendered):
    plan = GOV.parse_governance(full_governance(), {"list": VALIDATORS})
    assert GOV.check_lockout(rendered[0], plan)
    plan["validators"] = VALIDATORS[:2]
    with pytest.raises(S.InputError) as info:
        GOV.check_lockout(rendered[0], plan)
    assert "getValidators()" in info.value.errors[0]


def test_lockout_checks_the_node_permission(rendered):
    plan = GOV.parse_governance(full_governance(node_permission={"enodes": ENODES + ["77" * 64]}),
                                {"list": VALIDATORS})
    with pytest.raises(S.InputError) as info:
        GOV.check_lockout(rendered[0], plan)
    assert "connectionAllowed" in info.value.errors[0] and "7777777777777777" in info.value.errors[0]


# ----------------------------------------------------------------------------- refused inputs

def test_node_permission_with_nethermind_is_refused():
    with pytest.raises(S.InputError) as info:
        GOV.render_with_governance(inputs(), full_governance(), ARTIFACTS, engine="nethermind")
    assert "Nethermind has no node permission contract" in info.value.errors[0]


def test_geth_format_is_refused():
    with pytest.raises(S.InputError) as info:
        GOV.render_with_governance(inputs(format="geth"), full_governance(), ARTIFACTS)
    assert "only for format parity" in info.value.errors[0]


@pytest.mark.parametrize("gov, expected", [
    ({"safe": {"owners": OWNERS, "threshold": 4}}, "4 is outside 1..3"),
    ({"safe": {"owners": OWNERS, "threshold": 0}}, "0 is outside 1..3"),
    ({"safe": {"owners": [OWNERS[0], OWNERS[0].upper().replace("0X", "0x")], "threshold": 1}}, "duplicate address"),
    ({"safe": {"owners": [OWNERS[0], "0x" + "00" * 20], "threshold": 1}}, "the zero address"),
    ({"safe": {"owners": ["0x" + "00" * 19 + "01"], "threshold": 1}}, "sentinel"),
    ({"safe": {"owners": [], "threshold": 1}}, "safe.owners: empty"),
    ({"safe": {"owners": OWNERS}}, "safe.threshold: required"),
    ({"safe": {"owners": ["0xnot-an-address"], "threshold": 1}}, "is not an address"),
    ({"safe": {"owners": OWNERS, "threshold": 1, "address": "0x" + "00" * 19 + "09"}}, "precompile range"),
    ({"validator_set": {}}, "no owner"),
    ({"tx_permission": {"default_types": 9, "owner": OWNERS[0]}}, "default_types"),
    ({"node_permission": {"enodes": ["enode://abc@1.2.3.4:30303"], "owner": OWNERS[0]}}, "64-byte node id"),
    ({"safe": {"owners": OWNERS, "threshold": 1}, "validator_set": {"address": "0x1000000000000000000000000000000000000005"}},
     "also the address of the safe"),
    ({"sfae": {}}, "governance.sfae: unknown key"),
    ({"safe": {"owners": OWNERS, "threshold": 1, "treshold": 1}}, "safe.treshold: unknown key"),
])
def test_bad_inputs(gov, expected):
    with pytest.raises(S.InputError) as info:
        GOV.parse_governance(gov, {"list": VALIDATORS})
    assert expected in "; ".join(info.value.errors)


def test_validator_set_needs_a_validator_list():
    with pytest.raises(S.InputError) as info:
        GOV.render_with_governance(inputs(validators={"safeContract": "0x" + "11" * 20}),
                                   {"safe": {"owners": OWNERS, "threshold": 1}, "validator_set": {}}, ARTIFACTS)
    assert "validators option must be a {list: [...]}" in info.value.errors[0]


def test_predeploy_address_taken_by_an_account():
    with pytest.raises(S.InputError) as info:
        GOV.render_with_governance(inputs(accounts={GOV.DEFAULT_ADDRESSES["safe"]: "1 ether"}),
                                   {"safe": {"owners": OWNERS, "threshold": 1}}, ARTIFACTS)
    assert "also in the accounts option" in info.value.errors[0]


def test_missing_artifacts(tmp_path):
    with pytest.raises(S.InputError) as info:
        GOV.render_with_governance(inputs(), {"safe": {"owners": OWNERS, "threshold": 1}}, str(tmp_path))
    assert "SafeL2.json not found" in info.value.errors[0]


# ----------------------------------------------------------------------------- through the module

def run(capsys, check_mode=False, **args):
    args["_ansible_check_mode"] = check_mode
    with patch_module_args(args):
        with pytest.raises(SystemExit) as info:
            chain_spec.main()
    out = json.loads(capsys.readouterr().out)
    out["rc"] = info.value.code
    return out


def module_args(dest, **kw):
    args = dict(inputs())
    args.update(dest=str(dest), governance=full_governance(), artifacts_dir=ARTIFACTS, engine="openethereum")
    args.update(kw)
    return args


def test_module_writes_and_is_idempotent(tmp_path, capsys, rendered):
    dest = tmp_path / "spec.json"
    out = run(capsys, check_mode=True, **module_args(dest))
    assert out["rc"] == 0 and out["changed"] and not dest.exists()
    out = run(capsys, **module_args(dest))
    assert out["rc"] == 0 and out["changed"], out
    assert json.loads(dest.read_text()) == json.loads(S.canonical_json(rendered[0]))
    assert out["genesis_hash"] == G.genesis_hash(rendered[0])
    assert len(out["governance"]) == 4
    again = run(capsys, **module_args(dest))
    assert again["rc"] == 0 and not again["changed"]


@pytest.mark.parametrize("kw, expected", [
    (dict(format="geth"), "only for format parity"),
    (dict(engine="nethermind"), "Nethermind has no node permission contract"),
    (dict(governance={"tx_permission": {"address": "0x3000000000000000000000000000000000000001",
                                        "deployers": [DEPLOYER]}}), "lacks CREATE"),
])
def test_module_refuses_and_writes_nothing(tmp_path, capsys, kw, expected):
    dest = tmp_path / "spec.json"
    args = module_args(dest, **kw)
    if "tx_permission" in args["governance"] and len(args["governance"]) == 1:
        args["accounts"] = dict(args["accounts"], **{"0x3000000000000000000000000000000000000001": _denying_contract()})
    if kw.get("format") == "geth":
        args.pop("engine")
    out = run(capsys, **copy.deepcopy(args))
    assert out["rc"] == 1 and out.get("failed")
    assert expected in out["msg"]
    assert not dest.exists()


DEPLOYED_VALIDATOR_SET = "0x%040x" % 0x5e7ab1e


def test_switch_of_a_running_chain_keeps_its_genesis():
    plain, _w = S.render(inputs())
    spec, _w, report = GOV.render_with_governance(
        inputs(), {"validator_set": {"address": DEPLOYED_VALIDATOR_SET, "from_block": 5000, "predeploy": False}},
        ARTIFACTS)
    assert spec["engine"]["authorityRound"]["params"]["validators"] == {"multi": {
        "0": {"list": VALIDATORS}, "5000": {"safeContract": DEPLOYED_VALIDATOR_SET}}}
    assert G.genesis_hash(spec) == G.genesis_hash(plain)
    assert DEPLOYED_VALIDATOR_SET not in spec["accounts"]
    assert any("deployed on the running chain, from block 5000" in line for line in report)


@pytest.mark.parametrize("vset, message", [
    ({"from_block": 5000, "predeploy": False}, "validator_set.address: required with predeploy: false"),
    ({"address": DEPLOYED_VALIDATOR_SET, "predeploy": False}, "validator_set.from_block: 0 with predeploy: false"),
    ({"address": DEPLOYED_VALIDATOR_SET, "from_block": 1, "predeploy": "no"}, "validator_set.predeploy: must be true"),
])
def test_switch_of_a_running_chain_needs_address_and_a_later_block(vset, message):
    with pytest.raises(S.InputError) as err:
        GOV.render_with_governance(inputs(), {"validator_set": vset}, ARTIFACTS)
    assert any(message in e for e in err.value.errors), err.value.errors
