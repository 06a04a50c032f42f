# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The consortium's multisig on the live local consortium (site.yml on inventories/local).

site.yml deploys a Safe on the home chain and one on the foreign dev chain, with one owner key per
company made on the company's first host, and hands the bridge contracts of each chain over to its
Safe. Here: who owns what, where the keys are, the deployer refused, and one real change of the
home BridgeValidators (requiredSignatures 2 -> 3, then back) through playbooks/governance_call.yml:
one signature refused with nothing sent, M signatures executed, a re-run unchanged.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_utils import keccak, to_checksum_address

from conftest import ROOT, run_playbook

from ansible_collections.poa.consortium.plugins.module_utils import contracts as c
from ansible_collections.poa.consortium.plugins.module_utils import rpc
from ansible_collections.poa.consortium.plugins.module_utils import safe as s

pytestmark = pytest.mark.integration

# inventories/local: three companies, the owner key on the first host of each (by name).
OWNER_HOSTS = {"alpha": "alpha-1", "beta": "beta-1", "gamma": "gamma-1"}
DEPLOYER_HOST = "alpha-1"
ARTIFACTS = ROOT / "contracts" / "artifacts"
UNAUTHORIZED = keccak(text="OwnableUnauthorizedAccount(address)")[:4]


class Live:
    def __init__(self, build: Path, manifest: dict):
        self.build = build
        self.manifest = manifest
        self.safe = manifest["safe"]
        self.bridge = manifest["bridge"]
        self.w3 = {side: rpc.connect(self.bridge[side]["rpc_url"], self.bridge[side]["chain_id"], timeout=10)
                   for side in ("home", "foreign")}
        self.abi = {name: c.load_artifact(str(ARTIFACTS / (name + ".json"))).abi
                    for name in ("BridgeValidators", "HomeBridge", "ForeignBridge")}
        keys = build / "hosts" / DEPLOYER_HOST
        self.deployer = rpc.load_keystore_account(str(keys / "keystore" / "authority.json"),
                                                  str(keys / "secrets" / "authority.password"))

    def owned(self):
        """(side, name, address, abi) of every contract the Safes must own."""
        return [("home", "BridgeValidators", self.bridge["home"]["validators"]["address"], self.abi["BridgeValidators"]),
                ("home", "HomeBridge", self.bridge["home"]["bridge"]["address"], self.abi["HomeBridge"]),
                ("foreign", "BridgeValidators", self.bridge["foreign"]["validators"]["address"],
                 self.abi["BridgeValidators"]),
                ("foreign", "ForeignBridge", self.bridge["foreign"]["bridge"]["address"], self.abi["ForeignBridge"])]

    def required(self) -> int:
        return int(c.call_view(self.w3["home"], self.bridge["home"]["validators"]["address"],
                               self.abi["BridgeValidators"], "requiredSignatures"))

    def nonces(self):
        """(home Safe nonce, transactions the deployer sent at home)."""
        return (s.read_safe(self.w3["home"], self.safe["home"]["address"])["nonce"],
                self.w3["home"].eth.get_transaction_count(self.deployer.address))

    def secrets(self) -> list[str]:
        return [(self.build / "hosts" / host / "governance" / "owner.password").read_text().strip()
                for host in OWNER_HOSTS.values()]

    def call(self, value: int, signers=None, *args: str):
        """playbooks/governance_call.yml: setRequiredSignatures(value) on the home BridgeValidators."""
        extra = {"governance_call": {
            "chain": "home", "target": "bridge.home.validators", "artifact": "BridgeValidators",
            "function": "setRequiredSignatures", "args": [value],
            "check": {"function": "requiredSignatures", "args": [], "expect": value}}}
        if signers is not None:
            extra["governance_call_signers"] = signers
        run = run_playbook("governance_call.yml", self.build, "-v", "-e", json.dumps(extra), *args)
        for secret in self.secrets() + [self.deployer.key.hex().removeprefix("0x")]:
            assert secret not in run.output, "an owner password or a private key is in the playbook output"
        return run


@pytest.fixture(scope="module")
def live(consortium):
    if consortium.up is not None:
        assert consortium.up.rc == 0, consortium.up.report(4000)
    assert "safe" in consortium.manifest, "site.yml did not record a Safe"
    return Live(consortium.build, consortium.manifest)


def test_the_safes_have_one_owner_per_company_and_a_majority(live):
    recorded = {o["company"]: to_checksum_address(o["address"]) for o in live.safe["owners"]}
    assert sorted(recorded) == sorted(OWNER_HOSTS)
    assert live.safe["threshold"] == 2
    for side in ("home", "foreign"):
        assert live.safe[side]["chain_id"] == live.bridge[side]["chain_id"]
        info = s.read_safe(live.w3[side], live.safe[side]["address"])
        assert sorted(info["owners"]) == sorted(recorded.values()), side
        assert (info["threshold"], info["version"]) == (2, "1.4.1"), side
    assert live.manifest["contracts"]["ConsortiumSafe"]["address"] == live.safe["home"]["address"]


def test_each_safe_owns_the_bridge_contracts_of_its_chain(live):
    for side, name, address, abi in live.owned():
        assert c.call_view(live.w3[side], address, abi, "owner") == live.safe[side]["address"], (side, name)


def test_each_owner_key_is_only_on_its_own_host(live):
    owners = {to_checksum_address(o["address"]): o["company"] for o in live.safe["owners"]}
    found = {}
    for path in live.build.rglob("*.json"):
        try:
            data = json.loads(path.read_text())
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(data, dict) and "crypto" in data and data.get("address"):
            address = to_checksum_address("0x" + data["address"].removeprefix("0x"))
            if address in owners:
                found.setdefault(owners[address], []).append(path.relative_to(live.build))
    assert found == {company: [Path("hosts") / host / "governance" / "owner.json"]
                     for company, host in OWNER_HOSTS.items()}
    # Each owner password lies in its own host's governance directory, and nowhere else. A company
    # that joined and left again (test_signers) keeps its key on its own host, though not an owner.
    passwords = sorted(p.relative_to(live.build) for p in live.build.rglob("owner.password"))
    assert all(p.parts[0] == "hosts" and p.parts[2:] == ("governance", "owner.password") for p in passwords), passwords
    assert {Path("hosts") / host / "governance" / "owner.password" for host in OWNER_HOSTS.values()} <= set(passwords)


def test_the_deployer_alone_can_no_longer_call_an_owner_only_function(live):
    calls = {"BridgeValidators": ("setRequiredSignatures", [3]), "HomeBridge": ("setExecutionDailyLimit", [1]),
             "ForeignBridge": ("setWhitelistEnabled", [True])}
    for side, name, address, abi in live.owned():
        function, args = calls[name]
        data = c.encode_call(abi, function, args)[1]
        with pytest.raises(Exception) as refused:
            live.w3[side].eth.call({"from": live.deployer.address, "to": address, "data": data})
        reverted = rpc.revert_data(refused.value)
        assert isinstance(reverted, str) and reverted.startswith("0x"), (side, name, refused.value)
        reverted = bytes.fromhex(reverted[2:])
        assert reverted[:4] == UNAUTHORIZED, (side, name, reverted.hex())
        assert reverted[16:36] == bytes.fromhex(live.deployer.address[2:]), (side, name)


def test_a_change_needs_m_signatures_from_the_owners_hosts_and_a_rerun_changes_nothing(live):
    before = live.required()
    assert before == 2
    changed_to = 3  # all three validators must sign while it holds; still a working bridge
    try:
        nonces = live.nonces()
        alone = live.call(changed_to, ["alpha"])
        assert alone.rc != 0
        assert "2 of 3 signatures needed, got 1: from alpha" in alone.output, alone.report()
        assert live.nonces() == nonces and live.required() == before

        run = live.call(changed_to)
        assert run.rc == 0, run.report()
        assert live.required() == changed_to
        assert live.nonces() == (nonces[0] + 1, nonces[1] + 1)
        recap = run.recap()
        # a signature on each company's owner host, nothing on the others, one execution
        assert {host: recap[host]["changed"] for host in recap if host != "localhost"} == {
            "alpha-1": 2, "beta-1": 1, "gamma-1": 1, "alpha-2": 0, "beta-2": 0}, run.report()
        assert '"signature": "0x' in run.output and '"state": "executed"' in run.output

        again = live.call(changed_to)
        assert again.rc == 0 and again.changed_total() == 0, again.report()
        assert live.nonces() == (nonces[0] + 1, nonces[1] + 1)
    finally:
        back = live.call(before)
        assert back.rc == 0, back.report()
    assert live.required() == before


def test_a_rerun_of_the_governance_phase_changes_nothing(live):
    again = run_playbook("governance.yml", live.build)
    assert again.rc == 0 and again.changed_total() == 0, again.report()
    for side, name, address, abi in live.owned():
        assert c.call_view(live.w3[side], address, abi, "owner") == live.safe[side]["address"], (side, name)
