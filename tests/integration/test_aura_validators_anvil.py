# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An Aura consortium's validators changed by its Safe, through the collection's own playbooks
(governance.yml, validator_set_switch.yml, signers.yml) run for real on a real anvil node.

No client that seals Aura blocks installs here (see docs/governance.md), so anvil stands in for the
chain and this test plays the engine's one part in a change: once the Safe's addValidator or
removeValidator announced a new set (InitiateChange), a thread sends finalizeChange() from the
system address 0xff...fe (anvil_impersonateAccount), as OpenEthereum and Nethermind do once the
announcing block is final. Everything else is the collection's: the owner keys made in each
company's directory, the Safe, the contract deployed for a running chain's switch, the quorum
check, the signatures made on each owner's host and the execution at the threshold.

The inventory: authorities alpha-1, beta-1 and delta-1 (each its own company and directory, all on
the local connection), consortium_engine openethereum. The chain's validators in force are
alpha-1, beta-1 and an old validator that is no longer in the inventory; signers.yml must add
delta-1 and then remove the old one. One anvil (--hardfork paris, a port of 19600-19699).
"""

from __future__ import annotations

import json
import secrets
import threading
from pathlib import Path

import pytest
import yaml
from eth_account import Account

from conftest import anvil_chain, run_playbook

from ansible_collections.poa.consortium.plugins.module_utils import contracts as c
from ansible_collections.poa.consortium.plugins.module_utils import rpc

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PORTS = range(19600, 19700)
CHAIN_ID = 19601
HOSTS = {"alpha-1": "alpha", "beta-1": "beta", "delta-1": "delta"}
SYSTEM = "0xfffffffffffffffffffffffffffffffffffffffe"
VALIDATOR_SET_ABI = json.loads((ROOT / "contracts" / "artifacts" / "ValidatorSet.json").read_text())["abi"]
SAFE_NONCE_ABI = [{"type": "function", "name": "nonce", "stateMutability": "view", "inputs": [],
                   "outputs": [{"name": "", "type": "uint256"}]}]


class Engine:
    """The engine's part: finalizeChange() from the system address whenever a change is pending."""

    def __init__(self, w3, address):
        self.w3, self.address, self.finalized = w3, address, 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        contract = self.w3.eth.contract(address=self.w3.to_checksum_address(self.address), abi=VALIDATOR_SET_ABI)
        while not self.stop.wait(0.3):
            if not contract.functions.finalized().call():
                tx = contract.functions.finalizeChange().transact({"from": self.w3.to_checksum_address(SYSTEM)})
                assert self.w3.eth.wait_for_transaction_receipt(tx).status == 1
                self.finalized += 1

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(10)


@pytest.fixture(scope="module")
def chain():
    with anvil_chain(PORTS, "--chain-id", str(CHAIN_ID), "--hardfork", "paris") as url:
        w3 = rpc.connect(url)
        w3.provider.make_request("anvil_impersonateAccount", [SYSTEM])
        w3.provider.make_request("anvil_setBalance", [SYSTEM, hex(10 ** 18)])
        yield url, w3


def write_consortium(tmp_path, url, dead_url=None):
    """Each host's directory with its authority keystore (funded), the manifest and the inventory.
    With dead_url, beta-1's and delta-1's nodes are recorded there: they do not answer."""
    hosts, nodes = {}, []
    for name, company in HOSTS.items():
        home = tmp_path / name
        home.mkdir(exist_ok=True)
        key = home / "authority.json"
        if not key.exists():
            account = Account.create()
            key.write_text(json.dumps(Account.encrypt(account.key, "pw-" + name, kdf="pbkdf2", iterations=1000)))
            (home / "authority.pass").write_text("pw-" + name)
        address = "0x" + json.loads(key.read_text())["address"].lower()
        node_url = dead_url if dead_url and name != "alpha-1" else url
        hosts[name] = {
            "consortium_company": company,
            "authority_data_dir": str(home),
            "governance_scrypt_n": 16384,
            "authority_identity": {"address": address, "rpc_url": node_url, "keystore_path": str(key),
                                   "password_file": str(home / "authority.pass")},
        }
        nodes.append({"name": name, "company": company, "role": "authority", "address": address, "rpc_url": node_url,
                      "enode": "enode://%s@127.0.0.1:30303" % secrets.token_hex(64)})
    manifest_path = tmp_path / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    manifest.update(chain_id=CHAIN_ID, nodes=nodes, retired=[])
    manifest.setdefault("genesis_validators", [hosts["alpha-1"]["authority_identity"]["address"],
                                               hosts["beta-1"]["authority_identity"]["address"],
                                               Account.create().address.lower()])
    manifest_path.write_text(json.dumps(manifest, indent=2))
    inventory = tmp_path / ("inventory-dead.yml" if dead_url else "inventory.yml")
    inventory.write_text(yaml.safe_dump({"all": {
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": str(ROOT / ".venv" / "bin" / "python"),
                 "consortium_engine": "openethereum", "consortium_manifest_path": str(manifest_path)},
        "children": {"authorities": {"hosts": hosts}}}}))
    return inventory, manifest_path


def fund(w3, manifest_path):
    for node in json.loads(manifest_path.read_text())["nodes"]:
        w3.provider.make_request("anvil_setBalance", [node["address"], hex(10 ** 20)])


def call(w3, address, abi, function, *args):
    return c.call_view(w3, address, abi, function, list(args))


def test_aura_validators_follow_the_inventory_through_the_safe(chain, tmp_path):
    url, w3 = chain
    inventory, manifest_path = write_consortium(tmp_path, url)
    fund(w3, manifest_path)

    run = run_playbook("governance.yml", None, inventory=inventory)
    assert run.rc == 0, run.report()
    manifest = json.loads(manifest_path.read_text())
    safe = manifest["safe"]["home"]["address"]
    assert sorted(o["company"] for o in manifest["safe"]["owners"]) == ["alpha", "beta", "delta"]
    assert manifest["safe"]["threshold"] == 2

    # The switch of a running chain: a block too close is refused, before anything is deployed.
    run = run_playbook("validator_set_switch.yml", None, "-e", "validator_set_from_block=5", inventory=inventory)
    assert run.rc != 0 and "must be at least 100 blocks ahead" in run.output, run.output[-3000:]
    journal = tmp_path / "alpha-1" / "contracts.json"
    assert "ValidatorSet" not in json.loads(journal.read_text())["contracts"]

    run = run_playbook("validator_set_switch.yml", None, "-e", "validator_set_from_block=1000", inventory=inventory)
    assert run.rc == 0, run.report()
    vset = json.loads(journal.read_text())["contracts"]["ValidatorSet"]["address"]
    assert [a.lower() for a in call(w3, vset, VALIDATOR_SET_ABI, "getValidators")] == manifest["genesis_validators"]
    assert call(w3, vset, VALIDATOR_SET_ABI, "owner").lower() == safe.lower()
    run = run_playbook("validator_set_switch.yml", None, "-e", "validator_set_from_block=1000", inventory=inventory)
    assert run.rc == 0 and run.recap()["alpha-1"]["changed"] == 0, run.report()

    governance = ["-e", json.dumps({"chain_spec_governance": {"validator_set": {"address": vset}}})]

    # Two of the three validators in force do not answer: the change is refused before any signature.
    dead_inventory, _manifest = write_consortium(tmp_path, url, dead_url="http://127.0.0.1:1")
    run = run_playbook("signers.yml", None, *governance, inventory=dead_inventory)
    assert run.rc != 0 and "refusing to change the validators" in run.output, run.output[-3000:]
    assert call(w3, safe, SAFE_NONCE_ABI, "nonce") == 0

    inventory, manifest_path = write_consortium(tmp_path, url)
    wanted = [n["address"] for n in json.loads(manifest_path.read_text())["nodes"]]
    with Engine(w3, vset) as engine:
        run = run_playbook("signers.yml", None, *governance, inventory=inventory)
        assert run.rc == 0, run.report()
        # alpha, beta, old -> + delta -> - old: the contract's order is Aura's proposer order.
        assert [a.lower() for a in call(w3, vset, VALIDATOR_SET_ABI, "getValidators")] == wanted
        assert call(w3, vset, VALIDATOR_SET_ABI, "finalized") is True
        assert call(w3, safe, SAFE_NONCE_ABI, "nonce") == 2
        assert engine.finalized == 2
        announced = w3.eth.get_logs({"address": w3.to_checksum_address(vset), "fromBlock": 0,
                                     "topics": [w3.keccak(text="InitiateChange(bytes32,address[])").hex()]})
        assert len(announced) == 2

        again = run_playbook("signers.yml", None, *governance, inventory=inventory)
        assert again.rc == 0, again.report()
        assert again.changed_total() == 0, again.report()
        assert call(w3, safe, SAFE_NONCE_ABI, "nonce") == 2
    assert [a.lower() for a in call(w3, vset, VALIDATOR_SET_ABI, "getValidators")] == wanted

    # A validator dropped from the inventory is not removed by a run with --limit.
    manifest = json.loads(manifest_path.read_text())
    manifest["nodes"] = [n for n in manifest["nodes"] if n["name"] != "delta-1"]
    manifest_path.write_text(json.dumps(manifest))
    limited = run_playbook("signers.yml", None, *governance, "--limit", "alpha-1", inventory=inventory)
    assert limited.rc == 0 and "never changes the validators" in limited.output, limited.report()
    assert call(w3, safe, SAFE_NONCE_ABI, "nonce") == 2
    assert [a.lower() for a in call(w3, vset, VALIDATOR_SET_ABI, "getValidators")] == wanted
