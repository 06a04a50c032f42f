#!/usr/bin/env python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Time to render and hash a chain spec with 10, 1,000 and 10,000 genesis accounts.

Run: .venv/bin/python bench/chain_spec.py   (target: 10,000 accounts in <= 2 s)
"""

from __future__ import annotations

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", ".ansible", "collections"))

from ansible_collections.poa.consortium.plugins.module_utils import genesis as G  # noqa: E402
from ansible_collections.poa.consortium.plugins.module_utils import spec as S  # noqa: E402

TARGET_SECONDS = 2.0
VALIDATORS = ["0x%040x" % (0xA000 + i) for i in range(5)]


def inputs(n, fmt="parity"):
    accounts = {"0x%040x" % (0x100000 + i): {"balance": "%d ether" % (i + 1)} for i in range(n)}
    return dict(name="bench", network_id=8995, chain_id=8995, step_duration=5, validators={"list": VALIDATORS},
                forks="london", accounts=accounts, format=fmt)


def measure(n, fmt):
    data = inputs(n, fmt)
    start = time.perf_counter()
    doc, _unused = S.render(data)
    text = S.canonical_json(doc)
    rendered = time.perf_counter()
    ghash = G.genesis_hash(doc)
    done = time.perf_counter()
    return rendered - start, done - rendered, done - start, len(text), ghash


def main():
    missed = False
    print("%-7s %8s %10s %10s %10s %12s" % ("format", "accounts", "render s", "hash s", "total s", "JSON bytes"))
    for fmt in ("parity", "geth"):
        for n in (10, 1000, 10000):
            render_s, hash_s, total, size, _unused = measure(n, fmt)
            print("%-7s %8d %10.3f %10.3f %10.3f %12d" % (fmt, n, render_s, hash_s, total, size))
            if n == 10000 and total > TARGET_SECONDS:
                missed = True
    print("target: 10,000 accounts in <= %.1f s: %s" % (TARGET_SECONDS, "MISSED" if missed else "met"))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
