# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Golden files and option checks for the node role's OpenEthereum and Nethermind configs.

The client images cannot be run here, so the rendered files are checked three ways:

1. Rendering. Every case in ``tests/unit/fixtures/node_configs/<case>.vars.yml`` is rendered
   by ``ansible.builtin.template`` itself: one ``ansible-playbook`` run (the virtualenv's
   ansible-core, ``ANSIBLE_CONFIG`` = the project's ansible.cfg) with one play per case.
   The output must equal ``<case>.golden`` (the client config) and ``<case>.peers.golden``
   (the reserved peers / static nodes file) byte for byte.
2. Options. The output is parsed (tomllib, json) and every section and key is looked up in the
   option tables extracted from the clients' sources,
   ``roles/node/files/client-options/{openethereum,nethermind}.yml``: an unknown section or
   key, a key the client ignores, or a value of the wrong type fails the test.
3. Meaning. The reserved peers are exactly the other nodes of the consortium; an authority
   unlocks its signer with its password file and seals; an RPC node has no signer and does not
   seal; peer discovery is off; the node key and keystore are where the client looks.

Regenerate the golden files after a deliberate template change, then review the diff::

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/unit/plugins/test_node_templates.py
    git diff tests/unit/fixtures/node_configs/

With UPDATE_GOLDEN=1 the comparison tests write the files and pass; checks 2 and 3 still run
on the new output.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = ROOT / 'roles' / 'node' / 'templates'
OPTIONS = ROOT / 'roles' / 'node' / 'files' / 'client-options'
FIXTURES = ROOT / 'tests' / 'unit' / 'fixtures' / 'node_configs'
# ansible-playbook of the ansible-core that runs these tests, whatever bin/ directory it has.
ANSIBLE_PLAYBOOK = [sys.executable, '-m', 'ansible.cli.playbook']
UPDATE = os.environ.get('UPDATE_GOLDEN', '') not in ('', '0')

# engine -> ((template, rendered name, golden suffix), ...)
TEMPLATE_SETS = {
    'openethereum': (
        ('openethereum/config.toml.j2', 'config.toml', '.golden'),
        ('openethereum/reserved_peers.j2', 'reserved_peers', '.peers.golden'),
    ),
    'nethermind': (
        ('nethermind/config.json.j2', 'config.json', '.golden'),
        ('nethermind/static-nodes.json.j2', 'static-nodes.json', '.peers.golden'),
    ),
}

CASES = sorted(p.name[:-len('.vars.yml')] for p in FIXTURES.glob('*.vars.yml'))
ENODE = re.compile(r'^enode://[0-9a-f]{128}@(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$')


def load_vars(case):
    with open(FIXTURES / f'{case}.vars.yml', encoding='utf-8') as f:
        return yaml.safe_load(f)


def load_table(client):
    with open(OPTIONS / f'{client}.yml', encoding='utf-8') as f:
        return yaml.safe_load(f)


def run_playbook(plays, workdir, extra_env=None):
    playbook = workdir / 'render.yml'
    playbook.write_text(yaml.safe_dump(plays, sort_keys=False), encoding='utf-8')
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / 'ansible.cfg'), ANSIBLE_NOCOLOR='1',
               ANSIBLE_RETRY_FILES_ENABLED='0', **(extra_env or {}))
    return subprocess.run(
        [*ANSIBLE_PLAYBOOK, '-i', 'localhost,', '-c', 'local',
         '-e', f'ansible_python_interpreter={sys.executable}', str(playbook)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)


def template_play(name, vars_files, tasks_for, out_dir, extra_vars=None):
    tasks = []
    for src, dest, _suffix in tasks_for:
        task = {'name': f'Render {src}',
                'ansible.builtin.template': {'src': str(TEMPLATES / src), 'dest': str(out_dir / dest), 'mode': '0644'}}
        if extra_vars:
            task['vars'] = extra_vars  # task vars take precedence over the play's vars_files
        tasks.append(task)
    return {'name': name, 'hosts': 'localhost', 'gather_facts': False, 'vars_files': vars_files, 'tasks': tasks}


@pytest.fixture(scope='session')
def rendered(tmp_path_factory):
    """Render every case with ansible.builtin.template; return {case: {rendered name: bytes}}."""
    work = tmp_path_factory.mktemp('node_templates')
    plays = []
    for case in CASES:
        engine = load_vars(case)['fixture_engine']
        (work / case).mkdir()
        plays.append(template_play(case, [str(FIXTURES / f'{case}.vars.yml')], TEMPLATE_SETS[engine], work / case))
    result = run_playbook(plays, work)
    if result.returncode != 0:
        pytest.fail(f'ansible-playbook failed ({result.returncode}):\n{result.stdout}\n{result.stderr}')
    return {case: {p.name: p.read_bytes() for p in (work / case).iterdir()} for case in CASES}


def golden_params():
    for case in CASES:
        engine = load_vars(case)['fixture_engine']
        for _src, dest, suffix in TEMPLATE_SETS[engine]:
            yield pytest.param(case, dest, suffix, id=f'{case}{suffix[:-len(".golden")] or ".config"}')


# ---------------------------------------------------------------------------------------------
# Option tables
# ---------------------------------------------------------------------------------------------

UNSIGNED_BITS = {'u16': 16, 'u32': 32, 'u64': 64, 'usize': 64}


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def openethereum_table_version(version):
    version = str(version)
    if version == '3.3.5':
        return '3.3.5'
    if re.match(r'^2\.4\.\d+$', version):
        return '2.4'
    raise AssertionError(f'no option table for OpenEthereum/Parity {version}')


def check_openethereum(config, version):
    """Return the problems of a parsed config.toml against the option table of ``version``."""
    table = load_table('openethereum')['versions'][openethereum_table_version(version)]
    errors = []
    for section, keys in config.items():
        spec = table['sections'].get(section)
        if spec is None:
            errors.append(f'unknown section [{section}]')
            continue
        if not isinstance(keys, dict):
            errors.append(f'[{section}] is not a table')
            continue
        for key, value in keys.items():
            opt = spec['keys'].get(key)
            where = f'[{section}] {key}'
            if opt is None:
                errors.append(f'unknown key {where}')
                continue
            if opt.get('legacy') or opt.get('no_effect'):
                errors.append(f'{where} is accepted but ignored by the client')
            kind = opt['type']
            if kind == 'string':
                ok = isinstance(value, str)
            elif kind == 'bool':
                ok = isinstance(value, bool)
            elif kind in UNSIGNED_BITS:
                ok = _is_int(value) and 0 <= value < 2 ** UNSIGNED_BITS[kind]
            elif kind in ('string_list', 'string_set'):
                ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
                if ok and kind == 'string_set':
                    ok = len(set(value)) == len(value)
            else:
                raise AssertionError(f'option table: unknown type {kind} for {where}')
            if not ok:
                errors.append(f'{where} = {value!r} is not a valid {kind}')
    apis = (config.get('rpc') or {}).get('apis') or []
    known = set(table['rpc_apis']) | set(table['rpc_api_sets'])
    for api in apis:
        if isinstance(api, str) and api.lstrip('-') not in known:
            errors.append(f'[rpc] apis: unknown API {api!r}')
    return errors


INT_RANGES = {'int32': (-2 ** 31, 2 ** 31 - 1), 'uint32': (0, 2 ** 32 - 1),
              'int64': (-2 ** 63, 2 ** 63 - 1), 'uint64': (0, 2 ** 64 - 1)}
# JsonConfigSource reads every JSON number with GetInt64.
JSON_NUMBER = INT_RANGES['int64']


def _nethermind_enum_ok(enum, value):
    """As Enum.TryParse(ignoreCase: true): a member name or a number; "A, B" for a [Flags] enum."""
    if not isinstance(value, str) or not value.strip():
        return False
    members = {m.lower() for m in enum['members']}
    parts = [p.strip() for p in value.split(',')] if enum['flags'] else [value.strip()]
    return all(p.lower() in members or re.fullmatch(r'-?\d+', p) for p in parts)


def _nethermind_value_ok(kind, value):
    if kind == 'bool':
        return isinstance(value, bool)
    if kind in INT_RANGES:
        low, high = INT_RANGES[kind]
        return _is_int(value) and max(low, JSON_NUMBER[0]) <= value <= min(high, JSON_NUMBER[1])
    if kind == 'uint256':
        if _is_int(value):
            return 0 <= value <= JSON_NUMBER[1]
        return isinstance(value, str) and value.isdigit() and int(value) < 2 ** 256
    if kind == 'float':
        return (_is_int(value) and JSON_NUMBER[0] <= value <= JSON_NUMBER[1]) or isinstance(value, float)
    if kind == 'string':
        return isinstance(value, str)
    if kind == 'string_array':
        # ConfigSourceHelper strips the brackets and splits on commas: "[]" is one empty item.
        return (isinstance(value, list) and len(value) > 0
                and all(isinstance(v, str) and v and ',' not in v for v in value))
    if kind == 'int_array':
        return isinstance(value, list) and len(value) > 0 and all(_is_int(v) for v in value)
    if kind == 'string_map':
        return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    if kind == 'object':
        return False
    raise AssertionError(f'option table: unknown type {kind}')


def check_nethermind(config, version='1.25.4'):
    """Return the problems of a parsed Nethermind config against the option table.

    Sections and keys are matched case-insensitively, as Nethermind does.
    """
    table = load_table('nethermind')['versions'][version]
    sections = {name.lower(): spec for name, spec in table['sections'].items()}
    errors = []
    if not isinstance(config, dict):
        return ['the config is not a JSON object']
    for section, keys in config.items():
        spec = sections.get(section.lower())
        if spec is None:
            errors.append(f'unknown section {section}')
            continue
        if not isinstance(keys, dict):
            errors.append(f'{section} is not an object')
            continue
        options = {name.lower(): (name, opt) for name, opt in spec['keys'].items()}
        for key, value in keys.items():
            where = f'{section}.{key}'
            if key.lower() not in options:
                errors.append(f'unknown key {where}')
                continue
            _name, opt = options[key.lower()]
            if opt.get('settable') is False:
                errors.append(f'{where} has no setter')
                continue
            if value is None and opt.get('nullable'):
                continue
            if opt['type'] == 'enum':
                if not _nethermind_enum_ok(table['enums'][opt['enum']], value):
                    errors.append(f'{where} = {value!r} is not a member of {opt["enum"]}')
            elif not _nethermind_value_ok(opt['type'], value):
                errors.append(f'{where} = {value!r} is not a valid {opt["type"]}')
    modules = {m.lower() for m in table['rpc_modules']}
    for section, keys in config.items():
        if section.lower() == 'jsonrpc' and isinstance(keys, dict):
            for key, value in keys.items():
                if key.lower() == 'enabledmodules' and isinstance(value, list):
                    errors.extend(f'JsonRpc.EnabledModules: unknown module {m!r}'
                                  for m in value if isinstance(m, str) and m.lower() not in modules)
    return errors


def parse_json_strict(text):
    """json.loads that rejects duplicate keys, compared case-insensitively as Nethermind does."""
    def pairs(items):
        seen = set()
        for key, _value in items:
            if key.lower() in seen:
                raise ValueError(f'duplicate key {key!r}')
            seen.add(key.lower())
        return dict(items)
    return json.loads(text, object_pairs_hook=pairs)


def parse_config(case, files):
    engine = load_vars(case)['fixture_engine']
    if engine == 'openethereum':
        return tomllib.loads(files['config.toml'].decode('utf-8'))
    return parse_json_strict(files['config.json'].decode('utf-8'))


def ci_get(mapping, *path):
    """Case-insensitive nested lookup (Nethermind sections and keys); None when absent."""
    for part in path:
        if not isinstance(mapping, dict):
            return None
        found = [v for k, v in mapping.items() if k.lower() == part.lower()]
        if not found:
            return None
        mapping = found[0]
    return mapping


# ---------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------

def test_cases_cover_both_clients_and_roles():
    seen = {(load_vars(c)['fixture_engine'], load_vars(c)['node_role']) for c in CASES}
    assert seen >= {('openethereum', 'authority'), ('openethereum', 'rpc'),
                    ('nethermind', 'authority'), ('nethermind', 'rpc')}


@pytest.mark.parametrize('case,name,suffix', list(golden_params()))
def test_matches_golden(rendered, case, name, suffix):
    golden = FIXTURES / f'{case}{suffix}'
    actual = rendered[case][name]
    if UPDATE:
        golden.write_bytes(actual)
        return
    assert golden.exists(), f'{golden.name} is missing: run with UPDATE_GOLDEN=1 and review it'
    assert actual == golden.read_bytes(), (
        f'{name} for case {case} differs from {golden.name}; if the change is intended, '
        f'regenerate with UPDATE_GOLDEN=1 and review the diff')


@pytest.mark.parametrize('case', CASES)
def test_every_option_is_known_with_its_type(rendered, case):
    variables = load_vars(case)
    config = parse_config(case, rendered[case])
    if variables['fixture_engine'] == 'openethereum':
        errors = check_openethereum(config, variables.get('node_openethereum_version', '3.3.5'))
    else:
        errors = check_nethermind(config)
    assert errors == []


@pytest.mark.parametrize('case', CASES)
def test_reserved_peers_are_exactly_the_other_nodes(rendered, case):
    v = load_vars(case)
    others = {enode for name, enode in v['fixture_consortium'].items() if name != v['fixture_self']}
    own = v['fixture_consortium'][v['fixture_self']]
    config = parse_config(case, rendered[case])
    if v['fixture_engine'] == 'openethereum':
        text = rendered[case]['reserved_peers'].decode('utf-8')
        # As OpenEthereum reads the file: trimmed lines, blank and '#' lines skipped.
        peers = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith('#')]
        net = config['network']
        assert net['reserved_peers'] == f"{v['node_runtime_dir']}/reserved_peers"
        assert net['reserved_only'] is True
        assert net['discovery'] is False
        assert 'bootnodes' not in net
        assert net['nat'] == f"extip:{v['node_p2p_host']}"
        assert net['port'] == v['node_p2p_port']
        assert net['interface'] == v['node_p2p_host']  # binds the address it advertises
    else:
        peers = json.loads(rendered[case]['static-nodes.json'])
        assert ci_get(config, 'Init', 'StaticNodesPath') == f"{v['node_runtime_dir']}/static-nodes.json"
        assert ci_get(config, 'Network', 'OnlyStaticPeers') is True
        assert ci_get(config, 'Init', 'DiscoveryEnabled') is False
        assert ci_get(config, 'Network', 'Bootnodes') is None
        assert ci_get(config, 'Network', 'ExternalIp') == v['node_p2p_host']
        assert ci_get(config, 'Network', 'LocalIp') == v['node_p2p_host']  # RlpxHost binds LocalIp
        assert ci_get(config, 'Network', 'P2PPort') == v['node_p2p_port']
    assert len(peers) == len(set(peers)), 'a peer is listed twice'
    assert set(peers) == others
    assert own not in peers
    assert peers == sorted(peers), 'peers are sorted so the file is stable'
    for enode in peers:
        match = ENODE.match(enode)
        assert match, enode
        assert all(0 <= int(o) <= 255 for o in match.group(1).split('.')) and 0 < int(match.group(2)) < 65536


@pytest.mark.parametrize('case', CASES)
def test_signer_and_sealing_follow_the_role(rendered, case):
    from eth_utils import is_checksum_address

    v = load_vars(case)
    config = parse_config(case, rendered[case])
    authority = v['node_role'] == 'authority'
    if authority:
        assert is_checksum_address(v['node_signer_address'])
    if v['fixture_engine'] == 'openethereum':
        account = config.get('account', {})
        mining = config.get('mining', {})
        if authority:
            assert account['unlock'] == [v['node_signer_address']]
            assert account['password'] == [v['node_password_file']]
            assert mining['engine_signer'] == v['node_signer_address']
            assert mining['force_sealing'] is True
            assert mining['reseal_on_txs'] == 'none'
        else:
            assert 'unlock' not in account and 'password' not in account
            assert 'engine_signer' not in mining and 'author' not in mining
            assert mining.get('force_sealing', False) is False
        assert mining['min_gas_price'] == v['node_min_gas_price']
    else:
        keystore = ci_get(config, 'KeyStore')
        if authority:
            assert keystore['BlockAuthorAccount'] == v['node_signer_address']
            assert keystore['UnlockAccounts'] == [v['node_signer_address']]
            assert keystore['PasswordFiles'] == [v['node_password_file']]
            assert ci_get(config, 'Aura', 'ForceSealing') is True
        else:
            for key in ('BlockAuthorAccount', 'UnlockAccounts', 'PasswordFiles', 'Passwords', 'EnodeAccount'):
                assert ci_get(keystore, key) is None, key
        assert ci_get(config, 'Init', 'IsMining') is authority
        assert ci_get(config, 'Mining', 'Enabled') is authority
        assert ci_get(config, 'Aura', 'AllowAuRaPrivateChains') is True
        assert ci_get(config, 'Sync', 'FastSync') is False
        assert ci_get(config, 'Blocks', 'MinGasPrice') == v['node_min_gas_price']


@pytest.mark.parametrize('case', CASES)
def test_paths_keys_and_rpc(rendered, case):
    v = load_vars(case)
    config = parse_config(case, rendered[case])
    if v['fixture_engine'] == 'openethereum':
        parity = config['parity']
        assert parity['chain'] == v['node_chain_spec_file']
        assert parity['base_path'] == v['node_runtime_dir']
        assert parity['keys_path'] == v['node_keystore_dir']
        # OpenEthereum has no option for a node key file: it reads <base_path>/network/key.
        assert v['node_node_key_file'] == f"{v['node_runtime_dir']}/network/key"
        # Accounts are read from <keys_path>/<chain spec dataDir or name>/.
        assert Path(v['node_keystore_file']).parent == Path(v['node_keystore_dir']) / v['fixture_chain_data_dir']
        if v.get('node_network_id') is not None:
            assert config['network']['id'] == v['node_network_id']
        rpc = config['rpc']
        assert (rpc['interface'], rpc['port'], rpc['apis']) == (v['node_rpc_host'], v['node_rpc_port'], v['node_rpc_apis'])
        assert rpc.get('disable') is False
        # By default no browser origin, and only Host headers naming the node's own address.
        extra = (v.get('node_extra_config') or {}).get('rpc', {})
        assert rpc['cors'] == extra.get('cors', ['none']) and rpc['hosts'] == extra.get('hosts', ['none'])
        assert config['websockets']['disable'] is True and config['ipc']['disable'] is True
        if openethereum_table_version(v.get('node_openethereum_version', '3.3.5')) == '2.4':
            assert parity['auto_update'] == 'none'
        else:
            assert 'auto_update' not in parity
    else:
        assert ci_get(config, 'Init', 'ChainSpecPath') == v['node_chain_spec_file']
        assert ci_get(config, 'Init', 'BaseDbPath').startswith(v['node_runtime_dir'] + '/')
        assert ci_get(config, 'KeyStore', 'KeyStoreDirectory') == v['node_keystore_dir']
        assert ci_get(config, 'KeyStore', 'EnodeKeyFile') == v['node_node_key_file']
        if v['node_role'] == 'authority':
            # FileKeyStore finds an account's key file by the pattern *<address>*.
            keystore_file = Path(v['node_keystore_file'])
            assert keystore_file.parent == Path(v['node_keystore_dir'])
            assert v['node_signer_address'][2:].lower() in keystore_file.name
        rpc = ci_get(config, 'JsonRpc')
        assert (rpc['Enabled'], rpc['Host'], rpc['Port'], rpc['EnabledModules']) == (
            True, v['node_rpc_host'], v['node_rpc_port'], v['node_rpc_apis'])
        assert ci_get(config, 'Init', 'WebSocketsEnabled') is False


@pytest.mark.parametrize('case', CASES)
def test_an_authority_serves_json_rpc_on_loopback_only_without_admin_namespaces(rendered, case):
    """The cases are what the role renders for its defaults: an unlocked signer stays on loopback."""
    v = load_vars(case)
    config = parse_config(case, rendered[case])
    if v['fixture_engine'] == 'openethereum':
        host, apis = config['rpc']['interface'], config['rpc']['apis']
    else:
        host, apis = ci_get(config, 'JsonRpc', 'Host'), ci_get(config, 'JsonRpc', 'EnabledModules')
    if v['node_role'] == 'authority':
        assert host in ('127.0.0.1', 'localhost', '::1'), host
    assert not {a.lower() for a in apis} & {'personal', 'admin', 'debug', 'miner', 'txpool', 'parity_set', 'parity_accounts'}


@pytest.mark.parametrize('case', CASES)
def test_extra_config_is_merged_over_the_defaults(rendered, case):
    v = load_vars(case)
    config = parse_config(case, rendered[case])
    for section, keys in (v.get('node_extra_config') or {}).items():
        for key, value in keys.items():
            assert ci_get(config, section, key) == value, f'{section}.{key}'


# The checkers themselves must be able to fail.

def test_openethereum_checker_rejects_unknown_and_mistyped_options():
    assert check_openethereum({'rpc': {'port': 8545, 'apis': ['eth']}}, '3.3.5') == []
    assert check_openethereum({'rpc': {'prot': 8545}}, '3.3.5') == ['unknown key [rpc] prot']
    assert check_openethereum({'rpcs': {}}, '3.3.5') == ['unknown section [rpcs]']
    assert check_openethereum({'rpc': {'port': 70000}}, '3.3.5') == ['[rpc] port = 70000 is not a valid u16']
    assert check_openethereum({'rpc': {'port': '8545'}}, '3.3.5') == ["[rpc] port = '8545' is not a valid u16"]
    assert check_openethereum({'network': {'discovery': 'false'}}, '3.3.5') == [
        "[network] discovery = 'false' is not a valid bool"]
    assert check_openethereum({'account': {'unlock': '0xab'}}, '3.3.5') == [
        "[account] unlock = '0xab' is not a valid string_list"]
    assert check_openethereum({'rpc': {'apis': ['eth', 'admin']}}, '3.3.5') == ["[rpc] apis: unknown API 'admin'"]
    assert check_openethereum({'mining': {'min_gas_price': -1}}, '3.3.5') == [
        '[mining] min_gas_price = -1 is not a valid u64']


def test_openethereum_checker_knows_the_version_differences():
    # [metrics] is new in OpenEthereum 3.x; auto_update and [whisper] are gone from it.
    assert check_openethereum({'metrics': {'enable': False}}, '3.3.5') == []
    assert check_openethereum({'metrics': {'enable': False}}, '2.4.9') == ['unknown section [metrics]']
    assert check_openethereum({'parity': {'auto_update': 'none'}}, '2.4.9') == []
    assert check_openethereum({'parity': {'auto_update': 'none'}}, '3.3.5') == ['unknown key [parity] auto_update']
    assert check_openethereum({'rpc': {'apis': ['shh']}}, '2.4.9') == []
    assert check_openethereum({'rpc': {'apis': ['shh']}}, '3.3.5') == ["[rpc] apis: unknown API 'shh'"]
    assert check_openethereum({'ui': {'port': 8180}}, '2.4.9') == ['[ui] port is accepted but ignored by the client']
    with pytest.raises(AssertionError):
        check_openethereum({}, '3.1.0')


def test_nethermind_checker_rejects_unknown_and_mistyped_options():
    assert check_nethermind({'Aura': {'ForceSealing': True}, 'jsonrpc': {'port': 8545}}) == []
    assert check_nethermind({'Aura': {'ForceSealling': True}}) == ['unknown key Aura.ForceSealling']
    assert check_nethermind({'Discovery': {'Enabled': False}}) == ['unknown key Discovery.Enabled']
    assert check_nethermind({'Clique': {}}) == ['unknown section Clique']
    assert check_nethermind({'Network': {'P2PPort': '30303'}}) == ["Network.P2PPort = '30303' is not a valid int32"]
    assert check_nethermind({'Init': {'IsMining': 'true'}}) == ["Init.IsMining = 'true' is not a valid bool"]
    assert check_nethermind({'KeyStore': {'UnlockAccounts': []}}) == [
        'KeyStore.UnlockAccounts = [] is not a valid string_array']
    assert check_nethermind({'KeyStore': {'PasswordFiles': ['/a,b']}}) == [
        "KeyStore.PasswordFiles = ['/a,b'] is not a valid string_array"]
    assert check_nethermind({'Blocks': {'MinGasPrice': 2 ** 63}}) == [
        f'Blocks.MinGasPrice = {2 ** 63} is not a valid uint256']
    assert check_nethermind({'Blocks': {'MinGasPrice': str(2 ** 63)}}) == []
    assert check_nethermind({'Mining': {'BlocksConfig': {}}}) == ['Mining.BlocksConfig has no setter']
    assert check_nethermind({'Pruning': {'Mode': 'hybrid'}, 'Init': {'AutoDump': 'Receipts, Rlp'}}) == []
    assert check_nethermind({'Pruning': {'Mode': 'Archive'}}) == [
        "Pruning.Mode = 'Archive' is not a member of PruningMode"]
    assert check_nethermind({'Init': {'DiagnosticMode': 'MemDb, RpcDb'}}) == [
        "Init.DiagnosticMode = 'MemDb, RpcDb' is not a member of DiagnosticMode"]
    assert check_nethermind({'JsonRpc': {'EnabledModules': ['Eth', 'parity_accounts']}}) == [
        "JsonRpc.EnabledModules: unknown module 'parity_accounts'"]
    with pytest.raises(ValueError):
        parse_json_strict('{"Init": {"IsMining": true, "ismining": false}}')


def test_template_refuses_a_value_toml_cannot_carry(tmp_path):
    """A float in node_extra_config fails the task instead of writing a config the client rejects."""
    case = 'openethereum_rpc'
    play = template_play('bad value', [str(FIXTURES / f'{case}.vars.yml')],
                         TEMPLATE_SETS['openethereum'][:1], tmp_path,
                         extra_vars={'node_extra_config': {'mining': {'min_gas_price': 1.5}}})
    result = run_playbook([play], tmp_path)
    assert result.returncode != 0
    assert 'cannot write 1.5 as a TOML value' in result.stdout + result.stderr
    assert not (tmp_path / 'config.toml').exists()


def test_equivalent_inputs_render_the_same(tmp_path):
    """APIs as a comma-separated string, peers unsorted, repeated or padded, a null
    node_extra_config and a 'v' before the version give the same files as the goldens."""
    if UPDATE:
        pytest.skip('golden files are being rewritten')
    plays = []
    oe = load_vars('openethereum_rpc')
    nm = load_vars('nethermind_rpc')
    p24 = load_vars('parity24_authority')
    variants = {
        'openethereum_rpc': (oe, {'node_rpc_apis': ' eth,net, web3,parity ,traces',
                                  'node_reserved_peers': [f' {e} ' for e in reversed(oe['node_reserved_peers'])]
                                  + oe['node_reserved_peers'][:1]}),
        'nethermind_rpc': (nm, {'node_rpc_apis': 'eth,net,web3,trace', 'node_extra_config': None}),
        'parity24_authority': (p24, {'node_openethereum_version': 'v2.4.9', 'node_extra_config': None}),
    }
    for case, (variables, overrides) in variants.items():
        (tmp_path / case).mkdir()
        plays.append(template_play(case, [str(FIXTURES / f'{case}.vars.yml')],
                                   TEMPLATE_SETS[variables['fixture_engine']], tmp_path / case, extra_vars=overrides))
    result = run_playbook(plays, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    for case, (variables, _overrides) in variants.items():
        for _src, dest, suffix in TEMPLATE_SETS[variables['fixture_engine']]:
            assert (tmp_path / case / dest).read_bytes() == (FIXTURES / f'{case}{suffix}').read_bytes(), (case, dest)
