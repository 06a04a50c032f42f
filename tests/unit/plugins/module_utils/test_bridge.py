# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for plugins/module_utils/bridge: message, signatures, store, log grouping, decisions,
config, health endpoint. No network: the chains are covered by
tests/integration/test_bridge_service.py.

Hashes and signatures are checked by an independent route (pycryptodome keccak, the
`cryptography` package's secp256k1 verify), not by the helpers under test.
"""

from __future__ import annotations

import json
import os
import pathlib
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from Crypto.Hash import keccak as crypto_keccak
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, encode_dss_signature
from eth_abi import encode as abi_encode
from eth_account import Account

from ansible_collections.poa.consortium.plugins.module_utils.bridge import abi as bridge_abi
from ansible_collections.poa.consortium.plugins.module_utils.bridge import logic
from ansible_collections.poa.consortium.plugins.module_utils.bridge import message as m
from ansible_collections.poa.consortium.plugins.module_utils.bridge.chain import ChainClient
from ansible_collections.poa.consortium.plugins.module_utils.bridge.health import (
    HealthError, HealthServer, Snapshot, check_loopback,
)
from ansible_collections.poa.consortium.plugins.module_utils.bridge.service import ConfigError, parse_config, public_url
from ansible_collections.poa.consortium.plugins.module_utils.bridge.store import Store, StoreError

ROOT = pathlib.Path(__file__).resolve().parents[4]
ARTIFACTS = ROOT / 'contracts' / 'artifacts'
KEY = '0x' + '4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318'
RECIPIENT = '0x' + '11' * 20
BRIDGE = '0x' + '22' * 20
FOREIGN_BRIDGE = '0x' + 'fb' * 20
TOKEN = '0x' + '33' * 20
SENDER = '0x' + '44' * 20
TX = '0x' + 'ab' * 32
TX2 = '0x' + 'cd' * 32


def keccak256(data):
    return crypto_keccak.new(digest_bits=256, data=data).digest()


def cs(address):
    return m.to_checksum_address(address)


# --------------------------------------------------------------------------------------------
# message
# --------------------------------------------------------------------------------------------
def test_message_layout_is_encode_packed():
    msg = m.encode_message(RECIPIENT, 10 ** 18 + 7, TX, FOREIGN_BRIDGE)
    assert len(msg) == 104
    assert msg[:20] == bytes.fromhex('11' * 20)
    assert msg[20:52] == (10 ** 18 + 7).to_bytes(32, 'big')
    assert msg[52:84] == bytes.fromhex('ab' * 32)
    assert msg[84:] == bytes.fromhex('fb' * 20)


def test_message_round_trip():
    msg = m.encode_message(RECIPIENT.upper().replace('0X', '0x'), 5, bytes.fromhex('ab' * 32), FOREIGN_BRIDGE)
    recipient, value, tx_hash, bridge = m.decode_message(msg)
    assert recipient == cs(RECIPIENT) and value == 5 and tx_hash == TX and bridge == cs(FOREIGN_BRIDGE)


@pytest.mark.parametrize('args', [
    (RECIPIENT, -1, TX, BRIDGE),
    (RECIPIENT, 1 << 256, TX, BRIDGE),
    ('0x1234', 1, TX, BRIDGE),
    (RECIPIENT, 1, '0xabcd', BRIDGE),
    (RECIPIENT, 1, TX, 'not hex at all, forty-two characters long!'),
])
def test_message_refuses_bad_fields(args):
    with pytest.raises(m.MessageError):
        m.encode_message(*args)


def test_decode_refuses_other_lengths():
    with pytest.raises(m.MessageError):
        m.decode_message(b'\x00' * 103)
    with pytest.raises(m.MessageError):
        m.decode_message(b'\x00' * 105)


def test_message_hash_is_keccak_of_raw_message():
    msg = m.encode_message(RECIPIENT, 1, TX, BRIDGE)
    assert m.message_hash(msg) == keccak256(msg)


def test_affirmation_hash_is_keccak_of_packed_recipient_value_hash():
    expected = keccak256(bytes.fromhex('11' * 20) + (123).to_bytes(32, 'big') + bytes.fromhex('ab' * 32))
    assert m.affirmation_hash(RECIPIENT, 123, TX) == expected
    assert m.affirmation_hash(cs(RECIPIENT), 123, bytes.fromhex('ab' * 32)) == expected


# --------------------------------------------------------------------------------------------
# signatures
# --------------------------------------------------------------------------------------------
def test_signature_is_eip191_over_the_104_bytes_and_recovers():
    account = Account.from_key(KEY)
    msg = m.encode_message(RECIPIENT, 42, TX, FOREIGN_BRIDGE)
    sig = m.sign_message(account, msg)
    assert len(sig) == 65 and sig[64] in (27, 28)
    assert m.recover_signer(msg, sig) == account.address
    # independent check: secp256k1 verify of r, s over keccak("\x19Ethereum Signed Message:\n104" ++ msg)
    digest = keccak256(b'\x19Ethereum Signed Message:\n104' + msg)
    private = ec.derive_private_key(int(KEY, 16), ec.SECP256K1())
    r, s = int.from_bytes(sig[:32], 'big'), int.from_bytes(sig[32:64], 'big')
    private.public_key().verify(encode_dss_signature(r, s), digest, ec.ECDSA(Prehashed(hashes.SHA256())))
    # low s: OpenZeppelin's ECDSA.recover refuses the other half
    assert s <= 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0


def test_signature_of_another_message_recovers_someone_else():
    account = Account.from_key(KEY)
    sig = m.sign_message(account, m.encode_message(RECIPIENT, 42, TX, FOREIGN_BRIDGE))
    assert m.recover_signer(m.encode_message(RECIPIENT, 43, TX, FOREIGN_BRIDGE), sig) != account.address


def test_sign_refuses_other_lengths_and_join_checks_sizes():
    account = Account.from_key(KEY)
    with pytest.raises(m.MessageError):
        m.sign_message(account, b'\x00' * 32)
    a = m.sign_message(account, m.encode_message(RECIPIENT, 1, TX, BRIDGE))
    b = m.sign_message(Account.create(), m.encode_message(RECIPIENT, 1, TX, BRIDGE))
    assert m.join_signatures([a, b]) == a + b
    with pytest.raises(m.MessageError):
        m.join_signatures([a, b[:64]])


# --------------------------------------------------------------------------------------------
# store
# --------------------------------------------------------------------------------------------
def row(chain='foreign', tx=TX, kind=logic.DEPOSIT, block=10, log_index=0, value=5, **extra):
    out = {'chain': chain, 'tx_hash': tx, 'log_index': log_index, 'block_number': block, 'block_hash': '0x' + '%064x' % block,
           'kind': kind, 'recipient': cs(RECIPIENT), 'value': value, 'sender': None, 'message_hash': None, 'not_before': 0}
    out.update(extra)
    return out


@pytest.fixture
def store(tmp_path):
    s = Store(str(tmp_path / 'bridge.db'))
    yield s
    s.close()


def test_store_is_wal_with_full_sync(store, tmp_path):
    assert store.pragma('journal_mode') == 'wal'
    assert int(store.pragma('synchronous')) == 2  # FULL
    with sqlite3.connect(str(tmp_path / 'bridge.db')) as other:
        assert other.execute('PRAGMA journal_mode').fetchone()[0] == 'wal'  # persistent in the file


def test_store_refuses_a_missing_directory(tmp_path):
    with pytest.raises(StoreError, match='does not exist'):
        Store(str(tmp_path / 'missing' / 'bridge.db'))


def test_cursor_moves_with_its_rows(store):
    assert store.cursor('foreign') is None
    store.init_cursor('foreign', 9)
    store.init_cursor('foreign', 100)  # only the first initialisation counts
    assert store.cursor('foreign') == (9, None)
    assert store.commit_range('foreign', [row()], 20, '0x' + '20' * 32) == 1
    assert store.cursor('foreign') == (20, '0x' + '20' * 32)
    assert [e['tx_hash'] for e in store.events('foreign')] == [TX]
    assert store.known_blocks('foreign') == [(20, '0x' + '20' * 32)]


def test_cursor_does_not_move_when_its_rows_fail(store):
    store.commit_range('foreign', [row()], 20, '0x' + '20' * 32)
    bad = row(tx=TX2, value=None)
    bad['kind'] = None  # NOT NULL: the insert fails half-way through the range
    with pytest.raises(sqlite3.IntegrityError):
        store.commit_range('foreign', [row(tx='0x' + '99' * 32), bad], 30, '0x' + '30' * 32)
    assert store.cursor('foreign') == (20, '0x' + '20' * 32)
    assert [e['tx_hash'] for e in store.events()] == [TX]  # the first row of the failed range is gone too
    with pytest.raises(StoreError):
        store.commit_range('foreign', [row(chain='home')], 40, '0x' + '40' * 32)
    assert store.cursor('foreign') == (20, '0x' + '20' * 32)


def test_one_request_per_transaction_but_every_collected_log(store):
    assert store.commit_range('home', [row('home', kind=logic.WITHDRAWAL)], 10, '0xa') == 1
    # the same transaction again (a rescan), even decided differently: kept as first stored
    assert store.commit_range('home', [row('home', kind=logic.WITHDRAWAL_REFUND, log_index=3)], 11, '0xb') == 0
    collected = [row('home', kind=logic.COLLECTED, log_index=1, message_hash='0x01'),
                 row('home', kind=logic.COLLECTED, log_index=2, message_hash='0x02')]
    assert store.commit_range('home', collected, 12, '0xc') == 2
    assert store.commit_range('home', collected, 13, '0xd') == 0
    assert [e['kind'] for e in store.events('home')] == [logic.WITHDRAWAL, logic.COLLECTED, logic.COLLECTED]


def test_big_values_survive(store):
    big = (1 << 256) - 1
    store.commit_range('foreign', [row(value=big)], 10, '0xa')
    assert int(store.events()[0]['value']) == big


def test_outbox_is_committed_before_broadcast_and_survives_reopen(tmp_path):
    path = str(tmp_path / 'bridge.db')
    first = Store(path)
    first.commit_range('foreign', [row()], 10, '0xa')
    event_id = first.events()[0]['id']
    outbox_id = first.record_send('home', 7, '0x' + '77' * 32, '0xf86b', 'executeAffirmation:' + TX, event_id)
    assert first.event(event_id)['status'] == 'sent'
    first.close()  # a crash right after the commit, before or during the broadcast
    again = Store(path)
    try:
        live = again.live_outbox('home')
        assert [(r['id'], r['nonce'], r['raw_tx'], r['status']) for r in live] == [(outbox_id, 7, '0xf86b', 'pending')]
        assert again.live_nonces('home') == {7} and again.live_nonces('foreign') == set()
        assert again.counts() == {'events': 1, 'outbox': 1}
        again.finish_outbox(outbox_id, 'mined', 'block 12', event_status='done', event_note='mined')
        assert again.live_outbox() == [] and again.event(event_id)['status'] == 'done'
        assert again.counts() == {'events': 0, 'outbox': 0}
    finally:
        again.close()


def test_failed_transaction_puts_its_event_back_with_an_attempt(store):
    store.commit_range('foreign', [row()], 10, '0xa')
    event_id = store.events()[0]['id']
    outbox_id = store.record_send('home', 0, '0x' + '01' * 32, '0x00', 'p', event_id)
    store.finish_outbox(outbox_id, 'reverted', 'reverted', event_status='pending', event_note='retry', not_before=50.0)
    event = store.event(event_id)
    assert (event['status'], event['attempts'], event['not_before']) == ('pending', 1, 50.0)
    assert store.due_events(now=49.0) == []
    assert [e['id'] for e in store.due_events(now=50.0)] == [event_id]
    assert store.outbox_row(outbox_id)['status'] == 'reverted'


def test_rewind_drops_only_what_was_not_acted_on(store):
    rows = [row(tx='0x' + '%064x' % n, block=n) for n in (11, 12, 13)]
    store.commit_range('foreign', rows[:1], 11, '0x11')
    store.commit_range('foreign', rows[1:], 13, '0x13')
    sent = store.events()[1]['id']
    store.record_send('home', 0, '0x' + '02' * 32, '0x00', 'p', sent)
    assert store.rewind('foreign', 11, '0x11') == 1  # block 13's pending event; block 12's was sent
    assert store.cursor('foreign') == (11, '0x11')
    assert [e['block_number'] for e in store.events()] == [11, 12]
    assert store.known_blocks('foreign') == [(11, '0x11')]


def test_known_blocks_are_bounded(store):
    for n in range(100):
        store.commit_range('home', [], n, '0x%x' % n)
    blocks = store.known_blocks('home')
    assert len(blocks) == 64 and blocks[0] == (99, '0x63')


# --------------------------------------------------------------------------------------------
# nonces
# --------------------------------------------------------------------------------------------
class _NonceStub:
    """What ChainClient.next_nonce reads: the node's pending count and the store."""

    def __init__(self, pending, store):
        self.pending, self.store, self.name = pending, store, 'home'

    def nonce(self, _block='pending'):
        return self.pending


def test_next_nonce_after_the_node_and_the_outbox(store):
    assert ChainClient.next_nonce(_NonceStub(5, store)) == 5
    store.record_send('home', 5, '0x' + '05' * 32, '0x', 'p')
    store.record_send('home', 6, '0x' + '06' * 32, '0x', 'p')
    # the node has not seen them yet (no answer when broadcast): the outbox wins
    assert ChainClient.next_nonce(_NonceStub(5, store)) == 7
    assert ChainClient.next_nonce(_NonceStub(9, store)) == 9


def test_next_nonce_fills_the_hole_of_a_rejected_transaction(store):
    first = store.record_send('home', 5, '0x' + '05' * 32, '0x', 'p')
    store.record_send('home', 6, '0x' + '06' * 32, '0x', 'p')
    store.finish_outbox(first, 'rejected', 'intrinsic gas too low')
    # nonce 6 waits in the pool behind the hole; the node's pending count stays at 5
    assert ChainClient.next_nonce(_NonceStub(5, store)) == 5


# --------------------------------------------------------------------------------------------
# logs: decoding and grouping
# --------------------------------------------------------------------------------------------
def raw_log(abi, name, values, address, tx=TX, log_index=0, block=10):
    """A log as eth_getLogs returns it, encoded with eth_abi (not by the code under test)."""
    entry = bridge_abi.find(abi, name, 'event')
    topics = ['0x' + keccak256(bridge_abi.signature_of(entry).encode()).hex()]
    plain_types, plain_values = [], []
    for item, value in zip(entry['inputs'], values):
        if item['indexed']:
            topics.append('0x' + abi_encode([item['type']], [value]).hex())
        else:
            plain_types.append(item['type'])
            plain_values.append(value)
    return {'address': address, 'topics': topics, 'data': '0x' + abi_encode(plain_types, plain_values).hex(),
            'transactionHash': tx, 'logIndex': log_index, 'blockNumber': block, 'blockHash': '0x' + '%064x' % block}


def decoded(side, *logs):
    topics = dict(logic.event_topics(bridge_abi.ERC20, ['Transfer']))
    if side == 'home':
        topics.update(logic.event_topics(bridge_abi.HOME_BRIDGE, bridge_abi.HOME_EVENTS))
    else:
        topics.update(logic.event_topics(bridge_abi.FOREIGN_BRIDGE, bridge_abi.FOREIGN_EVENTS))
    out = [logic.decode_log(log, topics) for log in logs]
    assert None not in out
    return out


def transfer(frm, to, value, **kw):
    return raw_log(bridge_abi.ERC20, 'Transfer', [frm, to, value], TOKEN, **kw)


def test_decode_log_reads_indexed_and_plain_fields():
    (log,) = decoded('foreign', transfer(SENDER, BRIDGE, 9, log_index=4))
    assert log['event'] == 'Transfer' and log['address'] == cs(TOKEN) and log['log_index'] == 4
    assert log['args'] == {'from': cs(SENDER), 'to': cs(BRIDGE), 'value': 9}
    (log,) = decoded('home', raw_log(bridge_abi.HOME_BRIDGE, 'CollectedSignatures', [RECIPIENT, b'\x01' * 32, 2], BRIDGE))
    assert log['args'] == {'authorityResponsibleForRelay': cs(RECIPIENT), 'messageHash': '0x' + '01' * 32,
                           'numberOfCollectedSignatures': 2}


def test_decode_log_ignores_unknown_and_differently_indexed_events():
    topics = logic.event_topics(bridge_abi.ERC20, ['Transfer'])
    log = transfer(SENDER, BRIDGE, 9)
    assert logic.decode_log(dict(log, topics=['0x' + '00' * 32]), topics) is None
    # an ERC-721 style Transfer (value indexed too) has the same topic0 but one more topic
    assert logic.decode_log(dict(log, topics=log['topics'] + ['0x' + '00' * 32]), topics) is None


def test_bridge_event_wins_over_its_transfer_on_foreign():
    logs = decoded('foreign', transfer(SENDER, BRIDGE, 50, log_index=0),
                   raw_log(bridge_abi.FOREIGN_BRIDGE, 'UserRequestForAffirmation', [RECIPIENT, 50], BRIDGE, log_index=1))
    requests, collected = logic.requests_from_logs('foreign', logs, cs(BRIDGE), cs(TOKEN))
    assert collected == []
    assert len(requests) == 1
    req = requests[0]
    assert (req['source'], req['recipient'], req['value'], req['sender'], req['log_index']) == (
        'event', cs(RECIPIENT), 50, cs(SENDER), 1)
    assert logic.decide('foreign', req, 100, 200, whitelisted=False) == logic.DEPOSIT  # the contract checked it


def test_plain_transfer_is_a_deposit_for_its_sender():
    logs = decoded('foreign', transfer(SENDER, BRIDGE, 50))
    (req,), _collected = logic.requests_from_logs('foreign', logs, BRIDGE, TOKEN)
    assert (req['source'], req['recipient'], req['sender'], req['value']) == ('transfer', cs(SENDER), cs(SENDER), 50)


def test_transfers_elsewhere_from_the_bridge_of_zero_or_other_tokens_are_ignored():
    other_token = dict(transfer(SENDER, BRIDGE, 5, tx='0x' + '01' * 32), address='0x' + '99' * 20)
    logs = decoded('foreign', transfer(SENDER, RECIPIENT, 5, tx='0x' + '02' * 32),
                   transfer(BRIDGE, BRIDGE, 5, tx='0x' + '03' * 32),
                   transfer(SENDER, BRIDGE, 0, tx='0x' + '04' * 32), other_token)
    assert logic.requests_from_logs('foreign', logs, BRIDGE, TOKEN) == ([], [])


def test_several_transfers_in_one_transaction_are_one_request():
    logs = decoded('foreign', transfer(SENDER, BRIDGE, 5, log_index=2), transfer(SENDER, BRIDGE, 7, log_index=5),
                   transfer(SENDER, BRIDGE, 1, tx=TX2, block=11))
    requests, _collected = logic.requests_from_logs('foreign', logs, BRIDGE, TOKEN)
    assert [(r['tx_hash'], r['value'], r['log_index'], r['merged']) for r in requests] == [(TX, 12, 2, 2), (TX2, 1, 0, 1)]


def test_home_funding_is_not_a_withdrawal():
    logs = decoded('home', transfer(SENDER, BRIDGE, 500, log_index=0),
                   raw_log(bridge_abi.HOME_BRIDGE, 'Funded', [SENDER, 500], BRIDGE, log_index=1))
    assert logic.requests_from_logs('home', logs, BRIDGE, TOKEN) == ([], [])


def test_home_plain_transfer_and_requests():
    logs = decoded('home', transfer(SENDER, BRIDGE, 5, tx=TX),
                   transfer(SENDER, BRIDGE, 8, tx=TX2, log_index=0),
                   raw_log(bridge_abi.HOME_BRIDGE, 'UserRequestForSignature', [RECIPIENT, 8], BRIDGE, tx=TX2, log_index=1))
    requests, _collected = logic.requests_from_logs('home', logs, BRIDGE, TOKEN)
    assert [(r['source'], r['recipient'], r['value']) for r in requests] == [
        ('transfer', cs(SENDER), 5), ('event', cs(RECIPIENT), 8)]


def test_erc_to_native_home_has_no_token_transfers():
    logs = decoded('home', transfer(SENDER, BRIDGE, 5, tx=TX),
                   raw_log(bridge_abi.HOME_BRIDGE, 'UserRequestForSignature', [RECIPIENT, 3], BRIDGE, tx=TX2))
    requests, _collected = logic.requests_from_logs('home', logs, BRIDGE, None)
    assert [(r['source'], r['value']) for r in requests] == [('event', 3)]


def test_collected_signatures_are_reported_beside_requests():
    logs = decoded('home', raw_log(bridge_abi.HOME_BRIDGE, 'CollectedSignatures', [SENDER, b'\x07' * 32, 2], BRIDGE,
                                   log_index=3))
    requests, collected = logic.requests_from_logs('home', logs, BRIDGE, TOKEN)
    assert requests == []
    assert collected == [{'tx_hash': TX, 'log_index': 3, 'block_number': 10, 'block_hash': '0x' + '%064x' % 10,
                          'authority': cs(SENDER), 'message_hash': '0x' + '07' * 32, 'signatures': 2}]
    stored = logic.collected_row(collected[0], 12.5)
    assert (stored['kind'], stored['recipient'], stored['value'], stored['not_before']) == (
        logic.COLLECTED, cs(SENDER), 2, 12.5)


def test_bridge_events_from_another_address_are_ignored():
    logs = decoded('foreign', raw_log(bridge_abi.FOREIGN_BRIDGE, 'UserRequestForAffirmation', [RECIPIENT, 5],
                                      '0x' + '98' * 20))
    assert logic.requests_from_logs('foreign', logs, BRIDGE, TOKEN) == ([], [])


# --------------------------------------------------------------------------------------------
# decisions
# --------------------------------------------------------------------------------------------
def plain(value):
    return {'source': 'transfer', 'value': value, 'recipient': cs(SENDER), 'sender': cs(SENDER)}


@pytest.mark.parametrize('value,whitelisted,kind', [
    (100, True, logic.DEPOSIT),
    (200, True, logic.DEPOSIT),
    (99, True, logic.DEPOSIT_REFUND),
    (201, True, logic.DEPOSIT_REFUND),
    (150, False, logic.DEPOSIT_REFUND),
])
def test_foreign_plain_transfer_limits_and_whitelist(value, whitelisted, kind):
    assert logic.decide('foreign', plain(value), 100, 200, whitelisted) == kind


@pytest.mark.parametrize('value,kind', [
    (100, logic.WITHDRAWAL), (200, logic.WITHDRAWAL), (99, logic.WITHDRAWAL_REFUND), (201, logic.WITHDRAWAL_REFUND),
])
def test_home_plain_transfer_limits(value, kind):
    assert logic.decide('home', plain(value), 100, 200) == kind


def test_home_request_event_is_always_a_withdrawal():
    assert logic.decide('home', dict(plain(1), source='event'), 100, 200) == logic.WITHDRAWAL


def test_kinds_target_the_right_chain():
    assert logic.target_chain(logic.DEPOSIT) == 'home'
    assert logic.target_chain(logic.DEPOSIT_REFUND) == 'home'
    assert logic.target_chain(logic.WITHDRAWAL) == 'home'
    assert logic.target_chain(logic.WITHDRAWAL_REFUND) == 'home'
    assert logic.target_chain(logic.COLLECTED) == 'foreign'
    assert set(logic.AFFIRMATION_KINDS) == {logic.DEPOSIT, logic.WITHDRAWAL_REFUND}
    assert set(logic.SIGNATURE_KINDS) == {logic.WITHDRAWAL, logic.DEPOSIT_REFUND}


def test_relay_timing_and_backoff():
    me = cs(SENDER)
    assert logic.relay_not_before(me.lower(), me, 100.0, 30) == 100.0
    assert logic.relay_not_before(cs(RECIPIENT), me, 100.0, 30) == 130.0
    assert [logic.backoff(n) for n in range(4)] == [5.0, 10.0, 20.0, 40.0]
    assert logic.backoff(50) == 600.0


# --------------------------------------------------------------------------------------------
# config
# --------------------------------------------------------------------------------------------
def config(**over):
    doc = {'validator': RECIPIENT, 'keystore': '/k', 'password_file': '/p', 'db': '/d.db',
           'health': {'host': '127.0.0.1', 'port': 18000}, 'relay_delay': 5, 'poll_interval': 1,
           'home': {'rpc_url': 'http://127.0.0.1:1', 'chain_id': 1, 'bridge': BRIDGE, 'token': TOKEN, 'mode': 'erc_to_erc',
                    'start_block': 3},
           'foreign': {'rpc_url': 'http://127.0.0.1:2', 'chain_id': 2, 'bridge': FOREIGN_BRIDGE, 'token': TOKEN}}
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(doc.get(key), dict):
            doc[key] = dict(doc[key], **value)
        else:
            doc[key] = value
    return doc


def test_config_is_normalised():
    cfg = parse_config(config())
    assert cfg['validator'] == cs(RECIPIENT) and cfg['home']['bridge'] == cs(BRIDGE)
    assert cfg['foreign']['start_block'] == 0 and cfg['home']['start_block'] == 3
    assert cfg['relay_delay'] == 5.0 and cfg['block_range'] == 1000


@pytest.mark.parametrize('over,match', [
    ({'health': {'host': '0.0.0.0'}}, 'loopback'),
    ({'health': {'host': '10.1.2.3'}}, 'loopback'),
    ({'home': {'token': None}}, 'home.token is required'),
    ({'home': {'mode': 'erc_to_native'}}, 'must be null'),
    ({'home': {'mode': 'native'}}, 'home.mode'),
    ({'foreign': {'chain_id': 1}}, 'must differ'),
    ({'foreign': {'token': None}}, 'foreign.token'),
    ({'validator': '0x1234'}, 'validator'),
    ({'home': {'bridge': 'zz' * 21}}, 'home.bridge'),
    ({'poll_interval': 0}, 'poll_interval'),
    ({'db': None}, '"db" is missing'),
])
def test_config_errors(over, match):
    with pytest.raises(ConfigError, match=match):
        parse_config(config(**over))


def test_erc_to_native_config():
    cfg = parse_config(config(home={'mode': 'erc_to_native', 'token': None}))
    assert cfg['home']['token'] is None and cfg['home']['mode'] == 'erc_to_native'


def test_logged_urls_lose_paths_and_credentials():
    assert public_url('https://user:secret@mainnet.example.org/v3/0123456789abcdef') == 'https://mainnet.example.org'
    assert public_url('http://127.0.0.1:8545') == 'http://127.0.0.1:8545'


# --------------------------------------------------------------------------------------------
# health endpoint
# --------------------------------------------------------------------------------------------
def test_health_is_loopback_only():
    assert check_loopback('127.0.0.1') == '127.0.0.1'
    assert check_loopback('::1') == '::1'
    assert check_loopback('localhost') == 'localhost'
    for host in ('0.0.0.0', '192.168.1.10', 'example.org', '::'):
        with pytest.raises(HealthError):
            check_loopback(host)
    with pytest.raises(HealthError):
        HealthServer('0.0.0.0', 0, Snapshot())


def test_health_serves_the_snapshot():
    snapshot = Snapshot({'validator': RECIPIENT, 'home': {'head': 5}})
    server = HealthServer('127.0.0.1', 0, snapshot).start()
    try:
        url = 'http://127.0.0.1:%d' % server.port
        with urllib.request.urlopen(url + '/health', timeout=5) as answer:
            assert answer.headers['Content-Type'] == 'application/json'
            assert json.load(answer) == {'validator': RECIPIENT, 'home': {'head': 5}}
        snapshot.set({'validator': RECIPIENT, 'pending': {'events': 1, 'outbox': 0}})
        with urllib.request.urlopen(url + '/health', timeout=5) as answer:
            assert json.load(answer)['pending'] == {'events': 1, 'outbox': 0}
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(url + '/other', timeout=5)
        assert info.value.code == 404
    finally:
        server.stop()


# --------------------------------------------------------------------------------------------
# the hand-written ABIs against the compiled contracts
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize('name,mine', [
    ('HomeBridge', bridge_abi.HOME_BRIDGE), ('ForeignBridge', bridge_abi.FOREIGN_BRIDGE),
    ('BridgeValidators', bridge_abi.BRIDGE_VALIDATORS),
])
def test_abi_matches_the_artifacts(name, mine):
    path = ARTIFACTS / ('%s.json' % name)
    if not path.exists():
        pytest.skip('%s not built' % path)
    theirs = {}
    for entry in json.loads(path.read_text())['abi']:
        if entry['type'] in ('function', 'event'):
            theirs[(entry['type'], bridge_abi.signature_of(entry))] = entry
    for entry in mine:
        key = (entry['type'], bridge_abi.signature_of(entry))
        assert key in theirs, key
        if entry['type'] == 'event':
            assert [i['indexed'] for i in entry['inputs']] == [i['indexed'] for i in theirs[key]['inputs']], key
        else:
            assert [o['type'] for o in entry['outputs']] == [o['type'] for o in theirs[key]['outputs']], key
            assert entry['stateMutability'] == theirs[key]['stateMutability'], key


BLOCK_ANSIBLE = r"""
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == 'ansible' or name.startswith('ansible.'):
            raise ImportError('no ansible-core here: ' + name)
sys.meta_path.insert(0, Block())
from ansible_collections.poa.consortium.plugins.module_utils.bridge import chain, service
assert not hasattr(chain, 'missing_required_lib')
print(chain.load_account(sys.argv[1], sys.argv[2]).address)
"""


def test_service_runs_on_a_host_without_ansible_core(tmp_path):
    """The service imports rpc.py, whose only ansible-core import is inside run_module."""
    account = Account.from_key('0x' + '07' * 32)
    keystore = tmp_path / 'key.json'
    keystore.write_text(json.dumps(Account.encrypt(account.key, 'pw', kdf='pbkdf2', iterations=2)))
    password = tmp_path / 'pw'
    password.write_text('pw\n')
    env = dict(os.environ, PYTHONPATH=str(ROOT / '.ansible' / 'collections'))
    proc = subprocess.run([sys.executable, '-c', BLOCK_ANSIBLE, str(keystore), str(password)], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == account.address


# --------------------------------------------------------------------------------------------
# the validator's loop against fake chains (scan, reorg, act, confirm, backoff)
# --------------------------------------------------------------------------------------------
class FakeChain:
    """The subset of ChainClient the Validator uses, over an in-memory chain of 30 blocks."""

    def __init__(self, name, store, bridge, token):
        self.name, self.store, self.bridge_address, self.token = name, store, cs(bridge), token
        self.address = Account.from_key(KEY).address
        self.hashes = ['0x%064x' % (n + 1) for n in range(30)]
        self.block_logs = {}
        self.views = {'requiredBlockConfirmations': 1, 'minPerTx': 10, 'maxPerTx': 1000, 'requiredSignatures': 2,
                      'isWhitelisted': True, 'numMessagesSigned': 0}
        self.sent, self.broadcasts, self.receipts, self.pool = [], [], {}, set()
        self.latest_nonce = 0
        self.down = False

    def fork(self, at, salt='f'):
        """Replace blocks from `at` on with other hashes (and no logs)."""
        for n in range(at, len(self.hashes)):
            self.hashes[n] = '0x' + salt * 8 + '%056x' % n
            self.block_logs.pop(n, None)

    def add_log(self, log):
        log = dict(log, blockHash=self.hashes[log['blockNumber']])
        self.block_logs.setdefault(log['blockNumber'], []).append(log)

    def head(self):
        if self.down:
            raise ConnectionError('connection refused')
        return len(self.hashes) - 1

    def balance(self):
        return 10 ** 18

    def block(self, number):
        if number >= len(self.hashes):
            raise ValueError('block not found')
        return self.hashes[number], self.hashes[number - 1] if number else '0x' + '00' * 32

    def logs(self, first, last, address, topics):
        out = []
        for number in range(first, last + 1):
            for log in self.block_logs.get(number, []):
                if log['address'].lower() == address.lower() and log['topics'][0] in topics[0]:
                    if len(topics) < 3 or log['topics'][2] == topics[2]:
                        out.append(log)
        return out

    def view(self, function, *args, block='latest', contract=None):  # pylint: disable=unused-argument
        value = self.views.get(function, False)
        return value(*args) if callable(value) else value

    def nonce(self, _block='pending'):
        return self.latest_nonce

    def receipt(self, tx_hash):
        return self.receipts.get(tx_hash)

    def known(self, tx_hash):
        return tx_hash in self.pool

    def broadcast(self, raw_tx):
        self.broadcasts.append(raw_tx)
        return 'sent'

    def send(self, function, args, purpose, event_id=None):
        nonce = ChainClient.next_nonce(self)
        tx_hash = '0x%064x' % (0xabc000 + len(self.sent) + (0 if self.name == 'home' else 0x100))
        outbox_id = self.store.record_send(self.name, nonce, tx_hash, '0xraw%d' % len(self.sent), purpose, event_id)
        self.sent.append((function, args, tx_hash))
        self.pool.add(tx_hash)
        return tx_hash, nonce, 'sent', outbox_id


class Clock:
    def __init__(self, now=1000.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def validator(tmp_path):
    from ansible_collections.poa.consortium.plugins.module_utils.bridge.service import Validator
    account = Account.from_key(KEY)
    cfg = parse_config(config(validator=account.address, relay_delay=30, block_range=10,
                              home={'start_block': 1}, foreign={'start_block': 1}))
    store = Store(str(tmp_path / 'v.db'))
    clock = Clock()
    val = Validator(cfg, store, account, clock=clock)
    val.sides['home'].client = FakeChain('home', store, BRIDGE, TOKEN)
    val.sides['foreign'].client = FakeChain('foreign', store, FOREIGN_BRIDGE, TOKEN)
    val.clock_ = clock
    yield val
    store.close()


def chains(val):
    return val.sides['home'].client, val.sides['foreign'].client


def test_plain_deposit_is_voted_once_then_confirmed(validator):
    home, foreign = chains(validator)
    foreign.add_log(transfer(SENDER, FOREIGN_BRIDGE, 100, block=5))
    validator.step()
    assert validator.store.cursor('foreign') == (28, foreign.hashes[28])  # head 29 - 1 confirmation
    assert [(f, a[:2]) for f, a, _tx in home.sent] == [('executeAffirmation', [cs(SENDER), 100])]
    assert home.sent[0][1][2] == bytes.fromhex('ab' * 32)
    validator.step()
    assert len(home.sent) == 1  # sent, waiting for its receipt
    home.receipts[home.sent[0][2]] = {'status': 1, 'blockNumber': 29, 'gasUsed': 80000}
    validator.step()
    (event,) = validator.store.events('foreign')
    assert (event['kind'], event['status']) == (logic.DEPOSIT, 'done')
    assert validator.snapshot.get()['pending'] == {'events': 0, 'outbox': 0}


def test_nothing_is_sent_when_the_chain_already_has_the_vote(validator):
    home, foreign = chains(validator)
    foreign.add_log(transfer(SENDER, FOREIGN_BRIDGE, 100, block=5))
    home.views['hasVotedAffirmation'] = True
    validator.step()
    assert home.sent == []
    assert validator.store.events('foreign')[0]['status'] == 'done'


def test_refused_plain_deposit_is_refunded_with_a_signed_message(validator):
    home, foreign = chains(validator)
    foreign.add_log(transfer(SENDER, FOREIGN_BRIDGE, 100, block=5))
    foreign.views['isWhitelisted'] = False
    validator.step()
    ((function, (signature, msg), _tx),) = home.sent
    assert function == 'submitSignature'
    assert m.decode_message(msg) == (cs(SENDER), 100, TX, cs(FOREIGN_BRIDGE))
    assert m.recover_signer(msg, signature) == validator.me
    assert validator.store.events('foreign')[0]['kind'] == logic.DEPOSIT_REFUND


def test_home_plain_transfer_outside_limits_is_refunded_at_home(validator):
    home, _foreign = chains(validator)
    home.add_log(transfer(SENDER, BRIDGE, 5000, block=4))
    validator.step()
    assert [(f, a[:2]) for f, a, _tx in home.sent] == [('executeAffirmation', [cs(SENDER), 5000])]
    assert validator.store.events('home')[0]['kind'] == logic.WITHDRAWAL_REFUND


def test_collected_signatures_wait_for_the_named_relayer(validator):
    home, foreign = chains(validator)
    msg = m.encode_message(RECIPIENT, 7, TX, FOREIGN_BRIDGE)
    sigs = [m.sign_message(Account.from_key(KEY), msg), m.sign_message(Account.from_key('0x' + '09' * 32), msg)]
    home.views.update({'message': lambda _key: msg, 'signature': lambda _key, i: sigs[i]})
    home.add_log(raw_log(bridge_abi.HOME_BRIDGE, 'CollectedSignatures', [RECIPIENT, m.message_hash(msg), 2], BRIDGE,
                         tx=TX2, block=6))
    validator.step()
    assert foreign.sent == []  # another validator is named: wait relay_delay
    validator.clock_.now += 31
    validator.step()
    ((function, (sent_msg, joined), _tx),) = foreign.sent
    assert function == 'executeSignatures' and sent_msg == msg and joined == sigs[0] + sigs[1]


def test_our_completing_signature_is_relayed_from_its_receipt_before_the_scan_reaches_it(validator):
    home, foreign = chains(validator)
    msg = m.encode_message(RECIPIENT, 7, TX, FOREIGN_BRIDGE)
    sigs = [m.sign_message(Account.from_key(KEY), msg), m.sign_message(Account.from_key('0x' + '09' * 32), msg)]
    home.views.update({'message': lambda _key: msg, 'signature': lambda _key, i: sigs[i]})
    validator.sides['home'].retry_at = 1e12  # no scan: only the receipt can tell
    mine = '0x' + '%064x' % 0xf1
    validator.store.record_send('home', 0, mine, '0xraw', 'submitSignature:' + TX)
    log = raw_log(bridge_abi.HOME_BRIDGE, 'CollectedSignatures', [validator.me, m.message_hash(msg), 2], BRIDGE,
                  tx=mine, block=29)
    home.receipts[mine] = {'status': 1, 'blockNumber': 29, 'gasUsed': 1,
                           'logs': [dict(log, blockHash=home.hashes[29])]}
    validator.confirm(validator.sides['home'])
    (event,) = validator.store.events('home')
    assert (event['kind'], event['tx_hash'], event['not_before']) == (logic.COLLECTED, mine, validator.clock_.now)
    validator.sides['home'].retry_at = 0
    validator.step()
    ((function, (sent_msg, joined), _tx),) = foreign.sent
    assert function == 'executeSignatures' and sent_msg == msg and joined == sigs[0] + sigs[1]
    # the scan that reaches block 29 later finds the same log and adds nothing
    home.add_log(log)
    validator.step()
    assert len(validator.store.events('home')) == 1 and len(foreign.sent) == 1


def test_collected_signatures_already_relayed_are_skipped(validator):
    home, foreign = chains(validator)
    msg = m.encode_message(RECIPIENT, 7, TX, FOREIGN_BRIDGE)
    home.views['message'] = lambda _key: msg
    foreign.views['relayedMessages'] = True
    home.add_log(raw_log(bridge_abi.HOME_BRIDGE, 'CollectedSignatures', [validator.me, m.message_hash(msg), 2], BRIDGE,
                         tx=TX2, block=6))
    validator.step()
    assert foreign.sent == []
    assert validator.store.events('home')[0]['status'] == 'skipped'


def test_reorg_rewinds_to_the_last_canonical_block_and_drops_unsent_events(validator):
    home, foreign = chains(validator)
    validator.sides['home'].retry_at = 1e12  # home down: nothing is acted on
    foreign.add_log(transfer(SENDER, FOREIGN_BRIDGE, 100, tx=TX, block=15))
    foreign.add_log(transfer(SENDER, FOREIGN_BRIDGE, 200, tx=TX2, block=25))
    validator.step()  # ranges 1-10, 11-20, 21-28
    assert [b for b, _hash in validator.store.known_blocks('foreign')] == [28, 20, 10]
    assert [e['tx_hash'] for e in validator.store.events('foreign')] == [TX, TX2]
    foreign.fork(22)  # the block of TX2 is gone, the one of TX stays
    validator.step()
    assert validator.store.cursor('foreign') == (20, foreign.hashes[20])
    assert [e['tx_hash'] for e in validator.store.events('foreign')] == [TX]
    validator.step()
    assert validator.store.cursor('foreign') == (28, foreign.hashes[28])
    assert [e['tx_hash'] for e in validator.store.events('foreign')] == [TX]
    assert home.sent == []


def test_confirm_settles_mined_reverted_dropped_and_lost_transactions(validator):
    home, foreign = chains(validator)
    validator.sides['home'].retry_at = 1e12  # keep the step's own act() out of the way
    for n, tx in enumerate(('0x' + '%064x' % 0xa1, '0x' + '%064x' % 0xa2, '0x' + '%064x' % 0xa3, '0x' + '%064x' % 0xa4)):
        foreign.add_log(transfer(SENDER, FOREIGN_BRIDGE, 100 + n, tx=tx, block=3 + n))
    validator.step()
    events = validator.store.events('foreign')
    sent = ['0x%064x' % (0xf00 + n) for n in range(4)]
    for n, event in enumerate(events):
        validator.store.record_send('home', n, sent[n], '0xraw%d' % n, 'executeAffirmation', event['id'])
    home.receipts[sent[0]] = {'status': 1, 'blockNumber': 20, 'gasUsed': 1}
    home.receipts[sent[1]] = {'status': 0, 'blockNumber': 20, 'gasUsed': 1}
    processed = m.affirmation_hash(cs(SENDER), 101, events[1]['tx_hash'])
    home.views['isAffirmationProcessed'] = lambda key: key == processed
    home.latest_nonce = 3  # nonce 2 was used by something else; nonce 3 is unknown to the node
    validator.confirm(validator.sides['home'])
    status = {e['tx_hash']: (e['status'], e['attempts']) for e in validator.store.events('foreign')}
    assert status == {events[0]['tx_hash']: ('done', 0), events[1]['tx_hash']: ('skipped', 0),
                      events[2]['tx_hash']: ('pending', 1), events[3]['tx_hash']: ('sent', 0)}
    assert home.broadcasts == ['0xraw3']
    assert [r['status'] for r in validator.store.outbox('home')] == ['mined', 'reverted', 'dropped', 'pending']


def test_rpc_failure_on_one_chain_backs_it_off_and_the_other_goes_on(validator):
    home, foreign = chains(validator)
    foreign.down = True
    home.add_log(transfer(SENDER, BRIDGE, 100, block=4))
    validator.step()
    foreign_side = validator.sides['foreign']
    assert foreign_side.failures == 1 and foreign_side.retry_at > validator.clock_.now
    assert 'connection refused' in validator.last_error['error']
    assert validator.store.cursor('home')[0] == 28 and len(home.sent) == 1
    foreign.down = False
    validator.clock_.now = foreign_side.retry_at
    validator.step()
    assert foreign_side.failures == 0 and validator.store.cursor('foreign')[0] == 28
    doc = validator.snapshot.get()
    assert doc['foreign']['lag'] == 1 and doc['home']['head'] == 29 and doc['last_error']


# --------------------------------------------------------------------------------------------
# erc_to_native: wei at home, nRLC on foreign (home.decimals_shift)
# --------------------------------------------------------------------------------------------
NRLC_WEI = 10 ** 9


@pytest.mark.parametrize('kind,value,paid', [
    (logic.DEPOSIT, 7, 7 * NRLC_WEI),
    (logic.WITHDRAWAL, 7 * NRLC_WEI, 7),
    (logic.DEPOSIT_REFUND, 7, 7),
    (logic.WITHDRAWAL_REFUND, 7 * NRLC_WEI + 1, 7 * NRLC_WEI + 1),
])
def test_payout_value_scales_across_chains_and_refunds_stay(kind, value, paid):
    assert logic.payout_value(kind, value, 9) == paid
    assert logic.payout_value(kind, value, 0) == value
    assert logic.payout_value(kind, str(value), 9) == paid  # the store keeps values as text


@pytest.mark.parametrize('source', ['event', 'transfer'])
def test_home_request_not_a_whole_foreign_unit_is_refunded(source):
    request = dict(plain(5 * NRLC_WEI), source=source)
    assert logic.decide('home', request, 1, 10 ** 30, decimals_shift=9) == logic.WITHDRAWAL
    for value in (5 * NRLC_WEI + 1, NRLC_WEI - 1):
        assert logic.decide('home', dict(request, value=value), 1, 10 ** 30, decimals_shift=9) == logic.WITHDRAWAL_REFUND
    # without a shift every value is whole: unchanged behaviour
    assert logic.decide('home', dict(request, value=5 * NRLC_WEI + 1), 1, 10 ** 30) == logic.WITHDRAWAL


def test_foreign_deposits_ignore_the_shift():
    request = dict(plain(5), source='event')
    assert logic.decide('foreign', request, decimals_shift=9) == logic.DEPOSIT


def test_refund_rows_pay_the_sender_not_the_named_recipient():
    request = {'tx_hash': TX, 'log_index': 0, 'block_number': 3, 'block_hash': '0x' + '03' * 32, 'source': 'event',
               'recipient': cs(RECIPIENT), 'value': 5, 'sender': cs(SENDER)}
    assert logic.event_row('home', request, logic.WITHDRAWAL_REFUND)['recipient'] == cs(SENDER)
    assert logic.event_row('home', request, logic.WITHDRAWAL)['recipient'] == cs(RECIPIENT)


def test_decimals_shift_config():
    assert parse_config(config())['home']['decimals_shift'] == 0
    native = parse_config(config(home={'mode': 'erc_to_native', 'token': None, 'decimals_shift': 9}))
    assert native['home']['decimals_shift'] == 9
    for bad in (-1, True, '9', 9.0, 37):
        with pytest.raises(ConfigError, match='decimals_shift'):
            parse_config(config(home={'decimals_shift': bad}))


class _Tx:
    """web3's eth.get_transaction for a FakeChain: every transaction is from SENDER."""

    def __init__(self):
        self.asked = []

    def get_transaction(self, tx_hash):
        self.asked.append(tx_hash)
        return {'from': SENDER.lower()}


@pytest.fixture
def native_validator(tmp_path):
    from types import SimpleNamespace

    from ansible_collections.poa.consortium.plugins.module_utils.bridge.service import Validator
    account = Account.from_key(KEY)
    cfg = parse_config(config(validator=account.address, relay_delay=30, block_range=10, foreign={'start_block': 1},
                              home={'start_block': 1, 'mode': 'erc_to_native', 'token': None, 'decimals_shift': 9}))
    store = Store(str(tmp_path / 'v.db'))
    val = Validator(cfg, store, account, clock=Clock())
    home = FakeChain('home', store, BRIDGE, None)
    home.views.update({'minPerTx': NRLC_WEI, 'maxPerTx': 10 ** 30})
    home.w3 = SimpleNamespace(eth=_Tx())
    val.sides['home'].client = home
    val.sides['foreign'].client = FakeChain('foreign', store, FOREIGN_BRIDGE, TOKEN)
    yield val
    store.close()


def test_native_deposit_is_affirmed_in_wei(native_validator):
    home, foreign = chains(native_validator)
    foreign.add_log(transfer(SENDER, FOREIGN_BRIDGE, 100, block=5))
    native_validator.step()
    assert [(f, a[:2]) for f, a, _tx in home.sent] == [('executeAffirmation', [cs(SENDER), 100 * NRLC_WEI])]
    (event,) = native_validator.store.events('foreign')
    assert int(event['value']) == 100  # stored as requested, scaled when sent


def test_native_vote_already_cast_is_found_under_the_scaled_value(native_validator):
    home, foreign = chains(native_validator)
    foreign.add_log(transfer(SENDER, FOREIGN_BRIDGE, 100, block=5))
    voted = m.affirmation_hash(cs(SENDER), 100 * NRLC_WEI, TX)
    home.views['hasVotedAffirmation'] = lambda _me, key: key == voted
    native_validator.step()
    assert home.sent == []
    assert native_validator.store.events('foreign')[0]['status'] == 'done'


def test_native_withdrawal_is_released_in_nrlc(native_validator):
    home, _foreign = chains(native_validator)
    home.add_log(raw_log(bridge_abi.HOME_BRIDGE, 'UserRequestForSignature', [RECIPIENT, 3 * NRLC_WEI], BRIDGE, block=4))
    native_validator.step()
    ((function, (signature, msg), _tx),) = home.sent
    assert function == 'submitSignature'
    assert m.decode_message(msg) == (cs(RECIPIENT), 3, TX, cs(FOREIGN_BRIDGE))
    assert m.recover_signer(msg, signature) == native_validator.me
    assert home.w3.eth.asked == []  # a whole withdrawal needs no look-up of its payer


def test_native_withdrawal_with_dust_is_refunded_to_its_payer_at_home(native_validator):
    home, _foreign = chains(native_validator)
    value = 3 * NRLC_WEI + 5
    home.add_log(raw_log(bridge_abi.HOME_BRIDGE, 'UserRequestForSignature', [RECIPIENT, value], BRIDGE, block=4))
    native_validator.step()
    assert [(f, a) for f, a, _tx in home.sent] == [('executeAffirmation', [cs(SENDER), value, bytes.fromhex('ab' * 32)])]
    (event,) = native_validator.store.events('home')
    assert (event['kind'], event['recipient'], event['sender']) == (logic.WITHDRAWAL_REFUND, cs(SENDER), cs(SENDER))
    assert home.w3.eth.asked == [TX]
