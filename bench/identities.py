# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wall time to create authority identities (V3 keystore + devp2p node key).

For each scrypt cost (the default n=262144, r=8, p=1, and a light n=2**14)
and each count (5, 25), creates that many identities in a fresh temporary
directory with the same functions the modules call, then runs them again
(the idempotent re-run, which decrypts every keystore to prove it), and
prints a table of measured wall times. Sequential, one core, as a single
Ansible task would do it on one host.

    .venv/bin/python bench/identities.py [--counts 5 25] [--light-n 16384]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import platform
import shutil
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / '.ansible' / 'collections'))

from ansible_collections.poa.consortium.plugins.module_utils import keys  # noqa: E402  pylint: disable=wrong-import-position


def create_identities(directory, count, n, r, p, password):
    addresses = []
    for index in range(count):
        account = keys.ensure_keystore(os.path.join(directory, 'authority-%02d.json' % index), password,
                                       kdf='scrypt', scrypt_n=n, scrypt_r=r, scrypt_p=p)
        node = keys.ensure_node_key(os.path.join(directory, 'nodekey-%02d' % index), 'hex')
        if not (account['changed'] and node['changed']):
            raise SystemExit('identity %d was not created' % index)
        addresses.append((account['address'], node['node_id']))
    return addresses


def rerun_identities(directory, count, n, r, p, password, expected):
    for index in range(count):
        account = keys.ensure_keystore(os.path.join(directory, 'authority-%02d.json' % index), password,
                                       kdf='scrypt', scrypt_n=n, scrypt_r=r, scrypt_p=p)
        node = keys.ensure_node_key(os.path.join(directory, 'nodekey-%02d' % index), 'hex')
        if account['changed'] or node['changed'] or (account['address'], node['node_id']) != expected[index]:
            raise SystemExit('identity %d changed on re-run' % index)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--counts', type=int, nargs='+', default=[5, 25])
    parser.add_argument('--light-n', type=int, default=2 ** 14)
    args = parser.parse_args()

    costs = [('default', keys.DEFAULT_SCRYPT_N, keys.DEFAULT_SCRYPT_R, keys.DEFAULT_SCRYPT_P),
             ('light', args.light_n, 8, 1)]
    password = b'bench-password-not-secret'
    print('identities benchmark: keystore (scrypt, aes-128-ctr) + hex node key per identity')
    print('python %s on %s, %d CPUs visible; sequential, wall time (time.perf_counter)'
          % (platform.python_version(), platform.machine(), os.cpu_count() or 0))
    print()
    header = '%-8s %8s %3s %3s %8s %10s %14s %10s %14s' % (
        'cost', 'scrypt_n', 'r', 'p', 'count', 'create_s', 'per_ident_ms', 'rerun_s', 'per_ident_ms')
    print(header)
    print('-' * len(header))
    for name, n, r, p in costs:
        for count in args.counts:
            directory = tempfile.mkdtemp(prefix='poa-bench-')
            try:
                start = time.perf_counter()
                made = create_identities(directory, count, n, r, p, password)
                created = time.perf_counter() - start
                start = time.perf_counter()
                rerun_identities(directory, count, n, r, p, password, made)
                rerun = time.perf_counter() - start
            finally:
                shutil.rmtree(directory)
            print('%-8s %8d %3d %3d %8d %10.2f %14.1f %10.2f %14.1f' % (
                name, n, r, p, count, created, 1000 * created / count, rerun, 1000 * rerun / count))
            sys.stdout.flush()
    return 0


if __name__ == '__main__':
    sys.exit(main())
