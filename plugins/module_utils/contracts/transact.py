# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Transactions on deployed contracts, sent only when a view call shows they are needed, and account
funding in the native coin or an ERC-20."""

from __future__ import annotations

from ansible_collections.poa.consortium.plugins.module_utils.contracts.abi import ERC20_ABI, _plain, call_view, encode_call, values_equal
from ansible_collections.poa.consortium.plugins.module_utils.contracts.errors import ContractError
from ansible_collections.poa.consortium.plugins.module_utils.rpc import RevertError
from ansible_collections.poa.consortium.plugins.module_utils.units import parse_wei

try:
    from eth_utils import to_checksum_address
except ImportError:  # pragma: no cover - reported by rpc.run_module through HAS_ETH_ABI
    pass


def check_argument_spec():
    """The `check` option of the modules that send a transaction only when a view call shows it is needed."""
    return dict(type='dict', options=dict(
        function=dict(type='str', required=True),
        args=dict(type='list', elements='raw', default=[]),
        expect=dict(type='raw', required=True),
    ))


def resolve_address(manifest, target):
    """An address, or the name of a contract recorded in the manifest."""
    if isinstance(target, str) and target.startswith('0x') and len(target) == 42:
        return to_checksum_address(target)
    record = manifest.get(target) if manifest is not None else None
    if not record or not record.get('address'):
        raise ContractError('%s is neither an address nor a contract recorded in the manifest %s' % (
            target, manifest.path if manifest is not None else '(none given)'))
    return to_checksum_address(record['address'])


def send_built(signer, tx, result, abi=None, check_mode=False, confirmations=None):
    """Check that the signer can pay for a built transaction, then (not in check mode) send it and wait.

    Sets tx_hash, block and gas_used in ``result``; returns the receipt, or None in check mode.
    """
    signer.check_funds(signer.cost(tx))
    if check_mode:
        signer.reset_nonce()
        return None
    tx_hash = signer.send(tx)
    receipt = signer.wait(tx_hash, abi=abi, confirmations=confirmations)
    result.update(tx_hash=tx_hash, block=int(receipt['blockNumber']), gas_used=int(receipt['gasUsed']))
    return receipt


def ensure_transaction(w3, signer, address, abi, function, args=None, value=0, check=None, check_mode=False,
                       gas=None, confirmations=None):
    """Send `function(args)` to `address` unless `check` shows the chain is already in the wanted state.

    check: {'function': view name or signature, 'args': [...], 'expect': value}. Without check the
    transaction is always sent (changed=True). Returns a result dict.
    """
    result = {'address': to_checksum_address(address), 'function': function, 'changed': False, 'tx_hash': None}
    signer.settle()
    if check:
        current = call_view(w3, address, abi, check['function'], check.get('args'))
        result['before'] = _plain(current)
        if values_equal(current, check.get('expect')):
            return result
    entry, data = encode_call(abi, function, args)
    try:
        tx = signer.build(to=to_checksum_address(address), data=data, value=value, gas=gas, abi=abi)
    except RevertError as exc:
        raise RevertError('%s on %s would revert: %s' % (function, address, exc), exc.data)
    result['changed'] = True
    if send_built(signer, tx, result, abi=abi, check_mode=check_mode, confirmations=confirmations) is None:
        return result
    tx_hash = result['tx_hash']
    if check:
        after = call_view(w3, address, abi, check['function'], check.get('args'))
        result['after'] = _plain(after)
        if not values_equal(after, check.get('expect')):
            raise ContractError('%s was sent (%s) but %s now returns %r, not the expected %r: the check does not '
                                'match what the transaction does' % (function, tx_hash, check['function'], _plain(after),
                                                                     check.get('expect')))
    return result


def parse_amount(value, decimals=18):
    """An integer amount of base units from 123, '123', '1.5 ether', '2 gwei' or '10 token'."""
    try:
        return parse_wei(value, token_decimals=decimals)
    except ValueError as exc:
        raise ContractError('cannot read amount %r: %s' % (value, exc))


def ensure_funded(w3, signer, accounts, token=None, token_abi=None, check_mode=False, confirmations=None):
    """Top up each {address, balance[, minimum]} to `balance` when it holds less than `minimum`
    (default: `balance`), in the native coin or an ERC-20 when token is set.

    All transfers go out together (consecutive nonces), then the receipts are awaited.
    """
    abi = (token_abi or []) + ERC20_ABI
    results = []
    signer.settle()
    for item in accounts:
        address = to_checksum_address(item['address'])
        target = int(item['balance'])
        if token:
            current = int(call_view(w3, token, abi, 'balanceOf', [address]))
        else:
            current = int(w3.eth.get_balance(address))
        minimum = target if item.get('minimum') is None else int(item['minimum'])
        results.append({'address': address, 'before': str(current), 'target': str(target),
                        'sent': str(max(0, target - current) if current < minimum else 0), 'tx_hash': None})
    todo = [e for e in results if int(e['sent'])]
    if token and todo:
        have = int(call_view(w3, token, abi, 'balanceOf', [signer.address]))
        want = sum(int(e['sent']) for e in todo)
        if have < want:
            raise ContractError('funder %s holds %d token units of %s but %d are needed' % (signer.address, have, token, want))
    pending = []
    for entry in todo:
        if token:
            data = encode_call(abi, 'transfer', [entry['address'], int(entry['sent'])])[1]
            tx = signer.build(to=to_checksum_address(token), data=data, abi=abi)
        else:
            tx = signer.build(to=entry['address'], value=int(entry['sent']), gas=21000)
        pending.append((entry, tx))
    if pending:
        signer.check_funds(sum(signer.cost(tx) for _entry, tx in pending))
    if check_mode:
        signer.reset_nonce()
        return bool(pending), results
    for entry, tx in pending:
        entry['tx_hash'] = signer.send(tx)
    for entry, tx in pending:
        signer.wait(entry['tx_hash'], abi=abi, confirmations=confirmations)
    return bool(pending), results
