# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bridge's health: each validator's own report (lag, pending work, gas) and the supply
invariant, read from both chains. No Ansible here."""

from __future__ import annotations

import json

from ansible.module_utils.urls import open_url

from ansible_collections.poa.consortium.plugins.module_utils.bridge import abi
from ansible_collections.poa.consortium.plugins.module_utils.contracts import call_view

# A validator further behind than this many blocks on a chain is reported as a problem.
MAX_LAG = 20


def read_health(url, timeout=5):
    """A validator's /health JSON, or {'error': ...} when it does not answer."""
    try:
        with open_url(url, timeout=timeout) as answer:
            return json.load(answer)
    except (OSError, ValueError) as exc:
        return {'error': str(exc)}


def supply(bridge, home_w3, foreign_w3):
    """Tokens locked in the foreign bridge, and the tokens the home bridge has put in circulation.

    Circulating at home is what the home bridge was funded with minus what it still holds: the
    tokens it paid out, net of the withdrawals it received. Both are given in the foreign token's
    units (in erc_to_native, home wei are 10**decimals_shift of them); `balanced` is true when they
    are equal, which they are when no transfer is in flight.
    """
    foreign_bridge = bridge['foreign']['bridge']['address']
    locked = int(call_view(foreign_w3, bridge['foreign']['token']['address'], abi.ERC20, 'balanceOf', [foreign_bridge]))
    home_bridge = bridge['home']['bridge']['address']
    funded = int(call_view(home_w3, home_bridge, abi.HOME_BRIDGE, 'totalFunded'))
    if bridge['mode'] == 'erc_to_native':
        held = int(home_w3.eth.get_balance(home_bridge))
    else:
        held = int(call_view(home_w3, bridge['home']['token']['address'], abi.ERC20, 'balanceOf', [home_bridge]))
    scale = 10 ** int(bridge['home'].get('decimals_shift') or 0)
    circulating = funded - held
    return {'locked_foreign': locked, 'circulating_home': circulating // scale, 'funded_home': funded,
            'balanced': locked * scale == circulating}


def validator_rows(validators):
    """validators: [{name, health}] or [{name, url}] -> (rows, problems)."""
    rows, problems = [], []
    for item in validators:
        health = item.get('health') or read_health(item['url'])
        if 'error' in health:
            rows.append({'name': item['name'], 'address': None, 'home_lag': None, 'foreign_lag': None,
                         'pending': None, 'home_gas': None, 'foreign_gas': None, 'error': health['error']})
            problems.append('bridge validator %s does not answer its health check: %s' % (item['name'], health['error']))
            continue
        home, foreign = health.get('home') or {}, health.get('foreign') or {}
        pending = health.get('pending') or {}
        row = {'name': item['name'], 'address': health.get('validator'),
               'home_lag': home.get('lag'), 'foreign_lag': foreign.get('lag'),
               'pending': sum(int(v) for v in pending.values()) if pending else 0,
               'home_gas': home.get('balance_wei'), 'foreign_gas': foreign.get('balance_wei'),
               'error': health.get('last_error')}
        rows.append(row)
        for side in ('home', 'foreign'):
            lag = row[side + '_lag']
            if lag is None or int(lag) > MAX_LAG:
                problems.append('bridge validator %s is %s blocks behind on the %s chain' % (item['name'], lag, side))
    return rows, problems


def _ether(wei):
    return '-' if wei is None else '%.3f' % (int(wei) / 10 ** 18)


def table(rows, amounts, decimals=9):
    """Fixed-width lines: one per validator, then the supply invariant."""
    header = ('validator', 'home lag', 'foreign lag', 'pending', 'home gas', 'foreign gas')
    lines = [header] + [
        (r['name'], '-' if r['home_lag'] is None else str(r['home_lag']),
         '-' if r['foreign_lag'] is None else str(r['foreign_lag']),
         '-' if r['pending'] is None else str(r['pending']), _ether(r['home_gas']), _ether(r['foreign_gas']))
        for r in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = ['  '.join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in lines]
    scale = 10 ** decimals
    out.append('RLC locked on the foreign chain: %s; in circulation at home: %s' % (
        amounts['locked_foreign'] / scale, amounts['circulating_home'] / scale))
    return out
