# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the node_identity module's main() with patch_module_args."""

from __future__ import annotations

import json
import os

import pytest
from ansible.module_utils.testing import patch_module_args
from cryptography.hazmat.primitives.asymmetric import ec

from ansible_collections.poa.consortium.plugins.modules import node_identity

# polygon-cli cmd/nodekey/usage.md
KEY = '2a4ae8c4c250917781d38d95dafbb0abe87ae2c9aea02ed7c7524685358e49c2'
NODE_ID = ('93e8717f46b146ebfb99159eb13a5d044c191998656c8b79007b16051bb1ff76'
           '2d09884e43783d898dd47f6220af040206cabbd45c9a26bb278a522c3d538a1f')


def independent_node_id(secret):
    numbers = ec.derive_private_key(int.from_bytes(secret, 'big'), ec.SECP256K1()).public_key().public_numbers()
    return (numbers.x.to_bytes(32, 'big') + numbers.y.to_bytes(32, 'big')).hex()


def run(capsys, check_mode=False, diff=False, **args):
    args['_ansible_check_mode'] = check_mode
    args['_ansible_diff'] = diff
    with patch_module_args(args):
        with pytest.raises(SystemExit) as info:
            node_identity.main()
    out = json.loads(capsys.readouterr().out)
    out['rc'] = info.value.code
    return out


@pytest.mark.parametrize('fmt', ['hex', 'raw'])
def test_create_then_idempotent(capsys, tmp_path, fmt):
    path = tmp_path / 'nodekey'
    out = run(capsys, path=str(path), format=fmt, host='10.0.0.5', port=30303)
    assert out['rc'] == 0 and out['changed'] and out['created']
    data = path.read_bytes()
    secret = bytes.fromhex(data.decode()) if fmt == 'hex' else data
    assert len(secret) == 32
    assert out['node_id'] == independent_node_id(secret)
    assert out['enode'] == 'enode://%s@10.0.0.5:30303' % out['node_id']
    assert secret.hex() not in json.dumps(out)
    assert os.stat(path).st_mode & 0o777 == 0o600
    again = run(capsys, path=str(path), format=fmt, host='10.0.0.5', port=30303)
    assert again['rc'] == 0 and not again['changed'] and again['enode'] == out['enode']
    assert path.read_bytes() == data


def test_known_key_enode_with_discport_and_ipv6(capsys, tmp_path):
    path = tmp_path / 'nodekey'
    path.write_text(KEY)
    os.chmod(path, 0o600)
    out = run(capsys, path=str(path), host='2001:db8::1', port=30303, discovery_port=30301)
    assert not out['changed']
    assert out['enode'] == 'enode://%s@[2001:db8::1]:30303?discport=30301' % NODE_ID


def test_geth_file_converted_for_nethermind(capsys, tmp_path):
    path = tmp_path / 'node.key.plain'
    path.write_text(KEY + '\n')
    check = run(capsys, check_mode=True, diff=True, path=str(path), format='raw')
    assert check['changed'] and path.read_text() == KEY + '\n'
    assert check['diff']['before']['format'] == 'hex' and check['diff']['after']['format'] == 'raw'
    out = run(capsys, path=str(path), format='raw')
    assert out['changed'] and out['converted_from'] == 'hex' and out['node_id'] == NODE_ID
    assert path.read_bytes() == bytes.fromhex(KEY)


def test_check_mode_writes_nothing(capsys, tmp_path):
    out = run(capsys, check_mode=True, diff=True, path=str(tmp_path / 'nodekey'))
    assert out['rc'] == 0 and out['changed'] and out['node_id'] is None and out['enode'] is None
    assert os.listdir(tmp_path) == []
    assert out['diff']['before']['state'] == 'absent' and out['diff']['after']['mode'] == '0600'


def test_mode_drift(capsys, tmp_path):
    path = tmp_path / 'nodekey'
    path.write_text(KEY)
    os.chmod(path, 0o644)
    out = run(capsys, diff=True, path=str(path))
    assert out['changed'] and os.stat(path).st_mode & 0o777 == 0o600
    assert out['diff']['before']['mode'] == '0644' and out['diff']['after']['mode'] == '0600'
    assert path.read_text() == KEY


@pytest.mark.parametrize('content', [b'not a key', b'\x00' * 32, b'g' * 64])
def test_corrupt_key_fails_untouched(capsys, tmp_path, content):
    path = tmp_path / 'nodekey'
    path.write_bytes(content)
    out = run(capsys, path=str(path))
    assert out['rc'] == 1 and out['failed'] and ('corrupt' in out['msg'] or 'out of range' in out['msg'])
    assert path.read_bytes() == content


@pytest.mark.parametrize('args, message', [
    (dict(host='999.1.1.1'), 'not a valid one'),
    (dict(host='under_score'), 'neither an IP address'),
    (dict(port=0), 'out of range'),
    (dict(port=70000), 'out of range'),
    (dict(discovery_port=0), 'discovery_port 0 is out of range'),
])
def test_bad_host_port_rejected_before_writing(capsys, tmp_path, args, message):
    out = run(capsys, path=str(tmp_path / 'nodekey'), **args)
    assert out['rc'] == 1 and message in out['msg']
    assert os.listdir(tmp_path) == []


def test_missing_directory(capsys, tmp_path):
    out = run(capsys, path=str(tmp_path / 'nope' / 'nodekey'))
    assert out['rc'] == 1 and 'does not exist' in out['msg']
