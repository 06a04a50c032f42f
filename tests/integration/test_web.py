"""The web interface on the local consortium: nginx (Debian's, with njs) serving the built app,
the public manifest and the filtered JSON-RPC paths; then the browser tests (web/tests:
playwright-core driving Debian's chromium) against the live chains and bridge.
"""
from __future__ import annotations

import json
import os
import shlex
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
from eth_account import Account

from conftest import ROOT, mesh_and_heads, run_playbook

from ansible_collections.poa.consortium.plugins.module_utils import rpc

pytestmark = pytest.mark.integration

VENV_BIN = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin"
STOPPED_NODE = "gamma-1"


def test_the_committed_app_rebuilds_identically(tmp_path):
    """roles/web_ui/files/app is what `npm run build` in web/ writes: type-check, rebuild, compare."""
    web_dir = ROOT / "web"
    checked = subprocess.run(["npx", "tsc", "--noEmit"], cwd=web_dir, capture_output=True, text=True, timeout=300,
                             check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    out = tmp_path / "app"
    built = subprocess.run(["npx", "vite", "build", "--outDir", str(out), "--emptyOutDir"], cwd=web_dir,
                           capture_output=True, text=True, timeout=300, check=False)
    assert built.returncode == 0, built.stdout + built.stderr
    committed = ROOT / "roles" / "web_ui" / "files" / "app"

    def tree(root: Path) -> dict[str, bytes]:
        return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    fresh, kept = tree(out), tree(committed)
    assert sorted(fresh) == sorted(kept), "rebuild npm run build in web/: the committed files differ"
    assert [name for name in fresh if fresh[name] != kept[name]] == []


def http(url: str, body: bytes | None = None, method: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method=method,
                                     headers={"Content-Type": "application/json"} if body is not None else {})
    try:
        with urllib.request.urlopen(request, timeout=15) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def call(url: str, payload) -> tuple[int, object]:
    status, body = http(url, json.dumps(payload).encode())
    return status, json.loads(body)


def wait_for_mesh(nodes: list, chain_id: int, timeout: float) -> bool:
    """A full mesh and one chain in sync (conftest.mesh_and_heads), within timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            w3s = {node["name"]: rpc.connect(node["rpc_url"], chain_id) for node in nodes}
            mesh, in_sync, _peers, _heads = mesh_and_heads(w3s)
            if mesh and in_sync:
                return True
        # a node still starting refuses connections and reads
        except Exception:  # pylint: disable=broad-except
            pass
        time.sleep(1)
    return False


def one(method: str, params: list | None = None, call_id: int = 1) -> dict:
    return {"jsonrpc": "2.0", "id": call_id, "method": method, "params": params or []}


@pytest.fixture(scope="module")
def web(consortium):
    if consortium.up is not None:
        assert consortium.up.rc == 0, consortium.up.report(4000)
    url = consortium.manifest.get("web", {}).get("url")
    assert url, "site.yml did not record the web interface (web.url) in the manifest"
    return SimpleNamespace(
        url=url, build=consortium.build, manifest=consortium.manifest,
        user=rpc.load_keystore_account(str(consortium.build / "demo" / "user.json"),
                                       str(consortium.build / "demo" / "user.password")))


def whitelist_command(build: Path, enabled: bool) -> str:
    """A shell command that switches the foreign bridge's allow-list through its owner, the
    consortium's Safe (playbooks/governance_call.yml: signed on each owner host, executed at M)."""
    call = {"governance_call": {"chain": "foreign", "target": "bridge.foreign.bridge", "artifact": "ForeignBridge",
                                "function": "setWhitelistEnabled", "args": [enabled],
                                "check": {"function": "whitelistEnabled", "args": [], "expect": enabled}}}
    return "cd %s && ANSIBLE_CONFIG=%s ANSIBLE_COLLECTIONS_PATH=%s %s -i %s %s -e %s -e %s" % (
        shlex.quote(str(ROOT)), shlex.quote(str(ROOT / "ansible.cfg")),
        shlex.quote(str(ROOT / ".ansible" / "collections")), shlex.quote(str(VENV_BIN / "ansible-playbook")),
        shlex.quote(str(ROOT / "inventories" / "local")), shlex.quote(str(ROOT / "playbooks" / "governance_call.yml")),
        shlex.quote("consortium_build_dir=%s" % build), shlex.quote(json.dumps(call)))


def test_the_public_manifest_has_the_chain_and_no_host_details(web):
    status, body = http(web.url + "manifest.json")
    assert status == 200
    text = body.decode()
    public = json.loads(text)
    assert public["chain_id"] == web.manifest["chain_id"]
    assert public["genesis_hash"] == web.manifest["genesis_hash"]
    assert [n["name"] for n in public["nodes"]] == [n["name"] for n in web.manifest["nodes"]]
    assert all(n["rpc"] == "rpc/node/" + n["name"] for n in public["nodes"])
    assert public["bridge"]["home"]["bridge"]["address"] == web.manifest["bridge"]["home"]["bridge"]["address"]
    assert [v["name"] for v in public["bridge"]["validator_hosts"]] == ["alpha-1", "beta-1", "gamma-1"]
    for private in ("enode", "rpc_url", "spec_file", "health_url", "127.0.", ":85", ":86", ":87"):
        assert private not in text, "the public manifest shows %r" % private


def test_reads_and_raw_transactions_pass_the_filter(web):
    assert call(web.url + "rpc/home", one("eth_chainId"))[1]["result"] == hex(web.manifest["chain_id"])
    assert call(web.url + "rpc/foreign", one("eth_chainId"))[1]["result"] == hex(web.manifest["bridge"]["foreign"]["chain_id"])
    for node in web.manifest["nodes"]:
        status, answers = call(web.url + "rpc/node/" + node["name"], [one("net_peerCount", [], 1), one("eth_blockNumber", [], 2)])
        assert status == 200 and [a.get("id") for a in answers] == [1, 2], answers
        assert all("result" in a for a in answers), answers

    # Browsers ask for gzip: the filter hands back the node's bytes, so they must come uncompressed.
    request = urllib.request.Request(web.url + "rpc/home", data=json.dumps(one("eth_blockNumber")).encode(),
                                     headers={"Content-Type": "application/json", "Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=15) as answer:
        assert answer.headers.get("Content-Encoding") in (None, "identity")
        assert json.loads(answer.read())["result"].startswith("0x")

    # A transaction the browser signed goes through, and is mined.
    home = web.url + "rpc/home"
    nonce = int(call(home, one("eth_getTransactionCount", [web.user.address, "pending"]))[1]["result"], 16)
    gas_price = int(call(home, one("eth_gasPrice"))[1]["result"], 16)
    signed = Account.sign_transaction({"to": web.user.address, "value": 0, "gas": 21000, "gasPrice": gas_price * 2,
                                       "nonce": nonce, "chainId": web.manifest["chain_id"]}, web.user.key)
    answer = call(home, one("eth_sendRawTransaction", ["0x" + bytes(signed.raw_transaction).hex()]))[1]
    assert "result" in answer, answer
    deadline = time.monotonic() + 60
    receipt = None
    while receipt is None and time.monotonic() < deadline:
        receipt = call(home, one("eth_getTransactionReceipt", [answer["result"]]))[1].get("result")
        time.sleep(0.5)
    assert receipt and receipt["status"] == "0x1", "the raw transaction was not mined: %s" % receipt


@pytest.mark.parametrize("method, params", [
    ("eth_sendTransaction", "signer"),
    ("eth_sign", "signer"),
    ("personal_unlockAccount", "signer"),
    ("admin_addPeer", ["enode://00@127.0.0.1:1"]),
    ("admin_peers", []),
    ("debug_traceTransaction", ["0x" + "00" * 32]),
    ("miner_stop", []),
    ("clique_propose", ["0x" + "11" * 20, True]),
])
def test_other_methods_are_refused_and_never_reach_the_node(web, method, params):
    # alpha-1's signer is unlocked on its node: eth_sendTransaction there would send from it.
    signer = web.manifest["nodes"][0]
    if params == "signer":
        params = [{"from": signer["address"], "to": signer["address"], "value": "0x0"}] if method == "eth_sendTransaction" \
            else [signer["address"], "0x00"]
    before = int(json.loads(http(signer["rpc_url"], json.dumps(
        one("eth_getTransactionCount", [signer["address"], "pending"])).encode())[1])["result"], 16)
    for path in ("rpc/home", "rpc/node/" + signer["name"], "rpc/foreign"):
        status, answer = call(web.url + path, one(method, params, 7))
        assert status == 200 and answer["id"] == 7, answer
        assert answer["error"]["code"] == -32601 and "not allowed" in answer["error"]["message"], answer
    after = int(json.loads(http(signer["rpc_url"], json.dumps(
        one("eth_getTransactionCount", [signer["address"], "pending"])).encode())[1])["result"], 16)
    assert after == before, "a refused call reached the node: its signer's nonce moved"


def test_a_batch_with_one_refused_call_sends_none_of_it(web):
    status, answers = call(web.url + "rpc/home", [one("eth_blockNumber", [], 1), one("admin_nodeInfo", [], 2)])
    assert status == 200
    assert [a["id"] for a in answers] == [1, 2]
    assert all("error" in a and "result" not in a for a in answers), answers
    assert answers[1]["error"]["code"] == -32601


def test_malformed_requests_get_json_rpc_errors(web):
    status, body = http(web.url + "rpc/home")
    assert status == 405 and json.loads(body)["error"]["code"] == -32600
    status, body = http(web.url + "rpc/home", b"not json")
    assert status == 400 and json.loads(body)["error"]["code"] == -32700
    status, body = http(web.url + "rpc/home", b"[]")
    assert status == 400 and json.loads(body)["error"]["code"] == -32600
    status, body = http(web.url + "rpc/home", json.dumps({"jsonrpc": "2.0", "id": 3}).encode())
    assert json.loads(body)["error"]["code"] == -32600


def test_each_validator_health_is_served_read_only(web):
    status, body = http(web.url + "manifest.json")
    for validator in json.loads(body)["bridge"]["validator_hosts"]:
        status, body = http(web.url + validator["health"])
        assert status == 200
        assert json.loads(body)["validator"] == validator["address"]
        assert http(web.url + validator["health"], b"{}")[0] == 403


def test_a_rerun_changes_nothing_and_check_mode_predicts_a_change_without_making_it(web):
    again = run_playbook("web.yml", web.build)
    assert again.rc == 0, again.report()
    assert again.changed_total() == 0, again.report()

    before = http(web.url + "manifest.json")[1]
    check = run_playbook("web.yml", web.build, "--check", "--diff", "-e", "web_ui_foreign_chain_name=Sepolia")
    assert check.rc == 0, check.report()
    assert check.recap()["web-1"]["changed"] >= 1, check.report()
    assert '+            "name": "Sepolia"' in check.output, check.report()
    assert http(web.url + "manifest.json")[1] == before


def test_the_browser_tests_pass_on_the_live_chains(web):
    """web/tests (node --test): deposit and withdrawal through the page with an injected wallet,
    a reload mid-transfer, each user error, and a stopped node turning red."""
    ctl = "%s -c %s" % (VENV_BIN / "supervisorctl", web.build / "hosts" / STOPPED_NODE / "supervisor" / "supervisord.conf")
    env = dict(os.environ, WEB_URL=web.url,
               WEB_TEST_KEY="0x" + bytes(web.user.key).hex(),
               WEB_TEST_WHITELIST_ON=whitelist_command(web.build, True),
               WEB_TEST_WHITELIST_OFF=whitelist_command(web.build, False),
               WEB_TEST_STOPPED_NODE=STOPPED_NODE,
               WEB_TEST_STOP_NODE="%s stop %s" % (ctl, shlex.quote(STOPPED_NODE)),
               WEB_TEST_START_NODE="%s start %s" % (ctl, shlex.quote(STOPPED_NODE)))
    try:
        proc = subprocess.run(["npm", "test", "--prefix", str(ROOT / "web")], env=env, capture_output=True,
                              text=True, timeout=1500, check=False)
    finally:
        subprocess.run(shlex.split("%s start %s" % (ctl, STOPPED_NODE)), capture_output=True, timeout=60, check=False)
        # The tests after this one start from a whole mesh, as they would without it.
        in_sync = wait_for_mesh(web.manifest["nodes"], web.manifest["chain_id"], 120)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-8000:]
    assert in_sync, "the nodes were not meshed and level 120 s after %s came back" % STOPPED_NODE
    assert "# fail 0" in proc.stdout and "# pass 0" not in proc.stdout, proc.stdout[-3000:]
