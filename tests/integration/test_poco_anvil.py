# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""iExec PoCo on a real anvil node: the poco role through ansible-playbook, re-runs, a kill midway.

Select with `pytest -m integration tests/integration/test_poco_anvil.py`. Needs the anvil binary
(npm @foundry-rs/anvil-linux-amd64@1.7.1), the unpacked @iexec/poco 6.1.0 package and
rlc-faucet-contract 2.0.0; paths come from ANVIL_BIN, POCO_DIR and RLC_ARTIFACT or the defaults
below. Tests are skipped when those are missing.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from eth_account import Account

from conftest import IEXEC_BIN, IexecSdk, anvil_chain

from ansible_collections.poa.consortium.plugins.module_utils import contracts as c
from ansible_collections.poa.consortium.plugins.module_utils import poco, rpc
from ansible_collections.poa.consortium.plugins.module_utils.constants import ZERO_ADDRESS

pytestmark = pytest.mark.integration

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
NODE_MODULES = os.path.join(ROOT, 'node_modules')
CHAIN_ID = 65535
# A full token-mode deployment with the Boost facets: 23 contracts + 3 initialize + 13 cuts + 3 setBaseURI
# + configure + 5 categories = 48 transactions.
FULL_TOKEN_TXS = 48
FULL_TOKEN_CONTRACTS = 23


def _first(*paths):
    for path in paths:
        if path and os.path.exists(path):
            return path
    return None


ANVIL = _first(os.environ.get('ANVIL_BIN'), os.path.join(NODE_MODULES, '@foundry-rs', 'anvil-linux-amd64', 'bin', 'anvil'))
PORTS = range(19500, 19600)
POCO_DIR = _first(os.environ.get('POCO_DIR'), os.path.join(NODE_MODULES, '@iexec', 'poco'))
RLC = _first(os.environ.get('RLC_ARTIFACT'), os.path.join(NODE_MODULES, 'rlc-faucet-contract', 'build', 'contracts', 'RLC.json'))

if not (ANVIL and POCO_DIR and RLC):
    pytest.skip('anvil, @iexec/poco or rlc-faucet-contract not found (set ANVIL_BIN, POCO_DIR, RLC_ARTIFACT)', allow_module_level=True)


@pytest.fixture
def anvil(request):
    """anvil on a free port; automine, or interval mining when parametrized with a block time."""
    block_time = getattr(request, 'param', None)
    with anvil_chain(PORTS, '--chain-id', str(CHAIN_ID), *(['--block-time', str(block_time)] if block_time else [])) as url:
        yield url


@pytest.fixture
def deployer(tmp_path, anvil):
    """A fresh deployer keystore, funded through anvil_setBalance."""
    account = Account.create()
    keystore = tmp_path / 'deployer.json'
    keystore.write_text(json.dumps(Account.encrypt(account.key, 'correct horse', kdf='pbkdf2', iterations=2)))
    password = tmp_path / 'deployer.pass'
    password.write_text('correct horse\n')
    w3 = rpc.connect(anvil, CHAIN_ID)
    w3.provider.make_request('anvil_setBalance', [account.address, hex(1000 * 10 ** 18)])
    return {'address': account.address, 'keystore': str(keystore), 'password_file': str(password), 'w3': w3,
            'manifest': str(tmp_path / 'manifest.json'), 'url': anvil}


def nonce(d):
    return d['w3'].eth.get_transaction_count(d['address'])


def hub_views(w3, hub):
    arts = poco.PocoArtifacts(POCO_DIR, RLC)
    acc = arts.get('IexecPocoAccessorsFacet').abi
    return {
        'name': c.call_view(w3, hub, acc, 'name'),
        'token': c.call_view(w3, hub, acc, 'token'),
        'categories': int(c.call_view(w3, hub, acc, 'countCategory')),
        'category0': c.call_view(w3, hub, acc, 'viewCategory', [0]),
        'domain': c.call_view(w3, hub, arts.get('IexecConfigurationFacet').abi, 'domain'),
        'owner': c.call_view(w3, hub, arts.get('OwnershipFacet').abi, 'owner'),
        'appregistry': c.call_view(w3, hub, acc, 'appregistry'),
    }


def run_playbook(tmp_path, d, check=False):
    playbook = tmp_path / 'poco.yml'
    playbook.write_text(
        '- hosts: localhost\n'
        '  connection: local\n'
        '  gather_facts: false\n'
        '  roles:\n'
        '    - role: poa.consortium.poco\n'
        '      vars:\n'
        '        poco_rpc_url: %s\n'
        '        poco_chain_id: %d\n'
        '        poco_keystore: %s\n'
        '        poco_password_file: %s\n'
        '        poco_manifest: %s\n'
        '        poco_package_dir: %s\n'
        '        poco_rlc_artifact: %s\n'
        '        poco_mode: token\n' % (d['url'], CHAIN_ID, d['keystore'], d['password_file'], d['manifest'], POCO_DIR, RLC))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'),
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.ansible', 'collections'),
               ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_NOCOLOR='1')
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'localhost,', str(playbook)]
    if check:
        cmd.append('--check')
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, cwd=str(tmp_path), check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    recap = re.search(r'localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', proc.stdout)
    assert recap, proc.stdout
    return int(recap.group(2)), proc.stdout


def test_role_token_mode_check_deploy_rerun(tmp_path, deployer):
    d = deployer
    changed = run_playbook(tmp_path, d, check=True)[0]
    assert changed == 1 and nonce(d) == 0 and not os.path.exists(d['manifest'])

    changed = run_playbook(tmp_path, d)[0]
    assert changed == 1
    assert nonce(d) == FULL_TOKEN_TXS
    with open(d['manifest'], encoding='utf-8') as handle:
        records = json.load(handle)['contracts']
    assert len(records) == FULL_TOKEN_CONTRACTS
    hub = records['poco_hub']['address']
    views = hub_views(d['w3'], hub)
    assert views['name'] == 'Staked RLC'
    assert views['token'] == records['rlc']['address']
    assert views['categories'] == 5 and tuple(views['category0']) == ('XS', '""', 300)
    assert tuple(views['domain']) == ('iExecODB', '5.0.0', CHAIN_ID, hub.lower())
    assert views['owner'] == d['address']
    assert views['appregistry'] == records['poco_AppRegistry']['address']
    # the deployer holds the whole RLC supply (87M RLC, 9 decimals)
    assert c.call_view(d['w3'], records['rlc']['address'], c.ERC20_ABI, 'balanceOf', [d['address']]) == 87 * 10 ** 6 * 10 ** 9

    changed = run_playbook(tmp_path, d)[0]
    assert changed == 0 and nonce(d) == FULL_TOKEN_TXS
    changed = run_playbook(tmp_path, d, check=True)[0]
    assert changed == 0


KILLABLE = r'''
import sys
from eth_account import Account
from ansible_collections.poa.consortium.plugins.module_utils import contracts as c, poco, rpc
url, chain_id, keystore, pw, manifest, poco_dir, rlc = sys.argv[1:]
w3 = rpc.connect(url, int(chain_id))
signer = rpc.Signer(w3, rpc.load_keystore_account(keystore, pw))
poco.deploy_poco(w3, signer, c.Journal(manifest), poco_dir, rlc, mode='token')
'''


@pytest.mark.parametrize('anvil,kill_at', [(None, 5), (None, 20), (None, 35), (0.5, 3), (0.5, 20)], indirect=['anvil'],
                         ids=['automine-5', 'automine-20', 'automine-35', 'interval-3', 'interval-20'])
def test_kill_midway_then_rerun_completes_without_duplicates(deployer, kill_at):
    """Killed once `kill_at` transactions are sent; with interval mining some are still in the pool then."""
    d = deployer
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, '.ansible', 'collections'))
    proc = subprocess.Popen([sys.executable, '-c', KILLABLE, d['url'], str(CHAIN_ID), d['keystore'], d['password_file'],
                             d['manifest'], POCO_DIR, RLC], env=env)
    deadline = time.monotonic() + 120
    while (d['w3'].eth.get_transaction_count(d['address'], 'pending') < kill_at and proc.poll() is None
           and time.monotonic() < deadline):
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = d['w3'].eth.get_transaction_count(d['address'], 'pending')
    print('killed with %d sent, %d mined' % (partial, nonce(d)))
    assert kill_at <= partial < FULL_TOKEN_TXS, 'the kill came too late to test anything (nonce %d)' % partial

    signer = rpc.Signer(d['w3'], rpc.load_keystore_account(d['keystore'], d['password_file']))
    result = poco.deploy_poco(d['w3'], signer, c.Journal(d['manifest']), POCO_DIR, RLC, mode='token')
    assert result['changed']
    assert nonce(d) == FULL_TOKEN_TXS  # every step exactly once over the two runs
    creations = 0
    for number in range(1, d['w3'].eth.block_number + 1):
        for tx in d['w3'].eth.get_block(number, full_transactions=True)['transactions']:
            creations += tx['to'] is None
    assert creations == FULL_TOKEN_CONTRACTS
    assert hub_views(d['w3'], result['hub'])['categories'] == 5
    again = poco.deploy_poco(d['w3'], rpc.Signer(d['w3'], signer.account), c.Journal(d['manifest']), POCO_DIR, RLC, mode='token')
    assert not again['changed'] and again['transactions'] == 0 and nonce(d) == FULL_TOKEN_TXS


def test_native_mode_and_owner_handover(deployer):
    d = deployer
    owner = Account.create().address
    signer = rpc.Signer(d['w3'], rpc.load_keystore_account(d['keystore'], d['password_file']))
    result = poco.deploy_poco(d['w3'], signer, c.Journal(d['manifest']), POCO_DIR, mode='native', owner=owner,
                              categories=[{'name': 'ONLY', 'description': 'one', 'workClockTimeRef': 60}])
    assert result['token'] is None and 'rlc' not in result['contracts']
    views = hub_views(d['w3'], result['hub'])
    assert views['token'] == ZERO_ADDRESS
    assert views['categories'] == 1 and tuple(views['category0']) == ('ONLY', '"one"', 60)
    assert views['owner'] == owner
    registry = poco.PocoArtifacts(POCO_DIR).get('AppRegistry')
    assert c.call_view(d['w3'], result['contracts']['poco_AppRegistry'], registry.abi, 'owner') == owner
    # native deposits go through the escrow facet's receive(), routed by the Diamond
    escrow = poco.PocoArtifacts(POCO_DIR).get('IexecEscrowNativeFacet')
    assert '0x00000000' in poco.selectors_of(escrow.abi)
    before = nonce(d)
    again = poco.deploy_poco(d['w3'], rpc.Signer(d['w3'], signer.account), c.Journal(d['manifest']), POCO_DIR, mode='native',
                             owner=owner, categories=[{'name': 'ONLY', 'description': 'one', 'workClockTimeRef': 60}])
    assert not again['changed'] and nonce(d) == before


def test_chain_reset_is_reported(tmp_path, deployer):
    d = deployer
    signer = rpc.Signer(d['w3'], rpc.load_keystore_account(d['keystore'], d['password_file']))
    poco.deploy_poco(d['w3'], signer, c.Journal(d['manifest']), POCO_DIR, RLC, mode='token', boost=False)
    with open(d['manifest'], encoding='utf-8') as handle:
        data = json.load(handle)
    data['contracts']['poco_hub']['address'] = '0x' + '77' * 20
    with open(d['manifest'], 'w', encoding='utf-8') as handle:
        json.dump(data, handle)
    with pytest.raises(c.ContractError, match='poco_hub is recorded at .* no code'):
        poco.deploy_poco(d['w3'], rpc.Signer(d['w3'], signer.account), c.Journal(d['manifest']), POCO_DIR, RLC, mode='token',
                         boost=False)


@pytest.mark.skipif(not os.path.exists(IEXEC_BIN), reason='iExec SDK 9.0.1 not found (npm install iexec@9.0.1; set IEXEC_BIN)')
def test_iexec_sdk_sees_the_deployment(tmp_path, deployer):
    """The iExec SDK, pointed at our hub, funds an account's stake through RLC and deploys an app."""
    d = deployer
    signer = rpc.Signer(d['w3'], rpc.load_keystore_account(d['keystore'], d['password_file']))
    result = poco.deploy_poco(d['w3'], signer, c.Journal(d['manifest']), POCO_DIR, RLC, mode='token')
    sdk = IexecSdk(tmp_path / 'sdk', CHAIN_ID, d['url'], result['hub'])
    user = Account.from_key(Account.decrypt(sdk.wallet['wallet'], 'pw')).address
    assert user == c.to_checksum_address(sdk.address)
    # our fund_account logic: gas coin and RLC (9 decimals) to the SDK's wallet
    c.ensure_funded(d['w3'], signer, [{'address': user, 'balance': 10 ** 18}])
    c.ensure_funded(d['w3'], signer, [{'address': user, 'balance': 500 * 10 ** 9}], token=result['token'])
    sdk.use_hub({kind: result['contracts'][f'poco_{kind.capitalize()}Registry'] for kind in ('app', 'dataset', 'workerpool')})
