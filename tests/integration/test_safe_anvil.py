# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The consortium's Safe 1.4.1 multisig on a real anvil node, through real ansible-playbook runs:
safe_deploy makes a 2-of-3 Safe, a BridgeValidators owned by it is deployed, and a change to it
is signed on each owner's "host" (its own directory and keystore) and executed at the threshold.

Select with `pytest -m integration tests/integration/test_safe_anvil.py`. One anvil
(--hardfork paris, a port of 19300-19399) for the module; the Safe is deployed once and every
test starts from an evm_snapshot of that state.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys

import pytest

from eth_account import Account

from conftest import ROOT, PlaybookRun, anvil_chain

from ansible_collections.poa.consortium.plugins.module_utils import contracts as c
from ansible_collections.poa.consortium.plugins.module_utils import rpc
from ansible_collections.poa.consortium.plugins.module_utils import safe as s

pytestmark = pytest.mark.integration

CHAIN_ID = 19301
SAFE_DIR = ROOT / 'contracts' / 'artifacts' / 'safe'
VALIDATORS = ROOT / 'contracts' / 'artifacts' / 'BridgeValidators.json'
COMPANIES = ('alpha', 'beta', 'gamma')
NEW_VALIDATOR = '0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc'

DEPLOY = '''
- name: Deploy the consortium's Safe and a contract it owns
  hosts: deployer
  gather_facts: false
  tasks:
    - name: Deploy the Safe
      poa.consortium.safe_deploy:
        rpc_url: "{{ rpc_url }}"
        chain_id: "{{ chain_id }}"
        keystore: "{{ deployer_dir }}/deployer.json"
        password_file: "{{ deployer_dir }}/deployer.pass"
        manifest: "{{ deployer_dir }}/contracts.json"
        artifacts_dir: "{{ safe_artifacts }}"
        owners: "{{ safe_owners }}"
        threshold: 2
      register: consortium_safe

    - name: Deploy BridgeValidators owned by the Safe
      poa.consortium.contract_deploy:
        rpc_url: "{{ rpc_url }}"
        chain_id: "{{ chain_id }}"
        keystore: "{{ deployer_dir }}/deployer.json"
        password_file: "{{ deployer_dir }}/deployer.pass"
        manifest: "{{ deployer_dir }}/contracts.json"
        name: BridgeValidators
        artifact: "{{ validators_artifact }}"
        args: ["{{ consortium_safe.address }}", ["{{ first_validator }}"], 1]
'''

CHANGE = '''
- name: Sign on each owner's own host
  hosts: "{{ signers }}"
  gather_facts: false
  tasks:
    - name: Sign "add a validator" with this company's owner key
      poa.consortium.safe_transaction:
        state: signed
        rpc_url: "{{ rpc_url }}"
        chain_id: "{{ chain_id }}"
        keystore: "{{ owner_dir }}/owner.json"
        password_file: "{{ owner_dir }}/owner.pass"
        label: "{{ company }}"
        manifest: "{{ deployer_dir }}/contracts.json"
        safe: ConsortiumSafe
        to: BridgeValidators
        artifact: "{{ validators_artifact }}"
        function: addValidator
        args: ["{{ new_validator }}"]
        check: &check
          function: isValidator
          args: ["{{ new_validator }}"]
          expect: true
      register: safe_signature

- name: Execute once at the threshold
  hosts: deployer
  gather_facts: false
  tasks:
    - name: Execute through the Safe
      poa.consortium.safe_transaction:
        state: executed
        rpc_url: "{{ rpc_url }}"
        chain_id: "{{ chain_id }}"
        keystore: "{{ deployer_dir }}/deployer.json"
        password_file: "{{ deployer_dir }}/deployer.pass"
        manifest: "{{ deployer_dir }}/contracts.json"
        safe: ConsortiumSafe
        to: BridgeValidators
        artifact: "{{ validators_artifact }}"
        function: addValidator
        args: ["{{ new_validator }}"]
        check: *check
        signatures: "{{ groups['owners'] | map('extract', hostvars) | selectattr('safe_signature', 'defined')
                        | map(attribute='safe_signature') | list }}"
'''


def keystore(directory, name, key=None):
    """An eth-account V3 keystore and its password file in `directory` (one company's host)."""
    directory.mkdir(parents=True, exist_ok=True)
    account = Account.from_key(key) if key else Account.create()
    password = secrets.token_urlsafe(18)
    (directory / (name + '.json')).write_text(json.dumps(Account.encrypt(account.key, password)))
    (directory / (name + '.pass')).write_text(password + '\n')
    return {'address': account.address, 'key': account.key.hex(), 'password': password}


class World:
    def __init__(self, base, url, w3):
        self.base, self.url, self.w3 = base, url, w3
        self.deployer = keystore(base / 'deployer', 'deployer')
        w3.provider.make_request('anvil_setBalance', [self.deployer['address'], hex(1000 * 10 ** 18)])
        self.owners = {name: keystore(base / 'hosts' / name, 'owner') for name in COMPANIES}
        for name in COMPANIES:
            (base / 'host_vars').mkdir(exist_ok=True)
            (base / 'host_vars' / (name + '.yml')).write_text(
                'company: %s\nowner_dir: %s\n' % (name, base / 'hosts' / name))
        (base / 'inventory.yml').write_text(json.dumps({'all': {
            'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
                     'rpc_url': url, 'chain_id': CHAIN_ID, 'deployer_dir': str(base / 'deployer'),
                     'safe_artifacts': str(SAFE_DIR), 'validators_artifact': str(VALIDATORS),
                     'first_validator': self.owners['alpha']['address'], 'new_validator': NEW_VALIDATOR,
                     'safe_owners': [self.owners[n]['address'] for n in COMPANIES]},
            'hosts': {'deployer': {}},
            'children': {'owners': {'hosts': {name: {} for name in COMPANIES}}}}}))
        (base / 'deploy.yml').write_text(DEPLOY)
        (base / 'change.yml').write_text(CHANGE)

    def play(self, playbook, *args):
        env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / 'ansible.cfg'),
                   ANSIBLE_COLLECTIONS_PATH=str(ROOT / '.ansible' / 'collections'), ANSIBLE_NOCOLOR='1')
        cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-v',
               '-i', str(self.base / 'inventory.yml'), str(self.base / playbook), *args]
        run = PlaybookRun(subprocess.run(cmd, env=env, cwd=str(self.base), capture_output=True, text=True, timeout=600,
                                         check=False))
        for secret in [self.deployer] + list(self.owners.values()):
            for value in (secret['key'], secret['key'].removeprefix('0x'), secret['password']):
                assert value not in run.output, 'a private key or a password is in the playbook output'
        return run

    def journal(self):
        return json.loads((self.base / 'deployer' / 'contracts.json').read_text())['contracts']

    def nonces(self):
        """(Safe nonce, transactions sent by the gas payer)."""
        return (s.read_safe(self.w3, self.journal()['ConsortiumSafe']['address'])['nonce'],
                self.w3.eth.get_transaction_count(self.deployer['address']))

    def is_validator(self, address):
        abi = c.load_artifact(str(VALIDATORS)).abi
        return c.call_view(self.w3, self.journal()['BridgeValidators']['address'], abi, 'isValidator', [address])


@pytest.fixture(scope='module', name='world')
def world_fixture(tmp_path_factory):
    with anvil_chain(range(19300, 19400), '--chain-id', str(CHAIN_ID), '--hardfork', 'paris') as url:
        world = World(tmp_path_factory.mktemp('safe'), url, rpc.connect(url, CHAIN_ID))
        run = world.play('deploy.yml')
        assert run.rc == 0, run.report()
        assert run.changed_total() == 2, run.report()
        yield world


@pytest.fixture(name='chain')
def chain_fixture(world):
    """The module's chain, back to the freshly deployed Safe after the test."""
    snapshot = world.w3.provider.make_request('evm_snapshot', [])['result']
    yield world
    assert world.w3.provider.make_request('evm_revert', [snapshot])['result'] is True


def test_the_safe_owns_the_contract_with_its_owners_and_threshold(chain):
    journal = chain.journal()
    info = s.read_safe(chain.w3, journal['ConsortiumSafe']['address'])
    assert sorted(info['owners']) == sorted(o['address'] for o in chain.owners.values())
    assert (info['threshold'], info['nonce'], info['version']) == (2, 0, '1.4.1')
    abi = c.load_artifact(str(VALIDATORS)).abi
    owner = c.call_view(chain.w3, journal['BridgeValidators']['address'], abi, 'owner')
    assert owner == journal['ConsortiumSafe']['address']
    assert {'SafeL2', 'SafeProxyFactory'} <= set(journal)


def test_deploy_rerun_is_unchanged_and_other_owners_fail(chain):
    before = chain.nonces()
    again = chain.play('deploy.yml')
    assert again.rc == 0 and again.changed_total() == 0, again.report()
    two = [chain.owners['alpha']['address'], chain.owners['beta']['address']]
    other = chain.play('deploy.yml', '-e', json.dumps({'safe_owners': two}))
    assert other.rc != 0
    assert 'differs from the wanted one' in other.output and 'addOwnerWithThreshold' in other.output, other.report()
    assert chain.nonces() == before


def test_one_signature_is_refused_and_nothing_is_sent(chain):
    before = chain.nonces()
    run = chain.play('change.yml', '-e', 'signers=alpha')
    assert run.rc != 0
    assert '2 of 3 signatures needed, got 1: from alpha' in run.output, run.report()
    assert chain.nonces() == before
    assert chain.is_validator(NEW_VALIDATOR) is False


def test_a_non_owner_key_cannot_sign(chain):
    stranger = chain.base / 'hosts' / 'stranger'
    keystore(stranger, 'owner')
    run = chain.play('change.yml', '-e', json.dumps({'signers': 'alpha', 'owner_dir': str(stranger)}))
    assert run.rc != 0 and 'is not an owner of the Safe' in run.output, run.report()


def test_two_signatures_execute_then_a_rerun_changes_nothing(chain):
    safe_nonce, sent = chain.nonces()
    check = chain.play('change.yml', '--check', '-e', 'signers=alpha:gamma')
    assert check.rc == 0, check.report()
    assert chain.nonces() == (safe_nonce, sent) and chain.is_validator(NEW_VALIDATOR) is False

    run = chain.play('change.yml', '-e', 'signers=alpha:gamma')
    assert run.rc == 0, run.report()
    assert chain.is_validator(NEW_VALIDATOR) is True
    assert chain.nonces() == (safe_nonce + 1, sent + 1)
    assert run.recap()['deployer']['changed'] == 1 and run.recap()['alpha']['changed'] == 1
    assert 'beta' not in run.recap()
    # -v shows the results, public signatures included: the secrets' absence above means something
    assert '"signature": "0x' in run.output and '"safe_tx_hash": "0x' in run.output

    again = chain.play('change.yml', '-e', 'signers=owners')
    assert again.rc == 0 and again.changed_total() == 0, again.report()
    assert chain.nonces() == (safe_nonce + 1, sent + 1)


# ---------------------------------------------------------------- playbooks/governance.yml

GOVERNANCE_HOSTS = {'a1': 'alpha', 'a2': 'alpha', 'b1': 'beta', 'g1': 'gamma'}


def test_governance_playbook_makes_one_owner_key_per_company_and_a_majority_safe(chain, tmp_path):
    """playbooks/governance.yml (after authorities.yml) on four authorities of three companies: an owner key on the first
    host of each company only, a 2-of-3 Safe deployed from the deployer's host, `safe` in the
    manifest; a re-run changes nothing."""
    deployer = Account.create()
    chain.w3.provider.make_request('anvil_setBalance', [deployer.address, hex(100 * 10 ** 18)])
    manifest = tmp_path / 'manifest.json'
    manifest.write_text(json.dumps({'chain_id': CHAIN_ID}))
    hosts = {name: {'consortium_company': company, 'authority_data_dir': str(tmp_path / 'hosts' / name)}
             for name, company in GOVERNANCE_HOSTS.items()}
    hosts['a1']['authority_import_private_key'] = deployer.key.hex()
    (tmp_path / 'inventory.yml').write_text(json.dumps({'all': {
        'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
                 'consortium_manifest_path': str(manifest), 'authority_rpc_url': chain.url,
                 'authority_scrypt_n': 16384, 'governance_scrypt_n': 16384},
        'children': {'authorities': {'hosts': hosts}}}}))
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / 'ansible.cfg'),
               ANSIBLE_COLLECTIONS_PATH=str(ROOT / '.ansible' / 'collections'), ANSIBLE_NOCOLOR='1')
    # The governance phase reads the identities that the authorities phase made, as site.yml runs them.
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-v', '-i', str(tmp_path / 'inventory.yml'),
           str(ROOT / 'playbooks' / 'authorities.yml'), str(ROOT / 'playbooks' / 'governance.yml')]

    def play():
        return PlaybookRun(subprocess.run(cmd, env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=600,
                                          check=False))
    first = play()
    assert first.rc == 0, first.report()

    owner_files = {name: tmp_path / 'hosts' / name / 'governance' / 'owner.json' for name in GOVERNANCE_HOSTS}
    assert [n for n, path in owner_files.items() if path.exists()] == ['a1', 'b1', 'g1']
    addresses = {GOVERNANCE_HOSTS[n]: '0x' + json.loads(owner_files[n].read_text())['address'] for n in ('a1', 'b1', 'g1')}
    record = json.loads(manifest.read_text())
    safe = record['safe']
    assert safe['threshold'] == 2 and safe['name'] == 'ConsortiumSafe'
    assert {o['company']: o['address'].lower() for o in safe['owners']} == {k: v.lower() for k, v in addresses.items()}
    assert record['contracts']['ConsortiumSafe']['address'] == safe['home']['address']
    assert 'foreign' not in safe  # no bridge in this inventory: no foreign Safe
    info = s.read_safe(chain.w3, safe['home']['address'])
    assert sorted(o.lower() for o in info['owners']) == sorted(v.lower() for v in addresses.values())
    assert info['threshold'] == 2

    secrets_on_hosts = [deployer.key.hex().removeprefix('0x')]
    secrets_on_hosts += [(tmp_path / 'hosts' / n / 'governance' / 'owner.password').read_text().strip()
                         for n in ('a1', 'b1', 'g1')]
    assert all(len(secret) >= 32 for secret in secrets_on_hosts)
    for secret in secrets_on_hosts:
        assert secret not in first.output

    again = play()
    assert again.rc == 0 and again.changed_total() == 0, again.report()
