"""A full disk, or a folder the run may not write (a cron job's everyday troubles): the run
stops with a Swedish message that says what to fix, records and pays nothing, leaves no
half-written version behind, and the next run, once the cause is fixed, pays exactly once."""

import errno
import os
import sqlite3
from datetime import date

import pytest

from lovkorning.run import runner
from lovkorning.config.loaded import load
from lovkorning.core.errors import OutputError, os_cause
from lovkorning.run.ledger import Ledger
from lovkorning.core.period import Period
from lovkorning.write import sammanstallning
from support.monthbuilder import BG_2, BRUKARE_A, BRUKARE_B, Month
from support.cli import cli
from support.runs import consistent, net_paid

HOUR = 45_200
SEPTEMBER, RUN_DAY = Period.parse("2023-09"), date(2023, 10, 9)


def month() -> Month:
    m = Month().utforare("U01", "Omsorg Öst AB").utforare("U02", "Väst AB", bankgiro=BG_2)
    return m.order("B1", BRUKARE_A, "U01", "RAM-tid", "600").order("B2", BRUKARE_B, "U02", "RAM-tid", "300")


def versions(tmp_path) -> list[str]:
    folder = tmp_path / "out/.2023-09.versions"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def runs(tmp_path) -> list[tuple]:
    db = sqlite3.connect(tmp_path / "state/ledger.sqlite")
    return db.execute("SELECT kind, state FROM runs ORDER BY id").fetchall()


def test_a_full_disk_while_the_sheets_are_written_pays_nothing_and_the_next_run_pays_once(tmp_path, monkeypatch):
    cfg = month().write(tmp_path)

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(sammanstallning, "write_sammanstallning", disk_full)
    with pytest.raises(OutputError) as e:
        runner.execute(load(cfg), SEPTEMBER, RUN_DAY)
    message = str(e.value)
    assert "Utdata kunde inte skrivas: disken är full. Inget betalades och inget registrerades; frigör utrymme" in message
    assert str(tmp_path / "out/2023-09") in message and e.value.exit_code == 1
    assert versions(tmp_path) == [] and runs(tmp_path) == [] and consistent(tmp_path / "out/2023-09") == "none"

    monkeypatch.undo()                       # space freed
    runner.execute(load(cfg), SEPTEMBER, RUN_DAY)
    assert consistent(tmp_path / "out/2023-09") == "SLUTLIG" and runs(tmp_path) == [("SLUTLIG", "klar")]
    assert net_paid(tmp_path) == {"U01": 10 * HOUR, "U02": 5 * HOUR}


def test_a_full_disk_inside_the_excel_writer_is_named_too(tmp_path, monkeypatch):
    """xlsxwriter wraps the OSError of a full disk in its own FileCreateError: the run still says
    what it is (the workbooks are the largest outputs, where a disk most often fills)."""
    import xlsxwriter.workbook

    def disk_full(self):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(xlsxwriter.workbook.Workbook, "_store_workbook", disk_full)
    cfg = month().write(tmp_path)
    with pytest.raises(OutputError, match="Utdata kunde inte skrivas: disken är full"):
        runner.execute(load(cfg), SEPTEMBER, RUN_DAY)
    assert versions(tmp_path) == [] and runs(tmp_path) == []


@pytest.mark.parametrize("folder, said", [
    ("out", "Utdata kunde inte skrivas: en "),
    ("state", "Tillståndsmappen (lås och liggare) kan inte användas: en "),
])
def test_a_folder_that_cannot_be_made_is_named_and_nothing_is_paid(tmp_path, folder, said):
    """output.dir or state.dir under a file, not a folder: the operating system's error, named."""
    cfg = month().write(tmp_path)
    (tmp_path / folder).write_text("en fil, ingen mapp")
    r = cli("run", "2023-09", "--config", str(cfg), "--datum", "2023-10-09")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert said in r.stderr and "Inget betalades" in r.stderr, r.stderr
    assert not (tmp_path / "out/2023-09").exists()
    assert not (tmp_path / "state/ledger.sqlite").is_file() or runs(tmp_path) == []     # nothing recorded


def test_a_full_disk_when_the_ledger_records_the_run_removes_the_written_version(tmp_path, monkeypatch):
    cfg = month().write(tmp_path)

    def full(self, **kwargs):
        exc = sqlite3.OperationalError("database or disk is full")
        exc.sqlite_errorcode = sqlite3.SQLITE_FULL
        raise exc
    monkeypatch.setattr(Ledger, "begin", full)
    with pytest.raises(OutputError, match="kan inte användas: disken är full. Inget betalades"):
        runner.execute(load(cfg), SEPTEMBER, RUN_DAY)
    assert versions(tmp_path) == [] and consistent(tmp_path / "out/2023-09") == "none"


def test_a_ledger_that_cannot_say_klar_after_the_switch_warns_and_the_next_run_does_not_pay_again(tmp_path, monkeypatch):
    """The outputs are in place and the payment file with them: the run stands (exit 0, with a
    warning), and the next run's recovery records it as done."""
    cfg = month().write(tmp_path)
    real_finish = Ledger.finish

    def full_once(self, rid, state="klar"):
        monkeypatch.setattr(Ledger, "finish", real_finish)
        raise sqlite3.OperationalError("disk I/O error")
    monkeypatch.setattr(Ledger, "finish", full_once)
    outcome = runner.execute(load(cfg), SEPTEMBER, RUN_DAY)
    assert outcome.payment_path is not None and outcome.payment_path.exists()
    assert any("liggaren kunde inte markera den klar" in w for w in outcome.warnings), outcome.warnings
    assert runs(tmp_path) == [("SLUTLIG", "pågår")]

    again = runner.execute(load(cfg), SEPTEMBER, date(2023, 10, 20))
    assert "redan betald" in again.message and runs(tmp_path) == [("SLUTLIG", "klar")]
    assert net_paid(tmp_path) == {"U01": 10 * HOUR, "U02": 5 * HOUR}


@pytest.mark.parametrize("exc, cause", [
    (OSError(errno.ENOSPC, "No space left on device"), "disken är full"),
    (OSError("No space left on device (os error 28)"), "disken är full"),        # as polars raises it: no errno
    (OSError(errno.EROFS, "Read-only file system"), "filsystemet är skrivskyddat"),
    (PermissionError(errno.EACCES, "Permission denied"), "behörighet saknas"),
    (OSError(errno.ENOTDIR, "Not a directory"), "en del av sökvägen är en fil, inte en mapp"),
    (OSError(errno.ELOOP, "Too many levels of symbolic links"), "operativsystemet gav felet ELOOP"),
])
def test_what_the_operating_system_said_in_swedish(exc, cause):
    assert os_cause(exc)[0] == cause


@pytest.mark.parametrize("args", [
    ("generate", "2023-09", "--size", "small", "--dir", "{file}/sub"),
    ("diff", "2023-09", "--months", "1", "--config", "{cfg}", "--format", "csv", "--out", "{file}/diff.csv"),
])
def test_other_commands_name_a_path_they_cannot_write(tmp_path, args):
    """Not 'Internt fel': generate and diff say which path failed and why."""
    cfg = month().write(tmp_path)
    (tmp_path / "fil").write_text("en fil, ingen mapp")
    r = cli(*(a.format(file=tmp_path / "fil", cfg=cfg) for a in args))
    assert r.returncode == 1 and "Internt fel" not in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert f"FEL: {tmp_path / 'fil'}" in r.stderr and "kunde inte skrivas eller läsas: en " in r.stderr, r.stderr


def test_a_broken_ledger_is_named_by_the_dry_run_and_only_warned_of_by_validate(tmp_path):
    cfg = month().write(tmp_path)
    (tmp_path / "state").mkdir()
    (tmp_path / "state/ledger.sqlite").write_bytes(b"inte en databas " * 100)
    r = cli("run", "2023-09", "--config", str(cfg), "--datum", "2023-10-09", "--dry-run")
    assert r.returncode == 1 and "Internt fel" not in r.stderr, r.stderr
    assert "kan inte användas: liggaren är skadad eller ingen SQLite-databas" in r.stderr
    assert "återställ den från säkerhetskopian" in r.stderr
    r = cli("validate", "2023-09", "--config", str(cfg))
    assert r.returncode == 0, r.stderr
    assert "VARNING: Liggaren i" in r.stderr and "liggaren är skadad" in r.stderr


class DiskFullAt:
    """A SQLite connection whose disk fills when it creates the table `table` (issue 19: a state
    folder with 8–24 KiB left)."""

    def __init__(self, db, table):
        self.db, self.table = db, table

    def execute(self, sql, *args):
        if sql.lstrip().startswith(f"CREATE TABLE IF NOT EXISTS {self.table} "):
            exc = sqlite3.OperationalError("database or disk is full")
            exc.sqlite_errorcode, exc.sqlite_errorname = sqlite3.SQLITE_FULL, "SQLITE_FULL"
            raise exc
        return self.db.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self.db, name)


def disk_full_at(monkeypatch, table):
    real = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **kw: DiskFullAt(real(*a, **kw), table))


def tables(path) -> list[str]:
    db = sqlite3.connect(path)
    try:
        return sorted(r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))
    finally:
        db.close()


@pytest.mark.parametrize("table", ["runs", "payments", "veckor"])
def test_a_full_disk_while_the_ledger_is_made_leaves_no_ledger_and_the_next_run_pays_once(tmp_path, monkeypatch, table):
    """Issue 19: the ledger is made whole or not at all (never a file without its tables)."""
    cfg = month().write(tmp_path)
    disk_full_at(monkeypatch, table)
    with pytest.raises(OutputError, match="kan inte användas: disken är full. Inget betalades; frigör utrymme"):
        runner.execute(load(cfg), SEPTEMBER, RUN_DAY)
    assert sorted(p.name for p in (tmp_path / "state").iterdir()) == ["lovkorning.lock"]     # no ledger, no leftovers
    assert versions(tmp_path) == []

    monkeypatch.undo()                       # space freed
    runner.execute(load(cfg), SEPTEMBER, RUN_DAY)
    assert runs(tmp_path) == [("SLUTLIG", "klar")] and net_paid(tmp_path) == {"U01": 10 * HOUR, "U02": 5 * HOUR}


def test_a_full_disk_while_an_older_ledger_gains_its_tables_leaves_it_as_it_was(tmp_path, monkeypatch):
    """A ledger an older version left with only some tables: what it lacks is added in one
    transaction, so a full disk leaves it as it was."""
    cfg = month().write(tmp_path)
    (tmp_path / "state").mkdir()
    old = sqlite3.connect(tmp_path / "state/ledger.sqlite")
    old.execute("PRAGMA journal_mode=WAL")
    old.executescript("CREATE TABLE runs (id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, month TEXT NOT NULL, "
                      "kind TEXT NOT NULL, state TEXT NOT NULL, fingerprint TEXT NOT NULL, config_sha256 TEXT NOT NULL, "
                      "inputs_json TEXT NOT NULL, file_date TEXT NOT NULL, payment_date TEXT NOT NULL, "
                      "total_ore INTEGER NOT NULL, version TEXT NOT NULL); CREATE TABLE settled (run INTEGER, "
                      "month TEXT, utforare_id TEXT, ore INTEGER);")
    old.close()
    disk_full_at(monkeypatch, "veckor")
    with pytest.raises(OutputError, match="disken är full"):
        runner.execute(load(cfg), SEPTEMBER, RUN_DAY)
    monkeypatch.undo()
    assert tables(tmp_path / "state/ledger.sqlite") == ["runs", "settled"]
    runner.execute(load(cfg), SEPTEMBER, RUN_DAY)
    assert tables(tmp_path / "state/ledger.sqlite") == ["payments", "runs", "settled", "veckor"]
    assert runs(tmp_path) == [("SLUTLIG", "klar")] and net_paid(tmp_path) == {"U01": 10 * HOUR, "U02": 5 * HOUR}


@pytest.mark.parametrize("left", ["empty file", "no tables"])
def test_a_ledger_without_tables_left_by_an_older_version_is_made_anew_saying_so(tmp_path, left):
    """What a full disk left before issue 19 (a 0-byte file, or a WAL header with no table): it
    holds nothing, so the dry run reads it as no ledger and the run makes it anew, saying so."""
    cfg = month().write(tmp_path)
    (tmp_path / "state").mkdir()
    ledger = tmp_path / "state/ledger.sqlite"
    if left == "empty file":
        ledger.write_bytes(b"")
    else:
        db = sqlite3.connect(ledger)
        db.execute("PRAGMA journal_mode=WAL")
        db.close()
    r = cli("run", "2023-09", "--config", str(cfg), "--datum", "2023-10-09", "--dry-run")
    assert r.returncode == 0 and "En riktig körning idag vore slutlig" in r.stdout, r.stderr
    r = cli("run", "2023-09", "--config", str(cfg), "--datum", "2023-10-09")
    assert r.returncode == 0, r.stderr
    assert f"VARNING: Liggaren {ledger} hade inga tabeller" in r.stderr and "skapas på nytt" in r.stderr, r.stderr
    assert runs(tmp_path) == [("SLUTLIG", "klar")] and net_paid(tmp_path) == {"U01": 10 * HOUR, "U02": 5 * HOUR}


def test_a_ledger_that_is_no_database_is_never_replaced(tmp_path):
    cfg = month().write(tmp_path)
    (tmp_path / "state").mkdir()
    (tmp_path / "state/ledger.sqlite").write_bytes(b"inte en databas " * 100)
    r = cli("run", "2023-09", "--config", str(cfg), "--datum", "2023-10-09")
    assert r.returncode == 1 and "liggaren är skadad eller ingen SQLite-databas" in r.stderr, r.stderr
    assert (tmp_path / "state/ledger.sqlite").read_bytes() == b"inte en databas " * 100
    assert not (tmp_path / "out/2023-09").exists()


@pytest.mark.parametrize("free, cause", [(8 * 1024, "disken är full"), (10 << 30, "läs- eller skrivfel på disken")])
def test_an_io_error_on_a_full_disk_says_the_disk_is_full(tmp_path, monkeypatch, free, cause):
    """SQLite reports a -shm file that cannot grow on a full disk as SQLITE_IOERR_SHMSIZE, a 'disk
    I/O error': where the disk is full, the message says so."""
    from collections import namedtuple

    from lovkorning.core import errors
    exc = sqlite3.OperationalError("disk I/O error")
    exc.sqlite_errorcode, exc.sqlite_errorname = 4874, "SQLITE_IOERR_SHMSIZE"
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(errors.shutil, "disk_usage", lambda p: usage(1 << 40, (1 << 40) - free, free))
    assert os_cause(exc, tmp_path / "state")[0] == cause
    assert os_cause(OSError(errno.EIO, "Input/output error"), tmp_path / "state/ledger.sqlite")[0] == cause
    assert os_cause(exc)[0] == "läs- eller skrivfel på disken"          # where unknown: as SQLite said


def test_a_nearly_full_state_disk_for_real(tmp_path):
    """On a real tmpfs with 8–48 KiB left (root only; skipped elsewhere): the run stops saying the
    disk is full, the ledger is complete or absent, and the next run, with space, pays once."""
    import shutil
    import subprocess
    mnt = tmp_path / "liten"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)],
                                           capture_output=True).returncode != 0:
        pytest.skip("needs root and tmpfs")
    try:
        for left in (8, 24, 48):
            for p in mnt.iterdir():
                shutil.rmtree(p) if p.is_dir() else p.unlink()
            cfg = month().write(tmp_path / f"m{left}")
            cfg.write_text(cfg.read_text().replace("dir: state", f"dir: {mnt}/state"))
            (mnt / "fyllning").write_bytes(b"x" * (shutil.disk_usage(mnt).free - left * 1024))
            with pytest.raises(OutputError, match="kan inte användas: disken är full"):
                runner.execute(load(cfg), SEPTEMBER, RUN_DAY)
            (mnt / "fyllning").unlink()
            ledger = mnt / "state/ledger.sqlite"
            assert not ledger.exists() or tables(ledger) == ["payments", "runs", "settled", "veckor"]
            runner.execute(load(cfg), SEPTEMBER, RUN_DAY)
            assert tables(ledger) == ["payments", "runs", "settled", "veckor"]
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)
