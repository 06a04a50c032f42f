# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Crash points for the fault tests, in the style of etcd's failpoints.

The service names a file next to its database (``crash-at``). When a test writes the name of a
point into it, the service removes the file and kills itself with SIGKILL the next time it
reaches that point, so the test can check what a restart recovers. Without the file, a point
costs one stat().
"""

from __future__ import annotations

import os
import signal

POINTS = ('signed', 'broadcast', 'cursor')
CRASH_FILE = None


def arm(state_dir):
    """Watch ``<state_dir>/crash-at`` from now on."""
    global CRASH_FILE  # pylint: disable=global-statement
    CRASH_FILE = os.path.join(state_dir, 'crash-at')


def point(name):
    """Die here, at once and uncleanly, when the crash file names this point."""
    if CRASH_FILE is None or not os.path.exists(CRASH_FILE):
        return
    try:
        with open(CRASH_FILE, 'r', encoding='utf-8') as handle:
            wanted = handle.read().strip()
    except OSError:
        return
    if wanted != name:
        return
    os.unlink(CRASH_FILE)  # the restarted service must not die again
    os.kill(os.getpid(), signal.SIGKILL)
