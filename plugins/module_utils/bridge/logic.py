# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the validators do with the logs they find (docs/bridge.md, "What the validators do").

Pure functions, no RPC: decoding logs, grouping them into one request per transaction, and
deciding whether a request is paid out, relayed or refunded.
"""

from __future__ import annotations

import traceback

from ansible_collections.poa.consortium.plugins.module_utils.bridge import abi as bridge_abi

try:
    from eth_abi import decode as abi_decode
    from eth_utils import keccak, to_checksum_address
    HAS_ETH = True
    ETH_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - exercised by ansible-test import sanity
    HAS_ETH = False
    ETH_IMPORT_ERROR = traceback.format_exc()

HOME = 'home'
FOREIGN = 'foreign'

# Event kinds (events.kind) and what each one makes the validator send.
DEPOSIT = 'deposit'                       # foreign deposit -> executeAffirmation on home
DEPOSIT_REFUND = 'deposit_refund'         # foreign plain transfer refused -> submitSignature on home
WITHDRAWAL = 'withdrawal'                 # home request -> submitSignature on home
WITHDRAWAL_REFUND = 'withdrawal_refund'   # home plain transfer outside limits -> executeAffirmation on home
COLLECTED = 'collected'                   # CollectedSignatures -> executeSignatures on foreign
AFFIRMATION_KINDS = (DEPOSIT, WITHDRAWAL_REFUND)
SIGNATURE_KINDS = (WITHDRAWAL, DEPOSIT_REFUND)
REFUND_KINDS = (DEPOSIT_REFUND, WITHDRAWAL_REFUND)

TRANSFER = 'Transfer'


def _hex(value):
    if isinstance(value, str):
        return value.lower() if value.startswith('0x') else '0x' + value.lower()
    return '0x' + bytes(value).hex()


def topic_of(entry):
    """topic0 (0x hex) of an event ABI entry."""
    return '0x' + keccak(text=bridge_abi.signature_of(entry)).hex()


def address_topic(address):
    """An address as an indexed topic (0x + 32 bytes hex)."""
    return '0x' + '00' * 12 + _hex(address)[2:]


def event_topics(abi, names):
    """{topic0 hex: entry} for the named events of an ABI."""
    out = {}
    for name in names:
        entry = bridge_abi.find(abi, name, 'event')
        out[topic_of(entry)] = entry
    return out


def decode_log(log, topics):
    """Decode a raw log with the event entries in ``topics`` ({topic0: entry}); None when unknown.

    Returns {'event', 'args', 'address', 'tx_hash', 'log_index', 'block_number', 'block_hash'}
    with checksummed addresses and 0x hex for hashes and bytes32 values.
    """
    raw_topics = [_hex(t) for t in log.get('topics') or []]
    if not raw_topics or raw_topics[0] not in topics:
        return None
    entry = topics[raw_topics[0]]
    indexed = [i for i in entry['inputs'] if i.get('indexed')]
    plain = [i for i in entry['inputs'] if not i.get('indexed')]
    if len(raw_topics) != len(indexed) + 1:
        return None  # same signature, different indexing: not the event we know
    data = log.get('data') or b''
    data = bytes.fromhex(data[2:]) if isinstance(data, str) else bytes(data)
    try:
        values = list(abi_decode([i['type'] for i in plain], data))
        topic_values = [abi_decode([i['type']], bytes.fromhex(t[2:]))[0] for i, t in zip(indexed, raw_topics[1:])]
    except Exception:  # pylint: disable=broad-exception-caught
        # malformed data from a contract sharing the signature
        return None
    args = {}
    for item, value in list(zip(indexed, topic_values)) + list(zip(plain, values)):
        if item['type'] == 'address':
            value = to_checksum_address(value)
        elif item['type'] == 'bytes32':
            value = _hex(value)
        args[item['name']] = value
    return {
        'event': entry['name'], 'args': args, 'address': to_checksum_address(log['address']),
        'tx_hash': _hex(log['transactionHash']), 'log_index': int(log['logIndex']),
        'block_number': int(log['blockNumber']), 'block_hash': _hex(log['blockHash']),
    }


def group_by_transaction(logs):
    """[(tx_hash, [logs in log_index order])] in block and log order."""
    groups = {}
    for log in sorted(logs, key=lambda item: (item['block_number'], item['log_index'])):
        groups.setdefault(log['tx_hash'], []).append(log)
    return list(groups.items())


def _same(a, b):
    return a is not None and b is not None and a.lower() == b.lower()


def requests_from_logs(side, logs, bridge, token=None):
    """Turn decoded logs into requests (one per transaction) and CollectedSignatures entries.

    A transaction with the bridge's own request event is that request (its token Transfer is
    just how the bridge pulled the tokens); otherwise token Transfers to the bridge are a plain
    transfer request for their sender. On home, a transaction with Funded carries no request.
    Several request logs in one transaction are summed into one request for the first
    recipient: the transaction hash is the request's identity on both chains.

    Returns (requests, collected): requests are dicts with tx_hash, log_index, block_number,
    block_hash, source ('event' or 'transfer'), recipient, value, sender; collected are dicts
    with tx_hash, log_index, block_number, block_hash, authority, message_hash, signatures.
    """
    request_event = 'UserRequestForSignature' if side == HOME else 'UserRequestForAffirmation'
    requests, collected = [], []
    for tx_hash, tx_logs in group_by_transaction(logs):
        from_bridge = [log for log in tx_logs if _same(log['address'], bridge)]
        transfers = [log for log in tx_logs if token is not None and _same(log['address'], token)
                     and log['event'] == TRANSFER and _same(log['args']['to'], bridge)
                     and not _same(log['args']['from'], bridge) and int(log['args']['value']) > 0]
        for log in from_bridge:
            if side == HOME and log['event'] == 'CollectedSignatures':
                collected.append({
                    'tx_hash': tx_hash, 'log_index': log['log_index'], 'block_number': log['block_number'],
                    'block_hash': log['block_hash'], 'authority': log['args']['authorityResponsibleForRelay'],
                    'message_hash': log['args']['messageHash'],
                    'signatures': int(log['args']['numberOfCollectedSignatures'])})
        bridge_requests = [log for log in from_bridge if log['event'] == request_event]
        funded = side == HOME and any(log['event'] == 'Funded' for log in from_bridge)
        if bridge_requests:
            chosen, source = bridge_requests, 'event'
            recipient = chosen[0]['args']['recipient']
            sender = transfers[0]['args']['from'] if transfers else None
        elif transfers and not funded:
            chosen, source = transfers, 'transfer'
            recipient = sender = transfers[0]['args']['from']
        else:
            continue
        value = sum(int(log['args']['value']) for log in chosen)
        if value <= 0:
            continue
        first = chosen[0]
        requests.append({
            'tx_hash': tx_hash, 'log_index': first['log_index'], 'block_number': first['block_number'],
            'block_hash': first['block_hash'], 'source': source, 'recipient': recipient, 'value': value,
            'sender': sender, 'merged': len(chosen)})
    return requests, collected


def decide(side, request, min_per_tx=None, max_per_tx=None, whitelisted=True, decimals_shift=0):
    """The kind of a request.

    Requests made through the bridge passed its checks already. A plain transfer is paid out
    only within ``min_per_tx..max_per_tx`` (and, on the foreign side, from a whitelisted
    sender); otherwise it is refunded to its sender: with a signed message on the foreign
    side, with an affirmation at home. A home request that is not a whole number of foreign
    units (``decimals_shift`` > 0: wei at home, nRLC on foreign) is refunded at home too, however
    it was made: releasing it rounded down would lose the rest.
    """
    value = int(request['value'])
    if side == HOME and value % (10 ** int(decimals_shift)):
        return WITHDRAWAL_REFUND
    if request['source'] == 'event':
        return DEPOSIT if side == FOREIGN else WITHDRAWAL
    within = (min_per_tx is None or value >= int(min_per_tx)) and (max_per_tx is None or value <= int(max_per_tx))
    if side == FOREIGN:
        return DEPOSIT if within and whitelisted else DEPOSIT_REFUND
    return WITHDRAWAL if within else WITHDRAWAL_REFUND


def payout_value(kind, value, decimals_shift=0):
    """What the action for an event sends, in the units of the chain that pays.

    A deposit (foreign units) is paid at home times ``10 ** decimals_shift``; a withdrawal (home
    units, a whole multiple: see decide) is released on foreign divided by it; a refund goes
    back on the chain it came from, unchanged.
    """
    value = int(value)
    scale = 10 ** int(decimals_shift)
    if kind == DEPOSIT:
        return value * scale
    if kind == WITHDRAWAL:
        return value // scale
    return value


def target_chain(kind):
    """The chain a kind's transaction is sent to."""
    return FOREIGN if kind == COLLECTED else HOME


def event_row(side, request, kind, not_before=0.0):
    """The store row (events table) of a decided request. A refund goes back to whoever paid
    (the sender), not to the recipient the request named."""
    recipient = request['recipient']
    if kind in REFUND_KINDS and request.get('sender'):
        recipient = request['sender']
    return {'chain': side, 'tx_hash': request['tx_hash'], 'log_index': request['log_index'],
            'block_number': request['block_number'], 'block_hash': request['block_hash'], 'kind': kind,
            'recipient': recipient, 'value': int(request['value']), 'sender': request.get('sender'),
            'message_hash': None, 'not_before': not_before}


def collected_row(entry, not_before):
    """The store row of a CollectedSignatures log: recipient is the authority named to relay,
    value the number of signatures collected."""
    return {'chain': HOME, 'tx_hash': entry['tx_hash'], 'log_index': entry['log_index'],
            'block_number': entry['block_number'], 'block_hash': entry['block_hash'], 'kind': COLLECTED,
            'recipient': entry['authority'], 'value': int(entry['signatures']), 'sender': None,
            'message_hash': entry['message_hash'], 'not_before': not_before}


def relay_not_before(authority, me, seen_at, relay_delay):
    """When this validator relays a collected message: at once when named, else after the delay."""
    return float(seen_at) if _same(authority, me) else float(seen_at) + float(relay_delay)


def backoff(attempts, base=5.0, cap=600.0):
    """Seconds before the next try after ``attempts`` failures (exponential, capped)."""
    return min(cap, base * (2 ** max(0, min(int(attempts), 20))))
