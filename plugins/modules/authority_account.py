# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: authority_account
short_description: Create, check or import an authority's encrypted Ethereum keystore
version_added: "0.1.0"
description:
  - Makes sure O(path) holds a Web3 Secret Storage version 3 keystore (the JSON file that geth, OpenEthereum,
    Nethermind and eth-account read) which the password in O(password_file) unlocks, and returns its address.
  - When O(path) is missing, a new secp256k1 key is generated on the target, or the key given with
    O(import_keystore) or O(import_private_key) is written.
  - When O(path) exists, it is decrypted with the password to prove it is usable; nothing is rewritten.
    A wrong password or a corrupt file fails the task and touches nothing.
  - An imported key whose address differs from the keystore already at O(path) fails the task;
    the module never overwrites an authority key.
  - The file is written atomically (temporary file in the same directory, then rename), with its mode
    and owner set before it holds any data.
  - The private key and the password are never returned or logged.
author:
  - poa.consortium maintainers (@poa-consortium)
extends_documentation_fragment:
  - ansible.builtin.files
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: When a new random key would be generated, the address cannot be known in check mode and is returned as null.
  diff_mode:
    support: full
    details: Shows the path, address, key derivation settings and mode; never key material or ciphertext.
  platform:
    platforms: posix
options:
  path:
    description:
      - Path of the keystore file on the target. Its directory must exist and be writable.
      - geth and OpenEthereum find a key by the C(address) field inside the file. Nethermind finds it by its
        lower-case address (no C(0x)) anywhere in the file name inside C(KeyStore.KeyStoreDirectory); a name like
        C(UTC--<date>--<address>) suits every client.
    type: path
    required: true
  password_file:
    description:
      - File on the target holding the keystore password, for example made with the C(ansible.builtin.password) lookup.
      - One trailing newline is stripped, as geth does with C(--password). The password must not be empty.
    type: path
  password:
    description:
      - The keystore password itself, for example from Ansible Vault, instead of O(password_file).
      - Lets a role check a new password against an existing keystore before it writes the password file, so a
        wrong Vault value fails with nothing overwritten.
      - Exactly one of O(password) and O(password_file) is required.
    type: str
  state:
    description:
      - Only V(present) is supported; the module never deletes a key.
    type: str
    choices: [present]
    default: present
  kdf:
    description:
      - Key derivation function for a keystore this module encrypts.
    type: str
    choices: [scrypt, pbkdf2]
    default: scrypt
  scrypt_n:
    description:
      - scrypt cost parameter N, a power of two. 262144 is geth's standard; 4096 its light setting.
    type: int
    default: 262144
  scrypt_r:
    description:
      - scrypt block size r.
    type: int
    default: 8
  scrypt_p:
    description:
      - scrypt parallelisation p.
    type: int
    default: 1
  pbkdf2_iterations:
    description:
      - PBKDF2-HMAC-SHA256 iteration count when O(kdf=pbkdf2).
    type: int
    default: 1000000
  import_keystore:
    description:
      - Text of an existing V3 keystore to install at O(path) when it is missing.
      - If the password from O(password_file) unlocks it, and it has its C(address) field and a UUID C(id)
        (geth needs both), it is written as it is, byte for byte. Otherwise it is decrypted with O(import_keystore_password) and re-encrypted with the password
        from O(password_file) and the kdf options above, so that the node can unlock it.
    type: str
  import_keystore_password:
    description:
      - Password of O(import_keystore) when it is not the one in O(password_file).
    type: str
  import_private_key:
    description:
      - A raw secp256k1 private key (64 hex characters, C(0x) optional) to encrypt into O(path) when it is missing.
    type: str
  expected_address:
    description:
      - The address the consortium already records for this authority (its manifest). The keystore must then hold
        that key, and a missing keystore fails the task instead of getting a new key; restore it from a backup, or
        import that same key with O(import_keystore) or O(import_private_key).
      - Leave unset for an authority the consortium does not know yet.
    type: str
notes:
  - Requires the Python libraries eth-account (with eth-keyfile, eth-keys) and pycryptodome on the target.
  - O(mode) defaults to V(0600) when not set.
  - With the default scrypt cost each creation or check takes about a second of CPU and 256 MiB of memory.
  - The derived key length is always 32 bytes. The spec, geth and eth-keyfile take the MAC key from bytes 16-31 of the
    derived key, Nethermind from its last 16 bytes; they only agree at 32.
requirements:
  - eth-account
  - eth-keyfile
  - pycryptodome
seealso:
  - module: poa.consortium.node_identity
"""

EXAMPLES = r"""
- name: Make sure the authority has a keystore
  poa.consortium.authority_account:
    path: /srv/poa/authority/keystore/authority.json
    password_file: /srv/poa/authority/password
    owner: poa
    group: poa
  register: authority

- name: Publish the authority address
  ansible.builtin.set_fact:
    authority_address: "{{ authority.address }}"

- name: Install a company's existing keystore (kept as is if password_file unlocks it)
  poa.consortium.authority_account:
    path: /srv/poa/authority/keystore/authority.json
    password_file: /srv/poa/authority/password
    import_keystore: "{{ lookup('ansible.builtin.file', 'files/acme-authority.json') }}"
    import_keystore_password: "{{ acme_keystore_password }}"

- name: Encrypt a raw key from the vault, with a cheaper scrypt for a test network
  poa.consortium.authority_account:
    path: /srv/poa/authority/keystore/authority.json
    password_file: /srv/poa/authority/password
    import_private_key: "{{ vault_authority_key }}"
    scrypt_n: 16384

- name: Check an authority the consortium already knows (fails if its keystore is missing or another key)
  poa.consortium.authority_account:
    path: /srv/poa/authority/keystore/authority.json
    password_file: /srv/poa/authority/password
    expected_address: "0x8fd379246834eac74B8419FfdA202CF8051F7A03"
"""

RETURN = r"""
address:
  description:
    - Checksummed address of the key in the keystore.
    - Null only in check mode when a new random key would be generated.
  returned: success
  type: str
  sample: "0x008AeEda4D805471dF9b2A5B0f38A0C3bCBA786b"
path:
  description: Path of the keystore file.
  returned: success
  type: str
  sample: /srv/poa/authority/keystore/authority.json
created:
  description: Whether the keystore was (or in check mode would be) written.
  returned: success
  type: bool
  sample: false
reencrypted:
  description: Whether an imported keystore was re-encrypted with the password from O(password_file).
  returned: success
  type: bool
  sample: false
kdf:
  description: Key derivation function of the keystore at O(path).
  returned: success
  type: str
  sample: scrypt
"""

import os

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.poa.consortium.plugins.module_utils import fileio
from ansible_collections.poa.consortium.plugins.module_utils.keys import (
    ETH_IMPORT_ERROR,
    HAS_ETH_LIBS,
    KeysError,
    ensure_keystore,
    normalize_password,
    read_password_file,
    resolve_gid,
    resolve_uid,
)


def _nothing_to_read_yet(module):
    """A first run in check mode: the password file comes from an earlier task that check mode
    skipped, so nothing can be read yet; the truthful prediction is "a keystore is created"."""
    params = module.params
    return (module.check_mode and params['password_file'] and not os.path.exists(params['password_file'])
            and not os.path.exists(params['path']) and not params['import_private_key']
            and not params['import_keystore'] and not params['expected_address'])


def main():
    argument_spec = dict(
        path=dict(type='path', required=True),
        password_file=dict(type='path', no_log=False),
        password=dict(type='str', no_log=True),
        state=dict(type='str', choices=['present'], default='present'),
        kdf=dict(type='str', choices=['scrypt', 'pbkdf2'], default='scrypt'),
        scrypt_n=dict(type='int', default=262144),
        scrypt_r=dict(type='int', default=8),
        scrypt_p=dict(type='int', default=1),
        pbkdf2_iterations=dict(type='int', default=1000000),
        import_keystore=dict(type='str', no_log=True),
        import_keystore_password=dict(type='str', no_log=True),
        import_private_key=dict(type='str', no_log=True),
        expected_address=dict(type='str'),
    )
    module = AnsibleModule(
        argument_spec=argument_spec,
        add_file_common_args=True,
        supports_check_mode=True,
        mutually_exclusive=[('import_keystore', 'import_private_key'), ('password', 'password_file')],
        required_one_of=[('password', 'password_file')],
        required_by={'import_keystore_password': 'import_keystore'},
    )
    if not HAS_ETH_LIBS:
        module.fail_json(msg=missing_required_lib('eth-account'), exception=ETH_IMPORT_ERROR)

    params = module.params
    if params['mode'] is None:
        params['mode'] = '0600'
    path = params['path']
    existed = fileio.mode_text(path) is not None
    try:
        if _nothing_to_read_yet(module):
            result = {'changed': True, 'created': True, 'address': None, 'reencrypted': False,
                      'keystore': {'address': None, 'kdf': params['kdf']}}
        else:
            if params['password'] is not None:
                password = normalize_password(params['password'])
            else:
                password = read_password_file(params['password_file'])
            uid = resolve_uid(params['owner'])
            gid = resolve_gid(params['group'])
            result = ensure_keystore(
                path, password,
                kdf=params['kdf'], scrypt_n=params['scrypt_n'], scrypt_r=params['scrypt_r'], scrypt_p=params['scrypt_p'],
                pbkdf2_iterations=params['pbkdf2_iterations'],
                import_keystore=params['import_keystore'], import_keystore_password=params['import_keystore_password'],
                import_private_key=params['import_private_key'],
                check_mode=module.check_mode, expected_address=params['expected_address'],
                write=lambda target, data: fileio.write_file(module, target, data, uid=uid, gid=gid),
            )
    except KeysError as exc:
        module.fail_json(msg=str(exc), path=path)

    described = result['keystore']
    before = {'path': path, 'state': 'absent'}
    if existed:
        before = {'path': path, 'state': 'present', 'address': described['address'], 'kdf': described['kdf'],
                  'mode': fileio.mode_text(path)}
    after = {'path': path, 'state': 'present', 'address': result['address'], 'kdf': described['kdf']}
    changed, diff = fileio.settle_file(module, path, result['changed'], before, after, existed)

    module.exit_json(changed=changed, address=result['address'], path=path, created=result['created'],
                     reencrypted=result['reencrypted'], kdf=described['kdf'], diff=diff)


if __name__ == '__main__':
    main()
