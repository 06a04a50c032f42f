# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one write path for files the modules write: nothing is half-written.

``atomic_write`` is the writer itself (pure Python, so key functions stay testable without
Ansible); ``write_file`` is what a module calls: it compares, honours check mode, moves the
file in place with the module's ``atomic_move`` and applies mode/owner/group with
``set_fs_attributes_if_different``. ``file_diff`` and ``mode_text`` build what ``--diff`` shows.
"""

from __future__ import annotations

import os
import re
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


def atomic_write(path, data, mode=0o600, uid=None, gid=None, move=os.replace):
    """Write bytes ``data`` to ``path`` atomically.

    The temp file is created in the same directory (mkstemp: mode 0600 from birth), chmod-ed and
    chown-ed before it holds data, fsync-ed, then ``move(tmp, path)`` puts it in place. On any
    failure the temp file is removed and ``path`` is as it was.
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
        move(tmp, path)
    except Exception as exc:  # pylint: disable=broad-except
        # atomic_move raises plain Exception too; the temp file must go whatever failed
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise FileWriteError('cannot write %s: %s; check the directory permissions, the owner/group '
                             '(changing them needs root) and free space' % (path, getattr(exc, 'strerror', None) or exc))
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass  # best effort: some file systems refuse fsync on directories


def octal_mode(mode, default=0o600):
    """Mode as an int when it is octal (int, '0600', '600', '0o600'); ``default`` otherwise.

    Symbolic modes (``u=rw``) give ``default`` here: the temp file is born with it and
    Ansible's file attribute code applies the symbolic mode next.
    """
    if mode is None:
        return default
    if isinstance(mode, int) and not isinstance(mode, bool):
        return mode & 0o7777
    text = str(mode).strip().lower()
    if text.startswith('0o'):
        text = text[2:]
    if re.match(r'^[0-7]{1,4}$', text):
        return int(text, 8)
    return default


def mode_text(path):
    """The permission bits of ``path`` as '0644', or None when it does not exist."""
    try:
        return '0%03o' % (os.stat(path).st_mode & 0o7777)
    except OSError:
        return None


def read_bytes(path):
    """The bytes of ``path``, or None when it does not exist."""
    if not os.path.lexists(path):
        return None
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except OSError as exc:
        raise FileWriteError('cannot read the existing %s: %s; check its permissions' % (path, exc.strerror))


def file_diff(path, before, after):
    """The ``diff`` result of a module that writes ``path``."""
    return {'before': before, 'after': after, 'before_header': path, 'after_header': path}


def _file_args(module, path, mode=None, owner=None, group=None):
    args = module.load_file_common_arguments(module.params, path=path)
    for key, value in (('mode', mode), ('owner', owner), ('group', group)):
        if value is not None:
            args[key] = value
    return args


def set_attributes(module, path, changed, diff=None, mode=None, owner=None, group=None):
    """Apply the module's mode/owner/group (or these) to ``path``; return ``changed`` or'd with theirs.

    In check mode nothing is touched and the return value is the prediction.
    """
    try:
        return module.set_fs_attributes_if_different(_file_args(module, path, mode, owner, group), changed, diff=diff)
    except Exception as exc:  # pylint: disable=broad-except
        raise FileWriteError('cannot set owner/group/mode of %s: %s; owner and group changes need root (become)'
                             % (path, exc))


def _umask_move(module):
    def move(src, dest):
        # atomic_move chmods a new file to 0666 & ~umask: keep it private until the wanted
        # mode is applied, for keys and keystores
        old = os.umask(0o077)
        try:
            module.atomic_move(src, dest)
        finally:
            os.umask(old)
    return move


def write_file(module, path, content, mode=None, owner=None, group=None, uid=None, gid=None, diff=None):
    """Make ``path`` hold the bytes ``content`` with the wanted attributes; return whether it changed.

    ``mode``/``owner``/``group`` override the module's own parameters (for modules without the
    file common arguments); ``uid``/``gid`` own the temp file from birth. In check mode nothing is
    written and the return value is the prediction. Raises FileWriteError.
    """
    changed = read_bytes(path) != content
    if changed and module.check_mode:
        return True
    if changed:
        wanted = _file_args(module, path, mode, owner, group)['mode']
        atomic_write(path, content, octal_mode(wanted), uid, gid, move=_umask_move(module))
    return set_attributes(module, path, changed, diff, mode, owner, group)


def settle_file(module, path, changed, before, after, existed):
    """Finish a file a backend wrote, or kept, through write_file; return (changed, diff).

    A file that was there before still gets the module's mode/owner/group (write_file does a new
    one). ``after['mode']`` becomes the file's mode, or in check mode the one it will have. A
    failure fails the module.
    """
    diff = file_diff(path, before, after)
    if module.check_mode and not existed:
        after['mode'] = '0%03o' % octal_mode(module.params['mode'])
        return changed, diff
    after['mode'] = mode_text(path)
    if existed:
        try:
            changed = set_attributes(module, path, changed, diff)
        except FileWriteError as exc:
            module.fail_json(msg=str(exc), path=path)
    if not module.check_mode:
        after['mode'] = mode_text(path)
    return changed, diff
