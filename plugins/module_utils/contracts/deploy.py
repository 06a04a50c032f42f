# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Idempotent deployments recorded in the journal, several transactions in flight at once."""

from __future__ import annotations

import time

from ansible_collections.poa.consortium.plugins.module_utils.contracts.abi import encode_arguments
from ansible_collections.poa.consortium.plugins.module_utils.contracts.artifacts import link_bytecode
from ansible_collections.poa.consortium.plugins.module_utils.contracts.errors import ContractError
from ansible_collections.poa.consortium.plugins.module_utils.rpc import RevertError, RpcError, create_address

try:
    from eth_utils import keccak, to_checksum_address
except ImportError:  # pragma: no cover - reported by rpc.run_module through HAS_ETH_ABI
    pass


def code_hash(w3, address):
    code = bytes(w3.eth.get_code(to_checksum_address(address)))
    return ('0x' + keccak(code).hex()) if code else None


def deploy_data(artifact, args=None, libraries=None):
    code = bytes.fromhex(link_bytecode(artifact, libraries))
    return code + encode_arguments(artifact.constructor_abi().get('inputs', []), args)


def record_from_receipt(w3, receipt, tx_hash):
    address = to_checksum_address(receipt['contractAddress'])
    return {'address': address, 'tx_hash': tx_hash, 'block': int(receipt['blockNumber']),
            'code_hash': code_hash(w3, address)}


def inspect_record(w3, name, record, manifest_path=None):
    """State of a manifest record on chain.

    Returns one of: ('absent', None), ('present', record), ('pending', record) (a transaction we
    sent is still unmined), ('mined', record) (a pending record whose transaction has been mined;
    the record returned is complete), ('lost', reason) (a pending record whose transaction the node
    does not know or that failed: safe to deploy again), ('mismatch', reason).
    """
    if not record:
        return 'absent', None
    if record.get('pending'):
        tx_hash = record.get('tx_hash')
        receipt = None
        try:
            receipt = w3.eth.get_transaction_receipt(tx_hash)
        except Exception:
            receipt = None
        if receipt is not None:
            if int(receipt['status']) == 1 and receipt.get('contractAddress'):
                return 'mined', record_from_receipt(w3, receipt, tx_hash)
            return 'lost', 'transaction %s failed' % tx_hash
        try:
            w3.eth.get_transaction(tx_hash)
        except Exception:
            # not known; if its nonce was consumed by another transaction it is gone for good,
            # and if not it was never sent: deploy again either way
            if code_hash(w3, record['address']):
                return 'mismatch', ('%s: the pending deployment %s is unknown to the node but %s has code' % (
                    name, tx_hash, record['address']))
            return 'lost', 'transaction %s is unknown to the node' % tx_hash
        return 'pending', record
    address = record.get('address')
    if not address:
        raise ContractError('manifest %s: contracts.%s has no address' % (manifest_path, name))
    actual = code_hash(w3, address)
    if actual is None:
        return 'mismatch', ('%s is recorded at %s in %s but there is no code at that address (was the chain reset?)' % (
            name, address, manifest_path))
    if record.get('code_hash') and actual.lower() != record['code_hash'].lower():
        return 'mismatch', ('%s at %s has code hash %s but %s records %s' % (
            name, address, actual, manifest_path, record['code_hash']))
    return 'present', record


class Deployer:
    """Idempotent deployments recorded in the manifest, several transactions in flight at once."""

    def __init__(self, w3, signer, manifest, on_mismatch='fail', check_mode=False):
        if on_mismatch not in ('fail', 'redeploy'):
            raise ContractError('on_mismatch must be fail or redeploy')
        self.w3 = w3
        self.signer = signer
        self.manifest = manifest
        self.on_mismatch = on_mismatch
        self.check_mode = check_mode
        self.changed = False
        self.transactions = []

    def status(self, name):
        state, detail = inspect_record(self.w3, name, self.manifest.get(name), self.manifest.path)
        if state == 'mined':
            self.manifest.set(name, detail)
            self.changed = True
            if not self.check_mode:
                self.manifest.save()
        if state == 'mismatch':
            if self.on_mismatch == 'fail':
                raise ContractError('%s. Set on_mismatch=redeploy to deploy it again, or remove contracts.%s from the '
                                    'manifest.' % (detail, name))
            return 'absent', detail
        if state == 'lost':
            return 'absent', detail
        return state, detail

    def start(self, name, artifact, args=None, libraries=None, value=0, gas=None):
        """Build, record as pending and send a deployment; returns a handle for finish()."""
        data = deploy_data(artifact, args, libraries)
        try:
            tx = self.signer.build(data=data, value=value, gas=gas, abi=artifact.abi)
        except RevertError as exc:
            raise RevertError('deployment of %s would revert (constructor): %s' % (name, exc), exc.data)
        self.signer.check_funds(self.signer.cost(tx))
        address = create_address(self.signer.address, tx['nonce'])
        handle = {'name': name, 'address': address, 'nonce': tx['nonce'], 'tx': tx, 'abi': artifact.abi}
        if self.check_mode:
            handle['tx_hash'] = None
            return handle
        return handle

    def send(self, handles):
        """Record every handle as pending in the manifest (one write), then send them all."""
        if self.check_mode:
            return handles
        for h in handles:
            signed = self.signer.account.sign_transaction({k: v for k, v in h['tx'].items() if k != 'from'})
            h['tx_hash'] = '0x' + bytes(signed.hash).hex()
            self.manifest.set(h['name'], {'address': h['address'], 'tx_hash': h['tx_hash'], 'nonce': h['nonce'], 'pending': True})
        self.manifest.save()
        for h in handles:
            self.signer.send(h['tx'])
            self.transactions.append(h['tx_hash'])
        self.changed = True
        return handles

    def finish(self, handles, confirmations=None):
        results = {}
        for h in handles:
            if self.check_mode:
                results[h['name']] = {'address': h['address'], 'tx_hash': None, 'block': None, 'code_hash': None}
                continue
            record = self.deployed(h['tx_hash'], h['abi'], confirmations)
            self.manifest.set(h['name'], record)
            results[h['name']] = record
        if handles and not self.check_mode:
            self.manifest.save()
        return results

    def deployed(self, tx_hash, abi=None, confirmations=None, sleep=time.sleep):
        """The record of a deployment once its receipt is in and its code is at the head. A receipt
        can be undone by a fork choice right after it is read (on Clique, an in-turn block replaces
        an out-of-turn one at the same height): the transaction goes back to the pool, and until it
        is mined again the contract has no code. So wait for it again rather than record it."""
        deadline = time.monotonic() + self.signer.timeout
        while True:
            receipt = self.signer.wait(tx_hash, abi=abi, confirmations=confirmations)
            record = record_from_receipt(self.w3, receipt, tx_hash)
            if record['code_hash']:
                return record
            if time.monotonic() > deadline:
                raise RpcError('transaction %s was mined in block %d, but %s has no code at the head: its block '
                               'was replaced and the transaction is not mined again yet. Re-run later.' % (
                                   tx_hash, record['block'], record['address']))
            sleep(self.signer.poll_interval)

    def wait_pending(self, name, record, confirmations=None):
        rec = self.deployed(record['tx_hash'], confirmations=confirmations)
        self.manifest.set(name, rec)
        self.manifest.save()
        self.changed = True
        return rec

    def ensure(self, name, artifact, args=None, libraries=None, value=0, gas=None, confirmations=None):
        """Deploy `name` unless the manifest records it with matching code on chain.

        Returns (changed, record, state) where state is present|deployed|redeployed|recorded|pending|would deploy.
        """
        state, detail = self.status(name)
        if state == 'present':
            return False, detail, 'present'
        if state == 'mined':  # sent by an earlier run that stopped before recording it
            return True, detail, 'recorded'
        if state == 'pending':
            if self.check_mode:
                return True, detail, 'pending'
            return True, self.wait_pending(name, detail, confirmations), 'deployed'
        handle = self.start(name, artifact, args, libraries, value, gas)
        if self.check_mode:
            return True, self.finish([handle])[name], 'would deploy'
        self.send([handle])
        record = self.finish([handle], confirmations)[name]
        return True, record, 'redeployed' if detail else 'deployed'
