#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: chain_spec_info
short_description: Validate a chain spec the way the clients read it and compute its genesis hash
version_added: "0.1.0"
description:
  - Reads a Parity/OpenEthereum/Nethermind chain spec (or a geth genesis.json) and reports whether
    OpenEthereum 3.3 and Nethermind would accept it and agree on it, with each problem naming the
    JSON path of the field and the fix; and computes the genesis block hash as the clients do.
  - An invalid spec does not fail the task; the result has RV(valid=false) and RV(errors). The
    task fails only when the file is missing or unreadable.
author:
  - poa.consortium maintainers (@poa-consortium)
requirements:
  - py-evm
  - trie
  - rlp
  - eth-utils
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The module only reads.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  path:
    description: Path of the chain spec JSON file.
    type: path
    required: true
seealso:
  - module: poa.consortium.chain_spec
"""

EXAMPLES = r"""
- name: Check a chain spec
  poa.consortium.chain_spec_info:
    path: /etc/consortium/spec.json
  register: info

- name: Stop when the clients would refuse it
  ansible.builtin.assert:
    that: info.valid
    fail_msg: "{{ info.errors | join('; ') }}"
"""

RETURN = r"""
valid:
  description: Whether the spec has no errors.
  returned: always
  type: bool
  sample: true
errors:
  description: Problems that make a client refuse the spec or the clients disagree, each "json.path - message (fix - ...)".
  returned: always
  type: list
  elements: str
  sample: ["params.gasLimitBoundDivisor: must not be 0 (OpenEthereum refuses it: validate_non_zero) (fix: use a value > 0)"]
warnings:
  description:
    - Non-fatal findings, same form as RV(errors), issued as Ansible warnings; Ansible puts them
      in the registered result under C(warnings) when there is at least one.
  returned: when there are warnings
  type: list
  elements: str
  sample: ["params.networkID: 77 is the id of POA Sokol: transactions signed for one chain replay on the other (fix: pick an unused id)"]
spec_warnings:
  description: The same list as RV(warnings), always present (empty when there is none).
  returned: always
  type: list
  elements: str
  sample: []
genesis_hash:
  description: Genesis block hash, 0x-prefixed lowercase hex; null when it cannot be computed.
  returned: always
  type: str
  sample: "0x39f02c003dde5b073b3f6e1700fc0b84b4877f6839bb23edadd3d2d82a488634"
format:
  description: V(parity) or V(geth), as detected; null if neither.
  returned: always
  type: str
  sample: parity
checksum:
  description:
    - SHA-256 of the file's bytes, hex. A change of the file (even one that keeps the genesis
      hash) shows here, so a caller can restart what reads the file without another stat.
  returned: always
  type: str
  sample: "9f2c1c8e0a54c0d3e7b9a9c1e1a0b5c3d2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a2"
"""

import hashlib
import json
import os
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    from ansible_collections.poa.consortium.plugins.module_utils.genesis import detect_format, genesis_hash_report
    from ansible_collections.poa.consortium.plugins.module_utils.spec import validate_document
    HAS_LIBS = True
    LIBS_IMPORT_ERROR = None
except ImportError:
    HAS_LIBS = False
    LIBS_IMPORT_ERROR = traceback.format_exc()


def inspect(text):
    """Return (valid, errors, warnings, genesis_hash, format) for the text of a spec file."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        return False, ["$: not valid JSON: %s (fix: repair the JSON syntax)" % exc], [], None, None
    errors, warnings = validate_document(doc)
    fmt = detect_format(doc)
    ghash = None
    if fmt is not None:
        try:
            ghash, problems = genesis_hash_report(doc)
            errors.extend(problems)
        except Exception as exc:  # pylint: disable=broad-except
            # Any failure to hash is reported, never raised: the spec is what is broken.
            message = "genesis hash: cannot be computed: %s" % exc
            if not errors:
                errors.append(message)
            else:
                warnings.append(message)
    else:
        if not errors:
            errors.append("$: neither a chain spec (no \"engine\") nor a geth genesis (no \"config\"/\"alloc\")")
    return not errors, errors, warnings, ghash, fmt


def main():
    module = AnsibleModule(
        argument_spec=dict(path=dict(type="path", required=True)),
        supports_check_mode=True,
    )
    if not HAS_LIBS:
        module.fail_json(msg=missing_required_lib("py-evm, trie, rlp and eth-utils"), exception=LIBS_IMPORT_ERROR)
    path = module.params["path"]
    if not os.path.exists(path):
        module.fail_json(msg="%s does not exist (fix: give the path of a chain spec file)" % path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
        text = raw.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        module.fail_json(msg="cannot read %s: %s (fix: check the file and its permissions)" % (path, exc))
    valid, errors, warnings, ghash, fmt = inspect(text)
    # Ansible owns the "warnings" result key: module.warn() fills it (the registered result has
    # "warnings" when there is one). spec_warnings carries the same list and is always present.
    for warning in warnings:
        module.warn(warning)
    module.exit_json(changed=False, valid=valid, errors=errors, spec_warnings=warnings, genesis_hash=ghash, format=fmt,
                     checksum=hashlib.sha256(raw).hexdigest())


if __name__ == "__main__":
    main()
