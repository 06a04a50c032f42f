"""The node keeper: who dials whom and when, when sealing starts, and its IPC client against a
real unix socket that answers like geth."""
from __future__ import annotations

import json
import os
import socket
import threading

import pytest

from ansible_collections.poa.consortium.plugins.module_utils import node_keeper
from ansible_collections.poa.consortium.plugins.module_utils.node_keeper import (
    DIAL_GRACE, NUDGE_GRACE, REDIAL_PAUSE, SEAL_GRACE, STALL_GRACE, SYNC_CYCLE, Keeper)


def enode(node_id: str, port: int) -> str:
    return f"enode://{node_id}@127.0.1.1:{port}"


LOW, MID, HIGH, TOP = ("1" * 128, "5" * 128, "a" * 128, "f" * 128)


class FakeGeth:
    """Answers the keeper's calls as geth would; records what it was asked to do."""

    def __init__(self, node_id: str, mining: bool = False, in_turn: bool = True, unlocked: bool = True):
        self.node_id = node_id
        self.mining = mining
        self.unlocked = unlocked
        self.head = 0
        # Clique's signers; this node is the in-turn signer of block 1 (1 mod 2) or not.
        self.signers = ["0x" + "0a" * 20, "0x" + "0b" * 20]
        self.coinbase = self.signers[1] if in_turn else self.signers[0]
        self.connected: set[str] = set()
        self.added: list[str] = []
        self.trusted: list[str] = []
        self.removed: list[str] = []
        self.calls: list[str] = []

    def __call__(self, method, params=None):
        self.calls.append(method)
        if method == "admin_nodeInfo":
            return {"enode": enode(self.node_id, 30300)}
        if method == "eth_mining":
            return self.mining
        if method == "admin_peers":
            return [{"id": "hash-of-" + peer, "enode": enode(peer, 30399)} for peer in sorted(self.connected)]
        if method == "admin_addPeer":
            self.added.append(params[0])
            return True
        if method == "admin_removePeer":
            self.removed.append(params[0])
            self.connected.discard(params[0].split("@")[0].removeprefix("enode://"))
            return True
        if method == "admin_addTrustedPeer":
            self.trusted.append(params[0])
            return True
        if method == "eth_blockNumber":
            return hex(self.head)
        if method == "clique_getSigners":
            return list(reversed(self.signers))
        if method == "eth_coinbase":
            return self.coinbase
        if method == "eth_sign":
            if not self.unlocked:
                raise RuntimeError("eth_sign: authentication needed: password or unlock")
            return "0x" + "11" * 65
        if method == "miner_start":
            self.mining = True
            return None
        raise AssertionError(f"unexpected call {method}")


def keeper_for(geth: FakeGeth, peer_ids, open_ports, seal=True):
    peers = [enode(peer_id, 30301 + index) for index, peer_id in enumerate(peer_ids)]
    keeper = Keeper(peers, seal, geth, reachable=lambda endpoint: endpoint[1] in open_ports, log=lambda *_args: None)
    keeper.reset(0.0)
    return keeper, peers


def test_the_lower_id_dials_at_once_and_the_higher_only_after_the_grace():
    geth = FakeGeth(MID)
    keeper, peers = keeper_for(geth, [LOW, HIGH], open_ports={30301, 30302})
    keeper.step(1.0)
    assert geth.added == [peers[1]]  # MID < HIGH: dials HIGH; LOW dials MID
    keeper.step(1.0 + DIAL_GRACE - 0.1)
    assert geth.added == [peers[1]]
    keeper.step(1.0 + DIAL_GRACE)
    assert geth.added == [peers[1], peers[0]]  # still apart from LOW after the grace: dial it too


def test_a_peer_whose_port_is_closed_is_not_dialed_and_its_grace_starts_when_it_opens():
    geth = FakeGeth(HIGH)
    open_ports: set[int] = set()
    keeper, peers = keeper_for(geth, [LOW], open_ports)
    keeper.step(1.0)
    keeper.step(20.0)
    assert geth.added == []
    open_ports.add(30301)
    keeper.step(21.0)
    assert geth.added == []  # LOW dials first
    keeper.step(21.0 + DIAL_GRACE)
    assert geth.added == [peers[0]]


def test_a_dialed_or_connected_peer_is_left_to_geth_until_geth_restarts():
    geth = FakeGeth(LOW)
    keeper, peers = keeper_for(geth, [MID, HIGH], open_ports={30301, 30302})
    geth.connected.add(HIGH)
    keeper.step(1.0)
    keeper.step(2.0)
    assert geth.added == [peers[0]]
    keeper.reset(50.0)  # a new geth process: no static peers any more
    geth.connected.clear()
    keeper.step(50.5)
    assert geth.added == [peers[0], peers[0], peers[1]]


def test_sealing_waits_for_every_peer_then_starts_once():
    geth = FakeGeth(LOW)
    keeper, _peers = keeper_for(geth, [MID, HIGH, TOP], open_ports=set())
    geth.connected = {MID, HIGH}
    keeper.step(1.0)
    assert "miner_start" not in geth.calls
    geth.connected.add(TOP)
    keeper.step(2.0)
    keeper.step(3.0)
    assert geth.calls.count("miner_start") == 1 and geth.mining


def test_sealing_waits_until_geth_has_unlocked_the_signer():
    """A lone node (no peer, no transaction) that starts sealing before geth unlocked its key
    fails that first attempt and is never asked to seal again."""
    geth = FakeGeth(LOW, unlocked=False)
    keeper, _peers = keeper_for(geth, [], open_ports=set())
    keeper.step(1.0)
    keeper.step(2.0)
    assert "miner_start" not in geth.calls and not keeper.sealing
    geth.unlocked = True
    keeper.step(2.5)
    assert geth.calls.count("miner_start") == 1 and geth.mining


def test_after_a_start_only_the_in_turn_signer_seals_first_and_the_others_follow_its_block():
    """The head is old after a start: a node not in turn for the next block waits for a new block
    (or the grace), so the nodes do not all seal rival next blocks at once."""
    geth = FakeGeth(LOW, in_turn=False)
    keeper, _peers = keeper_for(geth, [MID], open_ports=set())
    geth.connected = {MID}
    keeper.step(1.0)
    keeper.step(2.0)
    assert not geth.mining
    geth.head = 1  # the in-turn signer's block arrived
    keeper.step(3.0)
    assert geth.mining
    late = FakeGeth(LOW, in_turn=False)
    keeper, _peers = keeper_for(late, [MID, HIGH], open_ports=set())
    late.connected = {MID}
    keeper.step(0.0)
    keeper.step(SEAL_GRACE - 1)
    assert not late.mining
    keeper.step(SEAL_GRACE + 1)  # a peer is missing, maybe the in-turn signer: the grace starts sealing
    assert late.mining


def test_a_node_waiting_for_a_new_block_reconnects_its_peers_so_that_geth_syncs_it():
    """geth drops the in-turn signer's block until it has synced or seals: a node that waits for
    that block reconnects its peers (the handshake tells geth who is ahead), and does not seal on
    its own meanwhile, not even while its peers are being dialed again after the grace."""
    geth = FakeGeth(LOW, in_turn=False)
    keeper, peers = keeper_for(geth, [MID, HIGH], open_ports={30301, 30302})
    geth.connected = {MID, HIGH}
    keeper.step(1.0)
    keeper.step(1.0 + NUDGE_GRACE - 0.1)
    assert geth.removed == [] and not geth.mining
    keeper.step(1.0 + NUDGE_GRACE)
    assert sorted(geth.removed) == sorted(peers) and not geth.mining
    geth.added.clear()
    keeper.step(SEAL_GRACE + 2)  # the lower id dials again at once; the peers are not back yet
    assert sorted(geth.added) == sorted(peers) and not geth.mining
    geth.connected = {MID, HIGH}
    keeper.step(SEAL_GRACE + 3)
    assert not geth.mining
    geth.head = 1  # synced from the peer ahead
    keeper.step(SEAL_GRACE + 4)
    assert geth.mining and len(geth.removed) == 2


def test_with_every_peer_and_no_new_block_a_node_seals_after_the_stall_and_reconnects_once_a_sync_cycle():
    """The in-turn signer may be no node of ours: then nobody would ever seal first."""
    geth = FakeGeth(LOW, in_turn=False)
    keeper, _peers = keeper_for(geth, [MID], open_ports={30301})
    nudges = []
    second = 0.0
    while second < STALL_GRACE - 0.5:
        geth.connected = {MID}  # redialed at once
        before = len(geth.removed)
        keeper.step(second)
        if len(geth.removed) > before:
            nudges.append(second)
        assert not geth.mining, second
        second += 0.5
    assert nudges[0] == NUDGE_GRACE and all(b - a >= SYNC_CYCLE for a, b in zip(nudges, nudges[1:])), nudges
    geth.connected = {MID}
    keeper.step(STALL_GRACE)
    assert geth.mining


def test_after_the_grace_a_steady_majority_of_nodes_is_enough_and_less_is_not():
    geth = FakeGeth(LOW)
    keeper, _peers = keeper_for(geth, [MID, HIGH, TOP, "2" * 128], open_ports=set())
    geth.connected = {MID}  # 2 of 5 nodes
    keeper.step(0.0)
    keeper.step(SEAL_GRACE + 100)
    assert not geth.mining
    geth.connected.add(HIGH)  # 3 of 5, from now on
    keeper.step(200.0)
    keeper.step(200.0 + SEAL_GRACE - 0.5)
    assert not geth.mining
    geth.connected.discard(HIGH)  # peers that come and go (reconnections) start the grace again
    keeper.step(200.0 + SEAL_GRACE - 0.2)
    geth.connected.add(HIGH)
    keeper.step(200.0 + SEAL_GRACE)
    assert not geth.mining
    keeper.step(200.0 + 2 * SEAL_GRACE)
    assert geth.mining


def test_a_node_that_does_not_seal_never_starts_the_miner_and_one_already_sealing_is_left_alone():
    rpc_node = FakeGeth(LOW)
    keeper, _peers = keeper_for(rpc_node, [MID], open_ports=set(), seal=False)
    rpc_node.connected = {MID}
    keeper.step(SEAL_GRACE + 1)
    assert "miner_start" not in rpc_node.calls
    sealing = FakeGeth(LOW, mining=True)
    keeper, _peers = keeper_for(sealing, [MID], open_ports=set())
    keeper.step(1.0)
    assert "miner_start" not in sealing.calls


def test_a_lone_node_seals_at_once():
    geth = FakeGeth(LOW)
    keeper, _peers = keeper_for(geth, [], open_ports=set())
    keeper.step(0.1)
    assert geth.mining


class IpcServer:
    """A unix socket that answers JSON-RPC requests from a FakeGeth, in two chunks per answer."""

    def __init__(self, path: str, geth: FakeGeth):
        self.path, self.geth = path, geth
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(8)
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            with conn:
                request = json.loads(conn.recv(65536))
                try:
                    answer = {"result": self.geth(request["method"], request["params"])}
                except AssertionError as exc:
                    answer = {"error": {"code": -32601, "message": str(exc)}}
                data = json.dumps({"jsonrpc": "2.0", "id": request["id"], **answer}).encode() + b"\n"
                conn.sendall(data[:7])
                conn.sendall(data[7:])

    def close(self):
        self.sock.close()
        os.unlink(self.path)


def test_the_ipc_client_reads_split_answers_and_reports_errors(tmp_path):
    path = str(tmp_path / "geth.ipc")
    server = IpcServer(path, FakeGeth(LOW))
    try:
        ipc = node_keeper.GethIpc(path)
        assert ipc("admin_nodeInfo")["enode"].startswith("enode://" + LOW)
        with pytest.raises(RuntimeError, match="unexpected call clique_propose"):
            ipc("clique_propose")
    finally:
        server.close()


def test_run_starts_over_when_geth_restarts(tmp_path, monkeypatch):
    """run() against real sockets: geth restarts (a new socket), so the peer is dialed again."""
    path = str(tmp_path / "geth.ipc")
    peer = enode(HIGH, 30301)
    first, second = FakeGeth(LOW), FakeGeth(LOW)
    servers = [IpcServer(path, first)]
    ticks = []
    messages = []

    def sleep(_seconds):
        ticks.append(len(ticks))
        if len(ticks) == 3:
            servers[0].close()  # geth killed: no socket; the keeper waits
        if len(ticks) == 5:
            servers.append(IpcServer(path, second))
        if len(ticks) == 8:
            raise KeyboardInterrupt

    keeper_config = {"ipc": path, "peers": [peer], "seal": True}
    monkeypatch.setattr(node_keeper, "port_open", lambda endpoint, timeout=1.0: True)
    try:
        with pytest.raises(KeyboardInterrupt):
            node_keeper.run(keeper_config, clock=lambda: float(len(ticks)), sleep=sleep,
                            log=lambda message, *args: messages.append(message % args))
    finally:
        servers[-1].close()
    assert first.added == [peer] and second.added == [peer]
    assert sum("(re)started" in message for message in messages) == 2


def test_every_peer_is_trusted_once_per_geth_process():
    geth = FakeGeth(MID)
    keeper, peers = keeper_for(geth, [LOW, HIGH], open_ports=set())
    keeper.step(1.0)
    keeper.step(2.0)
    assert geth.trusted == sorted(peers)
    keeper.reset(3.0)  # geth restarted: it forgot them
    keeper.step(3.5)
    assert geth.trusted == sorted(peers) * 2


def test_once_after_a_start_a_node_reconnects_the_peers_it_did_not_dial_and_dials_them_at_once():
    """The handshakes after the in-turn signer's first block tell geth that a peer is ahead. A peer
    this node dialed itself is left connected: geth would redial it only 35 s after its dial."""
    geth = FakeGeth(MID, mining=True)
    keeper, peers = keeper_for(geth, [LOW, HIGH], open_ports={30301, 30302})
    geth.connected = {LOW}
    keeper.step(0.0)
    assert geth.added == [peers[1]]  # MID < HIGH: at once
    geth.connected = {LOW, HIGH}
    keeper.step(1.0)
    keeper.step(1.0 + NUDGE_GRACE - 0.1)
    assert geth.removed == []
    keeper.step(1.0 + NUDGE_GRACE)
    assert geth.removed == [peers[0]]
    keeper.step(1.0 + NUDGE_GRACE + REDIAL_PAUSE - 0.1)
    assert geth.added == [peers[1]]
    keeper.step(1.0 + NUDGE_GRACE + REDIAL_PAUSE)  # MID > LOW, yet it redials at once
    assert geth.added == [peers[1], peers[0]]
    geth.connected = {LOW, HIGH}
    for second in range(7, 60):
        geth.head = second
        keeper.step(float(second))
    assert geth.removed == [peers[0]]  # once per geth process, and a sealing node needs no more


def test_a_head_that_stands_with_every_peer_there_makes_the_keeper_reconnect_them():
    geth = FakeGeth(MID, mining=True)
    geth.connected = {LOW, HIGH}
    keeper, peers = keeper_for(geth, [LOW, HIGH], open_ports={30301, 30302})
    for second in range(0, 60):  # the reconnection after the start, then blocks for a while
        geth.connected = {LOW, HIGH}
        geth.head = second
        keeper.step(float(second))
    geth.removed.clear()
    keeper.step(59.0 + STALL_GRACE - 0.5)
    assert geth.removed == []
    keeper.step(59.0 + STALL_GRACE)
    assert sorted(geth.removed) == sorted(peers)  # re-handshakes tell geth the peers' real difficulty
    keeper.step(59.0 + STALL_GRACE + REDIAL_PAUSE)
    assert sorted(geth.added[-2:]) == sorted(peers)  # and the keeper dials them again


def test_a_moving_head_or_a_missing_peer_is_no_stall():
    geth = FakeGeth(MID, mining=True)
    keeper, _peers = keeper_for(geth, [LOW, HIGH], open_ports={30301, 30302})
    for second in range(0, 3 * int(STALL_GRACE)):
        geth.connected = {LOW, HIGH}
        geth.head = second // 2
        keeper.step(float(second))
    after_start = len(geth.removed)
    geth.connected = {LOW}  # a peer down: the head may stand for that reason
    for second in range(3 * int(STALL_GRACE), 6 * int(STALL_GRACE)):
        keeper.step(float(second))
    assert len(geth.removed) == after_start == 2
