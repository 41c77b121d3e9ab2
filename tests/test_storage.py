"""A full disk, or a folder the run may not write (a cron job's everyday troubles): the run
stops with a Swedish message that says what to fix, records and pays nothing, leaves no
half-written version behind, and the next run, once the cause is fixed, pays exactly once."""

import errno
import sqlite3
from datetime import date

import pytest

from lovkorning.run import runner
from lovkorning.config.loaded import load
from lovkorning.core.errors import OutputError, os_cause
from lovkorning.run.ledger import Ledger
from lovkorning.core.period import Period
from lovkorning.write import sammanstallning
from monthbuilder import BG_2, BRUKARE_A, BRUKARE_B, Month
from test_cli import cli
from test_kill import consistent, net_paid

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
