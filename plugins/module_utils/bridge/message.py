# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The 104-byte message a withdrawal (or a refund) releases on the foreign chain.

``abi.encodePacked(address recipient, uint256 value, bytes32 transactionHash, address foreignBridge)``,
signed by each validator as an EIP-191 personal message. Also the hash that identifies a home
affirmation, ``keccak256(abi.encodePacked(recipient, value, transactionHash))``.
"""

from __future__ import annotations

import traceback

try:
    from eth_account import Account
    from eth_account.messages import encode_defunct
    from eth_utils import keccak, to_checksum_address
    HAS_ETH = True
    ETH_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - exercised by ansible-test import sanity
    HAS_ETH = False
    ETH_IMPORT_ERROR = traceback.format_exc()

MESSAGE_LENGTH = 104
SIGNATURE_LENGTH = 65
MAX_UINT256 = (1 << 256) - 1


class MessageError(ValueError):
    """A message, hash or signature that does not have the expected shape."""


def _fixed_bytes(value, size, what, kind):
    """``size`` bytes from bytes or 0x hex (any case), or MessageError naming ``what``."""
    if isinstance(value, str):
        text = value[2:] if value[:2].lower() == '0x' else value
        try:
            raw = bytes.fromhex(text)
        except ValueError as exc:
            raise MessageError('%r is not a hex %s' % (value, kind)) from exc
    else:
        raw = bytes(value)
    if len(raw) != size:
        raise MessageError('%s is %d bytes, got %d' % (what, size, len(raw)))
    return raw


def to_bytes32(value):
    """A 32-byte hash from bytes or 0x hex."""
    return _fixed_bytes(value, 32, 'a transaction hash', 'hash')


def address_bytes(address):
    """The 20 bytes of an address given as 0x hex (any case) or bytes."""
    return _fixed_bytes(address, 20, 'an address', 'address')


def encode_message(recipient, value, tx_hash, bridge):
    """``abi.encodePacked(recipient, value, transactionHash, foreignBridge)``: 104 bytes."""
    value = int(value)
    if not 0 <= value <= MAX_UINT256:
        raise MessageError('value %d does not fit in a uint256' % value)
    return address_bytes(recipient) + value.to_bytes(32, 'big') + to_bytes32(tx_hash) + address_bytes(bridge)


def decode_message(message):
    """(recipient, value, tx_hash 0x hex, bridge): checksummed addresses, value as int."""
    message = bytes(message)
    if len(message) != MESSAGE_LENGTH:
        raise MessageError('a bridge message is %d bytes, got %d' % (MESSAGE_LENGTH, len(message)))
    return (to_checksum_address(message[:20]), int.from_bytes(message[20:52], 'big'),
            '0x' + message[52:84].hex(), to_checksum_address(message[84:104]))


def message_hash(message):
    """keccak256 of the raw message: the key of the home bridge's message and signature views."""
    return keccak(bytes(message))


def sign_message(account, message):
    """65-byte ``r || s || v`` EIP-191 signature of the message by a LocalAccount."""
    message = bytes(message)
    if len(message) != MESSAGE_LENGTH:
        raise MessageError('refusing to sign %d bytes: a bridge message is %d' % (len(message), MESSAGE_LENGTH))
    return bytes(account.sign_message(encode_defunct(primitive=message)).signature)


def recover_signer(message, signature):
    """Checksummed address that made ``signature`` over the message."""
    signature = bytes(signature)
    if len(signature) != SIGNATURE_LENGTH:
        raise MessageError('a signature is %d bytes, got %d' % (SIGNATURE_LENGTH, len(signature)))
    # combomethod called on the class
    # pylint: disable-next=no-value-for-parameter
    return Account.recover_message(encode_defunct(primitive=bytes(message)), signature=signature)


def affirmation_hash(recipient, value, tx_hash):
    """``keccak256(abi.encodePacked(recipient, value, transactionHash))``, the home vote's key."""
    return keccak(address_bytes(recipient) + int(value).to_bytes(32, 'big') + to_bytes32(tx_hash))


def join_signatures(signatures):
    """The ``signatures`` argument of executeSignatures: 65-byte signatures back to back."""
    out = b''
    for signature in signatures:
        signature = bytes(signature)
        if len(signature) != SIGNATURE_LENGTH:
            raise MessageError('a signature is %d bytes, got %d' % (SIGNATURE_LENGTH, len(signature)))
        out += signature
    return out
