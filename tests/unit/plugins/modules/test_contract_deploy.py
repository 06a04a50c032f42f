# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""contract_deploy, contract_transact and fund_account run as modules against eth-tester."""

from __future__ import annotations

import json
import os

import pytest

pytest.importorskip('eth_tester')

from ansible.module_utils.testing import patch_module_args  # noqa: E402
from eth_account import Account  # noqa: E402
from web3 import EthereumTesterProvider  # noqa: E402

from ansible_collections.poa.consortium.plugins.module_utils import rpc  # noqa: E402
from ansible_collections.poa.consortium.plugins.modules import contract_deploy, contract_transact, fund_account, poco_deploy  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'contracts')
KEY = '0x' + '00' * 31 + '01'
CHAIN_ID = 131277322940537
# The deployer's keystore password: distinctive, so a leak check cannot match a path (ansible-core
# 2.19 returns invocation.module_args, with the password file's path, in every result).
PASSWORD = 'deployer-keystore-secret'


@pytest.fixture
def chain(tmp_path, monkeypatch):
    """One in-process chain shared by every module call of a test; a keystore and its password file."""
    provider = EthereumTesterProvider()

    def fake(params):
        return rpc.signer_from_params(params, provider=provider)
    for mod in (contract_deploy, contract_transact, fund_account, poco_deploy):
        monkeypatch.setattr(mod, 'signer_from_params', fake)
    keystore = tmp_path / 'deployer.json'
    keystore.write_text(json.dumps(Account.encrypt(KEY, PASSWORD, kdf='pbkdf2', iterations=2)))
    (tmp_path / 'pw').write_text(PASSWORD + '\n')
    base = dict(rpc_url='http://unused', chain_id=CHAIN_ID, keystore=str(keystore), password_file=str(tmp_path / 'pw'),
                manifest=str(tmp_path / 'manifest.json'))
    return provider, base


def run(module, args, capsys, check_mode=False, diff=False):
    args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out)


def nonce(provider):
    from web3 import Web3
    return Web3(provider).eth.get_transaction_count(Account.from_key(KEY).address)


def test_deploy_module_idempotent_with_check_and_diff(chain, capsys):
    provider, base = chain
    lib = dict(base, name='MathLib', artifact=os.path.join(FIXTURES, 'hardhat', 'MathLib.json'))
    res = run(contract_deploy, lib, capsys, check_mode=True)
    assert res['changed'] and res['state'] == 'would deploy' and nonce(provider) == 0
    res = run(contract_deploy, lib, capsys, diff=True)
    assert res['changed'] and res['state'] == 'deployed' and res['diff']['before'] == {}
    assert res['diff']['after']['contracts']['MathLib']['address'] == res['address']
    assert PASSWORD not in json.dumps(res)
    tripler = dict(base, name='Tripler', artifact=os.path.join(FIXTURES, 'truffle', 'Tripler.json'), libraries={'MathLib': 'MathLib'})
    res = run(contract_deploy, tripler, capsys)
    assert res['changed'] and res['block'] == 2
    before = nonce(provider)
    for args in (lib, tripler):
        res = run(contract_deploy, args, capsys, check_mode=True)
        assert not res['changed'] and res['state'] == 'present'
        res = run(contract_deploy, args, capsys)
        assert not res['changed']
    assert nonce(provider) == before
    with open(base['manifest'], encoding='utf-8') as handle:
        assert set(json.load(handle)['contracts']) == {'MathLib', 'Tripler'}


def test_deploy_module_errors(chain, capsys, tmp_path):
    base = chain[1]
    res = run(contract_deploy, dict(base, name='X', artifact=str(tmp_path / 'nope.json')), capsys)
    assert res['failed'] and 'artifact file' in res['msg'] and 'not found' in res['msg'] and res['state'] == 'failed'
    res = run(contract_deploy, dict(base, name='T', artifact=os.path.join(FIXTURES, 'hardhat', 'Tripler.json')), capsys)
    assert res['failed'] and 'contracts/Contracts.sol:MathLib' in res['msg']
    res = run(contract_deploy, dict(base, name='R', artifact=os.path.join(FIXTURES, 'hardhat', 'Reverter.json'), args=[True]), capsys)
    assert res['failed'] and 'Reverter: constructor refused' in res['msg']
    res = run(contract_deploy, dict(base, chain_id=1, name='G', artifact=os.path.join(FIXTURES, 'hardhat', 'Greeter.json'), args=['x']), capsys)
    assert res['failed'] and 'chain_id 1 was expected' in res['msg']
    (tmp_path / 'pw').write_text('bad')
    res = run(contract_deploy, dict(base, name='G', artifact=os.path.join(FIXTURES, 'hardhat', 'Greeter.json'), args=['x']), capsys)
    assert res['failed'] and 'wrong password' in res['msg'] and 'bad' not in res['msg']


def test_transact_module(chain, capsys):
    base = chain[1]
    greeter = os.path.join(FIXTURES, 'hardhat', 'Greeter.json')
    run(contract_deploy, dict(base, name='Greeter', artifact=greeter, args=['hi']), capsys)
    args = dict(base, address='Greeter', artifact=greeter, function='setGreeting', args=['yo'],
                check=dict(function='greeting', expect='yo'))
    res = run(contract_transact, args, capsys, check_mode=True, diff=True)
    assert res['changed'] and res['tx_hash'] is None and res['diff'] == {'before': 'greeting = hi\n', 'after': 'greeting = yo\n'}
    res = run(contract_transact, args, capsys)
    assert res['changed'] and res['after'] == 'yo' and res['tx_hash']
    res = run(contract_transact, args, capsys)
    assert not res['changed'] and res['before'] == 'yo'
    res = run(contract_transact, dict(base, address='Greeter', artifact=greeter, function='transferOwnership',
                                      args=['0x' + '00' * 19 + '01']), capsys)
    assert res['changed']
    res = run(contract_transact, dict(base, address='Greeter', artifact=greeter, function='transferOwnership',
                                      args=['0x' + '00' * 19 + '02']), capsys)
    assert res['failed'] and 'Greeter: not owner' in res['msg'] and 'state' not in res


def test_fund_module(chain, capsys):
    base = chain[1]
    target = '0x' + '0c' * 20
    args = dict(base, accounts=[dict(address=target, balance='2 ether')])
    res = run(fund_account, args, capsys, check_mode=True)
    assert res['changed'] and res['accounts'][0]['sent'] == str(2 * 10 ** 18) and res['accounts'][0]['tx_hash'] is None
    res = run(fund_account, args, capsys)
    assert res['changed'] and res['accounts'][0]['tx_hash']
    res = run(fund_account, args, capsys)
    assert not res['changed'] and res['accounts'][0]['sent'] == '0'
    run(contract_deploy, dict(base, name='tiny', artifact=os.path.join(FIXTURES, 'truffle', 'TinyToken.json'), args=[10 ** 12]), capsys)
    res = run(fund_account, dict(base, token='tiny', decimals=9, accounts=[dict(address=target, balance='3 token')]), capsys)
    assert res['changed'] and res['accounts'][0]['sent'] == str(3 * 10 ** 9)
    res = run(fund_account, dict(base, accounts=[dict(address=target, balance='3 bananas')]), capsys)
    assert res['failed'] and 'unknown unit' in res['msg']


def test_deploy_module_solc_output_and_on_mismatch(chain, capsys):
    base = chain[1]
    args = dict(base, name='G', artifact=os.path.join(FIXTURES, 'solc-standard-output.json'), contract='Greeter', args=['x'])
    first = run(contract_deploy, args, capsys)
    assert first['changed'] and first['state'] == 'deployed'
    with open(base['manifest'], encoding='utf-8') as handle:
        data = json.load(handle)
    data['contracts']['G']['address'] = '0x' + '66' * 20
    data['network'] = {'name': 'kept'}
    with open(base['manifest'], 'w', encoding='utf-8') as handle:
        json.dump(data, handle)
    res = run(contract_deploy, args, capsys)
    assert res['failed'] and 'no code at that address' in res['msg'] and 'on_mismatch=redeploy' in res['msg']
    res = run(contract_deploy, dict(args, on_mismatch='redeploy'), capsys)
    assert res['changed'] and res['state'] == 'redeployed' and res['address'] != first['address']
    with open(base['manifest'], encoding='utf-8') as handle:
        assert json.load(handle)['network'] == {'name': 'kept'}
    res = run(contract_deploy, dict(args, contract=None), capsys)
    assert res['failed'] and 'set contract to one of them' in res['msg']


def test_poco_module_input_errors(chain, capsys, tmp_path):
    base = chain[1]
    res = run(poco_deploy, dict(base, poco_dir=str(tmp_path), mode='token'), capsys)
    assert res['failed'] and 'needs rlc_artifact' in res['msg']
    res = run(poco_deploy, dict(base, poco_dir=str(tmp_path), mode='native'), capsys)
    assert res['failed'] and 'does not look like the @iexec/poco package' in res['msg']
