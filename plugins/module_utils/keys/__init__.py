# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Authority keystores (Web3 Secret Storage V3) and devp2p node identities.

Pure Python, no Ansible import: the modules ``authority_account`` and
``node_identity`` are thin wrappers around the functions here.

- common: KeysError, the key libraries, passwords, private keys, file reads and writes;
- keystore: the V3 keystore and ensure_keystore (authority_account);
- nodekey: the node key file, node id and enode URL, ensure_node_key (node_identity);
- ids: owner, group and mode of the written files.

Rules kept by every public function of this package:

* a private key never leaves it: callers get checksummed addresses, node ids
  and enode URLs; only the functions whose names start with ``_`` handle key
  material, and they are internal;
* every failure is a :class:`KeysError` whose message says what is wrong and
  how to fix it;
* files are written atomically through fileio (temp file in the same
  directory, fchmod, fchown, fsync, rename), so a failure leaves what was
  there untouched.

The names below are those the modules, the tests and the benchmarks import from here.
"""

from __future__ import annotations

# pylint: disable=unused-import
from ansible_collections.poa.consortium.plugins.module_utils.keys.common import (  # noqa: F401
    DEFAULT_FILE_MODE, ETH_IMPORT_ERROR, HAS_ETH_LIBS, SECP256K1_N, KeysError, _parse_private_key_hex,
    _private_key_from_bytes, address_of_private_key_hex, check_parent_dir, normalize_password, read_password_file,
    strip_one_newline,
)
from ansible_collections.poa.consortium.plugins.module_utils.keys.ids import (  # noqa: F401
    octal_mode, resolve_gid, resolve_uid,
)
from ansible_collections.poa.consortium.plugins.module_utils.keys.keystore import (  # noqa: F401
    DEFAULT_DKLEN, DEFAULT_PBKDF2_ITERATIONS, DEFAULT_SCRYPT_N, DEFAULT_SCRYPT_P, DEFAULT_SCRYPT_R, KDFS,
    MAX_PBKDF2_ITERATIONS, MAX_SCRYPT_MEMORY, _decrypt_keystore, _encrypt_keystore, describe_keystore, ensure_keystore,
    keystore_address, parse_keystore, serialize_keystore, unlock_keystore,
)
from ansible_collections.poa.consortium.plugins.module_utils.keys.nodekey import (  # noqa: F401
    NODE_KEY_FORMATS, enode_url, ensure_node_key, format_host, load_node_id, node_id_from_private_key_hex, node_id_of,
)
