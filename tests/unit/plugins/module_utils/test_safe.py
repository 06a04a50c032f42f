# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils.safe: the SafeTx hash, owners' signatures and their packing, and a whole Safe
1.4.1 (the shipped artifacts) deployed and driven in web3's in-process EVM (eth-tester + py-evm)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

eth_tester = pytest.importorskip('eth_tester')

from eth_account import Account  # noqa: E402
from web3 import EthereumTesterProvider  # noqa: E402

from ansible_collections.poa.consortium.plugins.module_utils import contracts as c  # noqa: E402
from ansible_collections.poa.consortium.plugins.module_utils import rpc  # noqa: E402
from ansible_collections.poa.consortium.plugins.module_utils import safe as s  # noqa: E402

ROOT = Path(__file__).resolve().parents[4]
SAFE_DIR = ROOT / 'contracts' / 'artifacts' / 'safe'
VALIDATORS = ROOT / 'contracts' / 'artifacts' / 'BridgeValidators.json'
DEPLOYER_KEY = '0x' + '00' * 31 + '01'  # eth-tester's first pre-funded account
OWNER_KEYS = {'alpha': '0x' + '11' * 32, 'beta': '0x' + '22' * 32, 'gamma': '0x' + '33' * 32}
OWNERS = {name: Account.from_key(key).address for name, key in OWNER_KEYS.items()}
ZERO = '0x' + '00' * 20

# A fixed SafeTx and the hash Safe 1.4.1's getTransactionHash returned for it: the Safe the
# `deployed` fixture makes lands at this address on eth-tester's chain, and
# test_hash_matches_the_contract asks the contract again on every run.
VECTOR = dict(chain_id=131277322940537, safe='0xB65563b4192A8191299bda91A7B7D5c24Bee9d3f',
              to='0x70997970C51812dc3A010C7d01b50e0d17dc79C8', value=10 ** 18, data='0xdeadbeef', operation=0,
              nonce=7)
VECTOR_HASH = '0x7b032745fe2515f1e18a667658cf3b5dbd030fff345ef18992c1dbeff742c617'


# -- pure functions ----------------------------------------------------------------------------
def test_fixed_vector():
    assert s.safe_tx_hash(**VECTOR) == VECTOR_HASH


def test_hash_depends_on_every_field():
    base = s.safe_tx_hash(**VECTOR)
    for key, other in (('chain_id', 1338), ('nonce', 8), ('value', 1), ('data', '0xdeadbeee'), ('operation', 1),
                       ('to', OWNERS['alpha']), ('safe', OWNERS['beta'])):
        assert s.safe_tx_hash(**dict(VECTOR, **{key: other})) != base, key
    assert s.safe_tx_hash(**VECTOR, safe_tx_gas=1) != base


def test_signature_recovers_to_the_owner_with_v_27_or_28():
    tx_hash = s.safe_tx_hash(**VECTOR)
    for name, key in OWNER_KEYS.items():
        sig = s.sign(tx_hash, key)
        raw = bytes.fromhex(sig[2:])
        assert len(raw) == 65 and raw[64] in (27, 28)
        assert s.recover(tx_hash, sig) == OWNERS[name]
        assert s.recover(s.safe_tx_hash(**{**VECTOR, 'nonce': 8}), sig) != OWNERS[name]


@pytest.mark.parametrize('bad, message', [
    ('0x' + '11' * 64, '65 bytes'),
    ('0x' + '11' * 64 + '1f', 'v is 31'),
    ('0xzz', 'not hex'),
])
def test_recover_refuses_malformed_signatures(bad, message):
    with pytest.raises(s.SafeError, match=message):
        s.recover(s.safe_tx_hash(**VECTOR), bad)


def test_pack_sorts_by_owner_address_ascending():
    tx_hash = s.safe_tx_hash(**VECTOR)
    sigs = {OWNERS[name]: s.sign(tx_hash, key) for name, key in OWNER_KEYS.items()}
    packed = s.pack_signatures(sigs)
    assert len(packed) == 65 * 3
    chunks = [packed[i:i + 65] for i in range(0, len(packed), 65)]
    signers = [s.recover(tx_hash, '0x' + chunk.hex()) for chunk in chunks]
    assert [int(a, 16) for a in signers] == sorted(int(a, 16) for a in OWNERS.values())
    # the order given does not matter
    assert s.pack_signatures(dict(reversed(list(sigs.items())))) == packed


def test_owners_are_checked():
    with pytest.raises(s.SafeError, match='empty'):
        s.normalise_owners([])
    with pytest.raises(s.SafeError, match='more than once'):
        s.normalise_owners([OWNERS['alpha'], OWNERS['alpha'].lower()])
    with pytest.raises(s.SafeError, match='must be addresses'):
        s.normalise_owners(['alpha'])


def test_the_embedded_abi_is_part_of_the_shipped_safel2():
    shipped = json.loads((SAFE_DIR / 'SafeL2.json').read_text(encoding='utf-8'))['abi']

    def key(entry):
        return (entry['type'], entry['name'], tuple((i['type'], bool(i.get('indexed'))) for i in entry['inputs']),
                tuple(o['type'] for o in entry.get('outputs', [])))
    assert {key(e) for e in s.SAFE_ABI} <= {key(e) for e in shipped if e['type'] in ('function', 'event')}


# -- a Safe in py-evm --------------------------------------------------------------------------
@pytest.fixture(name='w3')
def w3_fixture():
    return rpc.connect(provider=EthereumTesterProvider())


@pytest.fixture(name='signer')
def signer_fixture(w3):
    return rpc.Signer(w3, Account.from_key(DEPLOYER_KEY))


@pytest.fixture(name='artifacts')
def artifacts_fixture():
    return s.load_safe_artifacts(str(SAFE_DIR))


@pytest.fixture(name='deployed')
def deployed_fixture(w3, signer, artifacts, tmp_path):
    journal = c.Journal(str(tmp_path / 'contracts.json'))
    result = s.ensure_safe(w3, signer, journal, artifacts, list(OWNERS.values()), 2)
    validators = c.load_artifact(str(VALIDATORS))
    owner_args = [result['address'], [OWNERS['alpha']], 1]
    target = c.Deployer(w3, signer, journal).ensure('BridgeValidators', validators, owner_args)[1]['address']
    return {'safe': result['address'], 'journal': journal, 'result': result, 'target': target, 'abi': validators.abi}


def test_ensure_safe_deploys_then_finds_it(w3, signer, artifacts, deployed, tmp_path):
    first = deployed['result']
    assert first['changed'] and first['state'] == 'deployed'
    info = s.read_safe(w3, first['address'])
    assert sorted(info['owners']) == sorted(OWNERS.values()) and info['threshold'] == 2
    assert info['version'] == '1.4.1' and info['nonce'] == 0
    journal = json.loads((tmp_path / 'contracts.json').read_text())['contracts']
    assert journal['ConsortiumSafe']['address'] == first['address']
    assert {'SafeL2', 'SafeProxyFactory'} <= set(journal)

    again = s.ensure_safe(w3, signer, c.Journal(str(tmp_path / 'contracts.json')), artifacts,
                          list(reversed(list(OWNERS.values()))), 2)
    assert not again['changed'] and again['state'] == 'present' and again['address'] == first['address']

    with pytest.raises(s.SafeError, match='threshold is 2, not 3'):
        s.ensure_safe(w3, signer, c.Journal(str(tmp_path / 'contracts.json')), artifacts, list(OWNERS.values()), 3)
    with pytest.raises(s.SafeError, match='owners are .*addOwnerWithThreshold'):
        s.ensure_safe(w3, signer, c.Journal(str(tmp_path / 'contracts.json')), artifacts,
                      [OWNERS['alpha'], OWNERS['beta']], 2)

    # A company that joined: kept as it is (owners change through the Safe), the differences listed.
    newcomer = Account.create().address
    kept = s.ensure_safe(w3, signer, c.Journal(str(tmp_path / 'contracts.json')), artifacts,
                         list(OWNERS.values()) + [newcomer], 3, on_mismatch='keep')
    assert not kept['changed'] and kept['address'] == first['address']
    assert sorted(kept['owners']) == sorted(OWNERS.values()) and kept['threshold'] == 2
    assert len(kept['differs']) == 2 and newcomer in kept['differs'][0] and 'threshold is 2, not 3' in kept['differs'][1]
    assert again['differs'] == []


def test_a_lost_journal_finds_the_safe_at_its_predicted_address(w3, signer, artifacts, deployed, tmp_path):
    journal = json.loads((tmp_path / 'contracts.json').read_text())
    del journal['contracts']['ConsortiumSafe']
    (tmp_path / 'contracts.json').write_text(json.dumps(journal))
    again = s.ensure_safe(w3, signer, c.Journal(str(tmp_path / 'contracts.json')), artifacts,
                          list(OWNERS.values()), 2)
    assert again['state'] == 'recorded' and again['address'] == deployed['safe']
    assert not w3.eth.get_transaction_count(signer.address, 'pending') > w3.eth.get_transaction_count(signer.address)


def test_check_mode_predicts_without_sending(w3, signer, artifacts, tmp_path):
    before = w3.eth.get_transaction_count(signer.address)
    predicted = s.ensure_safe(w3, signer, c.Journal(str(tmp_path / 'j.json')), artifacts, list(OWNERS.values()), 2,
                              check_mode=True)
    assert predicted['changed'] and predicted['state'] == 'would deploy'
    assert w3.eth.get_transaction_count(signer.address) == before and not (tmp_path / 'j.json').exists()
    signer.reset_nonce()
    real = s.ensure_safe(w3, signer, c.Journal(str(tmp_path / 'j.json')), artifacts, list(OWNERS.values()), 2)
    assert real['address'] == predicted['address']


def test_hash_matches_the_contract(w3, deployed):
    data = c.encode_call(deployed['abi'], 'setRequiredSignatures', [1])[1]
    tx, _info = s.describe_transaction(w3, deployed['safe'], deployed['target'], 0, data)
    chain_id = int(w3.eth.chain_id)
    assert (chain_id, deployed['safe']) == (VECTOR['chain_id'], VECTOR['safe'])
    assert tx['safe_tx_hash'] == s.safe_tx_hash(chain_id, deployed['safe'], deployed['target'], 0, data, 0, 0)
    onchain = c.call_view(w3, deployed['safe'], s.SAFE_ABI, 'getTransactionHash',
                          [VECTOR['to'], VECTOR['value'], bytes.fromhex('deadbeef'), 0, 0, 0, 0, ZERO, ZERO, 7])
    assert '0x' + bytes(onchain).hex() == VECTOR_HASH


def _signed(w3, deployed, names, data, **kw):
    tx, info = s.describe_transaction(w3, deployed['safe'], deployed['target'], 0, data, **kw)
    return tx, info, [s.sign_transaction(Account.from_key(OWNER_KEYS[n]), tx, info, label=n) for n in names]


def test_two_of_three_execute_and_one_is_refused(w3, signer, deployed):
    validators = c.call_view(w3, deployed['target'], deployed['abi'], 'validatorCount')
    assert validators == 1
    data = c.encode_call(deployed['abi'], 'addValidator', [OWNERS['beta']])[1]
    tx, info, sigs = _signed(w3, deployed, ['gamma', 'alpha'], data)
    assert {r['owner'] for r in sigs} == {OWNERS['gamma'], OWNERS['alpha']}
    assert all('key' not in r and OWNER_KEYS['alpha'][2:] not in json.dumps(r) for r in sigs)

    sent_before = w3.eth.get_transaction_count(signer.address)
    with pytest.raises(s.SafeError, match=r'^2 of 3 signatures needed, got 1: from gamma$'):
        s.execute_transaction(w3, signer, tx, info, sigs[:1], deployed['abi'])
    assert w3.eth.get_transaction_count(signer.address) == sent_before

    result = s.execute_transaction(w3, signer, tx, info, sigs, deployed['abi'])
    assert result['tx_hash'] and len(result['signers']) == 2
    assert c.call_view(w3, deployed['target'], deployed['abi'], 'isValidator', [OWNERS['beta']]) is True
    assert s.read_safe(w3, deployed['safe'])['nonce'] == 1
    assert s.executed_before(w3, deployed['safe'], tx['safe_tx_hash'])['tx_hash'] == result['tx_hash']


def test_signatures_for_another_transaction_or_key_are_refused(w3, deployed):
    data = c.encode_call(deployed['abi'], 'addValidator', [OWNERS['beta']])[1]
    tx, info, sigs = _signed(w3, deployed, ['alpha', 'beta'], data)
    other, _info, other_sigs = _signed(w3, deployed, ['alpha'], data, nonce=5)
    assert other['safe_tx_hash'] != tx['safe_tx_hash']
    with pytest.raises(s.SafeError, match='from alpha was made for the Safe transaction'):
        s.collect_signatures(tx, info, [sigs[1]] + other_sigs)
    with pytest.raises(s.SafeError, match='not an owner of the Safe'):
        s.collect_signatures(tx, info, [sigs[0], s.sign(tx['safe_tx_hash'], DEPLOYER_KEY)])
    # the same owner twice counts once
    with pytest.raises(s.SafeError, match='got 1: from alpha$'):
        s.collect_signatures(tx, info, [sigs[0], sigs[0]['signature']])
    with pytest.raises(s.SafeError, match='different Safe nonces'):
        s.signatures_nonce(sigs + other_sigs)
    assert s.signatures_nonce(sigs + [{'changed': False}]) == 0


def test_a_non_owner_cannot_sign(w3, deployed):
    tx, info = s.describe_transaction(w3, deployed['safe'], deployed['target'], 0, '0x')
    with pytest.raises(s.SafeError, match='is not an owner of the Safe'):
        s.sign_transaction(Account.from_key(DEPLOYER_KEY), tx, info)


def test_delegatecall_needs_consent(w3, deployed):
    with pytest.raises(s.SafeError, match='allow_delegatecall'):
        s.describe_transaction(w3, deployed['safe'], deployed['target'], 0, '0x', operation=1)
    tx, _info = s.describe_transaction(w3, deployed['safe'], deployed['target'], 0, '0x', operation=1,
                                       allow_delegatecall=True)
    assert tx['operation'] == 1


def test_a_reverting_call_fails_before_sending_with_the_target_reason(w3, signer, deployed):
    data = c.encode_call(deployed['abi'], 'setRequiredSignatures', [5])[1]
    tx, info, sigs = _signed(w3, deployed, ['alpha', 'beta'], data)
    # eth-tester refuses a call at gas price 0 below the base fee: the Safe pays for the replay here
    signer.wait(signer.send(signer.build(to=deployed['safe'], value=10 ** 18, gas=100000)))
    before = w3.eth.get_transaction_count(signer.address)
    with pytest.raises(s.SafeError, match='M must be within 1..N.*Nothing was sent'):
        s.execute_transaction(w3, signer, tx, info, sigs, deployed['abi'])
    assert w3.eth.get_transaction_count(signer.address) == before
    assert s.read_safe(w3, deployed['safe'])['nonce'] == 0


def test_the_safe_itself_refuses_owners_out_of_order(w3, signer, deployed):
    data = c.encode_call(deployed['abi'], 'addValidator', [OWNERS['beta']])[1]
    tx, _info, sigs = _signed(w3, deployed, ['alpha', 'beta'], data)
    ordered = s.pack_signatures({r['owner']: r['signature'] for r in sigs})
    swapped = ordered[65:] + ordered[:65]
    for packed, refused in ((swapped, True), (ordered, False)):
        call = c.encode_call(s.SAFE_ABI, 'execTransaction', [tx['to'], 0, data, 0, 0, 0, 0, ZERO, ZERO, packed])[1]
        if refused:
            with pytest.raises(rpc.RevertError, match='GS026'):
                signer.build(to=deployed['safe'], data=call, abi=s.SAFE_ABI)
        else:
            assert signer.build(to=deployed['safe'], data=call, abi=s.SAFE_ABI)['gas'] > 21000
    signer.reset_nonce()


def test_a_run_killed_after_sending_records_the_safe_next_time(w3, signer, artifacts, tmp_path):
    path = str(tmp_path / 'j.json')
    done = s.ensure_safe(w3, signer, c.Journal(path), artifacts, list(OWNERS.values()), 2)
    journal = json.loads(Path(path).read_text(encoding='utf-8'))
    # what the journal held between the send and the receipt
    journal['contracts']['ConsortiumSafe'] = {'address': done['address'], 'tx_hash': done['tx_hash'], 'nonce': 2,
                                              'pending': True}
    Path(path).write_text(json.dumps(journal), encoding='utf-8')
    sent = w3.eth.get_transaction_count(signer.address)
    again = s.ensure_safe(w3, signer, c.Journal(path), artifacts, list(OWNERS.values()), 2)
    assert again['state'] == 'recorded' and again['address'] == done['address']
    assert w3.eth.get_transaction_count(signer.address) == sent
    record = json.loads(Path(path).read_text(encoding='utf-8'))['contracts']['ConsortiumSafe']
    assert 'pending' not in record and record['tx_hash'] == done['tx_hash'] and record['code_hash']


def test_owners_change_only_through_the_safe_itself(w3, signer, artifacts, deployed):
    newcomer = Account.from_key('0x' + '44' * 32).address
    safe_abi = artifacts['SafeL2'].abi
    data = c.encode_call(safe_abi, 'addOwnerWithThreshold', [newcomer, 3])[1]
    tx, info = s.describe_transaction(w3, deployed['safe'], deployed['safe'], 0, data)
    sigs = [s.sign_transaction(Account.from_key(OWNER_KEYS[n]), tx, info, label=n) for n in ('beta', 'gamma')]
    s.execute_transaction(w3, signer, tx, info, sigs, safe_abi)
    after = s.read_safe(w3, deployed['safe'])
    assert newcomer in after['owners'] and after['threshold'] == 3
    four = list(OWNERS.values()) + [newcomer]
    found = s.ensure_safe(w3, signer, deployed['journal'], artifacts, four, 3)
    assert not found['changed'] and found['address'] == deployed['safe']
    with pytest.raises(s.SafeError, match='differs from the wanted one'):
        s.ensure_safe(w3, signer, deployed['journal'], artifacts, list(OWNERS.values()), 2)
