"""bridge_deploy through ansible on two real anvil chains: check mode that sends nothing, a deployment,
a re-run that sends nothing, and a run killed midway that a re-run completes without deploying twice.

Needs the anvil binary (npm @foundry-rs/anvil-linux-amd64), rlc-faucet-contract's RLC artifact and
contracts/artifacts/. Ports 18950-18999 on 127.0.0.1.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

from conftest import ROOT, anvil_chain, free_ports, json_rpc

pytestmark = pytest.mark.integration

ANVIL = ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
RLC_ARTIFACT = ROOT / "node_modules" / "rlc-faucet-contract" / "build" / "contracts" / "RLC.json"
ARTIFACTS = ROOT / "contracts" / "artifacts"
if not (ANVIL.exists() and RLC_ARTIFACT.exists() and ARTIFACTS.exists()):
    pytest.skip("anvil, rlc-faucet-contract or contracts/artifacts missing", allow_module_level=True)

VALIDATORS = [Account.create().address for _index in range(3)]
ANSIBLE_ENV = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
                   ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".ansible" / "collections"), ANSIBLE_NOCOLOR="1")


@pytest.fixture(scope="module")
def chains(tmp_path_factory):
    """Two anvils with 1 s blocks (so a deployment stays pending long enough to be killed)."""
    logs = tmp_path_factory.mktemp("anvil")
    ports = free_ports(range(18950, 19000), 6)
    with contextlib.ExitStack() as stack:
        urls = [stack.enter_context(anvil_chain(ports[3 * i:3 * i + 3], "--chain-id", str(chain_id),
                                                "--block-time", "1", "--hardfork", "paris", "--accounts", "0",
                                                log=logs / ("%d.log" % chain_id)))
                for i, chain_id in enumerate((31338, 133799))]
        yield {"foreign": urls[0], "home": urls[1]}


@pytest.fixture(scope="module")
def deployer(tmp_path_factory, chains):
    """A keystore funded on both chains, and RLC deployed at home by it (PoCo's token, here)."""
    work = tmp_path_factory.mktemp("deployer")
    account = Account.create()
    (work / "key.json").write_text(json.dumps(Account.encrypt(account.key, "pw", kdf="pbkdf2", iterations=2)))
    (work / "pw").write_text("pw\n")
    for url in chains.values():
        assert "error" not in json_rpc(url, "anvil_setBalance", [account.address, hex(10 ** 21)])
    w3 = Web3(Web3.HTTPProvider(chains["home"]))
    artifact = json.loads(RLC_ARTIFACT.read_text())
    tx = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"]).constructor().build_transaction({
        "from": account.address, "nonce": 0, "gas": 3_000_000, "gasPrice": w3.eth.gas_price * 2,
        "chainId": w3.eth.chain_id})
    tx.pop("maxFeePerGas", None)
    tx.pop("maxPriorityFeePerGas", None)
    sent = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
    home_token = w3.eth.wait_for_transaction_receipt(sent, timeout=60)["contractAddress"]
    return {"account": account, "dir": work, "home_token": home_token}


def module_args(chains, deployer, journals: Path) -> dict:
    return {
        "home_rpc_url": chains["home"], "foreign_rpc_url": chains["foreign"],
        "keystore": str(deployer["dir"] / "key.json"), "password_file": str(deployer["dir"] / "pw"),
        "home_journal": str(journals / "home.json"), "foreign_journal": str(journals / "foreign.json"),
        "artifacts_dir": str(ARTIFACTS), "rlc_artifact": str(RLC_ARTIFACT), "home_token": deployer["home_token"],
        "validators": VALIDATORS, "required_signatures": 2, "home_funding": 10 ** 15,
        "limits": {"foreign": {"min_per_tx": 10 ** 9, "max_per_tx": 10 ** 14, "daily_limit": 10 ** 15},
                   "home": {"min_per_tx": 10 ** 9, "max_per_tx": 10 ** 14, "daily_limit": 10 ** 15,
                            "execution_daily_limit": 10 ** 15}},
        "confirmations": {"foreign": 2, "home": 1},
    }


def ansible_cmd(args: dict, *extra: str) -> list[str]:
    return [str(ROOT / ".venv" / "bin" / "ansible"), "localhost", "-m", "poa.consortium.bridge_deploy",
            "-a", json.dumps(args), *extra]


def run_module(args: dict, *extra: str, diagnose=None) -> dict:
    proc = subprocess.run(ansible_cmd(args, *extra), capture_output=True, text=True, timeout=600, env=ANSIBLE_ENV,
                          cwd=ROOT, check=False)
    pools = {side: (json_rpc(url, "txpool_content").get("result"), json_rpc(url, "eth_blockNumber").get("result"))
             for side, url in (diagnose or {}).items()}
    for name in ("home.json", "foreign.json"):
        journal = Path(args["home_journal"]).parent / name
        pools[name] = journal.read_text() if journal.exists() else None
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:] + "\npools: %s" % pools
    return json.loads(proc.stdout[proc.stdout.index("{"):])


def nonces(chains, address) -> tuple[int, int]:
    return tuple(Web3(Web3.HTTPProvider(chains[side])).eth.get_transaction_count(address) for side in ("foreign", "home"))


def has_code(url, address) -> bool:
    return len(Web3(Web3.HTTPProvider(url)).eth.get_code(address)) > 0


def test_check_mode_deploy_and_rerun(chains, deployer, tmp_path):
    me = deployer["account"].address
    before = nonces(chains, me)
    checked = run_module(module_args(chains, deployer, tmp_path), "--check")
    assert checked["changed"] is True
    assert nonces(chains, me) == before, "check mode sent a transaction"

    done = run_module(module_args(chains, deployer, tmp_path))
    bridge = done["bridge"]
    assert done["changed"] is True and bridge["mode"] == "erc_to_erc" and bridge["validators"] == VALIDATORS
    for side in ("foreign", "home"):
        for part in ("bridge", "validators", "token"):
            assert has_code(chains[side], bridge[side][part]["address"]), (side, part)
    # RLC deployed on the foreign chain, validator set, bridge; at home: validator set, bridge, approve, fund
    assert nonces(chains, me) == (before[0] + 3, before[1] + 4)
    home = Web3(Web3.HTTPProvider(chains["home"]))
    total_funded = home.eth.call({"to": bridge["home"]["bridge"]["address"],
                                  "data": Web3.keccak(text="totalFunded()")[:4].hex()})
    assert int.from_bytes(total_funded, "big") == 10 ** 15

    again = run_module(module_args(chains, deployer, tmp_path))
    assert again["changed"] is False and again["bridge"] == bridge
    assert nonces(chains, me) == (before[0] + 3, before[1] + 4)


def descendants(pid: int) -> list[int]:
    """pid's children, grandchildren... from /proc (ansible runs the module in a session of its own,
    so killing the ansible process group leaves the module running)."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(pid: int) -> None:
    """SIGKILL ansible and every process under it, the module first."""
    for victim in reversed([pid] + descendants(pid)):
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            pass


def sent_by(url, address):
    """(nonce, to, first bytes of input) of every transaction of address, block by block."""
    w3 = Web3(Web3.HTTPProvider(url))
    out = []
    for number in range(w3.eth.block_number + 1):
        for tx in w3.eth.get_block(number, full_transactions=True)["transactions"]:
            if tx["from"] == address:
                out.append((tx["nonce"], tx["to"], bytes(tx["input"][:4]).hex(), number))
    return out


def test_a_killed_deployment_is_completed_without_deploying_twice(chains, deployer, tmp_path):
    me = deployer["account"].address
    before = nonces(chains, me)
    args = module_args(chains, deployer, tmp_path)
    journal = tmp_path / "foreign.json"
    # Killed once the foreign journal records a deployment as sent but not yet mined.
    proc = subprocess.Popen(ansible_cmd(args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ANSIBLE_ENV,
                            cwd=ROOT)
    try:
        deadline = time.monotonic() + 120
        while not (journal.exists() and '"pending": true' in journal.read_text()):
            assert proc.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "no pending deployment was journaled"
            time.sleep(0.05)
    finally:
        kill_tree(proc.pid)
        proc.wait(timeout=30)
    pending = {name: rec for name, rec in json.loads(journal.read_text())["contracts"].items() if rec.get("pending")}
    assert pending, "the kill came after the journal settled"

    done = run_module(dict(args, timeout=60), diagnose=chains)
    assert done["changed"] is True
    bridge = done["bridge"]
    for name, rec in pending.items():
        recorded = {"rlc": bridge["foreign"]["token"], "bridge_validators": bridge["foreign"]["validators"],
                    "foreign_bridge": bridge["foreign"]["bridge"]}[name]
        assert recorded["address"] == rec["address"], "the re-run deployed %s again instead of finding it" % name
    # every transaction of the deployer is listed when it fails: a double deployment shows there
    assert nonces(chains, me) == (before[0] + 3, before[1] + 4), (
        pending, sent_by(chains["foreign"], me), sent_by(chains["home"], me))
