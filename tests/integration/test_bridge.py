"""The token bridge on the local consortium: anvil as the foreign chain, the 5-node geth chain at
home, three validator services (one per company, M = 2) under supervisord.

The walkthrough (10 RLC in, 4 out) through the bridge_transfer module; stopped validators; a
SIGKILL at each crash point of a validator; replays; a lost validator database; a reorg of the
foreign chain below the confirmation depth; limits and the allow-list. After every test, the
tokens locked on the foreign side equal those the home bridge put in circulation.
"""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from web3 import Web3
from web3.exceptions import TransactionNotFound
from web3.middleware import ExtraDataToPOAMiddleware

from conftest import ROOT, json_rpc

from ansible_collections.poa.consortium.plugins.module_utils import rpc
from ansible_collections.poa.consortium.plugins.module_utils import safe
from ansible_collections.poa.consortium.plugins.module_utils.bridge import abi, status

pytestmark = pytest.mark.integration

VALIDATORS = ["alpha-1", "beta-1", "gamma-1"]
# The Safe owner key of each company is on the first of its hosts.
SAFE_OWNER_HOSTS = ["alpha-1", "beta-1", "gamma-1"]
VENV_BIN = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin"
RLC = 10 ** 9


def w3_of(url: str) -> Web3:
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 10}))
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    return w3


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except OSError as exc:
            # A validator that supervisord has just (re)started may not listen on its health port
            # yet: "started" means its process is up, not that it serves.
            value, last_error = None, exc
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError("timed out after %.0f s waiting for %s%s" % (
        timeout, what, "; last error: %s" % last_error if last_error else ""))


class Bridge:
    """The deployed bridge as a test sees it: both chains, the contracts, the demo user."""

    def __init__(self, build: Path, manifest: dict):
        self.build = build
        self.data = manifest["bridge"]
        self.safes = manifest["safe"]
        self.home = w3_of(self.data["home"]["rpc_url"])
        self.foreign = w3_of(self.data["foreign"]["rpc_url"])
        self.home_bridge = self.home.eth.contract(self.data["home"]["bridge"]["address"], abi=abi.HOME_BRIDGE)
        self.foreign_bridge = self.foreign.eth.contract(self.data["foreign"]["bridge"]["address"],
                                                        abi=abi.FOREIGN_BRIDGE + FOREIGN_OWNER_ABI)
        self.home_token = self.home.eth.contract(self.data["home"]["token"]["address"], abi=abi.ERC20)
        self.foreign_token = self.foreign.eth.contract(self.data["foreign"]["token"]["address"], abi=abi.ERC20)
        self.user = rpc.load_keystore_account(str(build / "demo" / "user.json"), str(build / "demo" / "user.password"))
        deployer = build / "hosts" / "alpha-1"
        self.deployer = rpc.load_keystore_account(str(deployer / "keystore" / "authority.json"),
                                                  str(deployer / "secrets" / "authority.password"))

    # ---- sending ---------------------------------------------------------------------------
    def send(self, w3: Web3, account, tx: dict) -> str:
        tx = {k: v for k, v in tx.items() if k not in ("maxFeePerGas", "maxPriorityFeePerGas", "gas", "nonce")}
        tx.setdefault("value", 0)
        tx.update({"from": account.address, "nonce": w3.eth.get_transaction_count(account.address, "pending"),
                   "chainId": w3.eth.chain_id, "gasPrice": w3.eth.gas_price * 2})
        tx["gas"] = int(w3.eth.estimate_gas(tx) * 1.3)
        signed = account.sign_transaction(tx)
        tx_hash = "0x" + bytes(w3.eth.send_raw_transaction(signed.raw_transaction)).hex()
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
        assert receipt["status"] == 1, receipt
        return tx_hash

    def govern(self, side: str, contract, function: str, args: list) -> str:
        """An owner-only call on a bridge contract, made by the Safe that owns it on that side: M owner
        keys (each read from its own host's directory) sign, the deployer pays the execution."""
        w3 = self.home if side == "home" else self.foreign
        data = contract.encode_abi(function, args=args)
        tx, info = safe.describe_transaction(w3, self.safes[side]["address"], contract.address, 0, data)
        signatures = []
        for host in SAFE_OWNER_HOSTS[:info["threshold"]]:
            keys = self.build / "hosts" / host / "governance"
            owner = rpc.load_keystore_account(str(keys / "owner.json"), str(keys / "owner.password"))
            signatures.append(safe.sign_transaction(owner, tx, info, label=host))
        return safe.execute_transaction(w3, rpc.Signer(w3, self.deployer), tx, info, signatures)["tx_hash"]

    def deposit(self, amount: int, sender=None) -> str:
        """A plain RLC transfer to the foreign bridge: a deposit for the sender."""
        sender = sender or self.user
        call = self.foreign_token.functions.transfer(self.foreign_bridge.address, amount)
        return self.send(self.foreign, sender, call.build_transaction({"from": sender.address}))

    def withdraw(self, amount: int) -> str:
        call = self.home_token.functions.transfer(self.home_bridge.address, amount)
        return self.send(self.home, self.user, call.build_transaction({"from": self.user.address}))

    # ---- reading ---------------------------------------------------------------------------
    def events(self, contract, name: str, from_block: int = 0) -> list:
        return list(getattr(contract.events, name)().get_logs(from_block=from_block))

    def payouts(self, request_hash: str) -> list:
        """AffirmationCompleted at home naming a foreign request."""
        return [e for e in self.events(self.home_bridge, "AffirmationCompleted", self.data["home"]["bridge"]["block"])
                if "0x" + bytes(e["args"]["transactionHash"]).hex() == request_hash]

    def releases(self, request_hash: str) -> list:
        """RelayedMessage on the foreign chain naming a request (a withdrawal, or a refunded deposit)."""
        return [e for e in self.events(self.foreign_bridge, "RelayedMessage", self.data["foreign"]["bridge"]["block"])
                if "0x" + bytes(e["args"]["transactionHash"]).hex() == request_hash]

    def supply(self) -> dict:
        return status.supply(self.data, self.home, self.foreign)

    def balances(self) -> tuple[int, int]:
        return (self.foreign_token.functions.balanceOf(self.user.address).call(),
                self.home_token.functions.balanceOf(self.user.address).call())


FOREIGN_OWNER_ABI = [
    abi.function("setWhitelistEnabled", [("bool", "enabled")], mutability="nonpayable"),
    abi.function("setWhitelisted", [("address", "account"), ("bool", "allowed")], mutability="nonpayable"),
    abi.function("setRequiredBlockConfirmations", [("uint256", "confirmations")], mutability="nonpayable"),
]


def validator_dir(build: Path, host: str) -> Path:
    return build / "hosts" / host / "bridge-validator"


def supervisorctl(build: Path, host: str, *args: str) -> subprocess.CompletedProcess:
    conf = validator_dir(build, host) / "supervisord.conf"
    return subprocess.run([str(VENV_BIN / "supervisorctl"), "-c", str(conf), *args],
                          capture_output=True, text=True, timeout=60, check=False)


def validator_pid(build: Path, host: str) -> int:
    text = supervisorctl(build, host, "pid", "bridge-validator").stdout.strip()
    return int(text) if text.isdigit() else 0


def validator_account(build: Path, host: str):
    d = validator_dir(build, host)
    return rpc.load_keystore_account(str(d / "keystore" / "validator.json"), str(d / "secrets" / "validator.password"))


def health(port: int) -> dict:
    with urllib.request.urlopen("http://127.0.0.1:%d/health" % port, timeout=5) as answer:
        return json.load(answer)


HEALTH_PORTS = {"alpha-1": 8711, "beta-1": 8713, "gamma-1": 8715}


@pytest.fixture(scope="module")
def bridge(consortium):
    if consortium.up is not None:
        assert consortium.up.rc == 0, consortium.up.report(4000)
    assert "bridge" in consortium.manifest, "site.yml did not record a bridge"
    return Bridge(consortium.build, consortium.manifest)


@pytest.fixture(autouse=True)
def invariant(bridge):
    """Every validator running before a test; locked == circulating once it settles after."""
    yield
    for host in VALIDATORS:
        if "RUNNING" not in supervisorctl(bridge.build, host, "status", "bridge-validator").stdout:
            supervisorctl(bridge.build, host, "start", "bridge-validator")

    def settled():
        amounts = bridge.supply()
        return amounts if amounts["balanced"] else None
    wait_for(settled, 120, "locked on the foreign side == circulating at home (%s)" % bridge.supply())


def test_the_walkthrough_bridges_10_rlc_in_and_4_out(bridge):
    """The README's walkthrough, with the bridge_transfer module through ansible."""
    foreign_before, home_before = bridge.balances()
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".ansible" / "collections"))
    results = {}
    for direction, amount in (("deposit", "10 RLC"), ("withdraw", "4 RLC")):
        args = ("direction=%s amount='%s' manifest=%s keystore=%s password_file=%s timeout=180" % (
            direction, amount, bridge.build / "manifest.json", bridge.build / "demo" / "user.json",
            bridge.build / "demo" / "user.password"))
        proc = subprocess.run([str(VENV_BIN / "ansible"), "localhost", "-m", "poa.consortium.bridge_transfer",
                               "-a", args], capture_output=True, text=True, timeout=300, env=env, cwd=ROOT, check=False)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        results[direction] = json.loads(proc.stdout[proc.stdout.index("{"):])
    deposit, withdrawal = results["deposit"], results["withdraw"]
    assert deposit["amount"] == str(10 * RLC) and withdrawal["amount"] == str(4 * RLC)
    # each completion names its request, on the other chain, once
    assert ["0x" + bytes(e["transactionHash"]).hex()
            for e in bridge.payouts(deposit["request_tx"])] == [deposit["completion_tx"]]
    assert len(bridge.releases(withdrawal["request_tx"])) == 1
    foreign_after, home_after = bridge.balances()
    assert foreign_after == foreign_before - 6 * RLC
    assert home_after == home_before + 6 * RLC


def test_one_validator_down_transfers_still_complete(bridge):
    assert "stopped" in supervisorctl(bridge.build, "gamma-1", "stop", "bridge-validator").stdout
    tx = bridge.deposit(2 * RLC)
    wait_for(lambda: bridge.payouts(tx), 90, "a payout with gamma-1 down")
    back = bridge.withdraw(1 * RLC)
    wait_for(lambda: bridge.releases(back), 90, "a release with gamma-1 down")
    assert len(bridge.payouts(tx)) == 1 and len(bridge.releases(back)) == 1


def test_two_validators_down_nothing_completes_until_one_returns(bridge):
    for host in ("beta-1", "gamma-1"):
        assert "stopped" in supervisorctl(bridge.build, host, "stop", "bridge-validator").stdout
    tx = bridge.deposit(3 * RLC)
    message_hash = Web3.solidity_keccak(["address", "uint256", "bytes32"], [bridge.user.address, 3 * RLC, tx])
    # alpha-1 votes alone; one vote of the two needed pays nothing
    wait_for(lambda: bridge.home_bridge.functions.affirmationsSigned(message_hash).call() == 1, 90, "alpha-1's vote")
    time.sleep(10)
    assert bridge.payouts(tx) == []
    assert bridge.home_bridge.functions.affirmationsSigned(message_hash).call() == 1
    assert "started" in supervisorctl(bridge.build, "beta-1", "start", "bridge-validator").stdout
    wait_for(lambda: bridge.payouts(tx), 90, "the payout once beta-1 is back")
    assert len(bridge.payouts(tx)) == 1


@pytest.mark.parametrize("direction", ["deposit", "withdraw"])
@pytest.mark.parametrize("point", ["signed", "broadcast", "cursor"])
def test_sigkill_at_a_crash_point_still_pays_exactly_once(bridge, point, direction):
    """alpha-1 is killed at the point; beta-1 is stopped so that alpha-1's signature is needed."""
    build = bridge.build
    assert "stopped" in supervisorctl(build, "beta-1", "stop", "bridge-validator").stdout
    pid = validator_pid(build, "alpha-1")
    crash_file = validator_dir(build, "alpha-1") / "state" / "crash-at"
    crash_file.write_text(point)
    tx = bridge.deposit(1 * RLC) if direction == "deposit" else bridge.withdraw(1 * RLC)
    done = bridge.payouts if direction == "deposit" else bridge.releases
    wait_for(lambda: not crash_file.exists(), 60, "alpha-1 to reach the crash point %s" % point)
    wait_for(lambda: validator_pid(build, "alpha-1") not in (0, pid), 60, "supervisord to restart alpha-1")
    wait_for(lambda: done(tx), 120, "the %s to complete after the crash" % direction)
    time.sleep(6)  # a duplicate would show up within a few blocks
    assert len(done(tx)) == 1


def test_replayed_affirmation_and_signatures_are_refused(bridge):
    tx = bridge.deposit(1 * RLC)
    wait_for(lambda: bridge.payouts(tx), 90, "the payout")
    voter = validator_account(bridge.build, "alpha-1")
    replay = bridge.home_bridge.functions.executeAffirmation(bridge.user.address, 1 * RLC, tx)
    with pytest.raises(Exception, match="(?i)revert|processed|voted"):
        replay.estimate_gas({"from": voter.address})
    back = bridge.withdraw(1 * RLC)
    wait_for(lambda: bridge.releases(back), 90, "the release")
    message = bridge.user.address.lower()[2:] + "%064x" % RLC + back[2:] + bridge.foreign_bridge.address.lower()[2:]
    message = bytes.fromhex(message)
    digest = Web3.keccak(message)
    # The release needs 2 signatures of 3: replay the signature of a validator that has signed (the
    # third one may still be on its way, and a late signature is no replay).
    signed = {event["args"]["signer"] for event in bridge.events(bridge.home_bridge, "SignedForUserRequest")
              if bytes(event["args"]["messageHash"]) == digest}
    signer = next(account for account in (validator_account(bridge.build, host) for host in ("alpha-1", "beta-1", "gamma-1"))
                  if account.address in signed)
    signature = signer.sign_message(encode_defunct(primitive=message)).signature
    with pytest.raises(Exception, match="(?i)revert|signed"):
        bridge.home_bridge.functions.submitSignature(signature, message).estimate_gas({"from": signer.address})
    # the collected signatures, sent again to the foreign bridge, are a replay
    collected = b"".join(bytes(bridge.home_bridge.functions.signature(digest, i).call()) for i in range(2))
    with pytest.raises(Exception, match="(?i)revert|relayed"):
        bridge.foreign_bridge.functions.executeSignatures(message, collected).estimate_gas({"from": voter.address})


@pytest.mark.parametrize("loss", ["cursor reset to 0", "database deleted"])
def test_a_validator_that_forgets_its_state_moves_no_balance(bridge, loss):
    build = bridge.build
    tx = bridge.deposit(1 * RLC)
    wait_for(lambda: bridge.payouts(tx), 90, "a payout before the loss")
    # The payout needs 2 votes of 3: alpha-1's own vote may still be in flight, and would be mined
    # after the snapshot below. Wait until it has scanned past the deposit with nothing open.
    deposit_block = bridge.foreign.eth.get_transaction_receipt(tx)["blockNumber"]

    def settled():
        report = health(HEALTH_PORTS["alpha-1"])
        return (report["foreign"]["cursor"] or 0) >= deposit_block and report["pending"] == {"events": 0, "outbox": 0}
    wait_for(settled, 90, "alpha-1 to settle the deposit")
    me = validator_account(build, "alpha-1").address
    nonces = (bridge.home.eth.get_transaction_count(me), bridge.foreign.eth.get_transaction_count(me))
    supply = bridge.supply()
    assert "stopped" in supervisorctl(build, "alpha-1", "stop", "bridge-validator").stdout
    db = validator_dir(build, "alpha-1") / "state" / "validator.sqlite"
    if loss == "database deleted":
        for path in db.parent.glob("validator.sqlite*"):
            path.unlink()
    else:
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE cursors SET block_number = 0, block_hash = NULL")
    assert "started" in supervisorctl(build, "alpha-1", "start", "bridge-validator").stdout

    def caught_up():
        report = health(HEALTH_PORTS["alpha-1"])
        return all(report[side]["lag"] is not None and report[side]["lag"] <= report[side]["confirmations"] + 2
                   for side in ("home", "foreign"))
    wait_for(caught_up, 120, "alpha-1 to rescan both chains")
    time.sleep(4)
    assert (bridge.home.eth.get_transaction_count(me), bridge.foreign.eth.get_transaction_count(me)) == nonces
    assert bridge.supply() == supply


def test_a_deposit_reorged_out_below_the_confirmation_depth_pays_nothing(bridge):
    deployer = bridge.deployer
    depth = 12
    # the Safe owns the foreign bridge: the deployer alone cannot change it any more
    bridge.govern("foreign", bridge.foreign_bridge, "setRequiredBlockConfirmations", [depth])
    try:
        # a depositor of its own, so that nothing else on the chain blurs what the reorg undoes
        depositor = Account.create()
        assert "error" not in json_rpc(bridge.data["foreign"]["rpc_url"], "anvil_setBalance",
                                       [depositor.address, hex(10 ** 18)])
        bridge.send(bridge.foreign, deployer, bridge.foreign_token.functions.transfer(depositor.address, 5 * RLC)
                    .build_transaction({"from": deployer.address}))
        tx = bridge.deposit(5 * RLC, sender=depositor)
        mined = bridge.foreign.eth.get_transaction_receipt(tx)["blockNumber"]
        head = bridge.foreign.eth.block_number
        assert head - mined < depth - 4, "too slow to reorg before the confirmation depth"
        # replace the blocks from the deposit's on, without it
        answer = json_rpc(bridge.data["foreign"]["rpc_url"], "anvil_reorg", [head - mined + 1, []])
        assert "error" not in answer, answer
        with pytest.raises(TransactionNotFound):
            bridge.foreign.eth.get_transaction_receipt(tx)
        wait_for(lambda: bridge.foreign.eth.block_number >= mined + depth + 3, 60, "the depth to pass")
        time.sleep(4)
        assert bridge.payouts(tx) == []
        assert bridge.foreign_token.functions.balanceOf(depositor.address).call() == 5 * RLC
        assert bridge.home_token.functions.balanceOf(depositor.address).call() == 0
    finally:
        bridge.govern("foreign", bridge.foreign_bridge, "setRequiredBlockConfirmations",
                      [bridge.data["confirmations"]["foreign"]])


def test_limits_are_refused_before_sending_and_plain_transfers_outside_them_are_refunded(bridge):
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".ansible" / "collections"))
    limits = bridge.data["limits"]["foreign"]
    for amount in (limits["min_per_tx"] - 1, limits["max_per_tx"] + 1):
        args = ("direction=deposit amount=%d manifest=%s keystore=%s password_file=%s" % (
            amount, bridge.build / "manifest.json", bridge.build / "demo" / "user.json", bridge.build / "demo" / "user.password"))
        nonce = bridge.foreign.eth.get_transaction_count(bridge.user.address)
        proc = subprocess.run([str(VENV_BIN / "ansible"), "localhost", "-m", "poa.consortium.bridge_transfer", "-a", args],
                              capture_output=True, text=True, timeout=120, env=env, cwd=ROOT, check=False)
        assert proc.returncode != 0 and "outside the bridge's per-transaction limits" in proc.stdout, proc.stdout[-2000:]
        assert bridge.foreign.eth.get_transaction_count(bridge.user.address) == nonce
    # the contract cannot refuse a plain transfer: the validators refund it on the foreign chain
    before, _home = bridge.balances()
    tx = bridge.deposit(limits["min_per_tx"] // 2)
    wait_for(lambda: bridge.releases(tx), 120, "the refund of an under-minimum deposit")
    assert bridge.payouts(tx) == []
    assert bridge.balances()[0] == before


def test_a_depositor_off_the_allow_list_is_refunded(bridge):
    fb = bridge.foreign_bridge.functions
    # an allow-list of one account that is not the user's
    bridge.govern("foreign", bridge.foreign_bridge, "setWhitelisted", [bridge.deployer.address, True])
    bridge.govern("foreign", bridge.foreign_bridge, "setWhitelistEnabled", [True])
    try:
        assert not fb.isWhitelisted(bridge.user.address).call()
        with pytest.raises(Exception, match="(?i)revert|whitelist|allow"):
            fb.relayTokens(bridge.user.address, 2 * RLC).estimate_gas({"from": bridge.user.address})
        before, home_before = bridge.balances()
        tx = bridge.deposit(2 * RLC)
        wait_for(lambda: bridge.releases(tx), 120, "the refund of a deposit from off the allow-list")
        assert bridge.payouts(tx) == []
        assert bridge.balances() == (before, home_before)
    finally:
        bridge.govern("foreign", bridge.foreign_bridge, "setWhitelistEnabled", [False])
