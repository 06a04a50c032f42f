"""A whole local consortium: 5 geth authorities under supervisord, checked over JSON-RPC.

Bring-up, the authorities' closed JSON-RPC, PoCo in both modes and the iExec SDK on the chain, an
idempotent re-run, and the faults: a stopped authority, its restart, a crashed node, a
half-deployed consortium, a node fed a foreign chain spec, and rounds of kill-all under load.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3
from web3.middleware import ExtraDataToPOAMiddleware

from conftest import IEXEC_BIN, ROOT, IexecSdk, json_rpc, mesh_and_heads, run_playbook

from ansible_collections.poa.consortium.plugins.module_utils import contracts, poco, rpc, status

HOSTS = ["alpha-1", "alpha-2", "beta-1", "beta-2", "gamma-1"]
VENV_BIN = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin"


def w3_of(url: str) -> Web3:
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 5}))
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    return w3


def supervisorctl(build: Path, host: str, *args: str) -> subprocess.CompletedProcess:
    return supervisorctl_at(build / "hosts" / host / "supervisor" / "supervisord.conf", *args)


def supervisorctl_at(conf: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "supervisorctl"), "-c", str(conf), *args],
                          capture_output=True, text=True, timeout=60, check=False)


def bridge_services(build: Path) -> list[tuple[Path, str]]:
    """(supervisord.conf, program) of the bridge's services that run beside the nodes."""
    found = [(conf, "bridge-validator") for conf in sorted(build.glob("hosts/*/bridge-validator/supervisord.conf"))]
    if (build / "foreign" / "supervisord.conf").exists():
        found.append((build / "foreign" / "supervisord.conf", "foreign-anvil"))
    return found


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception:  # pylint: disable=broad-except
            pass  # a node still starting answers nothing: try again
        time.sleep(1)
    raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))


def nodes_by_name(consortium):
    return {n["name"]: n for n in consortium.manifest["nodes"]}


def test_up_brings_five_peered_sealing_nodes(consortium):
    assert consortium.up.rc == 0, consortium.up.report(4000)
    # The status table is printed at the end of the run.
    assert "last sealed" in consortium.up.output
    rows, problems = status.check(consortium.manifest["nodes"], consortium.manifest["chain_id"],
                                  consortium.manifest["genesis_hash"], advance_timeout=20)
    assert problems == []
    assert [r["peers"] for r in rows] == [4] * 5
    assert all(r["last_sealed"] is not None for r in rows)
    # Every node is geth 1.13.15 and reports the genesis hash we computed from the spec.
    for node in consortium.manifest["nodes"]:
        w3 = w3_of(node["rpc_url"])
        assert w3.client_version.startswith("Geth/v1.13.15-stable"), w3.client_version
        assert "0x" + bytes(w3.eth.get_block(0)["hash"]).hex() == consortium.manifest["genesis_hash"]
        assert w3.eth.chain_id == consortium.manifest["chain_id"]


def role_tasks_run(output: str, role: str, host: str) -> list[str]:
    """The tasks of `role` that ran on `host` in a playbook's output (default callback): each task
    header followed by an ok, changed, failed or included line for the host; skipped ones did not run."""
    ran, task, counted = [], None, False
    for line in output.splitlines():
        header = re.match(r"^TASK \[(.*)\]", line)
        if header:
            task, counted = header.group(1), False
        elif line.startswith(("PLAY ", "RUNNING HANDLER")):
            task = None
        elif task and task.startswith(role + " : ") and not counted:
            result = re.match(r"^(ok|changed|failed|fatal): \[([^\]]+)\]", line)
            included = re.match(r"^included: .* for (.*)$", line)
            if (result and result.group(2).split(" -> ")[0] == host) or (
                    included and host in [h.strip() for h in included.group(1).split(",")]):
                ran.append(task)
                counted = True
    return ran


def assert_few_node_tasks(run):
    """Each host ran at most 15 tasks of the node role (its argument check included), and took the
    manifest and the spec's hash from the chain phase instead of reading and hashing them again."""
    for host in HOSTS:
        ran = role_tasks_run(run.output, "poa.consortium.node", host)
        assert 0 < len(ran) <= 15, (host, len(ran), ran)
        assert not [t for t in ran if t.endswith(("Read the consortium manifest", "Hash the node's chain spec"))], ran


def test_a_process_host_runs_at_most_15_tasks_of_the_node_role(consortium):
    if consortium.up is None:
        pytest.skip("POA_TEST_BUILD: no bring-up output to count")
    assert_few_node_tasks(consortium.up)


def test_poco_is_deployed_on_the_consortium_and_recorded(consortium):
    contracts = consortium.manifest["contracts"]
    assert {"poco_hub", "rlc", "poco_AppRegistry", "poco_DatasetRegistry", "poco_WorkerpoolRegistry"} <= set(contracts)
    w3 = w3_of(consortium.manifest["nodes"][-1]["rpc_url"])
    for name, record in contracts.items():
        assert set(record) >= {"address", "tx_hash", "block", "code_hash"}, name
        code = bytes(w3.eth.get_code(record["address"]))
        assert code and "0x" + Web3.keccak(code).hex().removeprefix("0x") == record["code_hash"], name


def deployer_on(consortium, node):
    """web3 on ``node`` and a signer with the deployer's (alpha-1's) keystore."""
    deployer_dir = consortium.build / "hosts" / "alpha-1"
    w3 = rpc.connect(node["rpc_url"], consortium.manifest["chain_id"])
    return w3, rpc.Signer(w3, rpc.load_keystore_account(str(deployer_dir / "keystore" / "authority.json"),
                                                        str(deployer_dir / "secrets" / "authority.password")))


def test_an_unlocked_signer_is_not_reachable_from_the_network(consortium):
    """An authority's signer is unlocked: from the address the other hosts see, nobody can send a
    transaction as it; on loopback, no admin or account namespace is served, but the consensus
    namespace is."""
    for node in consortium.manifest["nodes"]:
        port = node["rpc_url"].rsplit(":", 1)[1]
        seen_by_others = node["enode"].rsplit("@", 1)[1].split(":")[0]
        assert seen_by_others.startswith("127.0.1."), node["enode"]
        tx = {"from": node["address"], "to": node["address"], "value": "0x1"}
        with pytest.raises(urllib.error.URLError):
            json_rpc(f"http://{seen_by_others}:{port}", "eth_sendTransaction", [tx], timeout=5)
        for method in ("personal_listAccounts", "admin_peers", "debug_setHead", "debug_verbosity", "txpool_content",
                       "miner_stop"):
            answer = json_rpc(node["rpc_url"], method, ["0x1"] if method == "debug_setHead" else [], timeout=5)
            assert answer.get("error", {}).get("code") == -32601, (node["name"], method, answer)
        signers = json_rpc(node["rpc_url"], "clique_getSigners", [], timeout=5)["result"]
        assert sorted(s.lower() for s in signers) == sorted(n["address"].lower() for n in consortium.manifest["nodes"])


def test_no_file_on_the_hosts_holds_a_raw_private_key(consortium):
    secrets = []
    for node in consortium.manifest["nodes"]:
        host = consortium.build / "hosts" / node["name"]
        key = Account.decrypt(json.loads((host / "keystore" / "authority.json").read_text()),
                              (host / "secrets" / "authority.password").read_text().strip())
        secrets += [bytes(key), bytes(key).hex().encode(), bytes(key).hex().upper().encode()]
    scanned = 0
    for path in (consortium.build / "hosts").rglob("*"):
        if path.is_file() and not path.is_socket():
            data = path.read_bytes()
            scanned += 1
            assert not any(secret in data for secret in secrets), path
    assert scanned > 50  # the databases, logs and configs were read, not an empty tree


def test_pending_nonce_counts_only_consecutive_pool_transactions(consortium):
    """The 'pending' nonce is the account's nonce plus its consecutive pool nonces, whatever the
    address case: the iExec SDK relies on it (a gapped future transaction must not count)."""
    node = consortium.manifest["nodes"][1]
    w3, signer = deployer_on(consortium, node)
    user = Account.create()
    contracts.ensure_funded(w3, signer, [{"address": user.address, "balance": 10 ** 17}])
    base = dict(to=signer.account.address, value=1, gas=21000, gasPrice=2 * int(w3.eth.gas_price),
                chainId=consortium.manifest["chain_id"])

    def send(nonce):
        raw = user.sign_transaction(dict(base, nonce=nonce)).raw_transaction
        return w3.eth.send_raw_transaction(raw)

    send(0)
    send(2)  # behind a gap: never minable until nonce 1 exists
    for address in (user.address, user.address.lower()):  # raw request: web3.py refuses lower case
        assert int(w3.provider.make_request("eth_getTransactionCount", [address, "pending"])["result"], 16) == 1, address
    send(1)  # fills the gap: 0, 1, 2 are consecutive
    assert w3.eth.get_transaction_count(user.address, "pending") == 3
    wait_for(lambda: w3.eth.get_transaction_count(user.address, "latest") == 3, 60, "nonces 0-2 mined")


@pytest.mark.skipif(not os.path.exists(IEXEC_BIN), reason="iExec SDK 9.0.1 not found (set-up installs it; or set IEXEC_BIN)")
def test_iexec_sdk_uses_poco_on_the_consortium(consortium, tmp_path):
    """The iExec SDK, on the last node's RPC (not the deployer's), stakes RLC and deploys an app,
    a dataset and a workerpool through the hub that make up deployed on the consortium."""
    manifest = consortium.manifest
    node = manifest["nodes"][-1]
    w3, signer = deployer_on(consortium, node)
    found = manifest["contracts"]
    sdk = IexecSdk(tmp_path / "sdk", manifest["chain_id"], node["rpc_url"], found["poco_hub"]["address"])
    user = contracts.to_checksum_address(sdk.address)
    contracts.ensure_funded(w3, signer, [{"address": user, "balance": 10 ** 18}])
    contracts.ensure_funded(w3, signer, [{"address": user, "balance": 500 * 10 ** 9}], token=found["rlc"]["address"])
    sdk.use_hub({kind: found[f"poco_{kind.capitalize()}Registry"]["address"] for kind in ("app", "dataset", "workerpool")})


def test_poco_native_mode_on_the_consortium(consortium, tmp_path):
    """PoCo in native mode (the chain's coin is the stake) on the geth consortium, beside the
    token-mode instance make up deployed; a second run sends nothing."""
    node = consortium.manifest["nodes"][2]
    w3, signer = deployer_on(consortium, node)
    npm = ROOT / "node_modules" / "@iexec" / "poco"
    manifest = contracts.Journal(str(tmp_path / "native.json"))
    result = poco.deploy_poco(w3, signer, manifest, str(npm), mode="native")
    assert result["changed"] and result["token"] is None and "rlc" not in result["contracts"]
    hub = result["hub"]
    assert bytes(w3.eth.get_code(hub)) and hub != consortium.manifest["contracts"]["poco_hub"]["address"]
    nonce = w3.eth.get_transaction_count(signer.account.address)
    again = poco.deploy_poco(w3, rpc.Signer(w3, signer.account), contracts.Journal(str(tmp_path / "native.json")),
                             str(npm), mode="native")
    assert not again["changed"] and w3.eth.get_transaction_count(signer.account.address) == nonce, \
        {key: again[key] for key in ("levels", "transactions", "contracts")}


def test_rerun_changes_nothing(consortium):
    again = run_playbook("site.yml", consortium.build)
    assert again.rc == 0, again.report(3000)
    assert again.changed_total() == 0, again.recap()
    assert_few_node_tasks(again)


def test_stopped_authority_does_not_stop_the_chain_and_catches_up(consortium):
    nodes = nodes_by_name(consortium)
    watcher = w3_of(nodes["alpha-1"]["rpc_url"])
    assert "stopped" in supervisorctl(consortium.build, "gamma-1", "stop", "gamma-1").stdout
    with pytest.raises(Exception):
        w3_of(nodes["gamma-1"]["rpc_url"]).eth.block_number
    head = watcher.eth.block_number
    # 4 of 5 signers keep sealing: at least 4 more blocks within 30 s (2 s period).
    wait_for(lambda: watcher.eth.block_number >= head + 4, 30, "blocks without gamma-1")
    assert "started" in supervisorctl(consortium.build, "gamma-1", "start", "gamma-1").stdout
    gamma = w3_of(nodes["gamma-1"]["rpc_url"])
    wait_for(lambda: gamma.eth.block_number >= watcher.eth.block_number - 1, 60, "gamma-1 to catch up")
    wait_for(lambda: gamma.net.peer_count == 4, 60, "gamma-1 to have 4 peers again")


def test_crashed_node_is_restarted_by_the_supervisor(consortium):
    nodes = nodes_by_name(consortium)
    pid = int(supervisorctl(consortium.build, "beta-2", "pid", "beta-2").stdout.strip())
    os.kill(pid, signal.SIGKILL)

    def restarted_pid():
        text = supervisorctl(consortium.build, "beta-2", "pid", "beta-2").stdout.strip()
        return text if text.isdigit() and int(text) not in (0, pid) else None

    new_pid = wait_for(restarted_pid, 30, "a new beta-2 process")
    assert int(new_pid) != pid
    beta = w3_of(nodes["beta-2"]["rpc_url"])
    watcher = w3_of(nodes["alpha-1"]["rpc_url"])
    wait_for(lambda: beta.eth.block_number >= watcher.eth.block_number - 1, 60, "beta-2 to catch up")


def test_half_deployed_consortium_converges(consortium):
    build = consortium.build
    # beta-1's supervisor and node are gone; alpha-2's supervisor configuration was lost.
    assert supervisorctl(build, "beta-1", "shutdown").returncode == 0
    wait_for(lambda: not (build / "hosts" / "beta-1" / "supervisor" / "supervisord.pid").exists(), 40, "beta-1 down")
    (build / "hosts" / "alpha-2" / "supervisor" / "supervisord.conf").unlink()
    run = run_playbook("nodes.yml", build)
    assert run.rc == 0, run.report(3000)
    recap = run.recap()
    assert recap["beta-1"]["changed"] > 0 and recap["alpha-2"]["changed"] > 0
    assert recap["gamma-1"]["changed"] == 0
    check = run_playbook("status.yml", build, "-e", "status_advance_timeout=30")
    assert check.rc == 0, check.report(3000)


@pytest.mark.parametrize("extra, words", [
    ({"node_rpc_apis": ["eth", "net", "web3", "admin"]}, "must offer none of personal, admin"),
    ({"node_rpc_apis": ["eth", "clique"], "node_role": "rpc"}, "clique only on an authority's loopback port"),
    ({"node_rpc_host": "0.0.0.0"}, "must bind a loopback address"),
])
def test_an_open_rpc_configuration_is_refused_before_any_change(consortium, extra, words):
    build = consortium.build
    conf = build / "hosts" / "gamma-1" / "geth.toml"
    before = conf.read_bytes()
    run = run_playbook("nodes.yml", build, "--limit", "gamma-1", "-e", json.dumps(extra))
    assert run.rc != 0
    assert words in " ".join(run.output.split()), run.report(3000)
    assert conf.read_bytes() == before


def test_a_keeper_that_cannot_run_fails_the_play_and_a_fixed_run_brings_it_back(consortium):
    build = consortium.build
    try:
        run = run_playbook("nodes.yml", build, "--limit", "gamma-1", "-e", "node_keeper_python=/nonexistent/python3")
        assert run.rc != 0
        assert "gamma-1: its keeper does not run" in " ".join(run.output.split()), run.report(3000)
        wait_for(lambda: "FATAL" in supervisorctl(build, "gamma-1", "status", "gamma-1-keeper").stdout, 60,
                 "supervisord to give up on the keeper")
    finally:
        # the fixed run, whatever happened: the tests after this one need gamma-1 peered
        again = run_playbook("nodes.yml", build, "--limit", "gamma-1")
    assert again.rc == 0, again.report(3000)
    assert "RUNNING" in supervisorctl(build, "gamma-1", "status", "gamma-1-keeper").stdout


def test_a_changed_flag_restarts_the_nodes_one_at_a_time_and_the_chain_keeps_sealing(consortium):
    """A rolling restart: every node restarts, one at a time, each back with its peers and new
    blocks before the next; the longest gap between blocks stays under 2 x period x authorities."""
    build = consortium.build
    names = [n["name"] for n in consortium.manifest["nodes"]]
    w3 = w3_of(consortium.manifest["nodes"][0]["rpc_url"])
    period = int(json.loads((build / "chain" / "genesis.json").read_text())["config"]["clique"]["period"])
    before = {name: running_pid(build, name) for name in names}
    first = w3.eth.block_number
    try:
        run = run_playbook("nodes.yml", build, "-e", "node_geth_cache=72")
        assert run.rc == 0, run.report(4000)
        # serial: one batch, so one task header, per node
        assert run.output.count("TASK [poa.consortium.node : Apply the new configuration") == len(names)
        after = {name: running_pid(build, name) for name in names}
        assert all(after[name] not in (None, before[name]) for name in names), (before, after)
        last = w3.eth.block_number
        times = [w3.eth.get_block(n)["timestamp"] for n in range(first, last + 1)]
        longest = max(b - a for a, b in zip(times, times[1:]))
        print("rolling restart: blocks %d-%d, longest gap %d s (bound %d s)" % (first, last, longest, 2 * period * len(names)))
        assert longest <= 2 * period * len(names)
    finally:
        back = run_playbook("nodes.yml", build)
        assert back.rc == 0, back.report(4000)


def test_node_with_a_foreign_chain_spec_refuses_to_start(consortium):
    build = consortium.build
    spec_path = build / "hosts" / "gamma-1" / "chain" / "genesis.json"
    original = spec_path.read_text()
    spec = json.loads(original)
    spec["timestamp"] = "0x1"  # a different genesis block
    spec_path.write_text(json.dumps(spec))
    try:
        run = run_playbook("nodes.yml", build, "--limit", "gamma-1")
        assert run.rc != 0
        assert "Refusing to start gamma-1" in run.output
        assert consortium.manifest["genesis_hash"] in run.output
    finally:
        spec_path.write_text(original)


def test_a_live_chains_genesis_is_frozen(consortium):
    """A new chain id on the running consortium: chain.yml refuses it (the check-mode diff shows the
    refusal too) and says what changed; the spec, the manifest and the nodes stay as they were."""
    build = consortium.build
    specs = {path: path.read_bytes() for path in sorted((build / "chain").iterdir())}
    manifest_before = (build / "manifest.json").read_text()
    new_id = str(consortium.manifest["chain_id"] + 1)
    for extra in ([], ["--check", "--diff"]):
        run = run_playbook("chain.yml", build, "-e", f"chain_spec_chain_id={new_id}", *extra)
        assert run.rc != 0
        assert f"but the consortium's chain runs genesis {consortium.manifest['genesis_hashes']['parity']}" in run.output
        assert "Changed: chain id, network id." in run.output
        assert "set chain_spec_new_chain=true" in run.output
        assert {path: path.read_bytes() for path in specs} == specs
        assert (build / "manifest.json").read_text() == manifest_before
    # A new chain on purpose is still refused while the old chain's nodes run.
    run = run_playbook("chain.yml", build, "-e", f"chain_spec_chain_id={new_id}", "-e", "chain_spec_new_chain=true")
    assert run.rc != 0 and "chain_spec_new_chain is set, but alpha-1's node still serves" in run.output
    assert (build / "manifest.json").read_text() == manifest_before
    watcher = w3_of(nodes_by_name(consortium)["alpha-1"]["rpc_url"])
    head = watcher.eth.block_number
    wait_for(lambda: watcher.eth.block_number >= head + 3, 60, "three more blocks")


def test_a_lost_keystore_fails_its_host_and_changes_nothing(consortium):
    """A company deletes its authority's keystore and re-runs site.yml: the play fails on that host
    with the path, the recorded address and the way out; no new key, no new genesis, and every node
    keeps sealing."""
    build = consortium.build
    keystore = build / "hosts" / "alpha-2" / "keystore" / "authority.json"
    backup = keystore.with_name("authority.json.backup")
    address = nodes_by_name(consortium)["alpha-2"]["address"]
    manifest_before = (build / "manifest.json").read_text()
    keystore.rename(backup)
    try:
        run = run_playbook("site.yml", build)
        assert run.rc != 0
        assert (f"the consortium manifest records {address} for this authority, but its keystore {keystore} "
                "is missing: restore the keystore from your backup, or retire this host") in run.output
        assert not keystore.exists()
        assert (build / "manifest.json").read_text() == manifest_before
    finally:
        backup.rename(keystore)
    watcher = w3_of(nodes_by_name(consortium)["alpha-1"]["rpc_url"])
    head = watcher.eth.block_number

    def alpha_2_sealed():
        return any(status.block_sealer(watcher.eth.get_block(n)).lower() == address.lower()
                   for n in range(head + 1, watcher.eth.block_number + 1))

    wait_for(alpha_2_sealed, 60, "a block sealed by alpha-2 after the failed run")
    again = run_playbook("authorities.yml", build)
    assert again.rc == 0, again.report(3000)


BUSY_LOOP = "import time\nend = time.monotonic() + 900\nwhile time.monotonic() < end:\n    pass\n"
SOAK_ROUNDS = 20
SOAK_ROUND_LIMIT = 30.0


def test_soak_kill_all_and_restart_under_load(consortium):
    """20 rounds: every geth is killed (SIGKILL) at once and supervisord restarts it; each round
    must reach a full mesh and one chain in sync within 30 s, with two busy loops on the 2 cores."""
    names = [n["name"] for n in consortium.manifest["nodes"]]
    w3s = {n["name"]: w3_of(n["rpc_url"]) for n in consortium.manifest["nodes"]}
    # The load this test names is its two busy loops: the bridge's services pause meanwhile.
    paused = bridge_services(consortium.build)
    for conf, program in paused:
        supervisorctl_at(conf, "stop", program)
    load = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _busy in range(2)]
    durations, start_head = [], w3s[names[0]].eth.block_number
    try:
        for round_no in range(1, SOAK_ROUNDS + 1):
            # Kill only nodes supervisord counts as started, or it would give up on them (FATAL).
            pids = {name: wait_for(lambda name=name: running_pid(consortium.build, name), 60, f"{name} RUNNING")
                    for name in names}
            for pid in pids.values():
                os.kill(pid, signal.SIGKILL)
            killed = time.monotonic()
            last = None
            while time.monotonic() - killed < SOAK_ROUND_LIMIT:
                try:
                    last = mesh_and_heads(w3s)
                    if last[0] and last[1]:
                        break
                except Exception as exc:  # pylint: disable=broad-except
                    last = (False, False, repr(exc), None)  # a node still starting answers nothing
                time.sleep(0.2)
            took = time.monotonic() - killed
            durations.append(took)
            assert last and last[0] and last[1], (
                f"round {round_no}: no full mesh on one chain in sync {took:.1f} s after kill-all "
                f"(peers {last[2] if last else '?'}, heads {last[3] if last else '?'})")
            for name, pid in pids.items():
                assert running_pid(consortium.build, name, started=False) != pid, f"{name} was not restarted"
    finally:
        for proc in load:
            proc.kill()
            proc.wait()
        for conf, program in paused:
            supervisorctl_at(conf, "start", program)
    print("soak: %d rounds, recovery min %.1f s, max %.1f s, mean %.1f s; chain %d -> %d" % (
        len(durations), min(durations), max(durations), sum(durations) / len(durations),
        start_head, w3s[names[0]].eth.block_number))
    # The chain kept its history: the head is past where the soak started.
    assert w3s[names[0]].eth.block_number > start_head


def running_pid(build: Path, name: str, started: bool = True):
    """The node's pid once supervisord reports it RUNNING (or, with started=False, any live pid)."""
    state = supervisorctl(build, name, "status", name).stdout
    found = re.search(r"\b(RUNNING|STARTING)\b.*?pid (\d+)", state)
    if not found or (started and found.group(1) != "RUNNING"):
        return None
    return int(found.group(2))
