# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""devp2p node identities: the node key file, the node id and the enode URL.

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
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets

from ansible_collections.poa.consortium.plugins.module_utils.keys.common import (
    DEFAULT_FILE_MODE, KeysError, _HEX_RE, _private_key_from_bytes, _parse_private_key_hex, _read_file, _require_libs,
    _write, check_parent_dir,
)

NODE_KEY_FORMATS = ('hex', 'raw')
_HOSTNAME_LABEL_RE = re.compile(r'^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$')


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
