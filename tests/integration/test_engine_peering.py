"""The local engine's peer bookkeeping (poa-patches.mjs fix 15), on real devp2p servers over TCP.

Two nodes that dial each other at the same moment end with one connection refused as a
duplicate. Unpatched, that refusal also erases the entry of the connection that stays, so a
node stops counting a peer it is still connected to (a CI run ended with a 3-node mesh stuck
at peers 2, 2, 1). The script pairs servers with dial offsets of 0..39 ms and checks that both
sides of each pair agree with each other and with the connection that is really open.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT

ENGINE_FILES = ROOT / "roles" / "node" / "files" / "ethereumjs"
SCRIPT = Path(__file__).parent / "engine" / "cross_dial.mjs"
PAIRS = 40


@pytest.fixture(scope="module")
def engine_dir(tmp_path_factory) -> Path:
    """The preloads next to a node_modules holding the engine (the project's, from set-up)."""
    modules = ROOT / "node_modules"
    if not (modules / "@ethereumjs" / "devp2p").is_dir():
        pytest.fail("node_modules/@ethereumjs/devp2p is missing: run scripts/setup.sh")
    d = tmp_path_factory.mktemp("engine")
    for f in list(ENGINE_FILES.glob("*.mjs")) + list(ENGINE_FILES.glob("*.cjs")):
        shutil.copy(f, d / f.name)
    (d / "node_modules").symlink_to(modules)
    return d


def _cross_dial(engine_dir: Path, mode: str) -> dict:
    out = subprocess.run(["node", str(SCRIPT), str(engine_dir), mode, str(PAIRS), "127.0.0.1"],
                         capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_crossed_dials_leave_both_sides_agreeing(engine_dir):
    result = _cross_dial(engine_dir, "patched")
    assert result["pairs"] == PAIRS and sum(result["outcomes"].values()) == PAIRS
    assert result["inconsistent"] == 0, result


def test_unpatched_devp2p_loses_the_connection_that_stays(engine_dir):
    # The same check on the unpatched library finds the bug, so the test above can fail.
    result = _cross_dial(engine_dir, "plain")
    assert result["inconsistent"] > 0, result
