# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Options of the modules that find the bridge in the consortium manifest (bridge.manifest.connect_chains)."""

    DOCUMENTATION = r'''
options:
  manifest:
    description: The consortium manifest, whose C(bridge) object names the chains and contracts.
    type: path
    required: true
  home_rpc_url:
    description: JSON-RPC of the consortium. Default is the manifest's C(bridge.home.rpc_url).
    type: str
  foreign_rpc_url:
    description: JSON-RPC of the foreign chain. Default is the manifest's C(bridge.foreign.rpc_url).
    type: str
'''
