# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the chain_spec module's main() with patch_module_args."""

from __future__ import annotations

import json
import os

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.poa.consortium.plugins.module_utils import genesis as G
from ansible_collections.poa.consortium.plugins.modules import chain_spec

VALIDATORS = [
    "0x00bd138abd70e2f00903268f3db08f2d25677c9e",
    "0x00aa39d30f0d20ff03a22ccfc30b7efbfca597c2",
    "0x002e28950558fbede1a9675cb113f0bd20912019",
    "0x00a94ac799442fb13de8302026fd03068ba6a428",
    "0x00d4f0e12020c15487b2525abe52f3d3f7ae1c6b",
]


def run(capsys, check_mode=False, diff=False, **args):
    args["_ansible_check_mode"] = check_mode
    args["_ansible_diff"] = diff
    with patch_module_args(args):
        with pytest.raises(SystemExit) as info:
            chain_spec.main()
    out = json.loads(capsys.readouterr().out)
    out["rc"] = info.value.code
    return out


def base(dest, **kw):
    args = dict(dest=str(dest), name="consortium", network_id=8995, step_duration=5,
                validators={"list": VALIDATORS}, accounts={VALIDATORS[0]: {"balance": "100 ether"}})
    args.update(kw)
    return args


def test_render_then_idempotent(capsys, tmp_path):
    dest = tmp_path / "spec.json"
    out = run(capsys, **base(dest))
    assert out["rc"] == 0 and out["changed"]
    doc = json.loads(dest.read_text())
    assert out["genesis_hash"] == G.genesis_hash(doc)
    assert doc["engine"]["authorityRound"]["params"]["validators"] == {"list": VALIDATORS}
    assert os.stat(dest).st_mode & 0o777 == 0o644
    mtime = os.stat(dest).st_mtime_ns
    again = run(capsys, **base(dest))
    assert again["rc"] == 0 and not again["changed"] and again["genesis_hash"] == out["genesis_hash"]
    assert os.stat(dest).st_mtime_ns == mtime
    # No temp file left behind.
    assert os.listdir(tmp_path) == ["spec.json"]


def test_check_mode_predicts_and_writes_nothing(capsys, tmp_path):
    dest = tmp_path / "spec.json"
    out = run(capsys, check_mode=True, **base(dest))
    assert out["rc"] == 0 and out["changed"] and not dest.exists()
    run(capsys, **base(dest))
    out = run(capsys, check_mode=True, **base(dest, step_duration=6))
    assert out["changed"]
    assert json.loads(dest.read_text())["engine"]["authorityRound"]["params"]["stepDuration"] == 5


def test_diff_shows_the_real_change(capsys, tmp_path):
    dest = tmp_path / "spec.json"
    run(capsys, **base(dest))
    out = run(capsys, diff=True, **base(dest, step_duration=3))
    assert out["changed"]
    before, after = out["diff"]["before"], out["diff"]["after"]
    changed = [(b, a) for b, a in zip(before.splitlines(), after.splitlines()) if b != a]
    assert changed == [('        "stepDuration": 5,', '        "stepDuration": 3,')] or \
        changed == [('        "stepDuration": 5', '        "stepDuration": 3')]
    assert json.loads(dest.read_text())["engine"]["authorityRound"]["params"]["stepDuration"] == 3
    out = run(capsys, diff=True, **base(dest, step_duration=3))
    assert not out["changed"] and out["diff"]["before"] == out["diff"]["after"]


@pytest.mark.parametrize("kw,field", [
    (dict(validators={"list": []}), "validators.list"),
    (dict(validators={"list": [VALIDATORS[0], VALIDATORS[0]]}), "validators.list[1]"),
    (dict(validators={"list": ["0xnothex"]}), "validators.list[0]"),
    (dict(step_duration=0), "step_duration"),
    (dict(genesis={"gas_limit_bound_divisor": 0}), "genesis.gas_limit_bound_divisor"),
    (dict(forks="frontierish"), "forks"),
    (dict(accounts={"0x1": 5}), "accounts.0x1"),
    (dict(params={"eip2200Transition": 0}), "params.eip2200Transition"),
])
def test_invalid_input_fails_and_writes_nothing(capsys, tmp_path, kw, field):
    dest = tmp_path / "spec.json"
    out = run(capsys, **base(dest, **kw))
    assert out["rc"] == 1 and out["failed"]
    assert field in out["msg"] and "fix" in out["msg"]
    assert any(e.startswith(field) for e in out["errors"])
    assert not dest.exists() and os.listdir(tmp_path) == []


def test_invalid_input_keeps_existing_file(capsys, tmp_path):
    dest = tmp_path / "spec.json"
    run(capsys, **base(dest))
    text = dest.read_text()
    out = run(capsys, **base(dest, step_duration=0))
    assert out["rc"] == 1 and dest.read_text() == text


def test_geth_format(capsys, tmp_path):
    dest = tmp_path / "genesis.json"
    out = run(capsys, **base(dest, format="geth", name=None, chain_id=8995))
    assert out["rc"] == 0 and out["changed"] and out["format"] == "geth"
    doc = json.loads(dest.read_text())
    assert doc["config"]["clique"]["period"] == 5
    assert out["genesis_hash"] == G.geth_genesis_hash(doc)
    assert not run(capsys, **base(dest, format="geth", name=None, chain_id=8995))["changed"]


@pytest.mark.parametrize("ids", [{"network_id": 99}, {"chain_id": 100}, {"network_id": 1, "chain_id": 1}])
def test_a_public_chain_id_is_refused_unless_allowed(capsys, tmp_path, ids):
    dest = tmp_path / "spec.json"
    out = run(capsys, **base(dest, **ids))
    assert out["rc"] == 1 and "is the id of" in out["msg"] and "allow_public_chain_id=true" in out["msg"]
    assert not dest.exists()
    allowed = run(capsys, **base(dest, allow_public_chain_id=True, **ids))
    assert allowed["rc"] == 0 and any("is the id of" in w for w in allowed["spec_warnings"])


def test_missing_directory(capsys, tmp_path):
    out = run(capsys, **base(tmp_path / "nope" / "spec.json"))
    assert out["rc"] == 1 and "does not exist" in out["msg"]


def test_failing_constructor_fails_and_writes_nothing(capsys, tmp_path):
    dest = tmp_path / "spec.json"
    # init code 0xfe: INVALID opcode, the constructor cannot run.
    out = run(capsys, **base(dest, accounts={VALIDATORS[1]: {"balance": 1, "constructor": "0xfe"}}))
    assert out["rc"] == 1
    assert "accounts.%s.constructor" % VALIDATORS[1] in out["msg"]
    assert not dest.exists()


@pytest.mark.parametrize("fmt", ["parity", "geth"])
@pytest.mark.parametrize("change, named", [
    ({"validators": {"list": VALIDATORS[:4]}}, ["validators"]),
    ({"chain_id": 8996}, ["chain id"]),
    ({"accounts": {VALIDATORS[1]: {"balance": "5 ether"}}}, ["accounts"]),
    ({"step_duration": 3}, ["step duration"]),
])
def test_a_live_chains_genesis_is_frozen(capsys, tmp_path, fmt, change, named):
    """With the chain's genesis hash given, a spec with another genesis is refused (in check mode
    too), the file is left as it was, and the message names what changed."""
    dest = tmp_path / "spec.json"
    first = run(capsys, **base(dest, format=fmt))
    content = dest.read_bytes()
    frozen = first["genesis_hash"]
    assert run(capsys, **base(dest, format=fmt, frozen_genesis_hash=frozen.upper()))["rc"] == 0
    for check_mode in (True, False):
        out = run(capsys, check_mode=check_mode, diff=True, **base(dest, format=fmt, frozen_genesis_hash=frozen, **change))
        assert out["rc"] == 1 and out["changes"] == named, out
        assert "the consortium's chain runs genesis %s. Changed: %s." % (frozen, ", ".join(named)) in out["msg"]
        assert "chain_spec_new_chain=true" in out["msg"]
    assert dest.read_bytes() == content
    # Without a frozen hash (a new chain on purpose) the same change is written.
    assert run(capsys, **base(dest, format=fmt, **change))["changed"]
    assert dest.read_bytes() != content


def test_a_live_chain_may_still_change_what_its_genesis_does_not_hold(capsys, tmp_path):
    dest = tmp_path / "spec.json"
    frozen = run(capsys, **base(dest))["genesis_hash"]
    renamed = run(capsys, **base(dest, name="consortium-2", frozen_genesis_hash=frozen))
    assert renamed["rc"] == 0 and renamed["changed"] and json.loads(dest.read_text())["name"] == "consortium-2"
