# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The iExec SDK 8.4.0 (npm iexec8) drives our bridge; the tests assert on the SDK's own answers.

- erc_to_erc, the live bridge of the consortium: `iexec wallet bridge-to-sidechain`.
- erc_to_native, a second bridge deployed here on the same two live chains (home coin = RLC in
  wei, foreign RLC in nRLC, validators with home.decimals_shift 9), run by three validator
  processes started here: `bridge-to-sidechain` then `bridge-to-mainchain`, and a home withdrawal
  that is not a whole nRLC, refunded at home.

The SDK finds the foreign RLC through the hub of the foreign chain (hub.token()); there is no
PoCo on the foreign chain, so a stub contract that answers every call with the RLC address
stands in for it.

Run against a consortium that is up: POA_TEST_BUILD=build/local pytest -m integration
tests/integration/test_bridge_sdk.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from eth_account import Account
from eth_utils import to_checksum_address
from web3.logs import DISCARD

from conftest import free_ports

from ansible_collections.poa.consortium.plugins.module_utils import rpc
from ansible_collections.poa.consortium.plugins.module_utils.bridge import abi as bridge_abi
from ansible_collections.poa.consortium.plugins.module_utils.bridge.deploy import Side, deploy_bridge, load_artifacts
from ansible_collections.poa.consortium.plugins.module_utils.contracts import Journal

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
IEXEC8 = ROOT / 'node_modules' / 'iexec8' / 'dist' / 'esm' / 'cli' / 'cmd' / 'iexec.js'
NODE = shutil.which('node')
SERVICE = 'ansible_collections.poa.consortium.plugins.module_utils.bridge.service'
HEALTH_PORTS = range(18800, 18900)
NRLC = 10 ** 9            # foreign RLC: 9 decimals
WEI_PER_NRLC = 10 ** 9    # native RLC at home: 18 decimals
RLC_WEI = NRLC * WEI_PER_NRLC
SDK_TIMEOUT = 120
FUNDER_HOME_WEI = 200 * 10 ** 18  # 3 validators x 5, 100 to fund the native bridge, the refund test's payer
FUNDER_NRLC = 100 * NRLC
SETTLE_TIMEOUT = 60
PASSWORD = 'pw'

if NODE is None or not IEXEC8.exists():
    pytest.skip('node or node_modules/iexec8 (iExec SDK 8.4.0, scripts/setup.sh) missing', allow_module_level=True)


def wait_for(what, predicate, timeout=SETTLE_TIMEOUT, interval=0.5):
    """Poll predicate until it returns a true value; fail with `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail('timed out after %ss waiting for %s' % (timeout, what))
        time.sleep(interval)


def hexstr(value):
    return '0x' + bytes(value).hex() if not isinstance(value, str) else value.lower()


class IexecSdk8:
    """The iExec SDK 8.4.0 CLI (node_modules/iexec8) in a work dir whose chain.json names our
    chains, with a fresh wallet of its own (keystore in work/wallet, password PASSWORD)."""

    def __init__(self, work: Path, chains: dict):
        work.mkdir(parents=True, exist_ok=True)
        self.work = work
        (work / 'chain.json').write_text(json.dumps({'default': 'foreign', 'chains': chains}, indent=2))
        self.auth = ['--password', PASSWORD, '--keystoredir', str(work / 'wallet')]
        created = self.run('wallet', 'create', *self.auth, '--force')
        assert created['ok'], created
        self.address = to_checksum_address(created['address'])

    def run(self, *args: str, timeout: float = SDK_TIMEOUT) -> dict:
        """One SDK command with --raw; returns its JSON answer (``ok`` false on errors)."""
        try:
            proc = subprocess.run([NODE, str(IEXEC8), *args, '--raw'], cwd=self.work, capture_output=True, text=True,
                                  timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            pytest.fail('iexec %s gave no answer within %ss:\n%s' % (' '.join(args), timeout, exc.stdout or ''))
        # the answer is on stdout, or on stderr for an error
        lines = [line for line in (proc.stdout + '\n' + proc.stderr).splitlines() if line.startswith('{')]
        assert lines, 'iexec %s: rc %d\n%s%s' % (' '.join(args), proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
        answer = json.loads(lines[-1])
        assert answer.get('ok') is (proc.returncode == 0), (proc.returncode, answer)
        return answer

    def bridge(self, command: str, rlc: int, chain: str) -> dict:
        """bridge-to-sidechain / bridge-to-mainchain of `rlc` RLC from `chain`, waiting for the other side."""
        return self.run('wallet', command, str(rlc), 'RLC', '--chain', chain, '--force', *self.auth)


class Live:
    """The live consortium's two chains, its bridge, and a funder account of this module's own.

    The deployer (the alpha-1 authority) is shared with whoever else uses the consortium, so its
    nonce can move under us: it sends only the funder's coins and RLC, with a retry."""

    def __init__(self, consortium):
        manifest = consortium.manifest
        self.build = consortium.build
        self.bridge = manifest['bridge']
        assert self.bridge['mode'] == 'erc_to_erc', self.bridge['mode']
        self.home_url, self.foreign_url = self.bridge['home']['rpc_url'], self.bridge['foreign']['rpc_url']
        self.home_id, self.foreign_id = self.bridge['home']['chain_id'], self.bridge['foreign']['chain_id']
        self.home = rpc.connect(self.home_url, self.home_id)
        self.foreign = rpc.connect(self.foreign_url, self.foreign_id)
        self.node_urls = [node['rpc_url'] for node in manifest['nodes']]
        self.hub = manifest['contracts']['poco_hub']['address']
        self.rlc = self.bridge['foreign']['token']['address']
        self.home_rlc = self.bridge['home']['token']['address']
        host = self.build / 'hosts' / 'alpha-1'
        deployer = rpc.load_keystore_account(str(host / 'keystore' / 'authority.json'),
                                             str(host / 'secrets' / 'authority.password'))
        funder = Account.create()
        self.give_foreign_gas(funder.address, 100 * 10 ** 18)
        self.send_shared(rpc.Signer(self.home, deployer, timeout=60), funder.address, value=FUNDER_HOME_WEI)
        self.send_shared(rpc.Signer(self.foreign, deployer, timeout=60), self.rlc, abi=bridge_abi.ERC20,
                         data=self.foreign_token().encode_abi('transfer', args=[funder.address, FUNDER_NRLC]))
        self.home_signer = rpc.Signer(self.home, funder, timeout=60)
        self.foreign_signer = rpc.Signer(self.foreign, funder, timeout=60)

    def foreign_token(self, address=None):
        return self.foreign.eth.contract(address=address or self.rlc, abi=bridge_abi.ERC20)

    def send(self, signer, to, value=0, data=b'', abi=None):
        """One transaction from a Signer, waited for; returns the receipt."""
        return signer.wait(signer.send(signer.build(to=to, data=data, value=value, abi=abi)), abi=abi)

    def send_shared(self, signer, to, value=0, data=b'', abi=None, attempts=5):
        """send() from an account others use too: a fresh nonce for each attempt."""
        for attempt in range(attempts):
            signer.reset_nonce()
            try:
                return self.send(signer, to, value=value, data=data, abi=abi)
            except rpc.RpcError as exc:
                if not any(s in str(exc) for s in ('nonce too low', 'replacement transaction underpriced')) \
                        or attempt == attempts - 1:
                    raise
                time.sleep(1)
        return None

    def give_foreign_rlc(self, address, amount):
        data = self.foreign_token().encode_abi('transfer', args=[address, amount])
        self.send(self.foreign_signer, self.rlc, data=data, abi=bridge_abi.ERC20)

    def give_foreign_gas(self, address, wei=10 ** 18):
        self.foreign.provider.make_request('anvil_setBalance', [address, hex(wei)])


def foreign_hub_stub(live):
    """Deploy the stand-in for the foreign hub: a contract that returns the RLC address to any
    call, so hub.token() is the foreign RLC. Runtime: PUSH20 rlc PUSH1 0 MSTORE PUSH1 32 PUSH1 0
    RETURN (29 bytes); init code: copy the runtime to memory 0 and return it."""
    runtime = '73' + live.rlc[2:].lower() + '6000526020' + '6000f3'
    assert len(runtime) == 2 * 0x1d
    init = '601d600c600039601d6000f3'
    receipt = live.send(live.foreign_signer, None, data='0x' + init + runtime)
    stub = receipt['contractAddress']
    hub_abi = [bridge_abi.function('token', (), [('address', '')])]
    assert live.foreign.eth.contract(address=stub, abi=hub_abi).functions.token().call() == live.rlc
    return stub


@pytest.fixture(scope='module')
def live(consortium):
    return Live(consortium)


@pytest.fixture(scope='module')
def foreign_hub(live):
    return foreign_hub_stub(live)


def sdk_chains(live, foreign_hub, foreign_bridge, home_bridge, native):
    """chain.json for SDK 8.4.0: each chain names its bridge contract and the other chain."""
    home = {'id': str(live.home_id), 'host': live.home_url, 'hub': live.hub,
            'bridge': {'contract': home_bridge, 'bridgedChainName': 'foreign', 'bridgedChainId': str(live.foreign_id)}}
    if native:
        # home coin = RLC: bridge-to-mainchain sends native coin. The SDK wants a hub address
        # on every chain; its native commands do not call it.
        home['native'] = True
    foreign = {'id': str(live.foreign_id), 'host': live.foreign_url, 'hub': foreign_hub,
               'bridge': {'contract': foreign_bridge, 'bridgedChainName': 'home', 'bridgedChainId': str(live.home_id)}}
    return {'foreign': foreign, 'home': home}


def bridge_event(w3, bridge, name, tx_hash, abi):
    """The one `name` event of `bridge` in the transaction tx_hash (its receipt), decoded."""
    receipt = w3.eth.get_transaction_receipt(tx_hash)
    assert receipt['status'] == 1, receipt
    contract = w3.eth.contract(address=bridge, abi=abi)
    events = [e for e in getattr(contract.events, name)().process_receipt(receipt, errors=DISCARD)
              if e['address'] == bridge]
    assert len(events) == 1, (name, tx_hash, events)
    return events[0]['args']


def check_sdk_answer(answer, amount_nrlc, sender, to):
    assert answer['ok'] is True, answer
    assert answer['amount'] == str(amount_nrlc), answer
    assert answer['from'].lower() == sender.lower() and answer['to'].lower() == to.lower(), answer
    assert answer['sendTxHash'].startswith('0x') and answer['receiveTxHash'].startswith('0x'), answer


# --------------------------------------------------------------------------------------------
# erc_to_erc: the live bridge
# --------------------------------------------------------------------------------------------
def test_bridge_to_sidechain_on_the_live_erc_to_erc_bridge(live, foreign_hub, tmp_path):
    foreign_bridge = live.bridge['foreign']['bridge']['address']
    home_bridge = live.bridge['home']['bridge']['address']
    sdk = IexecSdk8(tmp_path / 'sdk', sdk_chains(live, foreign_hub, foreign_bridge, home_bridge, native=False))
    live.give_foreign_gas(sdk.address)
    live.give_foreign_rlc(sdk.address, 10 * NRLC)

    # the SDK reads the foreign RLC through the stub hub
    shown = sdk.run('wallet', 'show', '--chain', 'foreign', *sdk.auth)
    assert shown['ok'] and shown['balance']['nRLC'] == str(10 * NRLC) and shown['balance']['RLC'] == '10.0', shown

    home_rlc = live.home.eth.contract(address=live.home_rlc, abi=bridge_abi.ERC20)
    assert home_rlc.functions.balanceOf(sdk.address).call() == 0

    answer = sdk.bridge('bridge-to-sidechain', 3, 'foreign')
    check_sdk_answer(answer, 3 * NRLC, sdk.address, foreign_bridge)

    # foreign: the SDK's tx is a plain RLC transfer to the bridge
    sent = live.foreign.eth.get_transaction_receipt(answer['sendTxHash'])
    assert sent['status'] == 1 and sent['to'] == live.rlc, sent
    (transfer,) = live.foreign_token().events.Transfer().process_receipt(sent, errors=DISCARD)
    assert (transfer['args']['from'], transfer['args']['to'], transfer['args']['value']) == (
        sdk.address, foreign_bridge, 3 * NRLC)
    # home: the SDK's receive tx completed the affirmation of exactly that foreign tx
    completed = bridge_event(live.home, home_bridge, 'AffirmationCompleted', answer['receiveTxHash'],
                             bridge_abi.HOME_BRIDGE)
    assert hexstr(completed['transactionHash']) == answer['sendTxHash'].lower()
    assert (completed['recipient'], completed['value']) == (sdk.address, 3 * NRLC)

    assert home_rlc.functions.balanceOf(sdk.address).call() == 3 * NRLC
    assert live.foreign_token().functions.balanceOf(sdk.address).call() == 7 * NRLC
    shown = sdk.run('wallet', 'show', '--chain', 'home', *sdk.auth)
    assert shown['ok'] and shown['balance']['RLC'] == '3.0', shown


def test_bridge_to_mainchain_is_refused_on_a_token_home_chain(live, foreign_hub, tmp_path):
    """In erc_to_erc the home chain is not native: the SDK refuses before sending anything."""
    chains = sdk_chains(live, foreign_hub, live.bridge['foreign']['bridge']['address'],
                        live.bridge['home']['bridge']['address'], native=False)
    sdk = IexecSdk8(tmp_path / 'sdk', chains)
    answer = sdk.run('wallet', 'bridge-to-mainchain', '1', 'RLC', '--chain', 'home', '--force', *sdk.auth, timeout=60)
    assert answer['ok'] is False and 'Cannot bridge mainchain to mainchain' in answer['error']['message'], answer


# --------------------------------------------------------------------------------------------
# erc_to_native: a second bridge on the same chains, with validators started here
# --------------------------------------------------------------------------------------------
class Validators:
    """Three validator service processes on the native bridge, killed by PID at the end."""

    def __init__(self, work, live, bridge, accounts):
        self.work, self.procs, self.ports = work, {}, free_ports(HEALTH_PORTS, len(accounts))
        self.configs = []
        home_urls = live.node_urls  # one home node per validator, as each company has its own
        for i, account in enumerate(accounts):
            folder = work / ('validator%d' % i)
            folder.mkdir()
            (folder / 'keystore.json').write_text(json.dumps(
                Account.encrypt(account.key, 'secret-%d' % i, kdf='scrypt', iterations=2 ** 10)))
            (folder / 'password').write_text('secret-%d\n' % i)
            config = folder / 'config.json'
            config.write_text(json.dumps({
                'validator': account.address, 'keystore': str(folder / 'keystore.json'),
                'password_file': str(folder / 'password'), 'db': str(folder / 'bridge.db'),
                'health': {'host': '127.0.0.1', 'port': self.ports[i]}, 'relay_delay': 3, 'poll_interval': 0.5,
                'home': {'rpc_url': home_urls[i % len(home_urls)], 'chain_id': bridge['home']['chain_id'],
                         'bridge': bridge['home']['bridge']['address'], 'token': None, 'mode': bridge['mode'],
                         'start_block': bridge['home']['bridge']['block'],
                         'decimals_shift': bridge['home']['decimals_shift']},
                'foreign': {'rpc_url': bridge['foreign']['rpc_url'], 'chain_id': bridge['foreign']['chain_id'],
                            'bridge': bridge['foreign']['bridge']['address'],
                            'token': bridge['foreign']['token']['address'],
                            'start_block': bridge['foreign']['bridge']['block']},
            }))
            self.configs.append(config)

    def start(self):
        env = dict(os.environ, PYTHONPATH=str(ROOT / '.ansible' / 'collections'), PYTHONUNBUFFERED='1')
        for i, config in enumerate(self.configs):
            with open(self.work / ('validator%d' % i) / 'out.log', 'ab') as out:
                self.procs[i] = subprocess.Popen([sys.executable, '-m', SERVICE, '--config', str(config)],
                                                 stdout=out, stderr=subprocess.STDOUT, env=env, cwd=str(self.work))
        for i in self.procs:
            wait_for('validator %d health endpoint' % i, lambda i=i: self.health(i), timeout=30)

    def log(self, i):
        path = self.work / ('validator%d' % i) / 'out.log'
        return path.read_text() if path.exists() else ''

    def health(self, i):
        try:
            with urllib.request.urlopen('http://127.0.0.1:%d/health' % self.ports[i], timeout=2) as answer:
                return json.load(answer)
        except OSError:
            if self.procs[i].poll() is not None:
                pytest.fail('validator %d exited with %s:\n%s' % (i, self.procs[i].returncode, self.log(i)[-3000:]))
            return None

    def idle(self):
        """Every validator has no open event and no pending transaction."""
        for i in self.procs:
            doc = self.health(i)
            if not doc or doc['pending'] != {'events': 0, 'outbox': 0}:
                return False
        return True

    def stop(self):
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)


@pytest.fixture(scope='module')
def native(live, tmp_path_factory):
    """An erc_to_native bridge on the live chains (foreign: the live RLC; home: native coin),
    M=2 of 3 fresh validators, funded with 100 native RLC, and its validator processes."""
    work = tmp_path_factory.mktemp('native-bridge')
    accounts = [Account.create() for _index in range(3)]
    for account in accounts:
        live.send(live.home_signer, account.address, value=5 * 10 ** 18)
        live.give_foreign_gas(account.address)
    home = Side('home', live.home, live.home_signer, Journal(str(work / 'home-journal.json')), live.home_url)
    foreign = Side('foreign', live.foreign, live.foreign_signer, Journal(str(work / 'foreign-journal.json')),
                   live.foreign_url)
    settings = {
        'mode': 'erc_to_native', 'validators': [a.address for a in accounts], 'required_signatures': 2, 'owner': None,
        'limits': {'foreign': {'min_per_tx': 1 * NRLC, 'max_per_tx': 1000 * NRLC, 'daily_limit': 10 ** 6 * NRLC},
                   'home': {'min_per_tx': 1 * RLC_WEI, 'max_per_tx': 1000 * RLC_WEI, 'daily_limit': 10 ** 6 * RLC_WEI,
                            'execution_daily_limit': 10 ** 6 * RLC_WEI}},
        'confirmations': {'foreign': 1, 'home': 1}, 'foreign_token': live.rlc, 'home_token': None,
        'home_funding': 100 * RLC_WEI,
    }
    bridge = deploy_bridge(home, foreign, load_artifacts(str(ROOT / 'contracts' / 'artifacts')), settings)
    assert bridge['home']['decimals_shift'] == 9 and 'token' not in bridge['home'], bridge['home']
    assert live.home.eth.get_balance(bridge['home']['bridge']['address']) == 100 * RLC_WEI
    vals = Validators(work, live, bridge, accounts)
    try:
        vals.start()
        yield bridge, vals
    finally:
        vals.stop()


def native_invariant(live, bridge):
    """(RLC locked on foreign, in wei; native RLC out at home): equal when nothing is in flight."""
    home_bridge = bridge['home']['bridge']['address']
    locked = live.foreign_token().functions.balanceOf(bridge['foreign']['bridge']['address']).call()
    funded = live.home.eth.contract(address=home_bridge, abi=bridge_abi.HOME_BRIDGE).functions.totalFunded().call()
    return locked * WEI_PER_NRLC, funded - live.home.eth.get_balance(home_bridge)


def test_sdk_bridges_both_ways_on_an_erc_to_native_bridge(live, foreign_hub, native, tmp_path):
    bridge, vals = native
    foreign_bridge, home_bridge = bridge['foreign']['bridge']['address'], bridge['home']['bridge']['address']
    assert native_invariant(live, bridge) == (0, 0)
    sdk = IexecSdk8(tmp_path / 'sdk', sdk_chains(live, foreign_hub, foreign_bridge, home_bridge, native=True))
    live.give_foreign_gas(sdk.address)
    live.give_foreign_rlc(sdk.address, 20 * NRLC)

    # foreign -> home: 5 RLC (nRLC) become 5 native RLC (wei), the wallet's gas at home too
    answer = sdk.bridge('bridge-to-sidechain', 5, 'foreign')
    check_sdk_answer(answer, 5 * NRLC, sdk.address, foreign_bridge)
    completed = bridge_event(live.home, home_bridge, 'AffirmationCompleted', answer['receiveTxHash'],
                             bridge_abi.HOME_BRIDGE)
    assert hexstr(completed['transactionHash']) == answer['sendTxHash'].lower()
    assert (completed['recipient'], completed['value']) == (sdk.address, 5 * RLC_WEI)
    assert live.home.eth.get_balance(sdk.address) == 5 * RLC_WEI
    assert live.foreign_token().functions.balanceOf(sdk.address).call() == 15 * NRLC
    assert native_invariant(live, bridge) == (5 * RLC_WEI, 5 * RLC_WEI)
    shown = sdk.run('wallet', 'show', '--chain', 'home', *sdk.auth)
    assert shown['ok'] and shown['balance']['RLC'] == '5.0', shown

    # home -> foreign: the SDK sends 2 native RLC (wei) to the home bridge, 2 RLC (nRLC) are released
    answer = sdk.bridge('bridge-to-mainchain', 2, 'home')
    check_sdk_answer(answer, 2 * NRLC, sdk.address, home_bridge)
    sent = live.home.eth.get_transaction(answer['sendTxHash'])
    assert (sent['to'], sent['value']) == (home_bridge, 2 * RLC_WEI), sent
    relayed = bridge_event(live.foreign, foreign_bridge, 'RelayedMessage', answer['receiveTxHash'],
                           bridge_abi.FOREIGN_BRIDGE)
    assert hexstr(relayed['transactionHash']) == answer['sendTxHash'].lower()
    assert (relayed['recipient'], relayed['value']) == (sdk.address, 2 * NRLC)
    assert live.foreign_token().functions.balanceOf(sdk.address).call() == 17 * NRLC
    assert native_invariant(live, bridge) == (3 * RLC_WEI, 3 * RLC_WEI)
    wait_for('the validators to settle', vals.idle)


def test_native_withdrawal_that_is_not_a_whole_nrlc_is_refunded_at_home(live, native):
    bridge, vals = native
    home_bridge = bridge['home']['bridge']['address']
    payer = Account.create()
    live.send(live.home_signer, payer.address, value=3 * 10 ** 18)
    before = native_invariant(live, bridge)
    signer = rpc.Signer(live.home, payer, timeout=60)
    value = 1 * RLC_WEI + 1  # 1 RLC and 1 wei: no nRLC amount releases it exactly
    request = live.send(signer, home_bridge, value=value)
    request_hash = hexstr(request['transactionHash'])
    contract = live.home.eth.contract(address=home_bridge, abi=bridge_abi.HOME_BRIDGE)

    def refund():
        logs = contract.events.AffirmationCompleted().get_logs(from_block=request['blockNumber'])
        return [log['args'] for log in logs if hexstr(log['args']['transactionHash']) == request_hash]

    (paid,) = wait_for('the refund at home', refund)
    assert (paid['recipient'], paid['value']) == (payer.address, value)
    wait_for('the validators to settle', vals.idle)
    relayed = live.foreign.eth.contract(address=bridge['foreign']['bridge']['address'], abi=bridge_abi.FOREIGN_BRIDGE)
    assert relayed.functions.relayedMessages(bytes.fromhex(request_hash[2:])).call() is False
    assert live.foreign_token().functions.balanceOf(payer.address).call() == 0
    gas = int(request['gasUsed']) * int(request['effectiveGasPrice'])
    assert live.home.eth.get_balance(payer.address) == 3 * 10 ** 18 - gas
    assert native_invariant(live, bridge) == before
    for i in vals.procs:
        assert 'found withdrawal_refund request=%s' % request_hash in vals.log(i), vals.log(i)[-2000:]
