# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared JSON-RPC client: connection checks, keystore signer, nonces, fees, receipts.

Pure Python (web3.py + eth-account); Ansible appears only in run_module, the shared main() of
the signing modules. Errors are raised as RpcError with a message that says what went wrong and
how to fix it.
"""

from __future__ import annotations

import os
import time
import traceback

try:
    from eth_account import Account
    from web3 import Web3
    from web3.middleware import ExtraDataToPOAMiddleware
    from web3.exceptions import ContractLogicError, TimeExhausted, TransactionNotFound, Web3RPCError
    HAS_WEB3 = True
    WEB3_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - exercised by ansible-test import sanity
    HAS_WEB3 = False
    WEB3_IMPORT_ERROR = traceback.format_exc()

# contracts.py and decode_revert need these; the flag lives here so that run_module can report them.
try:
    import eth_abi  # noqa: F401 pylint: disable=unused-import
    import eth_utils  # noqa: F401 pylint: disable=unused-import
    HAS_ETH_ABI = True
    ETH_ABI_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - exercised by ansible-test import sanity
    HAS_ETH_ABI = False
    ETH_ABI_IMPORT_ERROR = traceback.format_exc()

# geth answers this while its transaction index catches up (after a start): no receipt yet.
TX_INDEXING = 'transaction indexing is in progress'


def receipt_or_none(w3, tx_hash):
    """The transaction's receipt, or None while the node has none (yet)."""
    try:
        return w3.eth.get_transaction_receipt(tx_hash)
    except (TransactionNotFound, TimeExhausted):
        return None
    except Web3RPCError as exc:
        if TX_INDEXING in str(exc):
            return None
        raise


DEFAULT_PRIORITY_FEE = 1_000_000_000  # 1 gwei, when the node has no eth_maxPriorityFeePerGas
GAS_MARGIN_PERCENT = 20


class RpcError(Exception):
    """A failure talking to the chain, with a message meant for the operator."""


def require_web3():
    if not HAS_WEB3:
        raise RpcError('web3 and eth-account are required: pip install web3 eth-account')


def connect(rpc_url=None, chain_id=None, timeout=30, provider=None):
    """Return a Web3 connected to rpc_url (or an explicit provider, used by tests).

    Checks that the node answers and, when chain_id is given, that it serves that chain.
    """
    require_web3()
    if provider is None:
        if not rpc_url:
            raise RpcError('rpc_url is required (for example http://127.0.0.1:8545)')
        if not str(rpc_url).lower().startswith(('http://', 'https://')):
            raise RpcError('rpc_url %r is not an HTTP URL: give it as http://host:port (for example http://127.0.0.1:8545)'
                           % (rpc_url,))
        provider = Web3.HTTPProvider(rpc_url, request_kwargs={'timeout': timeout})
    w3 = Web3(provider)
    # PoA chains (Clique, Aura) carry seals in extraData, longer than web3's mainnet check allows.
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    where = rpc_url or type(provider).__name__
    try:
        actual = int(w3.eth.chain_id)
    except Exception as exc:  # connection refused, DNS, timeouts, bad JSON...
        raise RpcError('cannot reach the JSON-RPC endpoint %s: %s. Check rpc_url and that the node is running '
                       'and listening on that address.' % (where, exc))
    if chain_id is not None and int(chain_id) != actual:
        raise RpcError('the node at %s serves chain id %d but chain_id %d was expected. Point rpc_url at the right '
                       'chain or fix chain_id.' % (where, actual, int(chain_id)))
    return w3


def connect_if_up(rpc_url, timeout, must_answer=True):
    """connect(), or None for a node that does not answer when it need not (a read-only look at
    a node that may be down: the caller reports it as not live)."""
    try:
        return connect(rpc_url, timeout=timeout)
    except RpcError:
        if must_answer:
            raise
        return None


def load_keystore_account(keystore, password_file=None, password=None):
    """Decrypt a V3 keystore file with the password read from password_file; return a LocalAccount."""
    require_web3()
    import json
    if not keystore or not os.path.isfile(keystore):
        raise RpcError('keystore file %s not found: give the path of a V3 keystore JSON on the deployer host' % keystore)
    if password is None:
        if not password_file or not os.path.isfile(password_file):
            raise RpcError('password_file %s not found: give the file that holds the keystore password' % password_file)
        with open(password_file, 'r', encoding='utf-8') as handle:
            password = handle.read().rstrip('\r\n')
    try:
        with open(keystore, 'r', encoding='utf-8') as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        raise RpcError('keystore %s is not readable JSON: %s' % (keystore, exc))
    try:
        key = Account.decrypt(data, password)
    except ValueError as exc:
        raise RpcError('cannot decrypt keystore %s (%s): wrong password in password_file?' % (keystore, exc))
    return Account.from_key(key)


def common_argument_spec(manifest_required=False):
    """Options shared by the contract modules (connection, signer, fees, waiting).

    manifest_required: for the modules that record what they deploy in the manifest (the journal).
    """
    return dict(
        rpc_url=dict(type='str', required=True),
        chain_id=dict(type='int'),
        keystore=dict(type='path', required=True),
        password_file=dict(type='path', required=True, no_log=False),
        manifest=dict(type='path', required=True) if manifest_required else dict(type='path'),
        confirmations=dict(type='int', default=1),
        timeout=dict(type='int', default=120),
        gas_price=dict(type='int'),
        max_fee_per_gas=dict(type='int'),
        max_priority_fee_per_gas=dict(type='int'),
    )


def signer_from_params(params, provider=None):
    """(w3, signer) from module parameters; raises RpcError with an operator-facing message."""
    w3 = connect(params['rpc_url'], params.get('chain_id'), timeout=params.get('timeout') or 30, provider=provider)
    account = load_keystore_account(params['keystore'], params['password_file'])
    signer = Signer(w3, account, gas_price=params.get('gas_price'), max_fee_per_gas=params.get('max_fee_per_gas'),
                    max_priority_fee_per_gas=params.get('max_priority_fee_per_gas'),
                    timeout=params.get('timeout') or 120, confirmations=params.get('confirmations') or 1)
    return w3, signer


def run_module(module, run, **fail_extra):
    """The main() of every signing module: check the libraries, then exit with run(module)'s result.

    An RpcError (ContractError included) becomes fail_json(msg=..., **fail_extra), so the
    operator sees the message, not a traceback.
    """
    # Imported here: the bridge validator service uses this file on hosts without ansible-core.
    from ansible.module_utils.basic import missing_required_lib
    if not HAS_WEB3:
        module.fail_json(msg=missing_required_lib('web3'), exception=WEB3_IMPORT_ERROR)
    if not HAS_ETH_ABI:
        module.fail_json(msg=missing_required_lib('eth-abi'), exception=ETH_ABI_IMPORT_ERROR)
    try:
        result = run(module)
    except RpcError as exc:
        module.fail_json(msg=str(exc), **fail_extra)
    module.exit_json(**result)


def create_address(sender, nonce):
    """Address of the contract created by `sender` with a plain CREATE at `nonce`."""
    import rlp
    from eth_utils import keccak, to_bytes, to_checksum_address
    return to_checksum_address(keccak(rlp.encode([to_bytes(hexstr=sender), int(nonce)]))[12:])


class Signer:
    """Signs and sends transactions from one local account.

    Keeps its own nonce counter so that several transactions can be in flight at once; the
    counter starts from the node's pending nonce and is re-read after an error.
    """

    def __init__(self, w3, account, gas_price=None, max_fee_per_gas=None, max_priority_fee_per_gas=None,
                 gas_margin_percent=GAS_MARGIN_PERCENT, timeout=120, poll_interval=0.2, confirmations=1):
        self.w3 = w3
        self.account = account
        self.address = account.address
        self.gas_price = gas_price
        self.max_fee_per_gas = max_fee_per_gas
        self.max_priority_fee_per_gas = max_priority_fee_per_gas
        self.gas_margin_percent = gas_margin_percent
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.confirmations = max(1, int(confirmations))
        self._nonce = None
        self._fees = None
        self.sent = []
        self.receipts = {}

    # -- nonce and fees -------------------------------------------------------------------------
    def next_nonce(self, peek=False):
        if self._nonce is None:
            self._nonce = int(self.w3.eth.get_transaction_count(self.address, 'pending'))
        nonce = self._nonce
        if not peek:
            self._nonce += 1
        return nonce

    def reset_nonce(self):
        self._nonce = None

    def settle(self, sleep=time.sleep):
        """Wait until none of this account's transactions is left in the node's pool.

        A run killed after sending leaves them there; checks of on-chain state made before they are
        mined would see the old state and send them again. Returns how many were waited for.
        """
        deadline = time.monotonic() + self.timeout
        first = None
        while True:
            pending = int(self.w3.eth.get_transaction_count(self.address, 'pending'))
            latest = int(self.w3.eth.get_transaction_count(self.address, 'latest'))
            if first is None:
                first = max(0, pending - latest)
            if pending <= latest:
                return first
            if time.monotonic() > deadline:
                raise RpcError('account %s still has %d transaction(s) pending (nonces %d to %d), probably from an earlier '
                               'run; wait for them to be mined or replace them, then re-run.' % (
                                   self.address, pending - latest, latest, pending - 1))
            sleep(self.poll_interval)

    def fees(self):
        """Fee fields for a transaction: EIP-1559 when the latest block has baseFeePerGas, else legacy."""
        if self._fees is None:
            if self.gas_price is not None:
                self._fees = {'gasPrice': int(self.gas_price)}
            else:
                latest = self.w3.eth.get_block('latest')
                base = latest.get('baseFeePerGas')
                if base is None:
                    self._fees = {'gasPrice': int(self.w3.eth.gas_price)}
                else:
                    prio = self.max_priority_fee_per_gas
                    if prio is None:
                        try:
                            prio = int(self.w3.eth.max_priority_fee)
                        except Exception:
                            prio = DEFAULT_PRIORITY_FEE
                    max_fee = self.max_fee_per_gas
                    if max_fee is None:
                        max_fee = 2 * int(base) + int(prio)
                    self._fees = {'maxFeePerGas': int(max_fee), 'maxPriorityFeePerGas': min(int(prio), int(max_fee))}
        return dict(self._fees)

    def price_per_gas(self):
        fees = self.fees()
        return fees.get('gasPrice', fees.get('maxFeePerGas'))

    # -- building and sending -------------------------------------------------------------------
    def estimate_gas(self, tx, abi=None):
        """eth_estimateGas plus a margin. A revert is raised as RpcError with its decoded reason."""
        call = {k: v for k, v in tx.items() if k in ('from', 'to', 'data', 'value')}
        call.setdefault('from', self.address)
        try:
            gas = int(self.w3.eth.estimate_gas(call))
        except Exception as exc:
            if revert_data(exc) is None:
                text = str(exc)
                if 'insufficient funds' in text.lower() or 'cannot afford' in text.lower():
                    raise RpcError('account %s has %d wei, not enough to pay for gas and value (node says: %s): fund it '
                                   'first (for example with poa.consortium.fund_account).' % (
                                       self.address, int(self.w3.eth.get_balance(self.address)), text))
                raise RpcError('gas estimation failed: %s' % (exc,))
            raise RevertError('reverted: %s' % describe_revert(exc, abi), revert_data(exc))
        return gas * (100 + self.gas_margin_percent) // 100

    def build(self, to=None, data=b'', value=0, gas=None, abi=None, nonce=None):
        tx = {'from': self.address, 'value': int(value or 0), 'data': data, 'chainId': int(self.w3.eth.chain_id)}
        if to is not None:
            tx['to'] = to
        tx.update(self.fees())
        if gas is None:
            gas = self.estimate_gas(tx, abi)
        tx['gas'] = int(gas)
        tx['nonce'] = self.next_nonce() if nonce is None else int(nonce)
        return tx

    def cost(self, tx):
        return int(tx['gas']) * int(tx.get('gasPrice', tx.get('maxFeePerGas', 0))) + int(tx.get('value', 0))

    def check_funds(self, needed):
        balance = int(self.w3.eth.get_balance(self.address))
        if balance < needed:
            raise RpcError('account %s has %d wei but needs at least %d wei for this transaction (gas and value): '
                           'fund it first (for example with poa.consortium.fund_account).' % (self.address, balance, needed))
        return balance

    def send(self, tx):
        """Sign and send; return the transaction hash (0x hex)."""
        tx = dict(tx)
        tx.pop('from', None)
        signed = self.account.sign_transaction(tx)
        try:
            tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        except Exception as exc:
            self.reset_nonce()
            text = str(exc)
            if 'insufficient funds' in text.lower():
                raise RpcError('account %s cannot pay for the transaction: %s. Fund it first.' % (self.address, text))
            raise RpcError('the node refused the transaction (nonce %s): %s' % (tx.get('nonce'), text))
        tx_hash = Web3.to_hex(tx_hash)
        self.sent.append(tx_hash)
        return tx_hash

    def wait(self, tx_hash, abi=None, confirmations=None, sleep=time.sleep):
        """Wait for the receipt and `confirmations` blocks; raise RevertError if the transaction failed."""
        confirmations = self.confirmations if confirmations is None else max(1, int(confirmations))
        deadline = time.monotonic() + self.timeout
        receipt = None
        while True:
            if receipt is None:
                receipt = receipt_or_none(self.w3, tx_hash)
            if receipt is not None:
                if int(receipt['status']) != 1:
                    raise RevertError('transaction %s reverted: %s' % (tx_hash, self.replay_reason(tx_hash, receipt, abi)), None)
                depth = int(self.w3.eth.block_number) - int(receipt['blockNumber']) + 1
                if depth >= confirmations:
                    self.receipts[tx_hash] = receipt
                    return receipt
            if time.monotonic() > deadline:
                what = 'receipt' if receipt is None else '%d confirmations' % confirmations
                raise RpcError('timed out after %ss waiting for the %s of transaction %s; it may still be pending. '
                               'Re-run later or raise timeout.' % (self.timeout, what, tx_hash))
            sleep(self.poll_interval)

    def replay_reason(self, tx_hash, receipt, abi=None):
        """Re-execute a failed transaction with eth_call at its block to recover the revert data."""
        try:
            tx = self.w3.eth.get_transaction(tx_hash)
            call = {'from': tx['from'], 'data': tx['input'], 'value': tx['value'], 'gas': tx['gas']}
            if tx.get('to'):
                call['to'] = tx['to']
            self.w3.eth.call(call, int(receipt['blockNumber']) - 1)
        except Exception as exc:  # the node may also not keep old state
            if revert_data(exc) is not None:
                return describe_revert(exc, abi)
            return 'no reason available (%s)' % exc
        return 'out of gas or no reason given (gas used %s)' % receipt.get('gasUsed')


class RevertError(RpcError):
    """A call or transaction reverted; the message carries the decoded reason."""

    def __init__(self, message, data=None):
        super().__init__(message)
        self.data = data


PANIC_CODES = {
    0x01: 'assertion failed', 0x11: 'arithmetic overflow or underflow', 0x12: 'division or modulo by zero',
    0x21: 'invalid enum value', 0x22: 'bad storage byte array encoding', 0x31: 'pop on empty array',
    0x32: 'array index out of bounds', 0x41: 'too much memory allocated', 0x51: 'call to a zero function pointer',
}
ERROR_STRING_SELECTOR = '08c379a0'
PANIC_SELECTOR = '4e487b71'


def decode_revert(data, abi=None):
    """Readable text for revert data: Error(string), Panic(uint256) or a custom error of the ABI."""
    from eth_abi import decode
    from eth_utils import (
        abi_to_signature, function_abi_to_4byte_selector, get_abi_input_names, get_abi_input_types, to_checksum_address,
    )
    if isinstance(data, (bytes, bytearray)):
        data = '0x' + bytes(data).hex()
    raw = (data or '0x')[2:].lower()
    if not raw:
        return 'reverted without a reason'
    selector, body = raw[:8], bytes.fromhex(raw[8:]) if len(raw) % 2 == 0 else b''
    try:
        if selector == ERROR_STRING_SELECTOR:
            return 'Error("%s")' % decode(['string'], body)[0]
        if selector == PANIC_SELECTOR:
            code = decode(['uint256'], body)[0]
            return 'Panic(0x%02x: %s)' % (code, PANIC_CODES.get(code, 'unknown panic code'))
    except Exception:  # malformed payload: fall through to the raw data
        pass
    for entry in abi or []:
        if entry.get('type') != 'error':
            continue
        if function_abi_to_4byte_selector(entry).hex() != selector:
            continue
        try:
            values = decode(get_abi_input_types(entry), body)
        except Exception:
            break
        names = get_abi_input_names(entry)
        values = [to_checksum_address(v) if t == 'address' else v for t, v in zip(get_abi_input_types(entry), values)]
        parts = []
        for name, value in zip(names, values):
            if isinstance(value, bytes):
                value = '0x' + value.hex()
            parts.append('%s=%s' % (name, value) if name else str(value))
        return '%s(%s)' % (entry['name'], ', '.join(parts)) if parts else abi_to_signature(entry)
    return 'unknown custom error 0x%s (revert data 0x%s): give the ABI that declares it' % (selector, raw)


def revert_data(exc):
    """Revert data (0x hex) or reason text carried by an exception, or None if it is not a revert.

    web3 raises ContractLogicError with .data for JSON-RPC nodes; its in-process eth-tester provider
    raises TransactionFailed('execution reverted: <reason or bytes repr>') instead.
    """
    import ast
    data = getattr(exc, 'data', None)
    if isinstance(data, dict):
        data = data.get('data')
    if isinstance(data, str) and data.startswith('0x') and len(data) >= 10:
        return data
    text = getattr(exc, 'message', None) or str(exc)
    if HAS_WEB3 and isinstance(exc, ContractLogicError):
        return text
    if 'revert' not in text.lower() and type(exc).__name__ != 'TransactionFailed':
        return None
    tail = text.split('execution reverted:', 1)[-1].strip()
    if tail[:2] in ("b'", 'b"'):
        try:
            return '0x' + ast.literal_eval(tail).hex()
        except (ValueError, SyntaxError):
            return tail
    return tail or 'reverted without a reason'


def describe_revert(exc, abi=None):
    """A readable reason for a revert exception, decoding custom errors from the ABI."""
    data = revert_data(exc)
    if data is None:
        return str(exc)
    if data.startswith('0x'):
        return decode_revert(data, abi)
    return 'Error("%s")' % data if not data.startswith(('Error(', 'reverted')) else data
