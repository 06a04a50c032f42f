# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a user does: install poa.consortium from its built tarball into an empty collections path
and deploy a three-company consortium over SSH, with become, to three separate hosts.

The hosts are three containers (scripts/build-host-image.sh: Debian bookworm from debootstrap,
nothing pulled) on the host network, each with its own file system, reached as the non-root user
`deploy` (passwordless sudo) over SSH on 127.0.0.1:2221-2223 with a key made in this test's tmp
dir. Each node's p2p socket is on its own loopback address (127.0.44.1-3, ports 30341-30343), its
JSON-RPC on 127.0.0.1:8541-8543. Nothing binds outside 127.0.0.0/8.

The run is `ansible-playbook poa.consortium.site`, every phase, from a work dir outside the
checkout, with ANSIBLE_COLLECTIONS_PATH naming only the clean path and a user-style inventory that
sets only documented variables: three companies (one host each). What the run does on the hosts:
host_prepare (a virtualenv with the pinned Python dependencies, from PyPI), authorities, chain,
nodes (geth copied from the controller's .tools/bin through node_geth_binary_src), signers,
contracts (PoCo and RLC from the npm tarballs the poco role fetches on alpha, the deployer, by
name, version and pinned sha512 into its cache), governance (the Safe, shipped in the collection),
status.

Two forms. The CI form (`make integration`) has no bridge and no web interface. The full form
(`make ssh-hosts`, POA_SSH_HOSTS_FULL=1) adds them: each host also a bridge validator, alpha also
the foreign chain (anvil, copied from the controller's node_modules through
foreign_devchain_anvil_src, on 127.0.0.1:8640), gamma also the web interface (nginx, in the image,
on 127.0.0.1:8840); and a check run after the second run.

The proofs: every node at the manifest's genesis, blocks advancing, every authority sealing; PoCo
deployed from alpha's npm cache; a 2-of-3 Safe of the companies' owner keys; each host's authority
key and Safe owner key (and, full form, bridge validator key), decrypted in its own container from
its keystore and password file, their passwords and the node key are found on no other host,
nowhere in the controller's work dir and nowhere in the -vvv output of the run; a second run
reports changed=0 on every host. Full form only: the bridge's contracts on both chains and its
three validators healthy, the Safes owning the bridge on both chains, the web page, public manifest
and JSON-RPC paths served, and a check run that predicts no change.

Skips only when Docker cannot be installed or started here (not root, apt or dockerd failing).
Leaves the engine as it found it, and removes its containers whatever happens.
"""
from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from conftest import RECAP, json_rpc

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "scripts" / "docker-engine.sh"
BUILD_IMAGE = ROOT / "scripts" / "build-host-image.sh"
GETH_SRC = ROOT / ".tools" / "bin" / "geth"
# The third-party collections as the `ansible` package on PyPI ships them (put into
# .ansible/collections by scripts/install-collections.sh): Galaxy is not reachable here.
DEPS_SRC = ROOT / ".ansible" / "collections" / "ansible_collections"
DEPENDENCIES = ("community/docker", "community/library_inventory_filtering_v1")
VENV_BIN = ROOT / ".venv" / "bin"

HOSTS = {
    "alpha": {"ssh": 2221, "p2p_host": "127.0.44.1", "p2p": 30341, "rpc": 8541, "health": 8741},
    "beta": {"ssh": 2222, "p2p_host": "127.0.44.2", "p2p": 30342, "rpc": 8542, "health": 8742},
    "gamma": {"ssh": 2223, "p2p_host": "127.0.44.3", "p2p": 30343, "rpc": 8543, "health": 8743},
}
CHAIN_ID = 444244
PERIOD = 2
# The bridge's foreign chain: anvil on alpha (group foreign_chain), copied from the controller.
FOREIGN_HOST = "alpha"
FOREIGN_PORT = 8640
FOREIGN_CHAIN_ID = 31337
ANVIL_SRC = ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
# The web interface: nginx on gamma (group web).
WEB_HOST = "gamma"
WEB_PORT = 8840
# The full form (`make ssh-hosts` sets it): the bridge, the web interface and a check run too.
FULL = os.environ.get("POA_SSH_HOSTS_FULL") == "1"
FULL_ONLY = "in the full form only: make ssh-hosts (POA_SSH_HOSTS_FULL=1)"
# Where the roles put things on each host (their defaults; the inventory does not change them).
DATA_DIR = "/var/lib/poa-consortium"
VENV_PYTHON = "/opt/poa-consortium/venv/bin/python"
NPM_CACHE = "/var/cache/poa-consortium/npm"
# The container file system, without the kernel's views.
GREP_EXCLUDES = ["--exclude-dir=proc", "--exclude-dir=sys", "--exclude-dir=dev"]


def container(name: str) -> str:
    return f"poa-ssh-{name}"


def _run(cmd: list[str], timeout: int, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False, **kwargs)


def _docker(*args: str, timeout: int = 120, stdin: str | None = None) -> subprocess.CompletedProcess:
    return _run(["docker", *args], timeout=timeout, input=stdin)


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


@pytest.fixture(scope="module")
def engine():
    """A running Docker engine; stopped at the end only if this fixture started it."""
    if os.geteuid() != 0:
        pytest.skip("the SSH hosts run in containers: dockerd needs root (not root here)")
    started = _run(["bash", str(ENGINE), "start"], timeout=300)
    if started.returncode in (2, 3):
        pytest.skip(f"Docker cannot be installed or started here: {started.stdout}{started.stderr}")
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        yield
    finally:
        if "starting dockerd" in started.stdout:
            stopped = _run(["bash", str(ENGINE), "stop"], timeout=120)
            assert stopped.returncode == 0, stopped.stdout + stopped.stderr


@pytest.fixture(scope="module")
def host_image(engine):
    del engine  # needed running, nothing more
    t0 = time.monotonic()
    build = _run(["bash", str(BUILD_IMAGE)], timeout=900)
    assert build.returncode == 0, build.stderr[-3000:]
    tag = build.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"poa-consortium/ssh-host:bookworm-[0-9a-f]{12}", tag), tag
    print(f"\nhost image {tag}: {time.monotonic() - t0:.0f} s")
    return tag


@pytest.fixture(scope="module")
def hosts(host_image, tmp_path_factory):
    """Three hosts, each a container with its own file system and sshd on its own port."""
    for name, spec in HOSTS.items():
        # A container of an interrupted earlier run holds the port: it is ours to remove.
        _docker("rm", "-f", container(name))
        for port in (spec["ssh"], spec["rpc"], spec["health"], FOREIGN_PORT, WEB_PORT):
            if _port_open("127.0.0.1", port):
                pytest.fail(f"127.0.0.1:{port} is already in use: this test needs it for host {name}")
    keys = tmp_path_factory.mktemp("ssh")
    key = keys / "id_deploy"
    made = _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "poa-ssh-test", "-f", str(key)], timeout=30)
    assert made.returncode == 0, made.stderr
    pubkey = (keys / "id_deploy.pub").read_text().strip()
    try:
        for name, spec in HOSTS.items():
            # --init: a reaper as PID 1, since supervisord daemonizes under sshd's container.
            run = _docker("run", "-d", "--name", container(name), "--network", "host", "--init",
                          "-e", f"SSH_PORT={spec['ssh']}", "-e", f"AUTHORIZED_KEY={pubkey}", host_image)
            assert run.returncode == 0, run.stderr
        deadline = time.monotonic() + 30
        while not all(_port_open("127.0.0.1", spec["ssh"]) for spec in HOSTS.values()):
            assert time.monotonic() < deadline, "sshd did not listen: " + " ".join(
                _docker("logs", container(n)).stderr[-500:] for n in HOSTS)
            time.sleep(0.5)
        yield SimpleNamespace(key=key, known_hosts=keys / "known_hosts")
    finally:
        for name in HOSTS:
            _docker("rm", "-f", container(name))


@pytest.fixture(scope="module")
def collections(tmp_path_factory):
    """The collection built into a tarball and installed into an empty collections path."""
    base = tmp_path_factory.mktemp("galaxy")
    dist, path = base / "dist", base / "collections"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update({"PATH": f"{VENV_BIN}:{env.get('PATH', '')}", "ANSIBLE_COLLECTIONS_PATH": str(path)})
    built = _run([str(VENV_BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(dist), str(ROOT)],
                 timeout=300, env=env, cwd=base)
    assert built.returncode == 0, built.stdout + built.stderr
    tarball = next(dist.glob("poa-consortium-*.tar.gz"))
    # --no-deps: Galaxy is not reachable, so the dependencies (galaxy.yml: community.docker, which
    # needs community.library_inventory_filtering_v1) come from the `ansible` package's copies.
    installed = _run([str(VENV_BIN / "ansible-galaxy"), "collection", "install", "--offline", "--no-deps",
                      "-p", str(path), str(tarball)], timeout=300, env=env, cwd=base)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    for dep in DEPENDENCIES:
        assert (DEPS_SRC / dep / "MANIFEST.json").is_file(), f"{dep} missing: run bash scripts/install-collections.sh"
        shutil.copytree(DEPS_SRC / dep, path / "ansible_collections" / dep, symlinks=False)
    listed = _run([str(VENV_BIN / "ansible-galaxy"), "collection", "list", "--format", "json"],
                  timeout=120, env=env, cwd=base)
    assert listed.returncode == 0, listed.stderr
    return SimpleNamespace(path=path, tarball=tarball, env=env, listed=json.loads(listed.stdout))


def write_inventory(work: Path, hosts, build: Path) -> Path:
    """A user's inventory: one group per company under authorities, SSH with become, only
    documented variables (inventories/example's layout)."""
    inventory = work / "inventory"
    (inventory / "group_vars").mkdir(parents=True)
    companies = {
        f"company_{name}": {"hosts": {name: {
            "ansible_port": spec["ssh"],
            # The node's own address, which the other hosts dial (ansible_host is where SSH goes).
            "node_p2p_host": spec["p2p_host"],
            "node_p2p_port": spec["p2p"],
            "node_rpc_port": spec["rpc"],
        }}} for name, spec in HOSTS.items()
    }
    (inventory / "hosts.yml").write_text(yaml.safe_dump({"all": {"children": {
        "authorities": {"children": companies},
        "retired_authorities": {"hosts": {}},
        # One bridge validator per company, on its host; each health endpoint on its own port.
        "bridge_validators": {"hosts": {name: {"bridge_validator_health_port": spec["health"]}
                                        for name, spec in HOSTS.items()} if FULL else {}},
        "foreign_chain": {"hosts": {FOREIGN_HOST: {}} if FULL else {}},
        "web": {"hosts": {WEB_HOST: {}} if FULL else {}},
    }}}, sort_keys=False))
    (inventory / "group_vars" / "all.yml").write_text(yaml.safe_dump({
        "ansible_host": "127.0.0.1",
        "ansible_user": "deploy",
        "ansible_become": True,
        "ansible_ssh_private_key_file": str(hosts.key),
        "ansible_ssh_common_args": f"-o UserKnownHostsFile={hosts.known_hosts} -o StrictHostKeyChecking=accept-new",
        "consortium_name": "ssh-consortium",
        "consortium_build_dir": str(build),
        "consortium_manifest_path": str(build / "manifest.json"),
        "consortium_engine": "geth",
        "chain_spec_chain_id": CHAIN_ID,
        "chain_spec_step_duration": PERIOD,
        "authority_owner": "poa",
        "authority_group": "poa",
        "authority_owner_create": True,
        # A lighter scrypt cost than the default, for a test chain (inventories/local does the same).
        "authority_scrypt_n": 16384,
        "node_geth_binary_src": str(GETH_SRC),
        # The bridge: anvil stands for the foreign chain, reached by every host at the same address.
        "foreign_devchain_anvil_src": str(ANVIL_SRC),
        "foreign_devchain_dir": "/var/lib/poa-consortium-foreign",
        "foreign_devchain_port": FOREIGN_PORT,
        "foreign_devchain_chain_id": FOREIGN_CHAIN_ID,
        "bridge_foreign_rpc_url": f"http://127.0.0.1:{FOREIGN_PORT}",
        "bridge_foreign_chain_id": FOREIGN_CHAIN_ID,
        "bridge_required_signatures": 2,
        "web_ui_port": WEB_PORT,
    }, sort_keys=False))
    (inventory / "group_vars" / "authorities.yml").write_text(
        "consortium_company: \"{{ group_names | select('match', '^company_') | first"
        " | regex_replace('^company_', '') }}\"\n")
    return inventory


@pytest.fixture(scope="module")
def deployment(hosts, collections, tmp_path_factory):
    """site.yml, every phase: first with -vvv, then again, then
    (full form only) in check mode."""
    for binary in (GETH_SRC, ANVIL_SRC):
        if not binary.is_file():
            pytest.skip(f"no {binary.name} at {binary}: run scripts/setup.sh")
    work = tmp_path_factory.mktemp("user-work")
    assert ROOT not in work.parents
    build = work / "build"
    inventory = write_inventory(work, hosts, build)
    (work / "ansible.cfg").write_text(
        "[defaults]\ninventory = ./inventory\nretry_files_enabled = False\ninterpreter_python = auto_silent\n"
        "stdout_callback = ansible.builtin.default\n\n[connection]\npipelining = True\n")
    env = dict(collections.env)
    env.update({"ANSIBLE_CONFIG": str(work / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"})
    cmd = [str(VENV_BIN / "ansible-playbook"), "poa.consortium.site"]
    runs = []
    for extra in (["-vvv"], []) + ((["--check"],) if FULL else ()):
        t0 = time.monotonic()
        log = work / f"run{len(runs) + 1}.log"
        # Into the work dir as it runs (to follow it there); it is also searched for secrets.
        with log.open("w") as out:
            proc = subprocess.run(cmd + extra, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=work,
                                  timeout=1500, check=False)
        runs.append(SimpleNamespace(rc=proc.returncode, output=log.read_text(), seconds=time.monotonic() - t0))
        if proc.returncode != 0:
            break
    labels = ("first run (-vvv)", "second run", "check run")
    print("\n" + "; ".join(f"{label}: {run.seconds:.0f} s" for label, run in zip(labels, runs)))
    manifest_file = build / "manifest.json"
    return SimpleNamespace(work=work, inventory=inventory, runs=runs,
                           manifest=json.loads(manifest_file.read_text()) if manifest_file.is_file() else {})


def _report(output: str, tail: int = 4000) -> str:
    failed = [line[:1500] for line in output.splitlines() if line.startswith(("fatal:", "failed:"))]
    return "failed:\n%s\n...\n%s" % ("\n".join(failed) or "(none)", output[-tail:])


def _recap(output: str) -> dict[str, dict[str, int]]:
    return {host: {"ok": int(ok), "changed": int(ch), "unreachable": int(un), "failed": int(fa)}
            for host, ok, ch, un, fa in RECAP.findall(output)}


def rpc(name: str, method: str, params: list | None = None):
    answer = json_rpc(f"http://127.0.0.1:{HOSTS[name]['rpc']}", method, params)
    assert "error" not in answer, f"{name} {method}: {answer['error']}"
    return answer["result"]


def test_collection_installed_from_its_tarball_only(collections):
    """The run sees the tarball's poa.consortium and its two dependencies, nothing else."""
    found = {name: info for where in collections.listed.values() for name, info in where.items()}
    assert set(found) == {"poa.consortium", "community.docker", "community.library_inventory_filtering_v1"}, found
    assert list(collections.listed) == [str(collections.path / "ansible_collections")], collections.listed
    installed = collections.path / "ansible_collections" / "poa" / "consortium"
    assert not installed.is_symlink() and (installed / "MANIFEST.json").is_file()
    assert not (installed / "node_modules").exists() and not (installed / ".tools").exists()
    version = yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]
    assert found["poa.consortium"]["version"] == version
    assert collections.tarball.name == f"poa-consortium-{version}.tar.gz"


def test_first_run_deploys_every_host(deployment):
    first = deployment.runs[0]
    assert first.rc == 0, _report(first.output)
    recap = _recap(first.output)
    assert set(recap) == set(HOSTS) | {"localhost"}, recap
    assert all(h["failed"] == 0 and h["unreachable"] == 0 for h in recap.values()), recap
    # It really went over SSH, as deploy, with become, to the hosts' own ports.
    for spec in HOSTS.values():
        assert re.search(r"ESTABLISH SSH CONNECTION FOR USER: deploy\b", first.output)
        assert f"-o Port={spec['ssh']}" in first.output or f"-o 'Port={spec['ssh']}'" in first.output
    assert "BECOME-SUCCESS" in first.output or "sudo -H -S -n" in first.output


def test_hosts_are_prepared_by_the_collection(deployment):
    """host_prepare made each host's virtualenv and geth came from the controller."""
    assert deployment.runs[0].rc == 0, _report(deployment.runs[0].output)
    for name in HOSTS:
        probe = _docker("exec", container(name), VENV_PYTHON, "-c",
                        "import web3, eth_account; print(web3.__version__, eth_account.__version__)")
        assert probe.returncode == 0 and probe.stdout.split() == ["8.0.0", "0.14.0"], probe.stdout + probe.stderr
        geth = _docker("exec", container(name), "sh", "-c", "ls /usr/local/lib/poa-consortium/geth-*/geth")
        assert geth.returncode == 0, geth.stderr
        assert _docker("exec", container(name), "sha256sum", geth.stdout.strip()).stdout.split()[0] == \
            _run(["sha256sum", str(GETH_SRC)], timeout=60).stdout.split()[0]


def test_the_chain_runs_across_the_hosts(deployment):
    assert deployment.runs[0].rc == 0, _report(deployment.runs[0].output)
    manifest = deployment.manifest
    assert sorted(n["name"] for n in manifest["nodes"]) == sorted(HOSTS)
    assert {n["name"]: n["company"] for n in manifest["nodes"]} == {name: name for name in HOSTS}
    for node in manifest["nodes"]:
        assert node["enode"].endswith(f"@{HOSTS[node['name']]['p2p_host']}:{HOSTS[node['name']]['p2p']}"), node
    for name in HOSTS:
        assert rpc(name, "eth_getBlockByNumber", ["0x0", False])["hash"] == manifest["genesis_hash"], name
        assert int(rpc(name, "eth_chainId"), 16) == CHAIN_ID
        assert int(rpc(name, "net_peerCount"), 16) == len(HOSTS) - 1, name
    start = {name: int(rpc(name, "eth_blockNumber"), 16) for name in HOSTS}
    addresses = {n["address"].lower() for n in manifest["nodes"]}
    deadline = time.monotonic() + 60
    while True:
        heads = {name: int(rpc(name, "eth_blockNumber"), 16) for name in HOSTS}
        head = min(heads.values())
        sealers = {rpc("alpha", "clique_getSigner", [hex(n)]).lower() for n in range(max(1, head - 20), head + 1)}
        if all(heads[n] >= start[n] + 3 for n in HOSTS) and sealers == addresses:
            break
        assert time.monotonic() < deadline, f"heads {start} -> {heads}; sealers {sealers} of {addresses}"
        time.sleep(PERIOD)
    # One chain: every node has the same block at the lowest head.
    assert len({rpc(name, "eth_getBlockByNumber", [hex(head), False])["hash"] for name in HOSTS}) == 1


def test_poco_is_deployed_from_artifacts_fetched_on_the_deployer(deployment):
    """The contracts phase ran on the deployer's host (alpha, the first authority by name) from the
    pinned npm tarballs the poco role fetched into its cache there; no other host has that cache."""
    assert deployment.runs[0].rc == 0, _report(deployment.runs[0].output)
    contracts = deployment.manifest.get("contracts", {})
    assert {"poco_hub", "rlc"} <= set(contracts), sorted(contracts)
    for name in ("poco_hub", "rlc"):
        code = rpc("gamma", "eth_getCode", [contracts[name]["address"], "latest"])
        assert len(code) > 2, f"no code at {name} {contracts[name]['address']}"
    pins = yaml.safe_load((ROOT / "roles" / "poco" / "vars" / "main.yml").read_text())["poco_npm_packages"]
    for pin in pins.values():
        tarball = f"{NPM_CACHE}/{Path(pin['path']).name}"
        digest = _docker("exec", container("alpha"), "sha512sum", tarball)
        assert digest.returncode == 0 and digest.stdout.split()[0] == pin["sha512"], digest.stdout + digest.stderr
        unpacked = _docker("exec", container("alpha"), "test", "-f", f"{NPM_CACHE}/{pin['unpacked']}/.poa-unpacked")
        assert unpacked.returncode == 0, f"{pin['name']} not unpacked in {NPM_CACHE} on alpha"
    for name in HOSTS:
        if name != "alpha":
            assert _docker("exec", container(name), "test", "-e", NPM_CACHE).returncode == 1, name


def _owner(contract: str, url: str) -> str:
    """owner() of a contract (Ownable), read over JSON-RPC."""
    answer = json_rpc(url, "eth_call", [{"to": contract, "data": "0x8da5cb5b"}, "latest"])
    assert "error" not in answer, answer
    return "0x" + answer["result"][-40:]


def test_bridge_runs_between_the_chains(deployment):
    """The bridge phase over SSH: anvil on alpha as the foreign chain (copied from the controller),
    the contracts on both chains from the deployer's host, one validator per host, each healthy."""
    if not FULL:
        pytest.skip("the bridge is " + FULL_ONLY)
    assert deployment.runs[0].rc == 0, _report(deployment.runs[0].output)
    bridge = deployment.manifest["bridge"]
    foreign = f"http://127.0.0.1:{FOREIGN_PORT}"
    assert bridge["foreign"]["chain_id"] == FOREIGN_CHAIN_ID and bridge["foreign"]["rpc_url"] == foreign
    assert int(json_rpc(foreign, "eth_chainId")["result"], 16) == FOREIGN_CHAIN_ID
    assert len(bridge["validators"]) == len(HOSTS)
    assert rpc("beta", "eth_getCode", [bridge["home"]["bridge"]["address"], "latest"]) != "0x"
    for side in ("bridge", "token"):
        assert json_rpc(foreign, "eth_getCode", [bridge["foreign"][side]["address"], "latest"])["result"] != "0x", side
    # anvil runs in alpha's container only.
    for name in HOSTS:
        top = _docker("exec", container(name), "ps", "-eo", "args").stdout
        assert ("anvil-1.7.1/anvil" in top) == (name == FOREIGN_HOST), (name, top)
    addresses = set()
    for name, spec in HOSTS.items():
        with urllib.request.urlopen(f"http://127.0.0.1:{spec['health']}/health", timeout=15) as answer:
            health = json.loads(answer.read())
        addresses.add(health["validator"].lower())
    assert addresses == {v.lower() for v in bridge["validators"]}


def test_the_safe_of_the_companies_is_deployed(deployment):
    """The governance phase over SSH: one owner key per company made on its host, a 2-of-3 Safe on
    the home chain; full form: one on the foreign chain too, and the bridge contracts handed over
    to them."""
    assert deployment.runs[0].rc == 0, _report(deployment.runs[0].output)
    safe = deployment.manifest["safe"]
    assert sorted(o["company"] for o in safe["owners"]) == sorted(HOSTS) and safe["threshold"] == 2, safe
    assert rpc("beta", "eth_getCode", [safe["home"]["address"], "latest"]) != "0x"
    if not FULL:
        assert "foreign" not in safe, safe
        return
    bridge = deployment.manifest["bridge"]
    home, foreign = f"http://127.0.0.1:{HOSTS['beta']['rpc']}", f"http://127.0.0.1:{FOREIGN_PORT}"
    assert json_rpc(foreign, "eth_getCode", [safe["foreign"]["address"], "latest"])["result"] != "0x"
    assert _owner(bridge["home"]["bridge"]["address"], home).lower() == safe["home"]["address"].lower()
    assert _owner(bridge["foreign"]["bridge"]["address"], foreign).lower() == safe["foreign"]["address"].lower()


def test_the_web_interface_serves_the_consortium(deployment):
    """The web phase over SSH: nginx on gamma serves the page, the public manifest and the chains."""
    if not FULL:
        pytest.skip("the web interface is " + FULL_ONLY)
    assert deployment.runs[0].rc == 0, _report(deployment.runs[0].output)
    url = f"http://127.0.0.1:{WEB_PORT}/"
    assert deployment.manifest["web"]["url"] == url
    with urllib.request.urlopen(url, timeout=15) as answer:
        assert answer.status == 200 and b"<html" in answer.read().lower()
    with urllib.request.urlopen(url + "manifest.json", timeout=15) as answer:
        public = json.loads(answer.read())
    assert public["genesis_hash"] == deployment.manifest["genesis_hash"]
    request = urllib.request.Request(url + "rpc/foreign", headers={"Content-Type": "application/json"},
                                     data=json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}).encode())
    with urllib.request.urlopen(request, timeout=15) as answer:
        assert int(json.loads(answer.read())["result"], 16) == FOREIGN_CHAIN_ID
    for name in HOSTS:
        top = _docker("exec", container(name), "ps", "-eo", "args").stdout
        assert ("nginx: master" in top) == (name == WEB_HOST), (name, top)


# Each host's own keys, as the roles name them: the authority's, the company's Safe owner's and
# (full form) the bridge validator's, each a V3 keystore with its password file.
KEYS = {
    "authority": (f"{DATA_DIR}/keystore/authority.json", f"{DATA_DIR}/secrets/authority.password"),
    "owner": (f"{DATA_DIR}/governance/owner.json", f"{DATA_DIR}/governance/owner.password"),
}
if FULL:
    KEYS["validator"] = (f"{DATA_DIR}/bridge-validator/keystore/validator.json",
                         f"{DATA_DIR}/bridge-validator/secrets/validator.password")


def _secrets(name: str) -> dict[str, dict[str, str]]:
    """The host's secrets, read in its own container: each key's private key (decrypted from its
    keystore with its password, by eth-account in the host's virtualenv) and password, and the node
    key. Kept in memory only; assertion messages never show them."""
    script = (
        "import json, eth_account\n"
        f"keys = {json.dumps(KEYS)}\n"
        "out = {}\n"
        "for kind, (keystore, password_file) in keys.items():\n"
        "    pw = open(password_file).read()\n"
        "    key = eth_account.Account.decrypt(json.load(open(keystore)), pw)\n"
        "    out[kind] = {'address': eth_account.Account.from_key(key).address,"
        " 'key': key.hex().removeprefix('0x'), 'password': pw}\n"
        f"out['nodekey'] = open('{DATA_DIR}/nodekey').read().strip()\n"
        "print(json.dumps(out))\n"
    )
    out = _docker("exec", "-i", container(name), VENV_PYTHON, "-", stdin=script)
    assert out.returncode == 0, f"cannot read {name}'s keystores in its container: {out.stderr[-1500:]}"
    return json.loads(out.stdout)


def _grep_container(name: str, patterns: list[str]) -> dict[str, set[str]]:
    """For each pattern, the files of the container's file system that hold it. One pass over the
    file system; the patterns go on stdin, never on a command line, and the matches (secrets) are
    only compared here, never shown."""
    found = _docker("exec", "-i", container(name), "grep", "-rosF", *GREP_EXCLUDES, "-f", "-", "/",
                    stdin="\n".join(patterns) + "\n", timeout=600)
    assert found.returncode in (0, 1), found.stderr[-1000:]
    hits: dict[str, set[str]] = {pattern: set() for pattern in patterns}
    for line in found.stdout.splitlines():
        path, _colon, match = line.rpartition(":")
        if match in hits:
            hits[match].add(path)
    return hits


def _grep_dir(root: Path, patterns: list[str]) -> dict[str, set[str]]:
    """For each pattern, the files under root that hold it."""
    hits: dict[str, set[str]] = {pattern: set() for pattern in patterns}
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            for pattern in patterns:
                if pattern.encode() in data:
                    hits[pattern].add(str(path))
    return hits


def test_each_key_stays_on_its_own_host(deployment):
    assert deployment.runs[0].rc == 0, _report(deployment.runs[0].output)
    secrets = {name: _secrets(name) for name in HOSTS}
    manifest = deployment.manifest
    by_name = {n["name"]: n["address"].lower() for n in manifest["nodes"]}
    owners = {o["company"]: o["address"].lower() for o in manifest["safe"]["owners"]}
    for name, sec in secrets.items():
        assert sec["authority"]["address"].lower() == by_name[name], f"{name}: its keystore is not the manifest's authority"
        if FULL:
            assert sec["validator"]["address"] in manifest["bridge"]["validators"], \
                f"{name}: its validator is not the bridge's"
        assert sec["owner"]["address"].lower() == owners[name], f"{name}: its owner key is not the Safe's owner"
        assert len(sec["nodekey"]) == 64
        for kind in KEYS:
            assert len(sec[kind]["key"]) == 64 and len(sec[kind]["password"]) >= 16, (name, kind)
    assert len({s[kind]["key"] for s in secrets.values() for kind in KEYS}) == len(HOSTS) * len(KEYS), "a key is shared"
    # Hex in either case: a key written by another tool could be upper case.
    patterns = {name: {"node key": [sec["nodekey"], sec["nodekey"].upper()]} for name, sec in secrets.items()}
    for name, sec in secrets.items():
        for kind in KEYS:
            patterns[name][f"{kind} private key"] = [sec[kind]["key"], sec[kind]["key"].upper()]
            patterns[name][f"{kind} password"] = [sec[kind]["password"]]
    everything = [p for kinds in patterns.values() for values in kinds.values() for p in values]
    on_host = {name: _grep_container(name, everything) for name in HOSTS}
    in_work = _grep_dir(deployment.work, everything)
    vvv = deployment.runs[0].output
    assert "ESTABLISH SSH CONNECTION" in vvv  # the -vvv output really is verbose
    for name, kinds in patterns.items():
        where = {kind: set().union(*(on_host[name][p] for p in values)) for kind, values in kinds.items()}
        # The search finds what is there: the host's own password files and node key.
        for kind, (_keystore, password_file) in KEYS.items():
            assert password_file in where[f"{kind} password"], f"{name}: {where[f'{kind} password']}"
            # The private keys are kept encrypted only, even on their own host.
            assert not where[f"{kind} private key"], \
                f"{name}'s {kind} private key is in plain text on its host: {where[f'{kind} private key']}"
        assert f"{DATA_DIR}/nodekey" in where["node key"], f"{name}: {where['node key']}"
        for kind, values in kinds.items():
            for other in HOSTS:
                if other != name:
                    hits = set().union(*(on_host[other][p] for p in values))
                    assert not hits, f"{name}'s {kind} is on host {other}: {sorted(hits)}"
            hits = set().union(*(in_work[p] for p in values))
            assert not hits, f"{name}'s {kind} is in the controller's work dir: {sorted(hits)}"
            assert not any(p in vvv for p in values), f"{name}'s {kind} is in the -vvv output"


def test_second_run_changes_nothing(deployment):
    assert len(deployment.runs) >= 2, _report(deployment.runs[0].output)
    second = deployment.runs[1]
    assert second.rc == 0, _report(second.output)
    recap = _recap(second.output)
    assert set(recap) == set(HOSTS) | {"localhost"}, recap
    changed = {host: counts["changed"] for host, counts in recap.items() if counts["changed"]}
    assert not changed, "changed on a second run: %s\n%s" % (changed, "\n".join(
        line for line in second.output.splitlines() if line.startswith("changed:")))


def test_check_run_predicts_no_change(deployment):
    """A check run on the deployed hosts passes and predicts no change."""
    if not FULL:
        pytest.skip("the check run is " + FULL_ONLY)
    assert len(deployment.runs) == 3, _report(deployment.runs[-1].output)
    check = deployment.runs[2]
    assert check.rc == 0, _report(check.output)
    recap = _recap(check.output)
    assert set(recap) == set(HOSTS) | {"localhost"}, recap
    changed = {host: counts["changed"] for host, counts in recap.items() if counts["changed"]}
    assert not changed, "a check run predicts changes: %s\n%s" % (changed, "\n".join(
        line for line in check.output.splitlines() if line.startswith("changed:")))


def test_nothing_listens_outside_loopback(deployment):
    """Every socket a process of the three hosts listens on is on 127.0.0.0/8."""
    assert deployment.runs[0].rc == 0, _report(deployment.runs[0].output)
    pids = set()
    for name in HOSTS:
        top = _docker("top", container(name), "-eo", "pid")
        assert top.returncode == 0, top.stderr
        pids |= {int(p) for p in top.stdout.split()[1:]}
    listening = _run(["ss", "-Htlnup"], timeout=30).stdout.splitlines()
    ours = []
    for line in listening:
        owners = {int(p) for p in re.findall(r"pid=(\d+)", line)}
        if owners & pids:
            local = line.split()[4]
            ours.append(local)
            address = local.rsplit(":", 1)[0].strip("[]").split("%")[0]
            assert address != "*" and ipaddress.ip_address(address).is_loopback, line
    expected = {f"127.0.0.1:{s['ssh']}" for s in HOSTS.values()} | {f"127.0.0.1:{s['rpc']}" for s in HOSTS.values()} \
        | {f"{s['p2p_host']}:{s['p2p']}" for s in HOSTS.values()}
    assert expected <= set(ours), (expected, ours)
