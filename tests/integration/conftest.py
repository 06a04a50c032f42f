"""Helpers for integration tests: real ansible-playbook runs against inventories/local."""
from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCAL_INVENTORY = ROOT / "inventories" / "local"
IEXEC_BIN = os.environ.get("IEXEC_BIN") or str(ROOT / "node_modules" / ".bin" / "iexec")
ANVIL = os.environ.get("ANVIL_BIN") or str(ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil")
RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def free_ports(candidates, count: int) -> list[int]:
    """`count` ports of `candidates` that nobody listens on (bound and released at once), or a skip."""
    found = []
    for port in candidates:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        found.append(port)
        if len(found) == count:
            return found
    pytest.skip("not enough free ports in %d-%d" % (candidates[0], candidates[-1]))
    return found


def stop_process(proc: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL if it has not exited after `timeout` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def anvil_chain(ports, *args: str, log: Path | None = None):
    """An anvil on 127.0.0.1 at the first port of `ports` it binds, answering eth_chainId; `args`
    are anvil's own options (--chain-id, --hardfork, --block-time, ...). Yields its URL and stops
    it on exit. Output goes to `log`, or nowhere (--silent)."""
    if not os.path.exists(ANVIL):
        pytest.skip("anvil not found at %s (set ANVIL_BIN)" % ANVIL)
    for port in free_ports(ports, 3):
        cmd = [ANVIL, "--host", "127.0.0.1", "--port", str(port), *args] + ([] if log else ["--silent"])
        with contextlib.ExitStack() as output:
            out = output.enter_context(open(log, "a", encoding="utf-8")) if log else subprocess.DEVNULL
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)  # pylint: disable=consider-using-with
        url = "http://127.0.0.1:%d" % port
        deadline = time.monotonic() + 20
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                if "result" in json_rpc(url, "eth_chainId", timeout=2):
                    break
            except OSError:  # not listening yet
                time.sleep(0.05)
        else:
            stop_process(proc)  # lost the port to someone else, or too slow: try the next one
            continue
        try:
            yield url
        finally:
            stop_process(proc)
        return
    raise RuntimeError("no anvil could start on 127.0.0.1:%d-%d" % (ports[0], ports[-1]))


def json_rpc(url: str, method: str, params: list | None = None, timeout: float = 10) -> dict:
    """One JSON-RPC request with no client library in the way; returns the decoded answer
    (``result`` or ``error``). A refused connection raises urllib.error.URLError."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return json.load(answer)


def mesh_and_heads(w3s: dict):
    """(full mesh, one chain in sync): every node has N-1 peers, the heads are at most one block
    apart, and every node has the same block at the lowest head. The heads are read one node after
    the other, so a block sealed meanwhile must not count as a fork."""
    peers = {name: w3.net.peer_count for name, w3 in w3s.items()}
    heads = {name: w3.eth.block_number for name, w3 in w3s.items()}
    mesh = all(count == len(w3s) - 1 for count in peers.values())
    common = min(heads.values())
    in_sync = max(heads.values()) - common <= 1 and len(
        {bytes(w3.eth.get_block(common)["hash"]) for w3 in w3s.values()}) == 1
    return mesh, in_sync, peers, heads


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

    def report(self, tail: int = 3000) -> str:
        """For an assertion message: each failed task (its header and its first lines of error),
        then the end of the output. A long run's tail alone often misses the failure."""
        failures, task = [], ""
        for line in self.output.splitlines():
            if line.startswith("TASK ["):
                task = line
            elif line.startswith(("fatal:", "failed:")):
                failures.append(task + "\n" + line[:1500])
        return "failed tasks:\n%s\n...\n%s" % ("\n".join(failures) or "(none)", self.output[-tail:])


def run_playbook(playbook: str, build_dir: Path | None, *args: str, env: dict | None = None,
                 inventory: Path = LOCAL_INVENTORY) -> PlaybookRun:
    """Run a playbook of the collection with the build dir (all written state) under build_dir,
    or, with build_dir None, where the inventory itself puts it."""
    full_env = dict(os.environ)
    full_env.update({
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".ansible" / "collections"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
    })
    full_env.update(env or {})
    cmd = ["ansible-playbook", "-i", str(inventory), str(ROOT / "playbooks" / playbook), *args]
    if build_dir is not None:
        cmd += ["-e", f"consortium_build_dir={build_dir}"]
    proc = subprocess.run(cmd, cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=900, check=False)
    return PlaybookRun(proc)


# Tests on the whole local consortium run last, on one bring-up shared by their modules; the
# modules that stop or kill nodes (test_nodes) run after the others.
DESTRUCTIVE_MODULES = ("test_nodes.py",)


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items):
    def order(item):
        if "consortium" not in getattr(item, "fixturenames", ()):
            return 0
        return 2 if item.path.name in DESTRUCTIVE_MODULES else 1
    for item in items:
        if order(item):
            # `-m consortium` and `-m "not consortium"` split the suite into two runs that can go
            # at once (scripts/test.sh); the others leave the consortium's ports alone.
            item.add_marker(pytest.mark.consortium)
    items.sort(key=order)  # stable: the file order stays within each group


@pytest.fixture(scope="session")
def consortium(tmp_path_factory):
    """The whole local consortium (site.yml on inventories/local: nodes, PoCo, bridge) in a
    temporary build dir, stopped at the end. POA_TEST_BUILD=DIR uses a consortium already up
    with that build dir instead (for developing tests against `make up`), and leaves it up."""
    reuse = os.environ.get("POA_TEST_BUILD")
    if reuse:
        build = Path(reuse).resolve()
        yield SimpleNamespace(build=build, up=None, elapsed=None,
                              manifest=json.loads((build / "manifest.json").read_text()))
        return
    build = tmp_path_factory.mktemp("consortium") / "build"
    build.mkdir()
    started = time.monotonic()
    up = run_playbook("site.yml", build)
    elapsed = time.monotonic() - started
    manifest = json.loads((build / "manifest.json").read_text()) if (build / "manifest.json").exists() else {}
    yield SimpleNamespace(build=build, up=up, elapsed=elapsed, manifest=manifest)
    run_playbook("down.yml", build)


@pytest.fixture()
def build_dir(tmp_path: Path) -> Path:
    d = tmp_path / "build"
    d.mkdir()
    return d


class IexecSdk:
    """The iExec SDK CLI (npm iexec 9.0.1, installed by set-up) in a work dir whose chain.json
    names our chain: its id, an RPC URL and our hub. A fresh wallet is created in the work dir."""

    def __init__(self, work: Path, chain_id: int, rpc_url: str, hub: str):
        work.mkdir(parents=True, exist_ok=True)
        self.work = work
        assert self.run("init", "--skip-wallet", "--force")["ok"]
        # `iexec init` writes its own chain.json: replace it with the custom chain
        (work / "chain.json").write_text(json.dumps({"default": "consortium", "chains": {"consortium": {
            "id": str(chain_id), "host": rpc_url, "hub": hub}}}))
        self.auth = ["--password", "pw", "--keystoredir", str(work / "wallet")]
        self.wallet = self.run("wallet", "create", *self.auth, "--force")
        self.address = "0x" + self.wallet["address"].removeprefix("0x")

    def run(self, *args: str) -> dict:
        """Run one SDK command with --raw and return its JSON answer."""
        proc = subprocess.run([IEXEC_BIN, *args, "--raw"], cwd=self.work, capture_output=True, text=True,
                              timeout=300, check=False)
        lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
        assert lines, f"iexec {' '.join(args)}: rc {proc.returncode}\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
        return json.loads(lines[-1])

    def use_hub(self, registries: dict[str, str]) -> None:
        """What a new user does on a hub: check the wallet (1 ether and 500 RLC given to it
        beforehand), stake 100 RLC, read the categories, then deploy an app, a dataset and a
        workerpool and read each back. Asserts on what the SDK reports."""
        auth = self.auth
        shown = self.run("wallet", "show", *auth)
        assert shown["balance"]["RLC"] == "500.0" and shown["balance"]["ether"] == "1.0", shown
        assert self.run("account", "show", *auth)["balance"]["stake"] == "0"
        # deposit = RLC.approveAndCall(hub): exercises the token <-> hub wiring of token mode
        assert self.run("account", "deposit", "100", *auth)["ok"]
        assert self.run("account", "show", *auth)["balance"]["stake"] == "100"
        assert self.run("category", "count")["count"] == "5"
        assert self.run("category", "show", "4")["category"]["name"] == "XL"
        for kind in ("app", "dataset", "workerpool"):
            assert self.run(kind, "init", *auth)["ok"]
            deployed = self.run(kind, "deploy", *auth)
            assert deployed["ok"] and deployed["address"], deployed
            shown = self.run(kind, "show", "0", *auth)
            assert shown["address"] == deployed["address"]
            assert shown[kind]["owner"].lower() == self.address.lower()
            assert shown[kind]["registry"].lower() == registries[kind].lower(), (kind, shown)
            assert self.run(kind, "count", *auth)["count"] == "1"
