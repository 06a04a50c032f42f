"""Benchmark: empty state -> verified consortium, the no-op re-run, and scaling to 15 and 25 authorities.

One run prints
  1. the wall time of site.yml without the contracts phase, from an empty build dir, until
     status.yml (the consortium_status module) has verified every node: N-1 peers, head
     advancing, every authority sealed a recent block. 5 nodes, target <= 30 s;
  2. the same run again (no-op, changed=0) against a plain Ansible run on the same inventory
     with the same number of no-op tasks per host (ansible.builtin.stat), alternated --repeat
     times, best of each; target ratio <= 1.2 (wall time; the CPU-time ratio is printed too);
  3. the same bring-up at 5, 15 and 25 authorities: wall time to verified status (with the
     phases), and the peak memory sampled from /proc every 0.5 s during the bring-up and a
     settle period after it: the RSS sum of the geth processes, and the RSS sum of the whole
     process tree (ansible-playbook and its descendants, supervisord, geth). Then the cost per
     authority at each size and a linearity verdict computed from the numbers (geth's RSS is also
     read 30 s after every node answered, the same node age at every size). Also: when every
     node answered JSON-RPC, had N-1 peers and saw the first block (polled every 2 s), the
     CPU time of ansible and of geth, and each node's outbound/inbound peers (admin_peers over
     IPC) against geth's dial cap (MaxPeers // DialRatio, read from the rendered geth.toml; geth's
     default ratio is 3): geth 1.13 starts at most 2 x that cap static dials at once and none once
     the cap is reached, so with the default ratio a node started after the others ended with
     2 x 9 = 18 of its 24 peers at 25 authorities (the node role sets DialRatio = 1 since 17de53b).

Every size runs on a temporary copy of inventories/local (its group_vars, with the paths that are
relative to the inventory set explicitly), on loopback addresses of its own so that it never
clashes with a consortium or a test on inventories/local: hosts 127.0.5.1..N, p2p ports 31001+,
JSON-RPC on 127.0.0.1:9101+ (geth's Engine API on rpc + 20000: 29101+). At 5 the hosts are
inventories/local's own (names and companies); at 15 and 25 they are spread over the same three
companies. The nodes are always stopped and removed (playbooks/down.yml, try/finally).

The machine is shared: the 1-minute load average is printed at the start and the end, and the
machine's CPU busy share during each bring-up.

    .venv/bin/python bench/consortium.py [--sizes 5 15 25] [--status-wait S] [--forks N] [--settle S]
                                         [--repeat 2] [--logdir DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from consortium_watch import MemorySampler, PeerPoller, ipc_peers, scan_procs, select  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LOCAL = ROOT / "inventories" / "local"
GETH = ROOT / ".tools" / "bin" / "geth"
TARGET_UP = 30.0
TARGET_RATIO = 1.2
LINEAR_TOLERANCE = 1.33         # marginal cost 15->25 within x1.33 (or /1.33) of 5->15: linear
ADDRESS = "127.0.5.%d"
P2P_PORT, RPC_PORT, AUTHRPC_OFFSET = 31001, 9101, 20000
COMPANIES = ("alpha", "beta", "gamma")
GETH_CACHE_MB = 64
AGE = 30.0                      # geth RSS is also read this many seconds after every node answered JSON-RPC
PLAY_TIMEOUT = 900              # seconds; a playbook that runs longer is stopped (bounded benchmark)
RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)", re.M)
PLAY = re.compile(r"^PLAY \[(.*)\] \*+")
# site.yml's plays, by the phase (imported playbook) they belong to; a "Gather" play belongs to
# the phase of the play after it.
PHASE_OF_PLAY = {
    "Make every authority's identity on its own host": "authorities",
    "Render the chain spec on the controller": "chain",
    "Distribute the chain spec to every node host": "chain",
    "Run the nodes": "nodes",
    "Check the consortium's health": "status",
}
PHASES = ("authorities", "chain", "nodes", "status")
ENV = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
           ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".ansible" / "collections"),
           PATH=f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}")


# --- playbook runs --------------------------------------------------------------------------------

class Run:
    def __init__(self, rc, elapsed, stdout, plays, cpu):
        self.rc, self.elapsed, self.stdout, self.plays, self.cpu = rc, elapsed, stdout, plays, cpu
        self.recap = {h: tuple(map(int, rest)) for h, *rest in RECAP.findall(stdout)}

    def phases(self):
        """Seconds per phase of site.yml, from the time each PLAY header was printed."""
        marks = self.plays + [("<end>", self.elapsed)]
        spans = [(name, t1 - t0) for (name, t0), (_n, t1) in zip(marks, marks[1:])]
        out, pending = dict.fromkeys(PHASES, 0.0), 0.0
        for name, span in spans:
            phase = PHASE_OF_PLAY.get(name)
            if phase is None:
                pending += span
            else:
                out[phase] += span + pending
                pending = 0.0
        out["status"] += pending
        return out

    def failure(self):
        """The first failed task's message (msg), on one line."""
        match = re.search(r"^(?:fatal|failed): \[(\S+)\]: FAILED! => (.*)$", self.stdout, re.M)
        if not match:
            return self.stdout.strip().splitlines()[-1] if self.stdout.strip() else "(no output)"
        try:
            msg = json.loads(match.group(2)).get("msg", match.group(2))
        except ValueError:  # a YAML result: the lines after the header, up to the blank line
            rest = self.stdout[match.end():].split("\n\n", 1)[0]
            msg = " ".join(line.strip() for line in (match.group(2) + "\n" + rest).splitlines())
        return "%s: %s" % (match.group(1), msg)


def play(playbook, inventory, log, *args, sampler=None, forks=None):
    """Run ansible-playbook, streaming its output to note when each PLAY starts."""
    env = dict(ENV, **({"ANSIBLE_FORKS": str(forks)} if forks else {}))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    proc = subprocess.Popen(["ansible-playbook", "-i", str(inventory), playbook, *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    if sampler is not None:
        sampler.root_pid = proc.pid
    timer = threading.Timer(PLAY_TIMEOUT, lambda: os.killpg(proc.pid, signal.SIGTERM))
    timer.start()
    lines, plays = [], []
    try:
        for line in proc.stdout:
            lines.append(line)
            match = PLAY.match(line)
            if match:
                plays.append((match.group(1), time.monotonic() - start))
        rc = proc.wait()
    finally:
        timer.cancel()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()
        if sampler is not None:
            sampler.root_pid = None
    elapsed = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    stdout = "".join(lines)
    with open(log, "a") as fh:
        fh.write("### ansible-playbook -i %s %s %s\n### rc %d, %.1f s\n%s\n" % (
            inventory, playbook, " ".join(args), rc, elapsed, stdout))
    return Run(rc, elapsed, stdout, plays, cpu)


# --- inventories ----------------------------------------------------------------------------------

def local_hosts():
    """[(host, company)] of inventories/local, in file order."""
    data = yaml.safe_load((LOCAL / "hosts.yml").read_text())
    groups = data["all"]["children"]["authorities"]["children"]
    return [(host, group.removeprefix("company_")) for group, body in groups.items() for host in body["hosts"]]


def layout(n):
    """[(host, company, address, p2p port, rpc port)] for n authorities."""
    base = local_hosts()
    if n == len(base):
        names = base
    else:
        count = dict.fromkeys(COMPANIES, 0)
        names = []
        for i in range(n):
            company = COMPANIES[i % len(COMPANIES)]
            count[company] += 1
            names.append(("%s-%d" % (company, count[company]), company))
    return [(host, company, ADDRESS % (i + 1), P2P_PORT + i, RPC_PORT + i) for i, (host, company) in enumerate(names)]


def write_inventory(directory: Path, hosts, build: Path):
    """A copy of inventories/local with these hosts, and the inventory-relative paths made absolute."""
    shutil.copytree(LOCAL, directory)
    groups = {}
    for host, company, address, p2p, rpc in hosts:
        groups.setdefault("company_" + company, {"hosts": {}})["hosts"][host] = {
            "ansible_host": address, "node_p2p_port": p2p, "node_rpc_port": rpc}
    (directory / "hosts.yml").write_text(
        "---\n# Written by bench/consortium.py: inventories/local's layout on 127.0.5.x.\n"
        + yaml.safe_dump({"all": {"children": {"authorities": {"children": groups}}}}, sort_keys=False))
    all_yml = directory / "group_vars" / "all.yml"
    group_vars = yaml.safe_load(all_yml.read_text())
    group_vars.update({
        "consortium_build_dir": str(build),
        "node_geth_binary": str(GETH),
        "poco_npm_dir": str(ROOT / "node_modules"),
        "node_rpc_host": "127.0.0.1",
        "node_geth_cache": GETH_CACHE_MB,
    })
    all_yml.write_text("---\n# inventories/local/group_vars/all.yml with absolute paths (bench/consortium.py).\n"
                       + yaml.safe_dump(group_vars, sort_keys=False))


def busy_ports(hosts):
    """Addresses and ports of this layout that something already listens on."""
    busy = []
    for _host, _company, address, p2p, rpc in hosts:
        for addr, port in ((address, p2p), ("127.0.0.1", rpc), ("127.0.0.1", rpc + AUTHRPC_OFFSET)):
            with socket.socket() as sock:
                sock.settimeout(0.2)
                if sock.connect_ex((addr, port)) == 0:
                    busy.append("%s:%d" % (addr, port))
    return busy


def cpu_times():
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


# --- one size -------------------------------------------------------------------------------------

def bring_up(n, args, logdir: Path, noop_compare=False):
    """Bring up n authorities, measure, and always bring them down. Returns a dict of results."""
    hosts = layout(n)
    res = {"n": n, "ok": False, "error": None, "companies": sorted({c for _host, c, *_rest in hosts})}
    busy = busy_ports(hosts)
    if busy:
        res["error"] = "ports already in use, not started: " + ", ".join(busy[:6])
        return res
    tmp = Path(tempfile.mkdtemp(prefix="poa-bench-%d-" % n))
    inventory, build = tmp / "inventory", tmp / "build"
    write_inventory(inventory, hosts, build)
    log = logdir / ("ansible-%d.log" % n)
    extra = ["-e", "status_wait=%s" % args.status_wait] if args.status_wait is not None else []
    memory = MemorySampler(str(build) + "/")
    t0 = time.monotonic()
    peers = PeerPoller(["http://127.0.0.1:%d" % rpc for *_rest, rpc in hosts], n - 1, t0)
    busy0 = cpu_times()
    memory.start()
    peers.start()
    down = None
    try:
        up = play("playbooks/site.yml", inventory, log, "--skip-tags", "contracts", *extra,
                  sampler=memory, forks=args.forks)
        busy1 = cpu_times()
        res.update(up=up.elapsed, phases=up.phases(), ansible_cpu=up.cpu, geth_cpu=memory.geth_cpu_seconds(),
                   machine_busy=100.0 * (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1]), ok=up.rc == 0)
        if not res["ok"]:
            res["error"] = up.failure()
        # Keep sampling: memory after the bring-up, and until the nodes are AGE s old.
        until = max(time.monotonic() + args.settle, t0 + (peers.all_up_at or 0) + AGE + memory.interval)
        time.sleep(max(0.0, until - time.monotonic()))
        memory.stop()
        peers.stop()
        res.update(geth_peak=memory.geth_peak, geth_peak_count=memory.geth_peak_count,
                   geth_max_count=memory.geth_max_count, geth_after=memory.geth_last,
                   tree_peak=memory.tree_peak, tree_peak_procs=memory.tree_peak_procs, samples=memory.samples,
                   all_up_at=peers.all_up_at, full_mesh_at=peers.full_mesh_at, first_block_at=peers.first_block_at)
        if peers.all_up_at is not None:
            res["geth_aged"], res["geth_aged_count"] = memory.geth_at(t0 + peers.all_up_at + AGE)
        counts = [v[0] for v in peers.last.values() if v is not None]
        res["peers_range"] = (min(counts), max(counts)) if counts else None
        res["dial"] = dial_stats(build, hosts)
        if not res["ok"]:
            res["kept_logs"] = keep_logs(build, hosts, logdir / ("nodes-%d" % n))
        if noop_compare and res["ok"]:
            res.update(noop_and_plain(inventory, tmp, log, args))
    finally:
        memory.stop()
        peers.stop()
        down = play("playbooks/down.yml", inventory, log, forks=args.forks)
        left = select(scan_procs(), (str(build) + "/").encode())[1]
        res["down"] = (down.rc, down.elapsed, len(left))
        if down.rc == 0 and not left:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            res["down_kept"] = str(tmp)
    return res


def dial_stats(build: Path, hosts):
    """Outbound/inbound peers per node (admin_peers over IPC), and geth's MaxPeers and DialRatio from geth.toml."""
    out = {"outbound": [], "inbound": [], "short": [], "errors": 0}
    for host, *_rest in hosts:
        try:
            o, i = ipc_peers(str(build / "hosts" / host / "db" / "geth.ipc"))
        except OSError:
            out["errors"] += 1
            continue
        out["outbound"].append(o)
        out["inbound"].append(i)
        if o + i < len(hosts) - 1:
            out["short"].append((host, o, i))
    toml = build / "hosts" / hosts[0][0] / "geth.toml"
    text = toml.read_text() if toml.exists() else ""
    for key, name, default in (("max_peers", "MaxPeers", None), ("dial_ratio", "DialRatio", 3)):
        match = re.search(r"^%s = (\d+)" % name, text, re.M)
        out[key] = int(match.group(1)) if match else default
    if out["dial_ratio"] == 0:
        out["dial_ratio"] = 3   # geth: zero means the default
    return out


def keep_logs(build: Path, hosts, dest: Path):
    dest.mkdir(parents=True, exist_ok=True)
    for host, *_rest in hosts:
        src = build / "hosts" / host / "log" / "node.log"
        if src.exists():
            shutil.copy(src, dest / ("%s.log" % host))
    return str(dest)


def noop_and_plain(inventory, tmp: Path, log, args):
    """The no-op re-run and the plain run, alternated args.repeat times; the best (min) of each counts."""
    noops, plains = [], []
    for _round in range(args.repeat):
        noop = play("playbooks/site.yml", inventory, log, "--skip-tags", "contracts", forks=args.forks)
        if noop.rc != 0:
            return {"noop_error": noop.failure()}
        noops.append(noop)
        plain = plain_playbook(tmp, noop)
        base = play(str(plain), inventory, log, forks=args.forks)
        if base.rc != 0:
            return {"noop_error": "plain run failed: " + base.failure()}
        plains.append(base)
    changed = max(sum(r[1] for r in run.recap.values()) for run in noops)
    tasks = {h: r[0] + r[4] for h, r in noops[0].recap.items()}
    return {"noop": min(r.elapsed for r in noops), "plain": min(r.elapsed for r in plains),
            "noop_all": [r.elapsed for r in noops], "plain_all": [r.elapsed for r in plains],
            "noop_cpu": min(r.cpu for r in noops), "plain_cpu": min(r.cpu for r in plains), "noop_changed": changed,
            "per_host": max(n for h, n in tasks.items() if h != "localhost"), "on_localhost": tasks.get("localhost", 0)}


def plain_playbook(tmp: Path, noop):
    """A playbook of as many ansible.builtin.stat tasks per host as the no-op run executed (ok + skipped)."""
    tasks = {h: r[0] + r[4] for h, r in noop.recap.items()}
    per_host = max(count for host, count in tasks.items() if host != "localhost")
    on_localhost = tasks.get("localhost", 0)
    plain = tmp / "plain.yml"
    noop_task = "    - name: No-op {0}\n      ansible.builtin.stat:\n        path: /\n"
    plain.write_text(
        "---\n- name: Plain no-op tasks on every host\n  hosts: authorities\n  gather_facts: false\n  tasks:\n"
        + "".join(noop_task.format(i) for i in range(per_host))
        + "- name: Plain no-op tasks on the controller\n  hosts: localhost\n  gather_facts: false\n  tasks:\n"
        + "".join(noop_task.format(i) for i in range(on_localhost)))
    return plain


# --- report ---------------------------------------------------------------------------------------

def mb(value):
    return value / 2**20


def linearity(label, unit, points):
    """One line: marginal cost per added authority between consecutive sizes, and the verdict."""
    if len(points) < 3:
        return "%s: not judged, only %d size(s) measured (%s)" % (label, len(points), ", ".join(str(n) for n, _value in points))
    slopes = [((n1, n2), (v2 - v1) / (n2 - n1)) for (n1, v1), (n2, v2) in zip(points, points[1:])]
    first, last = slopes[0][1], slopes[-1][1]
    text = ", ".join("%d->%d: %.2f %s/authority" % (a, b, s, unit) for (a, b), s in slopes)
    if first <= 0:
        verdict = "not linear (no growth from %d to %d)" % slopes[0][0]
    else:
        ratio = last / first
        if ratio > LINEAR_TOLERANCE:
            verdict = "superlinear: the marginal cost grew x%.2f" % ratio
        elif ratio < 1 / LINEAR_TOLERANCE:
            verdict = "sublinear: the marginal cost fell to x%.2f" % ratio
        else:
            verdict = "linear: the marginal cost stayed within x%.2f (x%.2f)" % (LINEAR_TOLERANCE, ratio)
    return "%s: marginal %s -> %s" % (label, text, verdict)


def report(results, args, load_start, load_end, started):
    five = next((r for r in results if r["n"] == 5), None)
    w = 58  # the width of the label column, also in the "%-58s" formats below
    print()
    print("%-58s %12s  %s" % ("measure", "value", "target"))
    print("-" * (w + 40))
    if five and five.get("up") is not None and five["ok"]:
        up = five["up"]
        print("%-58s %10.1f s  <= %.0f s %s" % (
            "1. empty state -> verified 5-node consortium", up, TARGET_UP, "met" if up <= TARGET_UP else "MISSED"))
        print("%-58s %10.1f s  (ansible %.1f s + geth %.1f s on %d cores: %.1f s of wall time at best)" % (
            "   CPU time it took", five["ansible_cpu"] + five["geth_cpu"], five["ansible_cpu"], five["geth_cpu"],
            os.cpu_count(), (five["ansible_cpu"] + five["geth_cpu"]) / os.cpu_count()))
    elif five:
        print("%-58s %12s  <= %.0f s MISSED (%s)" % (
            "1. empty state -> verified 5-node consortium", "FAILED", TARGET_UP, five.get("error")))
    if five and "noop" in five:
        ratio = five["noop"] / five["plain"] if five["plain"] else float("inf")
        print("%-58s %10.1f s  changed=%d (must be 0); best of %s s" % (
            "2. no-op re-run of site.yml (5 nodes)", five["noop"], five["noop_changed"],
            ", ".join("%.1f" % t for t in five["noop_all"])))
        print("%-58s %10.1f s  %d tasks/host + %d on localhost; best of %s s" % (
            "   plain ansible run, same number of no-op tasks", five["plain"], five["per_host"], five["on_localhost"],
            ", ".join("%.1f" % t for t in five["plain_all"])))
        print("%-58s %12.2f  <= %.1f %s" % (
            "   no-op re-run / plain run (wall time)", ratio, TARGET_RATIO, "met" if ratio <= TARGET_RATIO else "MISSED"))
        print("%-58s %12.2f  (%.1f s / %.1f s of CPU; less sensitive to other load)" % (
            "   no-op re-run / plain run (best CPU time of ansible)", five["noop_cpu"] / five["plain_cpu"],
            five["noop_cpu"], five["plain_cpu"]))
    elif five:
        print("%-58s %12s  %s" % ("2. no-op re-run / plain run", "not run", five.get("noop_error") or "bring-up failed"))

    print()
    print("3. scaling (each size: one bring-up from an empty build dir until status verified, then down)")
    cols = [r["n"] for r in results]
    print("%-58s" % "authorities" + "".join("%12d" % n for n in cols))
    print("-" * (w + 12 * len(cols)))

    def row(label, fn, fmt="%12.1f"):
        cells = []
        for r in results:
            try:
                value = fn(r)
            except (KeyError, TypeError, ValueError, ZeroDivisionError):
                value = None
            text = "-" if value is None else value if isinstance(value, str) else (fmt % value).strip()
            cells.append(" " + text.rjust(11))     # a space between cells, however wide
        print("%-58s" % label + "".join(cells))

    row("result", lambda r: "verified" if r["ok"] else "FAILED")
    row("bring-up wall time to verified status, s", lambda r: r["up"] if r["ok"] else None)
    row("  per authority, s", lambda r: r["up"] / r["n"] if r["ok"] else None, "%12.2f")
    row("  (wall time until the run failed, s)", lambda r: None if r["ok"] else r["up"])
    for phase, label in (("authorities", "identities (authorities.yml)"), ("chain", "chain spec (chain.yml)"),
                         ("nodes", "start nodes, wait JSON-RPC (nodes.yml)"), ("status", "status until verified (status.yml)")):
        row("  phase: %s, s" % label, lambda r, p=phase: r["phases"][p])
    row("  all JSON-RPC answering at, s", lambda r: r["all_up_at"])
    row("  first block at, s", lambda r: r["first_block_at"])
    row("  full mesh (N-1 peers on every node) at, s", lambda r: r["full_mesh_at"] if r["full_mesh_at"] is not None else "never")
    row("  peers per node at the end, min-max", lambda r: "%d-%d" % r["peers_range"])
    row("  dialed (outbound) peers per node, max", lambda r: max(r["dial"]["outbound"]), "%12d")
    row("  geth's dial cap: MaxPeers // DialRatio", lambda r: "%d//%d=%d" % (
        r["dial"]["max_peers"], r["dial"]["dial_ratio"], r["dial"]["max_peers"] // r["dial"]["dial_ratio"]))
    row("  nodes short of N-1 peers", lambda r: len(r["dial"]["short"]), "%12d")
    row("  outbound peers of those nodes", lambda r: "-".join(str(v) for v in sorted({o for _h, o, _i in r["dial"]["short"]})) or None)
    row("peak RSS sum of all geth processes, MB", lambda r: mb(r["geth_peak"]))
    row("  per authority, MB", lambda r: mb(r["geth_peak"]) / r["n"])
    row("  geth processes seen (max)", lambda r: r["geth_max_count"], "%12d")
    row("RSS sum of all geth processes %.0f s after all answered, MB" % AGE, lambda r: mb(r["geth_aged"]))
    row("  per authority, MB", lambda r: mb(r["geth_aged"]) / r["n"])
    row("RSS sum of all geth processes, last sample, MB", lambda r: mb(r["geth_after"]))
    row("peak RSS sum of the whole process tree, MB", lambda r: mb(r["tree_peak"]))
    row("  processes in that sample", lambda r: r["tree_peak_procs"], "%12d")
    row("machine CPU busy during the bring-up, % of 2 cores" if os.cpu_count() == 2 else
        "machine CPU busy during the bring-up, % of all cores", lambda r: r["machine_busy"])
    row("  CPU time of ansible-playbook and its children, s", lambda r: r["ansible_cpu"])
    row("  CPU time of the geth processes, s", lambda r: r["geth_cpu"])
    row("down.yml wall time, s", lambda r: r["down"][1])
    row("  processes left after down.yml", lambda r: r["down"][2], "%12d")
    print()
    ok = [r for r in results if r["ok"]]
    ran = [r for r in results if r.get("geth_max_count") == r["n"]]
    print(linearity("time to verified status", "s", [(r["n"], r["up"]) for r in ok]))
    print(linearity("time to all JSON-RPC answering (before status; all sizes)", "s",
                    [(r["n"], r["all_up_at"]) for r in results if r.get("all_up_at") is not None]))
    print(linearity("CPU time of ansible (all sizes)", "s", [(r["n"], r["ansible_cpu"]) for r in results if "ansible_cpu" in r]))
    print(linearity("memory (peak geth RSS sum)", "MB", [(r["n"], mb(r["geth_peak"])) for r in ran]))
    print(linearity("memory (geth RSS sum %.0f s after all answered, same node age at every size)" % AGE, "MB",
                    [(r["n"], mb(r["geth_aged"])) for r in ran if r.get("geth_aged_count") == r["n"]]))
    print(linearity("memory (peak process-tree RSS sum)", "MB", [(r["n"], mb(r["tree_peak"])) for r in ran]))
    print("(linear: the marginal cost per added authority of the last step is within x%.2f of the first step's;"
          " time only for verified sizes)" % LINEAR_TOLERANCE)
    for r in results:
        if r.get("error"):
            print("size %d: %s" % (r["n"], r["error"]))
        if r.get("kept_logs"):
            print("size %d: geth logs kept in %s" % (r["n"], r["kept_logs"]))
        if r.get("down_kept"):
            print("size %d: down.yml rc %d, %d processes left; files kept in %s" % (r["n"], r["down"][0], r["down"][2], r["down_kept"]))
    print()
    print("memory: RSS (field rss of /proc/<pid>/stat), sampled every 0.5 s during the"
          " bring-up and %.0f s after it (at least until every node had answered for %.0f s);"
          " geth = processes named geth whose command line names this run's build dir;"
          " process tree = ansible-playbook and its descendants + supervisord + geth (shared pages counted once per"
          " process, so the sums are upper bounds)." % (args.settle, AGE))
    own = resource.getrusage(resource.RUSAGE_SELF)
    print("load average (1 min): %.2f at start, %.2f at end; wall time of the whole benchmark %.0f s, of which the"
          " benchmark's own sampling and polling took %.1f s of CPU; logs in %s"
          % (load_start, load_end, time.monotonic() - started, own.ru_utime + own.ru_stime, args.logdir))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 15, 25])
    parser.add_argument("--status-wait", type=float, default=None,
                        help="status_wait for status.yml (default: the playbook's, 90 s)")
    parser.add_argument("--forks", type=int, default=None, help="ANSIBLE_FORKS (default: ansible.cfg's)")
    parser.add_argument("--settle", type=float, default=10.0, help="seconds of sampling after the bring-up")
    parser.add_argument("--repeat", type=int, default=2, help="no-op and plain runs, alternated, at 5 nodes")
    parser.add_argument("--logdir", default=None, help="where the playbook output is kept (default: a new /tmp dir)")
    args = parser.parse_args()
    if not GETH.exists():
        sys.exit("no geth at %s: run scripts/setup.sh first" % GETH)
    args.logdir = Path(args.logdir or tempfile.mkdtemp(prefix="poa-bench-consortium-logs-"))
    args.logdir.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))   # runs the finally: blocks

    started = time.monotonic()
    load_start = os.getloadavg()[0]
    forks = args.forks or int(subprocess.run(["ansible-config", "dump"], cwd=ROOT, env=ENV, capture_output=True,
                                             text=True, check=False).stdout.split("DEFAULT_FORKS", 1)[1].split("=", 1)[1].split()[0])
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()
    dirty = len(subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=False).stdout.splitlines())
    geth_version = subprocess.run([str(GETH), "version"], capture_output=True, text=True, check=False).stdout
    geth_version = re.search(r"^Version: (\S+)", geth_version, re.M).group(1)
    mem_total = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)) / 2**20
    print("bench/consortium.py: geth %s (Clique, %s s blocks), process mode (one supervisord per node)"
          % (geth_version, yaml.safe_load((LOCAL / "group_vars" / "all.yml").read_text())["chain_spec_step_duration"]))
    print("tree %s (+%d uncommitted paths); machine: %d CPUs, %.1f GiB RAM; load average (1 min) at start: %.2f"
          % (head, dirty, os.cpu_count(), mem_total, load_start))
    print("settings: ansible forks %d; node_geth_cache %d MB; status_wait %s; hosts 127.0.5.1..N, p2p 31001+,"
          " JSON-RPC 127.0.0.1:9101+, Engine API 127.0.0.1:29101+"
          % (forks, GETH_CACHE_MB, "%.0f s" % args.status_wait if args.status_wait is not None else "90 s (playbook default)"))
    results = []
    for n in args.sizes:
        print("... %d authorities: bringing up (load %.2f)" % (n, os.getloadavg()[0]), flush=True)
        result = bring_up(n, args, args.logdir, noop_compare=(n == 5))
        print("... %d authorities: %s in %s s, down rc %s" % (
            n, "verified" if result["ok"] else "FAILED", "%.1f" % result["up"] if result.get("up") else "-",
            result["down"][0] if result.get("down") else "-"), flush=True)
        results.append(result)
    report(results, args, load_start, os.getloadavg()[0], started)
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
