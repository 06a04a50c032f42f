# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Atomic file writes shared by every module that writes a file: nothing is half-written."""

from __future__ import annotations

import os
import tempfile


class FileWriteError(Exception):
    """A file could not be written; the message says what to fix."""


def check_parent_dir(path):
    """Return the directory that will hold ``path``; raise FileWriteError unless it is usable."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.exists(directory):
        raise FileWriteError('directory %s does not exist; create it first (ansible.builtin.file state=directory) '
                             'or fix the path' % directory)
    if not os.path.isdir(directory):
        raise FileWriteError('%s is not a directory; fix the path' % directory)
    if not os.access(directory, os.W_OK | os.X_OK):
        raise FileWriteError('directory %s is not writable by uid %d; fix its owner/mode or run the task with become'
                             % (directory, os.geteuid()))
    return directory


def atomic_write(path, data, mode=0o600, uid=None, gid=None):
    """Write bytes ``data`` to ``path`` atomically.

    The temp file is created in the same directory (mkstemp: mode 0600 from birth), chmod-ed and
    chown-ed before it holds data, fsync-ed, then renamed over ``path``. On any failure the temp
    file is removed and ``path`` is as it was.
    """
    directory = check_parent_dir(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), suffix='.tmp', dir=directory)
    except OSError as exc:
        raise FileWriteError('cannot create a file in %s: %s; fix the directory permissions or run with become'
                             % (directory, exc.strerror))
    try:
        try:
            os.fchmod(fd, mode)
            if uid is not None or gid is not None:
                os.fchown(fd, -1 if uid is None else uid, -1 if gid is None else gid)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise FileWriteError('cannot write %s: %s; check the directory permissions, the owner/group '
                             '(changing them needs root) and free space' % (path, exc.strerror))
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass  # best effort: some file systems refuse fsync on directories
