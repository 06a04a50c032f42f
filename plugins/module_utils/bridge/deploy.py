# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deploy the token bridge on both chains, idempotently, and describe it for the manifest.

Each chain has its own deployment journal (contracts.Journal): a killed run resumes from it,
and a re-run with the same inputs sends nothing. No Ansible here.
"""

from __future__ import annotations

import os

from ansible_collections.poa.consortium.plugins.module_utils.constants import ZERO_ADDRESS
from ansible_collections.poa.consortium.plugins.module_utils.contracts import (
    ContractError, Deployer, call_view, code_hash, ensure_transaction, load_artifact,
)
from ansible_collections.poa.consortium.plugins.module_utils.rpc import create_address

try:
    from eth_utils import to_checksum_address
except ImportError:  # pragma: no cover - reported by rpc.run_module
    pass

MODES = ('erc_to_erc', 'erc_to_native')
CONTRACTS = ('BridgeValidators', 'ForeignBridge', 'HomeBridge')


class Side:
    """One chain of the bridge: its Web3, the deployer's signer there, and its journal."""

    def __init__(self, name, w3, signer, journal, rpc_url, check_mode=False):
        self.name = name
        self.w3 = w3
        self.signer = signer
        self.journal = journal
        self.rpc_url = rpc_url
        self.deployer = Deployer(w3, signer, journal, check_mode=check_mode)
        self.check_mode = check_mode
        self.changed = False

    def ensure(self, name, artifact, args, confirmations):
        if self.check_mode:
            return self.predict(name)
        changed, record, _state = self.deployer.ensure(name, artifact, args, confirmations=confirmations)
        self.changed = self.changed or changed
        return record

    def predict(self, name):
        """Check mode: the record, or where the contract would be deployed. No estimate is made: a
        constructor that takes a contract not deployed yet would revert."""
        state, detail = self.deployer.status(name)
        if state == 'present':
            return detail
        self.changed = True
        if state in ('pending', 'mined'):
            return detail
        return {'address': create_address(self.signer.address, self.signer.next_nonce()), 'tx_hash': None,
                'block': None, 'code_hash': None}

    def transact(self, address, abi, function, args=None, value=0, check=None, confirmations=None):
        result = ensure_transaction(self.w3, self.signer, address, abi, function, args, value=value, check=check,
                                    check_mode=self.check_mode, confirmations=confirmations)
        self.changed = self.changed or result['changed']
        return result


def load_artifacts(artifacts_dir):
    """The compiled bridge contracts, {name: Artifact}, from contracts/artifacts of the collection."""
    found = {}
    for name in CONTRACTS:
        path = os.path.join(artifacts_dir, name + '.json')
        if not os.path.isfile(path):
            raise ContractError('%s not found: artifacts_dir must hold the compiled bridge contracts (%s)' % (
                path, ', '.join(n + '.json' for n in CONTRACTS)))
        found[name] = load_artifact(path)
    return found


def check_settings(settings):
    """Refuse inputs that would deploy a bridge nobody can use; returns the checksummed validators."""
    if settings['mode'] not in MODES:
        raise ContractError('mode must be one of %s, not %r' % (', '.join(MODES), settings['mode']))
    validators = [to_checksum_address(v) for v in settings['validators']]
    if not validators:
        raise ContractError('no bridge validators: list at least one validator address')
    if len(set(validators)) != len(validators):
        raise ContractError('a bridge validator is listed twice: %s' % ', '.join(validators))
    required = int(settings['required_signatures'])
    if not 1 <= required <= len(validators):
        raise ContractError('required_signatures is %d but must be between 1 and the %d validators' % (
            required, len(validators)))
    for side in ('foreign', 'home'):
        limits = settings['limits'][side]
        if not 0 < limits['min_per_tx'] <= limits['max_per_tx'] <= limits['daily_limit']:
            raise ContractError('%s limits must satisfy 0 < min_per_tx <= max_per_tx <= daily_limit, not %r' % (side, limits))
    if settings['mode'] == 'erc_to_erc' and not settings.get('home_token'):
        raise ContractError('mode erc_to_erc needs home_token: the RLC contract of the home chain (PoCo token mode)')
    return validators


def token_record(w3, address):
    """A manifest entry for a token the bridge did not deploy itself."""
    address = to_checksum_address(address)
    digest = code_hash(w3, address)
    if digest is None:
        raise ContractError('no contract at token address %s' % address)
    return {'address': address, 'tx_hash': None, 'block': None, 'code_hash': digest}


def check_validator_set(side, record, abi, validators, required):
    """A deployed validator set must be the inventory's: changing it is a governance act."""
    if side.check_mode and record.get('tx_hash') is None and record.get('code_hash') is None:
        return
    on_chain = [to_checksum_address(a) for a in call_view(side.w3, record['address'], abi, 'validatorList')]
    m_on_chain = int(call_view(side.w3, record['address'], abi, 'requiredSignatures'))
    if sorted(on_chain) != sorted(validators) or m_on_chain != required:
        raise ContractError(
            'the %s chain\'s bridge validator set at %s is %s with %d signatures required, but the inventory asks '
            'for %s with %d. Change a live validator set through its owner (the consortium multisig), not by '
            'redeploying.' % (side.name, record['address'], on_chain, m_on_chain, validators, required))


def deploy_bridge(home, foreign, artifacts, settings, rlc_artifact=None):
    """Deploy (or find) every bridge contract on both chains and fund the home bridge.

    settings: mode, validators, required_signatures, owner (None: the deployer), limits
    {foreign: {min_per_tx, max_per_tx, daily_limit}, home: {..., execution_daily_limit}},
    confirmations {foreign, home}, foreign_token (None: deploy RLC from rlc_artifact), home_token
    (erc_to_erc), home_funding (token units, or wei in erc_to_native).
    Returns the manifest's `bridge` object.
    """
    validators = check_settings(settings)
    required = int(settings['required_signatures'])
    conf = settings['confirmations']
    native = settings['mode'] == 'erc_to_native'

    # Foreign chain: the token (RLC, deployed here only on a dev chain), the validator set, the bridge.
    if settings.get('foreign_token'):
        foreign_token = token_record(foreign.w3, settings['foreign_token'])
    else:
        if not rlc_artifact:
            raise ContractError('no foreign_token given and no rlc_artifact to deploy one')
        foreign_token = foreign.ensure('rlc', load_artifact(rlc_artifact), [], 1)
    results = {}
    for side in (foreign, home):
        owner = to_checksum_address(settings.get('owner') or side.signer.address)
        record = side.ensure('bridge_validators', artifacts['BridgeValidators'], [owner, validators, required], 1)
        check_validator_set(side, record, artifacts['BridgeValidators'].abi, validators, required)
        results[side.name] = {'validators': record, 'owner': owner}

    flim = settings['limits']['foreign']
    results['foreign']['bridge'] = foreign.ensure('foreign_bridge', artifacts['ForeignBridge'], [
        results['foreign']['owner'], foreign_token['address'], results['foreign']['validators']['address'],
        flim['min_per_tx'], flim['max_per_tx'], flim['daily_limit'], int(conf['foreign'])], 1)

    hlim = settings['limits']['home']
    home_token = None if native else token_record(home.w3, settings['home_token'])
    results['home']['bridge'] = home.ensure('home_bridge', artifacts['HomeBridge'], [
        results['home']['owner'], home_token['address'] if home_token else ZERO_ADDRESS,
        results['home']['validators']['address'], hlim['min_per_tx'], hlim['max_per_tx'], hlim['daily_limit'],
        hlim['execution_daily_limit'], int(conf['home'])], 1)

    fund_home_bridge(home, artifacts['HomeBridge'].abi, results['home']['bridge']['address'], home_token,
                     int(settings.get('home_funding') or 0))

    bridge = {
        'mode': settings['mode'],
        'required_signatures': required,
        'validators': validators,
        'limits': {'foreign': dict(flim), 'home': dict(hlim)},
        'confirmations': {'foreign': int(conf['foreign']), 'home': int(conf['home'])},
        'foreign': {'chain_id': int(foreign.w3.eth.chain_id), 'rpc_url': foreign.rpc_url,
                    'bridge': results['foreign']['bridge'], 'token': foreign_token,
                    'validators': results['foreign']['validators']},
        'home': {'chain_id': int(home.w3.eth.chain_id), 'rpc_url': home.rpc_url,
                 'bridge': results['home']['bridge'], 'validators': results['home']['validators'],
                 'funded': int(settings.get('home_funding') or 0),
                 # native RLC counts wei (18 decimals), foreign RLC nRLC (9): validators scale by 10**9
                 'decimals_shift': 9 if native else 0},
    }
    if home_token:
        bridge['home']['token'] = home_token
    return bridge


def fund_home_bridge(home, abi, bridge_address, home_token, funding):
    """Bring the home bridge's total funding (not its balance, which pay-outs lower) to `funding`."""
    if funding <= 0 or not home.w3.eth.get_code(bridge_address):  # no code: check mode, before the deployment
        return
    done = int(call_view(home.w3, bridge_address, abi, 'totalFunded'))
    missing = funding - done
    if missing <= 0:
        return
    if home_token is None:
        home.transact(bridge_address, abi, 'fundNative', [], value=missing,
                      check={'function': 'totalFunded', 'args': [], 'expect': funding})
        return
    token_abi = [
        {'type': 'function', 'name': 'approve', 'stateMutability': 'nonpayable',
         'inputs': [{'name': 'spender', 'type': 'address'}, {'name': 'value', 'type': 'uint256'}],
         'outputs': [{'name': '', 'type': 'bool'}]},
        {'type': 'function', 'name': 'allowance', 'stateMutability': 'view',
         'inputs': [{'name': 'owner', 'type': 'address'}, {'name': 'spender', 'type': 'address'}],
         'outputs': [{'name': '', 'type': 'uint256'}]},
    ]
    home.transact(home_token['address'], token_abi, 'approve', [bridge_address, missing],
                  check={'function': 'allowance', 'args': [home.signer.address, bridge_address], 'expect': missing})
    home.transact(bridge_address, abi, 'fund', [missing],
                  check={'function': 'totalFunded', 'args': [], 'expect': funding})
