# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils.poco: plan shape and artifact lookup (the full deployment runs in tests/integration)."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.poa.consortium.plugins.module_utils import contracts as c
from ansible_collections.poa.consortium.plugins.module_utils import poco

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
POCO_DIR = next((p for p in (os.environ.get('POCO_DIR'), os.path.join(ROOT, 'node_modules', '@iexec', 'poco'))
                 if p and os.path.isdir(p)), None)
needs_poco = pytest.mark.skipif(POCO_DIR is None, reason='unpacked @iexec/poco 6.1.0 not found (set POCO_DIR)')


def test_selectors_of_includes_receive_and_fallback():
    abi = [{'type': 'function', 'name': 'transfer', 'inputs': [{'type': 'address'}, {'type': 'uint256'}], 'outputs': []},
           {'type': 'receive', 'stateMutability': 'payable'}, {'type': 'fallback', 'stateMutability': 'payable'},
           {'type': 'event', 'name': 'X', 'inputs': []}]
    assert poco.selectors_of(abi) == ['0xa9059cbb', '0x00000000', '0xffffffff']


def test_not_a_poco_package(tmp_path):
    with pytest.raises(c.ContractError, match='does not look like the @iexec/poco package.*npm pack'):
        poco.PocoArtifacts(str(tmp_path))


class FakeW3:
    class eth:
        chain_id = 65535


def plan(mode='token', boost=True, artifacts=None, tmp=None, **kw):
    return poco.PocoPlan(FakeW3(), None, c.Journal(os.path.join(tmp, 'm.json')), artifacts, mode=mode, boost=boost, **kw)


def test_plan_facets_per_mode(tmp_path):
    token = plan('token', tmp=str(tmp_path)).facets()
    native = plan('native', boost=False, tmp=str(tmp_path)).facets()
    assert 'IexecEscrowTokenFacet' in token and 'IexecEscrowNativeFacet' not in token
    assert 'IexecEscrowNativeFacet' in native and 'IexecPocoBoostFacet' not in native
    assert len(token) == 13 and len(native) == 11
    assert token.index('IexecCategoryManagerFacet') < token.index('IexecPocoAccessorsFacet')
    p = plan(tmp=str(tmp_path))
    assert (p.key('Diamond'), p.key('RLC'), p.key('AppRegistry')) == ('poco_hub', 'rlc', 'poco_AppRegistry')
    with pytest.raises(c.ContractError, match='mode must be'):
        plan('gas', tmp=str(tmp_path))
    with pytest.raises(c.ContractError, match='not deployed yet'):
        p.address('Diamond')


@needs_poco
def test_artifacts_of_the_package():
    arts = poco.PocoArtifacts(POCO_DIR)
    linked = sorted(n for n in poco.FACETS if n != '<escrow>' and arts.get(n).link_references)
    assert linked == ['IexecConfigurationFacet', 'IexecOrderManagementFacet', 'IexecPoco1Facet', 'IexecPocoAccessorsFacet',
                      'IexecPocoBoostFacet']
    assert arts.get('IexecConfigurationFacet').needed_libraries() == [poco.LIB_ORDERS]
    assert arts.get('IexecLibOrders_v5').abi == []  # deployed from bytecode only
    for name in poco.PROXY_FACETS + ['DiamondInit']:
        assert arts.get(name).bytecode and arts.get(name).abi
    assert poco.selectors_of(arts.get('OwnershipFacet').abi) == ['0x8da5cb5b', '0xf2fde38b']  # owner(), transferOwnership()
    assert '0xffffffff' in poco.selectors_of(arts.get('IexecEscrowTokenFacet').abi)
    with pytest.raises(c.ContractError, match='token mode needs the RLC artifact'):
        arts.get('RLC')
    with pytest.raises(c.ContractError, match='cannot find a single artifact for Nope'):
        arts.get('Nope')
    # linking the library into a facet leaves no placeholder
    code = c.link_bytecode(arts.get('IexecPoco1Facet'), {poco.LIB_ORDERS: '0x' + 'cd' * 20})
    assert 'cd' * 20 in code and '__' not in code
    with open(os.path.join(POCO_DIR, 'package.json'), encoding='utf-8') as handle:
        assert json.load(handle)['version'] == '6.1.0'


class SettlingSigner:
    """A signer whose pool still holds an earlier run's transaction until settle() is called;
    build() marks a transaction this run would have sent."""

    address = '0x' + '11' * 20

    def __init__(self, chain):
        self.chain = chain
        self.built = []

    def settle(self):
        self.chain['mined'] = True
        return 1

    def build(self, **tx):
        self.built.append(tx)
        raise AssertionError('a transaction was built for work the pool already held')


def test_work_a_reorg_put_back_in_the_pool_is_not_sent_twice(tmp_path):
    """'latest' lacks the effect of our transactions a reorg returned to the pool: the level waits
    for them and looks again before it sends anything."""
    chain = {'mined': False}
    p = poco.PocoPlan(FakeW3(), SettlingSigner(chain), c.Journal(str(tmp_path / 'm.json')), None, mode='native')
    item = ('createCategory 0 XS', '0x' + '22' * 20, [], 'createCategory', [], lambda: chain['mined'])
    entry = p.level('3: categories', transact=[item])
    assert entry['transactions'] == [] and p.tx_hashes == []
    assert not p.result()['changed']
