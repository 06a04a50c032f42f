# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the authority_account module's main() with patch_module_args."""

from __future__ import annotations

import json
import os
import pathlib

import pytest
from ansible.module_utils.testing import patch_module_args
from eth_account import Account

from ansible_collections.poa.consortium.plugins.modules import authority_account

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / 'fixtures'
SPEC_SECRET = '7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d'
SPEC_ADDRESS = '0x008AeEda4D805471dF9b2A5B0f38A0C3bCBA786b'
OTHER_SECRET = '4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318'


def run(capsys, check_mode=False, diff=False, **args):
    args.setdefault('scrypt_n', 1024)
    args['_ansible_check_mode'] = check_mode
    args['_ansible_diff'] = diff
    with patch_module_args(args):
        with pytest.raises(SystemExit) as info:
            authority_account.main()
    out = json.loads(capsys.readouterr().out)
    out['rc'] = info.value.code
    return out


@pytest.fixture
def env(tmp_path):
    password = tmp_path / 'password'
    password.write_bytes(b'node-password\n')   # as the ansible.builtin.password lookup leaves it
    keystore_dir = tmp_path / 'keystore'
    keystore_dir.mkdir()
    return {'path': str(keystore_dir / 'authority.json'), 'password_file': str(password), 'dir': keystore_dir}


def files(directory):
    return sorted(os.listdir(directory))


def test_create_then_idempotent(capsys, env):
    first = run(capsys, path=env['path'], password_file=env['password_file'])
    assert first['rc'] == 0 and first['changed'] and first['created']
    assert first['path'] == env['path']
    # the password file's trailing newline is not part of the password
    content = pathlib.Path(env['path']).read_text()
    secret = bytes(Account.decrypt(content, 'node-password'))
    assert first['address'] == Account.from_key(secret).address
    assert secret.hex() not in json.dumps(first) and 'node-password' not in json.dumps(first)
    assert os.stat(env['path']).st_mode & 0o777 == 0o600
    keystore = json.loads(content)
    assert keystore['version'] == 3 and keystore['address'] == first['address'][2:].lower()

    second = run(capsys, path=env['path'], password_file=env['password_file'])
    assert second['rc'] == 0 and not second['changed'] and second['address'] == first['address']
    assert pathlib.Path(env['path']).read_text() == content
    assert files(env['dir']) == ['authority.json']


def test_check_mode_and_diff_create(capsys, env):
    out = run(capsys, check_mode=True, diff=True, path=env['path'], password_file=env['password_file'])
    assert out['rc'] == 0 and out['changed'] and out['address'] is None
    assert files(env['dir']) == []
    assert out['diff']['before'] == {'path': env['path'], 'state': 'absent'}
    assert out['diff']['after']['state'] == 'present' and out['diff']['after']['mode'] == '0600'


def test_check_mode_first_run_without_password_file(capsys, env):
    # In a first --check run the role's password task wrote nothing: predict creation, write nothing.
    os.unlink(env['password_file'])
    out = run(capsys, check_mode=True, diff=True, path=env['path'], password_file=env['password_file'])
    assert out['rc'] == 0 and out['changed'] and out['created'] and out['address'] is None
    assert files(env['dir']) == [] and not os.path.exists(env['password_file'])
    # Outside check mode the missing password file is an error that says how to fix it.
    out = run(capsys, path=env['path'], password_file=env['password_file'])
    assert out['rc'] == 1 and 'does not exist' in out['msg'] and files(env['dir']) == []


def test_check_mode_with_import_knows_address(capsys, env):
    out = run(capsys, check_mode=True, path=env['path'], password_file=env['password_file'],
              import_private_key=SPEC_SECRET)
    assert out['changed'] and out['address'] == SPEC_ADDRESS
    assert files(env['dir']) == []


def test_diff_never_shows_key_material(capsys, env):
    out = run(capsys, diff=True, path=env['path'], password_file=env['password_file'], import_private_key=SPEC_SECRET)
    keystore = json.loads(pathlib.Path(env['path']).read_text())
    text = json.dumps(out)
    for secret in (SPEC_SECRET, keystore['crypto']['ciphertext'], keystore['crypto']['mac'],
                   keystore['crypto']['kdfparams']['salt'], 'node-password'):
        assert secret not in text
    assert out['diff']['after']['address'] == SPEC_ADDRESS
    assert out['diff']['after']['mode'] == '0600'


def test_mode_drift_fixed(capsys, env):
    run(capsys, path=env['path'], password_file=env['password_file'])
    os.chmod(env['path'], 0o644)
    content = pathlib.Path(env['path']).read_bytes()
    check = run(capsys, check_mode=True, diff=True, path=env['path'], password_file=env['password_file'])
    assert check['changed'] and os.stat(env['path']).st_mode & 0o777 == 0o644
    assert check['diff']['before']['mode'] == '0644' and check['diff']['after']['mode'] == '0600'
    fixed = run(capsys, path=env['path'], password_file=env['password_file'])
    assert fixed['changed'] and os.stat(env['path']).st_mode & 0o777 == 0o600
    assert pathlib.Path(env['path']).read_bytes() == content
    assert not run(capsys, path=env['path'], password_file=env['password_file'])['changed']


def test_explicit_mode(capsys, env):
    out = run(capsys, path=env['path'], password_file=env['password_file'], mode='0640')
    assert out['changed'] and os.stat(env['path']).st_mode & 0o777 == 0o640
    assert not run(capsys, path=env['path'], password_file=env['password_file'], mode='0640')['changed']


def test_symbolic_mode(capsys, env):
    out = run(capsys, path=env['path'], password_file=env['password_file'], mode='u=rw,g=r,o=')
    assert out['rc'] == 0 and os.stat(env['path']).st_mode & 0o777 == 0o640
    assert not run(capsys, path=env['path'], password_file=env['password_file'], mode='u=rw,g=r,o=')['changed']


@pytest.mark.skipif(os.geteuid() != 0, reason='chown needs root')
def test_owner_drift_fixed(capsys, env):
    out = run(capsys, path=env['path'], password_file=env['password_file'], owner='65534', group='65534')
    st = os.stat(env['path'])
    assert out['changed'] and (st.st_uid, st.st_gid) == (65534, 65534)
    os.chown(env['path'], 0, 0)
    again = run(capsys, path=env['path'], password_file=env['password_file'], owner='65534', group='65534')
    assert again['changed'] and os.stat(env['path']).st_uid == 65534
    assert not run(capsys, path=env['path'], password_file=env['password_file'], owner='65534', group='65534')['changed']


def test_wrong_password_fails_and_touches_nothing(capsys, env, tmp_path):
    run(capsys, path=env['path'], password_file=env['password_file'])
    content = pathlib.Path(env['path']).read_bytes()
    wrong = tmp_path / 'wrong'
    wrong.write_text('other\n')
    out = run(capsys, path=env['path'], password_file=str(wrong))
    assert out['rc'] == 1 and out['failed']
    assert 'wrong password' in out['msg'] and 'Nothing was changed' in out['msg']
    assert pathlib.Path(env['path']).read_bytes() == content


def test_corrupt_keystore_fails_and_touches_nothing(capsys, env):
    pathlib.Path(env['path']).write_bytes(b'{"crypto": {}')
    os.chmod(env['path'], 0o644)
    out = run(capsys, path=env['path'], password_file=env['password_file'])
    assert out['rc'] == 1 and 'not valid JSON' in out['msg']
    assert pathlib.Path(env['path']).read_bytes() == b'{"crypto": {}'
    assert os.stat(env['path']).st_mode & 0o777 == 0o644


def test_missing_password_file(capsys, env, tmp_path):
    out = run(capsys, path=env['path'], password_file=str(tmp_path / 'none'))
    assert out['rc'] == 1 and 'password file' in out['msg'] and 'does not exist' in out['msg']
    assert files(env['dir']) == []


def test_missing_directory(capsys, env, tmp_path):
    out = run(capsys, path=str(tmp_path / 'absent' / 'a.json'), password_file=env['password_file'])
    assert out['rc'] == 1 and 'does not exist; create it first' in out['msg']
    assert not (tmp_path / 'absent').exists()


def test_import_private_key_and_mismatch(capsys, env):
    out = run(capsys, path=env['path'], password_file=env['password_file'], import_private_key='0x' + SPEC_SECRET)
    assert out['changed'] and out['address'] == SPEC_ADDRESS
    content = pathlib.Path(env['path']).read_bytes()
    same = run(capsys, path=env['path'], password_file=env['password_file'], import_private_key=SPEC_SECRET)
    assert same['rc'] == 0 and not same['changed']
    other = run(capsys, path=env['path'], password_file=env['password_file'], import_private_key=OTHER_SECRET)
    assert other['rc'] == 1 and 'refusing to overwrite' in other['msg'] and SPEC_ADDRESS in other['msg']
    assert OTHER_SECRET not in json.dumps(other)
    assert pathlib.Path(env['path']).read_bytes() == content


def test_import_spec_keystore_reencrypted(capsys, env):
    text = (FIXTURES / 'keystore_web3_v3_scrypt.json').read_text()
    out = run(capsys, path=env['path'], password_file=env['password_file'], import_keystore=text,
              import_keystore_password='testpassword')
    assert out['rc'] == 0 and out['changed'] and out['reencrypted'] and out['address'] == SPEC_ADDRESS
    written = pathlib.Path(env['path']).read_text()
    assert bytes(Account.decrypt(written, 'node-password')).hex() == SPEC_SECRET


def test_import_keystore_kept_as_is(capsys, env):
    text = json.dumps(Account.encrypt(SPEC_SECRET, 'node-password', kdf='pbkdf2', iterations=1000))
    out = run(capsys, path=env['path'], password_file=env['password_file'], import_keystore=text)
    assert out['changed'] and not out['reencrypted'] and out['kdf'] == 'pbkdf2'
    assert pathlib.Path(env['path']).read_text() == text
    assert not run(capsys, path=env['path'], password_file=env['password_file'], import_keystore=text)['changed']


def test_bad_import_key_message(capsys, env):
    out = run(capsys, path=env['path'], password_file=env['password_file'], import_private_key='abc')
    assert out['rc'] == 1 and 'import_private_key has 3 hex characters' in out['msg']
    assert files(env['dir']) == []


def test_import_options_exclusive(capsys, env):
    out = run(capsys, path=env['path'], password_file=env['password_file'], import_private_key=SPEC_SECRET,
              import_keystore='{}')
    assert out['rc'] == 1 and 'mutually exclusive' in out['msg']


def test_bad_scrypt_n(capsys, env):
    out = run(capsys, path=env['path'], password_file=env['password_file'], scrypt_n=1000)
    assert out['rc'] == 1 and 'power of two' in out['msg']
    assert files(env['dir']) == []


def test_pbkdf2(capsys, env):
    out = run(capsys, path=env['path'], password_file=env['password_file'], kdf='pbkdf2', pbkdf2_iterations=2000)
    keystore = json.loads(pathlib.Path(env['path']).read_text())
    assert out['kdf'] == 'pbkdf2' and keystore['crypto']['kdfparams']['c'] == 2000
    assert Account.from_key(Account.decrypt(keystore, 'node-password')).address == out['address']


def test_plain_key_file_is_no_longer_supported(capsys, env):
    # no raw private key is written anywhere anymore: the old option is rejected, nothing is written
    plain = env['dir'] / 'signer.key'
    out = run(capsys, path=env['path'], password_file=env['password_file'], plain_key_file=str(plain),
              import_private_key=SPEC_SECRET)
    assert out['rc'] == 1 and 'Unsupported parameters' in out['msg'] and 'plain_key_file' in out['msg']
    assert SPEC_SECRET not in json.dumps(out)
    assert files(env['dir']) == []


def test_password_option_checks_before_any_file_is_written(capsys, env):
    first = run(capsys, path=env['path'], password='vault-secret')
    assert first['rc'] == 0 and first['created']
    content = pathlib.Path(env['path']).read_bytes()
    again = run(capsys, path=env['path'], password='vault-secret')
    assert again['rc'] == 0 and not again['changed'] and again['address'] == first['address']
    wrong = run(capsys, path=env['path'], password='not-it')
    assert wrong['rc'] == 1 and 'wrong password' in wrong['msg'] and 'not-it' not in json.dumps(wrong)
    assert pathlib.Path(env['path']).read_bytes() == content
    both = run(capsys, path=env['path'], password='other-secret', password_file=env['password_file'])
    assert both['rc'] == 1 and 'mutually exclusive' in both['msg']


def test_a_known_authority_whose_keystore_is_gone_fails_in_check_mode_too(capsys, env):
    for check_mode in (True, False):
        result = run(capsys, check_mode=check_mode, path=env['path'], password_file=env['password_file'],
                     expected_address=SPEC_ADDRESS)
        assert result['rc'] == 1 and result.get('failed')
        assert 'records %s for this authority, but its keystore %s is missing' % (SPEC_ADDRESS, env['path']) in result['msg']
        assert 'restore the keystore from your backup, or retire this host' in result['msg']
    assert files(env['dir']) == []
    restored = run(capsys, path=env['path'], password_file=env['password_file'], expected_address=SPEC_ADDRESS,
                   import_private_key=SPEC_SECRET)
    assert restored['rc'] == 0 and restored['address'] == SPEC_ADDRESS
