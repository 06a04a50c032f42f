"""The authority phase on inventories/local: real ansible-playbook runs, real files."""
from __future__ import annotations

import json
import stat
from types import SimpleNamespace
from pathlib import Path

import pytest
from eth_account import Account

from conftest import run_playbook

HOSTS = ["alpha-1", "alpha-2", "beta-1", "beta-2", "gamma-1"]


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    """Run the authority phase twice (-vvv) with a private ansible temp dir and log file."""
    base = tmp_path_factory.mktemp("authority")
    build = base / "build"
    controller = base / "controller"  # everything Ansible writes on the controller side
    controller.mkdir()
    env = {
        "ANSIBLE_LOCAL_TEMP": str(controller / "tmp"),
        "ANSIBLE_LOG_PATH": str(controller / "ansible.log"),
        "ANSIBLE_KEEP_REMOTE_FILES": "0",
    }
    first = run_playbook("authorities.yml", build, "-vvv", env=env)
    second = run_playbook("authorities.yml", build, "-vvv", env=env)
    return SimpleNamespace(build=build, controller=controller, first=first, second=second)


def host_dir(build: Path, host: str) -> Path:
    return build / "hosts" / host


def test_first_run_creates_five_identities(deployed):
    build, first = deployed.build, deployed.first
    assert first.rc == 0, first.report(3000)
    assert set(first.recap()) == set(HOSTS)
    addresses = set()
    for host in HOSTS:
        keystore = host_dir(build, host) / "keystore" / "authority.json"
        data = json.loads(keystore.read_text())
        assert data["version"] == 3 and data["crypto"]["kdf"] == "scrypt"
        addresses.add(data["address"])
        for secret in (keystore, host_dir(build, host) / "secrets" / "authority.password",
                       host_dir(build, host) / "nodekey"):
            assert stat.S_IMODE(secret.stat().st_mode) == 0o600, secret
    assert len(addresses) == 5


def test_second_run_changes_nothing(deployed):
    second = deployed.second
    assert second.rc == 0, second.report(3000)
    recap = second.recap()
    assert set(recap) == set(HOSTS)
    assert all(h["changed"] == 0 for h in recap.values()), recap


def test_published_facts_are_public_and_consistent(deployed):
    build, first = deployed.build, deployed.first
    for host in HOSTS:
        password = (host_dir(build, host) / "secrets" / "authority.password").read_text()
        keystore = json.loads((host_dir(build, host) / "keystore" / "authority.json").read_text())
        key = Account.decrypt(keystore, password)
        address = Account.from_key(key).address
        # The address shown in the run output is the one the keystore holds.
        assert address in first.output


def _secrets(build: Path) -> list[str]:
    """Every private value the run made, in the spellings it could leak in."""
    found = []
    for host in HOSTS:
        d = host_dir(build, host)
        password = (d / "secrets" / "authority.password").read_text().strip()
        keystore = json.loads((d / "keystore" / "authority.json").read_text())
        authority_key = bytes(Account.decrypt(keystore, password)).hex()
        node_key = (d / "nodekey").read_text().strip().removeprefix("0x")
        assert len(password) >= 16 and len(authority_key) == 64 and len(node_key) == 64
        found += [password, authority_key, authority_key.upper(), node_key, node_key.upper()]
    return found


def test_no_secret_in_output_or_controller_files(deployed):
    build, controller, first, second = deployed.build, deployed.controller, deployed.first, deployed.second
    secrets = _secrets(build)
    # Controller-side files: everything the run wrote outside the hosts' own directories.
    controller_files = [p for p in controller.rglob("*") if p.is_file()]
    controller_files += [p for p in build.rglob("*") if p.is_file() and "hosts" not in p.relative_to(build).parts]
    assert (controller / "ansible.log").is_file()
    texts = {"first run output": first.output, "second run output": second.output}
    for p in controller_files:
        texts[str(p)] = p.read_bytes().decode("utf-8", "replace")
    for where, text in texts.items():
        for secret in secrets:
            assert secret not in text, f"a private value leaked into {where}"


def test_check_mode_on_a_fresh_inventory_writes_nothing(build_dir):
    run = run_playbook("authorities.yml", build_dir, "--check", "--diff")
    assert run.rc == 0, run.report(3000)
    assert all(h["changed"] > 0 for h in run.recap().values()), run.recap()
    assert list(build_dir.iterdir()) == []


def test_wrong_vault_password_fails_clearly_and_keeps_the_keystore(deployed):
    build = deployed.build
    keystore = host_dir(build, "gamma-1") / "keystore" / "authority.json"
    before = keystore.read_bytes()
    run = run_playbook("authorities.yml", build, "--limit", "gamma-1", "-e", "authority_password=not-the-password")
    assert run.rc != 0
    assert "wrong password" in run.output.lower() or "cannot decrypt" in run.output.lower(), run.report(2000)
    assert "not-the-password" not in run.output
    assert keystore.read_bytes() == before
