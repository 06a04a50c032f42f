# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The governance contracts (contracts/governance/, docs/governance.md) on a real anvil chain.

Select with `pytest -m integration tests/integration/test_governance_contracts.py`. One anvil
(`--hardfork paris`) serves the module; every test starts from an evm_snapshot of the deployed state.

The clients' own calls are replayed, not a convenient variant: an eth_call from 0x0 with gas
50,000,000 and gas price 0 at the parent block, encoded and decoded with the clients' ABIs typed in
below from upstream (OpenEthereum crates/ethcore/res/contracts/tx_acl*.json and
crates/net/node-filter/res/peer_set.json, Nethermind TransactionPermissionContractV2..V4), never
read from our artifacts, so a signature that drifts from the clients' fails here. The engine's
finalizeChange comes from the system address 0xff..fe, impersonated.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from eth_abi import decode, encode
from eth_account import Account
from eth_keys import keys
from web3 import Web3
from web3.exceptions import ContractLogicError
from web3.logs import DISCARD

from conftest import anvil_chain

# Account.from_key is an eth_account "combomethod": pylint takes it for an unbound method.
# pylint: disable=no-value-for-parameter

pytestmark = pytest.mark.integration

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
ARTIFACTS = os.path.join(ROOT, 'contracts', 'artifacts')
GOVERNANCE = ('NodePermission', 'TxPermission', 'ValidatorSet')
PORTS = range(19200, 19300)
CHAIN_ID = 31337
ETHER = 10 ** 18

ZERO = '0x' + '00' * 20
SYSTEM = Web3.to_checksum_address('0x' + 'ff' * 19 + 'fe')
# What both clients put in their contract calls (OpenEthereum Client::contract_call_tx,
# Nethermind Contract.DefaultConstantContractGasLimit).
CLIENT_CALL = {'from': ZERO, 'gas': 50_000_000, 'gasPrice': 0}

# Transaction types, as OpenEthereum's tx_filter.rs and Nethermind's TxPermissions define them.
NONE, BASIC, CALL, CREATE, PRIVATE = 0x00, 0x01, 0x02, 0x04, 0x08
ALL = BASIC | CALL | CREATE


def address_of(label):
    return Account.from_key(Web3.keccak(text='governance-' + label)).address


OWNER, NEW_OWNER, STRANGER = address_of('owner'), address_of('new-owner'), address_of('stranger')
VALIDATORS = [address_of('validator-%d' % i) for i in range(3)]
NEWCOMER = address_of('validator-new')
DEPLOYER, TRANSACTOR = address_of('deployer'), address_of('transactor')
ACTORS = [OWNER, NEW_OWNER, STRANGER, NEWCOMER, DEPLOYER, TRANSACTOR, SYSTEM, *VALIDATORS]


def node_id(label):
    """A real 64-byte devp2p node id: the uncompressed secp256k1 public key without its 0x04."""
    return keys.PrivateKey(Web3.keccak(text='governance-node-' + label)).public_key.to_bytes()


NODES = {label: node_id(label) for label in ('a', 'b', 'c', 'x', 'y')}

# ---------------------------------------------------------------- the clients' ABIs, typed in

# contractVersion() returns (uint256): tx_acl.json, tx_acl_gas_price.json, tx_acl_1559.json.
CONTRACT_VERSION = ('contractVersion', [])
# allowedTxTypes per version; each returns (uint32 typesMask, bool cache).
ALLOWED_TX_TYPES = {
    2: ('allowedTxTypes', ['address', 'address', 'uint256']),
    3: ('allowedTxTypes', ['address', 'address', 'uint256', 'uint256', 'bytes']),
    4: ('allowedTxTypes', ['address', 'address', 'uint256', 'uint256', 'uint256', 'uint256', 'bytes']),
}
# ValidatorSet (OpenEthereum res/contracts/validator_set.json, Nethermind ValidatorContract).
GET_VALIDATORS = ('getValidators', [])
FINALIZE_CHANGE = ('finalizeChange', [])
INITIATE_CHANGE_TOPIC = Web3.keccak(text='InitiateChange(bytes32,address[])')
# The peer filter (OpenEthereum node-filter res/peer_set.json).
CONNECTION_ALLOWED = ('connectionAllowed', ['bytes32', 'bytes32', 'bytes32', 'bytes32'])


def calldata(function, args=()):
    name, types = function
    return Web3.keccak(text='%s(%s)' % (name, ','.join(types)))[:4] + encode(types, list(args))


def client_call(w3, address, function, args, out_types, block):
    """eth_call exactly as the node makes it; the decoded output."""
    raw = w3.eth.call({**CLIENT_CALL, 'to': address, 'data': calldata(function, args)}, block_identifier=block)
    return decode(out_types, bytes(raw))


# ---------------------------------------------------------------- chain and deployment

def artifact(name):
    with open(os.path.join(ARTIFACTS, name + '.json'), encoding='utf-8') as handle:
        return json.load(handle)


def send(w3, fn, sender):
    receipt = w3.eth.wait_for_transaction_receipt(fn.transact({'from': sender}), timeout=10)
    assert receipt.status == 1, receipt
    return receipt


def deploy(w3, name, *args):
    art = artifact(name)
    receipt = send(w3, w3.eth.contract(abi=art['abi'], bytecode=art['bytecode']).constructor(*args), OWNER)
    return w3.eth.contract(address=receipt.contractAddress, abi=art['abi'])


def error_data(signature, *args):
    """The revert data of a custom error, as web3 puts it in ContractLogicError."""
    types = [t for t in signature.partition('(')[2].rstrip(')').split(',') if t]
    return '0x' + (Web3.keccak(text=signature)[:4] + encode(types, list(args))).hex().removeprefix('0x')


def reverts(fn, sender, signature, *args):
    """The transaction reverts (at gas estimation, nothing mined) with exactly this custom error."""
    with pytest.raises(ContractLogicError) as caught:
        fn.transact({'from': sender})
    assert caught.value.data == error_data(signature, *args), caught.value.data


def deploy_reverts(w3, name, signature, *args, ctor_args):
    art = artifact(name)
    with pytest.raises(ContractLogicError) as caught:
        w3.eth.contract(abi=art['abi'], bytecode=art['bytecode']).constructor(*ctor_args).transact({'from': OWNER})
    assert caught.value.data == error_data(signature, *args), caught.value.data


def events(contract, name, receipt):
    return [dict(e.args) for e in getattr(contract.events, name)().process_receipt(receipt, errors=DISCARD)
            if e.address == contract.address]


class World:  # pylint: disable=too-few-public-methods
    """The deployed contracts: a validator set of three, two permission contracts (default NONE and
    default BASIC|CALL), a peer filter of three nodes, and a contract to call."""

    def __init__(self, w3):
        self.w3 = w3
        for account in ACTORS:
            w3.provider.make_request('anvil_impersonateAccount', [account])
            w3.provider.make_request('anvil_setBalance', [account, hex(1000 * ETHER)])
        self.validators = deploy(w3, 'ValidatorSet', OWNER, VALIDATORS)
        permission_args = (OWNER, [VALIDATORS[0]], [DEPLOYER], [TRANSACTOR])
        self.closed = deploy(w3, 'TxPermission', *permission_args, NONE)
        self.open = deploy(w3, 'TxPermission', *permission_args, BASIC | CALL)
        self.nodes = deploy(w3, 'NodePermission', OWNER, [NODES['a'], NODES['b'], NODES['c']])
        # Any contract will do as the target of a CALL: the node only looks whether `to` has code.
        self.target = self.nodes.address


@pytest.fixture(scope='module', name='world')
def world_fixture():
    with anvil_chain(PORTS, '--chain-id', str(CHAIN_ID), '--hardfork', 'paris') as url:
        yield World(Web3(Web3.HTTPProvider(url, request_kwargs={'timeout': 10})))


@pytest.fixture(name='chain')
def chain_fixture(world):
    """The module's chain, reset to the freshly deployed state after the test."""
    snapshot = world.w3.provider.make_request('evm_snapshot', [])['result']
    yield world
    assert world.w3.provider.make_request('evm_revert', [snapshot])['result'] is True


def head(w3):
    return w3.eth.block_number


# ---------------------------------------------------------------- build

def opcodes(code):
    i = 0
    while i < len(code):
        yield i, code[i]
        i += 1 + (code[i] - 0x5f if 0x60 <= code[i] <= 0x7f else 0)


def test_artifacts_rebuild_identically_and_include_governance():
    proc = subprocess.run(['node', os.path.join(ROOT, 'scripts', 'build-contracts.js'), '--check'], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in GOVERNANCE:
        art = artifact(name)
        assert art['contractName'] == name
        assert art['compiler']['evmVersion'] == 'paris'
        code = bytes.fromhex(art['deployedBytecode'][2:])
        code = code[:-int.from_bytes(code[-2:], 'big') - 2]  # solc's CBOR metadata is data, not code
        assert 0x5f not in [op for _offset, op in opcodes(code)], name + ': PUSH0 in deployed code'


# ---------------------------------------------------------------- TxPermission: the clients' queries

def expected_mask(contract_name, role):
    default = NONE if contract_name == 'closed' else BASIC | CALL
    return {'owner': ALL, 'full': ALL, 'deployer': ALL, 'transactor': BASIC | CALL, 'stranger': default}[role]


ROLES = {'owner': OWNER, 'full': VALIDATORS[0], 'deployer': DEPLOYER, 'transactor': TRANSACTOR, 'stranger': STRANGER}


def tx_kinds(world):
    """(kind, to, value, data): a plain transfer, a call with data, a creation (to = 0x0)."""
    return [('transfer', NEWCOMER, ETHER, b''),
            ('call', world.target, 0, calldata(('nodes', []))),
            ('create', ZERO, 0, bytes.fromhex(artifact('ValidatorSet')['bytecode'][2:]))]


def version_args(version, sender, to, value, data):
    """The arguments each client version builds from the transaction (OpenEthereum tx_filter.rs,
    Nethermind TransactionPermissionContractV2..V4); fees and gas of an ordinary EIP-1559 transaction."""
    max_fee, priority_fee, gas_limit = 2 * 10 ** 9, 10 ** 9, 3_000_000
    if version == 2:
        return [sender, to, value]
    if version == 3:
        return [sender, to, value, max_fee, data]
    return [sender, to, value, max_fee, priority_fee, gas_limit, data]


def required_type(w3, to, block):
    """The type the node requires: CREATE for to = 0x0 creations, CALL when `to` has code at the
    parent block, BASIC otherwise."""
    if to == ZERO:
        return CREATE
    return CALL if w3.eth.get_code(to, block_identifier=block) else BASIC


@pytest.mark.parametrize('contract_name', ['closed', 'open'])
def test_contract_version_as_the_clients_read_it(chain, contract_name):
    contract = getattr(chain, contract_name)
    assert client_call(chain.w3, contract.address, CONTRACT_VERSION, [], ['uint256'], head(chain.w3)) == (4,)
    name = client_call(chain.w3, contract.address, ('contractName', []), [], ['string'], head(chain.w3))[0]
    assert client_call(chain.w3, contract.address, ('contractNameHash', []), [], ['bytes32'],
                       head(chain.w3))[0] == Web3.keccak(text=name)


@pytest.mark.parametrize('version', [2, 3, 4])
@pytest.mark.parametrize('contract_name', ['closed', 'open'])
def test_allowed_tx_types_for_every_role_version_and_type(chain, contract_name, version):
    contract = getattr(chain, contract_name)
    parent = head(chain.w3)
    seen = []
    for role, sender in ROLES.items():
        mask = expected_mask(contract_name, role)
        for kind, to, value, data in tx_kinds(chain):
            types_mask, cache = client_call(chain.w3, contract.address, ALLOWED_TX_TYPES[version],
                                            version_args(version, sender, to, value, data), ['uint32', 'bool'], parent)
            assert (types_mask, cache) == (mask, True), (role, kind)
            required = required_type(chain.w3, to, parent)
            # OpenEthereum admits when mask & type != 0, Nethermind when (mask & type) == type.
            assert (types_mask & required != 0) == (types_mask & required == required)
            seen.append((role, kind, types_mask & required != 0))
    admitted = {(role, kind) for role, kind, ok in seen if ok}
    assert ('transactor', 'create') not in admitted and ('transactor', 'call') in admitted
    assert ('deployer', 'create') in admitted and ('deployer', 'call') in admitted
    if contract_name == 'closed':
        assert not any(role == 'stranger' for role, _kind in admitted)
    else:
        assert {kind for role, kind in admitted if role == 'stranger'} == {'transfer', 'call'}
    assert len(seen) == len(ROLES) * 3


def test_allowed_tx_types_are_read_at_the_parent_block(chain):
    contract = chain.closed
    before = head(chain.w3)
    receipt = send(chain.w3, contract.functions.setTypes(STRANGER, BASIC), OWNER)
    assert events(contract, 'TypesChanged', receipt) == [{'who': STRANGER, 'types': BASIC}]
    args = version_args(4, STRANGER, NEWCOMER, 1, b'')
    # A transaction in the block after `before` is judged on the state of `before`: still NONE.
    assert client_call(chain.w3, contract.address, ALLOWED_TX_TYPES[4], args, ['uint32', 'bool'],
                       before) == (NONE, True)
    assert client_call(chain.w3, contract.address, ALLOWED_TX_TYPES[4], args, ['uint32', 'bool'],
                       receipt.blockNumber) == (BASIC, True)


def test_set_types_owner_only_and_owner_keeps_all(chain):
    contract = chain.closed
    reverts(contract.functions.setTypes(STRANGER, ALL), STRANGER, 'OwnableUnauthorizedAccount(address)', STRANGER)
    reverts(contract.functions.setTypes(OWNER, BASIC), OWNER, 'OwnerKeepsAll()')
    reverts(contract.functions.setTypes(STRANGER, PRIVATE), OWNER, 'InvalidTypes(uint32)', PRIVATE)
    reverts(contract.functions.setTypes(ZERO, BASIC), OWNER, 'ZeroAccount()')
    reverts(contract.functions.setDefaultTypes(ALL | PRIVATE), OWNER, 'InvalidTypes(uint32)', ALL | PRIVATE)
    reverts(contract.functions.renounceOwnership(), OWNER, 'RenounceDisabled()')
    # Taking a validator's rights away: NONE is an entry of its own, not "back to the default".
    send(chain.w3, chain.open.functions.setTypes(VALIDATORS[0], NONE), OWNER)
    assert chain.open.functions.typesOf(VALIDATORS[0]).call() == NONE
    assert chain.open.functions.typesOf(STRANGER).call() == BASIC | CALL
    receipt = send(chain.w3, chain.open.functions.setDefaultTypes(NONE), OWNER)
    assert events(chain.open, 'DefaultTypesChanged', receipt) == [{'types': NONE}]
    assert chain.open.functions.typesOf(STRANGER).call() == NONE
    # A new owner gets ALL from the moment it owns the contract; the old one falls back to the default.
    send(chain.w3, contract.functions.transferOwnership(NEW_OWNER), OWNER)
    assert contract.functions.typesOf(NEW_OWNER).call() == ALL
    assert contract.functions.typesOf(OWNER).call() == NONE
    reverts(contract.functions.setTypes(STRANGER, ALL), OWNER, 'OwnableUnauthorizedAccount(address)', OWNER)
    send(chain.w3, contract.functions.setTypes(STRANGER, BASIC | CALL), NEW_OWNER)
    assert contract.functions.typesOf(STRANGER).call() == BASIC | CALL


def test_tx_permission_constructor_checks(chain):
    deploy_reverts(chain.w3, 'TxPermission', 'DuplicateAccount(address)', DEPLOYER,
                   ctor_args=(OWNER, [DEPLOYER], [DEPLOYER], [], NONE))
    deploy_reverts(chain.w3, 'TxPermission', 'ZeroAccount()', ctor_args=(OWNER, [], [], [ZERO], NONE))
    deploy_reverts(chain.w3, 'TxPermission', 'InvalidTypes(uint32)', PRIVATE, ctor_args=(OWNER, [], [], [], PRIVATE))
    deploy_reverts(chain.w3, 'TxPermission', 'OwnableInvalidOwner(address)', ZERO, ctor_args=(ZERO, [], [], [], NONE))


# ---------------------------------------------------------------- ValidatorSet

def system_finalize(world):
    """The engine's call: finalizeChange() from the system address."""
    return send(world.w3, world.validators.functions.finalizeChange(), SYSTEM)


def current_set(world, block):
    """getValidators() as the clients read it at a block."""
    return [Web3.to_checksum_address(a) for a in
            client_call(world.w3, world.validators.address, GET_VALIDATORS, [], ['address[]'], block)[0]]


def test_initial_set_and_finalize_with_nothing_pending(chain):
    contract = chain.validators
    assert current_set(chain, head(chain.w3)) == VALIDATORS
    assert contract.functions.finalized().call() is True
    assert not contract.functions.pendingValidators().call()
    # The first block of the contract's set: the engine calls finalizeChange with nothing pending.
    receipt = system_finalize(chain)
    assert not events(contract, 'ChangeFinalized', receipt) and not receipt.logs
    assert current_set(chain, receipt.blockNumber) == VALIDATORS
    assert contract.functions.finalized().call() is True
    # The same call as the engine makes it (a call from the system address, no gas limit to speak of).
    assert chain.w3.eth.call({'from': SYSTEM, 'to': contract.address, 'data': calldata(FINALIZE_CHANGE),
                              'gas': 50_000_000, 'gasPrice': 0}) == b''


def test_finalize_change_only_from_the_system_address(chain):
    reverts(chain.validators.functions.finalizeChange(), STRANGER, 'NotSystem(address)', STRANGER)
    reverts(chain.validators.functions.finalizeChange(), OWNER, 'NotSystem(address)', OWNER)


def test_add_signals_then_applies_at_finalize(chain):
    w3, contract = chain.w3, chain.validators
    receipt = send(w3, contract.functions.addValidator(NEWCOMER), OWNER)
    new_set = VALIDATORS + [NEWCOMER]
    # The log both clients look for: this contract, exactly two topics, the second the parent hash.
    block = w3.eth.get_block(receipt.blockNumber)
    logs = [log for log in receipt.logs if log.address == contract.address]
    assert len(logs) == 1 and logs[0].topics == [INITIATE_CHANGE_TOPIC, block.parentHash]
    assert [Web3.to_checksum_address(a) for a in decode(['address[]'], bytes(logs[0].data))[0]] == new_set
    assert events(contract, 'InitiateChange', receipt) == [{'_parentHash': block.parentHash, '_newSet': new_set}]
    # Pending until the engine finalizes it.
    assert current_set(chain, receipt.blockNumber) == VALIDATORS
    assert contract.functions.pendingValidators().call() == new_set
    assert contract.functions.finalized().call() is False
    reverts(contract.functions.addValidator(address_of('another')), OWNER, 'ChangePending()')
    reverts(contract.functions.removeValidator(VALIDATORS[0]), OWNER, 'ChangePending()')
    receipt = system_finalize(chain)
    assert events(contract, 'ChangeFinalized', receipt) == [{'currentSet': new_set}]
    assert current_set(chain, receipt.blockNumber - 1) == VALIDATORS
    assert current_set(chain, receipt.blockNumber) == new_set
    assert contract.functions.finalized().call() is True
    assert not contract.functions.pendingValidators().call()
    # A second finalizeChange has nothing left to apply.
    receipt = system_finalize(chain)
    assert not receipt.logs and current_set(chain, receipt.blockNumber) == new_set


def test_remove_keeps_the_order_of_the_others(chain):
    contract = chain.validators
    receipt = send(chain.w3, contract.functions.removeValidator(VALIDATORS[1]), OWNER)
    assert events(contract, 'InitiateChange', receipt)[0]['_newSet'] == [VALIDATORS[0], VALIDATORS[2]]
    system_finalize(chain)
    assert current_set(chain, head(chain.w3)) == [VALIDATORS[0], VALIDATORS[2]]


def test_changes_are_owner_only_and_checked(chain):
    contract = chain.validators
    reverts(contract.functions.addValidator(NEWCOMER), STRANGER, 'OwnableUnauthorizedAccount(address)', STRANGER)
    reverts(contract.functions.removeValidator(VALIDATORS[0]), STRANGER, 'OwnableUnauthorizedAccount(address)',
            STRANGER)
    reverts(contract.functions.addValidator(VALIDATORS[1]), OWNER, 'DuplicateValidator(address)', VALIDATORS[1])
    reverts(contract.functions.addValidator(ZERO), OWNER, 'ZeroValidator()')
    reverts(contract.functions.removeValidator(NEWCOMER), OWNER, 'UnknownValidator(address)', NEWCOMER)
    reverts(contract.functions.renounceOwnership(), OWNER, 'RenounceDisabled()')
    single = deploy(chain.w3, 'ValidatorSet', OWNER, [VALIDATORS[0]])
    reverts(single.functions.removeValidator(VALIDATORS[0]), OWNER, 'LastValidator(address)', VALIDATORS[0])
    assert contract.functions.finalized().call() is True


def test_transfer_ownership_to_the_next_multisig(chain):
    contract = chain.validators
    send(chain.w3, contract.functions.transferOwnership(NEW_OWNER), OWNER)
    assert contract.functions.owner().call() == NEW_OWNER
    reverts(contract.functions.addValidator(NEWCOMER), OWNER, 'OwnableUnauthorizedAccount(address)', OWNER)
    send(chain.w3, contract.functions.addValidator(NEWCOMER), NEW_OWNER)
    assert contract.functions.finalized().call() is False


def test_validator_set_constructor_checks(chain):
    deploy_reverts(chain.w3, 'ValidatorSet', 'EmptyValidatorSet()', ctor_args=(OWNER, []))
    deploy_reverts(chain.w3, 'ValidatorSet', 'ZeroValidator()', ctor_args=(OWNER, [VALIDATORS[0], ZERO]))
    deploy_reverts(chain.w3, 'ValidatorSet', 'DuplicateValidator(address)', VALIDATORS[0],
                   ctor_args=(OWNER, [VALIDATORS[0], VALIDATORS[1], VALIDATORS[0]]))
    deploy_reverts(chain.w3, 'ValidatorSet', 'OwnableInvalidOwner(address)', ZERO, ctor_args=(ZERO, VALIDATORS))


# ---------------------------------------------------------------- NodePermission

def allowed(world, own, peer):
    """connectionAllowed as OpenEthereum asks it: own id then peer id, each split in two halves, at
    its latest block."""
    own_id, peer_id = NODES[own], NODES[peer]
    args = [own_id[:32], own_id[32:], peer_id[:32], peer_id[32:]]
    return client_call(world.w3, world.nodes.address, CONNECTION_ALLOWED, args, ['bool'], 'latest')[0]


def test_connection_allowed_pairs(chain):
    for own, peer in (('a', 'b'), ('b', 'a'), ('c', 'a'), ('a', 'a')):
        assert allowed(chain, own, peer) is True, (own, peer)
    for own, peer in (('a', 'x'), ('x', 'a'), ('x', 'y')):
        assert allowed(chain, own, peer) is False, (own, peer)
    assert chain.nodes.functions.nodes().call() == [NODES['a'], NODES['b'], NODES['c']]


def test_allow_and_deny_nodes(chain):
    w3, contract = chain.w3, chain.nodes
    receipt = send(w3, contract.functions.allowNode(NODES['x']), OWNER)
    assert events(contract, 'NodeAllowed', receipt) == [{'nodeId': NODES['x']}]
    assert allowed(chain, 'a', 'x') is True and allowed(chain, 'x', 'c') is True
    receipt = send(w3, contract.functions.denyNode(NODES['a']), OWNER)
    assert events(contract, 'NodeDenied', receipt) == [{'nodeId': NODES['a']}]
    assert allowed(chain, 'a', 'b') is False and allowed(chain, 'b', 'a') is False
    assert allowed(chain, 'b', 'x') is True
    assert sorted(contract.functions.nodes().call()) == sorted([NODES['b'], NODES['c'], NODES['x']])
    assert contract.functions.isNodeAllowed(NODES['a']).call() is False


def test_node_changes_are_owner_only_and_checked(chain):
    contract = chain.nodes
    reverts(contract.functions.allowNode(NODES['x']), STRANGER, 'OwnableUnauthorizedAccount(address)', STRANGER)
    reverts(contract.functions.denyNode(NODES['a']), STRANGER, 'OwnableUnauthorizedAccount(address)', STRANGER)
    reverts(contract.functions.allowNode(NODES['x'][:63]), OWNER, 'InvalidNodeId(uint256)', 63)
    reverts(contract.functions.allowNode(NODES['a']), OWNER, 'NodeAlreadyAllowed(bytes)', NODES['a'])
    reverts(contract.functions.denyNode(NODES['x']), OWNER, 'NodeNotAllowed(bytes)', NODES['x'])
    reverts(contract.functions.renounceOwnership(), OWNER, 'RenounceDisabled()')
    single = deploy(chain.w3, 'NodePermission', OWNER, [NODES['a']])
    reverts(single.functions.denyNode(NODES['a']), OWNER, 'LastNode(bytes)', NODES['a'])
    deploy_reverts(chain.w3, 'NodePermission', 'EmptyNodeSet()', ctor_args=(OWNER, []))
    deploy_reverts(chain.w3, 'NodePermission', 'InvalidNodeId(uint256)', 65, ctor_args=(OWNER, [NODES['a'] + b'\0']))
    send(chain.w3, contract.functions.transferOwnership(NEW_OWNER), OWNER)
    reverts(contract.functions.allowNode(NODES['x']), OWNER, 'OwnableUnauthorizedAccount(address)', OWNER)
    send(chain.w3, contract.functions.allowNode(NODES['x']), NEW_OWNER)
    assert allowed(chain, 'x', 'a') is True
