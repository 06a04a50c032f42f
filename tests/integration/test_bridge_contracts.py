# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The token-bridge contracts (contracts/bridge/, docs/bridge.md) on a real anvil chain.

Select with `pytest -m integration tests/integration/test_bridge_contracts.py`. One anvil
(`--hardfork paris`, so PUSH0 would fail as on the Clique home chain) serves the whole module:
the contracts are deployed once and every test starts from an evm_snapshot of that state.
Both sides live on the one chain, each with its own RLC (rlc-faucet-contract 2.0.0, 9 decimals,
approveAndCall). Transactions go through anvil's --auto-impersonate; the validators' message
signatures are real EIP-191 signatures made with eth_account.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from eth_abi.packed import encode_packed
from eth_account import Account
from eth_account.messages import encode_defunct
from web3 import Web3
from web3.exceptions import ContractLogicError
from web3.logs import DISCARD

from conftest import ANVIL, anvil_chain

# Account.from_key / sign_message are eth_account "combomethods": pylint takes them for unbound methods.
# pylint: disable=no-value-for-parameter

pytestmark = pytest.mark.integration

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
NODE_MODULES = os.path.join(ROOT, 'node_modules')
ARTIFACTS = os.path.join(ROOT, 'contracts', 'artifacts')
DEPLOYABLE = ('BridgeValidators', 'ForeignBridge', 'HomeBridge')
RLC_ARTIFACT = os.environ.get('RLC_ARTIFACT') or os.path.join(NODE_MODULES, 'rlc-faucet-contract', 'build', 'contracts', 'RLC.json')
PORTS = range(18600, 18700)
CHAIN_ID = 31337

RLC = 10 ** 9  # 1 RLC in nRLC
DAY = 86400
MIN, MAX, DAILY, EXEC_DAILY = 1 * RLC, 100 * RLC, 150 * RLC, 150 * RLC
ETHER = 10 ** 18
NATIVE_MIN, NATIVE_MAX, NATIVE_DAILY, NATIVE_EXEC_DAILY = ETHER // 100, 10 * ETHER, 15 * ETHER, 15 * ETHER
CONFIRMATIONS = 2
ZERO = '0x' + '00' * 20

# Deterministic keys, so a failure is reproducible.
VALIDATOR_KEYS = [Web3.keccak(text='bridge-validator-%d' % i) for i in range(3)]
VALIDATORS = [Account.from_key(k).address for k in VALIDATOR_KEYS]
STRANGER_KEY = Web3.keccak(text='bridge-stranger')
STRANGER = Account.from_key(STRANGER_KEY).address
OWNER, USER, OTHER = (Account.from_key(Web3.keccak(text=n)).address for n in ('bridge-owner', 'bridge-user', 'bridge-other'))


def load_artifact(path):
    with open(path, encoding='utf-8') as handle:
        return json.load(handle)


def artifact(name):
    return load_artifact(os.path.join(ARTIFACTS, name + '.json'))


# ---------------------------------------------------------------- chain and deployment

def send(w3, fn, sender, value=0):
    """Send a contract call (or deployment) from `sender`; the receipt, asserted successful."""
    tx_hash = fn.transact({'from': sender, 'value': value})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10)
    assert receipt.status == 1, receipt
    return receipt


def send_value(w3, sender, to, value):
    """A plain native send; returns the receipt whatever its status."""
    tx_hash = w3.eth.send_transaction({'from': sender, 'to': to, 'value': value, 'gas': 200000})
    return w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10)


def deploy(w3, art, *args):
    factory = w3.eth.contract(abi=art['abi'], bytecode=art['bytecode'])
    receipt = send(w3, factory.constructor(*args), OWNER)
    return w3.eth.contract(address=receipt.contractAddress, abi=art['abi'])


class Chain:
    """The deployed world: two RLCs, two validator sets and the three bridges."""

    def __init__(self, w3):
        self.w3 = w3
        for account in [OWNER, USER, OTHER, STRANGER, *VALIDATORS]:
            w3.provider.make_request('anvil_setBalance', [account, hex(1000 * ETHER)])
        rlc = load_artifact(RLC_ARTIFACT)
        self.foreign_token = deploy(w3, rlc)
        self.home_token = deploy(w3, rlc)
        self.foreign_validators = deploy(w3, artifact('BridgeValidators'), OWNER, VALIDATORS, 2)
        self.home_validators = deploy(w3, artifact('BridgeValidators'), OWNER, VALIDATORS, 2)
        self.foreign = deploy(w3, artifact('ForeignBridge'), OWNER, self.foreign_token.address,
                              self.foreign_validators.address, MIN, MAX, DAILY, CONFIRMATIONS)
        self.home = deploy(w3, artifact('HomeBridge'), OWNER, self.home_token.address, self.home_validators.address,
                           MIN, MAX, DAILY, EXEC_DAILY, CONFIRMATIONS)
        self.native = deploy(w3, artifact('HomeBridge'), OWNER, ZERO, self.home_validators.address,
                             NATIVE_MIN, NATIVE_MAX, NATIVE_DAILY, NATIVE_EXEC_DAILY, CONFIRMATIONS)
        # The user holds 1000 RLC on each side; each bridge holds 1000 RLC (native: 100 ether) to pay out.
        for token, bridge in ((self.foreign_token, self.foreign), (self.home_token, self.home)):
            send(w3, token.functions.transfer(USER, 1000 * RLC), OWNER)
            send(w3, token.functions.transfer(bridge.address, 1000 * RLC), OWNER)
        send(w3, self.native.functions.fundNative(), OWNER, value=100 * ETHER)

    def day(self):
        return self.w3.eth.get_block('latest').timestamp // DAY

    def next_day(self):
        """Move the chain to the start of the next day (block.timestamp / 1 days + 1)."""
        self.w3.provider.make_request('evm_setNextBlockTimestamp', [(self.day() + 1) * DAY + 10])
        self.w3.provider.make_request('evm_mine', [])


@pytest.fixture(scope='module', name='world')
def world_fixture():
    if not (os.path.exists(ANVIL) and os.path.exists(RLC_ARTIFACT)):
        pytest.skip('anvil or rlc-faucet-contract not found (set ANVIL_BIN, RLC_ARTIFACT)')
    with anvil_chain(PORTS, '--chain-id', str(CHAIN_ID), '--hardfork', 'paris', '--auto-impersonate') as url:
        yield Chain(Web3(Web3.HTTPProvider(url, request_kwargs={'timeout': 10})))


@pytest.fixture(name='chain')
def chain_fixture(world):
    """The module's chain, reset to the freshly deployed state after the test."""
    snapshot = world.w3.provider.make_request('evm_snapshot', [])['result']
    yield world
    assert world.w3.provider.make_request('evm_revert', [snapshot])['result'] is True


# ---------------------------------------------------------------- helpers

def reverts(fn, sender, match, value=0):
    """The call reverts (at gas estimation, so nothing is mined) with a reason matching `match`."""
    with pytest.raises(ContractLogicError, match=match):
        fn.transact({'from': sender, 'value': value})


def selector(error):
    """The 4-byte selector of an OpenZeppelin custom error, as web3 shows it in the revert data."""
    return '0x' + Web3.keccak(text=error)[:4].hex().removeprefix('0x')


def reverts_not_owner(fn, sender):
    """OpenZeppelin's OwnableUnauthorizedAccount(sender) custom error."""
    reverts(fn, sender, selector('OwnableUnauthorizedAccount(address)') + sender[2:].lower().rjust(64, '0'))


def events(contract, name, receipt):
    """The `name` events of `contract` in the receipt (other logs, e.g. the token's, skipped)."""
    return [dict(e.args) for e in getattr(contract.events, name)().process_receipt(receipt, errors=DISCARD)
            if e.address == contract.address]


def make_message(recipient, value, tx_hash, bridge):
    return encode_packed(['address', 'uint256', 'bytes32', 'address'], [recipient, value, tx_hash, bridge])


def sign(message, key):
    signature = Account.sign_message(encode_defunct(primitive=message), key).signature
    assert len(signature) == 65 and signature[64] in (27, 28)
    return bytes(signature)


def tx_hash_of(label):
    return Web3.keccak(text=label)


def balance(token, account):
    return token.functions.balanceOf(account).call()


# ---------------------------------------------------------------- build

def test_artifacts_rebuild_identically():
    proc = subprocess.run(['node', os.path.join(ROOT, 'scripts', 'build-contracts.js'), '--check'], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def opcodes(code):
    """Yield (offset, opcode) of legacy EVM code, skipping PUSH1..PUSH32 immediates."""
    i = 0
    while i < len(code):
        op = code[i]
        yield i, op
        i += 1 + (op - 0x5f if 0x60 <= op <= 0x7f else 0)


def strip_metadata(code):
    """Drop the CBOR metadata solc appends (its length is in the last two bytes): its bytes are
    data, not code, and a 0x5f in the IPFS hash is no PUSH0."""
    length = int.from_bytes(code[-2:], 'big')
    assert 0 < length < len(code) and code[-length - 2] in (0xa1, 0xa2, 0xa3), 'no solc metadata at the end'
    return code[:-length - 2]


def test_no_push0_in_deployed_code():
    # the walker itself: PUSH0 found as an opcode, a 0x5f immediate of PUSH1 ignored
    assert 0x5f in [op for _offset, op in opcodes(bytes.fromhex('60015f'))]
    assert 0x5f not in [op for _offset, op in opcodes(bytes.fromhex('605f00'))]
    for name in DEPLOYABLE:
        art = artifact(name)
        assert art['compiler']['evmVersion'] == 'paris'
        code = strip_metadata(bytes.fromhex(art['deployedBytecode'][2:]))
        push0 = [offset for offset, op in opcodes(code) if op == 0x5f]
        assert not push0, '%s: PUSH0 at %s' % (name, push0)


def test_anvil_refuses_push0(chain):
    """The chain under test really is pre-Shanghai: creation code PUSH0 PUSH0 RETURN fails."""
    w3 = chain.w3
    tx_hash = w3.eth.send_transaction({'from': OWNER, 'data': '0x5f5ff3', 'gas': 100000})
    assert w3.eth.wait_for_transaction_receipt(tx_hash).status == 0
    tx_hash = w3.eth.send_transaction({'from': OWNER, 'data': '0x60006000f3', 'gas': 100000})
    assert w3.eth.wait_for_transaction_receipt(tx_hash).status == 1


# ---------------------------------------------------------------- BridgeValidators

def test_validators_views_and_owner_ops(chain):
    w3, val = chain.w3, chain.home_validators
    assert val.functions.validatorList().call() == VALIDATORS
    assert val.functions.validatorCount().call() == 3
    assert val.functions.requiredSignatures().call() == 2
    assert val.functions.owner().call() == OWNER
    assert all(val.functions.isValidator(v).call() for v in VALIDATORS)
    assert not val.functions.isValidator(STRANGER).call()

    # non-owner refused on every write
    for fn in (val.functions.addValidator(STRANGER), val.functions.removeValidator(VALIDATORS[0]),
               val.functions.setRequiredSignatures(1)):
        reverts_not_owner(fn, STRANGER)

    receipt = send(w3, val.functions.addValidator(STRANGER), OWNER)
    assert events(val, 'ValidatorAdded', receipt) == [{'validator': STRANGER}]
    assert val.functions.validatorCount().call() == 4 and val.functions.isValidator(STRANGER).call()
    reverts(val.functions.addValidator(STRANGER), OWNER, 'already a validator')
    reverts(val.functions.addValidator(ZERO), OWNER, 'zero address')

    # M within 1..N
    reverts(val.functions.setRequiredSignatures(0), OWNER, 'within 1..N')
    reverts(val.functions.setRequiredSignatures(5), OWNER, 'within 1..N')
    receipt = send(w3, val.functions.setRequiredSignatures(4), OWNER)
    assert events(val, 'RequiredSignaturesChanged', receipt) == [{'requiredSignatures': 4}]
    reverts(val.functions.removeValidator(VALIDATORS[0]), OWNER, 'fewer than M')
    send(w3, val.functions.setRequiredSignatures(3), OWNER)

    # removal of the first keeps the list dense (the last moves into its slot)
    receipt = send(w3, val.functions.removeValidator(VALIDATORS[0]), OWNER)
    assert events(val, 'ValidatorRemoved', receipt) == [{'validator': VALIDATORS[0]}]
    assert val.functions.validatorList().call() == [STRANGER, VALIDATORS[1], VALIDATORS[2]]
    assert not val.functions.isValidator(VALIDATORS[0]).call()
    reverts(val.functions.removeValidator(VALIDATORS[0]), OWNER, 'not a validator')
    # the bridges read M through to the validator contract
    assert chain.home.functions.requiredSignatures().call() == 3


def test_validators_constructor_bounds(chain):
    factory = chain.w3.eth.contract(abi=artifact('BridgeValidators')['abi'], bytecode=artifact('BridgeValidators')['bytecode'])
    reverts(factory.constructor(OWNER, VALIDATORS, 4), OWNER, 'within 1..N')
    reverts(factory.constructor(OWNER, VALIDATORS, 0), OWNER, 'within 1..N')
    reverts(factory.constructor(OWNER, [VALIDATORS[0], VALIDATORS[0]], 1), OWNER, 'already a validator')


# ---------------------------------------------------------------- limits (shared)

def test_limits_views_and_setters(chain):
    w3 = chain.w3
    for bridge in (chain.foreign, chain.home):
        f = bridge.functions
        assert (f.minPerTx().call(), f.maxPerTx().call(), f.dailyLimit().call()) == (MIN, MAX, DAILY)
        assert f.requiredBlockConfirmations().call() == CONFIRMATIONS
        assert f.requiredSignatures().call() == 2
        assert f.getCurrentDay().call() == chain.day()
        assert f.withinLimit(MIN).call() and f.withinLimit(MAX).call()
        assert not f.withinLimit(MIN - 1).call() and not f.withinLimit(MAX + 1).call()
        reverts_not_owner(f.setLimits(1, 2, 3), STRANGER)
        reverts(f.setLimits(0, 2, 3), OWNER, '0 < minPerTx')
        reverts(f.setLimits(3, 2, 3), OWNER, '0 < minPerTx')
        reverts(f.setLimits(1, 4, 3), OWNER, '0 < minPerTx')
        send(w3, f.setLimits(2, 3, 4), OWNER)
        assert (f.minPerTx().call(), f.maxPerTx().call(), f.dailyLimit().call()) == (2, 3, 4)
        reverts(f.setRequiredBlockConfirmations(0), OWNER, 'must be > 0')
        send(w3, f.setRequiredBlockConfirmations(12), OWNER)
        assert f.requiredBlockConfirmations().call() == 12
    assert chain.foreign.functions.validatorContract().call() == chain.foreign_validators.address
    assert chain.home.functions.validatorContract().call() == chain.home_validators.address
    assert chain.foreign.functions.erc20token().call() == chain.foreign_token.address
    assert chain.foreign_token.functions.decimals().call() == 9 and chain.home_token.functions.decimals().call() == 9
    assert chain.home.functions.executionDailyLimit().call() == EXEC_DAILY
    reverts_not_owner(chain.home.functions.setExecutionDailyLimit(1), STRANGER)
    send(w3, chain.home.functions.setExecutionDailyLimit(7), OWNER)
    assert chain.home.functions.executionDailyLimit().call() == 7


# ---------------------------------------------------------------- ForeignBridge: deposits

def test_foreign_relay_tokens_limits_and_daily_limit(chain):
    w3, token, bridge = chain.w3, chain.foreign_token, chain.foreign
    send(w3, token.functions.approve(bridge.address, 1000 * RLC), USER)
    reverts(bridge.functions.relayTokens(OTHER, MIN - 1), USER, 'outside minPerTx..maxPerTx')
    reverts(bridge.functions.relayTokens(OTHER, MAX + 1), USER, 'outside minPerTx..maxPerTx')
    reverts(bridge.functions.relayTokens(ZERO, MIN), USER, 'zero recipient')

    receipt = send(w3, bridge.functions.relayTokens(OTHER, MAX), USER)
    assert events(bridge, 'UserRequestForAffirmation', receipt) == [{'recipient': OTHER, 'value': MAX}]
    assert balance(token, bridge.address) == 1100 * RLC and balance(token, USER) == 900 * RLC
    day = chain.day()
    assert bridge.functions.totalSpentPerDay(day).call() == MAX
    assert bridge.functions.withinLimit(50 * RLC).call() and not bridge.functions.withinLimit(51 * RLC).call()

    send(w3, bridge.functions.relayTokens(USER, 50 * RLC), USER)
    assert bridge.functions.totalSpentPerDay(day).call() == DAILY
    reverts(bridge.functions.relayTokens(USER, MIN), USER, 'dailyLimit exceeded')

    chain.next_day()
    assert bridge.functions.getCurrentDay().call() == day + 1
    assert bridge.functions.totalSpentPerDay(day + 1).call() == 0
    send(w3, bridge.functions.relayTokens(USER, MIN), USER)
    assert bridge.functions.totalSpentPerDay(day + 1).call() == MIN
    assert bridge.functions.totalSpentPerDay(day).call() == DAILY


def test_foreign_relay_tokens_needs_allowance(chain):
    # RLC reverts without a reason; SafeERC20 turns that into FailedInnerCall()
    reverts(chain.foreign.functions.relayTokens(USER, MIN), USER, selector('FailedInnerCall()'))


def test_foreign_whitelist(chain):
    w3, token, bridge = chain.w3, chain.foreign_token, chain.foreign
    f = bridge.functions
    assert f.whitelistEnabled().call() is False
    assert f.isWhitelisted(USER).call() and f.isWhitelisted(STRANGER).call()
    reverts_not_owner(f.setWhitelistEnabled(True), STRANGER)
    reverts_not_owner(f.setWhitelisted(USER, True), STRANGER)

    send(w3, token.functions.approve(bridge.address, 1000 * RLC), USER)
    send(w3, f.setWhitelistEnabled(True), OWNER)
    assert not f.isWhitelisted(USER).call()
    reverts(f.relayTokens(USER, MIN), USER, 'not whitelisted')

    send(w3, f.setWhitelisted(USER, True), OWNER)
    assert f.isWhitelisted(USER).call() and not f.isWhitelisted(OTHER).call()
    receipt = send(w3, f.relayTokens(OTHER, MIN), USER)  # the recipient needs no listing
    assert events(bridge, 'UserRequestForAffirmation', receipt) == [{'recipient': OTHER, 'value': MIN}]

    send(w3, f.setWhitelisted(USER, False), OWNER)
    reverts(f.relayTokens(USER, MIN), USER, 'not whitelisted')
    send(w3, f.setWhitelistEnabled(False), OWNER)
    assert f.isWhitelisted(USER).call()
    send(w3, f.relayTokens(USER, MIN), USER)


# ---------------------------------------------------------------- ForeignBridge: withdrawals

def test_execute_signatures_pays_once(chain):
    w3, token, bridge = chain.w3, chain.foreign_token, chain.foreign
    tx = tx_hash_of('home withdrawal 1')
    message = make_message(OTHER, 42 * RLC, tx, bridge.address)
    assert len(message) == 104
    # any order of distinct validators; a stranger may relay
    signatures = sign(message, VALIDATOR_KEYS[2]) + sign(message, VALIDATOR_KEYS[0])
    assert not bridge.functions.relayedMessages(tx).call()
    receipt = send(w3, bridge.functions.executeSignatures(message, signatures), STRANGER)
    assert events(bridge, 'RelayedMessage', receipt) == [{'recipient': OTHER, 'value': 42 * RLC, 'transactionHash': tx}]
    assert balance(token, OTHER) == 42 * RLC and balance(token, bridge.address) == 958 * RLC
    assert bridge.functions.relayedMessages(tx).call()
    reverts(bridge.functions.executeSignatures(message, signatures), STRANGER, 'already relayed')
    # the same transaction hash with other signatures (all three) is still a replay
    all_three = b''.join(sign(message, k) for k in VALIDATOR_KEYS)
    reverts(bridge.functions.executeSignatures(message, all_three), STRANGER, 'already relayed')

    # more than M signatures is fine for a new request
    message2 = make_message(USER, 1, tx_hash_of('home withdrawal 2'), bridge.address)
    send(w3, bridge.functions.executeSignatures(message2, b''.join(sign(message2, k) for k in VALIDATOR_KEYS)), USER)
    assert balance(token, USER) == 1000 * RLC + 1


@pytest.mark.parametrize('case,match', [
    ('under_m', 'not enough signatures'),
    ('no_signature', 'not enough signatures'),
    ('duplicate', 'duplicate signer'),
    ('non_validator', 'not a validator'),
    ('wrong_bridge', 'another bridge'),
    ('short_message', 'length must be 104'),
    ('ragged_signatures', '65 bytes each'),
    ('other_message', 'not a validator'),
])
def test_execute_signatures_refusals(chain, case, match):
    bridge = chain.foreign
    tx = tx_hash_of('home withdrawal ' + case)
    message = make_message(OTHER, 5 * RLC, tx, bridge.address)
    wrong_bridge = make_message(OTHER, 5 * RLC, tx, chain.home.address)
    other_message = make_message(OTHER, 6 * RLC, tx, bridge.address)
    v0, v1 = VALIDATOR_KEYS[:2]
    args = {
        'under_m': (message, sign(message, v0)),
        'no_signature': (message, b''),
        'duplicate': (message, sign(message, v1) + sign(message, v1)),
        'non_validator': (message, sign(message, v0) + sign(message, STRANGER_KEY)),
        'wrong_bridge': (wrong_bridge, sign(wrong_bridge, v0) + sign(wrong_bridge, v1)),
        'short_message': (message[:103], sign(message[:103], v0) + sign(message[:103], v1)),
        'ragged_signatures': (message, sign(message, v0) + sign(message, v1)[:64]),
        # validators' signatures of another message recover to unrelated addresses
        'other_message': (message, sign(other_message, v0) + sign(other_message, v1)),
    }[case]
    reverts(bridge.functions.executeSignatures(*args), STRANGER, match)
    assert not bridge.functions.relayedMessages(tx).call()


# ---------------------------------------------------------------- HomeBridge: affirmations

def affirmation_hash(recipient, value, tx):
    return Web3.keccak(encode_packed(['address', 'uint256', 'bytes32'], [recipient, value, tx]))


def test_execute_affirmation_pays_once_at_m(chain):
    w3, token, bridge = chain.w3, chain.home_token, chain.home
    f = bridge.functions
    tx = tx_hash_of('foreign deposit 1')
    value = 30 * RLC
    key = affirmation_hash(OTHER, value, tx)

    reverts(f.executeAffirmation(OTHER, value, tx), STRANGER, 'not a validator')
    receipt = send(w3, f.executeAffirmation(OTHER, value, tx), VALIDATORS[1])
    assert events(bridge, 'SignedForAffirmation', receipt) == [{'signer': VALIDATORS[1], 'transactionHash': tx}]
    assert events(bridge, 'AffirmationCompleted', receipt) == []
    assert f.affirmationsSigned(key).call() == 1 and not f.isAffirmationProcessed(key).call()
    assert f.hasVotedAffirmation(VALIDATORS[1], key).call() and not f.hasVotedAffirmation(VALIDATORS[0], key).call()
    assert balance(token, OTHER) == 0
    reverts(f.executeAffirmation(OTHER, value, tx), VALIDATORS[1], 'already voted')

    receipt = send(w3, f.executeAffirmation(OTHER, value, tx), VALIDATORS[0])
    assert events(bridge, 'SignedForAffirmation', receipt) == [{'signer': VALIDATORS[0], 'transactionHash': tx}]
    assert events(bridge, 'AffirmationCompleted', receipt) == [{'recipient': OTHER, 'value': value, 'transactionHash': tx}]
    assert balance(token, OTHER) == value and balance(token, bridge.address) == 1000 * RLC - value
    assert f.affirmationsSigned(key).call() == 2 and f.isAffirmationProcessed(key).call()
    assert f.totalExecutedPerDay(chain.day()).call() == value

    reverts(f.executeAffirmation(OTHER, value, tx), VALIDATORS[2], 'already processed')
    reverts(f.executeAffirmation(OTHER, value, tx), VALIDATORS[0], 'already processed')
    assert balance(token, OTHER) == value

    # a different value for the same transaction is a different vote (and needs its own M)
    receipt = send(w3, f.executeAffirmation(OTHER, value + 1, tx), VALIDATORS[2])
    assert events(bridge, 'AffirmationCompleted', receipt) == []


def test_execute_affirmation_execution_daily_limit(chain):
    w3, token, bridge = chain.w3, chain.home_token, chain.home
    f = bridge.functions
    send(w3, f.setExecutionDailyLimit(50 * RLC), OWNER)
    tx1, tx2 = tx_hash_of('deposit a'), tx_hash_of('deposit b')
    for v in VALIDATORS[:2]:
        send(w3, f.executeAffirmation(USER, 40 * RLC, tx1), v)
    day = chain.day()
    assert f.totalExecutedPerDay(day).call() == 40 * RLC

    send(w3, f.executeAffirmation(OTHER, 20 * RLC, tx2), VALIDATORS[0])
    # the paying vote goes over the limit: it reverts, the vote is not recorded
    reverts(f.executeAffirmation(OTHER, 20 * RLC, tx2), VALIDATORS[1], 'executionDailyLimit exceeded')
    key = affirmation_hash(OTHER, 20 * RLC, tx2)
    assert f.affirmationsSigned(key).call() == 1 and not f.isAffirmationProcessed(key).call()

    chain.next_day()
    receipt = send(w3, f.executeAffirmation(OTHER, 20 * RLC, tx2), VALIDATORS[1])
    assert events(bridge, 'AffirmationCompleted', receipt) == [{'recipient': OTHER, 'value': 20 * RLC, 'transactionHash': tx2}]
    assert balance(token, OTHER) == 20 * RLC
    assert f.totalExecutedPerDay(day).call() == 40 * RLC and f.totalExecutedPerDay(day + 1).call() == 20 * RLC


def test_execute_affirmation_pay_out_beyond_balance_reverts(chain):
    f = chain.home.functions
    tx = tx_hash_of('too big')
    send(chain.w3, f.setExecutionDailyLimit(10 ** 6 * RLC), OWNER)
    send(chain.w3, f.executeAffirmation(USER, 1001 * RLC, tx), VALIDATORS[0])
    reverts(f.executeAffirmation(USER, 1001 * RLC, tx), VALIDATORS[1], selector('FailedInnerCall()'))


# ---------------------------------------------------------------- HomeBridge: withdrawal requests (erc_to_erc)

def test_home_erc_relay_tokens(chain):
    w3, token, bridge = chain.w3, chain.home_token, chain.home
    f = bridge.functions
    assert f.mode().call() == 0 and f.erc20token().call() == token.address
    send(w3, token.functions.approve(bridge.address, 1000 * RLC), USER)
    reverts(f.relayTokens(OTHER, MIN - 1), USER, 'outside minPerTx..maxPerTx')
    reverts(f.relayTokens(OTHER, MAX + 1), USER, 'outside minPerTx..maxPerTx')
    receipt = send(w3, f.relayTokens(OTHER, MAX), USER)
    assert events(bridge, 'UserRequestForSignature', receipt) == [{'recipient': OTHER, 'value': MAX}]
    assert balance(token, bridge.address) == 1000 * RLC + MAX
    assert f.totalSpentPerDay(chain.day()).call() == MAX
    reverts(f.relayTokens(OTHER, 51 * RLC), USER, 'dailyLimit exceeded')
    # the native entry points are closed in erc_to_erc
    reverts(f.relayTokens(OTHER), USER, 'only in erc_to_native', value=MIN)
    reverts(f.fundNative(), OWNER, 'only in erc_to_native', value=1)
    assert send_value(w3, USER, bridge.address, ETHER // 10).status == 0


@pytest.mark.parametrize('data,recipient', [(b'', USER), (bytes.fromhex(OTHER[2:]), OTHER)], ids=['empty', 'recipient'])
def test_home_approve_and_call(chain, data, recipient):
    w3, token, bridge = chain.w3, chain.home_token, chain.home
    receipt = send(w3, token.functions.approveAndCall(bridge.address, 7 * RLC, data), USER)
    assert events(bridge, 'UserRequestForSignature', receipt) == [{'recipient': recipient, 'value': 7 * RLC}]
    assert balance(token, USER) == 993 * RLC and balance(token, bridge.address) == 1007 * RLC
    assert token.functions.allowance(USER, bridge.address).call() == 0
    assert bridge.functions.totalSpentPerDay(chain.day()).call() == 7 * RLC


def test_home_approve_and_call_refusals(chain):
    token, bridge = chain.home_token, chain.home
    reverts(token.functions.approveAndCall(bridge.address, 7 * RLC, b'\x01' * 5), USER, '20-byte recipient')
    reverts(token.functions.approveAndCall(bridge.address, MIN - 1, b''), USER, 'outside minPerTx')
    # only the bridge token may call it, naming itself
    reverts(bridge.functions.receiveApproval(USER, 7 * RLC, token.address, b''), USER, 'not the bridge token')
    reverts(chain.foreign_token.functions.approveAndCall(bridge.address, 7 * RLC, b''), OWNER, 'not the bridge token')
    reverts(chain.native.functions.receiveApproval(USER, 7 * RLC, token.address, b''), USER, 'only in erc_to_erc')


def test_home_fund(chain):
    w3, token, bridge = chain.w3, chain.home_token, chain.home
    send(w3, token.functions.approve(bridge.address, 500 * RLC), USER)
    receipt = send(w3, bridge.functions.fund(500 * RLC), USER)
    assert events(bridge, 'Funded', receipt) == [{'from': USER, 'amount': 500 * RLC}]
    assert events(bridge, 'UserRequestForSignature', receipt) == []
    assert balance(token, bridge.address) == 1500 * RLC
    # the deployment's plain transfer was no funding; fund() is
    assert bridge.functions.totalFunded().call() == 500 * RLC
    # funding is not a request: no limits, nothing booked
    assert bridge.functions.totalSpentPerDay(chain.day()).call() == 0


# ---------------------------------------------------------------- HomeBridge: erc_to_native

def test_home_native_mode(chain):
    w3, bridge = chain.w3, chain.native
    f = bridge.functions
    assert f.mode().call() == 1 and f.erc20token().call() == ZERO

    receipt = send_value(w3, USER, bridge.address, ETHER)
    assert receipt.status == 1
    assert events(bridge, 'UserRequestForSignature', receipt) == [{'recipient': USER, 'value': ETHER}]
    receipt = send(w3, f.relayTokens(OTHER), USER, value=2 * ETHER)
    assert events(bridge, 'UserRequestForSignature', receipt) == [{'recipient': OTHER, 'value': 2 * ETHER}]
    assert f.totalSpentPerDay(chain.day()).call() == 3 * ETHER
    assert w3.eth.get_balance(bridge.address) == 103 * ETHER
    assert send_value(w3, USER, bridge.address, NATIVE_MIN - 1).status == 0
    reverts(f.relayTokens(OTHER), USER, 'outside minPerTx', value=NATIVE_MAX + 1)

    receipt = send(w3, f.fundNative(), OTHER, value=5 * ETHER)
    assert events(bridge, 'Funded', receipt) == [{'from': OTHER, 'amount': 5 * ETHER}]
    assert f.totalFunded().call() == 105 * ETHER
    assert events(bridge, 'UserRequestForSignature', receipt) == []

    # the token entry points are closed in erc_to_native
    reverts(f.relayTokens(OTHER, MIN), USER, 'only in erc_to_erc')
    reverts(f.fund(MIN), USER, 'only in erc_to_erc')

    # native pay-out at M votes
    tx = tx_hash_of('native deposit')
    before = w3.eth.get_balance(STRANGER)
    send(w3, f.executeAffirmation(STRANGER, 3 * ETHER, tx), VALIDATORS[0])
    receipt = send(w3, f.executeAffirmation(STRANGER, 3 * ETHER, tx), VALIDATORS[2])
    assert events(bridge, 'AffirmationCompleted', receipt) == [{'recipient': STRANGER, 'value': 3 * ETHER, 'transactionHash': tx}]
    assert w3.eth.get_balance(STRANGER) == before + 3 * ETHER
    assert w3.eth.get_balance(bridge.address) == 105 * ETHER
    assert f.totalExecutedPerDay(chain.day()).call() == 3 * ETHER


def test_home_native_pay_out_failure_reverts(chain):
    """A recipient that refuses coin (here a contract without receive) fails the paying vote."""
    f = chain.native.functions
    tx = tx_hash_of('to a contract')
    send(chain.w3, f.executeAffirmation(chain.foreign.address, ETHER, tx), VALIDATORS[0])
    reverts(f.executeAffirmation(chain.foreign.address, ETHER, tx), VALIDATORS[1], 'native pay-out failed')
    assert not f.isAffirmationProcessed(affirmation_hash(chain.foreign.address, ETHER, tx)).call()


# ---------------------------------------------------------------- HomeBridge: signatures, then the relay

def test_submit_signature_collects_then_relays(chain):
    w3, home, foreign = chain.w3, chain.home, chain.foreign
    f = home.functions
    tx = tx_hash_of('home withdrawal to relay')
    message = make_message(OTHER, 12 * RLC, tx, foreign.address)
    msg_hash = Web3.keccak(message)
    sig = [sign(message, k) for k in VALIDATOR_KEYS]

    reverts(f.submitSignature(sign(message, STRANGER_KEY), message), STRANGER, 'not a validator')
    reverts(f.submitSignature(sig[0], message), VALIDATORS[1], "not the sender's")
    reverts(f.submitSignature(sign(message[:103], VALIDATOR_KEYS[0]), message[:103]), VALIDATORS[0], '104 bytes')
    reverts(f.submitSignature(sig[0][:64], message), VALIDATORS[0], selector('ECDSAInvalidSignatureLength(uint256)'))

    receipt = send(w3, f.submitSignature(sig[0], message), VALIDATORS[0])
    assert events(home, 'SignedForUserRequest', receipt) == [{'signer': VALIDATORS[0], 'messageHash': msg_hash}]
    assert events(home, 'CollectedSignatures', receipt) == []
    assert f.numMessagesSigned(msg_hash).call() == 1
    assert f.hasSignedMessage(VALIDATORS[0], msg_hash).call() and not f.hasSignedMessage(VALIDATORS[1], msg_hash).call()
    reverts(f.submitSignature(sig[0], message), VALIDATORS[0], 'already signed')

    receipt = send(w3, f.submitSignature(sig[2], message), VALIDATORS[2])
    assert events(home, 'CollectedSignatures', receipt) == [
        {'authorityResponsibleForRelay': VALIDATORS[2], 'messageHash': msg_hash, 'numberOfCollectedSignatures': 2}]
    assert f.message(msg_hash).call() == message
    assert [f.signature(msg_hash, i).call() for i in range(2)] == [sig[0], sig[2]]

    # a late signature is stored but does not announce the collection again
    receipt = send(w3, f.submitSignature(sig[1], message), VALIDATORS[1])
    assert events(home, 'SignedForUserRequest', receipt) == [{'signer': VALIDATORS[1], 'messageHash': msg_hash}]
    assert events(home, 'CollectedSignatures', receipt) == []
    assert f.numMessagesSigned(msg_hash).call() == 3

    # what a relayer does with it: read back M signatures and execute on the foreign side
    collected = f.message(msg_hash).call()
    signatures = b''.join(f.signature(msg_hash, i).call() for i in range(2))
    receipt = send(w3, foreign.functions.executeSignatures(collected, signatures), VALIDATORS[2])
    assert events(foreign, 'RelayedMessage', receipt) == [{'recipient': OTHER, 'value': 12 * RLC, 'transactionHash': tx}]
    assert balance(chain.foreign_token, OTHER) == 12 * RLC
