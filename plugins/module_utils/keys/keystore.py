# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Authority keystores (Web3 Secret Storage V3): read, check, unlock, write, and the whole decision
of the authority_account module.

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
import json
import os
import re
import secrets
import uuid

from ansible_collections.poa.consortium.plugins.module_utils.keys.common import (
    DEFAULT_FILE_MODE, KeysError, _HEX_RE, _private_key_from_bytes, _parse_private_key_hex, _read_file, _require_libs,
    _write, check_parent_dir, normalize_password,
)

try:
    from Crypto.Protocol.KDF import scrypt as _pycryptodome_scrypt
    from eth_keyfile import decode_keyfile_json as _decode_keyfile_json
    from eth_keyfile.keyfile import encrypt_aes_ctr as _encrypt_aes_ctr
    from eth_utils import keccak as _keccak
    from eth_utils import to_checksum_address as _to_checksum_address
except ImportError:  # reported through common.HAS_ETH_LIBS
    pass

DEFAULT_SCRYPT_N = 262144   # geth's StandardScryptN
DEFAULT_SCRYPT_R = 8
DEFAULT_SCRYPT_P = 1
# Keep 32 for keystores other clients read: the spec, geth and eth-keyfile take the MAC key from
# derived[16:32], Nethermind (FileKeyStore.GetKeyBytes) from derived[dklen-16:dklen]; they agree only at 32.
DEFAULT_DKLEN = 32
DEFAULT_PBKDF2_ITERATIONS = 1000000  # eth-keyfile's default for pbkdf2

# Limits when reading a keystore (a hostile file must not eat the host's memory)
MAX_SCRYPT_MEMORY = 1 << 30           # 128 * r * n bytes
MAX_PBKDF2_ITERATIONS = 100000000
KDFS = ('scrypt', 'pbkdf2')


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
