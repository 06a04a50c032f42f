"""status: seal recovery checked against independently signed headers, and the health rules."""
from __future__ import annotations

import pytest
import rlp
from eth_keys import keys
from eth_utils import keccak

from ansible_collections.poa.consortium.plugins.module_utils import status

KEY = keys.PrivateKey(bytes.fromhex('4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318'))


def sealed_block(number, key=KEY, base_fee=7, vote=b'\x00' * 20):
    """A Clique block sealed by ``key``, built the EIP-225 way (independently of the code under test);
    ``vote``: the address its signer votes on (the header's coinbase)."""
    vanity = b'\x01' * 32
    block = dict(parentHash=b'\x11' * 32, sha3Uncles=b'\x22' * 32, miner=vote, stateRoot=b'\x33' * 32,
                 transactionsRoot=b'\x44' * 32, receiptsRoot=b'\x55' * 32, logsBloom=b'\x00' * 256,
                 difficulty=2, number=number, gasLimit=8_000_000, gasUsed=0, timestamp=1_700_000_000 + number,
                 mixHash=b'\x00' * 32, nonce=b'\x00' * 8, baseFeePerGas=base_fee)
    order = ['parentHash', 'sha3Uncles', 'miner', 'stateRoot', 'transactionsRoot', 'receiptsRoot', 'logsBloom',
             'difficulty', 'number', 'gasLimit', 'gasUsed', 'timestamp']
    unsealed = [block[k] for k in order] + [vanity, block['mixHash'], block['nonce'], base_fee]
    sig = key.sign_msg_hash(keccak(rlp.encode(unsealed)))
    block['extraData'] = vanity + sig.to_bytes()[:64] + bytes([sig.v + 27])
    block['miner'] = '0x' + vote.hex()
    return block


def test_clique_signer_recovers_the_sealing_key():
    assert status.clique_signer(sealed_block(5)) == KEY.public_key.to_checksum_address()
    assert status.block_sealer(sealed_block(6)) == KEY.public_key.to_checksum_address()


def test_a_clique_block_carrying_a_vote_is_sealed_by_its_signer_not_by_the_address_voted_on():
    block = sealed_block(7, vote=b'\xde' * 20)
    assert status.block_sealer(block) == KEY.public_key.to_checksum_address()


def test_clique_signer_detects_tampering():
    block = sealed_block(5)
    block['gasUsed'] = 1
    assert status.clique_signer(block) != KEY.public_key.to_checksum_address()


def test_aura_block_sealer_is_its_author():
    author = '0x' + 'ab' * 20
    block = dict(miner=author, extraData=b'\xde\xad')
    assert status.block_sealer(block).lower() == author


def test_unsealed_block_is_refused():
    with pytest.raises(ValueError, match='no Clique seal'):
        status.clique_signer(dict(sealed_block(1), extraData=b'\x00' * 40))


def test_unreachable_node_is_named():
    nodes = [dict(name='alpha-1', company='alpha', rpc_url='http://127.0.0.1:9', role='authority',
                  address='0x' + '11' * 20)]
    rows, problems = status.check(nodes, 1, '0x' + '00' * 32, advance_timeout=0, timeout=1)
    assert rows[0]['reachable'] is False
    assert problems and problems[0].startswith('alpha-1: unreachable')


def test_table_lists_every_node():
    rows = [dict(name='alpha-1', company='alpha', peers=4, head=12, last_sealed=10),
            dict(name='beta-1', company='', peers=None, head=None, last_sealed=None)]
    lines = status.table(rows)
    assert lines[0].split() == ['node', 'company', 'peers', 'head', 'last', 'sealed']
    assert lines[1].split() == ['alpha-1', 'alpha', '4', '12', '#10']
    assert lines[2].split() == ['beta-1', '-', '-', '-', '-']


class FakeW3:
    """Just what check() reads after probe(): blocks by number and a head that moves on each read."""

    def __init__(self, blocks, head):
        self.eth = self
        self.blocks = blocks
        self.head = head
        self.head_reads = 0

    @property
    def block_number(self):
        self.head_reads += 1
        return self.head + self.head_reads

    def get_block(self, number):
        return self.blocks[number]


def _probed(monkeypatch, w3):
    monkeypatch.setattr(status, 'probe', lambda node, timeout: dict(
        name=node['name'], company='', rpc_url=node['rpc_url'], role='authority', address=node['address'],
        reachable=True, chain_id=1, genesis_hash='0x' + '00' * 32, peers=1, head=w3.head, error=None, w3=w3))


@pytest.mark.parametrize('quick', [True, False])
def test_quick_check_skips_the_advance_wait_only_when_already_sick(monkeypatch, quick):
    other = keys.PrivateKey(b'\x02' * 32)
    w3 = FakeW3({n: sealed_block(n) for n in range(1, 4)}, head=3)
    _probed(monkeypatch, w3)
    nodes = [dict(name='a', rpc_url='http://a', address=KEY.public_key.to_checksum_address()),
             dict(name='b', rpc_url='http://b', address=other.public_key.to_checksum_address())]
    rows, problems = status.check(nodes, 1, '0x' + '00' * 32, quick=quick, sleep=lambda s: None)
    # b never sealed: a problem either way; only the full check waits for the head to move
    assert [p.split(':')[0] for p in problems] == ['b']
    assert rows[0]['last_sealed'] == 3 and rows[1]['last_sealed'] is None
    assert (w3.head_reads == 0) is quick
    # a healthy network gets the full check even in quick mode
    w3 = FakeW3({n: sealed_block(n) for n in range(1, 4)}, head=3)
    _probed(monkeypatch, w3)
    rows, problems = status.check(nodes[:1], 1, '0x' + '00' * 32, quick=quick, sleep=lambda s: None)
    assert problems == [] and w3.head_reads > 0
