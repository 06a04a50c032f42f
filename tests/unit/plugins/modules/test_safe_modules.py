# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""safe_deploy and safe_transaction run as modules against eth-tester: check mode, re-runs,
the cross-host signing flow and what the results may (and may not) hold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip('eth_tester')

from ansible.module_utils.testing import patch_module_args  # noqa: E402
from eth_account import Account  # noqa: E402
from web3 import EthereumTesterProvider, Web3  # noqa: E402

from ansible_collections.poa.consortium.plugins.module_utils import rpc  # noqa: E402
from ansible_collections.poa.consortium.plugins.modules import contract_deploy, safe_deploy, safe_transaction  # noqa: E402

ROOT = Path(__file__).resolve().parents[4]
SAFE_DIR = str(ROOT / 'contracts' / 'artifacts' / 'safe')
VALIDATORS = str(ROOT / 'contracts' / 'artifacts' / 'BridgeValidators.json')
KEY = '0x' + '00' * 31 + '01'
CHAIN_ID = 131277322940537
OWNER_KEYS = {'alpha': '0x' + 'a1' * 32, 'beta': '0x' + 'b2' * 32, 'gamma': '0x' + 'c3' * 32}
NEW = '0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc'


def keystore(directory, key, password):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / 'key.json').write_text(json.dumps(Account.encrypt(key, password, kdf='pbkdf2', iterations=2)))
    (directory / 'key.pass').write_text(password + '\n')
    return dict(keystore=str(directory / 'key.json'), password_file=str(directory / 'key.pass'))


@pytest.fixture(name='chain')
def chain_fixture(tmp_path, monkeypatch):
    provider = EthereumTesterProvider()

    def fake(params):
        return rpc.signer_from_params(params, provider=provider)
    for mod in (contract_deploy, safe_deploy, safe_transaction):
        monkeypatch.setattr(mod, 'signer_from_params', fake)
    common = dict(rpc_url='http://unused', chain_id=CHAIN_ID, manifest=str(tmp_path / 'contracts.json'))
    deployer = dict(common, **keystore(tmp_path / 'deployer', KEY, 'deployer-secret'))
    owners = {n: dict(common, **keystore(tmp_path / n, k, 'owner-secret-' + n)) for n, k in OWNER_KEYS.items()}
    return Web3(provider), deployer, owners


def run(module, args, capsys, check_mode=False):
    with patch_module_args(dict(args, _ansible_check_mode=check_mode)):
        with pytest.raises(SystemExit):
            module.main()
    out = capsys.readouterr().out
    for secret in ['deployer-secret', 'owner-secret'] + [k[2:] for k in OWNER_KEYS.values()]:
        assert secret not in out
    return json.loads(out)


def registered(result):
    """A result as a play would register it, without what the module runner adds (invocation,
    warnings), which cannot be passed back as a module argument here."""
    return {k: v for k, v in result.items() if k not in ('invocation', 'warnings', 'deprecations')}


def deploy(chain, capsys, check_mode=False, owners=None, threshold=2):
    _w3, deployer, _owners = chain
    addresses = owners or [Account.from_key(k).address for k in OWNER_KEYS.values()]
    return run(safe_deploy, dict(deployer, artifacts_dir=SAFE_DIR, owners=addresses, threshold=threshold), capsys,
               check_mode)


def test_safe_deploy_predicts_deploys_and_then_changes_nothing(chain, capsys):
    w3, deployer, _owners = chain
    predicted = deploy(chain, capsys, check_mode=True)
    assert predicted['changed'] and predicted['state'] == 'would deploy'
    assert w3.eth.get_transaction_count(Account.from_key(KEY).address) == 0
    done = deploy(chain, capsys)
    assert done['changed'] and done['state'] == 'deployed' and done['address'] == predicted['address']
    assert done['threshold'] == 2 and len(done['owners']) == 3
    again = deploy(chain, capsys)
    assert not again['changed'] and again['state'] == 'present'
    bad = deploy(chain, capsys, threshold=3)
    assert bad['failed'] and 'threshold is 2, not 3' in bad['msg']
    bad = run(safe_deploy, dict(deployer, artifacts_dir='/nonexistent', owners=done['owners'], threshold=2), capsys)
    assert bad['failed'] and 'artifacts directory /nonexistent not found' in bad['msg']


def test_sign_on_each_host_then_execute_at_the_threshold(chain, capsys):
    w3, deployer, owners = chain
    deploy(chain, capsys)
    safe_address = json.loads(Path(deployer['manifest']).read_text(encoding='utf-8'))['contracts']['ConsortiumSafe']['address']
    target = run(contract_deploy, dict(deployer, name='BridgeValidators', artifact=VALIDATORS,
                                       args=[safe_address, [Account.from_key(KEY).address], 1]), capsys)
    assert target['changed']
    change = dict(safe='ConsortiumSafe', to='BridgeValidators', artifact=VALIDATORS, function='addValidator',
                  args=[NEW], check=dict(function='isValidator', args=[NEW], expect=True))

    alpha = run(safe_transaction, dict(owners['alpha'], **change, state='signed', label='alpha'), capsys)
    assert alpha['changed'] and alpha['state'] == 'signed' and alpha['label'] == 'alpha'
    assert alpha['owner'] == Account.from_key(OWNER_KEYS['alpha']).address and alpha['nonce'] == 0
    assert alpha['before'] is False and len(alpha['signature']) == 132

    sent = w3.eth.get_transaction_count(Account.from_key(KEY).address)
    short = run(safe_transaction, dict(deployer, **change, state='executed', signatures=[registered(alpha)]), capsys)
    assert short['failed'] and short['msg'] == '2 of 3 signatures needed, got 1: from alpha'
    assert w3.eth.get_transaction_count(Account.from_key(KEY).address) == sent

    stranger = run(safe_transaction, dict(deployer, **change, state='signed'), capsys)
    assert stranger['failed'] and 'is not an owner of the Safe' in stranger['msg']

    gamma = run(safe_transaction, dict(owners['gamma'], **change, state='signed', label='gamma'), capsys)
    assert gamma['safe_tx_hash'] == alpha['safe_tx_hash']
    predicted = run(safe_transaction, dict(deployer, **change, state='executed', signatures=[registered(alpha), registered(gamma)]), capsys,
                    check_mode=True)
    assert predicted['changed'] and predicted['state'] == 'would execute'
    assert w3.eth.get_transaction_count(Account.from_key(KEY).address) == sent

    done = run(safe_transaction, dict(deployer, **change, state='executed', signatures=[registered(gamma), registered(alpha)]), capsys)
    assert done['changed'] and done['state'] == 'executed' and done['after'] is True and done['tx_hash']
    assert sorted(done['signers']) == sorted([alpha['owner'], gamma['owner']])

    # re-runs: every host sees the check match; nothing signed, nothing sent
    beta = run(safe_transaction, dict(owners['beta'], **change, state='signed', label='beta'), capsys)
    assert not beta['changed'] and beta['state'] == 'done' and beta['signature'] is None
    again = run(safe_transaction, dict(deployer, **change, state='executed', signatures=[registered(beta)]), capsys)
    assert not again['changed'] and again['state'] == 'done'

    # without a check, the signatures of an executed transaction find it in the Safe's logs
    nocheck = {k: v for k, v in change.items() if k != 'check'}
    found = run(safe_transaction, dict(deployer, **nocheck, state='executed', signatures=[registered(alpha), registered(gamma)]), capsys)
    assert not found['changed'] and found['state'] == 'already executed' and found['tx_hash'] == done['tx_hash']


def test_bad_requests_are_refused_with_a_clear_message(chain, capsys):
    _w3, deployer, owners = chain
    deploy(chain, capsys)
    call = dict(owners['alpha'], state='signed', safe='ConsortiumSafe', to=NEW)
    out = run(safe_transaction, dict(call, data='0x', operation=1), capsys)
    assert out['failed'] and 'allow_delegatecall' in out['msg']
    out = run(safe_transaction, dict(call, function='addValidator', args=[NEW]), capsys)
    assert out['failed'] and 'give abi or artifact' in out['msg']
    out = run(safe_transaction, dict(call, data='0x', safe=NEW), capsys)
    assert out['failed'] and 'there is no contract at' in out['msg']
    out = run(safe_transaction, dict(deployer, state='executed', safe='ConsortiumSafe', to=NEW, data='0x',
                                     signatures=[42]), capsys)
    assert out['failed'] and 'each signature is a result of safe_transaction state=signed' in out['msg']
