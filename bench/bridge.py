"""Benchmark: the token bridge on a running local consortium (`make up` first).

Prints
  1. deposit-to-payout and withdrawal-to-release latency: --count transfers of 1 RLC each way,
     one at a time, from the request's receipt to the completion on the other chain; median and
     max against the target (confirmations + 2) x the block time of the slower chain;
  2. a burst of --burst deposits (1 RLC each, consecutive nonces, sent at once): the time from
     the first send until every one is paid out at home, and the rate;
  3. each validator process's CPU time during the whole run and its resident memory (now and
     peak), from /proc.

The demo user of inventories/local sends everything (build/local/demo). The foreign chain's and
the home chain's block times are measured from their last 20 blocks.

    .venv/bin/python bench/bridge.py [--build build/local] [--count 5] [--burst 200] [--timeout 600]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / ".ansible" / "collections"))

from web3 import Web3  # noqa: E402
from web3.middleware import ExtraDataToPOAMiddleware  # noqa: E402

from ansible_collections.poa.consortium.plugins.module_utils import rpc  # noqa: E402
from ansible_collections.poa.consortium.plugins.module_utils.bridge import abi  # noqa: E402

RLC = 10 ** 9
VALIDATORS = ("alpha-1", "beta-1", "gamma-1")


def w3_of(url):
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    return w3


def block_time(w3, span=20):
    head = w3.eth.get_block("latest")
    old = w3.eth.get_block(max(0, head["number"] - span))
    return (head["timestamp"] - old["timestamp"]) / max(1, head["number"] - old["number"])


def proc_stats(pid):
    """(cpu seconds, rss MiB, peak rss MiB) of a process from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    fields = Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    status = dict(line.split(":", 1) for line in Path("/proc/%d/status" % pid).read_text().splitlines() if ":" in line)
    return cpu, int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024


def validator_pid(build, host):
    conf = build / "hosts" / host / "bridge-validator" / "supervisord.conf"
    out = subprocess.run([str(ROOT / ".venv" / "bin" / "supervisorctl"), "-c", str(conf), "pid", "bridge-validator"],
                         capture_output=True, text=True, timeout=30, check=False).stdout.strip()
    return int(out) if out.isdigit() else None


class Bench:
    def __init__(self, build):
        self.build = build
        manifest = json.loads((build / "manifest.json").read_text())
        self.data = manifest["bridge"]
        self.home = w3_of(self.data["home"]["rpc_url"])
        self.foreign = w3_of(self.data["foreign"]["rpc_url"])
        self.home_bridge = self.home.eth.contract(self.data["home"]["bridge"]["address"], abi=abi.HOME_BRIDGE)
        self.foreign_bridge = self.foreign.eth.contract(self.data["foreign"]["bridge"]["address"], abi=abi.FOREIGN_BRIDGE)
        self.home_token = self.home.eth.contract(self.data["home"]["token"]["address"], abi=abi.ERC20)
        self.foreign_token = self.foreign.eth.contract(self.data["foreign"]["token"]["address"], abi=abi.ERC20)
        self.user = rpc.load_keystore_account(str(build / "demo" / "user.json"), str(build / "demo" / "user.password"))

    def sign(self, w3, token, to, amount, nonce):
        tx = token.functions.transfer(to, amount).build_transaction({
            "from": self.user.address, "nonce": nonce, "gas": 100_000, "gasPrice": w3.eth.gas_price * 2,
            "chainId": w3.eth.chain_id})
        tx.pop("maxFeePerGas", None)
        tx.pop("maxPriorityFeePerGas", None)
        return self.user.sign_transaction(tx)

    def completions(self, contract, event, from_block):
        return {"0x" + bytes(e["args"]["transactionHash"]).hex(): e["blockNumber"]
                for e in getattr(contract.events, event)().get_logs(from_block=from_block)}

    def one(self, direction):
        """Seconds from the request's receipt to its completion."""
        if direction == "deposit":
            w3, token, bridge, dest, event, dest_w3 = (self.foreign, self.foreign_token, self.foreign_bridge.address,
                                                       self.home_bridge, "AffirmationCompleted", self.home)
        else:
            w3, token, bridge, dest, event, dest_w3 = (self.home, self.home_token, self.home_bridge.address,
                                                       self.foreign_bridge, "RelayedMessage", self.foreign)
        start_block = dest_w3.eth.block_number - 2
        signed = self.sign(w3, token, bridge, RLC, w3.eth.get_transaction_count(self.user.address, "pending"))
        tx_hash = "0x" + bytes(w3.eth.send_raw_transaction(signed.raw_transaction)).hex()
        w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120, poll_latency=0.1)
        mined = time.monotonic()
        while tx_hash not in self.completions(dest, event, start_block):
            if time.monotonic() - mined > 300:
                raise RuntimeError("%s %s not completed after 300 s" % (direction, tx_hash))
            time.sleep(0.2)
        return time.monotonic() - mined

    def burst(self, count, timeout):
        start_block = self.home.eth.block_number - 2
        nonce = self.foreign.eth.get_transaction_count(self.user.address, "pending")
        signed = [self.sign(self.foreign, self.foreign_token, self.foreign_bridge.address, RLC, nonce + i)
                  for i in range(count)]
        started = time.monotonic()
        hashes = ["0x" + bytes(self.foreign.eth.send_raw_transaction(s.raw_transaction)).hex() for s in signed]
        sent = time.monotonic() - started
        done = {}
        while len(done) < count:
            if time.monotonic() - started > timeout:
                break
            paid = self.completions(self.home_bridge, "AffirmationCompleted", start_block)
            done = {h: paid[h] for h in hashes if h in paid}
            time.sleep(1)
        return sent, time.monotonic() - started, len(done)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=str(ROOT / "build" / "local"))
    parser.add_argument("--count", type=int, default=5)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    build = Path(args.build).resolve()
    bench = Bench(build)
    print("load average at start: %.2f" % os.getloadavg()[0])
    pids = {host: validator_pid(build, host) for host in VALIDATORS}
    before = {host: proc_stats(pid) for host, pid in pids.items() if pid}

    home_bt, foreign_bt = block_time(bench.home), block_time(bench.foreign)
    confirmations = bench.data["confirmations"]
    print("block time: home %.2f s, foreign %.2f s; confirmations: home %d, foreign %d" % (
        home_bt, foreign_bt, confirmations["home"], confirmations["foreign"]))
    for direction, conf in (("deposit", confirmations["foreign"]), ("withdraw", confirmations["home"])):
        target = (conf + 2) * max(home_bt, foreign_bt)
        times = [bench.one(direction) for _run in range(args.count)]
        print("%s latency over %d: median %.1f s, max %.1f s, target <= %.1f s: %s" % (
            direction, args.count, statistics.median(times), max(times), target,
            "met" if statistics.median(times) <= target else "MISSED"))

    if args.burst:
        sent, total, done = bench.burst(args.burst, args.timeout)
        print("burst of %d deposits: sent in %.1f s; %d paid out in %.1f s (%.2f deposits/s)%s" % (
            args.burst, sent, done, total, done / total,
            "" if done == args.burst else "; %d NOT paid within %.0f s" % (args.burst - done, args.timeout)))

    for host, pid in pids.items():
        if not pid or host not in before or validator_pid(build, host) != pid:
            print("validator %s: restarted during the run, no CPU figure" % host)
            continue
        cpu, rss, peak = proc_stats(pid)
        print("validator %s: CPU %.1f s during the run, RSS %.0f MiB (peak %.0f MiB)" % (
            host, cpu - before[host][0], rss, peak))
    print("load average at end: %.2f" % os.getloadavg()[0])


if __name__ == "__main__":
    main()
