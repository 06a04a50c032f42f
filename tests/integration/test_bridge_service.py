# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bridge validator service end to end, on two real anvil chains.

"foreign" and "home" are two anvil nodes (interval mining, 1 s blocks, EVM paris) with RLC
(rlc-faucet-contract, 9 decimals) on each side, BridgeValidators (3 validators, M=2),
ForeignBridge and HomeBridge in erc_to_erc from contracts/artifacts/, and three validator
processes started as supervisord would (python -m ...bridge.service --config FILE).

The invariant checked after every settled step: the tokens locked in the ForeignBridge equal
the home circulating supply, defined as

    home RLC totalSupply - HomeBridge's RLC balance - what the home funder still holds

(the funder is the home deployer: it got the whole home supply and put part of it into the
bridge with fund(); users get home RLC from the bridge only).

Select with `pytest -m integration tests/integration/test_bridge_service.py`. Needs the anvil
binary (npm @foundry-rs/anvil-linux-amd64), rlc-faucet-contract and the bridge artifacts.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
from eth_account import Account

from conftest import free_ports

from ansible_collections.poa.consortium.plugins.module_utils import rpc
from ansible_collections.poa.consortium.plugins.module_utils.bridge import message as bridge_message

pytestmark = pytest.mark.integration

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
NODE_MODULES = os.path.join(ROOT, 'node_modules')
ANVIL = os.environ.get('ANVIL_BIN') or os.path.join(NODE_MODULES, '@foundry-rs', 'anvil-linux-amd64', 'bin', 'anvil')
RLC = os.environ.get('RLC_ARTIFACT') or os.path.join(NODE_MODULES, 'rlc-faucet-contract', 'build', 'contracts', 'RLC.json')
ARTIFACTS = os.path.join(ROOT, 'contracts', 'artifacts')
NAMES = ('BridgeValidators', 'ForeignBridge', 'HomeBridge')
PORTS = range(18700, 18800)
HOME_CHAIN_ID, FOREIGN_CHAIN_ID = 18771, 18772
RLC_UNIT = 10 ** 9
MIN_PER_TX, MAX_PER_TX, DAILY = 1 * RLC_UNIT, 1000 * RLC_UNIT, 100000 * RLC_UNIT
HOME_FUNDING = 50000 * RLC_UNIT
RELAY_DELAY = 3
SERVICE = 'ansible_collections.poa.consortium.plugins.module_utils.bridge.service'
SETTLE_TIMEOUT = 40

if not (os.path.exists(ANVIL) and os.path.exists(RLC) and all(
        os.path.exists(os.path.join(ARTIFACTS, '%s.json' % n)) for n in NAMES)):
    pytest.skip('anvil, rlc-faucet-contract or contracts/artifacts/ missing', allow_module_level=True)


def load_artifact(path):
    with open(path, encoding='utf-8') as handle:
        data = json.load(handle)
    code = data['bytecode'] if isinstance(data['bytecode'], str) else data['bytecode']['object']
    return data['abi'], code if code.startswith('0x') else '0x' + code


def wait_for(what, predicate, timeout=SETTLE_TIMEOUT, interval=0.25):
    """Poll predicate until it returns a true value; fail with `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail('timed out after %ss waiting for %s' % (timeout, what))
        time.sleep(interval)


class Chain:
    """One anvil node with the token, the validator set and a bridge on it."""

    def __init__(self, name, port, chain_id):
        self.name, self.port, self.chain_id = name, port, chain_id
        self.url = 'http://127.0.0.1:%d' % port
        cmd = [ANVIL, '--host', '127.0.0.1', '--port', str(port), '--chain-id', str(chain_id), '--block-time', '1',
               '--hardfork', 'paris', '--silent', '--accounts', '0']
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                self.w3 = rpc.connect(self.url, chain_id, timeout=2)
                break
            except rpc.RpcError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise RuntimeError('anvil did not start on %s' % self.url)
                time.sleep(0.1)
        self.deployer = Account.create()
        self.fund_native(self.deployer.address)
        self.token = self.bridge = self.validators = None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def fund_native(self, address, wei=100 * 10 ** 18):
        self.w3.provider.make_request('anvil_setBalance', [address, hex(wei)])

    def send(self, account, tx, nonce=None):
        """Sign and send a legacy transaction; returns its hash."""
        tx = dict(tx)
        tx.setdefault('value', 0)
        tx.setdefault('gas', 3_000_000)
        tx['gasPrice'] = int(self.w3.eth.gas_price) * 2
        tx['chainId'] = self.chain_id
        tx['nonce'] = self.w3.eth.get_transaction_count(account.address, 'pending') if nonce is None else nonce
        return self.w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)

    def wait(self, *hashes):
        receipts = [self.w3.eth.wait_for_transaction_receipt(h, timeout=30, poll_latency=0.2) for h in hashes]
        for receipt in receipts:
            assert receipt['status'] == 1, receipt
        return receipts

    def call(self, account, contract, function, *args):
        """Send a contract call from account and wait for it; returns the receipt."""
        data = contract.encode_abi(function, args=list(args))
        return self.wait(self.send(account, {'to': contract.address, 'data': data}))[0]

    def deploy(self, validators, token_abi, token_code):
        """Token, BridgeValidators (M=2) and this side's bridge, sent in one go at known addresses."""
        d = self.deployer
        base = self.w3.eth.get_transaction_count(d.address)
        token_addr, validators_addr, bridge_addr = (rpc.create_address(d.address, base + i) for i in range(3))
        v_abi, v_code = load_artifact(os.path.join(ARTIFACTS, 'BridgeValidators.json'))
        name = 'HomeBridge' if self.name == 'home' else 'ForeignBridge'
        b_abi, b_code = load_artifact(os.path.join(ARTIFACTS, '%s.json' % name))
        limits = [MIN_PER_TX, MAX_PER_TX, DAILY] + ([DAILY] if self.name == 'home' else []) + [1]
        # explicit gas: the bridge's constructor checks contracts that are not mined yet at estimation
        hashes = [
            self.send(d, {'data': token_code, 'gas': 6_000_000}, base),
            self.send(d, {'data': self.w3.eth.contract(abi=v_abi, bytecode=v_code).constructor(
                d.address, validators, 2).data_in_transaction, 'gas': 6_000_000}, base + 1),
            self.send(d, {'data': self.w3.eth.contract(abi=b_abi, bytecode=b_code).constructor(
                d.address, token_addr, validators_addr, *limits).data_in_transaction, 'gas': 6_000_000}, base + 2),
        ]
        receipts = self.wait(*hashes)
        self.start_block = receipts[0]['blockNumber']
        self.token = self.w3.eth.contract(address=token_addr, abi=token_abi)
        self.validators = self.w3.eth.contract(address=validators_addr, abi=v_abi)
        self.bridge = self.w3.eth.contract(address=bridge_addr, abi=b_abi)
        assert self.bridge.functions.requiredSignatures().call() == 2

    def balance(self, address):
        return self.token.functions.balanceOf(address).call()

    def events(self, name, tx_hash):
        """The bridge's `name` events whose transactionHash argument is tx_hash."""
        logs = getattr(self.bridge.events, name).get_logs(from_block=0)
        return [log for log in logs if '0x' + bytes(log['args']['transactionHash']).hex() == tx_hash]


@pytest.fixture(scope='module')
def chains():
    ports = free_ports(PORTS, 5)
    home = foreign = None
    try:
        home = Chain('home', ports[0], HOME_CHAIN_ID)
        foreign = Chain('foreign', ports[1], FOREIGN_CHAIN_ID)
        yield home, foreign, ports[2:]
    finally:
        for chain in (home, foreign):
            if chain is not None:
                chain.stop()


class Validators:
    """Three validator processes, each with its own keystore, db, config and log file."""

    def __init__(self, work, home, foreign, health_ports):
        self.work, self.home, self.foreign = work, home, foreign
        self.accounts = [Account.create() for _index in range(3)]
        self.procs = {}
        self.configs = {}
        for i, account in enumerate(self.accounts):
            folder = work / ('validator%d' % i)
            folder.mkdir()
            keystore = folder / 'keystore.json'
            keystore.write_text(json.dumps(Account.encrypt(account.key, 'secret-%d' % i, kdf='scrypt', iterations=2 ** 10)))
            (folder / 'password').write_text('secret-%d\n' % i)
            home.fund_native(account.address)
            foreign.fund_native(account.address)
            self.configs[i] = folder / 'config.json'
            self.health_ports = health_ports

    def write_configs(self):
        for i, account in enumerate(self.accounts):
            folder = self.work / ('validator%d' % i)
            self.configs[i].write_text(json.dumps({
                'validator': account.address, 'keystore': str(folder / 'keystore.json'),
                'password_file': str(folder / 'password'), 'db': str(folder / 'bridge.db'),
                'health': {'host': '127.0.0.1', 'port': self.health_ports[i]},
                'relay_delay': RELAY_DELAY, 'poll_interval': 0.3,
                'home': {'rpc_url': self.home.url, 'chain_id': HOME_CHAIN_ID, 'bridge': self.home.bridge.address,
                         'token': self.home.token.address, 'mode': 'erc_to_erc', 'start_block': self.home.start_block},
                'foreign': {'rpc_url': self.foreign.url, 'chain_id': FOREIGN_CHAIN_ID,
                            'bridge': self.foreign.bridge.address, 'token': self.foreign.token.address,
                            'start_block': self.foreign.start_block},
            }))

    def log(self, i):
        path = self.work / ('validator%d' % i) / 'out.log'
        return path.read_text() if path.exists() else ''

    def start(self, i):
        assert i not in self.procs or self.procs[i].poll() is not None
        env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, '.ansible', 'collections'), PYTHONUNBUFFERED='1')
        out = open(self.work / ('validator%d' % i) / 'out.log', 'ab')  # pylint: disable=consider-using-with
        self.procs[i] = subprocess.Popen([sys.executable, '-m', SERVICE, '--config', str(self.configs[i])],
                                         stdout=out, stderr=subprocess.STDOUT, env=env, cwd=str(self.work))
        out.close()
        wait_for('validator %d health endpoint' % i, lambda: self.health(i), timeout=20)

    def health(self, i):
        try:
            with urllib.request.urlopen('http://127.0.0.1:%d/health' % self.health_ports[i], timeout=2) as answer:
                return json.load(answer)
        except OSError:
            if self.procs[i].poll() is not None:
                pytest.fail('validator %d exited with %s:\n%s' % (i, self.procs[i].returncode, self.log(i)[-3000:]))
            return None

    def freeze(self, *indexes):
        for i in indexes:
            self.procs[i].send_signal(signal.SIGSTOP)

    def thaw(self, *indexes):
        for i in indexes:
            self.procs[i].send_signal(signal.SIGCONT)

    def kill(self, i):
        self.procs[i].send_signal(signal.SIGKILL)
        self.procs[i].wait(timeout=10)

    def terminate(self, i):
        """SIGTERM: the service finishes its step, closes the db and exits 0."""
        self.procs[i].send_signal(signal.SIGTERM)
        assert self.procs[i].wait(timeout=20) == 0, self.log(i)[-3000:]

    def stop_all(self):
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)


@pytest.fixture(scope='module')
def bridge(chains, tmp_path_factory):
    home, foreign, health_ports = chains
    token_abi, token_code = load_artifact(RLC)
    vals = Validators(tmp_path_factory.mktemp('bridge'), home, foreign, health_ports)
    addresses = [a.address for a in vals.accounts]
    home.deploy(addresses, token_abi, token_code)
    foreign.deploy(addresses, token_abi, token_code)
    d = home.deployer
    home.call(d, home.token, 'approve', home.bridge.address, HOME_FUNDING)
    home.call(d, home.bridge, 'fund', HOME_FUNDING)
    vals.write_configs()
    try:
        for i in range(3):
            vals.start(i)
        yield home, foreign, vals
    finally:
        vals.stop_all()


def circulating_home(home):
    """Home RLC in users' hands: total supply - the bridge's pay-out balance - the funder's holding."""
    supply = home.token.functions.totalSupply().call()
    return supply - home.balance(home.bridge.address) - home.balance(home.deployer.address)


def assert_invariant(home, foreign):
    locked = foreign.balance(foreign.bridge.address)
    assert locked == circulating_home(home), (locked, circulating_home(home))


def user(home, foreign, rlc=0):
    """A new account with gas on both chains and `rlc` foreign RLC from the foreign deployer."""
    account = Account.create()
    home.fund_native(account.address)
    foreign.fund_native(account.address)
    if rlc:
        foreign.call(foreign.deployer, foreign.token, 'transfer', account.address, rlc)
    return account


def tx_hex(receipt):
    return '0x' + bytes(receipt['transactionHash']).hex()


def deposit_completed(home, recipient, value, tx_hash):
    key = bridge_message.affirmation_hash(recipient, value, tx_hash)
    return home.bridge.functions.isAffirmationProcessed(key).call()


def relayed(foreign, tx_hash):
    return foreign.bridge.functions.relayedMessages(bridge_message.to_bytes32(tx_hash)).call()


def test_deposits_and_withdrawals(bridge):
    home, foreign, vals = bridge
    assert_invariant(home, foreign)

    # deposit by a plain token transfer to the ForeignBridge: paid to the sender at home
    alice = user(home, foreign, 500 * RLC_UNIT)
    plain = tx_hex(foreign.call(alice, foreign.token, 'transfer', foreign.bridge.address, 100 * RLC_UNIT))
    wait_for('the plain deposit to be paid', lambda: deposit_completed(home, alice.address, 100 * RLC_UNIT, plain))
    assert home.balance(alice.address) == 100 * RLC_UNIT
    assert len(home.events('AffirmationCompleted', plain)) == 1
    assert_invariant(home, foreign)

    # deposit through relayTokens, for another recipient
    bob = user(home, foreign)
    foreign.call(alice, foreign.token, 'approve', foreign.bridge.address, 50 * RLC_UNIT)
    relay = tx_hex(foreign.call(alice, foreign.bridge, 'relayTokens', bob.address, 50 * RLC_UNIT))
    wait_for('the relayTokens deposit to be paid', lambda: deposit_completed(home, bob.address, 50 * RLC_UNIT, relay))
    assert home.balance(bob.address) == 50 * RLC_UNIT
    assert len(home.events('AffirmationCompleted', relay)) == 1
    assert_invariant(home, foreign)

    # withdrawal by a plain transfer to the HomeBridge: released to the sender on foreign
    before = foreign.balance(alice.address)
    plain_w = tx_hex(home.call(alice, home.token, 'transfer', home.bridge.address, 30 * RLC_UNIT))
    wait_for('the plain withdrawal to be relayed', lambda: relayed(foreign, plain_w))
    wait_for('the relayers to settle', lambda: vals_idle(vals))
    assert foreign.balance(alice.address) == before + 30 * RLC_UNIT
    assert len(foreign.events('RelayedMessage', plain_w)) == 1
    assert_invariant(home, foreign)

    # withdrawal through relayTokens at home, to a third address
    carol = user(home, foreign)
    home.call(bob, home.token, 'approve', home.bridge.address, 20 * RLC_UNIT)
    relay_w = tx_hex(home.call(bob, home.bridge, 'relayTokens', carol.address, 20 * RLC_UNIT))
    wait_for('the relayTokens withdrawal to be relayed', lambda: relayed(foreign, relay_w))
    wait_for('the relayers to settle', lambda: vals_idle(vals))
    assert foreign.balance(carol.address) == 20 * RLC_UNIT
    assert len(foreign.events('RelayedMessage', relay_w)) == 1
    assert_invariant(home, foreign)

    doc = vals.health(0)
    assert doc['validator'] == vals.accounts[0].address
    for side in ('home', 'foreign'):
        assert doc[side]['balance_wei'] > 0 and doc[side]['lag'] is not None and doc[side]['lag'] <= 5, doc
    assert doc['pending'] == {'events': 0, 'outbox': 0}, doc


def vals_idle(vals):
    """Every running validator has no open event and no pending transaction."""
    for i, proc in vals.procs.items():
        if proc.poll() is None:
            doc = vals.health(i)
            if not doc or doc['pending'] != {'events': 0, 'outbox': 0}:
                return False
    return True


def test_validator_killed_mid_way_pays_once(bridge):
    home, foreign, vals = bridge
    dave = user(home, foreign, 200 * RLC_UNIT)
    # validators 1 and 2 frozen, so that validator 0 surely votes; SIGKILL it right after it
    # committed and broadcast its vote, then let the others finish
    vals.freeze(1, 2)
    deposit = tx_hex(foreign.call(dave, foreign.token, 'transfer', foreign.bridge.address, 70 * RLC_UNIT))
    wait_for('validator 0 to vote', lambda: 'sent executeAffirmation for deposit request=%s' % deposit in vals.log(0),
             interval=0.05)
    vals.kill(0)
    vals.thaw(1, 2)
    wait_for('the deposit to be paid', lambda: deposit_completed(home, dave.address, 70 * RLC_UNIT, deposit))
    vals.start(0)
    wait_for('the restarted validator to settle', lambda: vals_idle(vals))
    assert home.balance(dave.address) == 70 * RLC_UNIT
    assert len(home.events('AffirmationCompleted', deposit)) == 1
    assert_invariant(home, foreign)

    # the same for a withdrawal, validator 1 killed right after it signed
    before = foreign.balance(dave.address)
    vals.freeze(0, 2)
    withdrawal = tx_hex(home.call(dave, home.token, 'transfer', home.bridge.address, 25 * RLC_UNIT))
    wait_for('validator 1 to sign', lambda: 'sent submitSignature for withdrawal request=%s' % withdrawal in vals.log(1),
             interval=0.05)
    vals.kill(1)
    vals.thaw(0, 2)
    wait_for('the withdrawal to be relayed', lambda: relayed(foreign, withdrawal))
    vals.start(1)
    wait_for('the restarted validator to settle', lambda: vals_idle(vals))
    assert foreign.balance(dave.address) == before + 25 * RLC_UNIT
    assert len(foreign.events('RelayedMessage', withdrawal)) == 1
    assert_invariant(home, foreign)


def test_below_threshold_nothing_completes_until_a_validator_returns(bridge):
    home, foreign, vals = bridge
    vals.terminate(1)
    vals.terminate(2)
    erin = user(home, foreign, 100 * RLC_UNIT)
    deposit = tx_hex(foreign.call(erin, foreign.token, 'transfer', foreign.bridge.address, 40 * RLC_UNIT))
    key = bridge_message.affirmation_hash(erin.address, 40 * RLC_UNIT, deposit)
    wait_for('the one validator left to vote', lambda: home.bridge.functions.affirmationsSigned(key).call() == 1)
    time.sleep(4)  # a few more blocks: one vote of the two needed must stay one
    assert not deposit_completed(home, erin.address, 40 * RLC_UNIT, deposit)
    assert home.balance(erin.address) == 0
    # locked on foreign, not yet paid at home: the invariant is off by exactly the deposit in flight
    assert foreign.balance(foreign.bridge.address) == circulating_home(home) + 40 * RLC_UNIT
    vals.start(2)
    wait_for('the deposit to be paid', lambda: deposit_completed(home, erin.address, 40 * RLC_UNIT, deposit))
    wait_for('the validators to settle', lambda: vals_idle(vals))
    assert home.balance(erin.address) == 40 * RLC_UNIT
    assert len(home.events('AffirmationCompleted', deposit)) == 1
    assert_invariant(home, foreign)


def test_wrong_chain_id_is_refused_and_secrets_are_never_logged(bridge, tmp_path):
    home, _foreign, vals = bridge
    config = json.loads(vals.configs[0].read_text())
    config['home']['chain_id'] = HOME_CHAIN_ID + 100
    config['health']['port'] = 0
    config['db'] = str(tmp_path / 'other.db')
    path = tmp_path / 'wrong.json'
    path.write_text(json.dumps(config))
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, '.ansible', 'collections'))
    proc = subprocess.run([sys.executable, '-m', SERVICE, '--config', str(path)], capture_output=True, text=True,
                          env=env, timeout=60, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert 'home: the node serves chain id %d but the config says chain_id %d' % (
        HOME_CHAIN_ID, HOME_CHAIN_ID + 100) in proc.stdout
    assert home.w3.eth.get_transaction_count(vals.accounts[0].address) > 0
    for i, account in enumerate(vals.accounts):
        text = vals.log(i) + proc.stdout + proc.stderr
        assert 'secret-%d' % i not in text
        assert account.key.hex().removeprefix('0x') not in text.lower()
