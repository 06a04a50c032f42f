# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The node role's geth configuration (roles/node/templates/geth/config.toml.j2), checked by geth.

The template is rendered by ansible.builtin.template for an authority and an rpc node, then read
back by the geth that set-up built (`geth --config FILE dumpconfig`): geth refuses a key it does
not know, so an option that geth would ignore or reject fails here. The dumped configuration must
then say what the role means: the peers trusted (and static unless the node keeper dials them), discovery off, P2P on the host's own
address, JSON-RPC of an authority on loopback with no admin namespace, and archive state.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from eth_keys import keys

ROOT = Path(__file__).resolve().parents[3]
GETH = Path(os.environ.get('POA_GETH', ROOT / '.tools' / 'bin' / 'geth'))
PEERS = ['enode://%s@127.0.1.%d:3031%d' % (keys.PrivateKey(bytes([n]) * 32).public_key.to_bytes().hex(), n, n)
         for n in (2, 3)]
BASE = {
    'node_geth_version': '1.13.15', 'node_name': 'alpha-1', 'node_network_id': 133713,
    'node_min_gas_price': 0, 'node_runtime_dir': '/var/lib/poa/alpha-1',
    'node_rpc_port': 8511, 'node_rpc_apis': ['eth', 'net', 'web3'], 'node_geth_authrpc_port': 28511,
    'node_p2p_host': '127.0.1.1', 'node_p2p_port': 30311, 'node_reserved_peers': PEERS,
}
CASES = {
    # The node keeper dials the peers (process mode under supervisord); without it geth does.
    'authority': dict(BASE, node_role='authority', node_rpc_host='127.0.0.1', node_geth_keeper=True),
    'rpc': dict(BASE, node_role='rpc', node_rpc_host='127.0.1.1', node_geth_keeper=False),
}

pytestmark = pytest.mark.skipif(not GETH.exists(), reason='geth not built (scripts/setup.sh builds it into .tools/bin)')


@pytest.fixture(scope='module')
def rendered(tmp_path_factory):
    work = tmp_path_factory.mktemp('geth_config')
    plays = [{'name': case, 'hosts': 'localhost', 'gather_facts': False, 'vars': variables, 'tasks': [{
        'name': 'Render', 'ansible.builtin.template': {
            'src': str(ROOT / 'roles' / 'node' / 'templates' / 'geth' / 'config.toml.j2'),
            'dest': str(work / f'{case}.toml'), 'mode': '0644'}}]} for case, variables in CASES.items()]
    (work / 'play.yml').write_text(yaml.safe_dump(plays, sort_keys=False), encoding='utf-8')
    proc = subprocess.run([sys.executable, '-m', 'ansible.cli.playbook', '-i', 'localhost,', '-c', 'local',
                           '-e', f'ansible_python_interpreter={sys.executable}', str(work / 'play.yml')],
                          cwd=ROOT, env=dict(os.environ, ANSIBLE_CONFIG=str(ROOT / 'ansible.cfg'), ANSIBLE_NOCOLOR='1'),
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return work


def geth_reads(path, *flags):
    """What geth makes of the file: its own dumpconfig, parsed."""
    proc = subprocess.run([str(GETH), '--config', str(path), *flags, 'dumpconfig'],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return tomllib.loads(proc.stdout)


@pytest.mark.parametrize('case', sorted(CASES))
def test_geth_reads_the_config_as_meant(rendered, case):
    config = geth_reads(rendered / f'{case}.toml')
    p2p, node = config['Node']['P2P'], config['Node']
    # Under the keeper, the peers are in its config only: a change of peers does not restart geth.
    listed = [] if CASES[case]['node_geth_keeper'] else PEERS
    assert p2p.get('StaticNodes', []) == listed and p2p.get('TrustedNodes', []) == listed
    assert p2p['NoDiscovery'] is True and p2p['BootstrapNodes'] == []
    assert p2p['DialRatio'] == 1 and p2p['MaxPeers'] >= len(PEERS)
    assert p2p['ListenAddr'] == '127.0.1.1:30311'
    assert node['HTTPPort'] == 8511 and sorted(node['HTTPModules']) == ['eth', 'net', 'web3']
    assert node['HTTPHost'] == CASES[case]['node_rpc_host']
    assert node['AuthAddr'] == '127.0.0.1' and node['AuthPort'] == 28511
    assert node['DataDir'] == '/var/lib/poa/alpha-1/db'
    assert config['Eth']['NetworkId'] == 133713 and config['Eth']['SyncMode'] == 'full'
    assert config['Eth']['NoPruning'] is True
    assert config['Eth']['Miner']['GasPrice'] == 0
    assert node.get('InsecureUnlockAllowed', False) is (case == 'authority')


def test_geth_refuses_an_unknown_key(rendered, tmp_path):
    """The check above can fail: geth rejects a key it does not know."""
    bad = tmp_path / 'bad.toml'
    bad.write_text((rendered / 'authority.toml').read_text() + '\n[Node.P2P.Nope]\nStaticNodesPath = "x"\n')
    proc = subprocess.run([str(GETH), '--config', str(bad), 'dumpconfig'], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode != 0 and 'Nope' in proc.stderr + proc.stdout
