# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keeps a geth node peered with every other node of the consortium, and lets an authority seal
only once it has enough of them. It runs next to geth (same supervisord), over geth's IPC socket.

Written by hand because no geth option or library does this, and geth alone fails a small static
mesh in two ways:
- geth dials every static peer the moment it starts. When nodes start together, two of them dial
  each other at once; each may keep a different one of the two connections, then both close, and
  geth redials a static peer only 35 s after its previous dial. A peer still down when dialed
  also waits those 35 s.
- an authority that seals before it has peers forks the chain: after a restart of every node,
  each one seals its own next blocks, and Clique never leaves a fork on which every node has
  signed recently. The chain then stalls for good.

So geth runs with no static or trusted peers in its config (a change of peers then restarts only
this keeper, not the node) and without --mine, and this keeper:
- trusts every peer (admin_addTrustedPeer), once per geth process;
- dials a missing peer (admin_addPeer) once its p2p port accepts connections. Of two nodes, the
  one with the lower node id dials; the other dials too if they are still apart DIAL_GRACE
  seconds later. geth then keeps a dialed peer as static and redials it on its own;
- starts sealing (miner_start) once the node has every peer and either is the in-turn signer of
  the next block or has seen a new block, or, SEAL_GRACE seconds after geth started, with enough
  peers for a majority of the nodes. It never stops sealing;
- reconnects its peers when the head has not moved for `stall` seconds with every peer there.
  geth accepts blocks from the network only once it has synced from a peer whose total
  difficulty beats its own, and it learns a peer's total difficulty at the handshake (a
  broadcast block only tells it the parent's). Nodes that met at the same head, such as a new
  chain's nodes before block 1, would otherwise drop each other's blocks for good.
Only stdlib: it runs beside every node, so it stays small.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import sys
import time
from urllib.parse import urlparse

# geth's RLPx handshake times out after 5 s: by then the lower id's dial has succeeded or failed.
DIAL_GRACE = 5.0
SEAL_GRACE = 10.0
# A head that stands this long (and at least a few block periods) with every peer there is stuck.
STALL_GRACE = 20.0
POLL = 0.5
LOG = logging.getLogger('poa.keeper')


class GethIpc:
    """One JSON-RPC call per connection on geth's IPC socket."""

    def __init__(self, path: str, timeout: float = 5.0):
        self.path = path
        self.timeout = timeout
        self.ids = 0

    def identity(self):
        """The socket file's inode and change time: geth makes a new socket each time it starts
        (an inode number alone may be reused at once)."""
        try:
            stat = os.stat(self.path)
        except OSError:
            return None
        return stat.st_ino, stat.st_ctime_ns

    def __call__(self, method: str, params: list | None = None):
        self.ids += 1
        request = json.dumps({'jsonrpc': '2.0', 'id': self.ids, 'method': method, 'params': params or []})
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(self.timeout)
            sock.connect(self.path)
            sock.sendall(request.encode())
            buffer = b''
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError(f'{method}: geth closed the IPC connection')
                buffer += chunk
                try:
                    answer = json.loads(buffer)
                    break
                except ValueError:
                    continue
        if answer.get('error'):
            raise RuntimeError(f"{method}: {answer['error'].get('message', answer['error'])}")
        return answer.get('result')


def enode_id(enode: str) -> str:
    return urlparse(enode).username.lower()


def enode_endpoint(enode: str) -> tuple[str, int]:
    parsed = urlparse(enode)
    return parsed.hostname, parsed.port or 30303


def port_open(endpoint: tuple[str, int], timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection(endpoint, timeout=timeout):
            return True
    except OSError:
        return False


class Keeper:
    """The decisions, one step at a time; `rpc` calls geth, `reachable` probes a peer's p2p port."""

    def __init__(self, peers: list[str], seal: bool, rpc, reachable=port_open, log=LOG.info, stall=STALL_GRACE):
        self.peers = {enode_id(enode): enode for enode in peers}
        self.seal = seal
        self.stall = stall
        self.rpc = rpc
        self.reachable = reachable
        self.log = log
        # A majority of all nodes, this one included.
        self.quorum_peers = (len(self.peers) + 1) // 2
        self.reset(None)

    def reset(self, started):
        """A new geth process: it has no peers, no static peers and does not seal."""
        self.started = started
        self.self_id = None
        self.dialed = set()
        self.seen_open = {}
        self.sealing = False
        self.first_head = None
        self.trusted = False
        self.head = None
        self.head_since = started

    def in_turn(self, number):
        """Whether this node's signer is Clique's in-turn signer of block `number` (the signers
        sorted by address, block n to signer n mod N)."""
        signers = sorted(address.lower() for address in self.rpc('clique_getSigners'))
        me = str(self.rpc('eth_coinbase')).lower()
        return bool(signers) and signers[number % len(signers)] == me

    def step(self, now: float):
        if self.self_id is None:
            self.self_id = enode_id(self.rpc('admin_nodeInfo')['enode'])
            self.sealing = self.seal and bool(self.rpc('eth_mining'))
        if not self.trusted:
            for enode in sorted(self.peers.values()):
                self.rpc('admin_addTrustedPeer', [enode])
            self.trusted = True
        # admin_peers' `id` is the hash of the node's key; the enode URL carries the key itself.
        connected = {enode_id(peer['enode']) for peer in self.rpc('admin_peers')}
        for peer_id, enode in sorted(self.peers.items()):
            if peer_id in connected or peer_id in self.dialed:
                continue
            if not self.reachable(enode_endpoint(enode)):
                self.seen_open.pop(peer_id, None)
                continue
            first_open = self.seen_open.setdefault(peer_id, now)
            if self.self_id < peer_id or now - first_open >= DIAL_GRACE:
                self.rpc('admin_addPeer', [enode])
                self.dialed.add(peer_id)
                self.log('dialing %s', enode)
        have = len(connected & set(self.peers))
        full = have == len(self.peers)
        head = int(self.rpc('eth_blockNumber'), 16)
        if head != self.head:
            self.head, self.head_since = head, now
        elif full and self.peers and now - self.head_since >= self.stall:
            self.log('head stuck at block %d for %.0f s with every peer: reconnecting them, so that geth syncs '
                     'from any peer ahead', head, now - self.head_since)
            for peer_id in sorted(connected & set(self.peers)):
                self.rpc('admin_removePeer', [self.peers[peer_id]])
                self.dialed.discard(peer_id)
                self.seen_open.pop(peer_id, None)
            self.head_since = now
        if self.seal and not self.sealing:
            if self.first_head is None:
                self.first_head = head
            # After a start the head is old, and Clique then dates the next block "now": an
            # out-of-turn signer's random wait mostly lies in the past and every node seals a rival
            # block at once. So the in-turn signer of the next block starts first; the others
            # start once a new block arrives (their next blocks wait for the period again).
            first_turn = head != self.first_head or self.in_turn(head + 1)
            if (full and first_turn) or (now - self.started >= SEAL_GRACE and have >= self.quorum_peers):
                self.rpc('miner_start')
                self.sealing = True
                self.log('sealing from now on, with %d of %d peers', have, len(self.peers))


def run(config: dict, clock=time.monotonic, sleep=time.sleep, log=LOG.info):
    ipc = GethIpc(config['ipc'])
    keeper = Keeper(config['peers'], config['seal'], ipc, reachable=port_open, log=log,
                    stall=float(config.get('stall', STALL_GRACE)))
    known, last_error = None, None
    while True:
        identity = ipc.identity()
        if identity != known:
            known = identity
            keeper.reset(clock())
            if identity is not None:
                log('geth (re)started: peering%s', ' and waiting to seal' if keeper.seal else '')
        if identity is not None:
            try:
                keeper.step(clock())
                last_error = None
            except (OSError, RuntimeError, ValueError, KeyError, TypeError) as exc:
                # geth still starting, or stopping: its state is read again on the next round.
                keeper.self_id = None
                if str(exc) != last_error:
                    last_error = str(exc)
                    log('geth does not answer yet: %s', exc)
        sleep(POLL)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', required=True,
                        help='JSON: {"ipc": path, "peers": [enode], "seal": bool, "stall": seconds}')
    args = parser.parse_args(argv)
    with open(args.config, encoding='utf-8') as handle:
        config = json.load(handle)
    # One line per action on stdout, which supervisord writes to the keeper's log.
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter('%(asctime)s %(message)s'))
    LOG.addHandler(handler)
    LOG.setLevel(logging.INFO)
    run(config)


if __name__ == '__main__':
    main()
