# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: node_identity
short_description: Create or load an Ethereum node's devp2p key and return its enode URL
version_added: "0.1.0"
description:
  - Makes sure O(path) holds a secp256k1 devp2p node key, generated on the target when missing, and returns
    the node id (the 64-byte public key as 128 hex characters) and the C(enode://) URL other nodes use to reach it.
  - An existing key file in either format is loaded. If its bytes are not exactly what O(format) asks for
    (the other format, a trailing newline, a C(0x) prefix, upper case), it is rewritten in O(format) with the
    same key, so the node id does not change.
  - A corrupt key file fails the task and is left as it is.
  - The file is written atomically, with its mode and owner set before it holds any data.
  - The private key is never returned or logged.
author:
  - poa.consortium maintainers (@poa-consortium)
extends_documentation_fragment:
  - ansible.builtin.files
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: When a new key would be generated, node_id and enode cannot be known in check mode and are returned as null.
  diff_mode:
    support: full
    details: Shows the path, format, node id and mode; never the private key.
  platform:
    platforms: posix
options:
  path:
    description:
      - Path of the node key file on the target. Its directory must exist and be writable.
      - "geth: C(<datadir>/geth/nodekey) or C(--nodekey FILE). OpenEthereum: C(<base>/network/key).
        Nethermind: the C(KeyStore.EnodeKeyFile) setting, by default C(keystore/node.key.plain)."
    type: path
    required: true
  format:
    description:
      - V(hex) is 64 lower-case hex characters, no C(0x), no newline; geth and OpenEthereum read it.
      - V(raw) is the 32 key bytes; Nethermind reads it.
      - geth reads a V(hex) node key given with C(--nodekey FILE) (or from C(<datadir>/geth/nodekey)).
    type: str
    choices: [hex, raw]
    default: hex
  host:
    description:
      - Host other nodes reach this node at, for the enode URL. An IPv4 or IPv6 address (the most portable) or a DNS name.
    type: str
    default: 127.0.0.1
  port:
    description:
      - TCP port of the devp2p (RLPx) listener.
    type: int
    default: 30303
  discovery_port:
    description:
      - UDP discovery port when it differs from O(port); added to the URL as C(?discport=).
    type: int
notes:
  - Requires the Python library eth-keys on the target.
  - O(mode) defaults to V(0600) when not set.
requirements:
  - eth-keys
seealso:
  - module: poa.consortium.authority_account
"""

EXAMPLES = r"""
- name: Node key for geth
  poa.consortium.node_identity:
    path: /srv/poa/node/geth/nodekey
    format: hex
    host: "{{ ansible_default_ipv4.address }}"
    port: 30303
  register: node

- name: Publish the enode
  ansible.builtin.set_fact:
    node_enode: "{{ node.enode }}"

- name: Node key for Nethermind (raw bytes)
  poa.consortium.node_identity:
    path: /srv/poa/nethermind/keystore/node.key.plain
    format: raw
    host: 10.0.0.5
    port: 30303
    discovery_port: 30301
"""

RETURN = r"""
node_id:
  description:
    - The node's public key, 128 hex characters, no C(0x).
    - Null only in check mode when a new key would be generated.
  returned: success
  type: str
  sample: 93e8717f46b146ebfb99159eb13a5d044c191998656c8b79007b16051bb1ff762d09884e43783d898dd47f6220af040206cabbd45c9a26bb278a522c3d538a1f
enode:
  description:
    - The enode URL, C(enode://<node_id>@<host>:<port>) with C(?discport=<discovery_port>) when it differs.
    - Null only in check mode when a new key would be generated.
  returned: success
  type: str
  sample: >-
    enode://93e8717f46b146ebfb99159eb13a5d044c191998656c8b79007b16051bb1ff762d09884e43783d898dd47f6220af040206cabbd45c9a26bb278a522c3d538a1f@10.0.0.5:30303
path:
  description: Path of the node key file.
  returned: success
  type: str
  sample: /srv/poa/node/geth/nodekey
format:
  description: Format of the key file after the task.
  returned: success
  type: str
  sample: hex
created:
  description: Whether a new key was (or in check mode would be) generated.
  returned: success
  type: bool
  sample: false
converted_from:
  description: Format the file was found in when it was rewritten to O(format), else null.
  returned: success
  type: str
  sample: raw
"""

import os

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.poa.consortium.plugins.module_utils import fileio
from ansible_collections.poa.consortium.plugins.module_utils.keys import (
    ETH_IMPORT_ERROR,
    HAS_ETH_LIBS,
    KeysError,
    enode_url,
    ensure_node_key,
    format_host,
    resolve_gid,
    resolve_uid,
)


def main():
    argument_spec = dict(
        path=dict(type='path', required=True),
        format=dict(type='str', choices=['hex', 'raw'], default='hex'),
        host=dict(type='str', default='127.0.0.1'),
        port=dict(type='int', default=30303),
        discovery_port=dict(type='int'),
    )
    module = AnsibleModule(argument_spec=argument_spec, add_file_common_args=True, supports_check_mode=True)
    if not HAS_ETH_LIBS:
        module.fail_json(msg=missing_required_lib('eth-keys'), exception=ETH_IMPORT_ERROR)

    params = module.params
    if params['mode'] is None:
        params['mode'] = '0600'
    path = params['path']
    try:
        # validate the URL parts before touching any file
        format_host(params['host'])
        enode_url('0' * 128, params['host'], params['port'], params['discovery_port'])
        uid = resolve_uid(params['owner'])
        gid = resolve_gid(params['group'])
        existed = os.path.lexists(path)
        before = {'path': path, 'state': 'absent'}
        if existed and os.path.isfile(path):
            before = {'path': path, 'state': 'present', 'mode': fileio.mode_text(path)}
        result = ensure_node_key(path, params['format'], check_mode=module.check_mode,
                                 write=lambda target, data: fileio.write_file(module, target, data, uid=uid, gid=gid))
        node_id = result['node_id']
        enode = None if node_id is None else enode_url(node_id, params['host'], params['port'], params['discovery_port'])
    except KeysError as exc:
        module.fail_json(msg=str(exc), path=path)

    if existed:
        before['node_id'] = node_id
        before['format'] = result['converted_from'] or result['format']
    after = {'path': path, 'state': 'present', 'format': result['format'], 'node_id': node_id}
    changed, diff = fileio.settle_file(module, path, result['changed'], before, after, existed)

    module.exit_json(changed=changed, node_id=node_id, enode=enode, path=path, format=result['format'],
                     created=result['created'], converted_from=result['converted_from'], diff=diff)


if __name__ == '__main__':
    main()
