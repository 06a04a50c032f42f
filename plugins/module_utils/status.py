# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Health of a running consortium, read over JSON-RPC from every node.

A node is healthy when it serves the expected chain id and genesis hash, has the expected number
of peers, and its head advances; the chain is healthy when every authority has sealed one of the
last K blocks.
"""

from __future__ import annotations

import time
import traceback

try:
    import rlp
    from eth_keys import keys
    from eth_utils import keccak, to_checksum_address
    HAS_ETH = True
    ETH_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - exercised by ansible-test import sanity
    HAS_ETH = False
    ETH_IMPORT_ERROR = traceback.format_exc()

from ansible_collections.poa.consortium.plugins.module_utils.rpc import RpcError, connect

CLIQUE_VANITY = 32
CLIQUE_SEAL = 65


def _b(value):
    """HexBytes / hex string / bytes -> bytes."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    text = str(value)
    return bytes.fromhex(text[2:] if text.startswith('0x') else text)


def _int(value):
    if isinstance(value, int):
        return value
    return int(str(value), 16) if str(value).startswith('0x') else int(value)


def _extra_data(block):
    """extraData, which web3's PoA middleware renames proofOfAuthorityData."""
    return _b(block['extraData'] if 'extraData' in block else block['proofOfAuthorityData'])


def clique_signer(block):
    """Address that sealed a Clique block, recovered from the 65-byte seal in extraData.

    Written by hand: no maintained library exposes Clique's seal hash. Per EIP-225 it is the
    keccak of the RLP header with the seal cut off extraData; London and later fields are
    appended when the block has them.
    """
    extra = _extra_data(block)
    if len(extra) < CLIQUE_VANITY + CLIQUE_SEAL:
        raise ValueError('block %s has no Clique seal (extraData is %d bytes)' % (block.get('number'), len(extra)))
    fields = [
        _b(block['parentHash']), _b(block['sha3Uncles']), _b(block['miner']), _b(block['stateRoot']),
        _b(block['transactionsRoot']), _b(block['receiptsRoot']), _b(block['logsBloom']),
        _int(block['difficulty']), _int(block['number']), _int(block['gasLimit']), _int(block['gasUsed']),
        _int(block['timestamp']), extra[:-CLIQUE_SEAL], _b(block['mixHash']), _b(block['nonce']),
    ]
    if block.get('baseFeePerGas') is not None:
        fields.append(_int(block['baseFeePerGas']))
    if block.get('withdrawalsRoot') is not None:
        fields.append(_b(block['withdrawalsRoot']))
    seal = extra[-CLIQUE_SEAL:]
    v = seal[64] - 27 if seal[64] >= 27 else seal[64]
    signature = keys.Signature(seal[:64] + bytes([v]))
    public_key = signature.recover_public_key_from_msg_hash(keccak(rlp.encode(fields)))
    return public_key.to_checksum_address()


def block_sealer(block):
    """The authority that sealed ``block``: the Clique seal's signer, else the Aura author (miner).

    A Clique block's miner is not its sealer: it is zero, or the address a signer votes on. Aura
    blocks carry at most 32 bytes of extra data, never room for a seal."""
    extra = _extra_data(block)
    if len(extra) >= CLIQUE_VANITY + CLIQUE_SEAL:
        return clique_signer(block)
    return to_checksum_address(block['miner'])


def probe(node, timeout=5):
    """Read one node's chain id, genesis hash, peer count and head. Never raises."""
    row = dict(name=node['name'], company=node.get('company', ''), rpc_url=node['rpc_url'],
               role=node.get('role', 'authority'), address=node.get('address'), reachable=False,
               chain_id=None, genesis_hash=None, peers=None, head=None, error=None)
    try:
        w3 = connect(node['rpc_url'], timeout=timeout)
        row['chain_id'] = int(w3.eth.chain_id)
        row['genesis_hash'] = '0x' + bytes(w3.eth.get_block(0)['hash']).hex()
        row['peers'] = int(w3.net.peer_count)
        row['head'] = int(w3.eth.block_number)
        row['reachable'] = True
        row['w3'] = w3
    except RpcError as exc:
        row['error'] = str(exc)
    except Exception as exc:  # a node that answers garbage is as sick as one that does not answer
        row['error'] = 'JSON-RPC call to %s failed: %s' % (node['rpc_url'], exc)
    return row


def last_sealed(w3, head, window):
    """Map sealer address -> highest block number it sealed among the last ``window`` blocks."""
    sealed = {}
    for number in range(head, max(0, head - window), -1):
        sealer = block_sealer(w3.eth.get_block(number))
        sealed.setdefault(sealer, number)
    return sealed


def check(nodes, chain_id, genesis_hash, expected_peers=None, window=None, advance_timeout=30.0,
          poll=0.5, timeout=5, clock=time.monotonic, sleep=time.sleep, quick=False):
    """Check every node; return (rows, problems). ``problems`` names each sick node and why.

    With ``quick``, the head-advance wait (up to one block period) is skipped when another problem
    is already found: a caller that polls a starting network learns sooner that it is not ready.
    An empty ``problems`` always means every check ran."""
    if not nodes:
        raise ValueError('no nodes to check: the manifest lists none; run the chain and node phases first')
    authorities = [n for n in nodes if n.get('role', 'authority') == 'authority']
    expected_peers = len(nodes) - 1 if expected_peers is None else expected_peers
    window = window or 2 * len(authorities) + 1
    rows = [probe(n, timeout) for n in nodes]
    problems = []
    for row in rows:
        name = row['name']
        if not row['reachable']:
            problems.append('%s: unreachable: %s' % (name, row['error']))
            continue
        if row['chain_id'] != int(chain_id):
            problems.append('%s: serves chain id %s, the manifest says %s' % (name, row['chain_id'], chain_id))
        if row['genesis_hash'] != genesis_hash.lower():
            problems.append('%s: genesis hash %s differs from the manifest\'s %s (wrong chain spec?)'
                            % (name, row['genesis_hash'], genesis_hash))
        if row['peers'] < expected_peers:
            problems.append('%s: has %d peers, expected %d' % (name, row['peers'], expected_peers))

    # Sealing: read the last K blocks from the node with the highest head.
    live = [r for r in rows if r['reachable']]
    for row in rows:
        row['last_sealed'] = None
    if live:
        best = max(live, key=lambda r: r['head'])
        sealed = last_sealed(best['w3'], best['head'], window)
        for row in rows:
            if row['role'] == 'authority' and row.get('address'):
                row['last_sealed'] = sealed.get(to_checksum_address(row['address']))
                if row['last_sealed'] is None:
                    problems.append('%s: authority %s sealed none of the last %d blocks (up to #%d)'
                                    % (row['name'], row['address'], window, best['head']))
    if not (quick and problems):
        problems.extend(_heads_stuck(live, advance_timeout, poll, clock, sleep))
    for row in rows:
        row.pop('w3', None)
    return rows, problems


def _heads_stuck(live, advance_timeout, poll, clock, sleep):
    """Head advancing: every reachable node must show a new block within advance_timeout."""
    start_heads = dict((r['name'], r['head']) for r in live)
    deadline = clock() + advance_timeout
    waiting = set(start_heads)
    while waiting:
        for row in live:
            if row['name'] in waiting:
                try:
                    row['head'] = int(row['w3'].eth.block_number)
                except Exception as exc:
                    row['error'] = str(exc)
                if row['head'] > start_heads[row['name']]:
                    waiting.discard(row['name'])
        if not waiting or clock() >= deadline:
            break
        sleep(poll)
    return ['%s: head stuck at block %d for %.0f s' % (name, start_heads[name], advance_timeout)
            for name in sorted(waiting)]


def table(rows):
    """A short fixed-width table: node, company, peers, head, last sealed."""
    header = ('node', 'company', 'peers', 'head', 'last sealed')
    lines = [header] + [
        (r['name'], r['company'] or '-', '-' if r['peers'] is None else str(r['peers']),
         '-' if r['head'] is None else str(r['head']),
         '-' if r.get('last_sealed') is None else '#%d' % r['last_sealed'])
        for r in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return ['  '.join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in lines]
