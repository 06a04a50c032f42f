"""The chain phase on inventories/local: spec rendered from the gathered authorities, manifest, copies."""
from __future__ import annotations

import json
import shutil
from types import SimpleNamespace

import pytest

from conftest import LOCAL_INVENTORY, free_ports, run_playbook

from ansible_collections.poa.consortium.plugins.module_utils import genesis

HOSTS = ["alpha-1", "alpha-2", "beta-1", "beta-2", "gamma-1"]


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    build = tmp_path_factory.mktemp("chain") / "build"
    build.mkdir()
    assert run_playbook("authorities.yml", build).rc == 0
    # The chain phase alone, in a new run: it loads the identities itself.
    first = run_playbook("chain.yml", build)
    again = run_playbook("chain.yml", build)
    return SimpleNamespace(build=build, first=first, again=again)


def test_manifest_lists_every_authority_in_order(chain):
    build, first = chain.build, chain.first
    assert first.rc == 0, first.report(3000)
    manifest = json.loads((build / "manifest.json").read_text())
    assert [n["name"] for n in manifest["nodes"]] == HOSTS
    assert {n["company"] for n in manifest["nodes"]} == {"alpha", "beta", "gamma"}
    for node in manifest["nodes"]:
        keystore = json.loads((build / "hosts" / node["name"] / "keystore" / "authority.json").read_text())
        assert node["address"].lower() == "0x" + keystore["address"]
        assert node["enode"].startswith("enode://") and node["role"] == "authority"
    assert manifest["chain_id"] == 133713 and manifest["engine"] == "geth"


def test_genesis_hash_is_that_of_the_spec_every_node_holds(chain):
    build = chain.build
    manifest = json.loads((build / "manifest.json").read_text())
    spec = json.loads((build / "chain" / "genesis.json").read_text())
    assert genesis.genesis_hash(spec) == manifest["genesis_hash"]
    aura = json.loads((build / "chain" / "spec.json").read_text())
    assert genesis.genesis_hash(aura) == manifest["genesis_hashes"]["parity"]
    # The validators in both formats are the authorities, in the manifest's order.
    addresses = [n["address"] for n in manifest["nodes"]]
    assert [a.lower() for a in aura["engine"]["authorityRound"]["params"]["validators"]["list"]] == [a.lower() for a in addresses]
    extra = bytes.fromhex(spec["extraData"][2:])
    # Clique lists its signers in ascending order (EIP-225 checkpoint layout).
    assert [("0x" + extra[32 + 20 * i:52 + 20 * i].hex()) for i in range(5)] == sorted(a.lower() for a in addresses)
    for host in HOSTS:
        assert (build / "hosts" / host / "chain" / "genesis.json").read_bytes() == (build / "chain" / "genesis.json").read_bytes()


def test_chain_phase_alone_is_idempotent(chain):
    again = chain.again
    assert again.rc == 0, again.report(3000)
    assert again.changed_total() == 0, again.recap()


def test_the_inventorys_own_paths_work_on_the_controller(tmp_path):
    # `make up` passes no build dir: the inventory's default (relative to inventory_dir) must
    # resolve in the plays on the implicit localhost too, where Ansible sets no inventory_dir.
    inventory = tmp_path / "inventories" / "local"
    shutil.copytree(LOCAL_INVENTORY, inventory)
    for playbook in ("authorities.yml", "chain.yml"):
        run = run_playbook(playbook, None, inventory=inventory)
        assert run.rc == 0, run.report(3000)
    manifest = json.loads((tmp_path / "build" / "local" / "manifest.json").read_text())
    assert [n["name"] for n in manifest["nodes"]] == HOSTS
    # A copy under another name writes into a build directory of its own.
    other = tmp_path / "inventories" / "staging"
    shutil.copytree(LOCAL_INVENTORY, other)
    run = run_playbook("authorities.yml", None, inventory=other)
    assert run.rc == 0, run.report(3000)
    assert (tmp_path / "build" / "staging" / "hosts" / "alpha-1" / "keystore" / "authority.json").exists()
    assert json.loads((tmp_path / "build" / "local" / "manifest.json").read_text()) == manifest


def copy_of(chain, tmp_path):
    """A copy of the chain fixture's build directory (its hosts' keys included) to change freely."""
    build = tmp_path / "build"
    shutil.copytree(chain.build, build)
    return build


def test_a_recorded_chain_keeps_its_genesis_until_a_new_chain_is_asked_for(chain, tmp_path):
    build = copy_of(chain, tmp_path)
    spec = (build / "chain" / "genesis.json").read_bytes()
    refused = run_playbook("chain.yml", build, "-e", "chain_spec_step_duration=3")
    assert refused.rc != 0 and "Changed: step duration." in refused.output
    assert (build / "chain" / "genesis.json").read_bytes() == spec
    # No node runs this chain yet: a new chain on purpose is rendered and recorded. (The check
    # looks for a node on each host's JSON-RPC port; the local consortium of the other tests may
    # be up on the inventory's ports, so this run names one that no node serves.)
    fresh = run_playbook("chain.yml", build, "-e", "chain_spec_step_duration=3", "-e", "chain_spec_new_chain=true",
                         "-e", "node_rpc_port=%d" % free_ports(range(18900, 18950), 1)[0])
    assert fresh.rc == 0, fresh.report(3000)
    assert json.loads((build / "chain" / "genesis.json").read_text())["config"]["clique"]["period"] == 3


def test_a_known_authority_with_another_key_fails_before_anything_changes(chain, tmp_path):
    build = copy_of(chain, tmp_path)
    keystore = build / "hosts" / "beta-2" / "keystore" / "authority.json"
    keystore.write_text((build / "hosts" / "beta-1" / "keystore" / "authority.json").read_text())
    (build / "hosts" / "beta-2" / "secrets" / "authority.password").write_text(
        (build / "hosts" / "beta-1" / "secrets" / "authority.password").read_text())
    manifest = json.loads((build / "manifest.json").read_text())
    expected = next(n["address"] for n in manifest["nodes"] if n["name"] == "beta-2")
    run = run_playbook("chain.yml", build)
    assert run.rc != 0
    assert f"but the consortium manifest records {expected} for this authority" in run.output
    assert "restore the keystore from your backup, or retire this host" in run.output
    assert json.loads((build / "manifest.json").read_text()) == manifest


def test_down_keeps_the_record_unless_the_inventory_asks_to_destroy(chain, tmp_path):
    build = copy_of(chain, tmp_path)
    kept = run_playbook("down.yml", build, "-e", "consortium_destroy_on_down=false")
    assert kept.rc == 0, kept.report(3000)
    assert (build / "manifest.json").exists() and (build / "chain" / "genesis.json").exists()
    assert all((build / "hosts" / host / "keystore" / "authority.json").exists() for host in HOSTS)
    assert "Kept: the keys on each host, and the manifest and chain spec" in kept.output
    destroyed = run_playbook("down.yml", build)  # inventories/local sets consortium_destroy_on_down
    assert destroyed.rc == 0, destroyed.report(3000)
    assert not build.exists()


def test_an_inventory_without_authorities_is_told_so(tmp_path):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  children:\n    authorities:\n      hosts: {}\n")
    run = run_playbook("site.yml", tmp_path / "build", inventory=inventory)
    assert run.rc != 0
    assert "no authority hosts in group 'authorities'" in run.output
    assert not (tmp_path / "build").exists()


@pytest.mark.parametrize("extra, told", [
    ("", "the inventory must set consortium_build_dir"),
    ("consortium_build_dir: BUILD\nconsortium_manifest_path: BUILD/manifest.json\nconsortium_engine: besu\n",
     "consortium_engine must be geth, openethereum or nethermind (it is besu)"),
    ("consortium_build_dir: BUILD\nconsortium_manifest_path: BUILD/manifest.json\nconsortium_deployer: nobody\n",
     "must be a host of the authorities group (it is nobody)"),
])
def test_a_user_inventory_missing_a_global_is_told_before_any_host_is_touched(tmp_path, extra, told):
    """A user's own inventory, written from the docs: what it lacks is named at the start."""
    build = tmp_path / "build"
    inventory = tmp_path / "inv"
    (inventory / "group_vars").mkdir(parents=True)
    (inventory / "hosts.yml").write_text(
        "all:\n  children:\n    authorities:\n      hosts:\n        a-1:\n          ansible_host: 127.0.3.1\n"
        "          ansible_connection: local\n")
    (inventory / "group_vars" / "all.yml").write_text("---\n" + extra.replace("BUILD", str(build)))
    run = run_playbook("site.yml", None, inventory=inventory)
    assert run.rc != 0
    assert told in run.output, run.report(3000)
    assert "TASK [poa.consortium.authority" not in run.output, run.report(3000)
    assert not build.exists()


def test_check_keys_confirms_a_restored_keystore_and_refuses_another(chain, tmp_path):
    build = copy_of(chain, tmp_path)
    keystore = build / "hosts" / "gamma-1" / "keystore" / "authority.json"
    backup = keystore.read_bytes()
    keystore.unlink()
    missing = run_playbook("check_keys.yml", build)
    assert missing.rc != 0 and f"but its keystore {keystore} is missing" in missing.output
    assert not keystore.exists()
    keystore.write_bytes(backup)  # restored from the backup, owner-only as it was
    keystore.chmod(0o600)
    restored = run_playbook("check_keys.yml", build)
    assert restored.rc == 0, restored.report(3000)
    assert restored.changed_total() == 0 and "as the manifest records" in restored.output


def test_two_hosts_with_one_key_are_named_before_a_spec_is_written(chain, tmp_path):
    build = copy_of(chain, tmp_path)
    (build / "manifest.json").unlink()  # a consortium being set up: no recorded chain yet
    shutil.rmtree(build / "chain")
    for name in ("keystore/authority.json", "secrets/authority.password"):
        (build / "hosts" / "beta-2" / name).write_bytes((build / "hosts" / "alpha-1" / name).read_bytes())
    run = run_playbook("chain.yml", build)
    assert run.rc != 0
    assert (f"alpha-1 ({build}/hosts/alpha-1/keystore/authority.json) and beta-2 "
            f"({build}/hosts/beta-2/keystore/authority.json) hold the same authority key") in run.output
    assert not (build / "manifest.json").exists() and not (build / "chain" / "genesis.json").exists()


def test_nodes_before_the_chain_phase_say_the_manifest_is_missing(tmp_path):
    build = tmp_path / "build"
    run = run_playbook("nodes.yml", build)
    assert run.rc != 0
    assert f"the consortium manifest {build}/manifest.json is missing: run playbooks/chain.yml" in run.output
