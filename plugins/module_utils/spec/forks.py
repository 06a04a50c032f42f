# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fork tables: the forks in order, their names, the block each one starts at, and the Aura params and
builtins (precompiles with their prices) each one switches on."""

from __future__ import annotations

from ansible_collections.poa.consortium.plugins.module_utils.spec.schema import _err
from ansible_collections.poa.consortium.plugins.module_utils.genesis import SpecError, parse_uint

FORK_ORDER = ("homestead", "tangerine_whistle", "spurious_dragon", "byzantium", "constantinople",
              "petersburg", "istanbul", "berlin", "london")
FORK_ALIASES = {"tangerinewhistle": "tangerine_whistle", "eip150": "tangerine_whistle",
                "spuriousdragon": "spurious_dragon", "eip158": "spurious_dragon",
                "constantinoplefix": "petersburg", "frontier": "homestead"}

GETH_FORK_FIELDS = (
    ("homestead", ("homesteadBlock",)),
    ("tangerine_whistle", ("eip150Block",)),
    ("spurious_dragon", ("eip155Block", "eip158Block")),
    ("byzantium", ("byzantiumBlock",)),
    ("constantinople", ("constantinopleBlock",)),
    ("petersburg", ("petersburgBlock",)),
    ("istanbul", ("istanbulBlock",)),
    ("berlin", ("berlinBlock",)),
    ("london", ("londonBlock",)),
)


def _linear(base, word):
    return {"linear": {"base": base, "word": word}}


def _forks_schedule(forks, errors):
    """forks input -> {fork name: activation block}."""
    schedule = {}
    if forks is None:
        forks = "london"

    def norm(name, path):
        if not isinstance(name, str):
            errors.append(_err(path, "fork names are strings", "use one of %s" % ", ".join(FORK_ORDER)))
            return None
        key = name.strip().lower().replace("-", "_")
        key = FORK_ALIASES.get(key.replace("_", ""), FORK_ALIASES.get(key, key))
        if key not in FORK_ORDER:
            errors.append(_err(path, "unknown fork %r" % name, "use one of %s" % ", ".join(FORK_ORDER)))
            return None
        return key

    if isinstance(forks, str):
        last = norm(forks, "forks")
        if last:
            for name in FORK_ORDER[:FORK_ORDER.index(last) + 1]:
                schedule[name] = 0
    elif isinstance(forks, list):
        for i, name in enumerate(forks):
            key = norm(name, "forks[%d]" % i)
            if key:
                schedule[key] = 0
    elif isinstance(forks, dict):
        for name, block in forks.items():
            key = norm(name, "forks.%s" % name)
            if not key:
                continue
            try:
                schedule[key] = parse_uint(block, "forks.%s" % name, 64)
            except SpecError as exc:
                errors.append(str(exc))
        ordered = [(n, schedule[n]) for n in FORK_ORDER if n in schedule]
        for (n1, b1), (n2, b2) in zip(ordered, ordered[1:]):
            if b2 < b1:
                errors.append(_err("forks.%s" % n2, "activates at block %d, before %s (%d)" % (b2, n1, b1),
                                   "forks must activate in order: %s" % " <= ".join(FORK_ORDER)))
    else:
        errors.append(_err("forks", "must be a fork name, a list of names or {name: block}", "e.g. forks: london"))
    return schedule


def fork_params_and_builtins(schedule):
    """Params (eip*Transition) and builtin accounts for a fork schedule.

    The builtin pricing follows the EIPs: EIP-198 modexp (divisor 20) and EIP-196/197 alt_bn128
    at Byzantium; EIP-1108 cheaper alt_bn128 and EIP-152 blake2_f at Istanbul; EIP-2565 modexp at
    Berlin. Nethermind derives eip1108/eip152/eip2565 from these prices (ChainSpecLoader
    GetTransitionForExpectedPricing), OpenEthereum reads the prices directly.
    """
    p = {}
    s = schedule
    if "tangerine_whistle" in s:
        p["eip150Transition"] = s["tangerine_whistle"]
    if "spurious_dragon" in s:
        for k in ("eip155Transition", "eip160Transition", "eip161abcTransition", "eip161dTransition"):
            p[k] = s["spurious_dragon"]
    if "byzantium" in s:
        for k in ("eip140Transition", "eip211Transition", "eip214Transition", "eip658Transition"):
            p[k] = s["byzantium"]
    cons, pete = s.get("constantinople"), s.get("petersburg")
    if cons is not None or pete is not None:
        start = cons if cons is not None else pete
        for k in ("eip145Transition", "eip1014Transition", "eip1052Transition"):
            p[k] = start
        if cons is not None and (pete is None or pete > cons):
            p["eip1283Transition"] = cons
            if pete is not None:
                p["eip1283DisableTransition"] = pete
    if "istanbul" in s:
        b = s["istanbul"]
        for k in ("eip1344Transition", "eip1884Transition", "eip2028Transition", "eip1706Transition"):
            p[k] = b
        if "eip1283DisableTransition" in p:
            p["eip1283ReenableTransition"] = b
        else:
            p["eip1283Transition"] = b
    if "berlin" in s:
        p["eip2929Transition"] = s["berlin"]
        p["eip2930Transition"] = s["berlin"]
    if "london" in s:
        for k in ("eip1559Transition", "eip3198Transition", "eip3529Transition", "eip3541Transition"):
            p[k] = s["london"]

    builtins = {
        1: ("ecrecover", {0: _linear(3000, 0)}),
        2: ("sha256", {0: _linear(60, 12)}),
        3: ("ripemd160", {0: _linear(600, 120)}),
        4: ("identity", {0: _linear(15, 3)}),
    }
    if "byzantium" in s:
        byz = s["byzantium"]
        modexp = {byz: {"modexp": {"divisor": 20}}}
        if "berlin" in s:
            modexp[s["berlin"]] = {"modexp2565": {}}
        builtins[5] = ("modexp", modexp)
        add = {byz: {"alt_bn128_const_operations": {"price": 500}}}
        mul = {byz: {"alt_bn128_const_operations": {"price": 40000}}}
        pairing = {byz: {"alt_bn128_pairing": {"base": 100000, "pair": 80000}}}
        if "istanbul" in s:
            ist = s["istanbul"]
            add[ist] = {"alt_bn128_const_operations": {"price": 150}}
            mul[ist] = {"alt_bn128_const_operations": {"price": 6000}}
            pairing[ist] = {"alt_bn128_pairing": {"base": 45000, "pair": 34000}}
        builtins[6] = ("alt_bn128_add", add)
        builtins[7] = ("alt_bn128_mul", mul)
        builtins[8] = ("alt_bn128_pairing", pairing)
    if "istanbul" in s:
        builtins[9] = ("blake2_f", {s["istanbul"]: {"blake2_f": {"gas_per_round": 1}}})
    accounts = {}
    for n, (name, prices) in builtins.items():
        address = "0x%040x" % n
        accounts[address] = {"builtin": {"name": name, "pricing": {
            str(block): {"price": price} for block, price in sorted(prices.items())}}}
    return p, accounts
