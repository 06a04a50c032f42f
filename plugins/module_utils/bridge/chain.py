# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One chain as the validator service sees it: web3, the bridge contract, views at a block,
and sending legacy transactions with a locally managed nonce through the store's outbox."""

from __future__ import annotations

import traceback

try:
    from web3 import Web3
    from web3.exceptions import TransactionNotFound, Web3RPCError
    HAS_WEB3 = True
    WEB3_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - exercised by ansible-test import sanity
    HAS_WEB3 = False
    WEB3_IMPORT_ERROR = traceback.format_exc()

from ansible_collections.poa.consortium.plugins.module_utils.bridge import faults
from ansible_collections.poa.consortium.plugins.module_utils.rpc import (
    connect, describe_revert, load_keystore_account, receipt_or_none, revert_data,
)

GAS_MARGIN_PERCENT = 25
# Validators vote and sign in the same blocks, so a call estimated as an early vote may be mined
# as the vote that pays out (or the signature that stores the message): give those the gas of the
# dearer path. Unused gas is not charged.
RACE_GAS_HEADROOM = {'executeAffirmation': 150_000, 'submitSignature': 150_000}
GAS_PRICE_MARGIN_PERCENT = 20
# What nodes answer when the transaction, or another one with its nonce, is already there: the
# outcome is then settled by the receipt (mined) or by the account's nonce (dropped).
ALREADY_THERE = ('already known', 'known transaction', 'already imported', 'alreadyknown', 'already exists',
                 'nonce too low', 'replacement transaction underpriced', 'already in the pool')


class ChainError(Exception):
    """A configuration problem with a chain that the service cannot run with (fatal)."""


class Reverted(Exception):
    """eth_estimateGas says the call reverts; the message has the reason."""


def hexstr(value):
    """0x hex of bytes / HexBytes (hexbytes 1.x+ prints no 0x)."""
    if isinstance(value, str):
        return value if value.startswith('0x') else '0x' + value
    return '0x' + bytes(value).hex()


def open_web3(rpc_url, timeout=10):
    """Web3 on rpc_url (via rpc.connect); RpcError when the node does not answer."""
    return connect(rpc_url, None, timeout=timeout)


def load_account(keystore, password_file):
    """The validator's LocalAccount from its keystore (RpcError with a message, never the password)."""
    return load_keystore_account(keystore, password_file)


class ChainClient:
    """web3 plus the bridge contract of one chain, and this validator's transactions on it."""

    def __init__(self, name, w3, chain_id, account, store, bridge, bridge_abi, log):
        self.name = name
        self.w3 = w3
        self.chain_id = int(chain_id)
        self.account = account
        self.address = account.address
        self.store = store
        self.bridge_address = Web3.to_checksum_address(bridge)
        self.bridge_abi = bridge_abi
        self.bridge = w3.eth.contract(address=self.bridge_address, abi=bridge_abi)
        self.log = log

    # -- reading ----------------------------------------------------------------------------------
    def check_chain_id(self):
        """Raise ChainError when the node serves another chain than the configured one."""
        actual = int(self.w3.eth.chain_id)
        if actual != self.chain_id:
            raise ChainError('%s: the node serves chain id %d but the config says chain_id %d; point rpc_url at the '
                             'right node or fix chain_id' % (self.name, actual, self.chain_id))

    def check_code(self, address, what):
        """Raise ChainError when there is no contract at address."""
        if not bytes(self.w3.eth.get_code(Web3.to_checksum_address(address))):
            raise ChainError('%s: no contract at %s %s; fix the address in the config' % (self.name, what, address))

    def contract(self, address, abi):
        """A web3 contract object."""
        return self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=abi)

    def view(self, function, *args, block='latest', contract=None):
        """Call a view of the bridge (or of ``contract``) at a block."""
        target = self.bridge if contract is None else contract
        return target.functions[function](*args).call(block_identifier=block)

    def head(self):
        """Latest block number."""
        return int(self.w3.eth.block_number)

    def block(self, number):
        """(hash, parentHash) of a block, 0x hex."""
        blk = self.w3.eth.get_block(int(number))
        return hexstr(blk['hash']), hexstr(blk['parentHash'])

    def logs(self, from_block, to_block, address, topics):
        """eth_getLogs over a closed range."""
        return self.w3.eth.get_logs({'fromBlock': int(from_block), 'toBlock': int(to_block), 'address': address,
                                     'topics': topics})

    def balance(self):
        """The validator's native balance in wei."""
        return int(self.w3.eth.get_balance(self.address))

    def receipt(self, tx_hash):
        """The receipt or None while there is none."""
        return receipt_or_none(self.w3, tx_hash)

    def known(self, tx_hash):
        """Whether the node has the transaction (pool or chain)."""
        try:
            self.w3.eth.get_transaction(tx_hash)
            return True
        except TransactionNotFound:
            return False

    def nonce(self, block='pending'):
        """The account's transaction count at a block tag."""
        return int(self.w3.eth.get_transaction_count(self.address, block))

    # -- sending ----------------------------------------------------------------------------------
    def next_nonce(self):
        """The lowest nonce at or above the node's pending count that no live outbox row holds.

        Normally max(pending count, highest live outbox nonce + 1); it also fills the hole left
        by a transaction the node rejected, which would otherwise block every later one.
        """
        nonce = self.nonce('pending')
        live = self.store.live_nonces(self.name)
        while nonce in live:
            nonce += 1
        return nonce

    def send(self, function, args, purpose, event_id=None):
        """Estimate, sign, commit to the outbox, then broadcast a call to the bridge.

        Raises Reverted when the call would revert (nothing is stored then). Returns
        (tx_hash, nonce, outcome, outbox_id) where outcome is 'sent', 'known' or 'rejected:
        <reason>', or 'unknown: <error>' when the node could not be reached (the row stays
        pending and is broadcast again later).
        """
        data = self.bridge.encode_abi(function, args=list(args))
        call = {'from': self.address, 'to': self.bridge_address, 'data': data, 'value': 0}
        try:
            gas = int(self.w3.eth.estimate_gas(call))
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # web3 raises several types for a revert
            if revert_data(exc) is None:
                raise
            raise Reverted(describe_revert(exc, self.bridge_abi)) from exc
        gas_price = int(self.w3.eth.gas_price) * (100 + GAS_PRICE_MARGIN_PERCENT) // 100
        nonce = self.next_nonce()
        gas = gas * (100 + GAS_MARGIN_PERCENT) // 100 + RACE_GAS_HEADROOM.get(function, 0)
        tx = {'to': self.bridge_address, 'data': data, 'value': 0, 'gas': gas,
              'gasPrice': gas_price, 'nonce': nonce, 'chainId': self.chain_id}
        signed = self.account.sign_transaction(tx)
        tx_hash = hexstr(signed.hash)
        raw = hexstr(signed.raw_transaction)
        outbox_id = self.store.record_send(self.name, nonce, tx_hash, raw, purpose, event_id)
        faults.point('signed')
        outcome = self.broadcast(raw)
        faults.point('broadcast')
        return tx_hash, nonce, outcome, outbox_id

    def broadcast(self, raw_tx):
        """Send a signed transaction: 'sent', 'known' (it or its nonce is already there),
        'rejected: <reason>' (the node refused it) or 'unknown: <error>' (no answer)."""
        try:
            self.w3.eth.send_raw_transaction(raw_tx)
            return 'sent'
        except Web3RPCError as exc:
            text = str(exc)
            if any(marker in text.lower() for marker in ALREADY_THERE):
                return 'known'
            return 'rejected: %s' % text
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # no answer: the node may or may not have it
            return 'unknown: %s' % exc
