# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The parts of the bridge, validator-set and ERC-20 ABIs that the validator service uses.

Written by hand from docs/bridge.md: the service runs on hosts that get this package and not the
compiled artifacts. A unit test compares these entries with contracts/artifacts/ when it exists.
"""

from __future__ import annotations


def _params(spec, indexed=()):
    """[('address', 'recipient'), ...] -> ABI inputs; names in ``indexed`` are indexed (events)."""
    out = []
    for abi_type, name in spec:
        entry = {'name': name, 'type': abi_type, 'internalType': abi_type}
        if indexed is not None:
            entry['indexed'] = name in indexed
        out.append(entry)
    return out


def function(name, inputs=(), outputs=(), mutability='view'):
    """One function entry; inputs and outputs are (type, name) pairs."""
    return {'type': 'function', 'name': name, 'stateMutability': mutability,
            'inputs': _params(inputs, None), 'outputs': _params(outputs, None)}


def event(name, inputs, indexed=()):
    """One event entry; ``indexed`` names the indexed parameters."""
    return {'type': 'event', 'name': name, 'anonymous': False, 'inputs': _params(inputs, indexed)}


def _view(name, out_type, *inputs):
    return function(name, inputs, [(out_type, '')])


LIMITS = [
    _view('minPerTx', 'uint256'),
    _view('maxPerTx', 'uint256'),
    _view('dailyLimit', 'uint256'),
    _view('totalSpentPerDay', 'uint256', ('uint256', 'day')),
    _view('withinLimit', 'bool', ('uint256', 'amount')),
    _view('getCurrentDay', 'uint256'),
    _view('requiredBlockConfirmations', 'uint256'),
    _view('requiredSignatures', 'uint256'),
    _view('validatorContract', 'address'),
]

HOME_BRIDGE = LIMITS + [
    _view('executionDailyLimit', 'uint256'),
    _view('totalExecutedPerDay', 'uint256', ('uint256', 'day')),
    _view('mode', 'uint8'),
    _view('erc20token', 'address'),
    _view('totalFunded', 'uint256'),
    _view('affirmationsSigned', 'uint256', ('bytes32', 'hash')),
    _view('isAffirmationProcessed', 'bool', ('bytes32', 'hash')),
    _view('hasVotedAffirmation', 'bool', ('address', 'validator'), ('bytes32', 'hash')),
    _view('message', 'bytes', ('bytes32', 'hash')),
    _view('signature', 'bytes', ('bytes32', 'hash'), ('uint256', 'index')),
    _view('numMessagesSigned', 'uint256', ('bytes32', 'hash')),
    _view('hasSignedMessage', 'bool', ('address', 'validator'), ('bytes32', 'hash')),
    function('executeAffirmation', [('address', 'recipient'), ('uint256', 'value'), ('bytes32', 'transactionHash')],
             mutability='nonpayable'),
    function('submitSignature', [('bytes', 'signature'), ('bytes', 'message')], mutability='nonpayable'),
    function('relayTokens', [('address', 'recipient'), ('uint256', 'amount')], mutability='nonpayable'),
    function('relayTokens', [('address', 'recipient')], mutability='payable'),
    function('fund', [('uint256', 'amount')], mutability='nonpayable'),
    function('fundNative', [], mutability='payable'),
    event('UserRequestForSignature', [('address', 'recipient'), ('uint256', 'value')]),
    event('Funded', [('address', 'from'), ('uint256', 'amount')]),
    event('SignedForUserRequest', [('address', 'signer'), ('bytes32', 'messageHash')], indexed=('signer',)),
    event('CollectedSignatures', [('address', 'authorityResponsibleForRelay'), ('bytes32', 'messageHash'),
                                  ('uint256', 'numberOfCollectedSignatures')]),
    event('SignedForAffirmation', [('address', 'signer'), ('bytes32', 'transactionHash')], indexed=('signer',)),
    event('AffirmationCompleted', [('address', 'recipient'), ('uint256', 'value'), ('bytes32', 'transactionHash')]),
]

FOREIGN_BRIDGE = LIMITS + [
    _view('erc20token', 'address'),
    _view('relayedMessages', 'bool', ('bytes32', 'transactionHash')),
    _view('whitelistEnabled', 'bool'),
    _view('isWhitelisted', 'bool', ('address', 'account')),
    function('executeSignatures', [('bytes', 'message'), ('bytes', 'signatures')], mutability='nonpayable'),
    function('relayTokens', [('address', 'recipient'), ('uint256', 'amount')], mutability='nonpayable'),
    event('UserRequestForAffirmation', [('address', 'recipient'), ('uint256', 'value')]),
    event('RelayedMessage', [('address', 'recipient'), ('uint256', 'value'), ('bytes32', 'transactionHash')]),
]

BRIDGE_VALIDATORS = [
    _view('isValidator', 'bool', ('address', 'validator')),
    _view('requiredSignatures', 'uint256'),
    _view('validatorCount', 'uint256'),
    function('validatorList', [], [('address[]', '')]),
]

ERC20 = [
    _view('balanceOf', 'uint256', ('address', 'account')),
    _view('totalSupply', 'uint256'),
    function('transfer', [('address', 'to'), ('uint256', 'value')], [('bool', '')], 'nonpayable'),
    function('approve', [('address', 'spender'), ('uint256', 'value')], [('bool', '')], 'nonpayable'),
    event('Transfer', [('address', 'from'), ('address', 'to'), ('uint256', 'value')], indexed=('from', 'to')),
]

# Events the scanner decodes, per side (the token's Transfer is added on both).
HOME_EVENTS = ('UserRequestForSignature', 'Funded', 'CollectedSignatures')
FOREIGN_EVENTS = ('UserRequestForAffirmation',)


def signature_of(entry):
    """``name(type,...)`` of a function or event entry."""
    return '%s(%s)' % (entry['name'], ','.join(item['type'] for item in entry['inputs']))


def find(abi, name, kind=None):
    """The entry called ``name`` (of type ``kind`` when given); KeyError when missing."""
    for entry in abi:
        if entry.get('name') == name and (kind is None or entry.get('type') == kind):
            return entry
    raise KeyError(name)
