"""The ledger: an embedded SQLite database in the state folder that records every run and every
payment, so a month is paid once.

A run is recorded in two steps around the moment its outputs are moved into place: first as
`pågår` with its payments, then `klar`. A run killed in between is settled at the next start by
looking at which outputs are in place (`recover`). Only payments of `klar` runs count as paid.

A ledger is complete or absent: a new one is made beside its place and renamed into it with every
table, and an existing one gains what an older version lacked in one transaction. So a full disk
never leaves a ledger without tables (older versions could; such a ledger, which holds nothing,
is made anew, saying so).
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from ..write.versions import fsync_path

# The kinds of run the ledger records (docs/ledger.md).
SLUTLIG, PRELIMINAR, RATTELSE, OFORANDRAD = "SLUTLIG", "PRELIMINÄR", "RÄTTELSE", "OFÖRÄNDRAD"

TABLES = ("""
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL,
    month TEXT NOT NULL,
    kind TEXT NOT NULL,              -- SLUTLIG | RÄTTELSE | PRELIMINÄR
    state TEXT NOT NULL,             -- pågår | klar | avbruten
    fingerprint TEXT NOT NULL,       -- sha256 over the config and every input
    config_sha256 TEXT NOT NULL,
    inputs_json TEXT NOT NULL,       -- {name: sha256}
    file_date TEXT NOT NULL,
    payment_date TEXT NOT NULL,
    total_ore INTEGER NOT NULL,
    version TEXT NOT NULL            -- the output folder version this run wrote
)""", """
CREATE TABLE IF NOT EXISTS settled (    -- what each utförare is owed for the month, per run
    run INTEGER NOT NULL REFERENCES runs(id),
    month TEXT NOT NULL,
    utforare_id TEXT NOT NULL,
    ore INTEGER NOT NULL
)""", """
CREATE TABLE IF NOT EXISTS payments (   -- what went into a payment file: + to the utförare, - credited back
    run INTEGER NOT NULL REFERENCES runs(id),
    month TEXT NOT NULL,
    utforare_id TEXT NOT NULL,
    ore INTEGER NOT NULL,
    file TEXT NOT NULL,
    bankgiro TEXT                    -- where it went (NULL in ledgers older than this column)
)""", """
CREATE TABLE IF NOT EXISTS veckor (     -- schablon registrations paid in the ISO week that goes on into
    run INTEGER NOT NULL REFERENCES runs(id),   -- the next month: that month's share of antal is what is left
    month TEXT NOT NULL,
    regel TEXT NOT NULL,
    bestallning_id TEXT NOT NULL,
    vecka TEXT NOT NULL,             -- 2023-V39
    antal INTEGER NOT NULL
)""")
# Ledgers written before payments kept their bankgiro, or before runs recorded their weekly schablon
# (veckor), get the columns, empty: such runs are known to have recorded none.
COLUMNS = (("payments", "bankgiro", "TEXT"), ("runs", "veckor_sparade", "INTEGER"))
SIDE_FILES = ("-wal", "-shm", "-journal")


@contextmanager
def _transaction(db: sqlite3.Connection):
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.in_transaction:      # SQLite may have rolled back itself (a full disk): the first error counts
            try:
                db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
        raise
    db.execute("COMMIT")


def _schema(db: sqlite3.Connection) -> None:
    """Every table and column, in the caller's transaction."""
    for table in TABLES:
        db.execute(table)
    for table, column, kind in COLUMNS:
        if column not in [r[1] for r in db.execute(f"PRAGMA table_info({table})")]:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")


def _holds_nothing(path: Path) -> bool:
    """No ledger, or one without a single table (so without any data): what an older version left
    when the disk filled while it made the ledger. A file SQLite cannot read is not nothing: it is
    named as broken, never replaced."""
    if not path.is_file():
        return True
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
        finally:
            db.close()
    except sqlite3.DatabaseError:
        return False


def _remove(path: Path) -> None:
    for p in (path, *(path.with_name(path.name + side) for side in SIDE_FILES)):
        p.unlink(missing_ok=True)


def _create(path: Path) -> None:
    """A new ledger with every table, made beside its place and renamed into it: complete, or not
    there at all (a full disk, a kill)."""
    for stale in path.parent.glob(f"{path.name}.ny-*"):     # a creation killed before
        stale.unlink(missing_ok=True)
    tmp = path.with_name(f"{path.name}.ny-{os.getpid()}")
    try:
        db = sqlite3.connect(tmp, isolation_level=None)
        try:
            with _transaction(db):
                _schema(db)
        finally:
            db.close()
        tmp.chmod(0o600)
        fsync_path(tmp)
        os.replace(tmp, path)
        fsync_path(path.parent)
    except BaseException:
        _remove(tmp)
        raise


@dataclass(frozen=True)
class Run:
    id: int
    run_id: str
    month: str
    kind: str
    state: str
    fingerprint: str
    file_date: date
    version: str
    config_sha256: str = ""
    inputs_json: str = "{}"


class Ledger:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = path
        self.notes: list[str] = []          # what opening it found and put right, in Swedish
        if _holds_nothing(path):
            if path.exists():
                self.notes.append(f"Liggaren {path} hade inga tabeller och därmed inga uppgifter (ett tidigare "
                                  "avbrott när den skapades, till exempel en full disk); den skapas på nytt.")
                _remove(path)
            _create(path)
        self.db = sqlite3.connect(path, isolation_level=None)
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            with self.transaction() as db:       # what an older version's ledger lacks, all or nothing
                _schema(db)
        except BaseException:
            self.db.close()
            raise
        path.chmod(0o600)

    @classmethod
    def read_only(cls, path: Path) -> "Ledger | None":
        """The ledger to look at only (a dry run): no lock, no write; None when there is none yet.
        With no write-ahead log beside it (no run under way, the last one closed) the file is the
        whole ledger and is opened immutable, so SQLite creates no -wal/-shm files either."""
        if not path.is_file():
            return None
        wal = path.with_name(path.name + "-wal")
        mode = "mode=ro" if wal.is_file() and wal.stat().st_size else "immutable=1"
        ledger = cls.__new__(cls)
        ledger.path, ledger.notes = path, []
        ledger.db = sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True, isolation_level=None)
        if not ledger.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'runs'").fetchone():
            ledger.close()               # a ledger an older version left without tables: nothing recorded
            return None
        return ledger

    def close(self) -> None:
        self.db.close()

    def transaction(self):
        return _transaction(self.db)

    def _runs(self, where: str, args: tuple) -> list[Run]:
        rows = self.db.execute(f"SELECT id, run_id, month, kind, state, fingerprint, file_date, version, config_sha256, "
                               f"inputs_json FROM runs WHERE {where} ORDER BY id", args).fetchall()
        return [Run(r[0], r[1], r[2], r[3], r[4], r[5], date.fromisoformat(r[6]), r[7], r[8], r[9]) for r in rows]

    def paid_runs(self, month: str) -> list[Run]:
        """Completed runs that paid the month: the final run and any corrections."""
        return self._runs("month = ? AND state = 'klar' AND kind IN ('SLUTLIG', 'RÄTTELSE')", (month,))

    def pending(self) -> list[Run]:
        return self._runs("state = 'pågår'", ())

    def paid_so_far(self, month: str) -> dict[str, int]:
        """Net öre paid per utförare for the month by completed runs."""
        rows = self.db.execute(
            "SELECT p.utforare_id, SUM(p.ore) FROM payments p JOIN runs r ON r.id = p.run "
            "WHERE p.month = ? AND r.state = 'klar' GROUP BY p.utforare_id", (month,)).fetchall()
        return {u: int(o) for u, o in rows}

    def paid_bankgiro(self, month: str) -> dict[str, str]:
        """The bankgiro each utförare was last paid to for the month (none if the ledger has none)."""
        try:
            rows = self.db.execute(
                "SELECT p.utforare_id, p.bankgiro FROM payments p JOIN runs r ON r.id = p.run "
                "WHERE p.month = ? AND r.state = 'klar' AND p.bankgiro IS NOT NULL AND p.bankgiro != '' "
                "ORDER BY p.rowid", (month,)).fetchall()
        except sqlite3.OperationalError:      # an old ledger opened read-only: no bankgiro column
            return {}
        return dict(rows)

    def carries_weeks(self, month: str) -> bool:
        """Whether the month's first paying run was settled by a version that carries weekly
        schablon between months (runs.veckor_sparade). A month paid before that is settled
        without a carry whenever it is run again, so that an upgrade reopens no paid month."""
        runs = self.paid_runs(month)
        return self._records_weeks(runs[0].id) if runs else True

    def _records_weeks(self, rid: int) -> bool:
        """Whether run `rid` was recorded by a version that records its weeks (False in an old
        ledger opened read-only, which has no such column)."""
        try:
            return bool(self.db.execute("SELECT veckor_sparade FROM runs WHERE id = ?", (rid,)).fetchone()[0])
        except sqlite3.OperationalError:
            return False

    def weeks_paid(self, month: str) -> tuple[str | None, list[tuple[str, str, str, int]]]:
        """(run_id, rows) of the latest completed paying run of `month`: the schablon registrations
        it paid in the ISO week that goes on into the next month. (None, []) when the month is not
        paid, or was paid by a version that did not record them (nothing is known, so nothing is
        carried)."""
        runs = self.paid_runs(month)
        if not runs or not self._records_weeks(runs[-1].id):     # a recording run: the table exists
            return None, []
        rows = self.db.execute("SELECT regel, bestallning_id, vecka, antal FROM veckor WHERE run = ? ORDER BY rowid",
                               (runs[-1].id,)).fetchall()
        return runs[-1].run_id, [tuple(r) for r in rows]

    def settled_last(self, month: str) -> dict[str, int]:
        """What the latest completed paying run said each utförare is owed."""
        runs = self.paid_runs(month)
        if not runs:
            return {}
        rows = self.db.execute("SELECT utforare_id, ore FROM settled WHERE run = ?", (runs[-1].id,)).fetchall()
        return dict(rows)

    def begin(self, *, run_id: str, month: str, kind: str, fingerprint: str, config_sha256: str, inputs_json: str,
              file_date: date, payment_date: date, totals: dict[str, int], payments: dict[str, int],
              payment_file: str, version: str, bankgiro: dict[str, str] | None = None,
              veckor: list[tuple[str, str, str, int]] = ()) -> int:
        """Record a run as under way, with what it settles and pays (and to which bankgiro), and the
        schablon registrations it paid in a week that goes on into the next month (regel,
        bestallning_id, vecka, antal), in one transaction."""
        with self.transaction() as db:
            cur = db.execute(
                "INSERT INTO runs (run_id, month, kind, state, fingerprint, config_sha256, inputs_json, file_date, "
                "payment_date, total_ore, version, veckor_sparade) VALUES (?, ?, ?, 'pågår', ?, ?, ?, ?, ?, ?, ?, 1)",
                (run_id, month, kind, fingerprint, config_sha256, inputs_json, file_date.isoformat(),
                 payment_date.isoformat(), sum(totals.values()), version))
            rid = cur.lastrowid
            db.executemany("INSERT INTO settled VALUES (?, ?, ?, ?)", [(rid, month, u, o) for u, o in totals.items()])
            db.executemany("INSERT INTO payments (run, month, utforare_id, ore, file, bankgiro) VALUES (?, ?, ?, ?, ?, ?)",
                           [(rid, month, u, o, payment_file, (bankgiro or {}).get(u)) for u, o in payments.items() if o])
            db.executemany("INSERT INTO veckor VALUES (?, ?, ?, ?, ?, ?)", [(rid, month, *v) for v in veckor])
        return rid

    def finish(self, rid: int, state: str = "klar") -> None:
        with self.transaction() as db:
            db.execute("UPDATE runs SET state = ? WHERE id = ?", (state, rid))

    def history(self, month: str) -> list[tuple]:
        return self.db.execute("SELECT run_id, kind, state, file_date, total_ore FROM runs WHERE month = ? ORDER BY id",
                               (month,)).fetchall()
