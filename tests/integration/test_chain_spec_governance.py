# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""chain_spec with governance, end to end: a real ansible-playbook run, then the rendered genesis
loaded into a real EVM (anvil) and the clients' calls replayed against the predeployed contracts.

Select with `pytest -m integration tests/integration/test_chain_spec_governance.py`. No live chain:
anvil (`--hardfork paris`, a port of 19400-19499) starts from a geth-style genesis holding the same
accounts (code, storage, nonce, balance) as the Aura spec, since no Aura client installs here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from web3 import Web3

from ansible_collections.poa.consortium.plugins.module_utils import genesis as G
from ansible_collections.poa.consortium.plugins.module_utils import governance as GOV
from ansible_collections.poa.consortium.plugins.module_utils import spec as S

from conftest import anvil_chain, json_rpc

pytestmark = pytest.mark.integration

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ARTIFACTS = os.path.join(ROOT, "contracts", "artifacts")
PORTS = range(19400, 19500)
CHAIN_ID = 8995
ZERO = "0x" + "00" * 20
CALL_GAS = hex(50_000_000)

VALIDATORS = [Web3.to_checksum_address(Web3.keccak(text="gov-validator-%d" % i)[-20:]) for i in range(3)]
OWNERS = [Web3.to_checksum_address(Web3.keccak(text="gov-owner-%d" % i)[-20:]) for i in range(3)]
DEPLOYER = Web3.to_checksum_address(Web3.keccak(text="gov-deployer")[-20:])
TRANSACTOR = Web3.to_checksum_address(Web3.keccak(text="gov-transactor")[-20:])
STRANGER = Web3.to_checksum_address(Web3.keccak(text="gov-stranger")[-20:])
ENODES = ["enode://%s@127.0.0.1:%d" % (Web3.keccak(text="gov-node-%d" % i).hex().removeprefix("0x") * 2, 30300 + i)
          for i in range(3)]
GOVERNANCE = {
    "safe": {"owners": OWNERS, "threshold": 2},
    "validator_set": {"from_block": 0},
    "tx_permission": {"from_block": 0, "deployers": [DEPLOYER], "transactors": [TRANSACTOR], "default_types": 0},
    "node_permission": {"enodes": ENODES},
}


def playbook(tmp_path, name, governance, dest):
    task = {
        "name": "Render the governed Aura spec",
        "poa.consortium.chain_spec": {
            "dest": str(dest), "format": "parity", "name": "governed", "chain_id": CHAIN_ID,
            "validators": {"list": VALIDATORS}, "forks": "london", "engine": "openethereum",
            "accounts": {v: {"balance": "1000 ether"} for v in VALIDATORS},
            "governance": governance, "artifacts_dir": ARTIFACTS,
        },
        "register": "rendered",
    }
    save = {"name": "Save the result", "ansible.builtin.copy": {
        "content": "{{ rendered | to_nice_json }}", "dest": str(tmp_path / (name + ".result.json")), "mode": "0644"}}
    path = tmp_path / (name + ".yml")
    path.write_text(json.dumps([{"name": name, "hosts": "localhost", "connection": "local", "gather_facts": False,
                                 "vars": {"ansible_python_interpreter": sys.executable}, "tasks": [task, save]}]))
    return path


def run(path):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".ansible", "collections"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(["ansible-playbook", "-i", "localhost,", str(path)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def geth_genesis(spec):
    """The Aura spec's accounts as a geth-style genesis that anvil --init reads (London at 0)."""
    alloc = {}
    for address, entry in spec["accounts"].items():
        if "builtin" in entry and "balance" not in entry:
            continue  # precompiles: the EVM has them anyway
        acc = {"balance": hex(G.parse_uint(entry.get("balance", 0), "balance"))}
        for key in ("code", "storage", "nonce"):
            if key in entry:
                acc[key] = entry[key]
        alloc[address] = acc
    forks = ("homesteadBlock", "eip150Block", "eip155Block", "eip158Block", "byzantiumBlock", "constantinopleBlock",
             "petersburgBlock", "istanbulBlock", "berlinBlock", "londonBlock")
    return {"config": dict({f: 0 for f in forks}, chainId=CHAIN_ID), "nonce": "0x0", "timestamp": "0x0",
            "extraData": "0x", "gasLimit": spec["genesis"]["gasLimit"], "difficulty": "0x1",
            "baseFeePerGas": spec["genesis"]["baseFeePerGas"], "alloc": alloc}


@pytest.fixture(scope="module")
def governed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("governance")
    dest = tmp / "spec.json"
    rc, output = run(playbook(tmp, "render", GOVERNANCE, dest))
    assert rc == 0, output[-3000:]
    result = json.loads((tmp / "render.result.json").read_text())
    spec = json.loads(dest.read_text())
    (tmp / "genesis.json").write_text(json.dumps(geth_genesis(spec)))
    with anvil_chain(PORTS, "--hardfork", "paris", "--init", str(tmp / "genesis.json")) as url:
        assert json_rpc(url, "eth_chainId")["result"] == hex(CHAIN_ID)
        w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 10}))
        yield {"tmp": tmp, "dest": dest, "spec": spec, "result": result, "w3": w3, "url": url}


def client_call(w3, to, signature, types=(), args=(), out=()):
    """eth_call the way the clients call a permission or validator-set contract: from 0x0, gas 50M, price 0."""
    data = Web3.keccak(text=signature)[:4] + (w3.codec.encode(list(types), list(args)) if types else b"")
    raw = w3.eth.call({"from": ZERO, "to": to, "data": "0x" + data.hex().removeprefix("0x"), "gas": CALL_GAS,
                       "gasPrice": "0x0"})
    return w3.codec.decode(list(out), raw)


def test_spec_is_valid_and_its_hash_is_the_modules(governed):
    errors, _warnings = S.validate_spec(governed["spec"])
    assert errors == []
    assert governed["result"]["genesis_hash"] == G.genesis_hash(governed["spec"])
    assert governed["result"]["changed"] is True
    params = governed["spec"]["params"]
    assert params["transactionPermissionContract"] == GOV.DEFAULT_ADDRESSES["tx_permission"]
    assert params["nodePermissionContract"] == GOV.DEFAULT_ADDRESSES["node_permission"]
    assert governed["spec"]["engine"]["authorityRound"]["params"]["validators"] == {
        "safeContract": GOV.DEFAULT_ADDRESSES["validator_set"]}


def test_anvil_holds_the_same_accounts(governed):
    w3 = governed["w3"]
    for address, entry in governed["spec"]["accounts"].items():
        if "code" not in entry:
            continue
        target = Web3.to_checksum_address(address)
        assert w3.eth.get_code(target).hex().removeprefix("0x") == entry["code"].removeprefix("0x")
        for slot, value in entry.get("storage", {}).items():
            assert w3.eth.get_storage_at(target, int(slot, 16)).hex().removeprefix("0x") == value.removeprefix("0x")


def test_validator_set_as_the_clients_read_it(governed):
    vset = Web3.to_checksum_address(GOV.DEFAULT_ADDRESSES["validator_set"])
    (validators,) = client_call(governed["w3"], vset, "getValidators()", out=["address[]"])
    assert [Web3.to_checksum_address(v) for v in validators] == VALIDATORS
    (owner,) = client_call(governed["w3"], vset, "owner()", out=["address"])
    assert owner.lower() == GOV.DEFAULT_ADDRESSES["safe"]


def test_safe_owners_and_threshold(governed):
    safe = Web3.to_checksum_address(GOV.DEFAULT_ADDRESSES["safe"])
    (owners,) = client_call(governed["w3"], safe, "getOwners()", out=["address[]"])
    (threshold,) = client_call(governed["w3"], safe, "getThreshold()", out=["uint256"])
    assert [Web3.to_checksum_address(o) for o in owners] == OWNERS
    assert threshold == 2


@pytest.mark.parametrize("sender, needed, refused", [
    (VALIDATORS[0], GOV.BASIC | GOV.CALL | GOV.CREATE, 0),
    (GOV.DEFAULT_ADDRESSES["safe"], GOV.BASIC | GOV.CALL | GOV.CREATE, 0),
    (OWNERS[1], GOV.BASIC | GOV.CALL, GOV.CREATE),
    (DEPLOYER, GOV.CREATE, 0),
    (TRANSACTOR, GOV.BASIC | GOV.CALL, GOV.CREATE),
    (STRANGER, 0, GOV.BASIC | GOV.CALL | GOV.CREATE),
])
def test_tx_permission_as_the_clients_ask(governed, sender, needed, refused):
    w3 = governed["w3"]
    txp = Web3.to_checksum_address(GOV.DEFAULT_ADDRESSES["tx_permission"])
    (version,) = client_call(w3, txp, "contractVersion()", out=["uint256"])
    assert version == 4
    sender = Web3.to_checksum_address(sender)
    probes = {GOV.BASIC: (STRANGER, 1, b""),
              GOV.CALL: (Web3.to_checksum_address(GOV.DEFAULT_ADDRESSES["safe"]), 0, bytes.fromhex("e75235b8")),
              GOV.CREATE: (ZERO, 0, bytes.fromhex("60006000f3"))}
    for bit, (to, value, data) in probes.items():
        mask, _cache = client_call(
            w3, txp, "allowedTxTypes(address,address,uint256,uint256,uint256,uint256,bytes)",
            ["address", "address", "uint256", "uint256", "uint256", "uint256", "bytes"],
            [sender, Web3.to_checksum_address(to), value, 10 ** 9, 0, 1_000_000, data], ["uint32", "bool"])
        if needed & bit:
            assert mask & bit, "%s lacks %d" % (sender, bit)
        if refused & bit:
            assert not mask & bit, "%s has %d" % (sender, bit)


def test_node_permission_as_openethereum_asks(governed):
    node = Web3.to_checksum_address(GOV.DEFAULT_ADDRESSES["node_permission"])
    ids = [bytes.fromhex(e[len("enode://"):].split("@")[0]) for e in ENODES]
    stranger = bytes(64)
    types = ["bytes32"] * 4
    (allowed,) = client_call(governed["w3"], node, "connectionAllowed(bytes32,bytes32,bytes32,bytes32)", types,
                             [ids[0][:32], ids[0][32:], ids[2][:32], ids[2][32:]], ["bool"])
    (refused,) = client_call(governed["w3"], node, "connectionAllowed(bytes32,bytes32,bytes32,bytes32)", types,
                             [ids[0][:32], ids[0][32:], stranger[:32], stranger[32:]], ["bool"])
    assert allowed is True and refused is False


def test_rerun_is_unchanged_and_a_lockout_writes_nothing(governed):
    tmp, dest = governed["tmp"], governed["dest"]
    before = dest.read_text()
    rc, output = run(playbook(tmp, "again", GOVERNANCE, dest))
    assert rc == 0, output[-3000:]
    assert json.loads((tmp / "again.result.json").read_text())["changed"] is False
    # A threshold above the number of owners: refused, and the file is left as it was.
    bad = dict(GOVERNANCE, safe={"owners": OWNERS, "threshold": 4})
    rc, output = run(playbook(tmp, "bad", bad, dest))
    assert rc != 0
    assert "4 is outside 1..3" in output
    assert dest.read_text() == before
