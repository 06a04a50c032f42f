#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: bridge_status
short_description: Report the token bridge's health, its validators and its supply invariant
version_added: "0.2.0"
description:
  - Reads each bridge validator's health endpoint (its lag on both chains, its pending work, its gas) and the
    tokens locked on the foreign chain against those the home bridge has put in circulation.
  - A validator that does not answer, or is more than 20 blocks behind on a chain, is a problem. The two
    amounts differ only while a transfer is in flight; with O(wait), the module waits for them to agree.
author:
  - poa.consortium maintainers (@poa-consortium)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - poa.consortium.bridge_manifest
attributes:
  check_mode:
    support: full
    details: Reads only.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  validators:
    description:
      - The validators, each with its health report (read on its own host, where the endpoint listens on
        loopback) or the URL to read it from.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Host name of the validator.
        type: str
        required: true
      url:
        description: Its health URL, for example V(http://127.0.0.1:8711/health), when O(validators[].health) is not given.
        type: str
      health:
        description: The JSON the validator's C(/health) answered, or C({error}) when it did not answer.
        type: dict
  wait:
    description: Seconds to keep checking until there is no problem and the invariant holds. V(0) checks once.
    type: float
    default: 0
  fail_on_problems:
    description: Fail when a validator is sick or the invariant does not hold.
    type: bool
    default: true
requirements:
  - web3 >= 7
'''

EXAMPLES = r'''
- name: Check the bridge
  poa.consortium.bridge_status:
    manifest: build/local/manifest.json
    validators:
      - {name: alpha-1, url: "http://127.0.0.1:8711/health"}
      - {name: beta-1, health: "{{ beta_health.json }}"}
  register: bridge_health
'''

RETURN = r'''
validators:
  description: One row per validator, C(name), C(address), C(home_lag), C(foreign_lag), C(pending), C(home_gas), C(foreign_gas), C(error).
  returned: success
  type: list
  elements: dict
supply:
  description:
    - C(locked_foreign) and C(circulating_home) in the foreign token's base units, C(funded_home) in the home
      chain's, and C(balanced), true when the first two agree.
  returned: success
  type: dict
problems:
  description: What is wrong, one sentence each.
  returned: always
  type: list
  elements: str
table:
  description: The report as fixed-width lines.
  returned: success
  type: list
  elements: str
'''

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.poa.consortium.plugins.module_utils.bridge import endpoints, status
from ansible_collections.poa.consortium.plugins.module_utils.rpc import run_module


def run(module):
    p = module.params
    bridge, home_w3, foreign_w3 = endpoints.connect_chains(p)
    deadline = time.monotonic() + p['wait']
    while True:
        rows, problems = status.validator_rows(p['validators'])
        amounts = status.supply(bridge, home_w3, foreign_w3)
        if not amounts['balanced']:
            problems.append('%d locked on the foreign chain but %d in circulation at home (a transfer in flight, or a '
                            'fault)' % (amounts['locked_foreign'], amounts['circulating_home']))
        if not problems or time.monotonic() >= deadline:
            break
        time.sleep(1)
    result = dict(changed=False, validators=rows, supply=amounts, problems=problems, table=status.table(rows, amounts))
    if problems and p['fail_on_problems']:
        module.fail_json(msg='bridge unhealthy: ' + '; '.join(problems), **result)
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            endpoints.argument_spec(),
            validators=dict(type='list', elements='dict', required=True, options=dict(
                name=dict(type='str', required=True),
                url=dict(type='str'),
                health=dict(type='dict'),
            ), required_one_of=[('url', 'health')]),
            wait=dict(type='float', default=0),
            fail_on_problems=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
    )
    run_module(module, run)


if __name__ == '__main__':
    main()
