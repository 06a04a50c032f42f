# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Authority keystores (Web3 Secret Storage V3) and devp2p node identities.

Pure Python, no Ansible import: the modules ``authority_account`` and
``node_identity`` are thin wrappers around the functions here.

Rules kept by every public function of this file:

* a private key never leaves it: callers get checksummed addresses, node ids
  and enode URLs; only the functions whose names start with ``_`` handle key
  material, and they are internal;
* every failure is a :class:`KeysError` whose message says what is wrong and
  how to fix it;
* files are written atomically through fileio (temp file in the same
  directory, fchmod, fchown, fsync, rename), so a failure leaves what was
  there untouched.

Node key file formats, per client (checked in each client's source):

* geth ``<datadir>/geth/nodekey`` (or ``--nodekey FILE``): 64 hex characters,
  no ``0x``; geth writes it without a newline (``crypto.SaveECDSA``) and its
  reader (``crypto.LoadECDSA``) tolerates at most two trailing newlines.
  Format ``hex``.
* OpenEthereum / Parity ``<base>/network/key``: 64 hex characters, no ``0x``,
  no newline (``save_key``/``load_key`` in ``util/network-devp2p/src/host.rs``
  parse the whole file with ``Secret::from_str``, so a newline breaks it).
  Format ``hex``.
* Nethermind: the setting is ``KeyStore.EnodeKeyFile`` (there is no
  ``NodeKeyFile``; ``src/Nethermind/Nethermind.KeyStore/Config/IKeystoreConfig.cs``
  describes it as "the path to the key file to use for networking (enode)"),
  default ``node.key.plain`` inside ``KeyStore.KeyStoreDirectory`` (default
  ``keystore``), i.e. ``keystore/node.key.plain``. It holds the RAW 32 bytes:
  ``NodeKeyManager.LoadNodeKey`` in
  ``src/Nethermind/Nethermind.Wallet/NodeKeyManager.cs`` (NethermindEth/nethermind)
  does ``File.WriteAllBytes(newFile, nodeKey.KeyBytes)`` and reads it back with
  ``new PrivateKey(File.ReadAllBytes(path))``. Format ``raw``.

Account keystores: geth and OpenEthereum index a keystore by its ``address``
field and geth needs ``id`` to be a UUID; Nethermind's ``FileKeyStore`` finds
it by the lower-case address (no 0x) in the FILE NAME (glob ``*<address>*``
in ``KeyStore.KeyStoreDirectory``) and takes the MAC key from the last 16
bytes of the derived key, so keystores shared between clients keep dklen=32.
geth, OpenEthereum and Nethermind all unlock the signing account from this
keystore with its password file, so the account key is never written
unencrypted.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import re
import secrets
import traceback
import uuid

from ansible_collections.poa.consortium.plugins.module_utils import fileio

try:
    from Crypto.Protocol.KDF import scrypt as _pycryptodome_scrypt
    from eth_keyfile import decode_keyfile_json as _decode_keyfile_json
    from eth_keyfile.keyfile import encrypt_aes_ctr as _encrypt_aes_ctr
    from eth_keys import keys as _eth_keys
    from eth_utils import keccak as _keccak
    from eth_utils import to_checksum_address as _to_checksum_address
except ImportError:
    HAS_ETH_LIBS = False
    ETH_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_ETH_LIBS = True
    ETH_IMPORT_ERROR = None

# secp256k1 group order: a private key must be in [1, N-1]
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

DEFAULT_SCRYPT_N = 262144   # geth's StandardScryptN
DEFAULT_SCRYPT_R = 8
DEFAULT_SCRYPT_P = 1
# Keep 32 for keystores other clients read: the spec, geth and eth-keyfile take the MAC key from
# derived[16:32], Nethermind (FileKeyStore.GetKeyBytes) from derived[dklen-16:dklen]; they agree only at 32.
DEFAULT_DKLEN = 32
DEFAULT_PBKDF2_ITERATIONS = 1000000  # eth-keyfile's default for pbkdf2
DEFAULT_FILE_MODE = 0o600

# Limits when reading a keystore (a hostile file must not eat the host's memory)
MAX_SCRYPT_MEMORY = 1 << 30           # 128 * r * n bytes
MAX_PBKDF2_ITERATIONS = 100000000
KDFS = ('scrypt', 'pbkdf2')
NODE_KEY_FORMATS = ('hex', 'raw')

_HEX_RE = re.compile(r'^[0-9a-fA-F]*$')
_HOSTNAME_LABEL_RE = re.compile(r'^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$')


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
# Web3 Secret Storage V3
# ---------------------------------------------------------------------------

def _lower_keys(value):
    if isinstance(value, dict):
        return dict((k.lower() if isinstance(k, str) else k, _lower_keys(v)) for k, v in value.items())
    return value


def _hex_field(container, name, where, length=None):
    value = container.get(name)
    if not isinstance(value, str):
        raise KeysError('keystore is corrupt: %s.%s is missing or not a string' % (where, name))
    if value[:2].lower() == '0x':
        value = value[2:]
    if len(value) % 2 or not _HEX_RE.match(value):
        raise KeysError('keystore is corrupt: %s.%s is not hex' % (where, name))
    raw = bytes.fromhex(value)
    if length is not None and len(raw) != length:
        raise KeysError('keystore is corrupt: %s.%s is %d bytes, expected %d' % (where, name, len(raw), length))
    return raw


def _int_field(container, name, where, minimum=1, maximum=None):
    value = container.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise KeysError('keystore is corrupt: %s.%s is missing or not an integer' % (where, name))
    if value < minimum or (maximum is not None and value > maximum):
        raise KeysError('keystore is unusable: %s.%s=%d is outside [%d, %s]' % (where, name, value, minimum, maximum))
    return value


def parse_keystore(data):
    """Parse and validate keystore JSON (text, bytes or an already loaded dict).

    Returns the keystore as a dict with lower-cased keys (``Crypto`` as written
    by some wallets becomes ``crypto``). Raises :class:`KeysError` when it is
    not a usable Web3 Secret Storage version 3 file.
    """
    fix = ('; give a Web3 Secret Storage version 3 keystore (the JSON file geth, OpenEthereum, '
           'Nethermind or eth-account write)')
    if isinstance(data, (bytes, bytearray)):
        try:
            data = bytes(data).decode('utf-8')
        except UnicodeDecodeError:
            raise KeysError('keystore is not UTF-8 text' + fix)
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise KeysError('keystore is not valid JSON (%s)%s' % (exc, fix))
    if not isinstance(data, dict):
        raise KeysError('keystore JSON is not an object' + fix)
    keystore = _lower_keys(data)
    version = keystore.get('version')
    if version != 3:
        raise KeysError('keystore version is %r, not 3%s' % (version, fix))
    crypto = keystore.get('crypto')
    if not isinstance(crypto, dict):
        raise KeysError('keystore is corrupt: the "crypto" object is missing' + fix)
    if crypto.get('cipher') != 'aes-128-ctr':
        raise KeysError('keystore cipher %r is not supported; only aes-128-ctr is' % (crypto.get('cipher'),))
    cipherparams = crypto.get('cipherparams')
    if not isinstance(cipherparams, dict):
        raise KeysError('keystore is corrupt: crypto.cipherparams is missing')
    _hex_field(cipherparams, 'iv', 'crypto.cipherparams', 16)
    ciphertext = _hex_field(crypto, 'ciphertext', 'crypto')
    if len(ciphertext) != 32:
        raise KeysError('keystore is corrupt: crypto.ciphertext is %d bytes, a secp256k1 key is 32' % len(ciphertext))
    _hex_field(crypto, 'mac', 'crypto', 32)
    kdf = crypto.get('kdf')
    params = crypto.get('kdfparams')
    if not isinstance(params, dict):
        raise KeysError('keystore is corrupt: crypto.kdfparams is missing')
    where = 'crypto.kdfparams'
    _hex_field(params, 'salt', where)
    _int_field(params, 'dklen', where, 32, 64)
    if kdf == 'scrypt':
        n = _int_field(params, 'n', where, 2)
        r = _int_field(params, 'r', where, 1)
        _int_field(params, 'p', where, 1, 1 << 16)
        if n & (n - 1):
            raise KeysError('keystore is unusable: scrypt n=%d is not a power of two' % n)
        if 128 * r * n > MAX_SCRYPT_MEMORY:
            raise KeysError('keystore is unusable: scrypt n=%d r=%d needs more than %d MiB of memory'
                            % (n, r, MAX_SCRYPT_MEMORY >> 20))
    elif kdf == 'pbkdf2':
        _int_field(params, 'c', where, 1, MAX_PBKDF2_ITERATIONS)
        if params.get('prf') != 'hmac-sha256':
            raise KeysError('keystore pbkdf2 prf %r is not supported; only hmac-sha256 is' % (params.get('prf'),))
    else:
        raise KeysError('keystore kdf %r is not supported; use scrypt or pbkdf2' % (kdf,))
    address = keystore.get('address')
    if address is not None:
        if not isinstance(address, str) or not re.match(r'^(0x)?[0-9a-fA-F]{40}$', address):
            raise KeysError('keystore is corrupt: its "address" field %r is not a 20-byte hex address' % (address,))
    return keystore


def keystore_address(keystore):
    """The checksummed address a (parsed) keystore claims, or None when it has no address field.

    This does not decrypt anything: use :func:`unlock_keystore` to prove it.
    """
    _require_libs()
    address = keystore.get('address')
    if address is None:
        return None
    if not address.startswith('0x'):
        address = '0x' + address
    return _to_checksum_address(address.lower())


def _decrypt_keystore(keystore, password):
    """Decrypt a parsed keystore; returns an eth_keys PrivateKey (internal use only)."""
    _require_libs()
    password = normalize_password(password, allow_empty=True)
    try:
        raw = _decode_keyfile_json(keystore, password)
    except ValueError as exc:
        if 'MAC mismatch' in str(exc):
            raise KeysError('wrong password: the keystore MAC does not match (or the ciphertext is damaged); '
                            'give the password the keystore was encrypted with')
        raise KeysError('keystore is corrupt: %s' % exc)
    except (KeyError, TypeError, AssertionError) as exc:
        raise KeysError('keystore is corrupt: %s' % exc)
    key = _private_key_from_bytes(raw, 'decrypted key')
    claimed = keystore_address(keystore)
    actual = key.public_key.to_checksum_address()
    if claimed is not None and claimed != actual:
        raise KeysError('keystore is corrupt: its "address" field says %s but the key it holds is %s; '
                        'fix or replace the file' % (claimed, actual))
    return key


def _is_uuid(value):
    try:
        uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        return False
    return True


def unlock_keystore(data, password):
    """Validate and decrypt keystore JSON; returns the checksummed address."""
    return _decrypt_keystore(parse_keystore(data), password).public_key.to_checksum_address()


def _check_kdf_args(kdf, scrypt_n, scrypt_r, scrypt_p, dklen, pbkdf2_iterations):
    if kdf not in KDFS:
        raise KeysError('kdf %r is not supported; use one of %s' % (kdf, ', '.join(KDFS)))
    if not isinstance(dklen, int) or not 32 <= dklen <= 64:
        raise KeysError('dklen must be an integer from 32 to 64 (the spec requires >= 32)')
    if kdf == 'scrypt':
        for name, value in (('scrypt_n', scrypt_n), ('scrypt_r', scrypt_r), ('scrypt_p', scrypt_p)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise KeysError('%s must be a positive integer' % name)
        if scrypt_n < 2 or scrypt_n & (scrypt_n - 1):
            raise KeysError('scrypt_n=%d is not a power of two greater than 1; use e.g. 262144 (2**18)' % scrypt_n)
        if 128 * scrypt_r * scrypt_n > MAX_SCRYPT_MEMORY:
            raise KeysError('scrypt_n=%d scrypt_r=%d would need more than %d MiB of memory; lower them'
                            % (scrypt_n, scrypt_r, MAX_SCRYPT_MEMORY >> 20))
    else:
        if isinstance(pbkdf2_iterations, bool) or not isinstance(pbkdf2_iterations, int) \
                or not 1 <= pbkdf2_iterations <= MAX_PBKDF2_ITERATIONS:
            raise KeysError('pbkdf2_iterations must be an integer from 1 to %d' % MAX_PBKDF2_ITERATIONS)


def _encrypt_keystore(private_key, password, kdf='scrypt', scrypt_n=DEFAULT_SCRYPT_N, scrypt_r=DEFAULT_SCRYPT_R,
                      scrypt_p=DEFAULT_SCRYPT_P, dklen=DEFAULT_DKLEN, pbkdf2_iterations=DEFAULT_PBKDF2_ITERATIONS):
    """Encrypt an eth_keys PrivateKey into a V3 keystore dict.

    Written here rather than with eth_keyfile.create_keyfile_json because that
    function fixes scrypt r=8, p=1 and dklen=32 and writes a checksummed
    address, where geth writes lower-case hex. The primitives are the
    libraries' (pycryptodome scrypt, hashlib pbkdf2, eth-keyfile AES-CTR,
    eth-utils keccak); only their composition, which the spec defines, is ours.
    """
    _require_libs()
    password = normalize_password(password)
    _check_kdf_args(kdf, scrypt_n, scrypt_r, scrypt_p, dklen, pbkdf2_iterations)
    salt = secrets.token_bytes(32)
    if kdf == 'scrypt':
        derived = _pycryptodome_scrypt(password, salt, key_len=dklen, N=scrypt_n, r=scrypt_r, p=scrypt_p)
        kdfparams = {'dklen': dklen, 'n': scrypt_n, 'p': scrypt_p, 'r': scrypt_r, 'salt': salt.hex()}
    else:
        derived = hashlib.pbkdf2_hmac('sha256', password, salt, pbkdf2_iterations, dklen)
        kdfparams = {'c': pbkdf2_iterations, 'dklen': dklen, 'prf': 'hmac-sha256', 'salt': salt.hex()}
    iv = secrets.token_bytes(16)
    ciphertext = _encrypt_aes_ctr(private_key.to_bytes(), derived[:16], int.from_bytes(iv, 'big'))
    mac = _keccak(derived[16:32] + ciphertext)
    return {
        'address': private_key.public_key.to_canonical_address().hex(),
        'crypto': {
            'cipher': 'aes-128-ctr',
            'cipherparams': {'iv': iv.hex()},
            'ciphertext': ciphertext.hex(),
            'kdf': kdf,
            'kdfparams': kdfparams,
            'mac': mac.hex(),
        },
        'id': str(uuid.uuid4()),
        'version': 3,
    }


def serialize_keystore(keystore):
    """Keystore dict -> the bytes written to disk (compact JSON, as geth writes)."""
    return json.dumps(keystore, separators=(',', ':')).encode('utf-8')


def describe_keystore(keystore):
    """Public facts about a parsed keystore, safe to show in a diff or a log."""
    crypto = keystore['crypto']
    params = dict((k, v) for k, v in crypto['kdfparams'].items() if k != 'salt')
    return {'address': keystore_address(keystore), 'kdf': crypto['kdf'], 'kdfparams': params}


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


# ---------------------------------------------------------------------------
# authority account: the whole decision, for the module
# ---------------------------------------------------------------------------

def ensure_keystore(path, password, kdf='scrypt', scrypt_n=DEFAULT_SCRYPT_N, scrypt_r=DEFAULT_SCRYPT_R,
                    scrypt_p=DEFAULT_SCRYPT_P, dklen=DEFAULT_DKLEN, pbkdf2_iterations=DEFAULT_PBKDF2_ITERATIONS,
                    import_keystore=None, import_keystore_password=None, import_private_key=None,
                    mode=DEFAULT_FILE_MODE, uid=None, gid=None, check_mode=False, expected_address=None, write=None):
    """Make sure ``path`` holds a keystore that ``password`` unlocks.

    ``expected_address`` is the authority's address the consortium already records: then the
    keystore must hold that key, and a missing keystore is an error (restore it from a backup,
    or import that very key), never a new key.

    * ``path`` exists: it is parsed and decrypted (wrong password or corrupt:
      KeysError, nothing touched). With an import, its address must be the
      imported one (else KeysError: no overwrite).
    * ``path`` is missing: a new key is generated, or the import is written:
      an imported keystore is kept byte for byte when ``password`` unlocks it
      (and its address field is right); otherwise it is re-encrypted with
      ``password`` and the kdf settings given. A raw private key is encrypted.

    Returns a dict: ``changed``, ``created``, ``address`` (None only in check
    mode when a new random key would be generated), ``reencrypted`` and
    ``keystore`` (public description, for a diff). Never key material.
    ``write(path, data)``, when given, writes the file instead of fileio.atomic_write (the module
    passes fileio.write_file).
    """
    _require_libs()
    password = normalize_password(password)
    if import_keystore is not None and import_private_key is not None:
        raise KeysError('give import_keystore or import_private_key, not both')
    _check_kdf_args(kdf, scrypt_n, scrypt_r, scrypt_p, dklen, pbkdf2_iterations)

    # Work out the imported key first: a bad import fails even when path exists.
    imported_key = None
    keep_bytes = None
    if import_private_key is not None:
        imported_key = _parse_private_key_hex(import_private_key, 'import_private_key')
    elif import_keystore is not None:
        parsed = parse_keystore(import_keystore)
        try:
            imported_key = _decrypt_keystore(parsed, password)
            if keystore_address(parsed) is not None and _is_uuid(parsed.get('id')):
                # unlocks with the target password, names its address and has the UUID id geth
                # needs (accounts/keystore decryptKeyV3 parses it): keep it byte for byte
                if isinstance(import_keystore, dict):
                    keep_bytes = serialize_keystore(import_keystore)
                elif isinstance(import_keystore, str):
                    keep_bytes = import_keystore.encode('utf-8')
                else:
                    keep_bytes = bytes(import_keystore)
        except KeysError:
            if import_keystore_password is None:
                raise KeysError('the password in password_file does not unlock import_keystore; give '
                                'import_keystore_password (the keystore will then be re-encrypted with the '
                                'password from password_file)')
            try:
                imported_key = _decrypt_keystore(parsed, import_keystore_password)
            except KeysError as exc:
                raise KeysError('import_keystore: %s (checked with import_keystore_password)' % exc)

    restore = 'restore the keystore from your backup, or retire this host'
    if expected_address is not None:
        if not re.match(r'^(0x)?[0-9a-fA-F]{40}$', expected_address):
            raise KeysError('expected_address %r is not a 20-byte hex address' % (expected_address,))
        expected_address = _to_checksum_address('0x' + expected_address.lower()[-40:])
    if os.path.lexists(path):
        if os.path.isdir(path):
            raise KeysError('%s is a directory; path must be the keystore file itself' % path)
        try:
            existing = parse_keystore(_read_file(path, 'keystore'))
            key = _decrypt_keystore(existing, password)
        except KeysError as exc:
            raise KeysError('%s: %s. Nothing was changed. If the keystore is damaged, %s'
                            % (path, exc, restore.replace('the keystore ', 'it ')))
        address = key.public_key.to_checksum_address()
        if expected_address is not None and address != expected_address:
            raise KeysError('%s holds the key of %s, but the consortium manifest records %s for this authority: '
                            '%s. Nothing was changed' % (path, address, expected_address, restore))
        if imported_key is not None:
            wanted = imported_key.public_key.to_checksum_address()
            if wanted != address:
                raise KeysError('%s already holds the key of %s, not the imported %s; refusing to overwrite it. '
                                'Remove the file yourself if you really mean to replace that authority key'
                                % (path, address, wanted))
        return {'changed': False, 'created': False, 'address': address, 'reencrypted': False,
                'keystore': describe_keystore(existing)}

    if expected_address is not None:
        imported = imported_key.public_key.to_checksum_address() if imported_key is not None else None
        if imported != expected_address:
            raise KeysError('the consortium manifest records %s for this authority, but its keystore %s is missing%s: '
                            '%s. A new key is made only for a host the manifest does not know'
                            % (expected_address, path,
                               ' and the imported key is %s' % imported if imported else '', restore))
    check_parent_dir(path, check_mode)
    if check_mode:
        address = imported_key.public_key.to_checksum_address() if imported_key is not None else None
        return {'changed': True, 'created': True, 'address': address,
                'reencrypted': import_keystore is not None and keep_bytes is None,
                'keystore': {'address': address, 'kdf': kdf}}

    reencrypted = False
    if keep_bytes is not None:
        data = bytes(keep_bytes)
    else:
        key = imported_key
        if key is None:
            key = _private_key_from_bytes(secrets.token_bytes(32), 'generated key')
        else:
            reencrypted = import_keystore is not None
        data = serialize_keystore(_encrypt_keystore(key, password, kdf, scrypt_n, scrypt_r, scrypt_p, dklen,
                                                    pbkdf2_iterations))
    _write(path, data, mode, uid, gid, write)
    written = parse_keystore(data)
    return {'changed': True, 'created': True, 'address': keystore_address(written), 'reencrypted': reencrypted,
            'keystore': describe_keystore(written)}


# ---------------------------------------------------------------------------
# devp2p node identity
# ---------------------------------------------------------------------------

def _encode_node_key(key, fmt):
    if fmt == 'hex':
        return key.to_bytes().hex().encode('ascii')
    if fmt == 'raw':
        return key.to_bytes()
    raise KeysError('node key format %r is not supported; use hex (geth and OpenEthereum) '
                    'or raw (Nethermind)' % (fmt,))


def _decode_node_key(data, path='node key file'):
    """Read a node key file in either format; returns (PrivateKey, format)."""
    _require_libs()
    if len(data) == 32:
        return _private_key_from_bytes(data, 'node key in %s' % path), 'raw'
    try:
        text = data.decode('ascii')
    except UnicodeDecodeError:
        raise KeysError('%s is corrupt: it is neither 32 raw bytes (Nethermind) nor 64 hex characters '
                        '(geth/OpenEthereum); remove it to let a new one be made, or restore it' % path)
    stripped = text.rstrip('\r\n')
    if stripped[:2].lower() == '0x':
        stripped = stripped[2:]
    if len(stripped) != 64 or not _HEX_RE.match(stripped):
        raise KeysError('%s is corrupt: it is neither 32 raw bytes (Nethermind) nor 64 hex characters '
                        '(geth/OpenEthereum); remove it to let a new one be made, or restore it' % path)
    return _private_key_from_bytes(bytes.fromhex(stripped), 'node key in %s' % path), 'hex'


def node_id_of(key):
    """128 hex characters (64-byte uncompressed public key without the 04 prefix), no 0x."""
    return key.public_key.to_bytes().hex()


def node_id_from_private_key_hex(text):
    """Node id of a hex private key (for tests and tooling)."""
    return node_id_of(_parse_private_key_hex(text))


def _check_port(port, name):
    if isinstance(port, bool) or not isinstance(port, int):
        try:
            port = int(str(port), 10)
        except ValueError:
            raise KeysError('%s %r is not an integer; give a TCP/UDP port from 1 to 65535' % (name, port))
    if not 1 <= port <= 65535:
        raise KeysError('%s %d is out of range; give a port from 1 to 65535' % (name, port))
    return port


def format_host(host):
    """Validate an enode host and return it as written in the URL (IPv6 in brackets)."""
    if not isinstance(host, str) or not host:
        raise KeysError('host is empty; give an IPv4/IPv6 address or a DNS name')
    bare = host[1:-1] if host.startswith('[') and host.endswith(']') else host
    if '%' in bare:
        raise KeysError('host %r has an IPv6 zone id, which an enode URL cannot carry; use a global address' % host)
    try:
        address = ipaddress.ip_address(bare)
    except ValueError:
        address = None
    if address is not None:
        return '[%s]' % address.compressed if address.version == 6 else address.compressed
    if bare != host:
        raise KeysError('host %r is bracketed but is not an IPv6 address' % host)
    name = host[:-1] if host.endswith('.') else host
    labels = name.split('.')
    if len(name) > 253 or not all(_HOSTNAME_LABEL_RE.match(label) for label in labels):
        raise KeysError('host %r is neither an IP address nor a valid DNS name (letters, digits, hyphens, '
                        'dot-separated labels of 1-63 characters)' % host)
    if re.match(r'^[0-9.]+$', name):
        raise KeysError('host %r looks like an IPv4 address but is not a valid one' % host)
    return name.lower()


def enode_url(node_id, host, port, discovery_port=None):
    """Build ``enode://<node_id>@<host>:<port>[?discport=N]``.

    ``?discport`` is added only when the UDP discovery port differs from the
    TCP port, as geth writes it. Many clients resolve DNS names in enode URLs
    (geth >= 1.9.24); an IP address is the most portable choice.
    """
    if not isinstance(node_id, str) or len(node_id) != 128 or not _HEX_RE.match(node_id):
        raise KeysError('node id must be 128 hex characters (a 64-byte public key, no 0x)')
    port = _check_port(port, 'port')
    url = 'enode://%s@%s:%d' % (node_id.lower(), format_host(host), port)
    if discovery_port is not None:
        discovery_port = _check_port(discovery_port, 'discovery_port')
        if discovery_port != port:
            url += '?discport=%d' % discovery_port
    return url


def ensure_node_key(path, fmt='hex', mode=DEFAULT_FILE_MODE, uid=None, gid=None, check_mode=False, write=None):
    """Create or load the devp2p node key at ``path``.

    An existing file in either format is loaded (raw 32 bytes or hex, with or
    without ``0x`` and trailing newlines). When its bytes are not the canonical
    encoding of ``fmt`` (other format, newline, 0x, upper case), it is
    rewritten in ``fmt`` with the same key so the client can read it.
    Returns ``changed``, ``created``, ``converted_from`` (None or the format
    found), ``node_id`` (None only in check mode before creation). ``write`` as in ensure_keystore.
    """
    _require_libs()
    if fmt not in NODE_KEY_FORMATS:
        raise KeysError('node key format %r is not supported; use hex (geth and OpenEthereum) '
                        'or raw (Nethermind)' % (fmt,))
    if os.path.lexists(path):
        if os.path.isdir(path):
            raise KeysError('%s is a directory; path must be the node key file itself' % path)
        data = _read_file(path, 'node key file')
        key, found = _decode_node_key(data, path)
        wanted = _encode_node_key(key, fmt)
        if data == wanted:
            return {'changed': False, 'created': False, 'converted_from': None, 'node_id': node_id_of(key),
                    'format': fmt}
        if not check_mode:
            _write(path, wanted, mode, uid, gid, write)
        return {'changed': True, 'created': False, 'converted_from': found, 'node_id': node_id_of(key),
                'format': fmt}
    check_parent_dir(path, check_mode)
    if check_mode:
        return {'changed': True, 'created': True, 'converted_from': None, 'node_id': None, 'format': fmt}
    key = _private_key_from_bytes(secrets.token_bytes(32), 'generated node key')
    _write(path, _encode_node_key(key, fmt), mode, uid, gid, write)
    return {'changed': True, 'created': True, 'converted_from': None, 'node_id': node_id_of(key), 'format': fmt}


def load_node_id(path):
    """Node id of an existing node key file (either format)."""
    key, _found = _decode_node_key(_read_file(path, 'node key file'), path)
    return node_id_of(key)


# ---------------------------------------------------------------------------
# owner / group / mode as the modules take them
# ---------------------------------------------------------------------------

def resolve_uid(owner):
    """User name or numeric id -> uid (None stays None)."""
    if owner is None or owner == '':
        return None
    import pwd
    try:
        return int(owner)
    except ValueError:
        pass
    try:
        return pwd.getpwnam(owner).pw_uid
    except KeyError:
        raise KeysError('user %r does not exist on this host; create it first or fix owner' % owner)


def resolve_gid(group):
    """Group name or numeric id -> gid (None stays None)."""
    if group is None or group == '':
        return None
    import grp
    try:
        return int(group)
    except ValueError:
        pass
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise KeysError('group %r does not exist on this host; create it first or fix group' % group)


# the modules' and the tests' name for it
octal_mode = fileio.octal_mode
