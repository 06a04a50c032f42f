# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the keystore and node key helpers share: their error, the key libraries, password and
private key parsing, and file reads and writes through fileio."""

from __future__ import annotations

import os
import re
import traceback

from ansible_collections.poa.consortium.plugins.module_utils import fileio

try:
    # every library the keystore and node key code needs, so that HAS_ETH_LIBS speaks for all of them
    import Crypto.Protocol.KDF  # noqa: F401 pylint: disable=unused-import
    import eth_keyfile.keyfile  # noqa: F401 pylint: disable=unused-import
    import eth_utils  # noqa: F401 pylint: disable=unused-import
    from eth_keys import keys as _eth_keys
except ImportError:
    HAS_ETH_LIBS = False
    ETH_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_ETH_LIBS = True
    ETH_IMPORT_ERROR = None

# secp256k1 group order: a private key must be in [1, N-1]
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
DEFAULT_FILE_MODE = 0o600

_HEX_RE = re.compile(r'^[0-9a-fA-F]*$')


class KeysError(Exception):
    """Something about a key, a keystore or a key file is wrong.

    The message says what and how to fix it. It never contains key material.
    """


def _require_libs():
    if not HAS_ETH_LIBS:
        raise KeysError('the Python libraries eth-keys, eth-keyfile, eth-utils and pycryptodome are needed; '
                        'install them on the target (pip install eth-account) and retry')


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------

def normalize_password(password, allow_empty=False):
    """Return the password as bytes (str is encoded as UTF-8)."""
    if isinstance(password, str):
        password = password.encode('utf-8')
    elif isinstance(password, (bytearray, memoryview)):
        password = bytes(password)
    if not isinstance(password, bytes):
        raise KeysError('the password must be text or bytes, got %s' % type(password).__name__)
    if not password and not allow_empty:
        raise KeysError('the keystore password is empty; put a non-empty password in the password file '
                        '(for example made with the ansible.builtin.password lookup)')
    return password


def strip_one_newline(data):
    """Strip one trailing newline (``\\n`` or ``\\r\\n``) as a password file is read."""
    if data.endswith(b'\r\n'):
        return data[:-2]
    if data.endswith(b'\n'):
        return data[:-1]
    return data


def read_password_file(path):
    """Read a password file (bytes, one trailing newline stripped)."""
    try:
        with open(path, 'rb') as handle:
            data = handle.read()
    except FileNotFoundError:
        raise KeysError('password file %s does not exist; create it first (for example with the '
                        'ansible.builtin.password lookup) or fix password_file' % path)
    except OSError as exc:
        raise KeysError('cannot read password file %s: %s; check its permissions' % (path, exc.strerror))
    return normalize_password(strip_one_newline(data))


def _private_key_from_bytes(raw, what='private key'):
    """Validate 32 raw bytes as a secp256k1 private key and wrap it."""
    _require_libs()
    if len(raw) != 32:
        raise KeysError('the %s is %d bytes long; a secp256k1 private key is exactly 32 bytes '
                        '(64 hex characters)' % (what, len(raw)))
    value = int.from_bytes(raw, 'big')
    if not 0 < value < SECP256K1_N:
        raise KeysError('the %s is out of range: it must be between 1 and the secp256k1 group order - 1; '
                        'use another key' % what)
    return _eth_keys.PrivateKey(raw)


def _parse_private_key_hex(text, what='private key'):
    """Parse a hex private key (``0x`` optional, surrounding whitespace ignored)."""
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode('ascii')
        except UnicodeDecodeError:
            raise KeysError('the %s is not hex text; give 64 hex characters, 0x optional' % what)
    if not isinstance(text, str):
        raise KeysError('the %s must be a hex string, got %s' % (what, type(text).__name__))
    text = text.strip()
    if text[:2].lower() == '0x':
        text = text[2:]
    if not _HEX_RE.match(text):
        raise KeysError('the %s is not hexadecimal; give 64 hex characters, 0x optional' % what)
    if len(text) != 64:
        raise KeysError('the %s has %d hex characters; a secp256k1 private key is exactly 32 bytes '
                        '(64 hex characters, 0x optional)' % (what, len(text)))
    return _private_key_from_bytes(bytes.fromhex(text), what)


def address_of_private_key_hex(text):
    """Checksummed address of a hex private key (validates it)."""
    return _parse_private_key_hex(text).public_key.to_checksum_address()


# ---------------------------------------------------------------------------
# files
# ---------------------------------------------------------------------------

def check_parent_dir(path, check_mode=False):
    """Raise KeysError unless the directory that will hold ``path`` exists and is writable.

    In check mode a missing directory is fine: an earlier task (skipped by check mode) makes it.
    """
    if check_mode and not os.path.exists(os.path.dirname(os.path.abspath(path))):
        return None
    try:
        return fileio.check_parent_dir(path)
    except fileio.FileWriteError as exc:
        raise KeysError(str(exc))


def _write(path, data, mode, uid, gid, write):
    """Write with ``write(path, data)`` when the module gives one, else fileio.atomic_write; errors as KeysError."""
    try:
        if write is None:
            fileio.atomic_write(path, data, mode, uid, gid)
        else:
            write(path, data)
    except fileio.FileWriteError as exc:
        raise KeysError(str(exc))


def _read_file(path, what):
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except IsADirectoryError:
        raise KeysError('%s %s is a directory; give the path of a file' % (what, path))
    except OSError as exc:
        raise KeysError('cannot read %s %s: %s; check its permissions' % (what, path, exc.strerror))
