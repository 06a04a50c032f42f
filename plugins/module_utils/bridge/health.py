# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""GET /health on a loopback address: the validator's view of both chains, as JSON.

The server thread only reads a snapshot the main loop publishes; it never touches the chains
or the database (the SQLite connection belongs to the main thread).
"""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class HealthError(ValueError):
    """The health endpoint cannot be set up as configured."""


def check_loopback(host):
    """Raise HealthError unless host is a loopback address (or localhost)."""
    if host == 'localhost':
        return host
    try:
        address = ipaddress.ip_address(host)
    except ValueError as exc:
        raise HealthError('health.host %r is not an IP address; give a loopback address such as 127.0.0.1' % (host,)) from exc
    if not address.is_loopback:
        raise HealthError('health.host %s is not a loopback address; the health endpoint is served on loopback only '
                          '(127.0.0.1 or ::1)' % host)
    return host


class Snapshot:
    """The latest health document, replaced as a whole under a lock."""

    def __init__(self, initial=None):
        self._lock = threading.Lock()
        self._doc = dict(initial or {})

    def set(self, doc):
        """Publish a new document."""
        with self._lock:
            self._doc = dict(doc)

    def get(self):
        """The current document (a copy)."""
        with self._lock:
            return json.loads(json.dumps(self._doc))


class _Handler(BaseHTTPRequestHandler):
    snapshot = None

    def do_GET(self):  # noqa: N802 - http.server's naming
        """Serve /health; anything else is 404."""
        if self.path.split('?', 1)[0] != '/health':
            self._reply(404, {'error': 'not found; GET /health'})
            return
        self._reply(200, self.snapshot.get())

    def _reply(self, code, doc):
        body = json.dumps(doc, sort_keys=True).encode('utf-8')
        self.send_response(code)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Quiet: the service logs its own actions, not every probe."""


class HealthServer:
    """http.server in a daemon thread, serving a Snapshot."""

    def __init__(self, host, port, snapshot):
        check_loopback(host)
        handler = type('HealthHandler', (_Handler,), {'snapshot': snapshot})
        if ':' in host:
            server_class = type('HealthServer6', (ThreadingHTTPServer,), {'address_family': socket.AF_INET6})
        else:
            server_class = ThreadingHTTPServer
        try:
            self.server = server_class((host, int(port)), handler)
        except OSError as exc:
            raise HealthError('cannot listen on %s:%s for the health endpoint: %s' % (host, port, exc)) from exc
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name='health', daemon=True)

    @property
    def port(self):
        """The port actually bound (useful with port 0)."""
        return self.server.server_address[1]

    def start(self):
        """Start serving in the background."""
        self.thread.start()
        return self

    def stop(self):
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
