"""Helpers for integration tests: real ansible-playbook runs against inventories/local."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCAL_INVENTORY = ROOT / "inventories" / "local"
RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


class PlaybookRun:
    def __init__(self, proc: subprocess.CompletedProcess):
        self.rc = proc.returncode
        self.output = proc.stdout + proc.stderr

    def recap(self) -> dict[str, dict[str, int]]:
        return {
            host: {"ok": int(ok), "changed": int(ch), "unreachable": int(un), "failed": int(fa)}
            for host, ok, ch, un, fa in RECAP.findall(self.output)
        }

    def changed_total(self) -> int:
        return sum(h["changed"] for h in self.recap().values())


def run_playbook(playbook: str, build_dir: Path, *args: str, env: dict | None = None,
                 inventory: Path = LOCAL_INVENTORY) -> PlaybookRun:
    """Run a playbook of the collection with the build dir (all written state) under build_dir."""
    full_env = dict(os.environ)
    full_env.update({
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".ansible" / "collections"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
    })
    full_env.update(env or {})
    cmd = ["ansible-playbook", "-i", str(inventory), str(ROOT / "playbooks" / playbook),
           "-e", f"consortium_build_dir={build_dir}", *args]
    proc = subprocess.run(cmd, cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=900, check=False)
    return PlaybookRun(proc)


@pytest.fixture()
def build_dir(tmp_path: Path) -> Path:
    d = tmp_path / "build"
    d.mkdir()
    return d
