# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The consortium's multisig: a Safe 1.4.1 (SafeL2 singleton behind a SafeProxy made by the
SafeProxyFactory) with one owner key per company and a threshold M.

What lives here: the EIP-712 SafeTx hash, an owner's signature of it, the packing that
execTransaction wants, an idempotent deployment (ensure_safe) and the two halves of a
transaction (sign_transaction on each owner's host, execute_transaction once, anywhere).

Pure Python over web3.py, eth-account and eth-keys; deployments and calls go through
contracts.py (artifacts, journal, encode_call, call_view). Errors are SafeError.
"""

from __future__ import annotations

import os

from ansible_collections.poa.consortium.plugins.module_utils.constants import ZERO_ADDRESS
from ansible_collections.poa.consortium.plugins.module_utils.contracts import (
    ContractError, Deployer, _plain, call_view, code_hash, encode_call, load_artifact, send_built, values_equal,
)
from ansible_collections.poa.consortium.plugins.module_utils.rpc import RevertError, describe_revert, revert_data

try:
    from eth_account import Account
    from eth_account.messages import _hash_eip191_message, encode_typed_data
    from eth_keys import keys as eth_keys
    from eth_utils import keccak, to_bytes, to_checksum_address
except ImportError:  # pragma: no cover - reported by rpc.run_module
    pass

SAFE_VERSION = '1.4.1'
SINGLETON = 'SafeL2'
FACTORY = 'SafeProxyFactory'
PROXY = 'SafeProxy'
OPERATION_CALL = 0
OPERATION_DELEGATECALL = 1

# The EIP-712 types of Safe 1.4.1 (Safe.sol: DOMAIN_SEPARATOR_TYPEHASH and SAFE_TX_TYPEHASH).
SAFE_TX_TYPES = {
    'EIP712Domain': [
        {'name': 'chainId', 'type': 'uint256'},
        {'name': 'verifyingContract', 'type': 'address'},
    ],
    'SafeTx': [
        {'name': 'to', 'type': 'address'},
        {'name': 'value', 'type': 'uint256'},
        {'name': 'data', 'type': 'bytes'},
        {'name': 'operation', 'type': 'uint8'},
        {'name': 'safeTxGas', 'type': 'uint256'},
        {'name': 'baseGas', 'type': 'uint256'},
        {'name': 'gasPrice', 'type': 'uint256'},
        {'name': 'gasToken', 'type': 'address'},
        {'name': 'refundReceiver', 'type': 'address'},
        {'name': 'nonce', 'type': 'uint256'},
    ],
}


def _entry(kind, name, inputs=(), outputs=(), mutability='view'):
    def params(items):
        return [{'name': n, 'type': t, **({'indexed': True} if kind == 'event' and n in ('txHash', 'owner') else {})}
                for n, t in items]
    entry = {'type': kind, 'name': name, 'inputs': params(inputs)}
    if kind == 'function':
        entry.update(outputs=params(outputs), stateMutability=mutability)
    if kind == 'event':
        entry['anonymous'] = False
    return entry


_TX_FIELDS = (('to', 'address'), ('value', 'uint256'), ('data', 'bytes'), ('operation', 'uint8'),
              ('safeTxGas', 'uint256'), ('baseGas', 'uint256'), ('gasPrice', 'uint256'), ('gasToken', 'address'),
              ('refundReceiver', 'address'))
# The part of SafeL2's ABI that signing and executing need, so that an owner's host needs no
# artifact file. A unit test holds every entry against the shipped SafeL2.json.
SAFE_ABI = [
    _entry('function', 'getOwners', outputs=[('', 'address[]')]),
    _entry('function', 'getThreshold', outputs=[('', 'uint256')]),
    _entry('function', 'isOwner', [('owner', 'address')], [('', 'bool')]),
    _entry('function', 'nonce', outputs=[('', 'uint256')]),
    _entry('function', 'VERSION', outputs=[('', 'string')]),
    _entry('function', 'getTransactionHash', _TX_FIELDS + (('_nonce', 'uint256'),), [('', 'bytes32')]),
    _entry('function', 'execTransaction', _TX_FIELDS + (('signatures', 'bytes'),), [('', 'bool')], 'payable'),
    _entry('event', 'ExecutionSuccess', [('txHash', 'bytes32'), ('payment', 'uint256')]),
    _entry('event', 'ExecutionFailure', [('txHash', 'bytes32'), ('payment', 'uint256')]),
]


class SafeError(ContractError):
    """A Safe that differs from the wanted one, a signature that does not fit, too few signatures."""


# ---------------------------------------------------------------------------------------------
# Hashing, signing, packing
# ---------------------------------------------------------------------------------------------
def _hexbytes(value):
    if value is None:
        return b''
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    text = str(value)
    text = text[2:] if text[:2] in ('0x', '0X') else text
    try:
        return bytes.fromhex(text)
    except ValueError as exc:
        raise SafeError('%r is not hex data' % (value,)) from exc


def safe_tx_hash(chain_id, safe, to, value=0, data=b'', operation=OPERATION_CALL, nonce=0, safe_tx_gas=0,
                 base_gas=0, gas_price=0, gas_token=ZERO_ADDRESS, refund_receiver=ZERO_ADDRESS):
    """The EIP-712 hash of a SafeTx, as Safe 1.4.1's getTransactionHash computes it (0x hex)."""
    message = {
        'types': SAFE_TX_TYPES,
        'primaryType': 'SafeTx',
        'domain': {'chainId': int(chain_id), 'verifyingContract': to_checksum_address(safe)},
        'message': {
            'to': to_checksum_address(to), 'value': int(value), 'data': _hexbytes(data), 'operation': int(operation),
            'safeTxGas': int(safe_tx_gas), 'baseGas': int(base_gas), 'gasPrice': int(gas_price),
            'gasToken': to_checksum_address(gas_token), 'refundReceiver': to_checksum_address(refund_receiver),
            'nonce': int(nonce),
        },
    }
    return '0x' + bytes(_hash_eip191_message(encode_typed_data(full_message=message))).hex()


def sign(tx_hash, private_key):
    """An owner's signature of a SafeTx hash: r, s, v with v 27/28, the plain ECDSA form that
    checkSignatures accepts (v > 30 would mean an eth_sign prefixed hash; we never use that)."""
    digest = _hexbytes(tx_hash)
    if len(digest) != 32:
        raise SafeError('a Safe transaction hash is 32 bytes, got %d' % len(digest))
    signed = Account.unsafe_sign_hash(digest, private_key)
    return '0x' + signed.r.to_bytes(32, 'big').hex() + signed.s.to_bytes(32, 'big').hex() + '%02x' % signed.v


def recover(tx_hash, signature):
    """The address that made `signature` (65 bytes r, s, v with v 27/28) over `tx_hash`."""
    raw = _hexbytes(signature)
    if len(raw) != 65:
        raise SafeError('a Safe owner signature is 65 bytes (r, s, v), got %d' % len(raw))
    v = raw[64]
    if v not in (27, 28):
        raise SafeError('signature v is %d: only plain ECDSA signatures (v 27 or 28) are accepted here' % v)
    try:
        sig = eth_keys.Signature(vrs=(v - 27, int.from_bytes(raw[:32], 'big'), int.from_bytes(raw[32:64], 'big')))
        return sig.recover_public_key_from_msg_hash(_hexbytes(tx_hash)).to_checksum_address()
    # eth_keys raises BadSignature, ValidationError and others for a signature off the curve
    except Exception as exc:  # pylint: disable=broad-exception-caught
        raise SafeError('signature %s is not a valid ECDSA signature: %s' % (signature, exc)) from exc


def pack_signatures(signatures):
    """{owner: signature} -> the bytes execTransaction takes: signatures sorted by owner address
    ascending (checkSignatures requires strictly increasing owners)."""
    ordered = sorted(signatures.items(), key=lambda item: int(to_checksum_address(item[0]), 16))
    return b''.join(_hexbytes(sig) for _owner, sig in ordered)


# ---------------------------------------------------------------------------------------------
# Artifacts and deployment
# ---------------------------------------------------------------------------------------------
def load_safe_artifacts(directory):
    """{name: Artifact} of SafeL2, SafeProxyFactory and SafeProxy from the collection's
    contracts/artifacts/safe (the copies scripts/copy-safe-artifacts.js makes)."""
    if not directory or not os.path.isdir(directory):
        raise SafeError('Safe artifacts directory %s not found: give the collection\'s contracts/artifacts/safe '
                        '(copied to the host that runs the module)' % directory)
    return {name: load_artifact(os.path.join(directory, name + '.json')) for name in (SINGLETON, FACTORY, PROXY)}


def setup_calldata(artifacts, owners, threshold):
    """setup(owners, threshold, to=0x0, data=0x, fallbackHandler=0x0, paymentToken=0x0, payment=0,
    paymentReceiver=0x0): no module, no fallback handler, no payment."""
    return encode_call(artifacts[SINGLETON].abi, 'setup',
                       [owners, int(threshold), ZERO_ADDRESS, b'', ZERO_ADDRESS, ZERO_ADDRESS, 0, ZERO_ADDRESS])[1]


def predict_proxy_address(artifacts, factory, singleton, initializer, salt_nonce):
    """The address createProxyWithNonce gives: CREATE2 by the factory with
    salt = keccak(keccak(initializer) ++ uint256(saltNonce)) over SafeProxy's creation code plus
    the singleton as constructor argument. Written by hand: no library here computes CREATE2."""
    salt = keccak(keccak(bytes(initializer)) + int(salt_nonce).to_bytes(32, 'big'))
    init_code = bytes.fromhex(artifacts[PROXY].bytecode) + bytes(12) + to_bytes(hexstr=to_checksum_address(singleton))
    preimage = b'\xff' + to_bytes(hexstr=to_checksum_address(factory)) + salt + keccak(init_code)
    return to_checksum_address(keccak(preimage)[12:])


def normalise_owners(owners):
    if not owners:
        raise SafeError('owners is empty: give one address per company')
    try:
        checked = [to_checksum_address(o) for o in owners]
    except (TypeError, ValueError) as exc:
        raise SafeError('owners must be addresses: %s' % exc) from exc
    if len(set(checked)) != len(checked):
        raise SafeError('owners lists an address more than once: %s' % ', '.join(checked))
    if ZERO_ADDRESS in checked or '0x0000000000000000000000000000000000000001' in checked:
        raise SafeError('owners cannot hold 0x0 or 0x1 (Safe uses them internally)')
    return checked


def read_safe(w3, address):
    """{'owners': [...], 'threshold': M, 'nonce': N, 'version': '1.4.1'} of a deployed Safe."""
    if not code_hash(w3, address):
        raise SafeError('there is no contract at %s: is it the Safe\'s address, on this chain?' % address)
    try:
        return {'owners': [to_checksum_address(o) for o in call_view(w3, address, SAFE_ABI, 'getOwners')],
                'threshold': int(call_view(w3, address, SAFE_ABI, 'getThreshold')),
                'nonce': int(call_view(w3, address, SAFE_ABI, 'nonce')),
                'version': call_view(w3, address, SAFE_ABI, 'VERSION')}
    except ContractError as exc:
        raise SafeError('%s does not answer as a Safe: %s' % (address, exc)) from exc


def _compare(address, actual, owners, threshold, on_mismatch='fail'):
    """The differences between a deployed Safe and the wanted one; with on_mismatch 'fail', an error."""
    differences = []
    if {o.lower() for o in actual['owners']} != {o.lower() for o in owners}:
        differences.append('owners are %s, not %s' % (', '.join(actual['owners']), ', '.join(owners)))
    if actual['threshold'] != int(threshold):
        differences.append('threshold is %d, not %d' % (actual['threshold'], int(threshold)))
    if differences and on_mismatch == 'fail':
        raise SafeError('the Safe at %s differs from the wanted one: %s. Owners and threshold change only through the '
                        'Safe itself: propose addOwnerWithThreshold, removeOwner or changeThreshold with '
                        'poa.consortium.safe_transaction.' % (address, '; '.join(differences)))
    return differences


def ensure_safe(w3, signer, manifest, artifacts, owners, threshold, name='ConsortiumSafe', salt_nonce=0,
                check_mode=False, confirmations=None, on_mismatch='fail'):
    """Deploy what is missing of (SafeL2 singleton, SafeProxyFactory, the proxy `name`) and
    record each in the journal `manifest`; an existing Safe must have the wanted owners and threshold,
    or, with on_mismatch 'keep', is kept as it is and its differences are listed in `differs`.

    Returns a dict: changed, state (present|deployed|recorded|would deploy), address, owners,
    threshold, singleton, factory, tx_hash.
    """
    owners = normalise_owners(owners)
    threshold = int(threshold)
    if not 1 <= threshold <= len(owners):
        raise SafeError('threshold %d is not between 1 and the number of owners (%d)' % (threshold, len(owners)))
    signer.settle()  # a transaction an earlier, killed run left in the pool is mined first
    result = {'changed': False, 'owners': owners, 'threshold': threshold, 'tx_hash': None, 'differs': []}

    record = manifest.get(name)
    if record and record.get('address') and not record.get('pending') and code_hash(w3, record['address']):
        actual = read_safe(w3, record['address'])
        result['differs'] = _compare(record['address'], actual, owners, threshold, on_mismatch)
        result.update(state='present', address=to_checksum_address(record['address']), owners=actual['owners'],
                      threshold=actual['threshold'],
                      singleton=(manifest.get(SINGLETON) or {}).get('address'),
                      factory=(manifest.get(FACTORY) or {}).get('address'), tx_hash=record.get('tx_hash'))
        return result

    deployer = Deployer(w3, signer, manifest, check_mode=check_mode)
    addresses = {}
    for contract in (SINGLETON, FACTORY):
        changed, rec, _state = deployer.ensure(contract, artifacts[contract], confirmations=confirmations)
        result['changed'] |= changed
        addresses[contract] = rec['address']
    result.update(singleton=addresses[SINGLETON], factory=addresses[FACTORY])

    initializer = setup_calldata(artifacts, owners, threshold)
    address = predict_proxy_address(artifacts, addresses[FACTORY], addresses[SINGLETON], initializer, salt_nonce)
    result['address'] = address
    if not check_mode or code_hash(w3, addresses[FACTORY]):
        if code_hash(w3, address):  # made by an earlier run whose journal entry was lost or left pending
            actual = read_safe(w3, address)
            result['differs'] = _compare(address, actual, owners, threshold, on_mismatch)
            result.update(owners=actual['owners'], threshold=actual['threshold'])
            manifest.set(name, {'address': address, 'tx_hash': (record or {}).get('tx_hash'),
                                'code_hash': code_hash(w3, address)})
            if not check_mode:
                manifest.save()
            result.update(changed=True, state='recorded')
            return result
    if record and record.get('address') and not record.get('pending'):
        raise SafeError('%s is recorded at %s but there is no code at that address (was the chain reset?): remove '
                        'contracts.%s from %s to deploy a new Safe' % (name, record['address'], name, manifest.path))
    result['changed'] = True
    if check_mode:
        result['state'] = 'would deploy'
        return result

    data = encode_call(artifacts[FACTORY].abi, 'createProxyWithNonce',
                       [addresses[SINGLETON], initializer, int(salt_nonce)])[1]
    try:
        tx = signer.build(to=addresses[FACTORY], data=data, abi=artifacts[FACTORY].abi + artifacts[SINGLETON].abi)
    except RevertError as exc:
        raise SafeError('creating the Safe would revert: %s' % exc) from exc
    signer.check_funds(signer.cost(tx))
    signed = signer.account.sign_transaction({k: v for k, v in tx.items() if k != 'from'})
    tx_hash = '0x' + bytes(signed.hash).hex()
    # Journal first: a run killed while waiting finds the transaction (settle) and the address.
    manifest.set(name, {'address': address, 'tx_hash': tx_hash, 'nonce': tx['nonce'], 'pending': True})
    manifest.save()
    signer.send(tx)
    receipt = signer.wait(tx_hash, abi=artifacts[FACTORY].abi, confirmations=confirmations)
    if not code_hash(w3, address):
        raise SafeError('createProxyWithNonce was mined (%s) but %s has no code: the predicted address is wrong for this '
                        'factory' % (tx_hash, address))
    _compare(address, read_safe(w3, address), owners, threshold)
    manifest.set(name, {'address': address, 'tx_hash': tx_hash, 'block': int(receipt['blockNumber']),
                        'code_hash': code_hash(w3, address)})
    manifest.save()
    result.update(state='deployed', tx_hash=tx_hash)
    return result


# ---------------------------------------------------------------------------------------------
# Transactions: sign on each owner's host, execute once
# ---------------------------------------------------------------------------------------------
def check_done(w3, to, abi, check):
    """(done, current value) of a `check` {function, args, expect} on the target contract."""
    if not check:
        return False, None
    current = call_view(w3, to, abi, check['function'], check.get('args'))
    return values_equal(current, check.get('expect')), _plain(current)


def describe_transaction(w3, safe, to, value=0, data=b'', operation=OPERATION_CALL, nonce=None,
                         allow_delegatecall=False):
    """The SafeTx at `nonce` (default: the Safe's next) with its hash, checked against the Safe's own
    getTransactionHash so that a wrong chain or another Safe version shows before anyone signs."""
    safe = to_checksum_address(safe)
    operation = int(operation)
    if operation not in (OPERATION_CALL, OPERATION_DELEGATECALL):
        raise SafeError('operation must be 0 (call) or 1 (delegatecall), not %d' % operation)
    if operation == OPERATION_DELEGATECALL and not allow_delegatecall:
        raise SafeError('operation 1 (delegatecall) runs the target\'s code with the Safe\'s own storage and can take '
                        'it over: set allow_delegatecall=true only for a reviewed library such as MultiSend')
    info = read_safe(w3, safe)
    if nonce is None:
        nonce = info['nonce']
    tx = {'safe': safe, 'to': to_checksum_address(to), 'value': int(value), 'data': '0x' + _hexbytes(data).hex(),
          'operation': operation, 'nonce': int(nonce)}
    chain_id = int(w3.eth.chain_id)
    tx['safe_tx_hash'] = safe_tx_hash(chain_id, safe, tx['to'], tx['value'], tx['data'], operation, tx['nonce'])
    onchain = call_view(w3, safe, SAFE_ABI, 'getTransactionHash',
                        [tx['to'], tx['value'], _hexbytes(tx['data']), operation, 0, 0, 0, ZERO_ADDRESS, ZERO_ADDRESS,
                         tx['nonce']])
    if '0x' + bytes(onchain).hex() != tx['safe_tx_hash']:
        raise SafeError('the Safe at %s computes the transaction hash %s, not %s: it is not a Safe %s on chain %d'
                        % (safe, '0x' + bytes(onchain).hex(), tx['safe_tx_hash'], SAFE_VERSION, chain_id))
    return tx, info


def sign_transaction(account, tx, info, label=None):
    """An owner's signature of the SafeTx `tx` (from describe_transaction); refuses a non-owner."""
    owners = {o.lower() for o in info['owners']}
    if account.address.lower() not in owners:
        raise SafeError('%s%s is not an owner of the Safe %s (owners: %s): sign with the owner key of this host' % (
            account.address, ' (%s)' % label if label else '', tx['safe'], ', '.join(info['owners'])))
    if tx['nonce'] < info['nonce']:
        raise SafeError('nonce %d is already used: the Safe %s is at nonce %d' % (tx['nonce'], tx['safe'], info['nonce']))
    signature = sign(tx['safe_tx_hash'], account.key)
    result = dict(tx, owner=account.address, signature=signature)
    if label:
        result['label'] = label
    return result


def _signature_items(signatures):
    """(label or None, signature hex, signed hash or None, nonce or None) of each given signature:
    a registered result of the signed state (a dict) or a bare hex string. Results with no
    signature (the check already matched on that host) are left out."""
    items = []
    for entry in signatures or []:
        if isinstance(entry, dict):
            if not entry.get('signature'):
                continue
            items.append((entry.get('label') or entry.get('owner'), entry['signature'], entry.get('safe_tx_hash'),
                          entry.get('nonce')))
        elif isinstance(entry, str):
            items.append((None, entry, None, None))
        else:
            raise SafeError('each signature is a result of safe_transaction state=signed or a 0x hex string, not %r'
                            % (entry,))
    return items


def signatures_nonce(signatures):
    """The nonce the given signed results agree on, None when none says."""
    nonces = {int(n) for _l, _s, _h, n in _signature_items(signatures) if n is not None}
    if len(nonces) > 1:
        raise SafeError('the signatures were made for different Safe nonces (%s): sign the same transaction on every '
                        'owner host' % ', '.join(str(n) for n in sorted(nonces)))
    return nonces.pop() if nonces else None


def collect_signatures(tx, info, signatures):
    """{owner: signature} of the given signatures, each checked to recover to an owner of the Safe
    over this very SafeTx hash; fails below the threshold, naming who signed."""
    owners = {o.lower(): o for o in info['owners']}
    collected = {}
    labels = {}
    for label, signature, signed_hash, _nonce in _signature_items(signatures):
        if signed_hash and signed_hash.lower() != tx['safe_tx_hash'].lower():
            raise SafeError('the signature from %s was made for the Safe transaction %s, not %s: to, value, data, '
                            'operation and nonce must be the same on every host' % (label, signed_hash, tx['safe_tx_hash']))
        signer = recover(tx['safe_tx_hash'], signature)
        if signer.lower() not in owners:
            raise SafeError('the signature from %s recovers to %s, which is not an owner of the Safe %s (owners: %s): '
                            'it was made for another transaction or with another key' % (
                                label or signer, signer, tx['safe'], ', '.join(info['owners'])))
        owner = owners[signer.lower()]
        collected[owner] = signature
        if label or owner not in labels:  # the same owner given twice counts once, under its label
            labels[owner] = label or owner
    if len(collected) < info['threshold']:
        raise SafeError('%d of %d signatures needed, got %d%s' % (
            info['threshold'], len(info['owners']), len(collected),
            (': from ' + ', '.join(labels[o] for o in sorted(labels, key=lambda a: int(a, 16)))) if labels else ''))
    return collected


def executed_before(w3, safe, tx_hash, from_block=0):
    """The receipt-level record of an ExecutionSuccess of `tx_hash` by the Safe, or None."""
    topic = '0x' + keccak(text='ExecutionSuccess(bytes32,uint256)').hex()
    logs = w3.eth.get_logs({'address': to_checksum_address(safe), 'fromBlock': from_block, 'toBlock': 'latest',
                            'topics': [topic, tx_hash]})
    if not logs:
        return None
    return {'tx_hash': '0x' + bytes(logs[0]['transactionHash']).hex(), 'block': int(logs[0]['blockNumber'])}


def _inner_reason(w3, tx, abi):
    """Why the target call itself reverts, replayed from the Safe: a Safe with safeTxGas 0 turns
    any inner failure into its own GS013, which hides the target's reason."""
    call = {'from': tx['safe'], 'to': tx['to'], 'value': tx['value'], 'data': tx['data']}
    reason = None
    # Gas price 0 first: the Safe may hold no coin, and geth and anvil charge nothing for a call at
    # price 0; a node that refuses price 0 below the base fee is asked again at its default price.
    for extra in ({'gasPrice': 0}, {}):
        try:
            w3.eth.call(dict(call, **extra))
        # a revert, or a node that refuses the call itself (its message is the reason then)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            if revert_data(exc) is not None:
                return describe_revert(exc, abi)
            reason = str(exc)
            continue
        return None
    return reason


def execute_transaction(w3, signer, tx, info, signatures, target_abi=None, check_mode=False, confirmations=None):
    """Pack the signatures, simulate execTransaction, send it, require ExecutionSuccess."""
    collected = collect_signatures(tx, info, signatures)
    packed = pack_signatures(collected)
    args = [tx['to'], tx['value'], _hexbytes(tx['data']), tx['operation'], 0, 0, 0, ZERO_ADDRESS, ZERO_ADDRESS, packed]
    data = encode_call(SAFE_ABI, 'execTransaction', args)[1]
    abi = SAFE_ABI + list(target_abi or [])
    try:
        built = signer.build(to=tx['safe'], data=data, abi=abi)
    except RevertError as exc:
        message = str(exc)
        if 'GS013' in message:
            inner = _inner_reason(w3, tx, abi)
            message = 'the call to %s fails%s (Safe GS013)' % (tx['to'], ': ' + inner if inner else '')
        raise SafeError('execTransaction of %s on the Safe %s would revert: %s. Nothing was sent.' % (
            tx['safe_tx_hash'], tx['safe'], message)) from exc
    result = {'signers': sorted(collected, key=lambda a: int(a, 16))}
    receipt = send_built(signer, built, result, abi=abi, check_mode=check_mode, confirmations=confirmations)
    if receipt is None:
        return result
    sent = result['tx_hash']
    success = keccak(text='ExecutionSuccess(bytes32,uint256)')
    failure = keccak(text='ExecutionFailure(bytes32,uint256)')
    for log in receipt['logs']:
        if to_checksum_address(log['address']) != tx['safe'] or len(log['topics']) < 2:
            continue
        topic, hashed = bytes(log['topics'][0]), '0x' + bytes(log['topics'][1]).hex()
        if hashed.lower() != tx['safe_tx_hash'].lower():
            continue
        if topic == success:
            return result
        if topic == failure:
            raise SafeError('the Safe executed %s in transaction %s but the call to %s failed (ExecutionFailure)%s' % (
                tx['safe_tx_hash'], sent, tx['to'], _describe_failure(w3, tx, abi)))
    raise SafeError('transaction %s was mined but the Safe %s logged no ExecutionSuccess for %s' % (
        sent, tx['safe'], tx['safe_tx_hash']))


def _describe_failure(w3, tx, abi):
    inner = _inner_reason(w3, tx, abi)
    return ': %s' % inner if inner else ''
