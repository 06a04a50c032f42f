# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The error of the contract helpers: a bad artifact, unlinkable bytecode, a journal problem or a chain
that disagrees with the journal."""

from __future__ import annotations

from ansible_collections.poa.consortium.plugins.module_utils.rpc import RpcError


class ContractError(RpcError):
    """Bad artifact, unlinkable bytecode, manifest problem or a chain that disagrees with it."""
