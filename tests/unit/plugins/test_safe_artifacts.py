# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Safe 1.4.1 artifacts shipped in contracts/artifacts/safe/ are exact copies of the pinned
npm package's, and scripts/copy-safe-artifacts.js --check notices when one is not."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "copy-safe-artifacts.js"
SAFE_DIR = ROOT / "contracts" / "artifacts" / "safe"
NAMES = ("SafeL2", "SafeProxyFactory", "SafeProxy")


def run_check(root):
    return subprocess.run(["node", str(root / "scripts" / "copy-safe-artifacts.js"), "--check"], cwd=root,
                          capture_output=True, text=True, timeout=60, check=False)


def test_the_shipped_artifacts_match_the_pinned_package():
    proc = run_check(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 Safe artifacts match @safe-global/safe-contracts@1.4.1" in proc.stdout


def test_check_fails_on_a_changed_or_extra_artifact(tmp_path):
    # A scratch tree with the script, package.json, node_modules (linked) and a copy of the artifacts.
    (tmp_path / "scripts").mkdir()
    shutil.copy(SCRIPT, tmp_path / "scripts")
    shutil.copy(ROOT / "package.json", tmp_path)
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
    target = tmp_path / "contracts" / "artifacts" / "safe"
    shutil.copytree(SAFE_DIR, target)
    assert run_check(tmp_path).returncode == 0

    artifact = json.loads((target / "SafeProxy.json").read_text(encoding="utf-8"))
    artifact["bytecode"] = artifact["bytecode"][:-2] + "00"
    (target / "SafeProxy.json").write_text(json.dumps(artifact, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    (target / "Stale.json").write_text("{}\n", encoding="utf-8")
    proc = run_check(tmp_path)
    assert proc.returncode == 1
    assert "contracts/artifacts/safe/SafeProxy.json" in proc.stderr
    assert "contracts/artifacts/safe/Stale.json" in proc.stderr
    assert "SafeL2.json" not in proc.stderr


def test_each_artifact_holds_what_a_deployment_needs_and_its_origin():
    for name in NAMES:
        artifact = json.loads((SAFE_DIR / (name + ".json")).read_text(encoding="utf-8"))
        assert sorted(artifact) == ["abi", "bytecode", "contractName", "deployedBytecode", "source"]
        assert artifact["contractName"] == name
        assert artifact["source"] == "@safe-global/safe-contracts@1.4.1 (LGPL-3.0-only)"
        assert artifact["bytecode"].startswith("0x") and len(artifact["bytecode"]) > 100
    functions = {item["name"] for item in json.loads((SAFE_DIR / "SafeL2.json").read_text())["abi"]
                 if item["type"] == "function"}
    assert {"setup", "execTransaction", "getTransactionHash", "getOwners", "getThreshold", "nonce"} <= functions
