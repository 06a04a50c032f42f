# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils.contracts and module_utils.rpc against web3's in-process EVM (eth-tester + py-evm)."""

from __future__ import annotations

import json
import os

import pytest

eth_tester = pytest.importorskip('eth_tester')

from eth_account import Account  # noqa: E402
from web3 import EthereumTesterProvider  # noqa: E402

from ansible_collections.poa.consortium.plugins.module_utils import contracts as c  # noqa: E402
from ansible_collections.poa.consortium.plugins.module_utils import rpc  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'contracts')
KEY = '0x' + '00' * 31 + '01'  # eth-tester's first pre-funded account
TESTER_CHAIN_ID = 131277322940537
LIB_FQN = 'contracts/Contracts.sol:MathLib'


def fixture(*parts):
    return os.path.join(FIXTURES, *parts)


@pytest.fixture
def w3():
    return rpc.connect(provider=EthereumTesterProvider(), chain_id=TESTER_CHAIN_ID)


@pytest.fixture
def signer(w3):
    return rpc.Signer(w3, Account.from_key(KEY))


@pytest.fixture
def manifest_path(tmp_path):
    return str(tmp_path / 'manifest.json')


def readj(path):
    with open(path, encoding='utf-8') as handle:
        return json.load(handle)


def writej(path, data):
    with open(path, 'w', encoding='utf-8') as handle:
        json.dump(data, handle)


def nonce(w3):
    return w3.eth.get_transaction_count(Account.from_key(KEY).address)


# -- artifacts and linking ---------------------------------------------------------------------
@pytest.mark.parametrize('shape', ['hardhat', 'truffle'])
def test_load_artifact_shapes(shape):
    art = c.load_artifact(fixture(shape, 'Greeter.json'))
    assert art.name == 'Greeter'
    assert [i['type'] for i in art.constructor_abi()['inputs']] == ['string']
    assert all(ch in '0123456789abcdef' for ch in art.bytecode)


def test_load_solc_standard_output_needs_contract_name():
    with pytest.raises(c.ContractError, match='several contracts'):
        c.load_artifact(fixture('solc-standard-output.json'))
    art = c.load_artifact(fixture('solc-standard-output.json'), 'contracts/Contracts.sol:Tripler')
    assert art.name == 'Tripler'
    assert art.needed_libraries() == [LIB_FQN]
    with pytest.raises(c.ContractError, match='not found in solc output'):
        c.load_artifact(fixture('solc-standard-output.json'), 'Nope')


def test_missing_and_bad_artifacts(tmp_path):
    with pytest.raises(c.ContractError, match='not found'):
        c.load_artifact(str(tmp_path / 'nope.json'))
    bad = tmp_path / 'bad.json'
    bad.write_text('{not json')
    with pytest.raises(c.ContractError, match='not readable JSON'):
        c.load_artifact(str(bad))
    iface = tmp_path / 'iface.json'
    iface.write_text(json.dumps({'abi': [], 'bytecode': '0x'}))
    with pytest.raises(c.ContractError, match='empty bytecode'):
        c.load_artifact(str(iface))
    with pytest.raises(c.ContractError, match='no abi/bytecode'):
        c.parse_artifact({'foo': 1})


def test_placeholders_match_solc():
    hh = c.load_artifact(fixture('hardhat', 'Tripler.json'))
    assert '__$%s$__' % c.placeholder_hash(LIB_FQN) in hh.bytecode
    tr = c.load_artifact(fixture('truffle', 'Tripler.json'))
    assert tr.needed_libraries() == ['MathLib']


@pytest.mark.parametrize('shape,key', [('hardhat', LIB_FQN), ('hardhat', 'MathLib'), ('truffle', 'MathLib')])
def test_link_bytecode_same_result_for_all_shapes(shape, key):
    lib = '0x' + '12' * 20
    linked = c.link_bytecode(c.load_artifact(fixture(shape, 'Tripler.json')), {key: lib})
    reference = c.link_bytecode(c.load_artifact(fixture('solc-standard-output.json'), 'Tripler'), {LIB_FQN: lib})
    assert linked == reference
    assert linked.count('12' * 20) == 1


def test_link_placeholder_without_link_references():
    art = c.load_artifact(fixture('hardhat', 'Tripler.json'))
    art.link_references = {}  # e.g. hardhat-deploy files: only the __$hash$__ placeholder is left
    assert art.needed_libraries() == []
    linked = c.link_bytecode(art, {LIB_FQN: '0x' + 'ab' * 20})
    assert 'ab' * 20 in linked
    with pytest.raises(c.ContractError, match=r'__\$'):
        c.link_bytecode(art, {'MathLib': '0x' + 'ab' * 20})  # a bare name cannot match a hash


@pytest.mark.parametrize('shape', ['hardhat', 'truffle'])
def test_link_bytecode_missing_library(shape):
    with pytest.raises(c.ContractError, match='MathLib'):
        c.link_bytecode(c.load_artifact(fixture(shape, 'Tripler.json')), {})
    with pytest.raises(c.ContractError, match='not an address'):
        c.link_bytecode(c.load_artifact(fixture(shape, 'Tripler.json')), {'MathLib': 'nope'})


# -- ABI helpers ----------------------------------------------------------------------------------
def test_encode_arguments_checks_count_and_types():
    with pytest.raises(c.ContractError, match='expected 1 arguments'):
        c.encode_arguments([{'type': 'uint256', 'name': 'x'}], [])
    with pytest.raises(c.ContractError, match='not an address'):
        c.encode_arguments([{'type': 'address', 'name': 'a'}], ['0x12'])
    with pytest.raises(c.ContractError, match='bytes32 needs 32 bytes'):
        c.encode_arguments([{'type': 'bytes32', 'name': 'b'}], ['0x12'])
    out = c.encode_arguments([{'type': 'uint256'}, {'type': 'bool'}, {'type': 'uint8[]'}], ['0x10', 'true', ['1', 2]])
    assert out[:32] == (16).to_bytes(32, 'big') and out[32:64] == (1).to_bytes(32, 'big')


def test_values_equal():
    assert c.values_equal(15, '15') and c.values_equal(15, '0xf') and not c.values_equal(15, 'x')
    assert c.values_equal('0xAbC', '0xabc') and not c.values_equal('Abc', 'abc')
    assert c.values_equal(b'\x01', '0x01') and c.values_equal([1, 'a'], ['1', 'a'])
    assert c.values_equal(True, 'true') and not c.values_equal(True, False)
    assert not c.values_equal([1], [1, 2])


def test_parse_amount():
    assert c.parse_amount('1.5 ether') == 1500000000000000000
    assert c.parse_amount('2 gwei') == 2000000000
    assert c.parse_amount('12 token', decimals=9) == 12000000000
    assert c.parse_amount('0x10') == 16 and c.parse_amount(7) == 7
    for bad in ('1 foo', '0.5 wei', 'a b c'):
        with pytest.raises(c.ContractError):
            c.parse_amount(bad)


def test_decode_revert():
    assert c.decode_revert('0x') == 'reverted without a reason'
    err = '0x08c379a0' + c.abi_encode(['string'], ['boom']).hex()
    assert c.decode_revert(err) == 'Error("boom")'
    panic = '0x4e487b71' + c.abi_encode(['uint256'], [0x11]).hex()
    assert c.decode_revert(panic) == 'Panic(0x11: arithmetic overflow or underflow)'
    abi = c.load_artifact(fixture('hardhat', 'TinyToken.json')).abi
    custom = '0x' + c.function_abi_to_4byte_selector(
        {'type': 'error', 'name': 'InsufficientBalance', 'inputs': [{'type': 'uint256'}, {'type': 'uint256'}]}).hex()
    custom += c.abi_encode(['uint256', 'uint256'], [1, 2]).hex()
    assert c.decode_revert(custom, abi) == 'InsufficientBalance(available=1, required=2)'
    assert 'unknown custom error' in c.decode_revert(custom, [])


# -- manifest -------------------------------------------------------------------------------------
def test_manifest_roundtrip_keeps_other_keys(manifest_path):
    with open(manifest_path, 'w') as handle:
        json.dump({'chain': {'id': 5}, 'contracts': {'Old': {'address': '0x' + '11' * 20}}}, handle)
    os.chmod(manifest_path, 0o600)
    m = c.Journal(manifest_path)
    m.set('New', {'address': '0x' + '22' * 20})
    m.save()
    data = readj(manifest_path)
    assert data['chain'] == {'id': 5}
    assert set(data['contracts']) == {'Old', 'New'}
    assert os.stat(manifest_path).st_mode & 0o777 == 0o600
    assert [f for f in os.listdir(os.path.dirname(manifest_path)) if f != 'manifest.json'] == []


def test_manifest_save_keeps_what_others_changed_meanwhile(manifest_path):
    with open(manifest_path, 'w') as handle:
        json.dump({'genesis_hash': '0xold', 'contracts': {}}, handle)
    m = c.Journal(manifest_path)
    with open(manifest_path, 'w') as handle:  # another phase updates the manifest during a deployment
        json.dump({'genesis_hash': '0xnew', 'contracts': {'Other': {'address': '0x' + '33' * 20}}}, handle)
    m.set('New', {'address': '0x' + '22' * 20})
    m.save()
    data = readj(manifest_path)
    assert data['genesis_hash'] == '0xnew' and set(data['contracts']) == {'Other', 'New'}


def test_manifest_bad_files(tmp_path):
    bad = tmp_path / 'm.json'
    bad.write_text('[1]')
    with pytest.raises(c.ContractError, match='JSON object'):
        c.read_manifest(str(bad))
    bad.write_text('{"contracts": []}')
    with pytest.raises(c.ContractError, match='contracts'):
        c.read_manifest(str(bad))
    assert c.read_manifest(str(tmp_path / 'absent.json')) == {}


# -- connection and keystore ------------------------------------------------------------------------
def test_connect_wrong_chain_id():
    with pytest.raises(rpc.RpcError, match='serves chain id %d but chain_id 5 was expected' % TESTER_CHAIN_ID):
        rpc.connect(provider=EthereumTesterProvider(), chain_id=5)


def test_connect_unreachable():
    with pytest.raises(rpc.RpcError, match='cannot reach the JSON-RPC endpoint http://127.0.0.1:9'):
        rpc.connect('http://127.0.0.1:9', timeout=2)


def test_connect_if_up_gives_none_only_when_the_node_need_not_answer():
    assert rpc.connect_if_up('http://127.0.0.1:9', 2, must_answer=False) is None
    with pytest.raises(rpc.RpcError, match='cannot reach the JSON-RPC endpoint http://127.0.0.1:9'):
        rpc.connect_if_up('http://127.0.0.1:9', 2)


def test_keystore(tmp_path):
    keystore = tmp_path / 'k.json'
    keystore.write_text(json.dumps(Account.encrypt(KEY, 's3cret', kdf='pbkdf2', iterations=2)))
    pw = tmp_path / 'pw'
    pw.write_text('s3cret\n')
    assert rpc.load_keystore_account(str(keystore), str(pw)).address == Account.from_key(KEY).address
    pw.write_text('wrong')
    with pytest.raises(rpc.RpcError, match='wrong password'):
        rpc.load_keystore_account(str(keystore), str(pw))
    with pytest.raises(rpc.RpcError, match='keystore file .* not found'):
        rpc.load_keystore_account(str(tmp_path / 'nope'), str(pw))
    with pytest.raises(rpc.RpcError, match='password_file .* not found'):
        rpc.load_keystore_account(str(keystore), str(tmp_path / 'nope'))


def test_create_address_known_vector():
    # first contract of 0x6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0 (a classic example)
    assert rpc.create_address('0x6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0', 0) == '0xcd234A471b72ba2F1Ccf0A70FCABA648a5eeCD8d'


# -- fees -------------------------------------------------------------------------------------------
def test_fees_eip1559_and_legacy(w3):
    base = w3.eth.get_block('latest')['baseFeePerGas']
    fees = rpc.Signer(w3, Account.from_key(KEY), max_priority_fee_per_gas=3).fees()
    assert fees == {'maxFeePerGas': 2 * base + 3, 'maxPriorityFeePerGas': 3}
    assert rpc.Signer(w3, Account.from_key(KEY), gas_price=7).fees() == {'gasPrice': 7}

    class LegacyEth:
        gas_price = 11

        def get_block(self, block_id):
            return {'number': 1, 'requested': block_id}

    class LegacyW3:
        eth = LegacyEth()
    assert rpc.Signer(LegacyW3(), Account.from_key(KEY)).fees() == {'gasPrice': 11}


def test_settle_waits_for_transactions_left_in_the_pool(w3):
    class Eth:
        def __init__(self):
            self.calls = 0

        def get_transaction_count(self, address, block):
            self.calls += 1
            return {'latest': 3, 'pending': 5}[block]

    class PoolW3:
        eth = Eth()
    signer = rpc.Signer(PoolW3(), Account.from_key(KEY), timeout=0)
    with pytest.raises(rpc.RpcError, match='still has 2 transaction.*nonces 3 to 4'):
        signer.settle(sleep=lambda seconds: None)
    assert rpc.Signer(w3, Account.from_key(KEY)).settle() == 0

    class MinedEth:
        pending = 5

        def get_transaction_count(self, address, block):
            return self.pending if block == 'pending' else 3

    class MinedW3:
        eth = MinedEth()
    mined = MinedW3()
    slept = []

    def sleep(seconds):  # the two pending transactions get mined while we wait
        slept.append(seconds)
        mined.eth.pending = 3
    assert rpc.Signer(mined, Account.from_key(KEY)).settle(sleep=sleep) == 2 and len(slept) == 1


# -- deployments ------------------------------------------------------------------------------------
def deploy_all(w3, signer, manifest_path, shape='hardhat', **kw):
    dep = c.Deployer(w3, signer, c.Journal(manifest_path), **kw)
    out = [dep.ensure('MathLib', c.load_artifact(fixture(shape, 'MathLib.json')))]
    lib = dep.manifest.get('MathLib')['address']
    out.append(dep.ensure('Tripler', c.load_artifact(fixture(shape, 'Tripler.json')), libraries={'MathLib': lib}))
    out.append(dep.ensure('Greeter', c.load_artifact(fixture(shape, 'Greeter.json')), args=['hello']))
    return dep, out


@pytest.mark.parametrize('shape', ['hardhat', 'truffle'])
def test_deploy_then_rerun_is_unchanged(w3, signer, manifest_path, shape):
    first = deploy_all(w3, signer, manifest_path, shape)[1]
    assert [r[0] for r in first] == [True, True, True]
    assert [r[2] for r in first] == ['deployed'] * 3
    data = readj(manifest_path)['contracts']
    assert set(data) == {'MathLib', 'Tripler', 'Greeter'}
    assert set(data['Greeter']) == {'address', 'tx_hash', 'block', 'code_hash'}
    greeter = c.load_artifact(fixture(shape, 'Greeter.json'))
    assert c.call_view(w3, data['Greeter']['address'], greeter.abi, 'greeting') == 'hello'
    # the linked library really is called
    tripler = c.load_artifact(fixture(shape, 'Tripler.json'))
    c.ensure_transaction(w3, signer, data['Tripler']['address'], tripler.abi, 'store', [7])
    assert c.call_view(w3, data['Tripler']['address'], tripler.abi, 'value') == 21

    before = nonce(w3)
    second = deploy_all(w3, rpc.Signer(w3, Account.from_key(KEY)), manifest_path, shape)[1]
    assert [r[0] for r in second] == [False, False, False]
    assert [r[2] for r in second] == ['present'] * 3
    assert nonce(w3) == before
    assert readj(manifest_path)['contracts'] == data


def test_check_mode_predicts_address_and_sends_nothing(w3, signer, manifest_path):
    dep = c.Deployer(w3, signer, c.Journal(manifest_path), check_mode=True)
    changed, record, state = dep.ensure('Greeter', c.load_artifact(fixture('hardhat', 'Greeter.json')), args=['x'])
    assert (changed, state, nonce(w3)) == (True, 'would deploy', 0)
    assert not os.path.exists(manifest_path)
    real = c.Deployer(w3, rpc.Signer(w3, signer.account), c.Journal(manifest_path))
    assert real.ensure('Greeter', c.load_artifact(fixture('hardhat', 'Greeter.json')), args=['x'])[1]['address'] == record['address']


def test_recorded_address_without_code_fails_or_redeploys(w3, signer, manifest_path):
    deploy_all(w3, signer, manifest_path)
    data = readj(manifest_path)
    data['contracts']['Greeter']['address'] = '0x' + '99' * 20  # as after a chain reset
    data['other'] = {'keep': True}
    writej(manifest_path, data)
    art = c.load_artifact(fixture('hardhat', 'Greeter.json'))
    with pytest.raises(c.ContractError, match='no code at that address.*on_mismatch=redeploy'):
        c.Deployer(w3, signer, c.Journal(manifest_path)).ensure('Greeter', art, args=['hello'])
    changed, record, state = c.Deployer(w3, signer, c.Journal(manifest_path), on_mismatch='redeploy').ensure(
        'Greeter', art, args=['hello'])
    assert (changed, state) == (True, 'redeployed')
    after = readj(manifest_path)
    assert after['contracts']['Greeter']['address'] == record['address'] != '0x' + '99' * 20
    assert after['other'] == {'keep': True}


def test_recorded_code_hash_mismatch(w3, signer, manifest_path):
    deploy_all(w3, signer, manifest_path)
    data = readj(manifest_path)
    data['contracts']['Greeter']['code_hash'] = '0x' + '00' * 32
    writej(manifest_path, data)
    with pytest.raises(c.ContractError, match='has code hash'):
        c.Deployer(w3, signer, c.Journal(manifest_path)).ensure('Greeter', c.load_artifact(fixture('hardhat', 'Greeter.json')), args=['hello'])


def test_killed_after_send_is_finished_not_duplicated(w3, signer, manifest_path):
    art = c.load_artifact(fixture('hardhat', 'Greeter.json'))
    dep = c.Deployer(w3, signer, c.Journal(manifest_path))
    handles = dep.send([dep.start('A', art, ['a']), dep.start('B', art, ['b'])])  # two in flight, then "killed"
    pending = readj(manifest_path)['contracts']
    assert pending['A']['pending'] and pending['B']['pending']
    assert pending['B']['nonce'] == pending['A']['nonce'] + 1
    before = nonce(w3)
    dep2 = c.Deployer(w3, rpc.Signer(w3, signer.account), c.Journal(manifest_path))
    assert dep2.ensure('A', art, ['a'])[0] is True  # manifest completed
    assert dep2.ensure('B', art, ['b'])[1]['address'] == handles[1]['address']
    assert nonce(w3) == before
    final = readj(manifest_path)['contracts']
    assert 'pending' not in final['A'] and final['A']['code_hash']


def test_pending_record_never_sent_is_redeployed(w3, signer, manifest_path):
    art = c.load_artifact(fixture('hardhat', 'Greeter.json'))
    m = c.Journal(manifest_path)
    m.set('A', {'address': rpc.create_address(signer.address, 0), 'tx_hash': '0x' + 'ab' * 32, 'nonce': 0, 'pending': True})
    m.save()
    changed, record, state = c.Deployer(w3, signer, c.Journal(manifest_path)).ensure('A', art, ['a'])
    assert (changed, state, record['address']) == (True, 'redeployed', rpc.create_address(signer.address, 0))


def test_unfunded_deployer(w3, manifest_path):
    poor = rpc.Signer(w3, Account.from_key('0x' + '42' * 32))
    with pytest.raises(rpc.RpcError, match='has 0 wei'):
        c.Deployer(w3, poor, c.Journal(manifest_path)).ensure('G', c.load_artifact(fixture('hardhat', 'Greeter.json')), ['x'])


def test_constructor_revert_is_decoded(w3, signer, manifest_path):
    with pytest.raises(rpc.RevertError, match=r'deployment of R would revert.*Error\("Reverter: constructor refused"\)'):
        c.Deployer(w3, signer, c.Journal(manifest_path)).ensure('R', c.load_artifact(fixture('hardhat', 'Reverter.json')), [True])
    assert nonce(w3) == 0


def test_confirmations_wait_for_more_blocks(w3, signer, manifest_path):
    signer.confirmations = 3
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        w3.testing.mine(1)
    art = c.load_artifact(fixture('hardhat', 'Greeter.json'))
    dep = c.Deployer(w3, signer, c.Journal(manifest_path))
    handle = dep.send([dep.start('G', art, ['x'])])[0]
    receipt = signer.wait(handle['tx_hash'], sleep=sleep)
    assert w3.eth.block_number - receipt['blockNumber'] + 1 >= 3
    assert len(slept) == 2
    signer.timeout = 0
    with pytest.raises(rpc.RpcError, match='timed out.*10 confirmations'):
        signer.wait(handle['tx_hash'], confirmations=10, sleep=lambda seconds: None)


def test_a_deployment_whose_block_was_replaced_is_waited_for_again(w3, signer, manifest_path):
    """The receipt is read, then a fork choice takes the block away: no code at the head until the
    transaction is mined again. The record is made only once the code is there."""
    art = c.load_artifact(fixture('hardhat', 'Greeter.json'))
    dep = c.Deployer(w3, signer, c.Journal(manifest_path))
    handle = dep.send([dep.start('G', art, ['x'])])[0]
    real_get_code = w3.eth.get_code
    reads = []

    def get_code(address, *args):
        reads.append(address)
        return b'' if len(reads) <= 2 else real_get_code(address, *args)
    w3.eth.get_code = get_code
    slept = []
    try:
        record = dep.deployed(handle['tx_hash'], sleep=slept.append)
    finally:
        w3.eth.get_code = real_get_code
    assert len(reads) == 3 and len(slept) == 2
    assert record['address'] == handle['address'] and record['code_hash'] == c.code_hash(w3, handle['address'])

    w3.eth.get_code = lambda address, *args: b''
    signer.timeout = 0
    try:
        with pytest.raises(rpc.RpcError, match='has no code at the head.*Re-run later'):
            dep.deployed(handle['tx_hash'], sleep=lambda seconds: None)
    finally:
        w3.eth.get_code = real_get_code


# -- transactions -----------------------------------------------------------------------------------
def test_transaction_with_check(w3, signer, manifest_path):
    deploy_all(w3, signer, manifest_path)
    m = c.Journal(manifest_path)
    greeter = c.resolve_address(m, 'Greeter')
    abi = c.load_artifact(fixture('hardhat', 'Greeter.json')).abi
    check = {'function': 'greeting', 'expect': 'bonjour'}
    res = c.ensure_transaction(w3, signer, greeter, abi, 'setGreeting', ['bonjour'], check=check, check_mode=True)
    assert res['changed'] and res['tx_hash'] is None and c.call_view(w3, greeter, abi, 'greeting') == 'hello'
    res = c.ensure_transaction(w3, signer, greeter, abi, 'setGreeting', ['bonjour'], check=check)
    assert res['changed'] and res['before'] == 'hello' and res['after'] == 'bonjour' and res['tx_hash']
    before = nonce(w3)
    res = c.ensure_transaction(w3, signer, greeter, abi, 'setGreeting', ['bonjour'], check=check)
    assert not res['changed'] and nonce(w3) == before
    assert c.call_view(w3, greeter, abi, 'counter') == 1
    # a check that the transaction does not satisfy is reported, not silently accepted
    with pytest.raises(c.ContractError, match='the check does not match'):
        c.ensure_transaction(w3, signer, greeter, abi, 'setGreeting', ['hola'], check={'function': 'greeting', 'expect': 'ciao'})
    # owner check with an address in another case
    owner = signer.address
    res = c.ensure_transaction(w3, signer, greeter, abi, 'transferOwnership', [owner.lower()],
                               check={'function': 'owner', 'expect': owner.lower()})
    assert not res['changed']
    with pytest.raises(c.ContractError, match='neither an address nor a contract'):
        c.resolve_address(m, 'Nope')
    with pytest.raises(c.ContractError, match='not in the ABI'):
        c.ensure_transaction(w3, signer, greeter, abi, 'nope')


@pytest.mark.parametrize('function,reason', [
    ('failWithReason', r'Error\("Reverter: nope"\)'),
    ('failWithCustom', r'Unauthorized\(caller=0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf, code=42\)'),
    ('failWithPanic', r'Panic\(0x32: array index out of bounds\)'),
])
def test_revert_reasons(w3, signer, manifest_path, function, reason):
    dep = c.Deployer(w3, signer, c.Journal(manifest_path))
    art = c.load_artifact(fixture('hardhat', 'Reverter.json'))
    address = dep.ensure('R', art, [False])[1]['address']
    with pytest.raises(rpc.RevertError, match=function + ' on .* would revert: .*' + reason):
        c.ensure_transaction(w3, signer, address, art.abi, function)
    # and a transaction forced on chain (explicit gas) that reverts is explained from its receipt
    with pytest.raises(rpc.RevertError, match='reverted: .*' + reason):
        c.ensure_transaction(w3, signer, address, art.abi, function, gas=200000)


# -- funding ----------------------------------------------------------------------------------------
def test_fund_native(w3, signer):
    a, b = '0x' + '0a' * 20, '0x' + '0b' * 20
    accounts = [{'address': a, 'balance': 10 ** 18}, {'address': b, 'balance': 5}]
    changed, res = c.ensure_funded(w3, signer, accounts, check_mode=True)
    assert changed and w3.eth.get_balance(c.to_checksum_address(a)) == 0
    changed, res = c.ensure_funded(w3, signer, accounts)
    assert changed and [r['sent'] for r in res] == [str(10 ** 18), '5']
    assert w3.eth.get_balance(c.to_checksum_address(a)) == 10 ** 18
    accounts[1]['balance'] = 8
    changed, res = c.ensure_funded(w3, signer, accounts)
    assert changed and [r['sent'] for r in res] == ['0', '3']
    before = nonce(w3)
    changed, res = c.ensure_funded(w3, signer, accounts)
    assert not changed and nonce(w3) == before
    # with a minimum, an account above it is left alone, one below it is topped up to the target
    accounts = [{'address': b, 'balance': 20, 'minimum': 8}]
    changed, res = c.ensure_funded(w3, signer, accounts)
    assert not changed and res[0]['sent'] == '0' and nonce(w3) == before
    accounts[0]['minimum'] = 9
    changed, res = c.ensure_funded(w3, signer, accounts)
    assert changed and res[0]['sent'] == '12' and w3.eth.get_balance(c.to_checksum_address(b)) == 20


def test_fund_token_and_shortfalls(w3, signer, manifest_path):
    dep = c.Deployer(w3, signer, c.Journal(manifest_path))
    token = dep.ensure('tiny', c.load_artifact(fixture('truffle', 'TinyToken.json')), [1000])[1]['address']
    a = '0x' + '0a' * 20
    changed, res = c.ensure_funded(w3, signer, [{'address': a, 'balance': 300}], token=token)
    assert changed and c.call_view(w3, token, c.ERC20_ABI, 'balanceOf', [a]) == 300
    assert not c.ensure_funded(w3, signer, [{'address': a, 'balance': 300}], token=token)[0]
    with pytest.raises(c.ContractError, match='holds 700 token units'):
        c.ensure_funded(w3, signer, [{'address': a, 'balance': 5000}], token=token)
    poor = rpc.Signer(w3, Account.from_key('0x' + '42' * 32))
    with pytest.raises(rpc.RpcError, match='has 0 wei'):
        c.ensure_funded(w3, poor, [{'address': a, 'balance': 1}])


def test_a_missing_manifest_or_bridge_is_said_so(tmp_path):
    missing = tmp_path / 'manifest.json'
    with pytest.raises(c.ContractError, match=r'the consortium manifest .*manifest.json is missing: run site.yml'):
        c.read_bridge(str(missing))
    missing.write_text('{"chain_id": 1}')
    with pytest.raises(c.ContractError, match='has no bridge: deploy it first'):
        c.read_bridge(str(missing))
    missing.write_text('{"bridge": {"mode": "erc_to_erc"}}')
    assert c.read_bridge(str(missing)) == {'mode': 'erc_to_erc'}
