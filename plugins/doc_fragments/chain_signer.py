# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Options of every module that signs transactions with a keystore (rpc.common_argument_spec)."""

    DOCUMENTATION = r'''
options:
  rpc_url:
    description: JSON-RPC endpoint of the chain, for example V(http://127.0.0.1:8545).
    type: str
    required: true
  chain_id:
    description: Chain id the node must report. The module fails when the node serves another chain.
    type: int
  keystore:
    description: Path of the V3 keystore JSON of the deployer, on the host that runs the module.
    type: path
    required: true
  password_file:
    description: File holding the keystore password (trailing newline ignored).
    type: path
    required: true
  confirmations:
    description: Blocks to wait for on top of the one that includes the transaction (1 = included).
    type: int
    default: 1
  gas_price:
    description: Legacy gas price in wei. Forces a legacy transaction.
    type: int
  max_fee_per_gas:
    description: EIP-1559 max fee in wei. Default is twice the latest base fee plus the priority fee.
    type: int
  max_priority_fee_per_gas:
    description: EIP-1559 priority fee in wei. Default is the node's eth_maxPriorityFeePerGas (or 1 gwei).
    type: int
  timeout:
    description: Seconds to wait for the node and for each receipt.
    type: int
    default: 120
requirements:
  - web3 >= 7
  - eth-account
'''
