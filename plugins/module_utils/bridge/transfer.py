# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A user's transfer through the bridge: deposit (foreign -> home) or withdrawal (home -> foreign).

Checks the limits, the balances and the allow-list before anything is signed, sends the request,
then waits for the other chain's completion event that names the request's transaction hash.
No Ansible here.
"""

from __future__ import annotations

import time

from ansible_collections.poa.consortium.plugins.module_utils.bridge import abi
from ansible_collections.poa.consortium.plugins.module_utils.contracts import (
    ContractError, call_view, encode_call, parse_amount,
)

try:
    from eth_utils import to_checksum_address
    from web3._utils.events import get_event_data
except ImportError:  # pragma: no cover - reported by rpc.run_module
    pass

RLC_DECIMALS = 9
DIRECTIONS = ('deposit', 'withdraw')
# How far back the completion search starts on the destination chain, in blocks: a fast
# validator set may complete a request before the sender has read the destination's head.
SEARCH_MARGIN = 5
# The completion is reported once its block has one block on top: a head block can still be
# replaced (Clique's out-of-turn blocks), and with it which validator's vote completed the transfer.
COMPLETION_DEPTH = 2


def parse_rlc(value, decimals=RLC_DECIMALS):
    """Base units from an integer, '10 RLC', '0.5 rlc' or '10 token'."""
    text = str(value).strip()
    if text.lower().endswith(' rlc'):
        text = text[:-4] + ' token'
    amount = parse_amount(text, decimals)
    if amount <= 0:
        raise ContractError('the amount must be positive, not %r' % value)
    return amount


class Route:
    """Where a transfer starts and ends: the chains, the bridges and what is sent."""

    def __init__(self, bridge, direction, home_w3, foreign_w3):
        if direction not in DIRECTIONS:
            raise ContractError('direction must be deposit or withdraw, not %r' % direction)
        self.direction = direction
        self.native = bridge['mode'] == 'erc_to_native'
        # What the sender sends, in decimals: RLC (9) on the foreign chain and in erc_to_erc; the
        # home coin (wei, 9 + decimals_shift) for a native withdrawal.
        shift = int(bridge['home'].get('decimals_shift') or 0)
        self.decimals = RLC_DECIMALS + (shift if direction == 'withdraw' and self.native else 0)
        home, foreign = bridge['home'], bridge['foreign']
        if direction == 'deposit':
            self.source_w3, self.dest_w3 = foreign_w3, home_w3
            self.source_bridge = to_checksum_address(foreign['bridge']['address'])
            self.source_abi = abi.FOREIGN_BRIDGE
            self.dest_bridge = to_checksum_address(home['bridge']['address'])
            self.dest_abi = abi.HOME_BRIDGE
            self.dest_event = 'AffirmationCompleted'
            self.token = to_checksum_address(foreign['token']['address'])
        else:
            self.source_w3, self.dest_w3 = home_w3, foreign_w3
            self.source_bridge = to_checksum_address(home['bridge']['address'])
            self.source_abi = abi.HOME_BRIDGE
            self.dest_bridge = to_checksum_address(foreign['bridge']['address'])
            self.dest_abi = abi.FOREIGN_BRIDGE
            self.dest_event = 'RelayedMessage'
            self.token = None if self.native else to_checksum_address(home['token']['address'])

    def balance(self, address):
        if self.token is None:
            return int(self.source_w3.eth.get_balance(address))
        return int(call_view(self.source_w3, self.token, abi.ERC20, 'balanceOf', [address]))


def check_request(route, sender, amount):
    """Refuse, before anything is signed, a transfer the bridge would refuse or refund."""
    minimum = int(call_view(route.source_w3, route.source_bridge, route.source_abi, 'minPerTx'))
    maximum = int(call_view(route.source_w3, route.source_bridge, route.source_abi, 'maxPerTx'))
    if not minimum <= amount <= maximum:
        raise ContractError('%d is outside the bridge\'s per-transaction limits (%d to %d base units): nothing was sent'
                            % (amount, minimum, maximum))
    if not call_view(route.source_w3, route.source_bridge, route.source_abi, 'withinLimit', [amount]):
        raise ContractError('%d would exceed what is left of today\'s limit of the %s bridge: nothing was sent, try '
                            'a smaller amount or tomorrow' % (amount, 'foreign' if route.direction == 'deposit' else 'home'))
    if route.direction == 'deposit' and not call_view(route.source_w3, route.source_bridge, route.source_abi,
                                                      'isWhitelisted', [sender]):
        raise ContractError('%s is not on the bridge\'s allow-list of depositors: nothing was sent' % sender)
    have = route.balance(sender)
    if have < amount:
        raise ContractError('%s holds %d base units but the transfer needs %d: nothing was sent' % (sender, have, amount))


def request_transactions(route, sender, recipient, amount):
    """The transactions of the request, as (to, data, value), in order."""
    if route.direction == 'withdraw' and route.native:
        if recipient == sender:
            return [(route.source_bridge, b'', amount)]
        return [(route.source_bridge, encode_call(route.source_abi, 'relayTokens(address)', [recipient])[1], amount)]
    if recipient == sender:
        return [(route.token, encode_call(abi.ERC20, 'transfer', [route.source_bridge, amount])[1], 0)]
    return [
        (route.token, encode_call(abi.ERC20, 'approve', [route.source_bridge, amount])[1], 0),
        (route.source_bridge, encode_call(route.source_abi, 'relayTokens(address,uint256)', [recipient, amount])[1], 0),
    ]


def find_completion(route, request_hash, from_block):
    """(tx hash, block) of the destination event naming request_hash, or None."""
    entry = abi.find(route.dest_abi, route.dest_event, 'event')
    topic = route.dest_w3.keccak(text=abi.signature_of(entry)).hex()
    logs = route.dest_w3.eth.get_logs({'address': route.dest_bridge, 'fromBlock': max(0, from_block),
                                       'toBlock': 'latest', 'topics': ['0x' + topic.removeprefix('0x')]})
    for log in logs:
        event = get_event_data(route.dest_w3.codec, entry, log)
        if '0x' + bytes(event['args']['transactionHash']).hex() == request_hash.lower():
            return '0x' + bytes(log['transactionHash']).hex(), int(log['blockNumber'])
    return None


def transfer(route, signer, amount, recipient=None, timeout=300, check_mode=False, poll=1.0,
             clock=time.monotonic, sleep=time.sleep):
    """Send one transfer and wait for its completion on the other chain; returns a result dict."""
    sender = signer.address
    recipient = to_checksum_address(recipient or sender)
    check_request(route, sender, amount)
    txs = request_transactions(route, sender, recipient, amount)
    result = {'direction': route.direction, 'amount': str(amount), 'sender': sender, 'recipient': recipient,
              'request_tx': None, 'completion_tx': None, 'completion_block': None, 'seconds': None}
    if check_mode:
        return result
    start = clock()
    dest_from = int(route.dest_w3.eth.block_number) - SEARCH_MARGIN
    request_hash = None
    for to, data, value in txs:
        tx = signer.build(to=to, data=data, value=value, abi=route.source_abi + abi.ERC20)
        request_hash = signer.send(tx)
        signer.wait(request_hash, abi=route.source_abi + abi.ERC20)
    result['request_tx'] = request_hash
    deadline = start + timeout
    while True:
        found = find_completion(route, request_hash, dest_from)
        if found and int(route.dest_w3.eth.block_number) - found[1] + 1 >= COMPLETION_DEPTH:
            result['completion_tx'], result['completion_block'] = found
            result['seconds'] = round(clock() - start, 1)
            return result
        if clock() > deadline:
            raise ContractError(
                'the request %s was mined but no %s names it on the other chain after %d s. The validators may be '
                'down or out of gas: read their health (playbooks/status.yml). The transfer completes when they '
                'catch up; nothing needs to be sent again.' % (request_hash, route.dest_event, timeout))
        sleep(poll)
