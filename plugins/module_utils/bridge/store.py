# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The validator's state in SQLite (WAL journal, synchronous=FULL).

- ``cursors``: per chain, the last fully processed block and its hash. It moves only in the
  transaction that commits the events of the blocks it covers, so a crash either keeps both or
  neither.
- ``blocks``: hashes of recently processed range ends, to find where a reorganisation forked.
- ``events``: one row per request (one per transaction) and one per CollectedSignatures, with
  the decided ``kind`` and a status: pending -> sent -> done | skipped.
- ``outbox``: every signed transaction, committed before it is broadcast; ``pending`` rows are
  broadcast again at start and whenever the node has lost them.

Amounts are stored as decimal text: a uint256 does not fit SQLite's 64-bit integers.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time

SCHEMA = """
CREATE TABLE IF NOT EXISTS cursors (
    chain TEXT PRIMARY KEY,
    block_number INTEGER NOT NULL,
    block_hash TEXT,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS blocks (
    chain TEXT NOT NULL,
    block_number INTEGER NOT NULL,
    block_hash TEXT NOT NULL,
    PRIMARY KEY (chain, block_number)
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    chain TEXT NOT NULL,
    tx_hash TEXT NOT NULL,
    log_index INTEGER NOT NULL,
    block_number INTEGER NOT NULL,
    block_hash TEXT NOT NULL,
    kind TEXT NOT NULL,
    recipient TEXT,
    value TEXT NOT NULL DEFAULT '0',
    sender TEXT,
    message_hash TEXT,
    status TEXT NOT NULL DEFAULT 'pending',
    not_before REAL NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    note TEXT,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS events_one_request_per_tx ON events (chain, tx_hash) WHERE kind != 'collected';
CREATE UNIQUE INDEX IF NOT EXISTS events_collected_log ON events (chain, tx_hash, log_index) WHERE kind = 'collected';
CREATE INDEX IF NOT EXISTS events_due ON events (status, not_before);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    chain TEXT NOT NULL,
    nonce INTEGER NOT NULL,
    tx_hash TEXT NOT NULL UNIQUE,
    raw_tx TEXT NOT NULL,
    purpose TEXT NOT NULL,
    event_id INTEGER,
    status TEXT NOT NULL DEFAULT 'pending',
    note TEXT,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_live ON outbox (chain, status, nonce);
"""

EVENT_FIELDS = ('chain', 'tx_hash', 'log_index', 'block_number', 'block_hash', 'kind', 'recipient', 'value',
                'sender', 'message_hash', 'not_before')
EVENT_OPEN = ('pending', 'sent')
KEEP_BLOCKS = 64


class StoreError(Exception):
    """The database cannot be opened or used."""


class Store:
    """One SQLite file; use from a single thread (the service's main loop)."""

    def __init__(self, path, clock=time.time):
        self.path = path
        self.clock = clock
        parent = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(parent):
            raise StoreError('the directory of db %s does not exist; create it or fix "db" in the config' % path)
        try:
            self.db = sqlite3.connect(path, timeout=30, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            mode = self.db.execute('PRAGMA journal_mode=WAL').fetchone()[0]
            self.db.execute('PRAGMA synchronous=FULL')
            self.db.executescript(SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError('cannot open db %s: %s' % (path, exc)) from exc
        if str(mode).lower() != 'wal':
            raise StoreError('db %s refused WAL mode (journal_mode is %s); put it on a local filesystem' % (path, mode))

    def close(self):
        """Close the connection (a later use raises)."""
        if self.db is not None:
            self.db.close()
            self.db = None

    @contextlib.contextmanager
    def transaction(self):
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK when the block raises."""
        self.db.execute('BEGIN IMMEDIATE')
        try:
            yield self.db
        except BaseException:
            self.db.execute('ROLLBACK')
            raise
        self.db.execute('COMMIT')

    def pragma(self, name):
        """Value of a PRAGMA (journal_mode, synchronous), for checks."""
        return self.db.execute('PRAGMA %s' % name).fetchone()[0]

    # -- cursors and block hashes ---------------------------------------------------------------
    def cursor(self, chain):
        """(block_number, block_hash or None) of the last processed block, or None before the first run."""
        row = self.db.execute('SELECT block_number, block_hash FROM cursors WHERE chain = ?', (chain,)).fetchone()
        return None if row is None else (int(row[0]), row[1])

    def init_cursor(self, chain, block_number):
        """Set the cursor to ``block_number`` (hash unknown) unless the chain already has one."""
        with self.transaction() as db:
            db.execute('INSERT OR IGNORE INTO cursors (chain, block_number, block_hash, updated) VALUES (?, ?, NULL, ?)',
                       (chain, int(block_number), self.clock()))

    def commit_range(self, chain, events, end_number, end_hash):
        """Insert the events of a scanned range and move the cursor to its end, atomically.

        Events already stored (same request transaction, or same CollectedSignatures log) are
        kept as they are. Returns the number of new rows.
        """
        now = self.clock()
        with self.transaction() as db:
            added = self._insert_events(db, chain, events, now)
            db.execute('INSERT INTO cursors (chain, block_number, block_hash, updated) VALUES (?, ?, ?, ?) '
                       'ON CONFLICT(chain) DO UPDATE SET block_number = excluded.block_number, '
                       'block_hash = excluded.block_hash, updated = excluded.updated',
                       (chain, int(end_number), end_hash, now))
            db.execute('INSERT OR REPLACE INTO blocks (chain, block_number, block_hash) VALUES (?, ?, ?)',
                       (chain, int(end_number), end_hash))
            db.execute('DELETE FROM blocks WHERE chain = ? AND block_number NOT IN '
                       '(SELECT block_number FROM blocks WHERE chain = ? ORDER BY block_number DESC LIMIT ?)',
                       (chain, chain, KEEP_BLOCKS))
        return added

    def add_events(self, chain, events):
        """Insert events found outside a scan (in a receipt of ours); the cursor does not move.
        Returns the number of new rows; the scan that reaches their block later adds nothing."""
        with self.transaction() as db:
            return self._insert_events(db, chain, events, self.clock())

    @staticmethod
    def _insert_events(db, chain, events, now):
        added = 0
        for event in events:
            row = dict((name, event.get(name)) for name in EVENT_FIELDS)
            if row['chain'] != chain:
                raise StoreError('event of chain %r in a %s range' % (row['chain'], chain))
            row['value'] = str(int(row['value'] or 0))
            row['not_before'] = float(row['not_before'] or 0)
            # DO NOTHING covers the unique indexes only: a NOT NULL violation still aborts the range.
            cur = db.execute(
                'INSERT INTO events (%s, status, attempts, created, updated) VALUES (%s, ?, 0, ?, ?) '
                'ON CONFLICT DO NOTHING' % (', '.join(EVENT_FIELDS), ', '.join('?' * len(EVENT_FIELDS))),
                tuple(row[name] for name in EVENT_FIELDS) + ('pending', now, now))
            added += cur.rowcount
        return added

    def known_blocks(self, chain):
        """[(block_number, block_hash)] of recent range ends, newest first."""
        rows = self.db.execute('SELECT block_number, block_hash FROM blocks WHERE chain = ? ORDER BY block_number DESC',
                               (chain,)).fetchall()
        return [(int(row[0]), row[1]) for row in rows]

    def rewind(self, chain, block_number, block_hash):
        """Move the cursor back after a reorganisation; drop the later events not acted on.

        Returns how many events were dropped. Events already sent or done stay: the chain
        state is checked again before anything else is sent for them.
        """
        with self.transaction() as db:
            dropped = db.execute("DELETE FROM events WHERE chain = ? AND block_number > ? AND status = 'pending'",
                                 (chain, int(block_number))).rowcount
            db.execute('DELETE FROM blocks WHERE chain = ? AND block_number > ?', (chain, int(block_number)))
            db.execute('INSERT INTO cursors (chain, block_number, block_hash, updated) VALUES (?, ?, ?, ?) '
                       'ON CONFLICT(chain) DO UPDATE SET block_number = excluded.block_number, '
                       'block_hash = excluded.block_hash, updated = excluded.updated',
                       (chain, int(block_number), block_hash, self.clock()))
        return dropped

    # -- events ---------------------------------------------------------------------------------
    def due_events(self, now=None, limit=100, kinds=None):
        """Pending events (of the given kinds) whose not_before has passed, oldest first (as dicts)."""
        now = self.clock() if now is None else now
        query, args = "SELECT * FROM events WHERE status = 'pending' AND not_before <= ?", [now]
        if kinds is not None:
            kinds = list(kinds)
            if not kinds:
                return []
            query += ' AND kind IN (%s)' % ', '.join('?' * len(kinds))
            args += kinds
        rows = self.db.execute(query + ' ORDER BY id LIMIT ?', args + [int(limit)]).fetchall()
        return [dict(row) for row in rows]

    def event(self, event_id):
        """One event row as a dict, or None."""
        row = self.db.execute('SELECT * FROM events WHERE id = ?', (int(event_id),)).fetchone()
        return None if row is None else dict(row)

    def events(self, chain=None, status=None):
        """Event rows (dicts) filtered by chain and status, in id order."""
        query, args = 'SELECT * FROM events WHERE 1 = 1', []
        if chain is not None:
            query += ' AND chain = ?'
            args.append(chain)
        if status is not None:
            query += ' AND status = ?'
            args.append(status)
        return [dict(row) for row in self.db.execute(query + ' ORDER BY id', args).fetchall()]

    def set_event(self, event_id, status, note=None, not_before=None, attempt=False):
        """Change an event's status (and note, retry time, attempt count) in its own transaction."""
        with self.transaction() as db:
            self._set_event(db, event_id, status, note, not_before, attempt)

    def _set_event(self, db, event_id, status, note=None, not_before=None, attempt=False):
        sets, args = ['status = ?', 'updated = ?'], [status, self.clock()]
        if note is not None:
            sets.append('note = ?')
            args.append(note)
        if not_before is not None:
            sets.append('not_before = ?')
            args.append(float(not_before))
        if attempt:
            sets.append('attempts = attempts + 1')
        db.execute('UPDATE events SET %s WHERE id = ?' % ', '.join(sets), args + [int(event_id)])

    # -- outbox ---------------------------------------------------------------------------------
    def record_send(self, chain, nonce, tx_hash, raw_tx, purpose, event_id=None):
        """Commit a signed transaction (and mark its event sent) before it is broadcast; returns the row id."""
        now = self.clock()
        with self.transaction() as db:
            cur = db.execute('INSERT INTO outbox (chain, nonce, tx_hash, raw_tx, purpose, event_id, status, created, '
                             "updated) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
                             (chain, int(nonce), tx_hash, raw_tx, purpose, event_id, now, now))
            if event_id is not None:
                self._set_event(db, event_id, 'sent', note=tx_hash)
            return cur.lastrowid

    def live_outbox(self, chain=None):
        """Outbox rows still pending (signed, maybe broadcast, no receipt yet), by chain and nonce."""
        if chain is None:
            rows = self.db.execute("SELECT * FROM outbox WHERE status = 'pending' ORDER BY chain, nonce, id").fetchall()
        else:
            rows = self.db.execute("SELECT * FROM outbox WHERE status = 'pending' AND chain = ? ORDER BY nonce, id",
                                   (chain,)).fetchall()
        return [dict(row) for row in rows]

    def outbox(self, chain=None):
        """All outbox rows (dicts), oldest first."""
        if chain is None:
            rows = self.db.execute('SELECT * FROM outbox ORDER BY id').fetchall()
        else:
            rows = self.db.execute('SELECT * FROM outbox WHERE chain = ? ORDER BY id', (chain,)).fetchall()
        return [dict(row) for row in rows]

    def outbox_row(self, outbox_id):
        """One outbox row as a dict, or None."""
        row = self.db.execute('SELECT * FROM outbox WHERE id = ?', (int(outbox_id),)).fetchone()
        return None if row is None else dict(row)

    def live_nonces(self, chain):
        """Nonces held by pending outbox rows of a chain."""
        rows = self.db.execute("SELECT nonce FROM outbox WHERE status = 'pending' AND chain = ?", (chain,)).fetchall()
        return set(int(row[0]) for row in rows)

    def finish_outbox(self, outbox_id, status, note=None, event_status=None, event_note=None, not_before=None):
        """Close an outbox row (mined, reverted, rejected, dropped) and update its event in the same transaction."""
        with self.transaction() as db:
            db.execute('UPDATE outbox SET status = ?, note = COALESCE(?, note), updated = ? WHERE id = ?',
                       (status, note, self.clock(), int(outbox_id)))
            if event_status is not None:
                row = db.execute('SELECT event_id FROM outbox WHERE id = ?', (int(outbox_id),)).fetchone()
                if row is not None and row[0] is not None:
                    self._set_event(db, row[0], event_status, event_note, not_before, attempt=event_status == 'pending')

    def counts(self):
        """{'events': open events (pending or sent), 'outbox': pending transactions}."""
        events = self.db.execute("SELECT COUNT(*) FROM events WHERE status IN ('pending', 'sent')").fetchone()[0]
        outbox = self.db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetchone()[0]
        return {'events': int(events), 'outbox': int(outbox)}
