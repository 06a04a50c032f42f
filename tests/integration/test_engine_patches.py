"""Engine fixes in poa-patches.mjs tested on the engine's own libraries, each in a case that
fails without the fix (checked here too, so each test can fail).

Fix 15, peer bookkeeping, on real devp2p servers over TCP: two nodes that dial each other at
the same moment end with one connection refused as a duplicate. Unpatched, that refusal also
erases the entry of the connection that stays, so a node stops counting a peer it is still
connected to (a CI run ended with a 3-node mesh stuck at peers 2, 2, 1). The script pairs
servers with dial offsets of 0..39 ms and checks that both sides of each pair agree with each
other and with the connection that is really open.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT

ENGINE_FILES = ROOT / "roles" / "node" / "files" / "ethereumjs"
SCRIPTS = Path(__file__).parent / "engine"
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


def _node(script: str, *args: str) -> dict:
    out = subprocess.run(["node", str(SCRIPTS / script), *args],
                         capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _cross_dial(engine_dir: Path, mode: str) -> dict:
    return _node("cross_dial.mjs", str(engine_dir), mode, str(PAIRS), "127.0.0.1")


def test_crossed_dials_leave_both_sides_agreeing(engine_dir):
    result = _cross_dial(engine_dir, "patched")
    assert result["pairs"] == PAIRS and sum(result["outcomes"].values()) == PAIRS
    assert result["inconsistent"] == 0, result


def test_unpatched_devp2p_loses_the_connection_that_stays(engine_dir):
    # The same check on the unpatched library finds the bug, so the test above can fail.
    result = _cross_dial(engine_dir, "plain")
    assert result["inconsistent"] > 0, result


# Fix 16, on a real Clique chain (sealed blocks, consensus validation on). "recently signed" was
# checked against the signer list the blockchain keeps for its canonical chain, not against the
# block's own ancestors. A node whose list no longer matched its chain (after a kill-all storm
# of a local consortium) refused every next block and stayed 130 blocks behind for good; with
# the fix it caught up at once. A block on a heavier side branch was refused the same way.

def test_blocks_are_checked_against_their_own_ancestors(engine_dir):
    result = _node("clique_fork.mjs", str(engine_dir), "patched")
    assert result == {"side3": "accepted", "head": 4, "on_side_branch": True, "stale3": "accepted"}


def test_unpatched_clique_checks_against_the_kept_list(engine_dir):
    result = _node("clique_fork.mjs", str(engine_dir), "plain")
    assert result == {"side3": "recently signed", "head": 2, "on_side_branch": False,
                      "stale3": "recently signed"}
