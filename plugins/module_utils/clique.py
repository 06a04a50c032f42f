# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Clique signer votes: the plan of a change of signers, its quorum check, and one node's votes.

Clique (EIP-225) adds or removes a signer once more than half of the current signers have voted
for it: each signer's node puts its pending proposals (clique_propose) into the blocks it seals.
A node keeps proposing until its proposal is discarded (clique_discard), so the votes of a change
that took effect are discarded afterwards. Written here because no library drives these votes.
"""

from __future__ import annotations


def normalize(addresses):
    """Addresses as a sorted list of unique lower-case hex strings."""
    return sorted({str(address).lower() for address in addresses})


def majority(count):
    """Signers Clique needs: more than half. A signer seals at most one block in any
    floor(count / 2) + 1 consecutive blocks, so fewer live signers stall the chain."""
    return count // 2 + 1


def plan(current, wanted):
    """(to_add, to_remove) that turn the signer set `current` into `wanted`."""
    current, wanted = set(normalize(current)), set(normalize(wanted))
    return sorted(wanted - current), sorted(current - wanted)


def quorum_problem(current, wanted, live, engine='Clique'):
    """Why the change from `current` to `wanted` signers must not be made with the `live` signers
    (those whose node answers), or None. Votes need a majority of the current signers, and the
    chain a majority of the new ones, live. Aura alike: a change takes effect once a majority of
    the current validators built on the block that announced it, and blocks are final only with a
    majority of the new ones."""
    current, wanted, live = set(normalize(current)), set(normalize(wanted)), set(normalize(live))
    if not wanted:
        return 'the change would leave no signer at all'
    if current == wanted:
        return None
    voters = len(current & live)
    if voters < majority(len(current)):
        return ('only %d of the %d current signers are live, and a vote needs %d of them: start their nodes '
                'first' % (voters, len(current), majority(len(current))))
    sealers = len(wanted & live)
    if sealers < majority(len(wanted)):
        return ('the new set of %d signers would have %d live ones, and %s needs %d to go on sealing'
                % (len(wanted), sealers, engine, majority(len(wanted))))
    return None


def read(call):
    """This node's view: {'signers', 'coinbase', 'proposals'} (proposals: {address: authorize})."""
    return {
        'signers': normalize(call('clique_getSigners', [])),
        'coinbase': str(call('eth_coinbase', [])).lower(),
        'proposals': {str(address).lower(): bool(auth) for address, auth in (call('clique_proposals', []) or {}).items()},
    }


def votes(view, wanted):
    """(propose, discard) for one node: propose {address: authorize} for each change this node's
    signer has not proposed yet (a node whose signer is not a current signer casts no vote), and
    discard every proposal that no longer matches a pending change."""
    to_add, to_remove = plan(view['signers'], wanted)
    pending = dict([(address, True) for address in to_add] + [(address, False) for address in to_remove])
    voter = view['coinbase'] in view['signers']
    propose = {address: auth for address, auth in pending.items()
               if voter and view['proposals'].get(address) is not auth}
    discard = sorted(address for address, auth in view['proposals'].items()
                     if pending.get(address) is not auth and address not in propose)
    return propose, discard


def apply(call, wanted, check_mode=False):
    """Cast this node's votes towards `wanted`; returns (view before, propose, discard)."""
    view = read(call)
    propose, discard = votes(view, wanted)
    if not check_mode:
        for address in discard:
            call('clique_discard', [address])
        for address, auth in sorted(propose.items()):
            call('clique_propose', [address, auth])
    return view, propose, discard
