#!/usr/bin/env python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: a full iExec PoCo deployment (token mode) on anvil, and on the local consortium.

Prints wall time, transactions, blocks and total gas, once with anvil's automine (one block per
transaction), once with interval mining (independent transactions of a level share blocks), and
with --consortium once on a fresh 5-node local consortium (inventories/local, 2 s blocks, brought
up and removed by the script), beside the minimum number of blocks: one per level of the
dependency graph, or more when a level's gas exceeds the block gas limit.

    .venv/bin/python bench/poco.py [--block-time 0.2] [--consortium] [--anvil PATH] [--poco-dir DIR] [--rlc PATH]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
sys.path.insert(0, os.path.join(ROOT, '.ansible', 'collections'))

from eth_account import Account  # noqa: E402

from ansible_collections.poa.consortium.plugins.module_utils import contracts, poco, rpc  # noqa: E402

NODE_MODULES = os.path.join(ROOT, 'node_modules')


def first(*paths):
    return next((p for p in paths if p and os.path.exists(p)), None)


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def measure(w3, account, poco_dir, rlc, chain, poll_interval):
    """Deploy PoCo, then deploy again (a no-op), and summarise both."""
    gas_limit = int(w3.eth.get_block('latest')['gasLimit'])
    with tempfile.TemporaryDirectory() as tmp:
        signer = rpc.Signer(w3, account, poll_interval=poll_interval)
        start = time.monotonic()
        result = poco.deploy_poco(w3, signer, contracts.Manifest(os.path.join(tmp, 'manifest.json')), poco_dir, rlc,
                                  mode='token')
        wall = time.monotonic() - start
        start = time.monotonic()
        again = poco.deploy_poco(w3, rpc.Signer(w3, account), contracts.Manifest(os.path.join(tmp, 'manifest.json')),
                                 poco_dir, rlc, mode='token')
        rerun = time.monotonic() - start
    levels = [lv for lv in result['levels'] if lv['gas_used']]
    return {
        'chain': chain,
        'wall_s': round(wall, 2), 'rerun_s': round(rerun, 2), 'rerun_transactions': again['transactions'],
        'transactions': result['transactions'], 'blocks': result['blocks'], 'gas_used': result['gas_used'],
        'levels': len(levels),
        'min_blocks': sum(max(1, math.ceil(lv['gas_used'] / gas_limit)) for lv in levels),
        'block_gas_limit': gas_limit,
        'per_level': [{'level': lv['level'].split(':')[0], 'transactions': len(lv['deployed']) + len(lv['transactions']),
                       'gas': lv['gas_used'], 'blocks': len(lv['blocks'])} for lv in levels],
    }


def consortium_run(poco_dir, rlc):
    """Bring up inventories/local in a temporary build dir, deploy with alpha-1's key, remove it."""
    import consortium  # bench/consortium.py: its ansible-playbook runner
    with tempfile.TemporaryDirectory(prefix='poa-bench-') as tmp:
        build = os.path.join(tmp, 'build')
        os.mkdir(build)
        try:
            consortium.play('playbooks/site.yml', build, '--skip-tags', 'contracts')
            with open(os.path.join(build, 'manifest.json'), encoding='utf-8') as handle:
                manifest = json.load(handle)
            w3 = rpc.connect(manifest['nodes'][0]['rpc_url'], manifest['chain_id'])
            host = os.path.join(build, 'hosts', 'alpha-1')
            account = rpc.load_keystore_account(os.path.join(host, 'keystore', 'authority.json'),
                                                os.path.join(host, 'secrets', 'authority.password'))
            return measure(w3, account, poco_dir, rlc, 'local consortium, 5 authorities, 2 s blocks', 0.2)
        finally:
            consortium.play('playbooks/down.yml', build)


def one_run(anvil, poco_dir, rlc, block_time=None):
    port = free_port()
    cmd = [anvil, '--host', '127.0.0.1', '--port', str(port), '--chain-id', '65535', '--silent']
    if block_time:
        cmd += ['--block-time', str(block_time)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = 'http://127.0.0.1:%d' % port
        for _attempt in range(200):
            try:
                w3 = rpc.connect(url, 65535, timeout=1)
                break
            except rpc.RpcError:
                time.sleep(0.05)
        else:
            raise SystemExit('anvil did not start')
        account = Account.create()
        w3.provider.make_request('anvil_setBalance', [account.address, hex(10 ** 21)])
        mining = 'interval %ss' % block_time if block_time else 'automine'
        return measure(w3, account, poco_dir, rlc, 'anvil (%s)' % mining, 0.05)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    anvil = first(os.environ.get('ANVIL_BIN'), os.path.join(NODE_MODULES, '@foundry-rs', 'anvil-linux-amd64', 'bin', 'anvil'))
    rlc = first(os.environ.get('RLC_ARTIFACT'), os.path.join(NODE_MODULES, 'rlc-faucet-contract', 'build', 'contracts', 'RLC.json'))
    parser.add_argument('--anvil', default=anvil)
    parser.add_argument('--poco-dir', default=first(os.environ.get('POCO_DIR'), os.path.join(NODE_MODULES, '@iexec', 'poco')))
    parser.add_argument('--rlc', default=rlc)
    parser.add_argument('--block-time', type=float, default=0.2, help='interval mining period for the second run')
    parser.add_argument('--consortium', action='store_true',
                        help='also deploy on a fresh local consortium (uses inventories/local: stop `make up` first)')
    parser.add_argument('--json', action='store_true', help='print JSON only')
    args = parser.parse_args()
    if not (args.anvil and args.poco_dir and args.rlc):
        raise SystemExit('need anvil, the unpacked @iexec/poco package and RLC.json (see --help)')
    runs = [one_run(args.anvil, args.poco_dir, args.rlc), one_run(args.anvil, args.poco_dir, args.rlc, args.block_time)]
    if args.consortium:
        runs.append(consortium_run(args.poco_dir, args.rlc))
    if args.json:
        print(json.dumps(runs, indent=2))
        return
    for r in runs:
        print('PoCo token mode on %s: %.2f s, %d transactions, %d blocks, %d gas; minimum %d blocks '
              '(%d dependency levels, block gas limit %d); re-run %.2f s, %d transactions' % (
                  r['chain'], r['wall_s'], r['transactions'], r['blocks'], r['gas_used'], r['min_blocks'], r['levels'],
                  r['block_gas_limit'], r['rerun_s'], r['rerun_transactions']))
        for lv in r['per_level']:
            print('  level %s: %d transactions, %d gas, %d blocks' % (lv['level'], lv['transactions'], lv['gas'], lv['blocks']))


if __name__ == '__main__':
    main()
