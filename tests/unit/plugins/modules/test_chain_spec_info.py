# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the chain_spec_info module's main() with patch_module_args."""

from __future__ import annotations

import hashlib
import json
import os
import shutil

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.poa.consortium.plugins.modules import chain_spec_info

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "chainspecs")


def run(capsys, **args):
    args["_ansible_check_mode"] = False
    with patch_module_args(args):
        with pytest.raises(SystemExit) as info:
            chain_spec_info.main()
    out = json.loads(capsys.readouterr().out)
    out["rc"] = info.value.code
    return out


@pytest.mark.parametrize("name,expected", [
    ("poasokol.json", "0x5b28c1bfd3a15230c9a46b399cd0f9a6920d432e85381cc6a140b06e8410112f"),
    ("xdai.json", "0x4f1dd23188aab3a76b463e4af801b52b1248ef073c648cbdc4c9333d3da79756"),
])
def test_valid_specs(capsys, name, expected):
    out = run(capsys, path=os.path.join(FIXTURES, name))
    assert out["rc"] == 0 and not out["changed"]
    assert out["valid"] is True and out["errors"] == []
    assert out["genesis_hash"] == expected
    assert out["format"] == "parity"
    assert any("networkID" in w for w in out["spec_warnings"])


def test_invalid_but_hashable_spec_returns_hash(capsys):
    # Nethermind's poacore.json carries eip152/eip1108/eip2565Transition, which OpenEthereum refuses.
    out = run(capsys, path=os.path.join(FIXTURES, "poacore.json"))
    assert out["rc"] == 0 and out["valid"] is False
    assert any(e.startswith("params.eip152Transition") for e in out["errors"])
    assert out["genesis_hash"] == "0x39f02c003dde5b073b3f6e1700fc0b84b4877f6839bb23edadd3d2d82a488634"


def test_invalid_unhashable_spec(capsys, tmp_path):
    spec = json.load(open(os.path.join(FIXTURES, "kovan.json"), encoding="utf-8"))
    spec["genesis"]["gasLimit"] = "lots"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(spec))
    out = run(capsys, path=str(path))
    assert out["rc"] == 0 and out["valid"] is False and out["genesis_hash"] is None
    assert any(e.startswith("genesis.gasLimit") for e in out["errors"])


def test_not_json(capsys, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    out = run(capsys, path=str(path))
    assert out["rc"] == 0 and out["valid"] is False and out["genesis_hash"] is None
    assert out["errors"][0].startswith("$: not valid JSON")


def test_missing_file_fails(capsys, tmp_path):
    out = run(capsys, path=str(tmp_path / "missing.json"))
    assert out["rc"] == 1 and out["failed"] and "does not exist" in out["msg"]


def test_unreadable_file_fails(capsys, tmp_path):
    path = tmp_path / "dir.json"
    path.mkdir()
    out = run(capsys, path=str(path))
    assert out["rc"] == 1 and out["failed"]


def test_copy_of_fixture_gives_same_answer(capsys, tmp_path):
    dest = tmp_path / "volta.json"
    shutil.copy(os.path.join(FIXTURES, "volta.json"), dest)
    out = run(capsys, path=str(dest))
    assert out["valid"] and out["genesis_hash"] == "0xebd8b413ca7b7f84a8dd20d17519ce2b01954c74d94a0a739a3e416abe0e43e5"


def test_failing_constructor_is_an_error_with_a_hash(capsys, tmp_path):
    spec = json.load(open(os.path.join(FIXTURES, "poasokol.json"), encoding="utf-8"))
    address = next(a for a, acc in spec["accounts"].items() if "constructor" in acc)
    spec["accounts"][address]["constructor"] = "0xfe"
    path = tmp_path / "sokol.json"
    path.write_text(json.dumps(spec))
    out = run(capsys, path=str(path))
    assert out["rc"] == 0 and out["valid"] is False
    assert any(e.startswith("accounts.%s.constructor" % address) for e in out["errors"])
    assert out["genesis_hash"].startswith("0x") and out["genesis_hash"] != \
        "0x5b28c1bfd3a15230c9a46b399cd0f9a6920d432e85381cc6a140b06e8410112f"


def test_checksum_follows_the_bytes_not_the_genesis(capsys, tmp_path):
    """A reformatted spec keeps its genesis hash but not its checksum (the node restarts on it)."""
    dest = tmp_path / "volta.json"
    shutil.copy(os.path.join(FIXTURES, "volta.json"), dest)
    first = run(capsys, path=str(dest))
    assert first["checksum"] == hashlib.sha256(dest.read_bytes()).hexdigest()
    dest.write_text(json.dumps(json.loads(dest.read_text(encoding="utf-8")), indent=1), encoding="utf-8")
    second = run(capsys, path=str(dest))
    assert second["genesis_hash"] == first["genesis_hash"]
    assert second["checksum"] == hashlib.sha256(dest.read_bytes()).hexdigest() != first["checksum"]
