# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compiled contract artifacts (hardhat, hardhat-deploy, truffle, foundry, solc standard-json) and
library linking."""

from __future__ import annotations

import json
import os
import re

from ansible_collections.poa.consortium.plugins.module_utils.contracts.abi import strip_0x
from ansible_collections.poa.consortium.plugins.module_utils.contracts.errors import ContractError

try:
    from eth_utils import keccak, to_checksum_address
except ImportError:  # pragma: no cover - reported by rpc.run_module through HAS_ETH_ABI
    pass

HARDHAT_PLACEHOLDER = re.compile(r'__\$([0-9a-fA-F]{34})\$__')
NON_HEX = re.compile(r'[^0-9a-fA-F]')


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
        return Artifact(cname, cdata.get('abi'), strip_0x(bytecode.get('object')), _link_refs(bytecode.get('linkReferences')),
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
    code = strip_0x(bytecode)
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
