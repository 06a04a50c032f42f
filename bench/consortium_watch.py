# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers of bench/consortium.py: watch a consortium while it comes up.

MemorySampler reads /proc every `interval` seconds and keeps the peaks of
  - the RSS sum of the geth processes of one build directory (their command line names it), and
  - the RSS sum of the whole process tree of the bring-up: the running ansible-playbook and all
    its descendants (forks, modules), plus every process whose command line names the build
    directory (the daemonised supervisords and their geth) and their descendants.
RSS counts shared pages once per process, so the sums are upper bounds of the memory in use.

PeerPoller asks every node's JSON-RPC (one batch: net_peerCount, eth_blockNumber) every
`interval` seconds and records when all answered, when all had the full mesh, and the first block.

ipc_peers() reads admin_peers over a node's IPC socket (outbound and inbound counts).
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.request

from web3 import Web3
from web3.exceptions import Web3Exception

PAGE = os.sysconf('SC_PAGE_SIZE')
TICK = os.sysconf('SC_CLK_TCK')


def scan_procs():
    """{pid: (ppid, comm, rss_bytes, cpu_ticks, cmdline_bytes)} of every readable process."""
    procs = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry, 'rb') as fh:
                stat = fh.read()
            with open('/proc/%s/cmdline' % entry, 'rb') as fh:
                cmdline = fh.read()
        except OSError:
            continue
        close = stat.rfind(b')')
        comm = stat[stat.find(b'(') + 1:close].decode(errors='replace')
        fields = stat[close + 2:].split()
        # After "(comm) ": state ppid ... utime(11) stime(12) ... rss(21), counted from state = 0.
        procs[int(entry)] = (int(fields[1]), comm, int(fields[21]) * PAGE, int(fields[11]) + int(fields[12]), cmdline)
    return procs


def select(procs, marker: bytes, root_pid=None):
    """(geth pids, tree pids): processes naming `marker`, and those plus root_pid's and their descendants."""
    children = {}
    for pid, (ppid, *_rest) in procs.items():
        children.setdefault(ppid, []).append(pid)
    named = [pid for pid, p in procs.items() if marker in p[4]]
    geth = [pid for pid in named if procs[pid][1] == 'geth']
    tree, todo = set(), named + ([root_pid] if root_pid in procs else [])
    while todo:
        pid = todo.pop()
        if pid not in tree:
            tree.add(pid)
            todo.extend(children.get(pid, []))
    return geth, tree


class MemorySampler(threading.Thread):
    def __init__(self, marker: str, interval=0.5):
        super().__init__(daemon=True)
        self.marker = marker.encode()
        self.interval = interval
        self.root_pid = None           # the running ansible-playbook, set by the caller
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.samples = 0
        self.geth_peak = 0             # bytes
        self.geth_peak_count = 0       # geth processes in the peak sample
        self.geth_max_count = 0
        self.tree_peak = 0
        self.tree_peak_procs = 0
        self.geth_last = 0
        self.geth_cpu = {}             # pid -> cpu ticks (last seen)
        self.series = []               # (monotonic time, geth RSS sum, geth processes)

    def sample(self):
        procs = scan_procs()
        geth, tree = select(procs, self.marker, self.root_pid)
        geth_rss = sum(procs[p][2] for p in geth)
        tree_rss = sum(procs[p][2] for p in tree)
        with self.lock:
            self.samples += 1
            self.geth_last = geth_rss
            self.series.append((time.monotonic(), geth_rss, len(geth)))
            self.geth_max_count = max(self.geth_max_count, len(geth))
            if geth_rss > self.geth_peak:
                self.geth_peak, self.geth_peak_count = geth_rss, len(geth)
            if tree_rss > self.tree_peak:
                self.tree_peak, self.tree_peak_procs = tree_rss, len(tree)
            for pid in geth:
                self.geth_cpu[pid] = procs[pid][3]

    def geth_at(self, when):
        """(geth RSS sum, processes) of the last sample taken at or before monotonic time `when`."""
        with self.lock:
            before = [(rss, count) for t, rss, count in self.series if t <= when]
        return before[-1] if before else (None, None)

    def geth_cpu_seconds(self):
        with self.lock:
            return sum(self.geth_cpu.values()) / TICK

    def run(self):
        while not self.stop_event.is_set():
            self.sample()
            self.stop_event.wait(self.interval)

    def stop(self):
        self.stop_event.set()
        self.join(timeout=10)


class PeerPoller(threading.Thread):
    def __init__(self, rpc_urls, want_peers, t0, interval=2.0, timeout=1.5):
        super().__init__(daemon=True)
        self.urls = rpc_urls
        self.want = want_peers
        self.t0 = t0
        self.interval = interval
        self.timeout = timeout
        self.stop_event = threading.Event()
        self.all_up_at = None
        self.full_mesh_at = None
        self.first_block_at = None
        self.last = {}                 # url -> (peers, head) or None

    def ask(self, url):
        body = json.dumps([{'jsonrpc': '2.0', 'id': 1, 'method': 'net_peerCount', 'params': []},
                           {'jsonrpc': '2.0', 'id': 2, 'method': 'eth_blockNumber', 'params': []}]).encode()
        req = urllib.request.Request(url, data=body, headers={'Content-Type': 'application/json'})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                answers = {a['id']: a.get('result') for a in json.loads(resp.read())}
            return int(answers[1], 16), int(answers[2], 16)
        except Exception:  # not up yet, or busy: counts as not answering
            return None

    def run(self):
        while not self.stop_event.is_set():
            now = {url: self.ask(url) for url in self.urls}
            t = time.monotonic() - self.t0
            self.last = now
            answers = [v for v in now.values() if v is not None]
            if self.all_up_at is None and len(answers) == len(self.urls):
                self.all_up_at = t
            if self.full_mesh_at is None and len(answers) == len(self.urls) and all(p >= self.want for p, _head in answers):
                self.full_mesh_at = t
            if self.first_block_at is None and any(h > 0 for _peers, h in answers):
                self.first_block_at = t
            self.stop_event.wait(self.interval)

    def stop(self):
        self.stop_event.set()
        self.join(timeout=60)


def ipc_call(path, method, params=(), timeout=5.0):
    """One JSON-RPC call over geth's IPC socket (admin_* is served there, never over HTTP)."""
    try:
        answer = Web3.IPCProvider(path, timeout=timeout).make_request(method, list(params))
    except Web3Exception as exc:
        raise OSError('%s over %s: %s' % (method, path, exc)) from exc
    if 'error' in answer:
        raise OSError('%s: %s' % (method, answer['error']))
    return answer['result']


def ipc_peers(path):
    """(outbound, inbound) peer counts of one node, from admin_peers over IPC."""
    peers = ipc_call(path, 'admin_peers')
    inbound = sum(1 for p in peers if p.get('network', {}).get('inbound'))
    return len(peers) - inbound, inbound
