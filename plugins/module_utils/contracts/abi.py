# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ABI encoding and decoding: YAML-friendly values to eth-abi, function lookup by name or signature,
view calls, comparison of on-chain values with user-given ones."""

from __future__ import annotations

from ansible_collections.poa.consortium.plugins.module_utils.contracts.errors import ContractError
from ansible_collections.poa.consortium.plugins.module_utils.rpc import RevertError, describe_revert, revert_data

try:
    from eth_abi import decode as abi_decode, encode as abi_encode
    from eth_utils import function_abi_to_4byte_selector, to_checksum_address
except ImportError:  # pragma: no cover - reported by rpc.run_module through HAS_ETH_ABI
    pass

ERC20_ABI = [
    {'type': 'function', 'name': 'balanceOf', 'stateMutability': 'view',
     'inputs': [{'name': 'account', 'type': 'address'}], 'outputs': [{'name': '', 'type': 'uint256'}]},
    {'type': 'function', 'name': 'transfer', 'stateMutability': 'nonpayable',
     'inputs': [{'name': 'to', 'type': 'address'}, {'name': 'value', 'type': 'uint256'}],
     'outputs': [{'name': '', 'type': 'bool'}]},
    {'type': 'error', 'name': 'ERC20InsufficientBalance', 'inputs': [
        {'name': 'sender', 'type': 'address'}, {'name': 'balance', 'type': 'uint256'}, {'name': 'needed', 'type': 'uint256'}]},
]


def strip_0x(code):
    code = code or ''
    return code[2:] if code[:2] in ('0x', '0X') else code


def _normalise_value(abi_type, components, value):
    """Turn YAML-friendly values (strings, hex) into what eth-abi expects."""
    if abi_type.endswith(']'):
        inner = abi_type[:abi_type.rindex('[')]
        if not isinstance(value, (list, tuple)):
            raise ContractError('expected a list for %s, got %r' % (abi_type, value))
        return [_normalise_value(inner, components, v) for v in value]
    if abi_type == 'tuple':
        if isinstance(value, dict):
            value = [value[c['name']] for c in components]
        return tuple(_normalise_value(c['type'], c.get('components'), v) for c, v in zip(components, value))
    if abi_type == 'address':
        try:
            return to_checksum_address(value)
        except (ValueError, TypeError):
            raise ContractError('%r is not an address' % (value,))
    if abi_type.startswith(('uint', 'int')):
        if isinstance(value, str):
            return int(value, 0)
        return int(value)
    if abi_type == 'bool':
        if isinstance(value, str):
            return value.strip().lower() in ('true', 'yes', '1')
        return bool(value)
    if abi_type.startswith('bytes'):
        if isinstance(value, str):
            raw = bytes.fromhex(strip_0x(value))
        else:
            raw = bytes(value)
        size = abi_type[5:]
        if size and len(raw) != int(size):
            raise ContractError('%s needs %s bytes, got %d' % (abi_type, size, len(raw)))
        return raw
    return value


def _abi_type(entry):
    if entry['type'].startswith('tuple'):
        return '(%s)%s' % (','.join(_abi_type(c) for c in entry['components']), entry['type'][5:])
    return entry['type']


def encode_arguments(inputs, args):
    args = list(args or [])
    if len(args) != len(inputs):
        raise ContractError('expected %d arguments (%s), got %d' % (
            len(inputs), ', '.join('%s %s' % (i['type'], i.get('name', '')) for i in inputs), len(args)))
    values = [_normalise_value(i['type'], i.get('components'), a) for i, a in zip(inputs, args)]
    return abi_encode([_abi_type(i) for i in inputs], values)


def find_function(abi, function, nargs=None):
    """ABI entry of a function given by name or by signature 'name(type,...)'."""
    candidates = []
    for entry in abi or []:
        if entry.get('type') != 'function':
            continue
        signature = '%s(%s)' % (entry['name'], ','.join(_abi_type(i) for i in entry.get('inputs', [])))
        if function in (entry['name'], signature):
            candidates.append(entry)
    if nargs is not None and len(candidates) > 1:
        candidates = [c for c in candidates if len(c.get('inputs', [])) == nargs]
    if not candidates:
        raise ContractError('function %s is not in the ABI' % function)
    if len(candidates) > 1:
        raise ContractError('function %s is overloaded: give its full signature, e.g. %s(%s)' % (
            function, function, ','.join(_abi_type(i) for i in candidates[0].get('inputs', []))))
    return candidates[0]


def encode_call(abi, function, args=None):
    entry = find_function(abi, function, len(args or []))
    return entry, function_abi_to_4byte_selector(entry) + encode_arguments(entry.get('inputs', []), args)


def _plain(value):
    if isinstance(value, bytes):
        return '0x' + value.hex()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2 ** 53:
        return str(value)  # keep big integers exact through JSON/YAML consumers
    return value


def call_view(w3, address, abi, function, args=None, block='latest'):
    """eth_call a function; returns the decoded value (a single value, or a list)."""
    entry, data = encode_call(abi, function, args)
    try:
        raw = w3.eth.call({'to': to_checksum_address(address), 'data': data}, block)
    except Exception as exc:
        if revert_data(exc) is None:
            raise
        raise RevertError('call %s on %s reverted: %s' % (function, address, describe_revert(exc, abi)), revert_data(exc))
    if not raw:
        raise ContractError('call %s on %s returned no data: is there a contract with that function at that address?' % (
            function, address))
    types = [_abi_type(o) for o in entry.get('outputs', [])]
    values = [to_checksum_address(v) if t == 'address' else v for t, v in zip(types, abi_decode(types, bytes(raw)))]
    return values[0] if len(values) == 1 else list(values)


def values_equal(actual, expected):
    """Compare an on-chain value with a user-given one (addresses any case, numbers as strings, hex bytes)."""
    if isinstance(actual, (list, tuple)):
        if not isinstance(expected, (list, tuple)) or len(actual) != len(expected):
            return False
        return all(values_equal(a, e) for a, e in zip(actual, expected))
    if isinstance(actual, bool):
        if isinstance(expected, str):
            return str(actual).lower() == expected.strip().lower()
        return actual == bool(expected)
    if isinstance(actual, int):
        try:
            return actual == (int(expected, 0) if isinstance(expected, str) else int(expected))
        except (TypeError, ValueError):
            return False
    if isinstance(actual, bytes):
        actual = '0x' + actual.hex()
    if isinstance(actual, str) and isinstance(expected, str):
        if actual.startswith('0x') and expected.startswith('0x'):
            return actual.lower() == expected.lower()
        return actual == expected
    return actual == expected
