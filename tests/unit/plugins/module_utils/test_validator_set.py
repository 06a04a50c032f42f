# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import json
import os

import pytest

from ansible_collections.poa.consortium.plugins.module_utils import validator_set as V

ARTIFACT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "contracts", "artifacts", "ValidatorSet.json")
A, B, C, D, E = ("0x%040x" % (0xa0 + i) for i in range(5))


def test_view_abi_matches_the_compiled_contract():
    with open(ARTIFACT, encoding="utf-8") as handle:
        compiled = {e["name"]: e for e in json.load(handle)["abi"] if e.get("type") == "function"}
    for entry in V.VIEW_ABI:
        got = compiled[entry["name"]]
        assert got["stateMutability"] == "view"
        assert [i["type"] for i in got["inputs"]] == []
        assert [o["type"] for o in got["outputs"]] == [o["type"] for o in entry["outputs"]]


def test_additions_come_before_removals_one_at_a_time():
    assert V.next_change([A, B, C], [A, B, D]) == {"function": "addValidator", "validator": D}
    assert V.next_change([A, B, C, D], [A, B, D]) == {"function": "removeValidator", "validator": C}
    assert V.next_change([A, B, D], [D, B, A]) is None


def test_after_keeps_the_contract_order():
    assert V.after([A, B, C], {"function": "addValidator", "validator": D}) == [A, B, C, D]
    assert V.after([A, B, C, D], {"function": "removeValidator", "validator": B}) == [A, C, D]


def test_quorum_every_step_is_checked():
    assert V.quorum_problem([A, B, C], [A, B, D], [A, B, C, D]) is None
    # Two of three current validators down: no change can become final.
    problem = V.quorum_problem([A, B, C], [A, B, D], [A])
    assert problem.startswith("addValidator " + D) and "only 1 of the 3 current signers are live" in problem
    # D and E join dead: once B goes, 2 of the 4 left are live, not a majority.
    problem = V.quorum_problem([A, B, C], [A, D, E], [A, B, C])
    assert problem == ("removeValidator %s: the new set of 4 signers would have 2 live ones, and Aura needs 3 to go "
                       "on sealing" % B)
    assert V.quorum_problem([A], [], [A]) == "the change would leave no validator at all"


@pytest.mark.parametrize("current, wanted", [([A, B, C], [A, B, C, D, E]), ([A, B, C, D, E], [C]), ([A, B], [C, D])])
def test_the_steps_reach_the_wanted_set(current, wanted):
    step, count = current, 0
    while (change := V.next_change(step, wanted)) is not None:
        step, count = V.after(step, change), count + 1
    assert sorted(step) == sorted(wanted)
    assert count == len(set(current) ^ set(wanted))
