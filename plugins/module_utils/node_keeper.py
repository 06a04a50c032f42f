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
  the next block or has imported a new block; with every peer there but no new block, after
  `stall` seconds (the in-turn signer may be no node of ours); with some peers missing, once it
  has had the same peers, enough for a majority of the nodes, for SEAL_GRACE seconds. It never
  stops sealing;
- reconnects the peers it can dial again at once (those it did not dial itself in the last 35 s,
  geth's dial history): once, `nudge` seconds after it first has them all; again every SYNC_CYCLE
  seconds while it waits for a new block to seal on; and when its head has not moved for `stall`
  seconds with every peer there. Of two nodes joined by one dial, the one dialed can.
  The reason: a geth process imports blocks from the network only once it has synced from a
  peer whose total difficulty beats its own, or once it seals (miner_start marks it synced). It
  learns a peer's total difficulty at the handshake; a broadcast block only tells it the
  parent's. So the in-turn signer's first block after a start is dropped by every node that
  does not seal yet, and those nodes, had they started sealing on their own, would each have
  sealed a rival block. A new handshake makes them sync that block instead: at once with 5
  peers or more, else at geth's forced sync cycle (10 s).
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
# The in-turn signer seals at once (after a start its head is old) or one period after the head:
# its block exists by the time a node has had every peer this long.
NUDGE_GRACE = 4.0
# geth forces a sync with fewer than 5 peers every 10 s: a sync started by a reconnection is left
# to finish before the next one.
SYNC_CYCLE = 12.0
# geth dials a node again only this long after its previous dial (dialHistoryExpiration): of two
# connected nodes, only the one that did not dial the other can drop the connection and redial
# at once.
DIAL_HISTORY = 35.0
# A redial after a drop waits until geth has let the old connection go ("already connected").
REDIAL_PAUSE = 1.0
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

    def __init__(self, peers: list[str], seal: bool, rpc, reachable=port_open, log=LOG.info, stall=STALL_GRACE,
                 nudge=NUDGE_GRACE):
        self.peers = {enode_id(enode): enode for enode in peers}
        self.seal = seal
        self.stall = stall
        self.nudge = nudge
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
        # peer id -> when this keeper dialed it (geth then keeps it as static and redials it itself)
        self.dialed = {}
        # peer id -> when to dial it again, after a reconnection
        self.redial = {}
        self.seen_open = {}
        self.sealing = False
        self.first_head = None
        self.trusted = False
        self.head = None
        self.head_since = started
        self.full_since = None
        self.first_full = None
        self.nudged = None
        # the peers connected, and since when that set has not changed
        self.connected = set()
        self.peers_since = started

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
        connected = {enode_id(peer['enode']) for peer in self.rpc('admin_peers')} & set(self.peers)
        self.dial(now, connected)
        if connected != self.connected:
            self.connected, self.peers_since = connected, now
        if len(connected) < len(self.peers):
            self.full_since = None
        elif self.full_since is None:
            self.full_since = now
            if self.first_full is None:
                self.first_full = now
        head = int(self.rpc('eth_blockNumber'), 16)
        if head != self.head:
            self.head, self.head_since = head, now
        if self.seal and not self.sealing:
            self.start_sealing(now, head, connected)
        if self.full_since is not None and self.peers:
            self.keep_in_sync(now, head, connected)

    def dial(self, now, connected):
        for peer_id, enode in sorted(self.peers.items()):
            if peer_id in connected:
                self.redial.pop(peer_id, None)
                continue
            if peer_id in self.dialed:
                continue
            if not self.reachable(enode_endpoint(enode)):
                self.seen_open.pop(peer_id, None)
                continue
            first_open = self.seen_open.setdefault(peer_id, now)
            due = self.redial.get(peer_id)
            if due is None:
                due = first_open if self.self_id < peer_id else first_open + DIAL_GRACE
            if now >= due:
                self.rpc('admin_addPeer', [enode])
                self.dialed[peer_id] = now
                self.redial.pop(peer_id, None)
                self.log('dialing %s', enode)

    def start_sealing(self, now, head, connected):
        """After a start the head is old, and Clique then dates the next block "now": an
        out-of-turn signer's random wait mostly lies in the past and every node would seal a rival
        block at once. So the in-turn signer of the next block starts first, and the others once
        they have imported a new block (their next blocks wait for the period again)."""
        if self.first_head is None:
            self.first_head = head
        if self.full_since is not None:
            start = head != self.first_head or self.in_turn(head + 1) or now - self.first_full >= self.stall
        else:
            # A majority that has not changed for a while: the missing peers are down, not being
            # dialed or reconnected.
            start = now - max(self.started, self.peers_since) >= SEAL_GRACE and len(connected) >= self.quorum_peers
        # geth unlocks the signer's keystore (--unlock) a moment after it opens its IPC socket: a
        # miner_start before that fails its first sealing attempt and, on a chain with no peer or
        # transaction to bring new work, never tries again.
        if start and self.signer_unlocked():
            self.rpc('miner_start')
            self.sealing = True
            self.log('sealing from now on, with %d of %d peers', len(connected), len(self.peers))

    def signer_unlocked(self):
        """Whether geth holds the signer's key unlocked: it signs a probe message only then (geth
        1.13 serves no personal namespace to ask). Any other refusal cannot tell: true."""
        try:
            self.rpc('eth_sign', [self.rpc('eth_coinbase'), '0x00'])
        except RuntimeError as exc:
            return 'authentication needed' not in str(exc)
        return True

    def keep_in_sync(self, now, head, connected):
        """With every peer there: new handshakes, once after a start, again every sync cycle while
        this node waits for a new block to seal on, and when the head stands too long."""
        waiting = self.seal and not self.sealing
        if self.nudged is None:
            if now - self.full_since < self.nudge:
                return
            why = 'every peer here after a start'
        elif waiting and now - self.nudged >= SYNC_CYCLE:
            why = 'still no new block to seal on at block %d' % head
        elif not waiting and now - self.head_since >= self.stall:
            why = 'head stuck at block %d for %.0f s' % (head, now - self.head_since)
            self.head_since = now
        else:
            return
        self.nudged = now
        self.reconnect(now, connected, why)

    def reconnect(self, now, connected, why):
        """Drop the peers this node can dial again at once (DIAL_HISTORY) and dial them again: the
        handshakes tell geth each peer's total difficulty, and it syncs from any peer ahead."""
        cheap = sorted(peer_id for peer_id in connected
                       if peer_id not in self.dialed or now - self.dialed[peer_id] >= DIAL_HISTORY)
        self.log('%s: reconnecting %d of %d peers, so that geth syncs from any peer ahead', why, len(cheap),
                 len(connected))
        for peer_id in cheap:
            self.rpc('admin_removePeer', [self.peers[peer_id]])
            self.dialed.pop(peer_id, None)
            self.redial[peer_id] = now + REDIAL_PAUSE


def run(config: dict, clock=time.monotonic, sleep=time.sleep, log=LOG.info):
    ipc = GethIpc(config['ipc'])
    keeper = Keeper(config['peers'], config['seal'], ipc, reachable=port_open, log=log,
                    stall=float(config.get('stall', STALL_GRACE)), nudge=float(config.get('nudge', NUDGE_GRACE)))
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
                        help='JSON: {"ipc": path, "peers": [enode], "seal": bool, "stall": seconds, "nudge": seconds}')
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
