# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bridge's two chains as the consortium manifest records them, connected for the modules that
read or use a deployed bridge (bridge_status, bridge_transfer)."""

from __future__ import annotations

from ansible_collections.poa.consortium.plugins.module_utils.contracts import read_bridge
from ansible_collections.poa.consortium.plugins.module_utils.rpc import connect


def argument_spec():
    """The options those modules share (doc fragment poa.consortium.bridge_manifest)."""
    return dict(
        manifest=dict(type='path', required=True),
        home_rpc_url=dict(type='str'),
        foreign_rpc_url=dict(type='str'),
    )


def connect_chains(params):
    """(bridge, home w3, foreign w3): the manifest's bridge, each chain at the URL given or recorded."""
    bridge = read_bridge(params['manifest'])
    home_w3 = connect(params['home_rpc_url'] or bridge['home']['rpc_url'], bridge['home']['chain_id'])
    foreign_w3 = connect(params['foreign_rpc_url'] or bridge['foreign']['rpc_url'], bridge['foreign']['chain_id'])
    return bridge, home_w3, foreign_w3
