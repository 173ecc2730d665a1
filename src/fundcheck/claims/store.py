"""The claims database: SQLite, append-only, safe with several writers.

One table of revisions; a claim's current state is its latest revision. Nothing is ever updated or deleted
(triggers refuse it), so an edit adds a revision and the history stays. Every write runs in one
``BEGIN IMMEDIATE`` transaction with a busy timeout, so two writers at once wait for each other and lose
nothing, and a failed import writes nothing. Claims are validated (``ledger``) before any write.

Default file: ``platformdirs.user_data_dir("fundcheck")/claims.sqlite``.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fundcheck.claims.ledger import Ledger, ledger_from_data
from fundcheck.errors import UsageError

__all__ = ["BUSY_TIMEOUT_S", "Store", "default_db"]

BUSY_TIMEOUT_S = 30.0
_SCHEMA = """
CREATE TABLE IF NOT EXISTS ledgers (name TEXT PRIMARY KEY, scenario TEXT NOT NULL, description TEXT NOT NULL,
                                    created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS revisions (
    rev INTEGER PRIMARY KEY AUTOINCREMENT,
    ledger TEXT NOT NULL REFERENCES ledgers(name),
    claim_id TEXT NOT NULL,
    number INTEGER NOT NULL,
    saved TEXT NOT NULL,
    author TEXT NOT NULL,
    note TEXT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (ledger, claim_id, number));
CREATE TRIGGER IF NOT EXISTS revisions_no_update BEFORE UPDATE ON revisions
    BEGIN SELECT RAISE(ABORT, 'revisions are append-only'); END;
CREATE TRIGGER IF NOT EXISTS revisions_no_delete BEFORE DELETE ON revisions
    BEGIN SELECT RAISE(ABORT, 'revisions are append-only'); END;
"""


def scenario_message(name: str, stored: str, given: str) -> str:
    return (f"the ledger '{name}' belongs to scenario '{stored}' (fixed when it was created); the file names "
            f"scenario '{given}'; nothing was written. Import it under another name (--ledger NAME)")


def default_db() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("fundcheck")) / "claims.sqlite"


class Store:
    """A claims database file."""

    def __init__(self, path: Path | str, create: bool = True, readonly: bool = False):
        """Open (or, with `create`, make) a claims database. `readonly` opens the file read-only (an SQLite
        `mode=ro` URI): nothing is created, written or locked for writing, and a file without fundcheck's
        tables is an error that leaves it as it was."""
        self.path = Path(path)
        self.readonly = readonly
        if self.path.is_dir():
            raise UsageError(f"--db: {self.path} is a folder; expected a database file, e.g. "
                             f"{self.path / 'claims.sqlite'}")
        if (readonly or not create) and not self.path.exists():
            raise UsageError(f"--db: {self.path} does not exist")
        try:
            if readonly:
                uri = f"file:{quote(str(self.path.resolve()))}?mode=ro"
                self._conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            self._conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            tables = {r[0] for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            ours = {"ledgers", "revisions"}
            if not ours <= tables and (tables - {"sqlite_sequence"} or readonly):
                self._conn.close()
                raise UsageError(f"--db: {self.path} is an SQLite database without fundcheck's claims tables "
                                 "(ledgers, revisions); it was left unchanged; give another --db file")
            if not readonly:
                with self._write() as conn:
                    for statement in _SCHEMA.split(";\n"):
                        if statement.strip():
                            conn.execute(statement)
        except sqlite3.DatabaseError as exc:
            raise UsageError(self._message(exc)) from None
        except OSError as exc:
            raise UsageError(f"--db: cannot open {self.path}: {exc.strerror or exc}") from None

    def _message(self, exc: Exception) -> str:
        text = str(exc)
        if "locked" in text or "busy" in text:
            return (f"--db: {self.path} is locked by another program (waited {BUSY_TIMEOUT_S:g} s); nothing was "
                    "written; try again when it is done")
        if "not a database" in text or "malformed" in text or "file is encrypted" in text:
            return f"--db: {self.path} is not a fundcheck claims database (the file is corrupt or of another kind)"
        return f"--db: {self.path}: {text}"

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (BEGIN IMMEDIATE): all or nothing."""
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise UsageError(self._message(exc)) from None
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            try:
                conn.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                conn.execute("ROLLBACK")
                raise UsageError(self._message(exc)) from None

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._conn.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as exc:
            raise UsageError(self._message(exc)) from None

    # --- ledgers ---------------------------------------------------------------------------------------

    def ledgers(self) -> list[str]:
        return [r[0] for r in self._read("SELECT name FROM ledgers ORDER BY name")]

    def has(self, name: str) -> bool:
        return bool(self._read("SELECT 1 FROM ledgers WHERE name = ?", (name,)))

    def save(self, ledger: Ledger, author: str = "", note: str = "", replace_ok: bool = True) -> int:
        """Add a revision of every claim of `ledger` that is new or changed, in one transaction; returns the
        number of revisions added. `replace_ok=False` refuses claims that already exist (for `add`)."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        added = 0
        try:
            with self._write() as conn:
                known = conn.execute("SELECT scenario FROM ledgers WHERE name = ?", (ledger.name,)).fetchone()
                if not known:
                    conn.execute("INSERT INTO ledgers VALUES (?, ?, ?, ?)",
                                 (ledger.name, ledger.scenario, ledger.description, now))
                elif known[0] != ledger.scenario:
                    raise UsageError(scenario_message(ledger.name, known[0], ledger.scenario))
                for claim in ledger.claims:
                    body = json.dumps(claim.to_dict(), ensure_ascii=False, sort_keys=True)
                    last = conn.execute("SELECT number, body FROM revisions WHERE ledger = ? AND claim_id = ? "
                                        "ORDER BY number DESC LIMIT 1", (ledger.name, claim.id)).fetchone()
                    if last is not None and not replace_ok:
                        raise UsageError(f"the ledger '{ledger.name}' already has a claim '{claim.id}'; use "
                                         "`fundcheck claims edit` to revise it")
                    if last is not None and last[1] == body:
                        continue
                    conn.execute("INSERT INTO revisions (ledger, claim_id, number, saved, author, note, body) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?)",
                                 (ledger.name, claim.id, (last[0] if last else 0) + 1, now, author, note, body))
                    added += 1
        except sqlite3.DatabaseError as exc:
            raise UsageError(self._message(exc)) from None
        return added

    def edit(self, name: str, claim_id: str, changes: dict[str, Any], author: str = "", note: str = "",
             origin: str = "--set") -> int:
        """Apply `changes` (field -> value) to the claim's current revision and add the result as a new
        revision, all in one write transaction (read, validate and write under the lock), so two edits at once
        both survive. Returns 1, or 0 when nothing changed."""
        if "id" in changes and changes["id"] != claim_id:
            raise UsageError(f"{origin}: the id of a claim cannot change (found id={changes['id']!r} for "
                             f"'{claim_id}'); add a new claim instead")
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        try:
            with self._write() as conn:
                row = conn.execute("SELECT scenario FROM ledgers WHERE name = ?", (name,)).fetchone()
                if row is None:
                    raise UsageError(f"the database {self.path} has no ledger '{name}'")
                last = conn.execute("SELECT number, body FROM revisions WHERE ledger = ? AND claim_id = ? "
                                    "ORDER BY number DESC LIMIT 1", (name, claim_id)).fetchone()
                if last is None:
                    raise UsageError(f"the ledger '{name}' has no claim '{claim_id}'")
                body = {**json.loads(last[1]), **changes}
                body = {k: v for k, v in body.items() if v not in ("", None)}
                revised = ledger_from_data({"ledger": name, "scenario": row[0], "claims": [body]},
                                           f"{origin} ({claim_id})").claims[0]
                text = json.dumps(revised.to_dict(), ensure_ascii=False, sort_keys=True)
                if text == last[1]:
                    return 0
                conn.execute("INSERT INTO revisions (ledger, claim_id, number, saved, author, note, body) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)", (name, claim_id, last[0] + 1, now, author, note, text))
        except sqlite3.DatabaseError as exc:
            raise UsageError(self._message(exc)) from None
        return 1

    def scenario_of(self, name: str) -> str | None:
        rows = self._read("SELECT scenario FROM ledgers WHERE name = ?", (name,))
        return rows[0][0] if rows else None

    def load(self, name: str) -> Ledger:
        """The ledger's current claims (the latest revision of each), validated."""
        rows = self._read("SELECT scenario, description FROM ledgers WHERE name = ?", (name,))
        if not rows:
            raise UsageError(f"the database {self.path} has no ledger '{name}'; it has: "
                             f"{', '.join(self.ledgers()) or '(none)'}")
        scenario, description = rows[0]
        bodies = self._read("SELECT r.body FROM revisions r JOIN (SELECT claim_id, MAX(number) AS n FROM revisions "
                            "WHERE ledger = ? GROUP BY claim_id) m ON r.claim_id = m.claim_id AND r.number = m.n "
                            "WHERE r.ledger = ? ORDER BY r.rev", (name, name))
        data = {"ledger": name, "scenario": scenario, "description": description,
                "claims": [json.loads(b[0]) for b in bodies]}
        return ledger_from_data(data, f"{self.path} (ledger {name})")

    def revisions(self, name: str, claim_id: str) -> list[dict[str, Any]]:
        rows = self._read("SELECT number, saved, author, note, body FROM revisions WHERE ledger = ? AND claim_id = ? "
                          "ORDER BY number", (name, claim_id))
        return [{"revision": r[0], "saved": r[1], "author": r[2], "note": r[3], "claim": json.loads(r[4])}
                for r in rows]

    def count(self, name: str | None = None) -> int:
        if name is None:
            return int(self._read("SELECT COUNT(*) FROM revisions")[0][0])
        return int(self._read("SELECT COUNT(*) FROM revisions WHERE ledger = ?", (name,))[0][0])
