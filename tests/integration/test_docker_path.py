"""The docker path of role node, for real: a local Docker engine, the locally built engine image,
and a three-authority consortium of geth 1.13.15 (Clique) containers, brought up by the
molecule/docker scenario's converge (the collection's authorities, chain and nodes phases with
node_deploy_mode docker, so roles/node/tasks/docker.yml), then checked over JSON-RPC.

Each authority's p2p socket is on its own loopback address (127.0.42.x, the address the other
hosts see); its JSON-RPC, which reaches the unlocked signer, is on 127.0.0.1 only.

Skips only when Docker cannot be installed or started here (not root, apt or dockerd failing).
Leaves the engine as it found it: stopped again if this test started it.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
from pathlib import Path

import pytest
from conftest import json_rpc

from ansible_collections.poa.consortium.plugins.module_utils import status

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "scripts" / "docker-engine.sh"
BUILD = ROOT / "scripts" / "build-engine-image.sh"
# The scenario's nodes (molecule/docker/molecule.yml host_vars): "host" is the address the other
# hosts see (p2p); JSON-RPC is on RPC_HOST.
RPC_HOST = "127.0.0.1"
NODES = {
    "alpha-1": {"host": "127.0.42.1", "p2p": 30421, "rpc": 8421},
    "alpha-2": {"host": "127.0.42.2", "p2p": 30422, "rpc": 8422},
    "beta-1": {"host": "127.0.42.3", "p2p": 30423, "rpc": 8423},
}
CHAIN_ID = 424242
PERIOD = 2
GETH_VERSION = "1.13.15"


def _run(cmd: list[str], timeout: int, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, check=False)


def _molecule(action: str, timeout: int = 240, extra: list[str] | None = None) -> subprocess.CompletedProcess:
    venv_bin = ROOT / ".venv" / "bin"
    env = {
        "PATH": f"{venv_bin}:{os.environ.get('PATH', '')}",
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".ansible" / "collections"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "NO_COLOR": "1",
    }
    return _run([str(venv_bin / "molecule"), action, "-s", "docker", *(extra or [])], timeout, env)


def rpc_url(node: str, host: str = RPC_HOST) -> str:
    return f"http://{host}:{NODES[node]['rpc']}"


def rpc(node: str, method: str, params: list | None = None):
    answer = json_rpc(rpc_url(node), method, params)
    assert "error" not in answer, f"{node} {method}: {answer['error']}"
    return answer["result"]


def _port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(2)
        return s.connect_ex((host, port)) == 0


@pytest.fixture(scope="module")
def engine():
    """A running Docker engine; stopped at the end if this fixture started it."""
    if os.geteuid() != 0:
        pytest.skip("the docker path needs root to install and run dockerd (not root here)")
    started = _run(["bash", str(ENGINE), "start"], timeout=300)
    if started.returncode in (2, 3):
        pytest.skip(f"Docker cannot be installed or started here: {started.stdout}{started.stderr}")
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        yield "starting dockerd" in started.stdout
    finally:
        if "starting dockerd" in started.stdout:
            stopped = _run(["bash", str(ENGINE), "stop"], timeout=120)
            assert stopped.returncode == 0, stopped.stdout + stopped.stderr


@pytest.fixture(scope="module")
def image(engine):
    """The engine image, built (or found up to date) by scripts/build-engine-image.sh."""
    build = _run(["bash", str(BUILD)], timeout=600)
    assert build.returncode == 0, build.stderr[-3000:]
    tag = build.stdout.strip().splitlines()[-1]
    assert tag.startswith(f"poa-consortium/geth:{GETH_VERSION}-") and tag.split("-")[-1].isdigit(), tag
    return tag


@pytest.fixture(scope="module")
def network(image):
    """The scenario's nodes converged (molecule converge -s docker); removed again afterwards."""
    try:
        t0 = time.monotonic()
        conv = _molecule("converge")
        assert conv.returncode == 0, conv.stdout[-6000:] + conv.stderr[-3000:]
        yield {"tag": image, "converge_s": time.monotonic() - t0}
    finally:
        _molecule("cleanup")


# A throwaway geth in --dev mode (no p2p at all; its unlocked dev account behind HTTP on
# 127.0.0.1) run through the role's docker tasks with hand-made variables.
PROBE_PLAYBOOK = """
- name: Probe the node role's docker tasks
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
    node_name: docker-path-probe
    node_deploy_mode: docker
    node_engine: geth
    node_runtime_dir: /data
    node_rpc_host: 127.0.0.1
    node_rpc_port: 8429
    node_start_timeout: 60
    node_command: [--dev, --dev.period, "1", --datadir, /data/db, --ipcdisable,
                   --http, --http.addr, 127.0.0.1, --http.port, "8429", --http.api, "eth,net,web3",
                   --authrpc.addr, 127.0.0.1, --authrpc.port, "28429", --verbosity, "2"]
  tasks:
    - name: Run the probe node
      ansible.builtin.include_role:
        name: poa.consortium.node
        tasks_from: "{{ probe_tasks }}"
"""


def _probe(tmp_path: Path, image: str, config_hash: str, tasks: str = "docker") -> subprocess.CompletedProcess:
    pb = tmp_path / "probe.yml"
    pb.write_text(PROBE_PLAYBOOK)
    data = tmp_path / "probe-data"
    data.mkdir(exist_ok=True)
    env = {
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".ansible" / "collections"),
        "ANSIBLE_NOCOLOR": "1",
        "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ.get('PATH', '')}",
    }
    extra = json.dumps({"probe_tasks": tasks, "node_container_image": image,
                        "node_config_hash": config_hash, "node_data_dir": str(data)})
    return _run([str(ROOT / ".venv" / "bin" / "ansible-playbook"), "-i", "localhost,", str(pb),
                 "-e", extra], timeout=180, env=env)


def _container_id(name: str) -> str:
    out = _run(["docker", "inspect", "--format", "{{.Id}}", name], timeout=30)
    return out.stdout.strip() if out.returncode == 0 else ""


def test_only_a_config_hash_change_recreates_the_container(image, tmp_path):
    try:
        first = _probe(tmp_path, image, "a" * 64)
        assert first.returncode == 0, first.stdout[-4000:]
        created = _container_id("poa-docker-path-probe")
        assert created
        same = _probe(tmp_path, image, "a" * 64)
        assert same.returncode == 0 and "changed=0" in same.stdout, same.stdout[-4000:]
        assert _container_id("poa-docker-path-probe") == created
        changed = _probe(tmp_path, image, "b" * 64)
        assert changed.returncode == 0 and "changed=1" in changed.stdout, changed.stdout[-4000:]
        recreated = _container_id("poa-docker-path-probe")
        assert recreated and recreated != created
        # the engine answers on its own address after the recreate
        assert "result" in json_rpc("http://127.0.0.1:8429", "eth_chainId")
    finally:
        down = _probe(tmp_path, image, "b" * 64, tasks="cleanup")
        assert down.returncode == 0, down.stdout[-4000:]
    assert _container_id("poa-docker-path-probe") == ""


def _manifest() -> dict:
    """The scenario's consortium manifest, found through a node container's data mount
    (<build>/hosts/<node> -> <build>/manifest.json)."""
    out = _run(["docker", "inspect", "poa-alpha-1"], timeout=30)
    assert out.returncode == 0, out.stderr
    mounts = [m for m in json.loads(out.stdout)[0]["Mounts"] if m["Destination"] == "/data"]
    assert len(mounts) == 1, mounts
    return json.loads((Path(mounts[0]["Source"]).parents[1] / "manifest.json").read_text())


def wait_for_full_mesh(timeout: float):
    """Every node peered with every other one, within timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        peers = {node: int(rpc(node, "net_peerCount"), 16) for node in NODES}
        if all(count == len(NODES) - 1 for count in peers.values()):
            return
        assert time.monotonic() < deadline, f"not a full mesh after {timeout} s: {peers}"
        time.sleep(1)


def test_nodes_run_geth_and_see_each_other(network):
    for node in NODES:
        assert rpc(node, "web3_clientVersion").startswith(f"Geth/v{GETH_VERSION}-"), node
        assert int(rpc(node, "eth_chainId"), 16) == CHAIN_ID
    # The converge returns once every RPC answers; static peers are dialled within seconds.
    wait_for_full_mesh(45)


def test_genesis_matches_the_manifest_and_every_authority_seals(network):
    manifest = _manifest()
    assert sorted(n["name"] for n in manifest["nodes"]) == sorted(NODES)
    for n in manifest["nodes"]:
        assert n["rpc_url"] == rpc_url(n["name"])
        assert rpc(n["name"], "eth_getBlockByNumber", ["0x0", False])["hash"] == manifest["genesis_hash"]
        # the signer each node runs is the authority the manifest (and so the genesis) names
        assert rpc(n["name"], "eth_coinbase").lower() == n["address"].lower()
    # Seals are recovered from the blocks (Clique signature in extraData): every authority's
    # unlocked signer is at work, not just its process. Right after the converge the chain may be
    # a block or two long: give every authority its turns (as the status module's `wait` does).
    deadline = time.monotonic() + 20 * PERIOD
    while True:
        rows, problems = status.check(manifest["nodes"], manifest["chain_id"], manifest["genesis_hash"],
                                      advance_timeout=10 * PERIOD, quick=True)
        if not problems or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert problems == [], problems
    assert all(r["last_sealed"] is not None for r in rows), rows


def test_blocks_advance_on_one_chain(network):
    # In docker mode geth dials its peers and seals from its first second, so the blocks sealed
    # before the mesh formed may be out of turn: the in-turn check below counts those after it.
    wait_for_full_mesh(20 * PERIOD)
    start = {node: int(rpc(node, "eth_blockNumber"), 16) for node in NODES}
    deadline = time.monotonic() + 20 * PERIOD
    heads = dict(start)
    while time.monotonic() < deadline and any(heads[n] < start[n] + 6 for n in NODES):
        time.sleep(1)
        heads = {node: int(rpc(node, "eth_blockNumber"), 16) for node in NODES}
    assert all(heads[n] >= start[n] + 6 for n in NODES), f"blocks do not advance: {start} -> {heads}"
    common = min(heads.values())
    hashes = {node: rpc(node, "eth_getBlockByNumber", [hex(common), False])["hash"] for node in NODES}
    assert len(set(hashes.values())) == 1, f"the nodes disagree at block {common}: {hashes}"
    parent = rpc("alpha-1", "eth_getBlockByNumber", [hex(common - 1), False])
    assert parent["hash"] == rpc("alpha-1", "eth_getBlockByNumber", [hex(common), False])["parentHash"]
    # Clique: in-turn blocks have difficulty 2; with every authority up, most blocks are in turn.
    blocks = [rpc("alpha-1", "eth_getBlockByNumber", [hex(n), False])
              for n in range(max(start.values()) + 1, common + 1)]
    in_turn = [int(b["difficulty"], 16) == 2 for b in blocks]
    assert sum(in_turn) >= len(in_turn) // 2, f"mostly out-of-turn blocks: {in_turn}"
    signers = {rpc(node, "eth_coinbase").lower() for node in NODES}
    assert {status.block_sealer(b).lower() for b in blocks} <= signers


def test_p2p_on_the_nodes_own_address_and_rpc_on_loopback_only(network):
    for node, n in NODES.items():
        assert _port_open(n["host"], n["p2p"]), f"{node}: p2p port closed on {n['host']}"
        assert not _port_open(RPC_HOST, n["p2p"]), f"{node}: p2p port open on {RPC_HOST}"
        assert _port_open(RPC_HOST, n["rpc"]), f"{node}: JSON-RPC closed on {RPC_HOST}"
        assert not _port_open(n["host"], n["rpc"]), f"{node}: JSON-RPC open on its p2p address {n['host']}"


def test_unlocked_signer_is_out_of_reach_on_the_p2p_address(network):
    """eth_sendTransaction from the authority's own (unlocked) account: accepted over 127.0.0.1,
    refused at the TCP level on the address the other hosts see."""
    for node, n in NODES.items():
        signer = rpc(node, "eth_coinbase")
        tx = {"from": signer, "to": signer, "value": "0x0"}
        with pytest.raises(urllib.error.URLError) as refused:
            json_rpc(rpc_url(node, host=n["host"]), "eth_sendTransaction", [tx])
        assert isinstance(refused.value.reason, ConnectionRefusedError), f"{node}: {refused.value!r}"
        # The control: the same request on loopback is signed and accepted, so the refusal above
        # is what keeps the signer out of reach.
        tx_hash = rpc(node, "eth_sendTransaction", [tx])
        assert isinstance(tx_hash, str) and len(tx_hash) == 66, f"{node}: {tx_hash!r}"


def test_admin_namespaces_are_not_served_over_loopback(network):
    for node in NODES:
        assert rpc(node, "eth_accounts") == [rpc(node, "eth_coinbase")], node
        for method in ("personal_listAccounts", "admin_peers"):
            answer = json_rpc(rpc_url(node), method)
            assert answer.get("error", {}).get("code") == -32601, f"{node} {method}: {answer}"


def test_containers_use_the_pinned_image_and_host_network(network):
    for node in NODES:
        out = _run(["docker", "inspect", f"poa-{node}"], timeout=30)
        assert out.returncode == 0, out.stderr
        info = json.loads(out.stdout)[0]
        assert info["Config"]["Image"] == network["tag"]
        assert info["Config"]["Entrypoint"] == ["/usr/local/bin/geth"]
        assert info["HostConfig"]["NetworkMode"] == "host"
        assert info["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
        assert info["Config"]["Labels"]["poa.engine"] == "geth"
        assert len(info["Config"]["Labels"]["poa.config-hash"]) == 64


def test_second_converge_changes_nothing(network):
    again = _molecule("converge")
    assert again.returncode == 0, again.stdout[-6000:]
    recap = [line for line in again.stdout.splitlines() if "changed=" in line and "ok=" in line]
    assert recap, again.stdout[-3000:]
    assert all("changed=0" in line for line in recap), "\n".join(recap)


def test_a_changed_flag_recreates_the_containers_one_at_a_time_and_the_chain_keeps_sealing(network):
    """A rolling restart in docker mode: every container is recreated in its own turn, each back
    with its peers and new blocks before the next goes down; the longest gap between blocks stays
    under 2 x period x authorities. Runs last: it leaves the nodes on another geth cache size."""
    before = {node: _container_id(f"poa-{node}") for node in NODES}
    first = int(rpc("alpha-1", "eth_blockNumber"), 16)
    run = _molecule("converge", timeout=600, extra=["--", "-e", "node_geth_cache=72"])
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    # serial: one batch, so one task header, per node
    assert run.stdout.count("TASK [poa.consortium.node : Recreate the node's container") == len(NODES), run.stdout[-6000:]
    after = {node: _container_id(f"poa-{node}") for node in NODES}
    assert all(after[node] and after[node] != before[node] for node in NODES), (before, after)
    last = int(rpc("alpha-1", "eth_blockNumber"), 16)
    times = [int(rpc("alpha-1", "eth_getBlockByNumber", [hex(n), False])["timestamp"], 16) for n in range(first, last + 1)]
    longest = max(b - a for a, b in zip(times, times[1:]))
    print("docker rolling restart: blocks %d-%d, longest gap %d s (bound %d s)" % (first, last, longest, 2 * PERIOD * len(NODES)))
    assert longest <= 2 * PERIOD * len(NODES)
