# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The poco role's npm artifacts fetched by name and version into its cache, through ansible-playbook.

A local HTTP server stands for the npm registry (poco_npm_registry), serving the tarballs that
set-up packed from registry.npmjs.org (build/npm, `npm pack`) at the registry's paths, and counts
the requests. The role's fetch tasks (tasks/fetch.yml, which tasks/main.yml imports first) must:
download both tarballs into poco_npm_cache_dir and unpack them there; on a re-run download nothing
and report no change; refuse a tarball whose sha512 is not the pinned one, keeping nothing of it;
fetch nothing when poco_npm_dir names an npm tree. Skipped when set-up has not packed the tarballs.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from conftest import RECAP

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PINS = yaml.safe_load((ROOT / "roles" / "poco" / "vars" / "main.yml").read_text())["poco_npm_packages"]
PACKED = ROOT / "build" / "npm"
# `npm pack` names the tarball after the package (scope folded in); the registry, after its path.
PACKED_NAMES = {"poco": "iexec-poco-6.1.0.tgz", "rlc": "rlc-faucet-contract-2.0.0.tgz"}


def _packed(key: str) -> Path:
    path = PACKED / PACKED_NAMES[key]
    if not path.is_file():
        pytest.skip(f"{path} not found: run scripts/setup.sh (it packs the pinned npm tarballs)")
    return path


@pytest.fixture
def registry(tmp_path):
    """A registry on 127.0.0.1 serving the packed tarballs at their registry paths; `requests`
    lists the paths asked for, `root` is where the files are (a test may change them)."""
    root = tmp_path / "registry"
    for key, pin in PINS.items():
        dest = root / pin["path"]
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_packed(key), dest)
    requests: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def do_GET(self):  # noqa: N802 (http.server's name)
            requests.append(self.path)
            super().do_GET()

        def log_message(self, *args):  # quiet
            del args

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield type("Registry", (), {"url": f"http://127.0.0.1:{server.server_address[1]}", "root": root,
                                    "requests": requests})
    finally:
        server.shutdown()
        server.server_close()


def fetch(tmp_path: Path, registry, cache: Path, **extra) -> tuple[int, int, str]:
    """The role's fetch tasks on localhost; returns (rc, changed, output)."""
    playbook = tmp_path / "fetch.yml"
    role_vars = {"poco_npm_registry": registry.url, "poco_npm_cache_dir": str(cache), **extra}
    playbook.write_text(yaml.safe_dump([{
        "hosts": "localhost", "connection": "local", "gather_facts": False,
        "tasks": [{"name": "Fetch", "ansible.builtin.include_role": {"name": "poa.consortium.poco", "tasks_from": "fetch"},
                   "vars": role_vars}],
    }], sort_keys=False))
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".ansible" / "collections"),
               ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_NOCOLOR="1")
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", str(playbook)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=str(tmp_path), check=False)
    recap = {host: int(changed) for host, _ok, changed, _un, _failed in RECAP.findall(proc.stdout)}
    return proc.returncode, recap.get("localhost", -1), proc.stdout + proc.stderr


def test_pins_are_the_registry_tarballs():
    """The pinned sha512 is that of the tarballs `npm pack` fetched from the registry by name and version."""
    for key, pin in PINS.items():
        assert hashlib.sha512(_packed(key).read_bytes()).hexdigest() == pin["sha512"], pin["name"]


def test_fetch_unpacks_into_the_cache_then_uses_it(tmp_path, registry):
    cache = tmp_path / "cache" / "npm"
    rc, changed, out = fetch(tmp_path, registry, cache)
    assert rc == 0, out
    assert changed > 0, out
    assert sorted(registry.requests) == sorted("/" + pin["path"] for pin in PINS.values()), registry.requests
    assert (cache / "iexec-poco-6.1.0" / "artifacts" / "contracts" / "Diamond.sol" / "Diamond.json").is_file()
    assert (cache / "iexec-poco-6.1.0" / "package.json").is_file()
    assert (cache / "rlc-faucet-contract-2.0.0" / "build" / "contracts" / "RLC.json").is_file()
    for pin in PINS.values():
        tarball = cache / Path(pin["path"]).name
        assert hashlib.sha512(tarball.read_bytes()).hexdigest() == pin["sha512"]

    # Served no more: a re-run that asked the registry would fail, so it must use the cache.
    shutil.rmtree(registry.root)
    registry.requests.clear()
    rc, changed, out = fetch(tmp_path, registry, cache)
    assert rc == 0, out
    assert changed == 0, out
    assert registry.requests == [], registry.requests


def test_a_tarball_that_is_not_the_pinned_one_is_refused(tmp_path, registry):
    served = registry.root / PINS["poco"]["path"]
    data = bytearray(served.read_bytes())
    data[len(data) // 2] ^= 0x01
    served.write_bytes(bytes(data))
    cache = tmp_path / "cache"
    rc, _changed, out = fetch(tmp_path, registry, cache)
    assert rc != 0, out
    assert "checksum" in out and "did not match" in out, out
    assert "/" + PINS["poco"]["path"] in registry.requests
    # Nothing of it is kept: neither the tarball nor anything unpacked.
    assert not (cache / Path(PINS["poco"]["path"]).name).exists()
    assert not (cache / "iexec-poco-6.1.0" / "package.json").exists()


def test_a_cached_tarball_that_is_not_the_pinned_one_is_replaced(tmp_path, registry):
    cache = tmp_path / "cache"
    cache.mkdir()
    stale = cache / Path(PINS["rlc"]["path"]).name
    stale.write_bytes(b"not the pinned tarball")
    rc, _changed, out = fetch(tmp_path, registry, cache)
    assert rc == 0, out
    assert "/" + PINS["rlc"]["path"] in registry.requests
    assert hashlib.sha512(stale.read_bytes()).hexdigest() == PINS["rlc"]["sha512"]


def test_an_npm_tree_given_is_used_as_it_is(tmp_path, registry):
    cache = tmp_path / "cache"
    rc, changed, out = fetch(tmp_path, registry, cache, poco_npm_dir=str(tmp_path / "node_modules"))
    assert rc == 0, out
    assert changed == 0, out
    assert registry.requests == [] and not cache.exists()
