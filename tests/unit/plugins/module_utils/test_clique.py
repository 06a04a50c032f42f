# -*- coding: utf-8 -*-
from __future__ import annotations

import pytest

from ansible_collections.poa.consortium.plugins.module_utils import clique

A, B, C, D, E, F = ("0x%040x" % n for n in range(0xA, 0x10))


def test_plan_names_additions_and_removals_whatever_the_case():
    assert clique.plan([A, B.upper().replace("0X", "0x"), C], [A, B, D]) == ([D], [C])
    assert clique.plan([A, B], [B, A]) == ([], [])


@pytest.mark.parametrize("count, needed", [(1, 1), (2, 2), (3, 2), (4, 3), (5, 3), (6, 4)])
def test_majority_is_more_than_half(count, needed):
    assert clique.majority(count) == needed


def test_quorum_allows_a_change_with_enough_live_voters_and_sealers():
    assert clique.quorum_problem([A, B, C, D, E], [A, B, C, D, E, F], [A, B, C, F]) is None
    assert clique.quorum_problem([A, B, C], [A, B, C], []) is None  # no change, nothing to vote


def test_quorum_refuses_a_vote_without_a_live_majority_of_current_signers():
    problem = clique.quorum_problem([A, B, C, D, E], [A, B, C, D, E, F], [A, B, F])
    assert "only 2 of the 5 current signers are live, and a vote needs 3" in problem


def test_quorum_refuses_a_set_that_could_not_seal():
    # removing two live signers of five while two others are down leaves 1 live signer of 3
    problem = clique.quorum_problem([A, B, C, D, E], [A, B, C], [A, D, E])
    assert "would have 1 live ones, and Clique needs 2" in problem
    assert "no signer at all" in clique.quorum_problem([A], [], [A])


def view(signers, coinbase, proposals=None):
    return {"signers": sorted(signers), "coinbase": coinbase, "proposals": proposals or {}}


def test_a_signer_proposes_each_pending_change_once():
    assert clique.votes(view([A, B, C], A), [A, B, D]) == ({D: True, C: False}, [])
    assert clique.votes(view([A, B, C], A, {D: True, C: False}), [A, B, D]) == ({}, [])


def test_a_node_that_is_not_a_signer_casts_no_vote():
    assert clique.votes(view([A, B, C], D), [A, B, C, D]) == ({}, [])


def test_proposals_that_took_effect_or_are_not_wanted_are_discarded():
    # D was voted in: its proposal is discarded; E's removal is not wanted any more
    assert clique.votes(view([A, B, D], A, {D: True, E: False}), [A, B, D]) == ({}, [D, E])
    # a change of mind: the opposite proposal is replaced, not discarded
    assert clique.votes(view([A, B, D], A, {D: True}), [A, B]) == ({D: False}, [])


class FakeNode:
    def __init__(self, signers, coinbase, proposals=None):
        self.signers, self.coinbase, self.proposals = list(signers), coinbase, dict(proposals or {})
        self.calls = []

    def __call__(self, method, params):
        self.calls.append((method, tuple(params)))
        if method == "clique_getSigners":
            return [s.upper().replace("0X", "0x") for s in self.signers]
        if method == "eth_coinbase":
            return self.coinbase
        if method == "clique_proposals":
            return dict(self.proposals)
        if method == "clique_propose":
            self.proposals[params[0]] = params[1]
            return None
        if method == "clique_discard":
            self.proposals.pop(params[0])
            return None
        raise AssertionError("unexpected call %s" % method)


def test_apply_votes_then_discards_once_the_change_took_effect():
    node = FakeNode([A, B, C], A)
    _view, propose, discard = clique.apply(node, [A, B, C, D])
    assert (propose, discard) == ({D: True}, [])
    assert ("clique_propose", (D, True)) in node.calls
    node.signers.append(D)  # the vote passed
    _view, propose, discard = clique.apply(node, [A, B, C, D])
    assert (propose, discard, node.proposals) == ({}, [D], {})
    _view, propose, discard = clique.apply(node, [A, B, C, D])
    assert (propose, discard) == ({}, [])


def test_apply_in_check_mode_changes_nothing():
    node = FakeNode([A, B, C], A, {E: True})
    _view, propose, discard = clique.apply(node, [A, B], check_mode=True)
    assert (propose, discard) == ({C: False}, [E])
    assert not [m for m, _params in node.calls if m in ("clique_propose", "clique_discard")]
