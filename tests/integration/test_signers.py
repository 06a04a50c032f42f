"""A live change of authorities on the local consortium (Clique): a sixth authority of a new
company is added with site.yml, voted in by the others from their own nodes and seals; then it
is retired, voted out, and its node stops with its keys kept. Runs late: the consortium then
has its five authorities again."""
from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from conftest import LOCAL_INVENTORY, ROOT, json_rpc, run_playbook

from ansible_collections.poa.consortium.plugins.module_utils import status

DELTA = {"ansible_host": "127.0.1.6", "node_p2p_port": 30316, "node_rpc_port": 8516}
DELTA_RPC = "http://127.0.0.1:8516"
UNRELATED = ("--skip-tags", "contracts,bridge")


def inventory(tmp_path: Path, group: str) -> Path:
    """inventories/local plus delta-1 in `group`: authorities (company delta) or retired_authorities."""
    host = dict(DELTA, consortium_inventory_dir=str(LOCAL_INVENTORY))
    if group == "authorities":
        tree = {"authorities": {"children": {"company_delta": {"hosts": {"delta-1": host}}}}}
    else:
        tree = {group: {"hosts": {"delta-1": host}}}
    path = tmp_path / f"delta-{group}.json"
    path.write_text(json.dumps({"all": {"children": tree}}))
    return path


def signers(url: str) -> list[str]:
    return sorted(a.lower() for a in json_rpc(url, "clique_getSigners")["result"])


def sealers_since(url: str, first: int) -> set[str]:
    """The signers of blocks first..head, recovered from their seals."""
    head = int(json_rpc(url, "eth_blockNumber")["result"], 16)
    return {status.block_sealer(json_rpc(url, "eth_getBlockByNumber", [hex(n), False])["result"]).lower()
            for n in range(max(first, 1), head + 1)}


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out after %.0f s waiting for %s" % (timeout, what)
        time.sleep(1)


def stop_delta(build: Path):
    conf = build / "hosts" / "delta-1" / "supervisor" / "supervisord.conf"
    if (conf.parent / "supervisord.pid").exists():
        subprocess.run([str(ROOT / ".venv" / "bin" / "supervisorctl"), "-c", str(conf), "shutdown"],
                       capture_output=True, timeout=60, check=False)


@pytest.fixture()
def live(consortium):
    if consortium.up is not None:
        assert consortium.up.rc == 0, consortium.up.report(4000)
    yield consortium
    stop_delta(consortium.build)  # the session's down.yml does not know delta-1


def test_an_authority_is_added_then_retired_on_the_live_chain(live, tmp_path):
    build = live.build
    before = json.loads((build / "manifest.json").read_text())
    alpha = before["nodes"][0]["rpc_url"]
    five = signers(alpha)
    assert five == sorted(n["address"].lower() for n in before["nodes"])

    # Add: site.yml with delta-1 in the authorities makes its key on its host, starts its node,
    # and the five signers vote it in.
    run = run_playbook("site.yml", build, "-i", str(inventory(tmp_path, "authorities")))
    assert run.rc == 0, run.report(4000)
    added = json.loads((build / "manifest.json").read_text())
    delta = next(n for n in added["nodes"] if n["name"] == "delta-1")
    assert delta["company"] == "delta" and delta["rpc_url"] == DELTA_RPC
    assert added["genesis_hash"] == before["genesis_hash"]
    assert sorted(a.lower() for a in added["genesis_validators"]) == five
    six = sorted(five + [delta["address"].lower()])
    assert signers(alpha) == six and signers(DELTA_RPC) == six
    voted_at = int(json_rpc(alpha, "eth_blockNumber")["result"], 16)
    wait_for(lambda: delta["address"].lower() in sealers_since(alpha, voted_at - 20), 90, "delta-1 to seal a block")
    # the votes that took effect were discarded on every node
    for node in before["nodes"]:
        assert json_rpc(node["rpc_url"], "clique_proposals")["result"] == {}, node["name"]

    # Retire: the chain phase moves delta-1 to the manifest's retired list; a run with --limit
    # does not vote, and says that the retired host still signs.
    retired_inventory = inventory(tmp_path, "retired_authorities")
    chain = run_playbook("chain.yml", build, "-i", str(retired_inventory))
    assert chain.rc == 0, chain.report(4000)
    limited = run_playbook("signers.yml", build, "-i", str(retired_inventory), "--limit", "alpha-1,delta-1")
    assert limited.rc != 0
    flat = " ".join(limited.output.split())
    assert "a run with --limit never votes" in flat and "delta-1 is retired in the inventory but still signs" in flat
    assert signers(alpha) == six

    # The retirement and the re-run after it leave out the phases that do not follow the
    # authorities (PoCo, the bridge); the web interface does (its public list of nodes). The
    # addition above ran every phase.
    run = run_playbook("site.yml", build, "-i", str(retired_inventory), *UNRELATED)
    assert run.rc == 0, run.report(4000)
    retired = json.loads((build / "manifest.json").read_text())
    assert [n["name"] for n in retired["retired"]] == ["delta-1"]
    assert "delta-1" not in [n["name"] for n in retired["nodes"]]
    assert signers(alpha) == five
    assert not (build / "hosts" / "delta-1" / "supervisor" / "supervisord.pid").exists()
    assert (build / "hosts" / "delta-1" / "keystore" / "authority.json").exists()
    # the five go on sealing without it
    head = int(json_rpc(alpha, "eth_blockNumber")["result"], 16)
    wait_for(lambda: int(json_rpc(alpha, "eth_blockNumber")["result"], 16) >= head + 5, 60, "five more blocks")
    again = run_playbook("site.yml", build, "-i", str(retired_inventory), *UNRELATED)
    assert again.rc == 0 and again.changed_total() == 0, again.report(4000)
