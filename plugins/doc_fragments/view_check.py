# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """The O(check) option of the modules that send a transaction only when a view call shows it is needed
    (contracts.check_argument_spec)."""

    DOCUMENTATION = r'''
options:
  check:
    description: View call that tells whether the transaction is needed; nothing is sent when it already returns O(check.expect).
    type: dict
    suboptions:
      function:
        description: View function name or signature.
        type: str
        required: true
      args:
        description: Its arguments.
        type: list
        elements: raw
        default: []
      expect:
        description:
          - The value the view returns once the transaction is done. Addresses compare in any case, integers may be
            strings, bytes are 0x hex, tuples and arrays are lists.
        type: raw
        required: true
'''
