# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Contracts: compiled artifacts, ABI encoding, the deployer's journal, idempotent deploys,
idempotent transactions and account funding.

Pure Python on top of web3.py / eth-abi; no Ansible here. Errors are ContractError (or the
RpcError family from rpc.py) with messages meant for the operator.

- errors: ContractError;
- abi: encoding arguments, finding functions, view calls, comparing values;
- artifacts: reading artifacts, linking libraries;
- journal: the JSON file that records deployments (pending, then complete);
- deploy: the Deployer, which deploys once and records it;
- transact: transactions sent only when needed, funding, amounts.

The names below are those the modules and the other module_utils import from here.
"""

from __future__ import annotations

# pylint: disable=unused-import
from ansible_collections.poa.consortium.plugins.module_utils.contracts.abi import (  # noqa: F401
    ERC20_ABI, _plain, call_view, encode_arguments, encode_call, find_function, strip_0x, values_equal,
)
from ansible_collections.poa.consortium.plugins.module_utils.contracts.artifacts import (  # noqa: F401
    Artifact, link_bytecode, load_artifact, parse_artifact, placeholder_hash, strip_hardhat_placeholders,
    truffle_placeholders,
)
from ansible_collections.poa.consortium.plugins.module_utils.contracts.deploy import (  # noqa: F401
    Deployer, code_hash, deploy_data, inspect_record, record_from_receipt,
)
from ansible_collections.poa.consortium.plugins.module_utils.contracts.errors import ContractError  # noqa: F401
from ansible_collections.poa.consortium.plugins.module_utils.contracts.journal import (  # noqa: F401
    Journal, read_bridge, read_manifest, write_manifest,
)
from ansible_collections.poa.consortium.plugins.module_utils.contracts.transact import (  # noqa: F401
    check_argument_spec, ensure_funded, ensure_transaction, parse_amount, resolve_address, send_built,
)
from ansible_collections.poa.consortium.plugins.module_utils.rpc import (  # noqa: F401
    RevertError, RpcError, create_address, decode_revert, describe_revert, revert_data,
)

try:
    from eth_abi import encode as abi_encode  # noqa: F401
    from eth_utils import function_abi_to_4byte_selector, to_checksum_address  # noqa: F401
except ImportError:  # pragma: no cover - reported by rpc.run_module through HAS_ETH_ABI
    pass
