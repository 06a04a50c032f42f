# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An Aura chain's validator-set contract (ours: contracts/governance/ValidatorSet.sol) read, and
the next change towards the inventory's authorities planned.

The contract takes one change at a time: addValidator or removeValidator (owner only, the Safe)
announces the new set with InitiateChange and refuses another change until the engine has called
finalizeChange, which both clients do once the announcing block is final. So a change of several
validators is a sequence of single changes, each waited for. Additions come first, so the set
never shrinks below what it needs while others join. Written here because no library plans these
changes; the view calls go through web3 (contracts.call_view).
"""

from __future__ import annotations

from ansible_collections.poa.consortium.plugins.module_utils import clique
from ansible_collections.poa.consortium.plugins.module_utils.contracts import call_view

# The view functions read here; a unit test checks them against the compiled artifact.
VIEW_ABI = [
    {'type': 'function', 'name': name, 'stateMutability': 'view', 'inputs': [],
     'outputs': [{'name': '', 'type': out}]}
    for name, out in (('getValidators', 'address[]'), ('pendingValidators', 'address[]'), ('finalized', 'bool'))
]


def read(w3, address):
    """{'validators', 'pending', 'finalized'}: the set in force (in the contract's order, which is
    Aura's proposer order), the announced set not yet final, and whether no change is pending."""
    return {
        'validators': [str(a).lower() for a in call_view(w3, address, VIEW_ABI, 'getValidators')],
        'pending': [str(a).lower() for a in call_view(w3, address, VIEW_ABI, 'pendingValidators')],
        'finalized': bool(call_view(w3, address, VIEW_ABI, 'finalized')),
    }


def next_change(current, wanted):
    """The next single change from `current` towards `wanted`: {'function', 'validator'}, or None."""
    to_add, to_remove = clique.plan(current, wanted)
    if to_add:
        return {'function': 'addValidator', 'validator': to_add[0]}
    if to_remove:
        return {'function': 'removeValidator', 'validator': to_remove[0]}
    return None


def after(current, change):
    """The set once `change` is final."""
    current = [str(a).lower() for a in current]
    if change is None:
        return current
    if change['function'] == 'addValidator':
        return current + [change['validator']]
    return [a for a in current if a != change['validator']]


def quorum_problem(current, wanted, live):
    """Why the path from `current` to `wanted` must not be taken with the `live` validators, or None:
    every single step, and the end, must keep a live majority (see clique.quorum_problem)."""
    if not clique.normalize(wanted):
        return 'the change would leave no validator at all'
    step = current
    while True:
        change = next_change(step, wanted)
        if change is None:
            return None
        following = after(step, change)
        problem = clique.quorum_problem(step, following, live, engine='Aura')
        if problem:
            return '%s %s: %s' % (change['function'], change['validator'], problem)
        step = following
