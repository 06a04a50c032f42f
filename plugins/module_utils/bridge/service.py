# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bridge validator service (docs/bridge.md, "What the validators do").

Run as ``python -m ansible_collections.poa.consortium.plugins.module_utils.bridge.service
--config /path/config.json``. Each step: scan both chains up to head - requiredBlockConfirmations,
confirm or re-broadcast this validator's transactions, then act on the due events after checking
that the chain does not already have what would be sent. One log line per action on stdout.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from urllib.parse import urlsplit

from ansible_collections.poa.consortium.plugins.module_utils.bridge import abi as bridge_abi
from ansible_collections.poa.consortium.plugins.module_utils.bridge import faults
from ansible_collections.poa.consortium.plugins.module_utils.bridge import logic
from ansible_collections.poa.consortium.plugins.module_utils.bridge import message as bridge_message
from ansible_collections.poa.consortium.plugins.module_utils.bridge.chain import (
    ChainClient, ChainError, Reverted, load_account, open_web3,
)
from ansible_collections.poa.consortium.plugins.module_utils.rpc import RpcError
from ansible_collections.poa.consortium.plugins.module_utils.bridge.health import (
    HealthError, HealthServer, Snapshot, check_loopback,
)
from ansible_collections.poa.consortium.plugins.module_utils.bridge.store import Store, StoreError

HOME, FOREIGN = logic.HOME, logic.FOREIGN
MODES = {'erc_to_erc': 0, 'erc_to_native': 1}
BLOCK_RANGE = 1000
RANGES_PER_STEP = 20
ACTIONS_PER_STEP = 50
MAX_CHAIN_BACKOFF = 60.0
MAX_DECIMALS_SHIFT = 36
LOG = logging.getLogger('poa.bridge')


class ConfigError(ValueError):
    """The config file is missing something or has a wrong value."""


def _address(value, where):
    text = value if isinstance(value, str) else ''
    if len(text) != 42 or not text.startswith('0x'):
        raise ConfigError('%s must be a 0x address of 40 hex digits, got %r' % (where, value))
    try:
        int(text[2:], 16)
    except ValueError as exc:
        raise ConfigError('%s must be a 0x address of 40 hex digits, got %r' % (where, value)) from exc
    return bridge_message.to_checksum_address(text.lower())


def _int(value, where, minimum=0):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError('%s must be an integer >= %d, got %r' % (where, minimum, value))
    return value


def _number(value, where, minimum=0.0):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise ConfigError('%s must be a number >= %s, got %r' % (where, minimum, value))
    return float(value)


def parse_config(doc):
    """Validate a config document (dict) and return it normalised (checksummed addresses, defaults)."""
    if not isinstance(doc, dict):
        raise ConfigError('the config must be a JSON object')
    out = {}
    for name in ('validator', 'keystore', 'password_file', 'db', 'home', 'foreign'):
        if doc.get(name) in (None, ''):
            raise ConfigError('config key "%s" is missing' % name)
    out['validator'] = _address(doc['validator'], 'validator')
    for name in ('keystore', 'password_file', 'db'):
        if not isinstance(doc[name], str):
            raise ConfigError('%s must be a path' % name)
        out[name] = doc[name]
    health = doc.get('health') or {}
    out['health'] = {'host': health.get('host', '127.0.0.1'), 'port': _int(health.get('port', 0), 'health.port')}
    try:
        check_loopback(out['health']['host'])
    except HealthError as exc:
        raise ConfigError(str(exc)) from exc
    out['relay_delay'] = _number(doc.get('relay_delay', 30), 'relay_delay')
    out['poll_interval'] = _number(doc.get('poll_interval', 2), 'poll_interval', 0.05)
    out['block_range'] = _int(doc.get('block_range', BLOCK_RANGE), 'block_range', 1)
    for side in (HOME, FOREIGN):
        spec = doc[side]
        if not isinstance(spec, dict):
            raise ConfigError('%s must be an object' % side)
        if not isinstance(spec.get('rpc_url'), str) or not spec['rpc_url']:
            raise ConfigError('%s.rpc_url is missing' % side)
        chain = {'rpc_url': spec['rpc_url'], 'chain_id': _int(spec.get('chain_id'), '%s.chain_id' % side, 1),
                 'bridge': _address(spec.get('bridge'), '%s.bridge' % side),
                 'token': None if spec.get('token') is None else _address(spec['token'], '%s.token' % side),
                 'start_block': _int(spec.get('start_block', 0), '%s.start_block' % side)}
        if side == HOME:
            chain['mode'] = spec.get('mode', 'erc_to_erc')
            if chain['mode'] not in MODES:
                raise ConfigError('home.mode must be erc_to_erc or erc_to_native, got %r' % (chain['mode'],))
            if chain['mode'] == 'erc_to_erc' and chain['token'] is None:
                raise ConfigError('home.token is required in erc_to_erc mode')
            if chain['mode'] == 'erc_to_native' and chain['token'] is not None:
                raise ConfigError('home.token must be null in erc_to_native mode (the home side pays native coin)')
            # home units per foreign unit as a power of ten: 9 for native RLC (wei) against RLC (nRLC)
            chain['decimals_shift'] = _int(spec.get('decimals_shift', 0), 'home.decimals_shift')
            if chain['decimals_shift'] > MAX_DECIMALS_SHIFT:
                raise ConfigError('home.decimals_shift must be at most %d, got %d' % (
                    MAX_DECIMALS_SHIFT, chain['decimals_shift']))
        elif chain['token'] is None:
            raise ConfigError('foreign.token is required')
        out[side] = chain
    if out[HOME]['chain_id'] == out[FOREIGN]['chain_id']:
        raise ConfigError('home.chain_id and foreign.chain_id are both %d; the two chains must differ' % out[HOME]['chain_id'])
    return out


def load_config(path):
    """Read and validate the JSON config file."""
    try:
        with open(path, 'r', encoding='utf-8') as handle:
            doc = json.load(handle)
    except OSError as exc:
        raise ConfigError('cannot read config %s: %s' % (path, exc.strerror)) from exc
    except ValueError as exc:
        raise ConfigError('config %s is not valid JSON: %s' % (path, exc)) from exc
    return parse_config(doc)


def public_url(url):
    """scheme://host:port of an RPC URL: paths and user info may hold API keys, so they are not logged."""
    parts = urlsplit(url)
    return '%s://%s' % (parts.scheme, parts.hostname or '?') + (':%d' % parts.port if parts.port else '')


class Side:
    """One chain's runtime state: its client once connected, backoff, what /health shows."""

    def __init__(self, name, config):
        self.name = name
        self.config = config
        self.client = None
        self.failures = 0
        self.retry_at = 0.0
        self.head = None
        self.balance = None
        self.confirmations = None
        bridge_events = bridge_abi.HOME_EVENTS if name == HOME else bridge_abi.FOREIGN_EVENTS
        self.bridge_abi = bridge_abi.HOME_BRIDGE if name == HOME else bridge_abi.FOREIGN_BRIDGE
        self.bridge_topics = logic.event_topics(self.bridge_abi, bridge_events)
        self.transfer_topics = logic.event_topics(bridge_abi.ERC20, [logic.TRANSFER])
        self.topics = dict(self.bridge_topics)
        self.topics.update(self.transfer_topics)

    def up(self, now):
        """Connected and not backing off."""
        return self.client is not None and now >= self.retry_at


class Validator:
    """Scans both chains, keeps the store, sends this validator's transactions."""

    def __init__(self, config, store, account, snapshot=None, clock=time.time, web3_factory=open_web3, stop=None):
        if account.address != config['validator']:
            raise ConfigError('the keystore holds the key of %s but the config says validator %s'
                              % (account.address, config['validator']))
        self.config = config
        self.store = store
        self.account = account
        self.me = account.address
        self.clock = clock
        self.web3_factory = web3_factory
        self.stop = stop or threading.Event()
        self.snapshot = snapshot or Snapshot()
        self.sides = {HOME: Side(HOME, config[HOME]), FOREIGN: Side(FOREIGN, config[FOREIGN])}
        self.started = clock()
        self.last_error = None
        self.shift = config[HOME].get('decimals_shift', 0)
        self.publish()

    # -- main loop ----------------------------------------------------------------------------------
    def run(self):
        """Steps until stop is set. ChainError (wrong chain, missing contract) is raised: fatal."""
        while not self.stop.is_set():
            try:
                self.step()
            except (ChainError, ConfigError):
                raise
            except Exception as exc:  # pylint: disable=broad-exception-caught
                # a bug must not stop the validator
                self.note_error('step', exc)
                LOG.exception('step failed: %s', exc)
            self.stop.wait(self.config['poll_interval'])

    def step(self):
        """One pass: connect what is not connected, scan, confirm, act, publish the health snapshot."""
        for side in self.sides.values():
            if side.client is None and self.clock() >= side.retry_at and not self.stop.is_set():
                self.guard(side, 'connect', self.connect, side)
        for side in self.sides.values():
            if side.up(self.clock()) and not self.stop.is_set():
                if self.guard(side, 'scan', self.scan, side):
                    self.guard(side, 'confirm', self.confirm, side)
        if not self.stop.is_set():
            self.act()
        self.publish()

    def guard(self, side, what, func, *args):
        """Run one chain's step; an RPC failure backs that chain off instead of stopping the service."""
        try:
            func(*args)
        except (ChainError, ConfigError):
            raise
        except Exception as exc:  # pylint: disable=broad-exception-caught
            self.fail(side, what, exc)
            return False
        side.failures = 0
        return True

    def fail(self, side, what, exc):
        """Back a chain off after a failure (doubling up to a minute) and remember the error."""
        side.failures += 1
        delay = min(MAX_CHAIN_BACKOFF, self.config['poll_interval'] * 2 ** min(side.failures - 1, 10))
        side.retry_at = self.clock() + delay
        self.note_error('%s %s' % (side.name, what), exc)
        LOG.warning('%s: %s failed: %s; retrying in %.1f s', side.name, what, _short(exc), delay)

    def note_error(self, what, exc):
        """Keep the last error for /health."""
        self.last_error = {'what': what, 'error': _short(exc), 'at': self.clock()}

    def publish(self):
        """Replace the /health document."""
        doc = {'validator': self.me, 'started': self.started, 'pending': self.store.counts()}
        for name, side in self.sides.items():
            cursor = self.store.cursor(name)
            number = None if cursor is None else cursor[0]
            lag = None if side.head is None or number is None else max(0, side.head - number)
            doc[name] = {'head': side.head, 'cursor': number, 'lag': lag, 'balance_wei': side.balance,
                         'connected': side.client is not None, 'confirmations': side.confirmations}
        if self.last_error is not None:
            doc['last_error'] = self.last_error
        self.snapshot.set(doc)

    # -- connecting -----------------------------------------------------------------------------------
    def connect(self, side):
        """Connect a chain: check chain id, contracts and mode, then re-broadcast pending transactions."""
        cfg = side.config
        w3 = self.web3_factory(cfg['rpc_url'])
        client = ChainClient(side.name, w3, cfg['chain_id'], self.account, self.store, cfg['bridge'], side.bridge_abi, LOG)
        client.check_chain_id()
        client.check_code(cfg['bridge'], 'bridge')
        if cfg['token'] is not None:
            client.check_code(cfg['token'], 'token')
            bridge_token = client.view('erc20token')
            if bridge_token.lower() != cfg['token'].lower():
                raise ChainError('%s: the bridge at %s works with token %s but the config says %s'
                                 % (side.name, cfg['bridge'], bridge_token, cfg['token']))
        if side.name == HOME:
            mode = int(client.view('mode'))
            if mode != MODES[cfg['mode']]:
                raise ChainError('home: the bridge at %s is in mode %d but the config says %s (%d)'
                                 % (cfg['bridge'], mode, cfg['mode'], MODES[cfg['mode']]))
        validators = client.contract(client.view('validatorContract'), bridge_abi.BRIDGE_VALIDATORS)
        if not client.view('isValidator', self.me, contract=validators):
            LOG.warning('%s: %s is not in the validator set of %s; its transactions will revert until it is added',
                        side.name, self.me, cfg['bridge'])
        side.client = client
        side.confirmations = int(client.view('requiredBlockConfirmations'))
        LOG.info('%s: connected to chain %d at %s, bridge %s, %d confirmations', side.name, cfg['chain_id'],
                 public_url(cfg['rpc_url']), cfg['bridge'], side.confirmations)
        self.confirm(side, rebroadcast=True)

    # -- scanning ---------------------------------------------------------------------------------------
    def scan(self, side):
        """Scan from cursor + 1 to head - confirmations in bounded ranges, each committed with its cursor."""
        client, name = side.client, side.name
        side.head = client.head()
        side.balance = client.balance()
        side.confirmations = int(client.view('requiredBlockConfirmations'))
        safe = side.head - side.confirmations
        cursor = self.store.cursor(name)
        if cursor is None:
            self.store.init_cursor(name, side.config['start_block'] - 1)
            cursor = self.store.cursor(name)
        number, block_hash = cursor
        if block_hash is not None and client_block_hash(client, number) != block_hash:
            self.rewind(side, 'block %d is no longer %s' % (number, block_hash))
            return
        scanned = 0
        while scanned < RANGES_PER_STEP and number < safe and not self.stop.is_set():
            end = min(number + self.config['block_range'], safe)
            end_hash = self.scan_range(side, number + 1, end, block_hash)
            if end_hash is None:
                break
            number, block_hash = end, end_hash
            scanned += 1

    def scan_range(self, side, first, last, parent_hash):
        """Scan [first, last]; returns the hash of ``last`` once committed, None to retry later."""
        client, name, cfg = side.client, side.name, side.config
        end_hash = client_block_hash(client, last)
        first_hash, first_parent = client.block(first)
        if parent_hash is not None and first_parent != parent_hash:
            self.rewind(side, 'block %d does not follow the stored block %d' % (first, first - 1))
            return None
        raw = list(client.logs(first, last, cfg['bridge'], [list(side.bridge_topics)]))
        if cfg['token'] is not None:
            raw += list(client.logs(first, last, cfg['token'], [list(side.transfer_topics), None,
                                                                logic.address_topic(cfg['bridge'])]))
        decoded = []
        canonical = {first: first_hash, last: end_hash}
        for log in raw:
            if log.get('removed'):
                return None
            item = logic.decode_log(log, side.topics)
            if item is None:
                continue
            number = item['block_number']
            if number not in canonical:
                canonical[number] = client_block_hash(client, number)
            if canonical[number] != item['block_hash']:
                LOG.info('%s: blocks %d-%d changed while being scanned; scanning again', name, first, last)
                return None
            decoded.append(item)
        if client_block_hash(client, last) != end_hash:
            LOG.info('%s: block %d changed while being scanned; scanning again', name, last)
            return None
        requests, collected = logic.requests_from_logs(name, decoded, cfg['bridge'], cfg['token'])
        rows = []
        for request in requests:
            limits = self.limits(side, request) if request['source'] == 'transfer' else {}
            kind = logic.decide(name, request, decimals_shift=self.shift if name == HOME else 0, **limits)
            if kind in logic.REFUND_KINDS and not request.get('sender'):
                # a native withdrawal has no token Transfer naming its payer: the transaction does
                request = dict(request, sender=bridge_message.to_checksum_address(
                    client.w3.eth.get_transaction(request['tx_hash'])['from']))
            rows.append(logic.event_row(name, request, kind))
        now = self.clock()
        for entry in collected:
            not_before = logic.relay_not_before(entry['authority'], self.me, now, self.config['relay_delay'])
            rows.append(logic.collected_row(entry, not_before))
        if rows:  # a crash here loses found requests that are not committed yet
            faults.point('cursor')
        added = self.store.commit_range(name, rows, last, end_hash)
        for row in rows:
            LOG.info('%s: found %s request=%s block=%d recipient=%s value=%d%s', name, row['kind'], row['tx_hash'],
                     row['block_number'], row['recipient'], row['value'],
                     ' message=%s' % row['message_hash'] if row['message_hash'] else '')
        if added != len(rows):
            LOG.info('%s: %d of the %d requests in blocks %d-%d were already known', name, len(rows) - added,
                     len(rows), first, last)
        return end_hash

    def limits(self, side, request):
        """minPerTx, maxPerTx (and isWhitelisted on foreign) at the request's block."""
        block = request['block_number']
        out = {'min_per_tx': self.view_at(side, 'minPerTx', block), 'max_per_tx': self.view_at(side, 'maxPerTx', block)}
        if side.name == FOREIGN:
            out['whitelisted'] = bool(self.view_at(side, 'isWhitelisted', block, request['sender']))
        return out

    def view_at(self, side, function, block, *args):
        """A bridge view at a past block, or at latest when the node has pruned that state."""
        try:
            return side.client.view(function, *args, block=block)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            LOG.info('%s: %s at block %d failed (%s); using the latest state', side.name, function, block, _short(exc))
            return side.client.view(function, *args)

    def rewind(self, side, reason):
        """Move the cursor back to the newest stored block hash that is still canonical."""
        client, name = side.client, side.name
        for number, block_hash in self.store.known_blocks(name):
            if client_block_hash(client, number) == block_hash:
                dropped = self.store.rewind(name, number, block_hash)
                LOG.warning('%s: reorganisation (%s): back to block %d, %d unsent event(s) dropped', name, reason,
                            number, dropped)
                return
        start = side.config['start_block'] - 1
        dropped = self.store.rewind(name, start, None)
        LOG.warning('%s: reorganisation (%s) deeper than the stored hashes: rescanning from block %d, %d unsent '
                    'event(s) dropped', name, reason, start + 1, dropped)

    # -- our transactions --------------------------------------------------------------------------------
    def confirm(self, side, rebroadcast=False):
        """Settle pending outbox rows: receipts, dropped nonces, and re-broadcast what the node lost."""
        client, name = side.client, side.name
        rows = self.store.live_outbox(name)
        if not rows:
            return
        latest = client.nonce('latest')
        for row in rows:
            receipt = client.receipt(row['tx_hash'])
            if receipt is not None:
                if int(receipt['status']) == 1:
                    self.store.finish_outbox(row['id'], 'mined', 'block %d' % int(receipt['blockNumber']),
                                             event_status='done', event_note='mined ' + row['tx_hash'])
                    LOG.info('%s: mined %s tx=%s block=%d gas=%d', name, row['purpose'], row['tx_hash'],
                             int(receipt['blockNumber']), int(receipt['gasUsed']))
                    if name == HOME and row['purpose'].startswith('submitSignature'):
                        self.collected_from_receipt(side, receipt)
                else:
                    self.settle_failure(row, 'reverted', 'reverted in block %d' % int(receipt['blockNumber']))
            elif row['nonce'] < latest:
                self.settle_failure(row, 'dropped', 'nonce %d was used by another transaction' % row['nonce'])
            elif rebroadcast or not client.known(row['tx_hash']):
                outcome = client.broadcast(row['raw_tx'])
                LOG.info('%s: re-broadcast %s tx=%s nonce=%d: %s', name, row['purpose'], row['tx_hash'], row['nonce'],
                         outcome)
                if outcome.startswith('rejected'):
                    self.settle_failure(row, 'rejected', outcome)

    def collected_from_receipt(self, side, receipt):
        """The signature that completes a message is in our receipt: relay it now, without waiting
        for the scan to reach that block at the confirmation depth. Safe even if the block is
        reorged away, since the relay carries M valid signatures of a confirmed request."""
        decoded = [item for item in (logic.decode_log(log, side.topics) for log in receipt.get('logs') or []) if item is not None]
        _requests, collected = logic.requests_from_logs(HOME, decoded, side.config['bridge'], side.config['token'])
        now = self.clock()
        rows = [logic.collected_row(entry, logic.relay_not_before(entry['authority'], self.me, now,
                                                                  self.config['relay_delay']))
                for entry in collected]
        if rows and self.store.add_events(HOME, rows):
            LOG.info('home: collected message=%s in our own transaction %s: relaying it', rows[0]['message_hash'],
                     rows[0]['tx_hash'])

    def settle_failure(self, row, status, note):
        """A transaction of ours failed: is the work done anyway (another validator)? Else retry later."""
        event = self.store.event(row['event_id']) if row['event_id'] is not None else None
        done = None
        if event is not None:
            try:
                done = self.already_done(event)
            except Exception as exc:  # pylint: disable=broad-exception-caught
                # cannot check now: retry the event later, the check runs again
                LOG.info('%s: cannot check the state for event %d now: %s', row['chain'], event['id'], _short(exc))
        if event is None:
            self.store.finish_outbox(row['id'], status, note)
        elif done is not None:
            self.store.finish_outbox(row['id'], status, note, event_status=done[0], event_note=done[1])
        else:
            retry = self.clock() + logic.backoff(event['attempts'])
            self.store.finish_outbox(row['id'], status, note, event_status='pending', event_note='%s: %s' % (status, note),
                                     not_before=retry)
        LOG.warning('%s: %s %s tx=%s nonce=%d (%s)%s', row['chain'], status, row['purpose'], row['tx_hash'], row['nonce'],
                    note, '; %s' % done[1] if done else '; will retry')

    # -- acting ------------------------------------------------------------------------------------------
    def act(self):
        """Act on due events, oldest first, whose chains are up (every action reads home)."""
        now = self.clock()
        if not self.sides[HOME].up(now):
            return
        kinds = [logic.DEPOSIT, logic.DEPOSIT_REFUND, logic.WITHDRAWAL, logic.WITHDRAWAL_REFUND]
        if self.sides[FOREIGN].up(now):
            kinds.append(logic.COLLECTED)
        for event in self.store.due_events(now, ACTIONS_PER_STEP, kinds):
            target = self.sides[logic.target_chain(event['kind'])]
            if self.stop.is_set() or not (target.up(self.clock()) and self.sides[HOME].up(self.clock())):
                return
            try:
                self.act_one(event)
            except Exception as exc:  # pylint: disable=broad-exception-caught
                self.fail(target, 'action on event %d (%s request=%s)' % (event['id'], event['kind'], event['tx_hash']), exc)

    def already_done(self, event):
        """(status, note) when the chain already has what this event would send, else None."""
        home = self.sides[HOME].client
        foreign = self.sides[FOREIGN].client
        kind = event['kind']
        if kind in logic.AFFIRMATION_KINDS:
            key = bridge_message.affirmation_hash(event['recipient'], self.payout(event), event['tx_hash'])
            if home.view('isAffirmationProcessed', key):
                return 'skipped', 'affirmation already completed'
            if home.view('hasVotedAffirmation', self.me, key):
                return 'done', 'already voted'
            return None
        if kind in logic.SIGNATURE_KINDS:
            message = self.message_of(event)
            key = bridge_message.message_hash(message)
            if home.view('hasSignedMessage', self.me, key):
                return 'done', 'already signed'
            if foreign is not None and self.sides[FOREIGN].up(self.clock()):
                if foreign.view('relayedMessages', bridge_message.to_bytes32(event['tx_hash'])):
                    return 'skipped', 'already relayed'
            if int(home.view('numMessagesSigned', key)) >= int(home.view('requiredSignatures')):
                return 'skipped', 'already has the required signatures'
            return None
        if kind == logic.COLLECTED:
            message = bytes(home.view('message', bridge_message.to_bytes32(event['message_hash'])))
            _recipient, _value, tx_hash, bridge = bridge_message.decode_message(message)
            if bridge != self.config[FOREIGN]['bridge']:
                return 'skipped', 'message for another bridge %s' % bridge
            if foreign.view('relayedMessages', bridge_message.to_bytes32(tx_hash)):
                return 'skipped', 'already relayed'
            return None
        return 'skipped', 'unknown kind %s' % kind

    def payout(self, event):
        """The value this event's transaction carries, in the paying chain's units."""
        return logic.payout_value(event['kind'], event['value'], self.shift)

    def message_of(self, event):
        """The 104-byte message a withdrawal or a refund event signs."""
        return bridge_message.encode_message(event['recipient'], self.payout(event), event['tx_hash'],
                                             self.config[FOREIGN]['bridge'])

    def act_one(self, event):
        """Check the chain, then send this validator's transaction for one event."""
        done = self.already_done(event)
        if done is not None:
            self.store.set_event(event['id'], done[0], note=done[1])
            LOG.info('%s: %s request=%s: nothing to send, %s', event['chain'], event['kind'], event['tx_hash'], done[1])
            return
        kind = event['kind']
        tx_hash = bridge_message.to_bytes32(event['tx_hash'])
        if kind in logic.AFFIRMATION_KINDS:
            client = self.sides[HOME].client
            function, args = 'executeAffirmation', [event['recipient'], self.payout(event), tx_hash]
            purpose = 'executeAffirmation:%s' % event['tx_hash']
        elif kind in logic.SIGNATURE_KINDS:
            client = self.sides[HOME].client
            message = self.message_of(event)
            function, args = 'submitSignature', [bridge_message.sign_message(self.account, message), message]
            purpose = 'submitSignature:%s' % event['tx_hash']
        else:
            home = self.sides[HOME].client
            client = self.sides[FOREIGN].client
            key = bridge_message.to_bytes32(event['message_hash'])
            message = bytes(home.view('message', key))
            signatures = [bytes(home.view('signature', key, index)) for index in range(int(event['value']))]
            function, args = 'executeSignatures', [message, bridge_message.join_signatures(signatures)]
            purpose = 'executeSignatures:%s' % bridge_message.decode_message(message)[2]
        try:
            sent_hash, nonce, outcome, outbox_id = client.send(function, args, purpose, event['id'])
        except Reverted as exc:
            retry = self.clock() + logic.backoff(event['attempts'])
            self.store.set_event(event['id'], 'pending', note='would revert: %s' % exc, not_before=retry, attempt=True)
            LOG.warning('%s: %s for %s request=%s would revert (%s); retrying in %.0f s', client.name, function, kind,
                        event['tx_hash'], exc, retry - self.clock())
            return
        LOG.info('%s: sent %s for %s request=%s recipient=%s value=%s nonce=%d tx=%s: %s', client.name, function, kind,
                 event['tx_hash'], event['recipient'], event['value'] if kind == logic.COLLECTED else self.payout(event),
                 nonce, sent_hash, outcome)
        if outcome.startswith('rejected'):
            self.settle_failure(self.store.outbox_row(outbox_id), 'rejected', outcome)


def client_block_hash(client, number):
    """Hash of a block, or None when the node does not have it (a reset or shorter chain)."""
    try:
        return client.block(number)[0]
    except Exception as exc:  # pylint: disable=broad-exception-caught
        if 'not found' in str(exc).lower():
            return None
        raise


def _short(exc, limit=300):
    text = '%s: %s' % (type(exc).__name__, exc)
    return text if len(text) <= limit else text[:limit] + '...'


def setup_logging():
    """One line per record on stdout (supervisord captures it)."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter('%(asctime)s %(levelname)s %(message)s'))
    root = logging.getLogger('poa.bridge')
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False


def main(argv=None):
    """Command line entry point; returns the exit code (2 for configuration errors)."""
    parser = argparse.ArgumentParser(prog='bridge-validator', description='Token bridge validator (docs/bridge.md).')
    parser.add_argument('--config', required=True, help='path of the JSON config file')
    options = parser.parse_args(argv)
    setup_logging()
    try:
        config = load_config(options.config)
        account = load_account(config['keystore'], config['password_file'])
        store = Store(config['db'])
        faults.arm(os.path.dirname(os.path.abspath(config['db'])))
    except (ConfigError, RpcError, StoreError) as exc:
        LOG.error('cannot start: %s', exc)
        return 2
    stop = threading.Event()
    rc = 0
    health = None
    try:
        snapshot = Snapshot()
        validator = Validator(config, store, account, snapshot=snapshot, stop=stop)
        health = HealthServer(config['health']['host'], config['health']['port'], snapshot).start()

        def on_signal(signum, _frame):
            LOG.info('signal %d: stopping after the current step', signum)
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        LOG.info('validator %s started (pid %d), health on http://%s:%d/health', validator.me, os.getpid(),
                 config['health']['host'], health.port)
        validator.run()
    except (ConfigError, ChainError, HealthError) as exc:
        LOG.error('cannot run: %s', exc)
        rc = 2
    finally:
        if health is not None:
            health.stop()
        store.close()
    LOG.info('stopped')
    return rc


if __name__ == '__main__':
    raise SystemExit(main(sys.argv[1:]))
