# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Aura chain spec: render from structured inputs, validate the way the clients read it.

``render_parity(inputs)`` builds an OpenEthereum/Nethermind chain spec (dict);
``render_geth(inputs)`` builds a geth-style Clique genesis.json from the same inputs;
``canonical_json(doc)`` gives the bytes to write; ``validate_spec(doc)`` checks any existing spec
and returns (errors, warnings), each message starting with the JSON path of the field.

Each rule cites where the clients enforce it. "OE" is openethereum/openethereum v3.3
(crates/ethjson/src/spec/*.rs, serde ``deny_unknown_fields`` structs); "NM" is
NethermindEth/nethermind (src/Nethermind/Nethermind.Specs/ChainSpecStyle/ChainSpecLoader.cs and
the AuRa plugin). The full list is in docs/chain-spec.md. No client code is copied here.

- schema: the field sets the clients accept, public chain ids, InputError;
- forks: the fork order, names, Aura params and builtins per fork;
- inputs: the module's inputs checked and turned into spec values;
- render: render_parity, render_geth, render, canonical_json;
- validate: validate_spec, validate_geth, validate_document.

The names below are those the modules, governance.py, the tests and the benchmarks import from here.
"""

from __future__ import annotations

# pylint: disable=unused-import
from ansible_collections.poa.consortium.plugins.module_utils.spec.forks import (  # noqa: F401
    FORK_ALIASES, FORK_ORDER, GETH_FORK_FIELDS, fork_params_and_builtins,
)
from ansible_collections.poa.consortium.plugins.module_utils.spec.render import (  # noqa: F401
    canonical_json, render, render_geth, render_parity,
)
from ansible_collections.poa.consortium.plugins.module_utils.spec.schema import (  # noqa: F401
    ACCOUNT_KEYS, ADDRESS_RE, AURA_KEYS, BUILTIN_KEYS, DEFAULT_DIFFICULTY, DEFAULT_GAS_LIMIT, ENGINE_KEYS, ENODE_RE,
    GENESIS_KEYS, NETHERMIND_ONLY_PARAMS, PARAM_ADDRESSES, PARAM_KEYS, PARAM_REQUIRED, PRICING_FIELDS,
    PUBLIC_CHAIN_IDS, REQUIRED_PARAM_EXAMPLES, SPEC_KEYS, SPEC_REQUIRED, ZERO_SIGNATURE, InputError,
)
from ansible_collections.poa.consortium.plugins.module_utils.spec.validate import validate_document, validate_geth, validate_spec  # noqa: F401
