# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one write path: fileio.atomic_write and fileio.write_file."""

from __future__ import annotations

import os

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.poa.consortium.plugins.module_utils import fileio


class MoveFailed(Exception):
    """Like the plain Exception that AnsibleModule.atomic_move raises."""


def make_module(check_mode=False, **args):
    args['_ansible_check_mode'] = check_mode
    with patch_module_args(args):
        return AnsibleModule(argument_spec=dict(path=dict(type='path')), add_file_common_args=True,
                             supports_check_mode=True)


def test_failed_write_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / 'nodekey'
    path.write_bytes(b'old')

    def broken_write(fd, data):
        raise OSError(28, 'No space left on device')
    monkeypatch.setattr(fileio.os, 'write', broken_write)
    with pytest.raises(fileio.FileWriteError, match='No space left'):
        fileio.atomic_write(str(path), b'new')
    monkeypatch.undo()
    assert path.read_bytes() == b'old'
    assert os.listdir(tmp_path) == ['nodekey']


@pytest.mark.skipif(os.geteuid() != 0, reason='chown to another user needs root')
def test_atomic_write_sets_owner_group_mode(tmp_path):
    path = tmp_path / 'f'
    fileio.atomic_write(str(path), b'data', mode=0o640, uid=65534, gid=65534)
    st = os.stat(path)
    assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (65534, 65534, 0o640)
    assert path.read_bytes() == b'data'


def test_write_file_creates_with_mode(tmp_path):
    path = tmp_path / 'f'
    module = make_module(mode='0640')
    assert fileio.write_file(module, str(path), b'data') is True
    assert path.read_bytes() == b'data' and os.stat(path).st_mode & 0o777 == 0o640
    assert os.listdir(tmp_path) == ['f']


def test_write_file_new_file_is_never_wider_than_its_mode(tmp_path, monkeypatch):
    path = tmp_path / 'key'
    module = make_module(mode='0600')
    seen = []
    move = module.atomic_move

    def watching_move(src, dest, **kwargs):
        move(src, dest, **kwargs)
        seen.append(os.stat(dest).st_mode & 0o777)
    monkeypatch.setattr(module, 'atomic_move', watching_move)
    old = os.umask(0o022)
    try:
        assert fileio.write_file(module, str(path), b'secret')
    finally:
        os.umask(old)
    assert seen == [0o600] and os.stat(path).st_mode & 0o777 == 0o600


def test_write_file_same_content_is_a_no_op(tmp_path):
    path = tmp_path / 'f'
    path.write_bytes(b'data')
    os.chmod(path, 0o644)
    before = os.stat(path)
    assert fileio.write_file(make_module(mode='0644'), str(path), b'data') is False
    after = os.stat(path)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_write_file_mode_change_only(tmp_path):
    path = tmp_path / 'f'
    path.write_bytes(b'data')
    os.chmod(path, 0o644)
    inode = os.stat(path).st_ino
    diff = {'before': {}, 'after': {}}
    assert fileio.write_file(make_module(mode='0600'), str(path), b'data', diff=diff) is True
    assert os.stat(path).st_mode & 0o777 == 0o600 and os.stat(path).st_ino == inode
    assert diff['before']['mode'] == '0644' and diff['after']['mode'] == '0600'
    assert fileio.write_file(make_module(mode='0600'), str(path), b'data') is False


def test_write_file_mode_argument_overrides_module_params(tmp_path):
    path = tmp_path / 'f'
    assert fileio.write_file(make_module(), str(path), b'data', mode='0644')
    assert os.stat(path).st_mode & 0o777 == 0o644


def test_write_file_check_mode_writes_nothing(tmp_path):
    path = tmp_path / 'f'
    assert fileio.write_file(make_module(check_mode=True, mode='0600'), str(path), b'data') is True
    assert os.listdir(tmp_path) == []
    path.write_bytes(b'old')
    os.chmod(path, 0o644)
    assert fileio.write_file(make_module(check_mode=True, mode='0644'), str(path), b'new') is True
    assert fileio.write_file(make_module(check_mode=True, mode='0600'), str(path), b'old') is True
    assert fileio.write_file(make_module(check_mode=True, mode='0644'), str(path), b'old') is False
    assert path.read_bytes() == b'old' and os.stat(path).st_mode & 0o777 == 0o644
    assert os.listdir(tmp_path) == ['f']


def test_write_file_missing_directory(tmp_path):
    with pytest.raises(fileio.FileWriteError, match='does not exist; create it first'):
        fileio.write_file(make_module(mode='0600'), str(tmp_path / 'absent' / 'f'), b'data')
    assert os.listdir(tmp_path) == []


def test_write_file_failing_move_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / 'f'
    path.write_bytes(b'old')
    module = make_module(mode='0600')

    def broken_move(src, dest, **kwargs):
        raise MoveFailed('Could not replace %s with %s.' % (dest, src))
    monkeypatch.setattr(module, 'atomic_move', broken_move)
    with pytest.raises(fileio.FileWriteError, match='Could not replace'):
        fileio.write_file(module, str(path), b'new')
    assert path.read_bytes() == b'old' and os.listdir(tmp_path) == ['f']


def test_file_diff_and_mode_text(tmp_path):
    path = tmp_path / 'f'
    assert fileio.mode_text(str(path)) is None
    path.write_bytes(b'')
    os.chmod(path, 0o640)
    assert fileio.mode_text(str(path)) == '0640'
    assert fileio.file_diff('p', 'a', 'b') == {'before': 'a', 'after': 'b', 'before_header': 'p', 'after_header': 'p'}
