"""Benchmark: empty state -> verified 5-node consortium on inventories/local, and a no-op re-run.

Prints the wall time of
  1. site.yml without the contracts phase, from an empty build dir, until status.yml has
     verified every node (4 peers, head advancing, every authority sealed a recent block);
  2. the same run again (no-op: changed=0);
  3. a plain Ansible run on the same inventory with the same number of no-op tasks per host
     (ansible.builtin.stat), measured in the same session, for comparison.
Targets (issue 4): (1) <= 60 s; (2) <= 1.5 x (3). The nodes are stopped and removed at the end.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)", re.M)
ENV = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
           ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".ansible" / "collections"),
           PATH=f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}")


def play(playbook: str, build: Path, *args: str):
    start = time.monotonic()
    proc = subprocess.run(["ansible-playbook", "-i", str(ROOT / "inventories" / "local"), playbook,
                           "-e", f"consortium_build_dir={build}", *args],
                          cwd=ROOT, env=ENV, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit(f"{playbook} failed (rc {proc.returncode}):\n{proc.stdout[-3000:]}")
    return elapsed, {h: tuple(map(int, rest)) for h, *rest in RECAP.findall(proc.stdout)}


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="poa-bench-") as tmp:
        build = Path(tmp) / "build"
        build.mkdir()
        try:
            up = play("playbooks/site.yml", build, "--skip-tags", "contracts")[0]
            noop, recap = play("playbooks/site.yml", build, "--skip-tags", "contracts")
            changed = sum(r[1] for r in recap.values())
            # Same number of tasks per host as the no-op run executed (ok + skipped).
            tasks = {h: r[0] + r[4] for h, r in recap.items()}
            per_host = max(n for h, n in tasks.items() if h != "localhost")
            on_localhost = tasks.get("localhost", 0)
            plain = Path(tmp) / "plain.yml"
            noop_task = "    - name: No-op {0}\n      ansible.builtin.stat:\n        path: /\n"
            plain.write_text(
                "---\n- name: Plain no-op tasks on every host\n  hosts: authorities\n  gather_facts: false\n  tasks:\n"
                + "".join(noop_task.format(i) for i in range(per_host))
                + "- name: Plain no-op tasks on the controller\n  hosts: localhost\n  gather_facts: false\n  tasks:\n"
                + "".join(noop_task.format(i) for i in range(on_localhost)))
            base = play(str(plain), build)[0]
        finally:
            play("playbooks/down.yml", build)
    ratio = noop / base if base else float("inf")
    print("%-52s %8s  %s" % ("measure", "seconds", "target"))
    print("%-52s %8.1f  %s" % ("empty state -> verified 5-node consortium", up, "<= 60 s " + ("met" if up <= 60 else "MISSED")))
    print("%-52s %8.1f  changed=%d" % ("no-op re-run", noop, changed))
    print("%-52s %8.1f  %d tasks/host + %d on localhost" % ("plain ansible run, same number of no-op tasks", base, per_host, on_localhost))
    print("%-52s %8.2f  %s" % ("no-op re-run / plain run", ratio, "<= 1.5 " + ("met" if ratio <= 1.5 else "MISSED")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
