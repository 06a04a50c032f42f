# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Contracts: compiled artifacts, library linking, the consortium manifest, idempotent deploys,
idempotent transactions and account funding.

Pure Python on top of web3.py / eth-abi; no Ansible here. Errors are ContractError (or the
RpcError family from rpc.py) with messages meant for the operator.
"""

from __future__ import annotations

import json
import os
import re

from ansible_collections.poa.consortium.plugins.module_utils import fileio
from ansible_collections.poa.consortium.plugins.module_utils.manifest import dumps as manifest_dumps
from ansible_collections.poa.consortium.plugins.module_utils.units import parse_wei

from ansible_collections.poa.consortium.plugins.module_utils.rpc import (  # pylint: disable=unused-import
    RevertError, RpcError, create_address, decode_revert, describe_revert, revert_data,
)  # noqa: F401 - decode_revert is re-exported for the tests

try:
    from eth_abi import decode as abi_decode, encode as abi_encode
    from eth_utils import (
        function_abi_to_4byte_selector, keccak, to_checksum_address,
    )
except ImportError:  # pragma: no cover - reported by rpc.run_module through HAS_ETH_ABI
    pass

HARDHAT_PLACEHOLDER = re.compile(r'__\$([0-9a-fA-F]{34})\$__')
NON_HEX = re.compile(r'[^0-9a-fA-F]')
ERC20_ABI = [
    {'type': 'function', 'name': 'balanceOf', 'stateMutability': 'view',
     'inputs': [{'name': 'account', 'type': 'address'}], 'outputs': [{'name': '', 'type': 'uint256'}]},
    {'type': 'function', 'name': 'transfer', 'stateMutability': 'nonpayable',
     'inputs': [{'name': 'to', 'type': 'address'}, {'name': 'value', 'type': 'uint256'}],
     'outputs': [{'name': '', 'type': 'bool'}]},
    {'type': 'error', 'name': 'ERC20InsufficientBalance', 'inputs': [
        {'name': 'sender', 'type': 'address'}, {'name': 'balance', 'type': 'uint256'}, {'name': 'needed', 'type': 'uint256'}]},
]


class ContractError(RpcError):
    """Bad artifact, unlinkable bytecode, manifest problem or a chain that disagrees with it."""


# ---------------------------------------------------------------------------------------------
# Artifacts
# ---------------------------------------------------------------------------------------------
class Artifact:
    """ABI plus creation bytecode (hex without 0x, possibly with link placeholders)."""

    def __init__(self, name, abi, bytecode, link_references=None, source=None, origin=None):
        self.name = name
        self.abi = abi or []
        self.bytecode = bytecode
        # {'path/File.sol:Lib': [byte offset, ...]}
        self.link_references = link_references or {}
        self.source = source
        self.origin = origin

    def constructor_abi(self):
        for entry in self.abi:
            if entry.get('type') == 'constructor':
                return entry
        return {'type': 'constructor', 'inputs': []}

    def needed_libraries(self):
        """Fully qualified (or bare, for truffle placeholders) names of the libraries to link."""
        names = set(self.link_references)
        for _offset, name in truffle_placeholders(strip_hardhat_placeholders(self.bytecode)):
            names.add(name)
        return sorted(names)


def truffle_placeholders(code):
    """(offset, name) of each truffle-style __Name____ placeholder (40 characters) in hex code."""
    pos = 0
    while True:
        match = NON_HEX.search(code, pos)
        if match is None:
            return
        start = match.start()
        window = code[start:start + 40]
        if window.startswith('__') and not window.startswith('__$'):
            yield start, window[2:].rstrip('_')
        pos = start + 40


def strip_hardhat_placeholders(code):
    return HARDHAT_PLACEHOLDER.sub('0' * 40, code)


def _strip0x(code):
    code = code or ''
    return code[2:] if code[:2] in ('0x', '0X') else code


def _link_refs(refs):
    out = {}
    for path, libs in (refs or {}).items():
        for lib, positions in libs.items():
            out.setdefault('%s:%s' % (path, lib), []).extend(int(p['start']) for p in positions)
    return out


def parse_artifact(data, contract=None, origin=None):
    """Normalise a hardhat, hardhat-deploy, truffle, foundry or solc standard-json artifact."""
    if not isinstance(data, dict):
        raise ContractError('artifact %s is not a JSON object' % (origin or ''))
    if 'contracts' in data and isinstance(data['contracts'], dict) and 'bytecode' not in data:
        found = []
        for path, contracts in data['contracts'].items():
            for cname, cdata in (contracts or {}).items():
                if contract in (None, cname, '%s:%s' % (path, cname)):
                    found.append((path, cname, cdata))
        if not found:
            raise ContractError('contract %s not found in solc output %s; available: %s' % (
                contract, origin, ', '.join(sorted('%s:%s' % (p, c) for p, cs in data['contracts'].items() for c in cs))))
        if len(found) > 1:
            raise ContractError('solc output %s holds several contracts (%s): set contract to one of them' % (
                origin, ', '.join('%s:%s' % (p, c) for p, c, _data in found)))
        path, cname, cdata = found[0]
        evm = cdata.get('evm') or {}
        bytecode = evm.get('bytecode') or {}
        return Artifact(cname, cdata.get('abi'), _strip0x(bytecode.get('object')), _link_refs(bytecode.get('linkReferences')),
                        source=path, origin=origin)
    if 'abi' not in data or 'bytecode' not in data:
        raise ContractError('artifact %s has no abi/bytecode: expected a hardhat, truffle, hardhat-deploy or solc '
                            'standard-json artifact' % (origin or ''))
    bytecode = data['bytecode']
    refs = data.get('linkReferences')
    if isinstance(bytecode, dict):  # foundry: {"object": ..., "linkReferences": ...}
        refs = bytecode.get('linkReferences')
        bytecode = bytecode.get('object')
    name = data.get('contractName') or contract or (os.path.splitext(os.path.basename(origin))[0] if origin else None)
    code = _strip0x(bytecode)
    if not code:
        raise ContractError('artifact %s has an empty bytecode (an interface or abstract contract?)' % (origin or name))
    return Artifact(name, data['abi'], code, _link_refs(refs), source=data.get('sourceName') or data.get('sourcePath'),
                    origin=origin)


def load_artifact(path, contract=None):
    if not path or not os.path.isfile(path):
        raise ContractError('artifact file %s not found: build the contracts (or install the npm package that ships '
                            'them) and give the path of the JSON artifact' % path)
    try:
        with open(path, 'r', encoding='utf-8') as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        raise ContractError('artifact %s is not readable JSON: %s' % (path, exc))
    return parse_artifact(data, contract, origin=path)


def placeholder_hash(fq_name):
    """The 34 hex characters solc >= 0.5 puts in __$...$__ for a fully qualified library name."""
    return keccak(text=fq_name).hex()[:34]


def link_bytecode(artifact, libraries=None):
    """Return the creation bytecode (hex, no 0x) with every library address in place.

    Written by hand: web3.py has no linker. Libraries are keyed by fully qualified name
    ('contracts/Lib.sol:Lib') or by bare name ('Lib').
    """
    libraries = dict(libraries or {})
    by_bare = {}
    by_hash = {}
    for key, address in libraries.items():
        try:
            addr = to_checksum_address(address)[2:].lower()
        except (ValueError, TypeError):
            raise ContractError('library %s: %r is not an address' % (key, address))
        by_bare[key.split(':')[-1]] = addr
        if ':' in key:
            by_hash[placeholder_hash(key)] = addr
    code = artifact.bytecode
    missing = set()
    for fq_name, positions in artifact.link_references.items():
        addr = libraries.get(fq_name)
        addr = to_checksum_address(addr)[2:].lower() if addr else by_bare.get(fq_name.split(':')[-1])
        if addr is None:
            missing.add(fq_name)
            continue
        by_hash[placeholder_hash(fq_name)] = addr
        for start in positions:
            code = code[:2 * start] + addr + code[2 * start + 40:]

    def _hh(match):
        addr = by_hash.get(match.group(1).lower())
        if addr is None:
            missing.add('__$%s$__' % match.group(1))
            return match.group(0)
        return addr
    code = HARDHAT_PLACEHOLDER.sub(_hh, code)

    # truffle placeholders are exactly 40 characters: '__' + name, padded with '_'
    pieces = []
    pos = 0
    for start, name in truffle_placeholders(code):
        addr = by_bare.get(name)
        if addr is None:  # truffle truncates long names to 38 characters
            addr = next((a for bare, a in by_bare.items() if len(bare) > 38 and bare[:38] == name), None)
        if addr is None:
            missing.add(name)
            continue
        pieces.append(code[pos:start])
        pieces.append(addr)
        pos = start + 40
    pieces.append(code[pos:])
    code = ''.join(pieces)
    if missing or re.search(r'[^0-9a-fA-F]', code):
        raise ContractError('bytecode of %s needs libraries that were not given: %s. Deploy them first and pass '
                            'their addresses in libraries (keys: fully qualified name or bare name).' % (
                                artifact.name, ', '.join(sorted(missing)) or 'unknown placeholder'))
    return code


# ---------------------------------------------------------------------------------------------
# ABI helpers
# ---------------------------------------------------------------------------------------------
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
            raw = bytes.fromhex(_strip0x(value))
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


def check_argument_spec():
    """The `check` option of the modules that send a transaction only when a view call shows it is needed."""
    return dict(type='dict', options=dict(
        function=dict(type='str', required=True),
        args=dict(type='list', elements='raw', default=[]),
        expect=dict(type='raw', required=True),
    ))


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


def code_hash(w3, address):
    code = bytes(w3.eth.get_code(to_checksum_address(address)))
    return ('0x' + keccak(code).hex()) if code else None


# ---------------------------------------------------------------------------------------------
# Manifest
# ---------------------------------------------------------------------------------------------
def read_bridge(path):
    """The manifest's `bridge` object; a missing manifest, or one without a bridge, is said so."""
    if not path or not os.path.exists(path):
        raise ContractError('the consortium manifest %s is missing: run site.yml (or chain.yml, then bridge.yml) '
                            'against the same inventory first, or point manifest at it' % path)
    bridge = read_manifest(path).get('bridge')
    if not bridge:
        raise ContractError('%s has no bridge: deploy it first (playbooks/bridge.yml)' % path)
    return bridge


def read_manifest(path):
    """The consortium manifest as a dict ({} when the file does not exist yet)."""
    if not path or not os.path.exists(path):
        return {}
    try:
        with open(path, 'r', encoding='utf-8') as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        raise ContractError('manifest %s is not readable JSON: %s. Fix or remove it.' % (path, exc))
    if not isinstance(data, dict):
        raise ContractError('manifest %s must hold a JSON object' % path)
    if not isinstance(data.get('contracts', {}), dict):
        raise ContractError('manifest %s: "contracts" must be an object of name -> record' % path)
    return data


def write_manifest(path, data):
    """Write atomically, in the manifest's canonical layout (manifest.dumps). Keeps the file mode."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    mode = os.stat(path).st_mode & 0o777 if os.path.exists(path) else 0o644
    try:
        fileio.atomic_write(path, manifest_dumps(data).encode('utf-8'), mode=mode)
    except fileio.FileWriteError as exc:
        raise ContractError('manifest %s: %s' % (path, exc))


class Manifest:
    """The manifest file plus helpers to update its `contracts` key; other keys are left alone.

    The signing modules' journal, saved before each send. Not manifest.update(), which validates
    `nodes`, resets the mode to 0644 and wants the directory to exist: this one keeps the mode and
    makes the directory. Both share the layout (manifest.dumps) and the writer (fileio.atomic_write).
    """

    def __init__(self, path):
        self.path = path
        self.data = read_manifest(path)
        self.before = json.loads(json.dumps(self.data))

    @property
    def contracts(self):
        return self.data.setdefault('contracts', {})

    def get(self, name):
        return self.data.get('contracts', {}).get(name)

    def set(self, name, record):
        self.contracts[name] = record

    def save(self):
        if self.path:
            # re-read so that keys written by others meanwhile are kept; ours win for `contracts`
            # (only `contracts` is ours: writing back our copy of the others would undo their changes)
            current = read_manifest(self.path)
            current.setdefault('contracts', {}).update(self.data.get('contracts', {}))
            self.data = current
            write_manifest(self.path, current)

    def changed(self):
        return self.before != self.data


# ---------------------------------------------------------------------------------------------
# Deployments
# ---------------------------------------------------------------------------------------------
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
            receipt = self.signer.wait(h['tx_hash'], abi=h['abi'], confirmations=confirmations)
            record = record_from_receipt(self.w3, receipt, h['tx_hash'])
            self.manifest.set(h['name'], record)
            results[h['name']] = record
        if handles and not self.check_mode:
            self.manifest.save()
        return results

    def wait_pending(self, name, record, confirmations=None):
        receipt = self.signer.wait(record['tx_hash'], confirmations=confirmations)
        rec = record_from_receipt(self.w3, receipt, record['tx_hash'])
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


# ---------------------------------------------------------------------------------------------
# Transactions on deployed contracts
# ---------------------------------------------------------------------------------------------
def resolve_address(manifest, target):
    """An address, or the name of a contract recorded in the manifest."""
    if isinstance(target, str) and target.startswith('0x') and len(target) == 42:
        return to_checksum_address(target)
    record = manifest.get(target) if manifest is not None else None
    if not record or not record.get('address'):
        raise ContractError('%s is neither an address nor a contract recorded in the manifest %s' % (
            target, manifest.path if manifest is not None else '(none given)'))
    return to_checksum_address(record['address'])


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
    signer.check_funds(signer.cost(tx))
    result['changed'] = True
    if check_mode:
        signer.reset_nonce()
        return result
    tx_hash = signer.send(tx)
    receipt = signer.wait(tx_hash, abi=abi, confirmations=confirmations)
    result.update(tx_hash=tx_hash, block=int(receipt['blockNumber']), gas_used=int(receipt['gasUsed']))
    if check:
        after = call_view(w3, address, abi, check['function'], check.get('args'))
        result['after'] = _plain(after)
        if not values_equal(after, check.get('expect')):
            raise ContractError('%s was sent (%s) but %s now returns %r, not the expected %r: the check does not '
                                'match what the transaction does' % (function, tx_hash, check['function'], _plain(after),
                                                                     check.get('expect')))
    return result


# ---------------------------------------------------------------------------------------------
# Funding
# ---------------------------------------------------------------------------------------------
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
