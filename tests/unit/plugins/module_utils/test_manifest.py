from __future__ import annotations

import json

import pytest

from ansible_collections.poa.consortium.plugins.module_utils import manifest

NODE = dict(name='alpha-1', company='alpha', address='0x' + '11' * 20, enode='enode://' + 'ab' * 64 + '@127.0.1.1:30311',
            rpc_url='http://127.0.1.1:8511', role='authority')


def test_update_creates_then_is_idempotent(tmp_path):
    path = str(tmp_path / 'manifest.json')
    changed, before, after = manifest.update(path, {'chain_id': 7, 'nodes': [NODE]})
    assert changed and before == ''
    assert json.loads(open(path).read()) == {'chain_id': 7, 'nodes': [NODE], 'contracts': {}}
    assert manifest.update(path, {'chain_id': 7, 'nodes': [NODE]})[0] is False


def test_update_keeps_other_keys_and_merges_contracts(tmp_path):
    path = str(tmp_path / 'manifest.json')
    manifest.update(path, {'chain_id': 7}, {'rlc': {'address': '0x1'}})
    manifest.update(path, {'genesis_hash': '0xaa'}, {'poco_hub': {'address': '0x2'}})
    data = json.loads(open(path).read())
    assert data == {'chain_id': 7, 'genesis_hash': '0xaa',
                    'contracts': {'rlc': {'address': '0x1'}, 'poco_hub': {'address': '0x2'}}}


def test_check_mode_writes_nothing(tmp_path):
    path = tmp_path / 'manifest.json'
    changed, before, after = manifest.update(str(path), {'chain_id': 1}, check_mode=True)
    assert changed and before == '' and json.loads(after)['chain_id'] == 1 and not path.exists()


@pytest.mark.parametrize('nodes, message', [
    ('x', 'must be a list'),
    ([dict(NODE, role='miner')], "role is 'miner'"),
    ([{k: v for k, v in NODE.items() if k != 'enode'}], 'lacks enode'),
    ([NODE, NODE], 'appears twice'),
])
def test_bad_nodes_are_refused_and_nothing_written(tmp_path, nodes, message):
    path = tmp_path / 'manifest.json'
    path.write_text('{"chain_id": 1, "contracts": {}}\n')
    with pytest.raises(manifest.ManifestError, match=message):
        manifest.update(str(path), {'nodes': nodes})
    assert path.read_text() == '{"chain_id": 1, "contracts": {}}\n'


def test_corrupt_manifest_is_reported(tmp_path):
    path = tmp_path / 'manifest.json'
    path.write_text('{not json')
    with pytest.raises(manifest.ManifestError, match='not valid JSON'):
        manifest.load(str(path))


def test_contracts_that_are_not_an_object_are_reported(tmp_path):
    path = tmp_path / 'manifest.json'
    path.write_text('{"contracts": []}\n')
    with pytest.raises(manifest.ManifestError, match='contracts must be an object of name -> record, not list'):
        manifest.update(str(path), contracts={'rlc': {'address': '0x1'}})
    assert path.read_text() == '{"contracts": []}\n'
